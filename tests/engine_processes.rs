//! The engine's reliability battery, with real processes: random
//! environments applied against the simulated cloud by a child process
//! that is killed (`kill -9` at random moments, and aborted at
//! instrumented points), interrupted with SIGINT, or raced by a second
//! apply on the same state.
//!
//! This is a test target without the libtest harness: `main` runs the
//! battery, and the same binary, started with `ONIONCLOUD_CHILD` set, is
//! the child: the OnionCloud command line on a random environment.
//!
//! `ONIONCLOUD_CHAOS_TRIALS` sets the number of kill trials (50 by
//! default).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use clap::Parser as _;
use onioncloud::cli::{Cli, run};
use onioncloud::core::engine::sim::{SimCloud, SimConfig};
use onioncloud::core::engine::state::StateDoc;
use onioncloud::core::engine::store::StateStore as _;
use onioncloud::core::engine::store::local::LocalStore;
use onioncloud::core::{Env, GenericResource, Output};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// Declares `count` resources with random dependencies, from `seed`.
fn random_env(
    seed: u64,
    count: usize,
) -> impl FnOnce(&mut Env) -> Result<(), String> {
    move |env: &mut Env| {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut ids: Vec<Output<String>> = Vec::new();
        for i in 0..count {
            let mut resource = GenericResource::new("simx_node")
                .set("size", i as i64)
                .set("label", format!("node-{i}"));
            let parents = if ids.is_empty() {
                0
            } else {
                rng.random_range(0..3)
            };
            for p in 0..parents {
                let parent = rng.random_range(0..ids.len());
                resource = resource.input::<String>(
                    &format!("parent_{p}"),
                    ids[parent].clone(),
                );
            }
            let handle = env.add(format!("n{i:03}"), resource);
            ids.push(handle.id());
        }
        Ok(())
    }
}

/// A child: the command line on the random environment.
fn child(spec: &str) -> ! {
    let (seed, rest) = spec.split_once(' ').expect("seed and arguments");
    let seed: u64 = seed.parse().expect("a seed");
    let count: usize = std::env::var("ONIONCLOUD_CHILD_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(200);
    let args = ["chaos", "--environment", "chaos"]
        .into_iter()
        .map(str::to_owned)
        .chain(rest.split(' ').map(str::to_owned));
    let cli = Cli::parse_from(args);
    let mut out = std::io::stdout();
    let code = match run(cli, random_env(seed, count), &mut out) {
        Ok(code) => i32::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            1
        }
    };
    std::process::exit(code)
}

/// One sandbox: a state directory and a simulated cloud.
struct Sandbox {
    _dir: tempfile::TempDir,
    state: PathBuf,
    cloud: PathBuf,
    seed: u64,
    count: usize,
}

impl Sandbox {
    fn new(seed: u64, count: usize, sim: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let state = dir.path().join("state");
        let cloud = dir.path().join("cloud");
        std::fs::create_dir_all(&cloud).unwrap();
        std::fs::write(cloud.join("sim.json"), sim).unwrap();
        Self {
            _dir: dir,
            state,
            cloud,
            seed,
            count,
        }
    }

