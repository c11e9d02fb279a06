//! `apply` configures the machines with real Salt once their
//! infrastructure exists: the sandbox example on the simulated cloud, its
//! roles applied by a masterless `salt-call` inside a temporary directory.
//!
//! Salt is found like the command line finds it (`ONIONCLOUD_SALT_CALL`,
//! the tools directory, `PATH`). Without it each test prints a loud
//! SKIPPED line and passes, unless `ONIONCLOUD_REQUIRE_TOOLS=1` (as in
//! CI), where it fails.

#[path = "../examples/sandbox/environment.rs"]
#[allow(dead_code)]
mod environment;
#[path = "../onioncloud-salt/tests/support/sshd.rs"]
mod sshd;

use std::path::{Path, PathBuf};

use clap::Parser;
use onioncloud::cli::{Cli, run, run_with_packs};
use onioncloud::prelude::*;
use onioncloud::salt::runner::locate_salt_call;
use onioncloud::salt::{CmdRun, FileManaged};
use serde_json::Value as Json;

fn salt_or_skip(test: &str) -> bool {
    locate_salt_call().is_some_and(|path| path.is_file())
        || sshd::skip::<()>(test, "salt-call not found").is_some()
}

/// A state directory, a simulated cloud and a Salt sandbox in one
/// temporary directory.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Where the roles write their files.
    fn root(&self) -> PathBuf {
        self.dir.path().join("files")
    }

    fn read(&self, relative: &str) -> Option<String> {
        std::fs::read_to_string(self.root().join(relative)).ok()
    }

    /// Runs the command line on `build`, on this sandbox's state and
    /// simulated cloud, without policy packs: these small environments
    /// are about Salt, not policies.
    fn cli(
        &self,
        build: impl FnOnce(&mut Env) -> Result<(), std::convert::Infallible>,
        args: &[&str],
    ) -> (Result<u8, String>, String) {
        self.run_cli(build, args, false)
    }

    /// Runs the command line, with the built-in policy packs when
    /// `policies`.
    fn run_cli(
        &self,
        build: impl FnOnce(&mut Env) -> Result<(), std::convert::Infallible>,
        args: &[&str],
        policies: bool,
    ) -> (Result<u8, String>, String) {
        let state = self.dir.path().join("state");
        let cloud = self.dir.path().join("cloud");
        let argv: Vec<String> = [
            "sandbox",
            "--environment",
            "sandbox",
            "--provider",
            "sim",
            "--state-dir",
            state.to_str().unwrap(),
            "--sim-dir",
            cloud.to_str().unwrap(),
        ]
        .iter()
        .chain(args)
        .map(|s| s.to_string())
        .collect();
        let cli = Cli::try_parse_from(argv).unwrap();
        let mut out = Vec::new();
        let result = if policies {
            run(cli, build, &mut out)
        } else {
            run_with_packs(cli, build, &[], &mut out)
        };
        (
            result.map_err(|e| format!("{e:?}")),
            String::from_utf8(out).unwrap(),
        )
    }

    /// Runs the sandbox example, with the built-in policy packs.
    fn example(&self, args: &[&str]) -> (Result<u8, String>, String) {
        let root = self.root();
        let root = root.to_str().unwrap().to_owned();
        self.run_cli(move |env| environment::build_in(env, &root), args, true)
    }
}

fn salt_line(out: &str) -> &str {
    out.lines()
        .find(|line| line.trim_start().starts_with("app (aws_instance.app)"))
        .unwrap_or_else(|| panic!("no Salt line for the app:\n{out}"))
}

