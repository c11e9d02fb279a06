//! Applies rendered trees over SSH with a real `salt-ssh` against a real
//! OpenSSH server that each test starts on 127.0.0.1.
//!
//! Tools: `salt-ssh` (`ONIONCLOUD_SALT_SSH`, the tools venv, or `PATH`),
//! `sshd` (`ONIONCLOUD_SSHD`, `$HOME/.cache/onioncloud/tools/sshd/sshd` as
//! unpacked by `scripts/install-tools.sh`, or `PATH`) and the OpenSSH
//! client tools `ssh` and `ssh-keygen` on `PATH`. Without them each test
//! prints `SKIPPED: …` and passes, unless `ONIONCLOUD_REQUIRE_TOOLS=1`,
//! which turns the absence into a failure.
//!
//! Each server has a throwaway configuration, host key and authorized key
//! in a temporary directory and is killed when the test ends. It listens
//! on loopback only and accepts only that key. Salt runs on the target with
//! the system python: the roster's `set_path` is `/usr/bin:/bin`, so a
//! python a shell profile puts first on `PATH` (pyenv, say) is not used.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::sshd::{
    SshServer, Tools, current_user, free_port, keygen, tools_or_skip,
};

use onioncloud_salt::runner::{RunnerError, SaltRunner, StateResult};
use onioncloud_salt::ssh::{Roster, RosterEntry, SshRunner};
use onioncloud_salt::{CmdRun, FileDirectory, FileManaged, Role, SaltTree};

const MINION: &str = "target-1";

fn runner(tools: &Tools, entry: RosterEntry, known_hosts: &Path) -> SshRunner {
    let mut roster = Roster::new();
    roster.insert(MINION, entry).expect("valid roster entry");
    SshRunner::new(&tools.salt_ssh, roster, known_hosts)
        .with_timeout(Duration::from_secs(300))
}

/// A role that only touches files inside `sandbox`.
fn sandbox_tree(sandbox: &Path) -> BTreeMap<PathBuf, String> {
    let at = |name: &str| sandbox.join(name).display().to_string();
    let mut role = Role::new("sandbox");
    let directory = role.add(
        FileDirectory::new(at("conf"))
            .id("sandbox-conf")
            .mode(0o755)
            .makedirs(true),
    );
    role.add(
        FileManaged::new(at("conf/motd"))
            .id("sandbox-motd")
            .contents("hello over ssh\n")
            .mode(0o644)
            .require(&directory),
    );
    role.add(
        FileManaged::new(at("conf/app.ini"))
            .id("sandbox-app")
            // Strings YAML 1.1 would misread, and more than one line.
            .contents("enabled = yes\nport = 0644\n{{ not jinja }}\n")
            .mode(0o600)
            .require(&directory),
    );
    let mut tree = SaltTree::new();
    tree.assign(MINION, &role);
    tree.render().expect("tree renders")
}

