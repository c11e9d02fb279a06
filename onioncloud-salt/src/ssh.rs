//! Applying highstates to remote machines with `salt-ssh`.
//!
//! A [`Roster`] says how to reach each minion: host, port, user, private
//! key and so on, one [`RosterEntry`] per minion id. [`Roster::render`]
//! writes it as the roster file `salt-ssh` reads.
//!
//! [`SshRunner`] is a [`SaltRunner`]: for each apply it lays out a
//! throwaway master configuration directory (the rendered tree as
//! `file_roots` and `pillar_roots`, cache, keys, logs and the roster inside
//! it), runs `salt-ssh <minion id> state.apply [test=True] --out=json` and
//! parses the per-state results exactly as
//! [`LocalRunner`](crate::runner::LocalRunner) does.
//!
//! Host keys are verified against a known_hosts file the caller supplies;
//! nothing else is trusted (not `~/.ssh/known_hosts`, not the system's),
//! and an unknown or changed key is [`RunnerError::HostKeyRejected`].
//! Accepting any host key needs an explicit
//! [`SshRunner::insecure_accept_any_host_key`].
//!
//! # Example
//!
//! ```
//! use onioncloud_salt::ssh::{Roster, RosterEntry};
//!
//! let mut roster = Roster::new();
//! roster.insert(
//!     "web-1",
//!     RosterEntry {
//!         port: 2222,
//!         user: "admin".to_owned(),
//!         sudo: true,
//!         ..RosterEntry::new("192.0.2.10", "/etc/onioncloud/deploy_key")
//!     },
//! )?;
//! assert_eq!(
//!     roster.render(),
//!     "#!yaml\nweb-1:\n  host: '192.0.2.10'\n  port: 2222\n  user: admin\n  \
//!      priv: /etc/onioncloud/deploy_key\n  identities_only: true\n  \
//!      sudo: true\n",
//! );
//! # Ok::<(), onioncloud_salt::ssh::RosterError>(())
//! ```
//!
//! # Which python runs on the target
//!
//! `salt-ssh` copies a "thin" Salt to the target and starts it with the
//! first of `python3`, `python2.7`, … that the login shell's `PATH` finds.
//! [`RosterEntry::set_path`] replaces that `PATH` (Salt's `set_path` roster
//! option), for example with `/usr/bin:/bin` to pick the system python
//! rather than one a shell profile puts first.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::runner::{
    self, Invocation, RunOutput, RunnerError, SaltRunner, StateResult,
};
use crate::value::SaltValue;
use crate::yaml::{self, Node};

/// Errors in a [`Roster`] entry, found when it is inserted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// Minion ids are ascii letters, digits, `_`, `-` and `.`, starting
    /// with a letter or digit.
    #[error("minion id `{id}` is not a simple name")]
    BadMinionId {
        /// The offending id.
        id: String,
    },
    /// The host is not a host name or an ip address.
    #[error("host `{host}` of minion {minion} is not a host name or address")]
    BadHost {
        /// The minion id.
        minion: String,
        /// The offending host.
        host: String,
    },
    /// Port 0 cannot be connected to.
    #[error("port 0 of minion {minion} is not a port to connect to")]
    BadPort {
        /// The minion id.
        minion: String,
    },
    /// User names are ascii letters, digits, `_`, `-` and `.`, starting with
    /// a letter, a digit or `_`.
    #[error("user `{user}` of minion {minion} is not a simple user name")]
    BadUser {
        /// The minion id.
        minion: String,
        /// The offending user name.
        user: String,
    },
    /// `salt-ssh` puts paths into ssh and shell command lines unquoted, so
    /// they must be absolute and made of ascii letters, digits and
    /// `/._-+@`.
    #[error(
        "{field} `{path}` of minion {minion} is not an absolute path of \
         letters, digits and /._-+@"
    )]
    BadPath {
        /// The minion id.
        minion: String,
        /// Which roster field, like `priv`.
        field: &'static str,
        /// The offending path.
        path: PathBuf,
    },
    /// `set_path` must be absolute paths of safe characters joined by `:`.
    #[error(
        "set_path `{value}` of minion {minion} is not a list of absolute \
         paths of letters, digits and /._-+@ joined by `:`"
    )]
    BadSetPath {
        /// The minion id.
        minion: String,
        /// The offending value.
        value: String,
    },
    /// Extra ssh options are `Name=value`, without spaces or quotes.
    #[error(
        "ssh option `{option}` of minion {minion} is not Name=value without \
         spaces, quotes or backslashes"
    )]
    BadSshOption {
        /// The minion id.
        minion: String,
        /// The offending option.
        option: String,
    },
}