#[test]
fn apply_configures_the_machine_and_converges() {
    if !salt_or_skip("apply_configures_the_machine_and_converges") {
        return;
    }
    let sandbox = Sandbox::new();
    let apply = ["apply", "--auto-approve", "--salt", "local"];

    let (code, out) = sandbox.example(&apply);
    assert_eq!(code, Ok(0), "{out}");
    assert!(out.contains("Apply complete! Resources: 2 added"), "{out}");
    assert_eq!(
        salt_line(&out).trim(),
        "app (aws_instance.app): 3 states, 3 changed, 0 failed"
    );
    assert!(
        out.ends_with("Salt complete! Machines: 1 configured, 0 failed.\n")
    );

    // The pillar carried values only the deployed infrastructure knows.
    let config = sandbox.read("etc/app.conf").expect("app.conf written");
    let mut lines = config.lines();
    let db_host = lines.next().unwrap();
    assert!(
        db_host.starts_with("db_host = ")
            && db_host.ends_with(".rds.amazonaws.com"),
        "{config}"
    );
    let listen = lines.next().unwrap();
    assert!(listen.starts_with("listen = 10."), "{config}");
    assert_eq!(sandbox.read("reloads").as_deref(), Some("reloaded\n"));
    let mode = std::fs::metadata(sandbox.root().join("etc/app.conf"))
        .unwrap()
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o640
    );

    // A second apply changes nothing, in the clouds or on the machine,
    // and the onchanges reload does not run again.
    let (code, out) = sandbox.example(&apply);
    assert_eq!(code, Ok(0), "{out}");
    assert!(out.contains("No changes."), "{out}");
    assert_eq!(
        salt_line(&out).trim(),
        "app (aws_instance.app): 3 states, 0 changed, 0 failed"
    );
    assert_eq!(sandbox.read("reloads").as_deref(), Some("reloaded\n"));

    // Drift on the machine is put right by the next apply.
    std::fs::write(sandbox.root().join("etc/app.conf"), "edited\n").unwrap();
    let (code, out) = sandbox.example(&apply);
    assert_eq!(code, Ok(0), "{out}");
    assert!(salt_line(&out).contains("2 changed, 0 failed"), "{out}");
    assert_eq!(sandbox.read("etc/app.conf"), Some(config));
    assert_eq!(
        sandbox.read("reloads").as_deref(),
        Some("reloaded\nreloaded\n")
    );
}

#[test]
fn salt_test_reports_without_changing_and_notes_the_onchanges_quirk() {
    if !salt_or_skip("salt_test_reports_without_changing") {
        return;
    }
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.example(&[
        "apply",
        "--auto-approve",
        "--salt",
        "local",
        "--salt-test",
    ]);
    assert_eq!(code, Ok(0), "{out}");
    assert!(out.contains(", test mode):"), "{out}");
    assert!(salt_line(&out).contains("would change, 0 failed"), "{out}");
    assert!(sandbox.read("etc/app.conf").is_none());
    assert!(sandbox.read("reloads").is_none());
    // In test mode the config reports changes, so the reload is shown
    // as would-run; the note appears only when Salt skipped one.
    let skipped = out.contains("none of the onchanges reqs changed");
    assert_eq!(out.contains("note: in test mode"), skipped, "{out}");
}

#[test]
fn apply_json_ends_with_a_salt_event() {
    if !salt_or_skip("apply_json_ends_with_a_salt_event") {
        return;
    }
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.example(&[
        "apply",
        "--auto-approve",
        "--salt",
        "local",
        "--json",
    ]);
    assert_eq!(code, Ok(0), "{out}");
    let last: Json = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "salt");
    assert_eq!(last["succeeded"], true);
    let states = last["minions"][0]["states"].as_array().unwrap();
    assert_eq!(states.len(), 3);
    assert!(states.iter().all(|s| s["result"] == true));
    // The database password went to the machine as a reference only.
    assert!(!out.contains("sandbox/orders-db\""), "{out}");
}

