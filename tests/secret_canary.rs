//! The secret canary: a random value, fresh each run, given to a sensitive
//! variable (on the command line and as a default) and used everywhere a
//! secret value can go: resource arguments, a concatenation, outputs, a
//! reference to a sensitive attribute, and a Salt pillar (refused). Secret
//! references go everywhere references can. Then every command runs on
//! the simulated cloud, with tracing at trace level captured, and the
//! canary must appear nowhere: not in what a command prints or returns,
//! not in the log, not in any file under the sandbox (synthesized files,
//! state, plan file, simulated cloud).
//!
//! The file modes and the lock's contents of the state directory are
//! checked here too.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use clap::Parser;
use onioncloud::cli::{Cli, run};
use onioncloud::core::engine::sim::{
    FaultKind, FaultRule, Operation, SimConfig,
};
use onioncloud::core::{
    Env, GenericResource, Input, Secret, SecretRef, Variable, concat,
};

/// Everything every thread logs, at trace level, for the whole test
/// binary.
fn log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&writer)))
            .try_init()
            .expect("the only subscriber of this test binary");
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A fresh random canary.
fn canary(what: &str) -> String {
    format!("canary-{what}-{:032x}", rand::random::<u128>())
}

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn argv(&self, args: &[&str]) -> Vec<String> {
        let state = self.path("state");
        let cloud = self.path("cloud");
        [
            "canary",
            "--environment",
            "canary",
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
        .collect()
    }

    /// Runs one command; the result (exit code or error message, with its
    /// causes) and what it printed.
    fn run(
        &self,
        build: impl FnOnce(&mut Env) -> Result<(), String>,
        args: &[&str],
    ) -> (Result<u8, String>, String) {
        let cli = Cli::try_parse_from(self.argv(args)).unwrap();
        let mut out = Vec::new();
        let result = run(cli, build, &mut out).map_err(|e| {
            let mut text = format!("{e} {e:?}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(&format!(" {cause}"));
                source = cause.source();
            }
            text
        });
        (result, String::from_utf8(out).unwrap())
    }

    /// Every file under the sandbox, with its contents.
    fn files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, found: &mut Vec<(PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    found.push((path, bytes));
                }
            }
        }
        let mut found = Vec::new();
        walk(self.dir.path(), &mut found);
        found
    }
}

/// The environment: the canaries in every place a secret value can go,
/// secret references in every place a reference can.
fn build(default: String) -> impl FnOnce(&mut Env) -> Result<(), String> {
    move |env: &mut Env| {
        let token =
            env.variable("api_token", Variable::<String>::new().sensitive());
        let password = env.variable(
            "db_password",
            Variable::<String>::new().default_value(default).sensitive(),
        );
        let vault = SecretRef::vault("secret", "prod/app", "key");
        let hook = env.add(
            "hook",
            GenericResource::new("simx_hook")
                .input::<String>("token", token.clone())
                .input::<String>("password", password.clone())
                .input::<String>(
                    "header",
                    concat([Input::from("Bearer "), token.clone().into()]),
                )
                .input::<Secret>("signing_key", SecretRef::aws("prod/signing"))
                .input::<Secret>("vault_key", &vault)
                .set("url", "https://hooks.example.com/a"),
        );
        // A reference to an attribute that holds the canary, and to one
        // that holds a secret reference.
        env.add(
            "relay",
            GenericResource::new("simx_relay")
                .input::<String>("upstream_token", hook.attr::<String>("token"))
                .input::<String>("key", hook.attr::<String>("signing_key"))
                .input::<Secret>("gcp_key", SecretRef::gcp("relay-key"))
                .set("name", "relay"),
        );
        env.output::<String>("token", token.clone());
        env.output::<String>("password", password);
        env.output::<String>(
            "header",
            concat([Input::from("x-"), token.into()]),
        );
        env.output::<String>("relayed", hook.attr::<String>("token"));
        env.output::<Secret>("vault", &vault);
        env.output::<String>("url", hook.attr::<String>("url"));
        Ok(())
    }
}

/// A machine given the sensitive variable as a pillar value.
fn with_pillar(env: &mut Env) -> Result<(), String> {
    use onioncloud::salt::{CmdRun, Machine, Role};
    env.provider(onioncloud::aws::Provider::region("eu-west-1"));
    let token =
        env.variable("api_token", Variable::<String>::new().sensitive());
    let app = env.add(
        "app",
        onioncloud::aws::Instance::new("ami-0abc1234", "t3.micro")
            .root_block_device(
                onioncloud::aws::RootBlockDevice::new().encrypted(true),
            ),
    );
    let mut role = Role::new("app");
    role.add(CmdRun::new("true").id("noop"));
    env.configure(
        &app,
        Machine::new()
            .role(&role)
            .pillar("token", token)
            .pillar("db", SecretRef::aws("prod/db")),
    );
    Ok(())
}