/// How `salt-ssh` reaches one minion: the fields of a roster entry.
///
/// [`RosterEntry::new`] fills in the defaults; set the other fields with
/// struct update syntax, as in the [module example](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// Host name or ip address (`host`).
    pub host: String,
    /// SSH port (`port`), 22 by default.
    pub port: u16,
    /// User to log in as (`user`), `root` by default.
    pub user: String,
    /// Private key to log in with (`priv`). Only this key is offered
    /// (`identities_only: true`), not those of an ssh agent.
    pub private_key: PathBuf,
    /// Run Salt through `sudo` on the target (`sudo`).
    pub sudo: bool,
    /// With `sudo`, the user to become instead of root (`sudo_user`).
    pub sudo_user: Option<String>,
    /// How long ssh waits for the connection (`timeout`), in whole seconds,
    /// rounded up; `salt-ssh`'s default when `None`.
    pub timeout: Option<Duration>,
    /// Where on the target the thin Salt is unpacked and cached
    /// (`thin_dir`); a directory under `/var/tmp` by default.
    pub thin_dir: Option<PathBuf>,
    /// The `PATH` on the target while finding python and running Salt
    /// (`set_path`); the login shell's by default.
    pub set_path: Option<String>,
    /// Extra ssh `-o` options, each `Name=value` (`ssh_options`). The
    /// runner's host key options come first and win over these.
    pub ssh_options: Vec<String>,
}

impl RosterEntry {
    /// An entry logging in to `host` on port 22 as `root` with the private
    /// key at `private_key`, without sudo.
    pub fn new(
        host: impl Into<String>,
        private_key: impl Into<PathBuf>,
    ) -> Self {
        RosterEntry {
            host: host.into(),
            port: 22,
            user: "root".to_owned(),
            private_key: private_key.into(),
            sudo: false,
            sudo_user: None,
            timeout: None,
            thin_dir: None,
            set_path: None,
            ssh_options: Vec::new(),
        }
    }

    fn validate(&self, minion: &str) -> Result<(), RosterError> {
        let minion = minion.to_owned();
        if !valid_host(&self.host) {
            return Err(RosterError::BadHost {
                minion,
                host: self.host.clone(),
            });
        }
        if self.port == 0 {
            return Err(RosterError::BadPort { minion });
        }
        for user in std::iter::once(&self.user).chain(&self.sudo_user) {
            if !valid_user(user) {
                return Err(RosterError::BadUser {
                    minion,
                    user: user.clone(),
                });
            }
        }
        let paths = std::iter::once(("priv", &self.private_key))
            .chain(self.thin_dir.iter().map(|path| ("thin_dir", path)));
        for (field, path) in paths {
            if !safe_path(path) {
                return Err(RosterError::BadPath {
                    minion,
                    field,
                    path: path.clone(),
                });
            }
        }
        if let Some(value) = &self.set_path {
            let fine = value.split(':').all(|part| safe_path(Path::new(part)));
            if !fine {
                return Err(RosterError::BadSetPath {
                    minion,
                    value: value.clone(),
                });
            }
        }
        for option in &self.ssh_options {
            if !valid_ssh_option(option) {
                return Err(RosterError::BadSshOption {
                    minion,
                    option: option.clone(),
                });
            }
        }
        Ok(())
    }