/// The sandbox's instance with a role whose second state fails.
fn failing(env: &mut Env, root: &Path) -> Result<(), std::convert::Infallible> {
    env.provider(aws::Provider::region("eu-west-1"));
    let app = env.add("app", aws::Instance::new("ami-0abc1234", "t3.micro"));
    let mut role = Role::new("broken");
    let marker = role.add(
        FileManaged::new(format!("{}/marker", root.display()))
            .contents("written\n")
            .makedirs(true),
    );
    role.add(
        CmdRun::new("echo checking >&2; exit 3")
            .id("health-check")
            .require(&marker),
    );
    env.configure(&app, Machine::new().role(&role));
    Ok(())
}

#[test]
fn a_failing_state_fails_the_apply_naming_its_id_and_comment() {
    if !salt_or_skip("a_failing_state_fails_the_apply") {
        return;
    }
    let sandbox = Sandbox::new();
    let root = sandbox.root();
    let (code, out) = sandbox.cli(
        |env| failing(env, &root),
        &["apply", "--auto-approve", "--salt", "local"],
    );
    assert_eq!(code, Ok(1), "{out}");
    assert!(out.contains("Apply complete! Resources: 1 added"), "{out}");
    assert!(salt_line(&out).contains("2 states, 1 changed, 1 failed"));
    assert!(
        out.contains("    failed: health-check (cmd.run): Command \"echo"),
        "{out}"
    );
    assert!(out.contains("Salt failed. Machines: 0 configured, 1 failed."));
    // The infrastructure part is recorded; the state that succeeded did
    // its work.
    assert_eq!(sandbox.read("marker").as_deref(), Some("written\n"));
}

/// A machine whose pillar needs a raw Terraform expression, which only
/// Terraform evaluates.
fn expression_pillar(env: &mut Env) -> Result<(), std::convert::Infallible> {
    env.provider(aws::Provider::region("eu-west-1"));
    let app = env.add("app", aws::Instance::new("ami-0abc1234", "t3.micro"));
    let mut role = Role::new("app");
    role.add(CmdRun::new("true").id("noop"));
    env.configure(
        &app,
        Machine::new().role(&role).pillar(
            "zone",
            onioncloud::core::raw_expression::<String>("local.zone"),
        ),
    );
    Ok(())
}

#[test]
fn pillar_values_still_unknown_keep_salt_off_that_machine() {
    if !salt_or_skip("pillar_values_still_unknown") {
        return;
    }
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(
        expression_pillar,
        &["apply", "--auto-approve", "--salt", "local"],
    );
    assert_eq!(code, Ok(1), "{out}");
    assert!(
        out.contains(
            "app (aws_instance.app): not configured: pillar keys still \
             unknown after apply: zone"
        ),
        "{out}"
    );
}

/// A machine given a sensitive variable as a plain pillar value.
fn sensitive_pillar(env: &mut Env) -> Result<(), std::convert::Infallible> {
    env.provider(aws::Provider::region("eu-west-1"));
    let token =
        env.variable("api_token", Variable::<String>::new().sensitive());
    let app = env.add("app", aws::Instance::new("ami-0abc1234", "t3.micro"));
    let mut role = Role::new("app");
    role.add(CmdRun::new("true").id("noop"));
    env.configure(&app, Machine::new().role(&role).pillar("token", token));
    Ok(())
}

#[test]
fn a_sensitive_variable_never_reaches_the_pillar() {
    let sandbox = Sandbox::new();
    let canary = "canary-3f9d1c7e";
    let var = format!("api_token={canary}");
    let (code, out) = sandbox.cli(
        sensitive_pillar,
        &[
            "apply",
            "--auto-approve",
            "--salt",
            "local",
            "--var",
            var.as_str(),
        ],
    );
    let error = code.expect_err("refused");
    assert!(
        error.contains("SensitivePillar") && error.contains("var.api_token"),
        "{error}"
    );
    assert!(!error.contains(canary) && !out.contains(canary));
    // Refused before the infrastructure was applied: nothing exists.
    assert!(!out.contains("Apply complete"), "{out}");
    assert!(!sandbox.dir.path().join("state/state.json").exists());
}

