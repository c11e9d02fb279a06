//! The command line with its state in PostgreSQL: the multicloud example
//! on the simulated cloud, planned, applied, re-planned, locked out by a
//! concurrent holder, and destroyed, against a throwaway server.
//!
//! Where PostgreSQL is not installed the test says so loudly and passes,
//! unless `ONIONCLOUD_REQUIRE_TOOLS=1`.

#![cfg(feature = "postgres")]

#[path = "../examples/multicloud/environment.rs"]
#[allow(dead_code)]
mod environment;

#[path = "../onioncloud-core/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;

use clap::Parser as _;
use onioncloud::cli::{Cli, run};
use onioncloud::core::engine::sim::{SimCloud, SimConfig};
use onioncloud::core::engine::store::postgres::PostgresStore;
use onioncloud::core::engine::store::{LockInfo, StateStore as _};
use support::postgres::Server;

const CERTIFICATE: &str =
    "certificate_arn=arn:aws:acm:eu-west-1:123456789012:certificate/abc";

/// The environment's name, which names its state in the tables.
const ENVIRONMENT: &str = "multicloud";

/// A simulated cloud in a temporary directory and a server's conninfo.
struct Sandbox {
    dir: tempfile::TempDir,
    conninfo: String,
}

impl Sandbox {
    fn cloud_dir(&self) -> PathBuf {
        self.dir.path().join("cloud")
    }

    /// Runs the command line with the state in PostgreSQL; commands that
    /// plan get the example's one required variable.
    fn cli(&self, args: &[&str]) -> (Result<u8, String>, String) {
        let cloud = self.cloud_dir();
        let mut argv: Vec<String> = [
            "multicloud",
            "--environment",
            ENVIRONMENT,
            "--provider",
            "sim",
            "--sim-dir",
            cloud.to_str().unwrap(),
            "--state-postgres",
            &self.conninfo,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        argv.extend(args.iter().map(|s| s.to_string()));
        if matches!(args.first(), Some(&"plan" | &"apply" | &"destroy")) {
            argv.extend(["--var".to_owned(), CERTIFICATE.to_owned()]);
        }
        let cli = Cli::try_parse_from(argv).unwrap();
        let mut out = Vec::new();
        let result =
            run(cli, environment::build, &mut out).map_err(|e| e.to_string());
        (result, String::from_utf8(out).unwrap())
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out) = self.cli(args);
        assert_eq!(code, Ok(0), "{args:?}:\n{out}");
        out
    }

    fn live(&self) -> usize {
        SimCloud::open(self.cloud_dir(), SimConfig::default())
            .unwrap()
            .count()
            .unwrap()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn plan_apply_lock_and_destroy_with_state_in_postgres() {
    let Some(server) = Server::start() else {
        return;
    };
    let sandbox = Sandbox {
        dir: tempfile::tempdir().unwrap(),
        conninfo: server.conninfo(),
    };

    // A first plan: everything to add, nothing stored, nothing created.
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(2), "{out}");
    let summary = out.lines().last().unwrap();
    assert!(
        summary.ends_with(" to add, 0 to change, 0 to destroy."),
        "{out}"
    );
    let planned: usize = summary
        .trim_start_matches("Plan: ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(planned > 0, "{out}");
    assert_eq!(sandbox.live(), 0);

    let out = sandbox.ok(&["apply", "--auto-approve"]);
    assert!(
        out.ends_with(&format!(
            "Apply complete! Resources: {planned} added, 0 changed, 0 \
             destroyed.\n"
        )),
        "{out}"
    );
    assert_eq!(sandbox.live(), planned);

    // The state is in PostgreSQL, complete, and nothing is pending.
    let rt = runtime();
    let store = rt
        .block_on(PostgresStore::connect(&sandbox.conninfo, ENVIRONMENT))
        .unwrap();
    let state = rt.block_on(store.read()).unwrap().expect("a stored state");
    assert!(state.pending.is_empty(), "{:?}", state.pending);
    let managed = state
        .resources
        .keys()
        .filter(|a| !a.starts_with("data."))
        .count();
    assert_eq!(managed, planned);

    // Applied means converged.
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(0), "{out}");
    assert!(out.starts_with("No changes."), "{out}");

    // A concurrent holder of the lock keeps the command line out, named.
    let holder = LockInfo::for_current_process("test-holder");
    rt.block_on(store.lock(&holder)).unwrap();
    let err = sandbox.cli(&["plan"]).0.unwrap_err();
    assert!(err.contains("locked by"), "{err}");
    assert!(err.contains(&holder.id), "{err}");
    assert!(err.contains("test-holder"), "{err}");
    let err = sandbox.cli(&["destroy", "--auto-approve"]).0.unwrap_err();
    assert!(err.contains("locked by"), "{err}");
    assert_eq!(sandbox.live(), planned, "a refused destroy deleted objects");
    rt.block_on(store.unlock(&holder)).unwrap();
    assert_eq!(rt.block_on(store.lock_holder()).unwrap(), None);

    let out = sandbox.ok(&["destroy", "--auto-approve"]);
    assert!(
        out.ends_with(&format!(
            "Destroy complete! Resources: 0 added, 0 changed, {planned} \
             destroyed.\n"
        )),
        "{out}"
    );
    assert_eq!(sandbox.live(), 0);
    let state = rt.block_on(store.read()).unwrap().expect("a stored state");
    assert!(state.resources.keys().all(|a| a.starts_with("data.")));
    assert!(state.pending.is_empty());
    // The command line released its lock after each command.
    assert_eq!(rt.block_on(store.lock_holder()).unwrap(), None);
}