    /// The roster YAML of this entry; `leading_options` go before the
    /// entry's own `ssh_options`.
    fn to_node(&self, leading_options: &[String]) -> Node {
        let text = |value: &str| Node::text(value);
        let mut entries = vec![
            ("host".to_owned(), text(&self.host)),
            (
                "port".to_owned(),
                Node::Value(SaltValue::Int(i64::from(self.port))),
            ),
            ("user".to_owned(), text(&self.user)),
            (
                "priv".to_owned(),
                Node::text(self.private_key.display().to_string()),
            ),
            (
                "identities_only".to_owned(),
                Node::Value(SaltValue::Bool(true)),
            ),
            ("sudo".to_owned(), Node::Value(SaltValue::Bool(self.sudo))),
        ];
        if let Some(user) = &self.sudo_user {
            entries.push(("sudo_user".to_owned(), text(user)));
        }
        if let Some(timeout) = self.timeout {
            let seconds =
                timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
            let seconds = i64::try_from(seconds.max(1)).unwrap_or(i64::MAX);
            entries.push((
                "timeout".to_owned(),
                Node::Value(SaltValue::Int(seconds)),
            ));
        }
        if let Some(path) = &self.thin_dir {
            entries.push((
                "thin_dir".to_owned(),
                Node::text(path.display().to_string()),
            ));
        }
        if let Some(value) = &self.set_path {
            entries.push(("set_path".to_owned(), text(value)));
        }
        let options: Vec<Node> = leading_options
            .iter()
            .chain(&self.ssh_options)
            .map(|option| text(option))
            .collect();
        if !options.is_empty() {
            entries.push(("ssh_options".to_owned(), Node::Seq(options)));
        }
        Node::Map(entries)
    }
}

/// The minions `salt-ssh` can reach, by minion id, in id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    entries: BTreeMap<String, RosterEntry>,
}

impl Roster {
    /// An empty roster.
    pub fn new() -> Self {
        Roster::default()
    }

    /// Adds or replaces the entry of `minion_id`, returning the entry it
    /// replaced. Checks the id and the entry, since `salt-ssh` passes most
    /// fields on to ssh and shell command lines.
    pub fn insert(
        &mut self,
        minion_id: impl Into<String>,
        entry: RosterEntry,
    ) -> Result<Option<RosterEntry>, RosterError> {
        let minion_id = minion_id.into();
        if !crate::tree::valid_name(&minion_id, 255, true) {
            return Err(RosterError::BadMinionId { id: minion_id });
        }
        entry.validate(&minion_id)?;
        Ok(self.entries.insert(minion_id, entry))
    }

    /// The entry of `minion_id`.
    pub fn get(&self, minion_id: &str) -> Option<&RosterEntry> {
        self.entries.get(minion_id)
    }

    /// The minion ids, in order.
    pub fn minion_ids(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The roster file `salt-ssh` reads: one map per minion id, in id
    /// order, starting with `#!yaml` so that Salt's YAML renderer alone
    /// reads it.
    pub fn render(&self) -> String {
        self.render_with(&[])
    }

    fn render_with(&self, leading_options: &[String]) -> String {
        let entries = self
            .entries
            .iter()
            .map(|(id, entry)| (id.clone(), entry.to_node(leading_options)))
            .collect();
        yaml::document(&Node::Map(entries))
    }
}

/// How [`SshRunner`] checks the keys of the hosts it connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeys {
    /// Only keys recorded in this known_hosts file are accepted (ssh's
    /// `StrictHostKeyChecking=yes`, with `~/.ssh/known_hosts` and the
    /// system's file ignored). A host on a port other than 22 is written
    /// `[host]:port` there.
    KnownHosts(PathBuf),
    /// Any host key is accepted and none is recorded. Whoever can answer
    /// for the host's address gets the root of every machine configured:
    /// only for tests against throwaway servers.
    InsecureAcceptAny,
}