/// The sandbox's application, configured over SSH at the loopback server
/// `server` instead of the simulated instance's own address.
fn over_ssh(
    env: &mut Env,
    root: &str,
    server: &sshd::SshServer,
) -> Result<(), std::convert::Infallible> {
    env.provider(aws::Provider::region("eu-west-1"));
    let bucket = env.add(
        "assets",
        aws::S3Bucket::new().bucket("onioncloud-sandbox-assets"),
    );
    let app = env.add("app", aws::Instance::new("ami-0abc1234", "t3.micro"));
    let conf = concat([Input::from("bucket = "), bucket.bucket().into()]);
    env.configure(
        &app,
        Machine::new()
            .role(&environment::app_role(root))
            .pillar("app_conf", conf)
            .ssh_host("127.0.0.1")
            .ssh_port(server.port)
            .ssh_user(sshd::current_user())
            .ssh_path("/usr/bin:/bin"),
    );
    Ok(())
}

#[test]
fn apply_configures_the_machine_over_ssh() {
    let Some(tools) = sshd::tools_or_skip("apply_configures_over_ssh") else {
        return;
    };
    let server = sshd::SshServer::start(&tools.sshd);
    let sandbox = Sandbox::new();
    let root = sandbox.root().to_str().unwrap().to_owned();
    let key = server.path("client_key");
    let known_hosts = server.known_hosts();
    let apply = [
        "apply",
        "--auto-approve",
        "--salt",
        "ssh",
        "--ssh-key",
        key.to_str().unwrap(),
        "--ssh-known-hosts",
        known_hosts.to_str().unwrap(),
    ];
    // The command line finds salt-ssh as `tools_or_skip` did.
    let _ = &tools.salt_ssh;

    let (code, out) = sandbox.cli(|env| over_ssh(env, &root, &server), &apply);
    assert_eq!(code, Ok(0), "{out}");
    assert!(out.contains("salt-ssh with the machines' hosts):"), "{out}");
    assert!(salt_line(&out).contains("3 states, 3 changed, 0 failed"));
    assert_eq!(
        sandbox.read("etc/app.conf").as_deref(),
        // Salt ends managed contents with a newline.
        Some("bucket = onioncloud-sandbox-assets\n")
    );

    let (code, out) = sandbox.cli(|env| over_ssh(env, &root, &server), &apply);
    assert_eq!(code, Ok(0), "{out}");
    assert!(salt_line(&out).contains("3 states, 0 changed, 0 failed"));

    // A host key other than the server's is refused, and nothing runs.
    std::fs::write(
        &known_hosts,
        format!(
            "[127.0.0.1]:{} ssh-ed25519 \
             AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n",
            server.port
        ),
    )
    .unwrap();
    std::fs::remove_file(sandbox.root().join("etc/app.conf")).unwrap();
    let (code, out) = sandbox.cli(|env| over_ssh(env, &root, &server), &apply);
    assert_eq!(code, Ok(1), "{out}");
    assert!(
        out.contains("app (aws_instance.app): not configured:"),
        "{out}"
    );
    assert!(sandbox.read("etc/app.conf").is_none());
}

#[test]
fn salt_over_ssh_needs_a_key_before_anything_is_applied() {
    let sandbox = Sandbox::new();
    let (code, out) =
        sandbox.example(&["apply", "--auto-approve", "--salt", "ssh"]);
    let error = code.expect_err("refused");
    assert!(error.contains("--ssh-key FILE"), "{error}\n{out}");
    // Refused before planning: nothing was created.
    assert!(!out.contains("Apply complete"), "{out}");
    assert!(
        !sandbox.dir.path().join("cloud/objects").exists()
            || std::fs::read_dir(sandbox.dir.path().join("cloud/objects"))
                .unwrap()
                .next()
                .is_none()
    );
    let missing = sandbox.root().join("no-such-key");
    let (code, _) = sandbox.example(&[
        "apply",
        "--auto-approve",
        "--salt",
        "ssh",
        "--ssh-key",
        missing.to_str().unwrap(),
    ]);
    let error = code.expect_err("refused");
    assert!(error.contains("no-such-key: no such file"), "{error}");
}

