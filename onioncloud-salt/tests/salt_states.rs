//! Checks the typed state builders and every requisite kind against a real
//! `salt-call`.
//!
//! Salt is found through `ONIONCLOUD_SALT_CALL`, then
//! `$HOME/.cache/onioncloud/tools/venv/bin/salt-call`, then `PATH`. Without
//! it each test prints `SKIPPED: …` and passes, unless
//! `ONIONCLOUD_REQUIRE_TOOLS=1`, which turns the absence into a failure.
//!
//! Real applies only touch a temporary sandbox directory.

mod support;

use support::salt_call_or_skip;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use onioncloud_salt::runner::{SaltCall, StateResult};
use onioncloud_salt::{
    ArchiveExtracted, ArchiveFormat, CmdRun, CronAbsent, CronPresent,
    CronSpecial, FileAbsent, FileDirectory, FileLine, FileManaged, FileSymlink,
    FileTouch, FirewalldPresent, GitLatest, GroupAbsent, GroupPresent,
    IpFamily, IptablesAppend, IptablesTable, LineLocation, LineMode,
    MountMounted, PipInstalled, PkgInstalled, PkgLatest, PkgRemoved, Protocol,
    Requisite, Role, SaltTree, ServiceDead, ServiceEnabled, ServiceRunning,
    State, SysctlPresent, TimezoneSystem, UserAbsent, UserPresent,
};

fn text(path: &Path) -> String {
    path.display().to_string()
}

fn runner_for(program: &Path, role: &Role) -> SaltCall {
    let mut tree = SaltTree::new();
    tree.assign("m1", role);
    let files = tree.render().expect("tree renders");
    SaltCall::new(program, &files, "m1").expect("scratch tree")
}

fn print_results(results: &[StateResult]) {
    for result in results {
        eprintln!(
            "  {} {} {:?} {}",
            result.function,
            result.id,
            result.result,
            result.comment.lines().next().unwrap_or_default()
        );
    }
}