/// Where [`locate_salt_ssh`] looks, after the environment variable and
/// before `PATH`: relative to `$HOME`.
const TOOLS_VENV_SALT_SSH: &str = ".cache/onioncloud/tools/venv/bin/salt-ssh";

/// Finds `salt-ssh`: the path in `ONIONCLOUD_SALT_SSH` if set, else
/// `$HOME/.cache/onioncloud/tools/venv/bin/salt-ssh` if it exists, else the
/// first `salt-ssh` on `PATH`.
pub fn locate_salt_ssh() -> Option<PathBuf> {
    runner::locate_tool("ONIONCLOUD_SALT_SSH", TOOLS_VENV_SALT_SSH, "salt-ssh")
}

/// The Salt function applied: with no arguments, the highstate.
const FUNCTION: &str = "state.apply";

/// What the runner writes to `salt-ssh`'s standard input. When a login is
/// refused, `salt-ssh` asks whether to deploy its own key with a password;
/// this answers no.
const DECLINE_KEY_DEPLOY: &[u8] = b"n\n";

/// A [`SaltRunner`] that applies each minion's highstate over SSH with
/// `salt-ssh`, reaching minions as its [`Roster`] says, in a fresh
/// throwaway master configuration per run.
///
/// ```
/// use onioncloud_salt::runner::SaltRunner;
/// use onioncloud_salt::ssh::{Roster, RosterEntry, SshRunner};
///
/// let mut roster = Roster::new();
/// roster.insert("db-1", RosterEntry::new("db-1.internal", "/keys/deploy"))?;
/// let runner = SshRunner::new("salt-ssh", roster, "/keys/known_hosts");
/// assert_eq!(runner.describe(), "salt-ssh (1 minion in the roster)");
/// # Ok::<(), onioncloud_salt::ssh::RosterError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SshRunner {
    program: PathBuf,
    roster: Roster,
    host_keys: HostKeys,
    timeout: Duration,
}

impl SshRunner {
    /// A runner using the `salt-ssh` at `program`, reaching minions as
    /// `roster` says and accepting only the host keys recorded in the
    /// known_hosts file at `known_hosts` (which must be an absolute path).
    /// Runs are killed after 600 s.
    pub fn new(
        program: impl Into<PathBuf>,
        roster: Roster,
        known_hosts: impl Into<PathBuf>,
    ) -> Self {
        SshRunner {
            program: program.into(),
            roster,
            host_keys: HostKeys::KnownHosts(known_hosts.into()),
            timeout: Duration::from_secs(600),
        }
    }

    /// Accepts any host key: see [`HostKeys::InsecureAcceptAny`]. Only for
    /// tests against throwaway servers.
    pub fn insecure_accept_any_host_key(mut self) -> Self {
        self.host_keys = HostKeys::InsecureAcceptAny;
        self
    }

    /// Kills runs that take longer than this.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The roster.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// How host keys are checked.
    pub fn host_keys(&self) -> &HostKeys {
        &self.host_keys
    }

    /// The ssh options that enforce the host key policy, put first in every
    /// roster entry (ssh keeps the first value given for an option).
    fn host_key_options(&self) -> Result<Vec<String>, RunnerError> {
        match &self.host_keys {
            HostKeys::KnownHosts(path) => {
                if !safe_path(path) {
                    return Err(RunnerError::BadKnownHostsPath {
                        path: path.clone(),
                    });
                }
                if !path.is_file() {
                    return Err(RunnerError::KnownHostsMissing {
                        path: path.clone(),
                    });
                }
                Ok(vec![
                    "StrictHostKeyChecking=yes".to_owned(),
                    format!("UserKnownHostsFile={}", path.display()),
                    "GlobalKnownHostsFile=/dev/null".to_owned(),
                ])
            }
            HostKeys::InsecureAcceptAny => Ok(vec![
                "StrictHostKeyChecking=no".to_owned(),
                "UserKnownHostsFile=/dev/null".to_owned(),
                "GlobalKnownHostsFile=/dev/null".to_owned(),
            ]),
        }
    }