#[test]
fn synth_from_state_fills_in_the_pillar_and_the_roster() {
    let sandbox = Sandbox::new();
    let out = sandbox.dir.path().join("out");
    let out_arg = out.to_str().unwrap();
    let synth = ["synth", "--from-state", "--out", out_arg];
    let (code, _) = sandbox.example(&synth);
    let error = code.expect_err("no state yet");
    assert!(error.contains("there is no state yet"), "{error}");

    // Without the state, the values wait for the infrastructure.
    let (code, text) = sandbox.example(&["synth", "--out", out_arg]);
    assert_eq!(code, Ok(0), "{text}");
    let pillar =
        std::fs::read_to_string(out.join("pillar/minions/app.sls")).unwrap();
    assert!(pillar.contains("app_conf: null"), "{pillar}");
    let roster = std::fs::read_to_string(out.join("salt-ssh/roster")).unwrap();
    assert!(roster.contains("#   app: aws_instance.app\n"), "{roster}");

    let (code, text) = sandbox.example(&["apply", "--auto-approve"]);
    assert_eq!(code, Ok(0), "{text}");
    let (code, text) = sandbox.example(&synth);
    assert_eq!(code, Ok(0), "{text}");
    let pillar =
        std::fs::read_to_string(out.join("pillar/minions/app.sls")).unwrap();
    assert!(pillar.contains("  db_host = terraform-"), "{pillar}");
    assert!(pillar.contains("  pending: []"), "{pillar}");
    assert!(
        pillar.contains("db_password: 'sdb://aws_secrets_manager/sandbox/"),
        "{pillar}"
    );
    let roster = std::fs::read_to_string(out.join("salt-ssh/roster")).unwrap();
    let state = onioncloud::core::engine::store::local::LocalStore::new(
        sandbox.dir.path().join("state"),
    );
    let state = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(onioncloud::core::engine::store::StateStore::read(&state))
        .unwrap()
        .unwrap();
    let ip = state.resources["aws_instance.app"].attributes["private_ip"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        roster.contains(&format!("app:\n  host: '{ip}'\n  port: 22\n")),
        "{roster}"
    );
}

/// A machine configured with an existing formula read from disk.
fn with_formula(
    env: &mut Env,
    formula: &onioncloud::salt::SaltTree,
) -> Result<(), std::convert::Infallible> {
    env.provider(aws::Provider::region("eu-west-1"));
    let web = env.add("web", aws::Instance::new("ami-0abc1234", "t3.micro"));
    env.configure(&web, Machine::new().formula(formula, "nginx"));
    Ok(())
}

#[test]
fn an_existing_formula_configures_a_machine() {
    if !salt_or_skip("an_existing_formula_configures_a_machine") {
        return;
    }
    let formula = onioncloud::salt::read::read_tree(
        "onioncloud-salt/tests/formulas/nginx",
    )
    .unwrap();
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(
        |env| with_formula(env, &formula),
        &["apply", "--auto-approve", "--salt", "local", "--salt-test"],
    );
    assert_eq!(code, Ok(0), "{out}");
    // The SLS, the two it includes, and its template, all applied.
    let line = out
        .lines()
        .find(|line| line.trim_start().starts_with("web (aws_instance.web)"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains(": 4 states, 4 would change, 0 failed"),
        "{out}"
    );

    // An SLS the formula does not have is an error naming the machine.
    let (code, _) = sandbox.cli(
        |env| {
            let web =
                env.add("web", aws::Instance::new("ami-0abc1234", "t3.micro"));
            env.configure(&web, Machine::new().formula(&formula, "apache"));
            Ok::<(), std::convert::Infallible>(())
        },
        &["validate"],
    );
    let error = code.expect_err("refused");
    assert!(error.contains("UnknownFormulaSls"), "{error}");
}