/// One state of every typed builder, each with its optional arguments set.
/// Paths point into `sandbox`; nothing here is applied for real.
fn every_builder(sandbox: &Path) -> Vec<State> {
    let path = |name: &str| text(&sandbox.join(name));
    vec![
        FileManaged::new(path("managed"))
            .contents("line\n")
            .mode(0o640)
            .user("root")
            .group("root")
            .makedirs(true)
            .replace(false)
            .into(),
        FileManaged::new(path("sourced"))
            .id("sourced")
            .source("https://example.org/file")
            .source_hash("sha256=00")
            .into(),
        FileDirectory::new(path("dir"))
            .mode(0o2750)
            .user("root")
            .group("root")
            .makedirs(true)
            .clean(false)
            .into(),
        FileSymlink::new(path("link"), "managed")
            .force(true)
            .makedirs(true)
            .user("root")
            .group("root")
            .into(),
        FileAbsent::new(path("gone")).into(),
        FileTouch::new(path("touched")).makedirs(true).into(),
        FileLine::new(path("managed"), "key = value", LineMode::Insert)
            .id("line-insert")
            .location(LineLocation::End)
            .create(true)
            .indent(false)
            .file_mode(0o600)
            .user("root")
            .group("root")
            .into(),
        FileLine::new(path("managed"), "key = other", LineMode::Replace)
            .id("line-replace")
            .matching("^key =")
            .into(),
        FileLine::new(path("managed"), "[section]", LineMode::Ensure)
            .id("line-ensure")
            .before("^end$")
            .after("^start$")
            .into(),
        FileLine::new(path("managed"), "obsolete", LineMode::Delete)
            .id("line-delete")
            .into(),
        UserPresent::new("onioncloud-probe")
            .uid(4242)
            .gid(4242)
            .home(path("home"))
            .shell("/bin/sh")
            .fullname("Probe User")
            .groups(["onioncloud-probe"])
            .system(true)
            .createhome(false)
            .into(),
        UserAbsent::new("onioncloud-gone")
            .purge(true)
            .force(false)
            .into(),
        GroupPresent::new("onioncloud-probe")
            .id("group-probe")
            .gid(4242)
            .system(true)
            .members(["root"])
            .into(),
        GroupPresent::new("onioncloud-editors")
            .addusers(["root"])
            .delusers(["nobody"])
            .into(),
        GroupAbsent::new("onioncloud-gone").id("group-gone").into(),
        PkgInstalled::new("onioncloud-pkg")
            .version("1.0")
            .refresh(false)
            .fromrepo("stable")
            .into(),
        PkgRemoved::new("onioncloud-removed").version("2.0").into(),
        PkgLatest::new("onioncloud-latest")
            .refresh(false)
            .fromrepo("stable")
            .into(),
        ServiceRunning::new("onioncloud-svc")
            .enable(true)
            .reload(true)
            .into(),
        ServiceDead::new("onioncloud-dead").enable(false).into(),
        ServiceEnabled::new("onioncloud-enabled").into(),
        CmdRun::new("echo hello")
            .id("command")
            .creates(path("created"))
            .unless("false")
            .onlyif("true")
            .cwd(text(sandbox))
            .runas("root")
            .into(),
        CronPresent::new("/usr/local/bin/backup --all")
            .id("cron-backup")
            .user("root")
            .minute("*/5")
            .hour("2")
            .daymonth("1-15")
            .month("*")
            .dayweek("1-5")
            .identifier("backup")
            .comment("nightly backup")
            .commented(false)
            .into(),
        CronPresent::new("/usr/local/bin/boot")
            .id("cron-boot")
            .special(CronSpecial::Reboot)
            .into(),
        CronAbsent::new("/usr/local/bin/old")
            .id("cron-old")
            .user("root")
            .identifier("old")
            .special(CronSpecial::Hourly)
            .into(),
        SysctlPresent::new("vm.swappiness", 10)
            .config(path("sysctl.conf"))
            .into(),
        SysctlPresent::new("net.ipv4.tcp_rmem", "4096 87380 6291456").into(),
        MountMounted::new(path("mnt"), "/dev/vdb1", "ext4")
            .opts(["noatime", "nodev"])
            .persist(false)
            .mkmnt(true)
            .dump(0)
            .pass_num(2)
            .config(path("fstab"))
            .into(),
        GitLatest::new("https://example.org/app.git", path("app"))
            .id("app-checkout")
            .rev("v1.2")
            .branch("deploy")
            .depth(1)
            .user("root")
            .force_reset(true)
            .force_clone(false)
            .into(),
        ArchiveExtracted::new(path("opt"), "https://example.org/app.tar.gz")
            .source_hash("sha256=00")
            .skip_verify(false)
            .archive_format(ArchiveFormat::Tar)
            .enforce_toplevel(false)
            .user("root")
            .group("root")
            .if_missing(path("opt/app"))
            .into(),
        PipInstalled::new("requests==2.32.3")
            .bin_env(path("venv"))
            .upgrade(false)
            .user("root")
            .index_url("https://pypi.example.org/simple")
            .into(),
        PipInstalled::pkgs("pip-tools", ["flask", "gunicorn"])
            .requirements(path("requirements.txt"))
            .upgrade(true)
            .into(),
        TimezoneSystem::new("Etc/UTC").utc(true).into(),
        IptablesAppend::new("allow-ssh", "INPUT", "ACCEPT")
            .table(IptablesTable::Filter)
            .family(IpFamily::Ipv4)
            .proto(Protocol::Tcp)
            .dport(22)
            .source("10.0.0.0/8")
            .save(true)
            .comment("ssh from inside")
            .into(),
        IptablesAppend::new("allow-range", "INPUT", "ACCEPT")
            .proto(Protocol::Udp)
            .dport_range(60000, 61000)
            .into(),
        FirewalldPresent::new("public")
            .services(["ssh", "https"])
            .ports(["8080/tcp", "60000-61000/udp"])
            .prune_services(false)
            .prune_ports(true)
            .interfaces(["eth0"])
            .sources(["10.0.0.0/8"])
            .masquerade(false)
            .default_zone(true)
            .into(),
    ]
}