    /// The master configuration: everything Salt writes stays in `base`.
    fn master_config(&self, base: &Path) -> String {
        let path = |relative: &str| {
            Node::text(base.join(relative).display().to_string())
        };
        let mut entries = runner::scratch_entries(base, "master");
        entries.push(("roster_file".to_owned(), path("etc/roster")));
        entries.push(("ssh_log_file".to_owned(), path("var/log/ssh")));
        match &self.host_keys {
            HostKeys::KnownHosts(known_hosts) => entries.push((
                "known_hosts_file".to_owned(),
                Node::text(known_hosts.display().to_string()),
            )),
            HostKeys::InsecureAcceptAny => entries.push((
                "no_host_keys".to_owned(),
                Node::Value(SaltValue::Bool(true)),
            )),
        }
        yaml::document(&Node::Map(entries))
    }
}

impl SaltRunner for SshRunner {
    fn describe(&self) -> String {
        let count = self.roster.entries.len();
        let plural = if count == 1 { "" } else { "s" };
        format!(
            "{} ({count} minion{plural} in the roster)",
            self.program.display()
        )
    }

    fn apply_highstate(
        &self,
        tree: &BTreeMap<PathBuf, String>,
        minion_id: &str,
        test: bool,
    ) -> Result<Vec<StateResult>, RunnerError> {
        let Some(entry) = self.roster.get(minion_id) else {
            return Err(RunnerError::UnknownMinion {
                minion: minion_id.to_owned(),
                known: self.roster.minion_ids().map(str::to_owned).collect(),
            });
        };
        let host_key_options = self.host_key_options()?;

        let scratch = tempfile::Builder::new()
            .prefix("onioncloud-salt-ssh-")
            .tempdir()
            .map_err(|source| RunnerError::Scratch {
                path: std::env::temp_dir(),
                source,
            })?;
        let base = scratch.path();
        runner::write_tree(base, tree)?;
        // Only the minion applied to is in the roster salt-ssh sees.
        let mut single = Roster::new();
        single.entries.insert(minion_id.to_owned(), entry.clone());
        runner::write_file(
            &base.join("etc/roster"),
            &single.render_with(&host_key_options),
        )?;
        runner::write_file(
            &base.join("etc/master"),
            &self.master_config(base),
        )?;

        let mut arguments: Vec<OsString> = vec![
            format!("--config-dir={}", base.join("etc").display()).into(),
            "--out=json".into(),
            "--log-level=warning".into(),
            minion_id.into(),
            FUNCTION.into(),
        ];
        if test {
            arguments.push("test=True".into());
        }
        let output = Invocation {
            tool: "salt-ssh",
            program: &self.program,
            function: FUNCTION,
            arguments: &arguments,
            stdin: Some(DECLINE_KEY_DEPLOY),
            timeout: self.timeout,
        }
        .run()?;
        let value = match output.value_under(minion_id) {
            Ok(value) => value,
            Err(error) if output.success => return Err(error),
            Err(_) => return Err(output.failed()),
        };
        minion_outcome(&output, minion_id, entry, &value)
    }
}

