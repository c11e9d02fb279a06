//! A throwaway OpenSSH server on 127.0.0.1 for tests of `salt-ssh`, and
//! the tools those tests need.
//!
//! Tools: `salt-ssh` (`ONIONCLOUD_SALT_SSH`, the tools venv, or `PATH`),
//! `sshd` (`ONIONCLOUD_SSHD`, `$HOME/.cache/onioncloud/tools/sshd/sshd` as
//! unpacked by `scripts/install-tools.sh`, or `PATH`) and the OpenSSH
//! client tools `ssh` and `ssh-keygen` on `PATH`. Without them
//! [`tools_or_skip`] prints `SKIPPED: …`, unless
//! `ONIONCLOUD_REQUIRE_TOOLS=1`, which turns the absence into a failure.
//!
//! Each server has a throwaway configuration, host key and authorized key
//! in a temporary directory and is killed when dropped. It listens on
//! loopback only and accepts only that key.

#![allow(dead_code)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onioncloud_salt::ssh::{RosterEntry, locate_salt_ssh};

/// Says loudly that `test` did not run for want of a tool, and returns
/// `None`; panics instead under `ONIONCLOUD_REQUIRE_TOOLS=1`.
pub fn skip<T>(test: &str, missing: &str) -> Option<T> {
    let message = format!(
        "SKIPPED: {missing} (run scripts/install-tools.sh and source \
         scripts/tools-env.sh); test `{test}` did not run"
    );
    if std::env::var("ONIONCLOUD_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{message} and ONIONCLOUD_REQUIRE_TOOLS=1");
    }
    eprintln!("\n{}\n{message}\n{}\n", "!".repeat(72), "!".repeat(72));
    None
}

pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|directory| directory.join(name))
        .find(|candidate| candidate.is_file())
}

pub fn locate_sshd() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os("ONIONCLOUD_SSHD") {
        return Some(PathBuf::from(explicit));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    home.map(|home| home.join(".cache/onioncloud/tools/sshd/sshd"))
        .filter(|candidate| candidate.is_file())
        .or_else(|| on_path("sshd"))
}

pub struct Tools {
    pub salt_ssh: PathBuf,
    pub sshd: PathBuf,
}

pub fn tools_or_skip(test: &str) -> Option<Tools> {
    let Some(salt_ssh) = locate_salt_ssh().filter(|path| path.is_file()) else {
        return skip(test, "salt-ssh not found (ONIONCLOUD_SALT_SSH)");
    };
    let Some(sshd) = locate_sshd().filter(|path| path.is_file()) else {
        return skip(test, "sshd not found (ONIONCLOUD_SSHD)");
    };
    for client in ["ssh", "ssh-keygen"] {
        if on_path(client).is_none() {
            return skip(test, &format!("{client} not on PATH"));
        }
    }
    Some(Tools { salt_ssh, sshd })
}

pub fn run(command: &mut Command) -> String {
    let output = command.output().expect("command starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// A new ed25519 key pair without a passphrase at `path` and `path.pub`.
pub fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "onioncloud-test",
            "-f",
        ])
        .arg(path));
}

pub fn current_user() -> String {
    run(Command::new("id").arg("-un")).trim().to_owned()
}

/// A port on 127.0.0.1 that nothing listened on a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local address").port()
}

/// An OpenSSH server on 127.0.0.1, killed on drop.
pub struct SshServer {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SshServer {
    pub fn start(sshd: &Path) -> SshServer {
        let dir = tempfile::Builder::new()
            .prefix("onioncloud-sshd-")
            .tempdir()
            .expect("temp dir");
        let base = dir.path();
        keygen(&base.join("host_key"));
        keygen(&base.join("client_key"));
        std::fs::copy(
            base.join("client_key.pub"),
            base.join("authorized_keys"),
        )
        .expect("authorized_keys");
        let mut last_log = String::new();
        // A port found free can be taken before sshd binds it: try again.
        for _ in 0..3 {
            let port = free_port();
            let config = base.join("sshd_config");
            std::fs::write(&config, sshd_config(base, port))
                .expect("sshd_config");
            let log = base.join("sshd.log");
            let mut child = Command::new(sshd)
                .arg("-D")
                .arg("-f")
                .arg(&config)
                .arg("-E")
                .arg(&log)
                .stdin(Stdio::null())
                .spawn()
                .expect("sshd starts");
            if wait_for_banner(&mut child, port) {
                return SshServer { child, port, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
        }
        panic!("sshd did not start on 127.0.0.1; its log:\n{last_log}");
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A known_hosts file holding this server's host key.
    pub fn known_hosts(&self) -> PathBuf {
        let public = std::fs::read_to_string(self.path("host_key.pub"))
            .expect("host key");
        let mut fields = public.split_whitespace();
        let (kind, key) = (fields.next().unwrap(), fields.next().unwrap());
        let path = self.path("known_hosts");
        std::fs::write(
            &path,
            format!("[127.0.0.1]:{} {kind} {key}\n", self.port),
        )
        .expect("known_hosts");
        path
    }

    /// A roster entry that logs in to this server with its authorized key.
    pub fn entry(&self) -> RosterEntry {
        RosterEntry {
            port: self.port,
            user: current_user(),
            timeout: Some(Duration::from_secs(10)),
            thin_dir: Some(self.path("thin")),
            set_path: Some("/usr/bin:/bin".to_owned()),
            ..RosterEntry::new("127.0.0.1", self.path("client_key"))
        }
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sshd_config(base: &Path, port: u16) -> String {
    let path = |name: &str| base.join(name).display().to_string();
    // StrictModes would refuse an authorized_keys file under the
    // world-writable /tmp; PAM is not configured for this throwaway server.
    format!(
        "ListenAddress 127.0.0.1:{port}\n\
         HostKey {host_key}\n\
         PidFile none\n\
         AuthorizedKeysFile {authorized_keys}\n\
         StrictModes no\n\
         UsePAM no\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\n\
         Subsystem sftp internal-sftp\n",
        host_key = path("host_key"),
        authorized_keys = path("authorized_keys"),
    )
}

/// Waits until the server on `port` sends its SSH banner.
fn wait_for_banner(child: &mut Child, port: u16) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut banner = [0u8; 8];
            if stream.read_exact(&mut banner).is_ok()
                && banner.starts_with(b"SSH-2.0")
            {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