    fn command(&self, args: &str, env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .env(
                "ONIONCLOUD_CHILD",
                format!(
                    "{} --provider sim --state-dir {} --sim-dir {} {args}",
                    self.seed,
                    self.state.display(),
                    self.cloud.display()
                ),
            )
            .env("ONIONCLOUD_CHILD_COUNT", self.count.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        command
    }

    fn spawn(&self, args: &str, env: &[(&str, &str)]) -> Child {
        self.command(args, env).spawn().expect("the child starts")
    }

    fn run(&self, args: &str) -> (ExitStatus, String, String) {
        let output = self.command(args, &[]).output().expect("the child runs");
        (
            output.status,
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn state(&self) -> Option<StateDoc> {
        let store = LocalStore::new(&self.state);
        runtime().block_on(store.read()).expect("the state reads")
    }

    /// Checks the invariants after convergence: every live object is in
    /// the state exactly once, nothing is pending, and the plan is empty.
    fn check_converged(&self, what: &str) {
        let state = self.state().expect("a state exists");
        assert!(
            state.pending.is_empty(),
            "{what}: pending operations left: {:?}",
            state.pending
        );
        let cloud = SimCloud::open(&self.cloud, SimConfig::default())
            .expect("the cloud opens");
        let live = cloud.live_objects().expect("the cloud lists");
        let ids: std::collections::BTreeSet<&str> =
            state.resources.values().map(|r| r.id.as_str()).collect();
        let orphans: Vec<&str> = live
            .iter()
            .map(|o| o.id.as_str())
            .filter(|id| !ids.contains(id))
            .collect();
        assert!(orphans.is_empty(), "{what}: orphaned objects {orphans:?}");
        assert_eq!(
            live.len(),
            self.count,
            "{what}: {} live objects for {} resources (duplicates?)",
            live.len(),
            self.count
        );
        assert_eq!(state.resources.len(), self.count, "{what}: state size");
        let (status, out, err) = self.run("plan --detailed-exitcode");
        assert_eq!(
            status.code(),
            Some(0),
            "{what}: the plan after convergence is not empty:\n{out}\n{err}"
        );
    }

    /// Applies until it succeeds; returns how many applies it took.
    fn converge(&self, what: &str) -> usize {
        for attempt in 1..=2 {
            let (status, out, err) = self.run("apply --auto-approve");
            if status.success() {
                return attempt;
            }
            eprintln!("{what}: apply {attempt} failed:\n{out}\n{err}");
        }
        panic!("{what}: did not converge in two applies");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn kill_trials(trials: u64) {
    let sim = r#"{"latency_ms": 4, "jitter_ms": 8}"#;
    let mut applies = [0usize; 3];
    let (mut midway, mut with_pending) = (0, 0);
    for trial in 0..trials {
        let mut rng = StdRng::seed_from_u64(0xC4A05 + trial);
        let sandbox = Sandbox::new(trial, 200, sim);
        let what;
        // Alternate: a kill at a random moment, a crash between the
        // cloud's reply and the state write, a crash in the middle of a
        // journal or state write.
        match trial % 4 {
            0 | 1 => {
                let delay = rng.random_range(20..600);
                what = format!("trial {trial}: kill -9 after {delay} ms");
                let mut child = sandbox.spawn("apply --auto-approve", &[]);
                std::thread::sleep(Duration::from_millis(delay));
                let _ = child.kill();
                let _ = child.wait();
            }
            2 => {
                let n = rng.random_range(1..200);
                what = format!("trial {trial}: crash after create {n}");
                let point = format!("after-create:{n}");
                let status = sandbox
                    .command(
                        "apply --auto-approve",
                        &[("ONIONCLOUD_SIM_CRASH", &point)],
                    )
                    .status()
                    .unwrap();
                assert!(!status.success(), "{what}: the child did not crash");
            }
            _ => {
                let n = rng.random_range(1..300);
                let point = if n % 2 == 0 {
                    format!("journal-append:{n}")
                } else {
                    format!("state-write:{}", n % 3 + 1)
                };
                what = format!("trial {trial}: crash in {point}");
                let _ = sandbox
                    .command(
                        "apply --auto-approve",
                        &[("ONIONCLOUD_CRASH_POINT", &point)],
                    )
                    .status()
                    .unwrap();
            }
        }
        // What the crash left: objects in the cloud, operations pending.
        let cloud = SimCloud::open(&sandbox.cloud, SimConfig::default())
            .expect("the cloud opens");
        let live = cloud.live_objects().expect("the cloud lists").len();
        let state = sandbox.state();
        let pending = state.as_ref().map_or(0, |s| s.pending.len());
        let recorded = state.as_ref().map_or(0, |s| s.resources.len());
        assert!(
            live >= recorded,
            "{what}: the state records {recorded} objects, the cloud has \
             {live}"
        );
        if live > 0 && live < sandbox.count {
            midway += 1;
        }
        if pending > 0 {
            with_pending += 1;
        }
        let took = sandbox.converge(&what);
        applies[took] += 1;
        sandbox.check_converged(&what);
    }
    println!(
        "kill trials: {trials} passed; killed midway: {midway}, with \
         operations pending: {with_pending}; converged in one apply: {}, in \
         two: {}",
        applies[1], applies[2]
    );
    // The battery is only worth something if crashes land mid-apply.
    assert!(
        midway * 2 >= trials as usize,
        "only {midway} of {trials} trials crashed midway"
    );
}

fn signals() {
    // Slow operations: 1.5 s each, 4 at a time, 12 resources.
    let sandbox =
        Sandbox::new(7, 12, r#"{"latency_ms": 1500, "jitter_ms": 0}"#);
    let mut child = sandbox.spawn("apply --auto-approve --parallelism 4", &[]);
    std::thread::sleep(Duration::from_millis(700));
    let sent = Instant::now();
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err)
        .unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out)
        .unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "exit code after SIGINT:\n{out}\n{err}"
    );
    assert!(out.contains("Apply interrupted."), "{out}");
    assert!(out.contains("not started:"), "{out}");
    // In flight: at most one 1.5 s operation, plus one second.
    assert!(
        took < Duration::from_millis(2500 + 500),
        "the child took {took:?} to stop after SIGINT"
    );
    // The lock is released and what was done is recorded.
    let state = sandbox.state().expect("a state");
    assert!(state.pending.is_empty(), "{:?}", state.pending);
    assert!(
        !state.resources.is_empty() && state.resources.len() < 12,
        "{} resources recorded",
        state.resources.len()
    );
    let (status, _, err) = sandbox.run("state list");
    assert!(status.success(), "the lock was not released: {err}");
    sandbox.converge("after SIGINT");
    sandbox.check_converged("after SIGINT");

    // A second signal exits at once, and the state is still whole.
    let sandbox =
        Sandbox::new(8, 12, r#"{"latency_ms": 3000, "jitter_ms": 0}"#);
    let mut child = sandbox.spawn("apply --auto-approve --parallelism 4", &[]);
    std::thread::sleep(Duration::from_millis(700));
    let pid = child.id().to_string();
    for _ in 0..2 {
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    sandbox.converge("after two SIGINTs");
    sandbox.check_converged("after two SIGINTs");
    println!("signals: passed");
}

fn locks() {
    let sandbox = Sandbox::new(9, 8, r#"{"latency_ms": 1000, "jitter_ms": 0}"#);
    let mut first = sandbox.spawn("apply --auto-approve --parallelism 1", &[]);
    // Wait until the first holds the lock (its state directory appears).
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sandbox.state.join("lock").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let others: Vec<Child> = (0..3)
        .map(|_| sandbox.spawn("apply --auto-approve", &[]))
        .collect();
    for other in others {
        let output = other.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{err}");
        assert!(
            err.contains("locked by") && err.contains("since"),
            "a concurrent apply did not report the lock: {err}"
        );
    }
    assert!(first.wait().unwrap().success());
    sandbox.check_converged("after concurrent applies");
    println!("locks: passed");
}

/// `apply --json` writes only JSON lines to standard output, ending with
/// a summary; and an interrupt while the apply waits for confirmation
/// cancels it at once, with nothing changed.
fn json_and_prompt() {
    let sandbox = Sandbox::new(11, 30, r#"{"latency_ms": 2, "jitter_ms": 2}"#);
    let (status, out, err) = sandbox.run("apply --auto-approve --json");
    assert!(status.success(), "{out}\n{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
        })
        .collect();
    let finished = lines.iter().filter(|l| l["event"] == "finished").count();
    assert_eq!(finished, 30, "{out}");
    let last = lines.last().expect("a summary");
    assert_eq!(last["event"], "summary");
    assert_eq!(last["complete"], true);
    let (status, _, err) = sandbox.run("apply --json");
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("--json needs --auto-approve"), "{err}");

    let sandbox = Sandbox::new(12, 5, r#"{"latency_ms": 0, "jitter_ms": 0}"#);
    let child = sandbox
        .command("apply", &[])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the prompt.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sandbox.state.join("lock").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(
        err.contains("Interrupted before any change was made"),
        "{err}"
    );
    let cloud = SimCloud::open(&sandbox.cloud, SimConfig::default()).unwrap();
    assert_eq!(cloud.count().unwrap(), 0);
    println!("json stream and prompt: passed");
}

fn main() {
    if let Ok(spec) = std::env::var("ONIONCLOUD_CHILD") {
        child(&spec);
    }
    let trials = std::env::var("ONIONCLOUD_CHAOS_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(50);
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| {
        filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()))
    };
    if wanted("locks") {
        locks();
    }
    if wanted("json") {
        json_and_prompt();
    }
    if wanted("signals") {
        signals();
    }
    if wanted("kill") {
        kill_trials(trials);
    }
    let _ = Path::new(".");
}