fn assert_clean(
    canaries: &[&str],
    what: &str,
    text: impl AsRef<[u8]>,
) -> usize {
    let text = String::from_utf8_lossy(text.as_ref());
    for canary in canaries {
        assert!(!text.contains(canary), "{what} holds the canary:\n{text}");
    }
    text.len()
}

#[test]
fn the_canary_appears_nowhere() {
    let log = log();
    let sandbox = Sandbox::new();
    let token = canary("token");
    let default = canary("default");
    let canaries = [token.as_str(), default.as_str()];
    let var = format!("api_token={token}");
    let plan_file = sandbox.path("plan.json");
    let plan_file = plan_file.to_str().unwrap().to_owned();
    let synth_dir = sandbox.path("out");
    let synth_dir = synth_dir.to_str().unwrap().to_owned();

    let commands: Vec<(Vec<&str>, Result<u8, ()>)> = vec![
        (vec!["validate"], Ok(0)),
        (vec!["synth", "--out", &synth_dir], Ok(0)),
        (vec!["plan", "--var", &var], Ok(0)),
        (vec!["plan", "--json", "--var", &var], Ok(0)),
        (vec!["plan", "--var", &var, "--out", &plan_file], Ok(0)),
        (vec!["apply", &plan_file, "--var", &var], Ok(0)),
        (vec!["plan", "--detailed-exitcode", "--var", &var], Ok(0)),
        (
            vec!["apply", "--auto-approve", "--json", "--var", "api_token=x"],
            Ok(0),
        ),
        (vec!["apply", "--auto-approve", "--var", &var], Ok(0)),
        (vec!["state", "list"], Ok(0)),
        (vec!["state", "show", "simx_hook.hook"], Ok(0)),
        (vec!["state", "show", "simx_relay.relay"], Ok(0)),
        (vec!["refresh"], Ok(0)),
        (vec!["synth", "--out", &synth_dir, "--from-state"], Ok(0)),
        (vec!["graph"], Ok(0)),
        (vec!["graph", "--format", "mermaid"], Ok(0)),
        (vec!["plan", "--destroy", "--json", "--var", &var], Ok(0)),
        (vec!["destroy", "--auto-approve", "--var", &var], Ok(0)),
    ];
    let mut printed = 0;
    for (args, expected) in commands {
        let (result, out) = sandbox.run(build(default.clone()), &args);
        printed += assert_clean(&canaries, &format!("{args:?}"), &out);
        match (&result, expected) {
            (Ok(code), Ok(want)) => {
                assert_eq!(*code, want, "{args:?}:\n{out}")
            }
            (Err(e), _) => panic!("{args:?} failed: {e}\n{out}"),
            (Ok(code), Err(())) => panic!("{args:?} exited {code}"),
        }
        if args == ["state", "show", "simx_hook.hook"] {
            // Shown, hidden: the references by name, the values not.
            assert!(out.contains("token = (sensitive value)"), "{out}");
            assert!(out.contains("password = (sensitive value)"), "{out}");
        }
    }
    assert!(printed > 1000, "the commands printed almost nothing");

    // The synthesized files hold the variables, never their values, and
    // mark the outputs derived from them sensitive.
    let root = std::fs::read_to_string(
        Path::new(&synth_dir).join("terraform/simx/main.tf.json"),
    )
    .or_else(|_| {
        std::fs::read_dir(Path::new(&synth_dir).join("terraform"))
            .unwrap()
            .find_map(|e| {
                std::fs::read_to_string(e.unwrap().path().join("main.tf.json"))
                    .ok()
            })
            .ok_or(())
    })
    .expect("a synthesized root module");
    let module: serde_json::Value = serde_json::from_str(&root).unwrap();
    for output in ["token", "password", "header", "relayed", "vault"] {
        assert_eq!(
            module["output"][output]["sensitive"], true,
            "output {output}: {root}"
        );
    }
    assert!(module["output"]["url"].get("sensitive").is_none(), "{root}");
    assert!(
        module["variable"]["db_password"].get("default").is_none(),
        "{root}"
    );

    // A failing apply: its errors name what failed, not the values.
    let failing = Sandbox::new();
    std::fs::create_dir_all(failing.path("cloud")).unwrap();
    let faults = SimConfig {
        faults: vec![FaultRule {
            resource_type: Some("simx_relay".into()),
            operations: vec![Operation::Create],
            ..FaultRule::new(FaultKind::Fail)
        }],
        ..SimConfig::default()
    };
    std::fs::write(
        failing.path("cloud/sim.json"),
        serde_json::to_string(&faults).unwrap(),
    )
    .unwrap();
    let (result, out) = failing.run(
        build(default.clone()),
        &["apply", "--auto-approve", "--var", &var],
    );
    assert_eq!(result, Ok(1), "{out}");
    assert!(out.contains("simx_relay.relay"), "{out}");
    assert_clean(&canaries, "a failed apply", &out);

    // A sensitive variable in a pillar is refused, without its value.
    let salt = Sandbox::new();
    let (result, out) = salt.run(
        with_pillar,
        &["apply", "--auto-approve", "--salt", "local", "--var", &var],
    );
    let error = result.expect_err("a sensitive pillar value is refused");
    assert!(error.contains("var.api_token"), "{error}");
    assert_clean(&canaries, "the pillar refusal", format!("{error}{out}"));
    let (result, out) = salt.run(with_pillar, &["synth", "--out", "out"]);
    if let Err(error) = &result {
        assert_clean(&canaries, "the pillar refusal at synth", error);
    }
    assert_clean(&canaries, "synth with a pillar", out);

    // Debug output, as a panic message would show it.
    let mut env = Env::new("canary");
    build(default.clone())(&mut env).unwrap();
    let compiled = env.compile().unwrap();
    assert_clean(
        &canaries,
        "the environment's Debug",
        format!("{compiled:?}"),
    );

    // Every file of every sandbox, and the log. The refused pillar left
    // nothing at all: it is refused before anything is applied.
    assert!(salt.files().is_empty(), "{:?}", salt.files());
    for sandbox in [&sandbox, &failing, &salt] {
        let files = sandbox.files();
        assert!(files.len() > 5 || std::ptr::eq(sandbox, &salt), "{files:?}");
        for (path, bytes) in files {
            assert_clean(&canaries, &path.display().to_string(), bytes);
        }
    }
    let logged = log.lock().unwrap().clone();
    let _ = std::io::stderr().write_all(b"");
    assert!(
        String::from_utf8_lossy(&logged).contains("TRACE")
            || String::from_utf8_lossy(&logged).contains("DEBUG"),
        "tracing captured nothing"
    );
    assert_clean(&canaries, "the trace log", logged);
}