/// `(function, arguments)` of one state in `state.show_sls` output, with
/// Salt's own additions (`order`, `__sls__`, `__env__`) left out.
fn shown(
    sls: &serde_json::Value,
    id: &str,
) -> (String, BTreeMap<String, serde_json::Value>) {
    let body = sls
        .get(id)
        .and_then(serde_json::Value::as_object)
        .unwrap_or_else(|| panic!("show_sls has no state `{id}`: {sls}"));
    let mut modules = body.iter().filter(|(key, _)| !key.starts_with("__"));
    let (module, entries) = modules.next().expect("state has a module");
    assert!(modules.next().is_none(), "`{id}` has several modules");
    let mut function = None;
    let mut args = BTreeMap::new();
    for entry in entries.as_array().expect("state body is a list") {
        match entry {
            serde_json::Value::String(name) => function = Some(name.clone()),
            serde_json::Value::Object(arg) => {
                for (key, value) in arg {
                    if key != "order" {
                        args.insert(key.clone(), value.clone());
                    }
                }
            }
            other => panic!("unexpected entry {other} in `{id}`"),
        }
    }
    let function = function.expect("state has a function");
    (format!("{module}.{function}"), args)
}

/// What `state.show_sls` should report for a state: its arguments and its
/// requisites, `{keyword: [{module: id}…]}`.
fn expected(state: &State) -> BTreeMap<String, serde_json::Value> {
    let mut args: BTreeMap<String, serde_json::Value> = state
        .args()
        .iter()
        .map(|(name, value)| (name.clone(), value.to_json()))
        .collect();
    for kind in Requisite::ALL {
        let targets: Vec<serde_json::Value> = state
            .requisites()
            .iter()
            .filter(|(candidate, _)| *candidate == kind)
            .map(
                |(_, target)| serde_json::json!({target.module(): target.id()}),
            )
            .collect();
        if !targets.is_empty() {
            args.insert(kind.keyword().to_owned(), targets.into());
        }
    }
    args
}

#[test]
fn every_builder_compiles_with_the_arguments_given() {
    let Some(program) = salt_call_or_skip("every_builder_compiles") else {
        return;
    };
    let sandbox = tempfile::tempdir().expect("sandbox");
    let states = every_builder(sandbox.path());
    let mut role = Role::new("builders");
    for state in &states {
        role.add(state.clone());
    }
    let runner = runner_for(&program, &role);
    let sls = runner.show_sls("roles.builders").expect("show_sls");
    let ids: Vec<&str> = states.iter().map(State::id).collect();
    let mut shown_ids: Vec<&str> = sls
        .as_object()
        .expect("show_sls is a map")
        .keys()
        .map(String::as_str)
        .collect();
    shown_ids.sort_unstable();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort_unstable();
    assert_eq!(shown_ids, sorted_ids, "show_sls has exactly the states");
    for state in &states {
        let (function, args) = shown(&sls, state.id());
        assert_eq!(function, state.function(), "function of `{}`", state.id());
        assert_eq!(args, expected(state), "arguments of `{}`", state.id());
    }
}

#[test]
fn every_requisite_kind_compiles_as_written() {
    let Some(program) = salt_call_or_skip("every_requisite_compiles") else {
        return;
    };
    let mut role = Role::new("requisites");
    let first = role.add(CmdRun::new("true").id("first"));
    let second = role.add(FileAbsent::new("/nonexistent/onioncloud"));
    let later = role.add(CmdRun::new("true").id("later"));
    // Ordered after `first` and `second`, before `later`: the requisites
    // that put `holder` first point at `later`, so that there is no cycle,
    // which Salt would refuse when applying.
    let holder = State::new("holder", "test.nop")
        .require(&first)
        .watch(&first)
        .onchanges(&first)
        .onfail(&first)
        .prereq(&later)
        .uses(&first)
        .listen(&first)
        .required_by(&later)
        .watched_by(&later)
        .triggers(&later)
        .on_failure_triggers(&later)
        .prerequisite_of(&first)
        .used_by(&later)
        .listened_by(&later)
        .require_any(&[&first, &second])
        .watch_any(&[&first, &second])
        .onchanges_any(&[&first, &second])
        .onfail_any(&[&first, &second])
        .onfail_all(&[&first, &second]);
    role.add(holder.clone());
    let runner = runner_for(&program, &role);
    let sls = runner.show_sls("roles.requisites").expect("show_sls");
    let (function, args) = shown(&sls, "holder");
    assert_eq!(function, "test.nop");
    let keywords: Vec<&str> = args.keys().map(String::as_str).collect();
    let mut all: Vec<&str> =
        Requisite::ALL.iter().map(|kind| kind.keyword()).collect();
    all.sort_unstable();
    assert_eq!(keywords, all);
    assert_eq!(args, expected(&holder));
    assert_eq!(
        args["onchanges_any"],
        serde_json::json!([
            {"cmd": "first"},
            {"file": "/nonexistent/onioncloud"}
        ])
    );
}

