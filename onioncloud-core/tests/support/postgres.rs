//! A throwaway PostgreSQL server for tests: its own data directory and
//! Unix socket in a temporary directory, a free port on loopback, stopped
//! and removed when dropped.
//!
//! Where PostgreSQL is not installed the tests that need it say so loudly
//! on stderr and pass, unless `ONIONCLOUD_REQUIRE_TOOLS=1`, which makes a
//! missing tool a failure. As root the server runs as the `postgres` user,
//! since PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Says why a test did not run, or fails when tools are required.
pub fn skip_loudly(why: &str) {
    let message = format!("SKIPPED: {why}");
    if std::env::var("ONIONCLOUD_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{message}, and ONIONCLOUD_REQUIRE_TOOLS=1");
    }
    eprintln!("\n{}\n{message}\n{}\n", "!".repeat(72), "!".repeat(72));
}

/// A running server.
pub struct Server {
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    as_postgres: bool,
    // Last, so that the directory is removed after the server stopped.
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server, or says why not and gives `None`.
    pub fn start() -> Option<Server> {
        let bin = match newest_bin() {
            Some(bin) => bin,
            None => {
                skip_loudly(
                    "no /usr/lib/postgresql/*/bin/initdb: the PostgreSQL \
                     state store was not tested against a server",
                );
                return None;
            }
        };
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| out.stdout == b"0\n");
        if root
            && !Command::new("id")
                .arg("postgres")
                .output()
                .is_ok_and(|out| out.status.success())
        {
            skip_loudly(
                "running as root without a postgres user to run PostgreSQL \
                 as: the PostgreSQL state store was not tested",
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        if root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown of {}", dir.path().display());
        }
        let mut server = Server {
            bin,
            data: dir.path().join("data"),
            socket_dir: dir.path().to_path_buf(),
            port: 0,
            as_postgres: root,
            _dir: dir,
        };
        server.run(
            "initdb",
            &[
                "-D",
                &server.data.display().to_string(),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=reject",
                "--encoding=UTF8",
                "--no-sync",
            ],
        );
        // A port another process may take between its probe and the
        // server's start: then another one.
        for _ in 0..3 {
            server.port = free_port();
            let mut conf =
                std::fs::read_to_string(server.data.join("postgresql.conf"))
                    .expect("postgresql.conf");
            conf.push_str(&format!(
                "\nlisten_addresses = '127.0.0.1'\nport = {}\n\
                 unix_socket_directories = '{}'\nfsync = off\n\
                 full_page_writes = off\n",
                server.port,
                server.socket_dir.display()
            ));
            std::fs::write(server.data.join("postgresql.conf"), conf)
                .expect("postgresql.conf");
            let log = server.socket_dir.join("log");
            let started = server.try_run(
                "pg_ctl",
                &[
                    "-D",
                    &server.data.display().to_string(),
                    "-l",
                    &log.display().to_string(),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            );
            if started.status.success() {
                return Some(server);
            }
            eprintln!(
                "PostgreSQL did not start on port {}:\n{}",
                server.port,
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("PostgreSQL did not start; see above");
    }

    /// A libpq connection string for the `postgres` database, through the
    /// Unix socket.
    pub fn conninfo(&self) -> String {
        // The socket needs no TLS; the opt-out is explicit all the same.
        format!(
            "host={} port={} user=postgres dbname=postgres sslmode=disable",
            self.socket_dir.display(),
            self.port
        )
    }

    /// A connection string for the server's TCP port on loopback (where
    /// it offers no TLS and refuses logins), then `extra`.
    #[allow(dead_code, reason = "not every test binary checks TLS")]
    pub fn tcp_conninfo(&self, extra: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres {extra}",
            self.port
        )
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command
                .args(["-u", "postgres", "--"])
                .arg(program)
                .args(args);
            command
        } else {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
    }

    fn try_run(&self, program: &str, args: &[&str]) -> Output {
        self.command(program, args)
            .current_dir(&self.socket_dir)
            .output()
            .unwrap_or_else(|e| panic!("running {program}: {e}"))
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self.try_run(program, args);
        assert!(
            output.status.success(),
            "{program} {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data.display().to_string();
            let _ = self.try_run(
                "pg_ctl",
                &["-D", &data, "-m", "immediate", "-w", "stop"],
            );
        }
    }
}

/// The newest installed PostgreSQL's programs.
fn newest_bin() -> Option<PathBuf> {
    let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    bins.sort_by_key(|bin| {
        bin.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    bins.pop()
}

/// A port free on loopback at the moment of asking.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}