/// Turns what `salt-ssh` printed for one minion into state results or the
/// error that kept Salt from running there.
fn minion_outcome(
    output: &RunOutput,
    minion_id: &str,
    entry: &RosterEntry,
    value: &serde_json::Value,
) -> Result<Vec<StateResult>, RunnerError> {
    match value {
        // ssh's own error line, like `ssh: connect to host … refused`.
        serde_json::Value::String(message) => Err(connection_error(
            minion_id, entry, message,
        )
        .unwrap_or_else(|| RunnerError::RemoteFailed {
            minion: minion_id.to_owned(),
            host: entry.host.clone(),
            retcode: 255,
            stderr_tail: runner::tail(message),
        })),
        // The shim or ssh failed: `{"stdout", "stderr", "retcode", "_error"}`.
        serde_json::Value::Object(fields)
            if fields.contains_key("_error")
                || (fields.contains_key("stderr")
                    && fields.contains_key("retcode")) =>
        {
            let field = |name: &str| {
                fields.get(name).map(runner::json_text).unwrap_or_default()
            };
            let stderr = field("stderr");
            if let Some(error) = connection_error(minion_id, entry, &stderr) {
                return Err(error);
            }
            let message = if stderr.trim().is_empty() {
                field("_error")
            } else {
                stderr
            };
            Err(RunnerError::RemoteFailed {
                minion: minion_id.to_owned(),
                host: entry.host.clone(),
                retcode: fields
                    .get("retcode")
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or(1),
                stderr_tail: runner::tail(&message),
            })
        }
        other => {
            output.compile_messages(other)?;
            runner::state_results(output, other)
        }
    }
}

/// Recognises ssh's messages for a rejected host key, a refused login and
/// a host that cannot be reached.
fn connection_error(
    minion_id: &str,
    entry: &RosterEntry,
    message: &str,
) -> Option<RunnerError> {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let minion = minion_id.to_owned();
    let host = entry.host.clone();
    let port = entry.port;
    let find = |needles: &[&str]| {
        lines
            .iter()
            .find(|line| needles.iter().any(|needle| line.contains(needle)))
            .map(|line| line.strip_prefix("ssh: ").unwrap_or(line).to_owned())
    };
    if message.contains("Host key verification failed") {
        let detail = find(&["requested strict checking"])
            .unwrap_or_else(|| "host key verification failed".to_owned());
        return Some(RunnerError::HostKeyRejected {
            minion,
            host,
            port,
            detail,
        });
    }
    if let Some(detail) = find(&["Permission denied"]) {
        return Some(RunnerError::AuthenticationFailed {
            minion,
            host,
            port,
            user: entry.user.clone(),
            detail,
        });
    }
    let unreachable = [
        "Connection refused",
        "Connection timed out",
        "timed out during banner exchange",
        "Could not resolve hostname",
        "No route to host",
        "Network is unreachable",
        "Connection closed by",
        "Connection reset by",
        "kex_exchange_identification",
    ];
    let detail = find(&unreachable).or_else(|| find(&["ssh: "]))?;
    Some(RunnerError::Unreachable {
        minion,
        host,
        port,
        detail,
    })
}

/// Host names and addresses: ascii letters, digits, `.`, `-`, `_` and `:`
/// (IPv6), optionally in brackets, not starting with `-` (which ssh would
/// take for an option).
fn valid_host(host: &str) -> bool {
    let inner = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(host);
    !inner.is_empty()
        && inner.len() <= 253
        && !inner.starts_with('-')
        && inner.chars().all(|character| {
            character.is_ascii_alphanumeric()
                || matches!(character, '.' | '-' | '_' | ':')
        })
}

/// User names as `useradd` takes them.
fn valid_user(user: &str) -> bool {
    let mut characters = user.chars();
    user.len() <= 32
        && characters
            .next()
            .is_some_and(|first| first.is_ascii_alphanumeric() || first == '_')
        && characters.all(|rest| {
            rest.is_ascii_alphanumeric() || matches!(rest, '_' | '-' | '.')
        })
}

/// Absolute paths that survive unquoted in ssh and shell command lines.
pub(crate) fn safe_path(path: &Path) -> bool {
    let Some(text) = path.to_str() else {
        return false;
    };
    text.starts_with('/')
        && text.chars().all(|character| {
            character.is_ascii_alphanumeric()
                || matches!(character, '/' | '.' | '_' | '-' | '+' | '@')
        })
}