fn describe(results: &[StateResult]) -> String {
    results
        .iter()
        .map(|result| {
            format!(
                "{} {} {:?} changes={} {}",
                result.id,
                result.function,
                result.result,
                result.changes,
                result.comment
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("file exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn a_role_converges_over_ssh_and_a_second_apply_changes_nothing() {
    let Some(tools) = tools_or_skip("a_role_converges_over_ssh") else {
        return;
    };
    let server = SshServer::start(&tools.sshd);
    let sandbox = tempfile::tempdir().expect("sandbox");
    let tree = sandbox_tree(sandbox.path());
    let runner = runner(&tools, server.entry(), &server.known_hosts());

    let first = runner.apply_highstate(&tree, MINION, false).unwrap();
    let ids: Vec<&str> =
        first.iter().map(|result| result.id.as_str()).collect();
    assert_eq!(ids, ["sandbox-conf", "sandbox-motd", "sandbox-app"]);
    for result in &first {
        assert_eq!(result.result, Some(true), "{}", describe(&first));
        assert!(result.has_changes(), "{}", describe(&first));
        assert_eq!(result.sls.as_deref(), Some("roles.sandbox"));
    }
    let conf = sandbox.path().join("conf");
    assert_eq!(
        std::fs::read_to_string(conf.join("motd")).unwrap(),
        "hello over ssh\n"
    );
    assert_eq!(
        std::fs::read_to_string(conf.join("app.ini")).unwrap(),
        "enabled = yes\nport = 0644\n{{ not jinja }}\n"
    );
    assert_eq!(mode_of(&conf.join("app.ini")), 0o600);
    assert_eq!(mode_of(&conf.join("motd")), 0o644);
    // The thin Salt went where the roster said.
    assert!(server.path("thin").is_dir());

    let second = runner.apply_highstate(&tree, MINION, false).unwrap();
    assert_eq!(second.len(), 3);
    for result in &second {
        assert_eq!(result.result, Some(true), "{}", describe(&second));
        assert!(!result.has_changes(), "{}", describe(&second));
    }
}

#[test]
fn test_mode_reports_would_change_without_changing_files() {
    let Some(tools) = tools_or_skip("test_mode_reports_would_change") else {
        return;
    };
    let server = SshServer::start(&tools.sshd);
    let sandbox = tempfile::tempdir().expect("sandbox");
    let tree = sandbox_tree(sandbox.path());
    let runner = runner(&tools, server.entry(), &server.known_hosts());

    let results = runner.apply_highstate(&tree, MINION, true).unwrap();
    assert_eq!(results.len(), 3, "{}", describe(&results));
    for result in &results {
        assert_eq!(result.result, None, "{}", describe(&results));
        assert!(result.has_changes(), "{}", describe(&results));
    }
    assert!(!sandbox.path().join("conf").exists());
}

#[test]
fn a_failing_state_is_a_failed_result_with_its_id_and_comment() {
    let Some(tools) = tools_or_skip("a_failing_state_is_a_failed_result")
    else {
        return;
    };
    let server = SshServer::start(&tools.sshd);
    let sandbox = tempfile::tempdir().expect("sandbox");
    let marker = sandbox.path().join("ran-after");
    let mut role = Role::new("failing");
    let failing = role.add(CmdRun::new("exit 1").id("always-fails"));
    role.add(
        FileManaged::new(marker.display().to_string())
            .id("needs-the-failure")
            .contents("never\n")
            .require(&failing),
    );
    let mut tree = SaltTree::new();
    tree.assign(MINION, &role);
    let tree = tree.render().unwrap();
    let runner = runner(&tools, server.entry(), &server.known_hosts());

    let results = runner.apply_highstate(&tree, MINION, false).unwrap();
    let failed = results
        .iter()
        .find(|result| result.id == "always-fails")
        .unwrap_or_else(|| panic!("no result for the state:\n{results:?}"));
    assert_eq!(failed.function, "cmd.run");
    assert_eq!(failed.result, Some(false));
    assert!(failed.comment.contains("exit 1"), "{}", failed.comment);
    let skipped = results
        .iter()
        .find(|result| result.id == "needs-the-failure")
        .unwrap();
    assert_eq!(skipped.result, Some(false));
    assert!(
        skipped.comment.contains("requisite"),
        "{}",
        describe(&results)
    );
    assert!(!marker.exists());
}

#[test]
fn a_closed_port_is_unreachable() {
    let Some(tools) = tools_or_skip("a_closed_port_is_unreachable") else {
        return;
    };
    let keys = tempfile::tempdir().expect("temp dir");
    keygen(&keys.path().join("key"));
    let known_hosts = keys.path().join("known_hosts");
    std::fs::write(&known_hosts, "").unwrap();
    let port = free_port();
    let entry = RosterEntry {
        port,
        timeout: Some(Duration::from_secs(5)),
        ..RosterEntry::new("127.0.0.1", keys.path().join("key"))
    };
    let runner = runner(&tools, entry, &known_hosts);
    let error = runner
        .apply_highstate(&BTreeMap::new(), MINION, false)
        .unwrap_err();
    match &error {
        RunnerError::Unreachable {
            minion,
            host,
            port: reported,
            detail,
        } => {
            assert_eq!(minion, MINION);
            assert_eq!(host, "127.0.0.1");
            assert_eq!(*reported, port);
            assert!(detail.contains("Connection refused"), "{detail}");
        }
        other => panic!("expected Unreachable, got {other}"),
    }
    let text = error.to_string();
    assert!(
        text.contains(MINION) && text.contains("127.0.0.1"),
        "{text}"
    );
}

#[test]
fn a_key_the_server_does_not_know_fails_authentication() {
    let Some(tools) = tools_or_skip("a_key_the_server_does_not_know") else {
        return;
    };
    let server = SshServer::start(&tools.sshd);
    let stranger = server.path("stranger_key");
    keygen(&stranger);
    let entry = RosterEntry {
        private_key: stranger,
        ..server.entry()
    };
    let runner = runner(&tools, entry, &server.known_hosts());
    let error = runner
        .apply_highstate(&BTreeMap::new(), MINION, false)
        .unwrap_err();
    match &error {
        RunnerError::AuthenticationFailed {
            minion,
            host,
            port,
            user,
            detail,
        } => {
            assert_eq!(minion, MINION);
            assert_eq!(host, "127.0.0.1");
            assert_eq!(*port, server.port);
            assert_eq!(*user, current_user());
            assert!(detail.contains("Permission denied"), "{detail}");
        }
        other => panic!("expected AuthenticationFailed, got {other}"),
    }
}

#[test]
fn a_host_key_missing_from_known_hosts_is_rejected() {
    let Some(tools) = tools_or_skip("a_host_key_missing_from_known_hosts")
    else {
        return;
    };
    let server = SshServer::start(&tools.sshd);
    // A known_hosts file that records another key for this host and port.
    let impostor = server.path("impostor_host_key");
    keygen(&impostor);
    let public = std::fs::read_to_string(impostor.with_extension("pub"))
        .expect("impostor key");
    let mut fields = public.split_whitespace();
    let (kind, key) = (fields.next().unwrap(), fields.next().unwrap());
    let known_hosts = server.path("other_known_hosts");
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{} {kind} {key}\n", server.port),
    )
    .unwrap();
    let sandbox = tempfile::tempdir().expect("sandbox");
    let tree = sandbox_tree(sandbox.path());
    let runner = runner(&tools, server.entry(), &known_hosts);
    let error = runner.apply_highstate(&tree, MINION, false).unwrap_err();
    match &error {
        RunnerError::HostKeyRejected {
            minion, host, port, ..
        } => {
            assert_eq!(minion, MINION);
            assert_eq!(host, "127.0.0.1");
            assert_eq!(*port, server.port);
        }
        other => panic!("expected HostKeyRejected, got {other}"),
    }
    // Nothing ran on the target.
    assert!(!sandbox.path().join("conf").exists());
}

#[test]
fn a_target_without_python_is_a_remote_failure() {
    let Some(tools) = tools_or_skip("a_target_without_python") else {
        return;
    };
    let server = SshServer::start(&tools.sshd);
    let empty = server.path("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let entry = RosterEntry {
        set_path: Some(empty.display().to_string()),
        ..server.entry()
    };
    let runner = runner(&tools, entry, &server.known_hosts());
    let error = runner
        .apply_highstate(&BTreeMap::new(), MINION, false)
        .unwrap_err();
    match &error {
        RunnerError::RemoteFailed {
            minion,
            host,
            stderr_tail,
            ..
        } => {
            assert_eq!(minion, MINION);
            assert_eq!(host, "127.0.0.1");
            assert!(stderr_tail.contains("python"), "{stderr_tail}");
        }
        other => panic!("expected RemoteFailed, got {other}"),
    }
}