/// Every builder whose Salt module loads on a plain machine, applied with
/// `test=True`. Left out because their modules need programs a test machine
/// does not have: `cron.*` (`crontab`), `timezone.system` (a running
/// systemd), `iptables.append` and `firewalld.present`; the compile test
/// above covers them.
#[test]
fn builders_safe_in_test_mode_pass_a_test_apply() {
    let Some(program) = salt_call_or_skip("builders_test_mode") else {
        return;
    };
    let sandbox = tempfile::tempdir().expect("sandbox");
    let path = |name: &str| text(&sandbox.path().join(name));
    std::fs::write(sandbox.path().join("config"), "start\nend\n").unwrap();
    let inputs = tempfile::tempdir().expect("inputs");
    let archive = inputs.path().join("archive.tar");
    std::fs::create_dir(inputs.path().join("app")).unwrap();
    std::fs::write(inputs.path().join("app/file"), "x\n").unwrap();
    let status = std::process::Command::new("tar")
        .arg("-cf")
        .arg(&archive)
        .arg("-C")
        .arg(inputs.path())
        .arg("app")
        .status()
        .expect("tar runs");
    assert!(status.success());
    let repository = inputs.path().join("repository");
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(["-c", "init.defaultBranch=main", "-C"])
            .arg(&repository)
            .args(args)
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    std::fs::create_dir(&repository).unwrap();
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "first"]);
    let mut role = Role::new("safe");
    let dir = role.add(FileDirectory::new(path("dir")).mode(0o750));
    role.add(
        FileManaged::new(path("dir/managed"))
            .contents("hello\n")
            .mode(0o640)
            .require(&dir),
    );
    role.add(FileSymlink::new(path("link"), path("config")).force(true));
    role.add(FileAbsent::new(path("gone")));
    role.add(FileTouch::new(path("touched")));
    role.add(
        FileLine::new(path("config"), "middle", LineMode::Ensure)
            .after("^start$")
            .before("^end$"),
    );
    role.add(UserPresent::new("onioncloud-probe").system(true));
    role.add(UserAbsent::new("onioncloud-never-existed"));
    role.add(GroupPresent::new("onioncloud-probe").system(true));
    role.add(GroupAbsent::new("onioncloud-never-existed").id("no-group"));
    role.add(PkgInstalled::new("nginx").refresh(false));
    role.add(PkgRemoved::new("onioncloud-not-a-package"));
    role.add(
        CmdRun::new("touch never-run")
            .id("command")
            .cwd(text(sandbox.path())),
    );
    role.add(
        ArchiveExtracted::new(path("extracted"), text(&archive))
            .archive_format(ArchiveFormat::Tar)
            .skip_verify(true)
            .enforce_toplevel(false),
    );
    role.add(SysctlPresent::new("vm.swappiness", 10).config(path("sysctl")));
    role.add(ServiceRunning::new("onioncloud-svc").enable(true));
    role.add(ServiceDead::new("onioncloud-dead"));
    role.add(ServiceEnabled::new("onioncloud-enabled"));
    role.add(PkgLatest::new("nginx").id("nginx-latest").refresh(false));
    // pip itself is installed in the environment running Salt.
    let salt_env = program.parent().and_then(Path::parent).expect("venv");
    role.add(PipInstalled::new("pip").bin_env(text(salt_env)));
    role.add(
        MountMounted::new(path("mnt"), "tmpfs", "tmpfs")
            .persist(false)
            .mkmnt(true),
    );
    role.add(
        GitLatest::new(text(&repository), path("checkout"))
            .rev("main")
            .depth(1),
    );
    let runner = runner_for(&program, &role);
    let results = runner.apply_test(None).expect("state.apply test=True");
    print_results(&results);
    assert_eq!(results.len(), role.states().len(), "{results:#?}");
    let failed: Vec<&StateResult> = results
        .iter()
        .filter(|result| result.result == Some(false))
        .collect();
    assert!(failed.is_empty(), "failed states: {failed:#?}");
    // Test mode changed nothing.
    let left: Vec<_> = std::fs::read_dir(sandbox.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(left, ["config"]);
    assert_eq!(
        std::fs::read_to_string(sandbox.path().join("config")).unwrap(),
        "start\nend\n"
    );
}