/// `Name=value` with an ascii name and a value free of spaces and quotes.
fn valid_ssh_option(option: &str) -> bool {
    let Some((name, value)) = option.split_once('=') else {
        return false;
    };
    !name.is_empty()
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric())
        && !value.is_empty()
        && value.chars().all(|character| {
            character.is_ascii_graphic()
                && !matches!(character, '\'' | '"' | '\\' | '`')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> RosterEntry {
        RosterEntry::new("127.0.0.1", "/keys/id_ed25519")
    }

    #[test]
    fn roster_renders_entries_in_id_order_with_every_field() {
        let mut roster = Roster::new();
        roster
            .insert(
                "web-2",
                RosterEntry {
                    port: 2222,
                    user: "deploy".to_owned(),
                    sudo: true,
                    sudo_user: Some("salt".to_owned()),
                    timeout: Some(Duration::from_millis(2500)),
                    thin_dir: Some(PathBuf::from("/var/tmp/thin")),
                    set_path: Some("/usr/bin:/bin".to_owned()),
                    ssh_options: vec!["ServerAliveInterval=5".to_owned()],
                    ..RosterEntry::new("web-2.example.org", "/keys/web")
                },
            )
            .unwrap();
        roster.insert("db-1", entry()).unwrap();
        assert_eq!(
            roster.render(),
            "#!yaml\n\
             db-1:\n  host: '127.0.0.1'\n  port: 22\n  user: root\n  \
             priv: /keys/id_ed25519\n  identities_only: true\n  \
             sudo: false\n\
             web-2:\n  host: web-2.example.org\n  port: 2222\n  \
             user: deploy\n  priv: /keys/web\n  identities_only: true\n  \
             sudo: true\n  sudo_user: salt\n  timeout: 3\n  \
             thin_dir: /var/tmp/thin\n  set_path: '/usr/bin:/bin'\n  \
             ssh_options:\n    - 'ServerAliveInterval=5'\n"
        );
        assert_eq!(roster.minion_ids().collect::<Vec<_>>(), ["db-1", "web-2"]);
    }

    #[test]
    fn strings_that_yaml_would_misread_are_quoted() {
        let mut roster = Roster::new();
        roster
            .insert(
                "m1",
                RosterEntry {
                    user: "yes".to_owned(),
                    ..RosterEntry::new("1e3", "/keys/k")
                },
            )
            .unwrap();
        let text = roster.render();
        assert!(text.contains("  host: '1e3'\n"), "{text}");
        assert!(text.contains("  user: 'yes'\n"), "{text}");
    }

    #[test]
    fn host_key_options_come_before_the_entry_options() {
        let mut roster = Roster::new();
        roster
            .insert(
                "m1",
                RosterEntry {
                    ssh_options: vec!["StrictHostKeyChecking=no".to_owned()],
                    ..entry()
                },
            )
            .unwrap();
        let text = roster.render_with(&["StrictHostKeyChecking=yes".into()]);
        assert!(text.ends_with(
            "  ssh_options:\n    - 'StrictHostKeyChecking=yes'\n    \
             - 'StrictHostKeyChecking=no'\n"
        ));
    }

    #[test]
    fn entries_are_validated() {
        let bad = [
            (RosterEntry::new("-oProxyCommand=x", "/k"), "host"),
            (RosterEntry::new("a b", "/k"), "host"),
            (RosterEntry { port: 0, ..entry() }, "port 0"),
            (
                RosterEntry {
                    user: "root;x".to_owned(),
                    ..entry()
                },
                "user",
            ),
            (RosterEntry::new("h", "keys/relative"), "priv"),
            (RosterEntry::new("h", "/my keys/k"), "priv"),
            (
                RosterEntry {
                    thin_dir: Some("/tmp/$(reboot)".into()),
                    ..entry()
                },
                "thin_dir",
            ),
            (
                RosterEntry {
                    set_path: Some("/usr/bin:bin".to_owned()),
                    ..entry()
                },
                "set_path",
            ),
            (
                RosterEntry {
                    ssh_options: vec!["ProxyCommand=nc 'x'".to_owned()],
                    ..entry()
                },
                "ssh option",
            ),
        ];
        for (candidate, word) in bad {
            let error = Roster::new().insert("m1", candidate).unwrap_err();
            assert!(error.to_string().contains(word), "{error}");
            assert!(error.to_string().contains("m1"), "{error}");
        }
        let error = Roster::new().insert("bad id", entry()).unwrap_err();
        assert_eq!(
            error,
            RosterError::BadMinionId {
                id: "bad id".to_owned()
            }
        );
        for host in ["10.0.0.1", "[::1]", "fe80::1", "host_1.example.org"] {
            Roster::new()
                .insert("m1", RosterEntry::new(host, "/k"))
                .unwrap();
        }
    }

    #[test]
    fn unknown_minions_are_refused_before_salt_ssh_runs() {
        let mut roster = Roster::new();
        roster.insert("web-1", entry()).unwrap();
        let runner = SshRunner::new("/nonexistent/salt-ssh", roster, "/x");
        let error = runner
            .apply_highstate(&BTreeMap::new(), "db-1", false)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "minion db-1 is not in the salt-ssh roster (it has: web-1)"
        );
    }

    #[test]
    fn a_missing_known_hosts_file_is_refused() {
        let mut roster = Roster::new();
        roster.insert("web-1", entry()).unwrap();
        let runner = SshRunner::new(
            "/nonexistent/salt-ssh",
            roster,
            "/nonexistent/known_hosts",
        );
        let error = runner
            .apply_highstate(&BTreeMap::new(), "web-1", false)
            .unwrap_err();
        assert!(
            matches!(error, RunnerError::KnownHostsMissing { .. }),
            "{error}"
        );
    }

    #[test]
    fn master_config_keeps_salt_inside_the_scratch_directory() {
        let runner =
            SshRunner::new("salt-ssh", Roster::new(), "/keys/known_hosts");
        let config = runner.master_config(Path::new("/tmp/x"));
        assert!(config.contains("file_roots:\n  base:\n    - /tmp/x/salt\n"));
        assert!(config.contains("roster_file: /tmp/x/etc/roster\n"));
        assert!(config.contains("cachedir: /tmp/x/var/cache\n"));
        assert!(config.contains("ssh_log_file: /tmp/x/var/log/ssh\n"));
        assert!(config.contains("known_hosts_file: /keys/known_hosts\n"));
        let insecure = runner
            .insecure_accept_any_host_key()
            .master_config(Path::new("/tmp/x"));
        assert!(insecure.contains("no_host_keys: true\n"));
    }

    fn classify(message: &str) -> Option<RunnerError> {
        connection_error("web-1", &entry(), message)
    }

    #[test]
    fn ssh_messages_become_error_variants() {
        let refused = classify(
            "ssh: connect to host 127.0.0.1 port 22: Connection refused",
        )
        .unwrap();
        assert_eq!(
            refused.to_string(),
            "cannot reach minion web-1 at 127.0.0.1 port 22 over ssh: \
             connect to host 127.0.0.1 port 22: Connection refused"
        );
        let denied =
            classify("root@127.0.0.1: Permission denied (publickey).").unwrap();
        assert!(matches!(
            denied,
            RunnerError::AuthenticationFailed { ref user, .. } if user == "root"
        ));
        let unknown = classify(
            "No ED25519 host key is known for [127.0.0.1]:22 and you have \
             requested strict checking.\nHost key verification failed.",
        )
        .unwrap();
        assert!(
            matches!(unknown, RunnerError::HostKeyRejected { ref detail, .. }
                if detail.starts_with("No ED25519 host key")),
            "{unknown}"
        );
        assert!(classify("ERROR: Unable to locate python").is_none());
    }
}