/// State files, the lock file and plan files are the owner's alone, and
/// the lock says who holds it, never more.
#[cfg(unix)]
#[test]
fn state_and_plan_files_are_private_and_the_lock_records_only_who() {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = log();
    let sandbox = Sandbox::new();
    let token = canary("token");
    let var = format!("api_token={token}");
    let plan_file = sandbox.path("plan.json");
    let plan_file = plan_file.to_str().unwrap().to_owned();
    let build = || build(canary("default"));
    let (result, out) =
        sandbox.run(build(), &["apply", "--auto-approve", "--var", &var]);
    assert_eq!(result, Ok(0), "{out}");
    let (result, out) = sandbox.run(
        build(),
        &["apply", "--auto-approve", "--var", "api_token=other"],
    );
    assert_eq!(result, Ok(0), "{out}");
    let (result, out) =
        sandbox.run(build(), &["plan", "--var", &var, "--out", &plan_file]);
    assert_eq!(result, Ok(0), "{out}");

    let mode = |path: &Path| {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    };
    let state = sandbox.path("state");
    let env_dir = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap_or_else(|| state.clone());
    let mut seen = Vec::new();
    for dir in [&state, &env_dir] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    for entry in std::fs::read_dir(&env_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
            seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    for name in ["state.json", "state.json.backup"] {
        assert!(seen.iter().any(|s| s == name), "{name} in {seen:?}");
    }
    assert_eq!(mode(Path::new(&plan_file)), 0o600);

    // The lock, while it is held: who, where, which process, what, when.
    let lock_store =
        onioncloud::core::engine::store::local::LocalStore::new(&state);
    let info =
        onioncloud::core::engine::store::LockInfo::for_current_process("apply");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    use onioncloud::core::engine::store::StateStore as _;
    runtime.block_on(lock_store.lock(&info)).unwrap();
    let lock_file = std::fs::read_dir(&env_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .chain(
            std::fs::read_dir(&state)
                .unwrap()
                .map(|e| e.unwrap().path()),
        )
        .find(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains("lock"))
        })
        .expect("a lock file");
    assert_eq!(mode(&lock_file), 0o600);
    let recorded: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&lock_file).unwrap()).unwrap();
    let keys: Vec<&str> = recorded
        .as_object()
        .expect("the lock holds an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["id", "operation", "pid", "since", "who"],
        "{recorded}"
    );
    assert_eq!(recorded["operation"], "apply");
    assert_eq!(recorded["pid"], std::process::id());
    assert!(
        recorded["who"].as_str().unwrap().contains('@'),
        "{recorded}"
    );
    // Nothing from the environment beyond the user's name.
    let text = recorded.to_string();
    for (name, value) in std::env::vars() {
        if value.len() >= 8 && name != "USER" && name != "USERNAME" {
            assert!(!text.contains(&value), "the lock holds ${name}");
        }
    }
    runtime.block_on(lock_store.unlock(&info)).unwrap();
}