fn by_id(results: &[StateResult]) -> BTreeMap<&str, &StateResult> {
    results
        .iter()
        .map(|result| (result.id.as_str(), result))
        .collect()
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn file_states_converge_for_real() {
    let Some(program) = salt_call_or_skip("file_states_converge") else {
        return;
    };
    let sandbox = tempfile::tempdir().expect("sandbox");
    let root = sandbox.path();
    let path = |name: &str| text(&root.join(name));
    std::fs::write(root.join("obsolete"), "old\n").unwrap();
    std::fs::create_dir_all(root.join("stale/inner")).unwrap();
    std::fs::write(root.join("stale/inner/file"), "x\n").unwrap();

    let mut role = Role::new("files");
    let dir = role.add(
        FileDirectory::new(path("etc/app"))
            .id("app-dir")
            .mode(0o750)
            .makedirs(true),
    );
    let config = role.add(
        FileManaged::new(path("etc/app/app.conf"))
            .id("app-config")
            .contents("[main]\nport = 80\nend\n")
            .mode(0o640)
            // Created once; the line states below own it from then on.
            .replace(false)
            .require(&dir),
    );
    role.add(
        FileSymlink::new(path("current.conf"), "etc/app/app.conf")
            .id("app-link")
            .require(&config),
    );
    role.add(
        FileLine::new(
            path("etc/app/app.conf"),
            "port = 8080",
            LineMode::Replace,
        )
        .id("app-port")
        .matching("^port = ")
        .require(&config),
    );
    role.add(
        FileLine::new(path("etc/app/app.conf"), "debug = no", LineMode::Ensure)
            .id("app-debug")
            .after("^\\[main\\]$")
            .require(&config),
    );
    role.add(
        FileLine::new(path("etc/app/app.conf"), "# managed", LineMode::Insert)
            .id("app-banner")
            .before("^\\[main\\]$")
            .require(&config),
    );
    role.add(
        FileLine::new(path("etc/app/app.conf"), "end", LineMode::Delete)
            .id("app-end")
            .require(&config),
    );
    role.add(FileAbsent::new(path("obsolete")).id("obsolete"));
    role.add(FileAbsent::new(path("stale")).id("stale"));
    let runner = runner_for(&program, &role);

    let first = runner.apply(None).expect("state.apply");
    print_results(&first);
    assert_eq!(first.len(), 9, "{first:#?}");
    for result in &first {
        assert_eq!(result.result, Some(true), "{result:#?}");
    }
    let states = by_id(&first);
    for id in [
        "app-dir",
        "app-config",
        "app-link",
        "app-port",
        "app-debug",
        "app-banner",
        "app-end",
        "obsolete",
        "stale",
    ] {
        assert!(states[id].has_changes(), "{:#?}", states[id]);
    }
    let config_file = root.join("etc/app/app.conf");
    assert_eq!(
        std::fs::read_to_string(&config_file).unwrap(),
        "# managed\n[main]\ndebug = no\nport = 8080\n"
    );
    assert_eq!(
        std::fs::read_link(root.join("current.conf")).unwrap(),
        Path::new("etc/app/app.conf")
    );
    assert!(!root.join("obsolete").exists());
    assert!(!root.join("stale").exists());
    #[cfg(unix)]
    {
        assert_eq!(mode_of(&root.join("etc/app")), 0o750);
        assert_eq!(mode_of(&config_file), 0o640);
    }

    // Everything is in place: a second run changes nothing.
    let second = runner.apply(None).expect("state.apply");
    print_results(&second);
    let changed: Vec<&str> = second
        .iter()
        .filter(|result| result.has_changes())
        .map(|result| result.id.as_str())
        .collect();
    assert!(second.iter().all(|result| result.result == Some(true)));
    assert_eq!(changed, Vec::<&str>::new(), "{second:#?}");
}

/// A scenario's sandbox: its states log their names, one a line, to a
/// file, so the test sees what ran and in which order.
struct Log {
    prefix: String,
    path: PathBuf,
}

impl Log {
    fn new(sandbox: &Path, prefix: &str) -> Self {
        Log {
            prefix: prefix.to_owned(),
            path: sandbox.join(format!("{prefix}.log")),
        }
    }

    fn id(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    fn echo(&self, name: &str) -> String {
        format!("echo {name} >> '{}'", self.path.display())
    }

    /// `cmd.run` logging `name`.
    fn run(&self, name: &str) -> CmdRun {
        CmdRun::new(self.echo(name)).id(self.id(name))
    }

    /// `cmd.run` that succeeds without changes (its `unless` holds).
    fn unchanged(&self, name: &str) -> CmdRun {
        self.run(name).unless("true")
    }

    /// `cmd.run` that logs `name` and fails.
    fn fail(&self, name: &str) -> CmdRun {
        CmdRun::new(format!("{}; exit 1", self.echo(name))).id(self.id(name))
    }

    /// `cmd.wait`, which does nothing unless a `watch` or `listen` fires.
    fn wait(&self, name: &str) -> State {
        State::new(self.id(name), "cmd.wait").arg("name", self.echo(name))
    }

    fn lines(&self) -> Vec<String> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => text.lines().map(str::to_owned).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Checks a scenario's log: `ran` in that order (other lines may be
/// interleaved), none of `skipped`.
fn assert_log(log: &Log, ran: &[&str], skipped: &[&str]) {
    let lines = log.lines();
    let mut position = 0;
    for name in ran {
        match lines[position..].iter().position(|line| line == name) {
            Some(offset) => position += offset + 1,
            None => panic!(
                "{}: expected `{name}` (in order {ran:?}) in {lines:?}",
                log.prefix
            ),
        }
    }
    for name in skipped {
        assert!(
            !lines.iter().any(|line| line == name),
            "{}: `{name}` should not have run: {lines:?}",
            log.prefix
        );
    }
}

/// One role per requisite kind and direction. Forward forms declare the
/// targets first and the requisite on the dependent state; reverse (`_in`)
/// forms declare the dependent states first and the requisite on the
/// targets, so Salt must reorder them.
struct Scenarios {
    roles: Vec<Role>,
    checks: Vec<Box<dyn Fn()>>,
}

impl Scenarios {
    fn require(&mut self, sandbox: &Path, forward: bool) {
        let log =
            Log::new(sandbox, if forward { "require" } else { "require-in" });
        let mut role = Role::new(log.prefix.clone());
        if forward {
            let changed = role.add(log.run("changed"));
            let failed = role.add(log.fail("failed"));
            role.add(log.run("after_changed").require(&changed));
            role.add(log.run("after_failed").require(&failed));
        } else {
            let after_changed = role.add(log.run("after_changed"));
            let after_failed = role.add(log.run("after_failed"));
            role.add(log.run("changed").required_by(&after_changed));
            role.add(log.fail("failed").required_by(&after_failed));
        }
        self.roles.push(role);
        self.checks.push(Box::new(move || {
            assert_log(&log, &["changed", "after_changed"], &["after_failed"]);
            assert_log(&log, &["failed"], &[]);
        }));
    }

    fn watch(&mut self, sandbox: &Path, forward: bool) {
        let log = Log::new(sandbox, if forward { "watch" } else { "watch-in" });
        let mut role = Role::new(log.prefix.clone());
        if forward {
            let changed = role.add(log.run("changed"));
            let unchanged = role.add(log.unchanged("unchanged"));
            let failed = role.add(log.fail("failed"));
            role.add(log.wait("on_changed").watch(&changed));
            role.add(log.wait("on_unchanged").watch(&unchanged));
            role.add(log.wait("on_failed").watch(&failed));
        } else {
            let on_changed = role.add(log.wait("on_changed"));
            let on_unchanged = role.add(log.wait("on_unchanged"));
            let on_failed = role.add(log.wait("on_failed"));
            role.add(log.run("changed").watched_by(&on_changed));
            role.add(log.unchanged("unchanged").watched_by(&on_unchanged));
            role.add(log.fail("failed").watched_by(&on_failed));
        }
        self.roles.push(role);
        self.checks.push(Box::new(move || {
            assert_log(
                &log,
                &["changed", "on_changed"],
                &["unchanged", "on_unchanged", "on_failed"],
            );
        }));
    }

    fn onchanges(&mut self, sandbox: &Path, forward: bool) {
        let log = Log::new(
            sandbox,
            if forward { "onchanges" } else { "onchanges-in" },
        );
        let mut role = Role::new(log.prefix.clone());
        if forward {
            let changed = role.add(log.run("changed"));
            let unchanged = role.add(log.unchanged("unchanged"));
            role.add(log.run("on_changed").onchanges(&changed));
            role.add(log.run("on_unchanged").onchanges(&unchanged));
        } else {
            let on_changed = role.add(log.run("on_changed"));
            let on_unchanged = role.add(log.run("on_unchanged"));
            role.add(log.run("changed").triggers(&on_changed));
            role.add(log.unchanged("unchanged").triggers(&on_unchanged));
        }
        self.roles.push(role);
        self.checks.push(Box::new(move || {
            assert_log(&log, &["changed", "on_changed"], &["on_unchanged"]);
        }));
    }

    fn onfail(&mut self, sandbox: &Path, forward: bool) {
        let log =
            Log::new(sandbox, if forward { "onfail" } else { "onfail-in" });
        let mut role = Role::new(log.prefix.clone());
        if forward {
            let failed = role.add(log.fail("failed"));
            let succeeded = role.add(log.run("succeeded"));
            role.add(log.run("on_failed").onfail(&failed));
            role.add(log.run("on_succeeded").onfail(&succeeded));
        } else {
            let on_failed = role.add(log.run("on_failed"));
            let on_succeeded = role.add(log.run("on_succeeded"));
            role.add(log.fail("failed").on_failure_triggers(&on_failed));
            role.add(log.run("succeeded").on_failure_triggers(&on_succeeded));
        }
        self.roles.push(role);
        self.checks.push(Box::new(move || {
            assert_log(&log, &["failed", "on_failed"], &["on_succeeded"]);
            assert_log(&log, &["succeeded"], &[]);
        }));
    }

    fn prereq(&mut self, sandbox: &Path, forward: bool) {
        let log =
            Log::new(sandbox, if forward { "prereq" } else { "prereq-in" });
        let mut role = Role::new(log.prefix.clone());
        let fresh = sandbox.join(format!("{}-fresh", log.prefix));
        let stable = sandbox.join(format!("{}-stable", log.prefix));
        std::fs::write(&stable, "same\n").unwrap();
        let fresh_file = FileManaged::new(text(&fresh)).contents("new\n");
        let stable_file = FileManaged::new(text(&stable)).contents("same\n");
        // Logs `before_fresh` only while the fresh file does not exist yet.
        let before_fresh = CmdRun::new(format!(
            "if test -e '{}'; then echo too_late; else echo before_fresh; fi \
             >> '{}'",
            fresh.display(),
            log.path.display()
        ))
        .id(log.id("before_fresh"));
        let before_stable = log.run("before_stable");
        if forward {
            let fresh_file = role.add(fresh_file);
            let stable_file = role.add(stable_file);
            role.add(before_fresh.prereq(&fresh_file));
            role.add(before_stable.prereq(&stable_file));
        } else {
            let before_fresh = role.add(before_fresh);
            let before_stable = role.add(before_stable);
            role.add(fresh_file.prerequisite_of(&before_fresh));
            role.add(stable_file.prerequisite_of(&before_stable));
        }
        self.roles.push(role);
        self.checks.push(Box::new(move || {
            assert_eq!(log.lines(), ["before_fresh"], "{}", log.prefix);
            assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "new\n");
        }));
    }

    fn uses(&mut self, sandbox: &Path, forward: bool) {
        let prefix = if forward { "use" } else { "use-in" };
        let mut role = Role::new(prefix);
        let source = sandbox.join(format!("{prefix}-source"));
        let copy = sandbox.join(format!("{prefix}-copy"));
        let source_file = FileManaged::new(text(&source))
            .contents("shared\n")
            .mode(0o604);
        let copy_file = FileManaged::new(text(&copy));
        if forward {
            let source_file = role.add(source_file);
            role.add(copy_file.uses(&source_file));
        } else {
            let copy_file = role.add(copy_file);
            role.add(source_file.used_by(&copy_file));
        }
        self.roles.push(role);
        self.checks.push(Box::new(move || {
            for path in [&source, &copy] {
                assert_eq!(
                    std::fs::read_to_string(path).unwrap(),
                    "shared\n",
                    "{prefix}: {}",
                    path.display()
                );
                #[cfg(unix)]
                assert_eq!(
                    mode_of(path),
                    0o604,
                    "{prefix}: {}",
                    path.display()
                );
            }
        }));
    }

    fn listen(&mut self, sandbox: &Path, forward: bool) {
        let log =
            Log::new(sandbox, if forward { "listen" } else { "listen-in" });
        let mut role = Role::new(log.prefix.clone());
        if forward {
            let changed = role.add(log.run("changed"));
            let unchanged = role.add(log.unchanged("unchanged"));
            role.add(log.wait("on_changed").listen(&changed));
            role.add(log.wait("on_unchanged").listen(&unchanged));
        } else {
            let on_changed = role.add(log.wait("on_changed"));
            let on_unchanged = role.add(log.wait("on_unchanged"));
            role.add(log.run("changed").listened_by(&on_changed));
            role.add(log.unchanged("unchanged").listened_by(&on_unchanged));
        }
        // Declared last and without requisites: a listener still runs
        // after it, at the end of the run.
        role.add(log.run("last"));
        self.roles.push(role);
        self.checks.push(Box::new(move || {
            assert_log(
                &log,
                &["changed", "last", "on_changed"],
                &["on_unchanged"],
            );
            assert_eq!(
                log.lines().last().map(String::as_str),
                Some("on_changed")
            );
        }));
    }

    /// The `_any` forms, which have no reverse form.
    fn any(&mut self, sandbox: &Path) {
        let log = Log::new(sandbox, "any");
        let mut role = Role::new(log.prefix.clone());
        let changed = role.add(log.run("changed"));
        let unchanged = role.add(log.unchanged("unchanged"));
        let unchanged2 = role.add(log.unchanged("unchanged2"));
        let failed = role.add(log.fail("failed"));
        let failed2 = role.add(log.fail("failed2"));
        role.add(log.run("require_one_ok").require_any(&[&failed, &changed]));
        role.add(log.run("require_none_ok").require_any(&[&failed, &failed2]));
        role.add(log.run("require_all").require(&failed).require(&changed));
        role.add(
            log.wait("watch_one_changed")
                .watch_any(&[&unchanged, &changed]),
        );
        role.add(
            log.wait("watch_none_changed")
                .watch_any(&[&unchanged, &unchanged2]),
        );
        role.add(
            log.run("onchanges_one_changed")
                .onchanges_any(&[&unchanged, &changed]),
        );
        role.add(
            log.run("onchanges_none_changed")
                .onchanges_any(&[&unchanged, &unchanged2]),
        );
        role.add(
            log.run("onfail_one_failed")
                .onfail_any(&[&changed, &failed]),
        );
        role.add(
            log.run("onfail_none_failed")
                .onfail_any(&[&changed, &unchanged]),
        );
        self.roles.push(role);
        self.checks.push(Box::new(move || {
            for ran in [
                "require_one_ok",
                "watch_one_changed",
                "onchanges_one_changed",
                "onfail_one_failed",
            ] {
                assert_log(&log, &["changed", "failed", ran], &[]);
            }
            assert_log(
                &log,
                &[],
                &[
                    "require_none_ok",
                    "require_all",
                    "watch_none_changed",
                    "onchanges_none_changed",
                    "onfail_none_failed",
                ],
            );
        }));
    }
}

#[test]
fn every_requisite_kind_behaves_as_salt_documents() {
    let Some(program) = salt_call_or_skip("requisites_behave") else {
        return;
    };
    let sandbox = tempfile::tempdir().expect("sandbox");
    let root = sandbox.path();
    let mut scenarios = Scenarios {
        roles: Vec::new(),
        checks: Vec::new(),
    };
    for forward in [true, false] {
        scenarios.require(root, forward);
        scenarios.watch(root, forward);
        scenarios.onchanges(root, forward);
        scenarios.onfail(root, forward);
        scenarios.prereq(root, forward);
        scenarios.uses(root, forward);
        scenarios.listen(root, forward);
    }
    scenarios.any(root);

    let mut tree = SaltTree::new();
    for role in &scenarios.roles {
        tree.assign("m1", role);
    }
    let files = tree.render().expect("tree renders");
    let runner = SaltCall::new(&program, &files, "m1").expect("scratch tree");
    let results = runner.apply(None).expect("state.apply");
    print_results(&results);
    // Only the states written to fail did.
    for result in &results {
        let meant_to_fail =
            result.id.ends_with("-failed") || result.id.ends_with("-failed2");
        let failed = result.result == Some(false);
        let skipped_by_requisite = result.comment.contains("requisite");
        assert!(
            !failed || meant_to_fail || skipped_by_requisite,
            "{result:#?}"
        );
    }
    for check in &scenarios.checks {
        check();
    }
}
