//! Running a rendered tree with a real Salt.
//!
//! [`SaltCall`] lays the tree out in a throwaway directory together with a
//! minion configuration that keeps every file Salt writes (cache, keys,
//! sockets, logs) inside it, then runs
//! `salt-call --local --config-dir=… --out=json <function> <args>`.
//! [`SshRunner`](crate::ssh::SshRunner) does the same for remote machines
//! with `salt-ssh`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::value::SaltValue;
use crate::yaml::{self, Node};

/// Errors preparing or running `salt-call` or `salt-ssh`.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// A rendered file path is absolute or leaves the tree.
    #[error("rendered path `{path}` is not a plain relative path")]
    BadTreePath {
        /// The offending path.
        path: PathBuf,
    },
    /// Creating the throwaway directory or writing into it failed.
    #[error("cannot write salt scratch files at {path}")]
    Scratch {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `salt-call` or `salt-ssh` could not be started.
    #[error("cannot start {program}")]
    Spawn {
        /// The program path.
        program: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Salt ran longer than the timeout and was killed.
    #[error("{tool} {function} timed out after {seconds} s")]
    Timeout {
        /// The Salt command, `salt-call` or `salt-ssh`.
        tool: String,
        /// The Salt function called.
        function: String,
        /// The timeout.
        seconds: u64,
    },
    /// Salt exited unsuccessfully.
    #[error(
        "{tool} {function} exited with {status}\n--- stdout (tail) ---\n\
         {stdout_tail}\n--- stderr (tail) ---\n{stderr_tail}"
    )]
    Failed {
        /// The Salt command, `salt-call` or `salt-ssh`.
        tool: String,
        /// The Salt function called.
        function: String,
        /// The exit status as text.
        status: String,
        /// The end of standard output.
        stdout_tail: String,
        /// The end of standard error.
        stderr_tail: String,
    },
    /// The output was not the JSON Salt prints: `{"local": …}` from
    /// `salt-call`, `{"<minion id>": …}` from `salt-ssh`.
    #[error(
        "{tool} {function} printed no usable json ({problem})\n--- \
         stdout (tail) ---\n{stdout_tail}\n--- stderr (tail) ---\n\
         {stderr_tail}"
    )]
    BadOutput {
        /// The Salt command, `salt-call` or `salt-ssh`.
        tool: String,
        /// The Salt function called.
        function: String,
        /// What was wrong.
        problem: String,
        /// The end of standard output.
        stdout_tail: String,
        /// The end of standard error.
        stderr_tail: String,
    },
    /// Salt could not render the pillar.
    #[error("salt could not render the pillar:\n{}", messages.join("\n"))]
    Pillar {
        /// Salt's error messages.
        messages: Vec<String>,
    },
    /// Salt could not render or compile the states and returned messages
    /// instead of state results.
    #[error("{tool} {function} could not compile the states:\n{}", messages.join("\n"))]
    Compile {
        /// The Salt command, `salt-call` or `salt-ssh`.
        tool: String,
        /// The Salt function called.
        function: String,
        /// Salt's error messages.
        messages: Vec<String>,
    },
    /// The minion id is not in the `salt-ssh` roster. (`salt-ssh` itself
    /// would take an unknown id for a host name and try to connect to it.)
    #[error(
        "minion {minion} is not in the salt-ssh roster (it has: {})",
        known.join(", ")
    )]
    UnknownMinion {
        /// The minion id asked for.
        minion: String,
        /// The minion ids the roster has.
        known: Vec<String>,
    },
    /// The known_hosts file to verify host keys against does not exist.
    #[error("known_hosts file {path} for salt-ssh does not exist")]
    KnownHostsMissing {
        /// The path given.
        path: PathBuf,
    },
    /// The known_hosts path is not absolute or has characters `salt-ssh`
    /// cannot pass on to ssh unquoted.
    #[error(
        "known_hosts path {path} for salt-ssh is not an absolute path of \
         letters, digits and /._-+@"
    )]
    BadKnownHostsPath {
        /// The path given.
        path: PathBuf,
    },
    /// SSH could not connect to the minion's host: refused, timed out,
    /// unresolvable, no route.
    #[error(
        "cannot reach minion {minion} at {host} port {port} over ssh: {detail}"
    )]
    Unreachable {
        /// The minion id.
        minion: String,
        /// The host from the roster.
        host: String,
        /// The port from the roster.
        port: u16,
        /// What ssh reported.
        detail: String,
    },
    /// The host refused every key offered for the user.
    #[error(
        "minion {minion} at {host} port {port} refused ssh login as {user}: \
         {detail}"
    )]
    AuthenticationFailed {
        /// The minion id.
        minion: String,
        /// The host from the roster.
        host: String,
        /// The port from the roster.
        port: u16,
        /// The user from the roster.
        user: String,
        /// What ssh reported.
        detail: String,
    },
    /// The host's key is missing from the known_hosts file or differs from
    /// the key recorded there.
    #[error(
        "host key of minion {minion} at {host} port {port} is not the one \
         in the known_hosts file: {detail}"
    )]
    HostKeyRejected {
        /// The minion id.
        minion: String,
        /// The host from the roster.
        host: String,
        /// The port from the roster.
        port: u16,
        /// What ssh reported.
        detail: String,
    },
    /// `salt-ssh` logged in but Salt did not run on the minion (no usable
    /// python, the thin archive could not be unpacked, …).
    #[error(
        "salt-ssh could not run salt on minion {minion} at {host} (exit code \
         {retcode}):\n{stderr_tail}"
    )]
    RemoteFailed {
        /// The minion id.
        minion: String,
        /// The host from the roster.
        host: String,
        /// The exit code salt-ssh reported for the minion.
        retcode: i64,
        /// The end of what the minion printed on standard error.
        stderr_tail: String,
    },
    /// The roster given to `salt-ssh` is invalid.
    #[error("invalid salt-ssh roster")]
    Roster {
        /// What is wrong with it.
        #[from]
        source: crate::ssh::RosterError,
    },
}

pub(crate) fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// How much of stdout and stderr an error keeps.
const TAIL_CHARS: usize = 4000;

/// Where [`locate_salt_call`] looks, after the environment variable and
/// before `PATH`: relative to `$HOME`.
const TOOLS_VENV_SALT_CALL: &str = ".cache/onioncloud/tools/venv/bin/salt-call";

/// Finds `salt-call`: the path in `ONIONCLOUD_SALT_CALL` if set, else
/// `$HOME/.cache/onioncloud/tools/venv/bin/salt-call` if it exists, else the
/// first `salt-call` on `PATH`.
pub fn locate_salt_call() -> Option<PathBuf> {
    locate_tool("ONIONCLOUD_SALT_CALL", TOOLS_VENV_SALT_CALL, "salt-call")
}

/// Finds a tool: the path in the environment variable `variable` if set,
/// else `$HOME/<in_home>` if it exists, else the first `name` on `PATH`.
pub(crate) fn locate_tool(
    variable: &str,
    in_home: &str,
    name: &str,
) -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os(variable) {
        return Some(PathBuf::from(explicit));
    }
    if let Some(home) = std::env::var_os("HOME") {
        let candidate = Path::new(&home).join(in_home);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|directory| directory.join(name))
        .find(|candidate| candidate.is_file())
}

/// The outcome of one state in a `state.apply` run.
#[derive(Debug, Clone, PartialEq)]
pub struct StateResult {
    /// The state id.
    pub id: String,
    /// The function, like `pkg.installed`.
    pub function: String,
    /// The `name` the state acted on.
    pub name: String,
    /// The SLS the state came from, like `roles.web`.
    pub sls: Option<String>,
    /// The position in the run.
    pub run_num: u64,
    /// `Some(true)` succeeded, `Some(false)` failed, `None` would change (in
    /// test mode).
    pub result: Option<bool>,
    /// What changed (or would change), as Salt reports it.
    pub changes: serde_json::Value,
    /// Salt's comment, lines joined with `\n`.
    pub comment: String,
}

impl StateResult {
    /// Whether the state reported any changes.
    pub fn has_changes(&self) -> bool {
        match &self.changes {
            serde_json::Value::Null => false,
            serde_json::Value::Object(entries) => !entries.is_empty(),
            serde_json::Value::Array(items) => !items.is_empty(),
            serde_json::Value::String(text) => !text.is_empty(),
            _ => true,
        }
    }
}

/// Applies a minion's highstate from a rendered tree and reports the result
/// of each state. Implementations reach the machine in different ways:
/// [`LocalRunner`] runs a masterless `salt-call --local` on this machine.
pub trait SaltRunner: Send + Sync {
    /// How the runner reaches machines, for messages, like
    /// `salt-call --local`.
    fn describe(&self) -> String;

    /// Applies the highstate of `minion_id` from `tree` (as returned by
    /// [`SaltTree::render`](crate::SaltTree::render)): every role its top
    /// file assigns. With `test`, Salt only reports what would change.
    /// Failed states are results with `result: Some(false)`, not errors.
    fn apply_highstate(
        &self,
        tree: &BTreeMap<PathBuf, String>,
        minion_id: &str,
        test: bool,
    ) -> Result<Vec<StateResult>, RunnerError>;
}

/// A [`SaltRunner`] that applies each minion's states to this machine with
/// a masterless `salt-call --local`, in a fresh scratch directory per run.
#[derive(Debug, Clone)]
pub struct LocalRunner {
    program: PathBuf,
    timeout: Duration,
}

impl LocalRunner {
    /// A runner using the `salt-call` at `program`, with a timeout of
    /// 600 s per run.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        LocalRunner {
            program: program.into(),
            timeout: Duration::from_secs(600),
        }
    }

    /// Kills runs that take longer than this.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl SaltRunner for LocalRunner {
    fn describe(&self) -> String {
        format!("{} --local", self.program.display())
    }

    fn apply_highstate(
        &self,
        tree: &BTreeMap<PathBuf, String>,
        minion_id: &str,
        test: bool,
    ) -> Result<Vec<StateResult>, RunnerError> {
        let call = SaltCall::new(&self.program, tree, minion_id)?
            .with_timeout(self.timeout);
        call.apply_with(None, test)
    }
}

/// A masterless `salt-call` over one rendered tree, acting as one minion.
///
/// The scratch directory is deleted when the value is dropped.
#[derive(Debug)]
pub struct SaltCall {
    program: PathBuf,
    scratch: tempfile::TempDir,
    timeout: Duration,
}

impl SaltCall {
    /// Writes `tree` (as returned by [`SaltTree::render`](crate::SaltTree::render))
    /// and a minion configuration for `minion_id` into a new scratch
    /// directory. `program` is the path of `salt-call`.
    pub fn new(
        program: impl Into<PathBuf>,
        tree: &BTreeMap<PathBuf, String>,
        minion_id: &str,
    ) -> Result<Self, RunnerError> {
        let scratch = tempfile::Builder::new()
            .prefix("onioncloud-salt-")
            .tempdir()
            .map_err(|source| RunnerError::Scratch {
                path: std::env::temp_dir(),
                source,
            })?;
        let base = scratch.path();
        write_tree(base, tree)?;
        write_file(&base.join("etc/minion"), &minion_config(base, minion_id))?;
        Ok(SaltCall {
            program: program.into(),
            scratch,
            timeout: Duration::from_secs(600),
        })
    }

    /// Kills `salt-call` runs that take longer than this (default 600 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The scratch directory: `salt/` and `pillar/` hold the tree, `etc/`
    /// the configuration, `var/` Salt's own files.
    pub fn root(&self) -> &Path {
        self.scratch.path()
    }

    /// Runs any Salt execution function with command-line arguments (like
    /// `test=True`) and returns what it returned for this minion.
    pub fn call(
        &self,
        function: &str,
        args: &[&str],
    ) -> Result<serde_json::Value, RunnerError> {
        let output = self.run(function, args)?;
        if !output.success {
            return Err(output.failed());
        }
        output.value_under("local")
    }

    /// `state.show_sls`: the compiled states of one SLS, like `roles.web`.
    pub fn show_sls(
        &self,
        sls: &str,
    ) -> Result<serde_json::Value, RunnerError> {
        let function = "state.show_sls";
        let (output, shown) = self.state_output(function, &[sls])?;
        if !output.success {
            return Err(output.failed());
        }
        Ok(shown)
    }

    /// `state.apply test=True`: what would change. `sls` of `None` applies
    /// the top file (a highstate).
    pub fn apply_test(
        &self,
        sls: Option<&str>,
    ) -> Result<Vec<StateResult>, RunnerError> {
        self.apply_with(sls, true)
    }

    /// `state.apply`: changes the machine this runs on. `sls` of `None`
    /// applies the top file (a highstate). Failed states are results with
    /// `result: Some(false)`, not errors.
    pub fn apply(
        &self,
        sls: Option<&str>,
    ) -> Result<Vec<StateResult>, RunnerError> {
        self.apply_with(sls, false)
    }

    /// `pillar.items`: the whole pillar of the minion.
    ///
    /// Salt reports pillar files that fail to render under an `_errors` key
    /// and still exits successfully; that is turned into
    /// [`RunnerError::Pillar`] here.
    pub fn pillar_items(&self) -> Result<serde_json::Value, RunnerError> {
        let pillar = self.call("pillar.items", &[])?;
        if let Some(errors) = pillar.get("_errors") {
            let messages = match errors {
                serde_json::Value::Array(items) => {
                    items.iter().map(json_text).collect()
                }
                other => vec![json_text(other)],
            };
            return Err(RunnerError::Pillar { messages });
        }
        Ok(pillar)
    }

    /// One pillar value; nested keys are separated by `:` as in Salt's
    /// `pillar.get`. Unlike `pillar.get`, which answers `""` for a missing
    /// key, a missing key is `None`.
    pub fn pillar_get(
        &self,
        key: &str,
    ) -> Result<Option<serde_json::Value>, RunnerError> {
        let mut pillar = self.pillar_items()?;
        for part in key.split(':') {
            match pillar.get_mut(part) {
                Some(inner) => pillar = inner.take(),
                None => return Ok(None),
            }
        }
        Ok(Some(pillar))
    }

    fn apply_with(
        &self,
        sls: Option<&str>,
        test: bool,
    ) -> Result<Vec<StateResult>, RunnerError> {
        let function = "state.apply";
        let mut args = Vec::new();
        args.extend(sls);
        if test {
            args.push("test=True");
        }
        // State failures exit non-zero but still print the results.
        let (output, local) = self.state_output(function, &args)?;
        state_results(&output, &local)
    }

    /// Runs a `state.*` function and reads its output before looking at the
    /// exit status: Salt reports compile errors (and a missing SLS) as a
    /// list of messages with a failing exit status.
    fn state_output(
        &self,
        function: &str,
        args: &[&str],
    ) -> Result<(RunOutput, serde_json::Value), RunnerError> {
        let output = self.run(function, args)?;
        let local = match output.value_under("local") {
            Ok(local) => local,
            Err(error) if output.success => return Err(error),
            Err(_) => return Err(output.failed()),
        };
        output.compile_messages(&local)?;
        Ok((output, local))
    }

    fn run(
        &self,
        function: &str,
        args: &[&str],
    ) -> Result<RunOutput, RunnerError> {
        let mut arguments: Vec<OsString> = vec![
            "--local".into(),
            format!("--config-dir={}", self.root().join("etc").display())
                .into(),
            "--out=json".into(),
            "--retcode-passthrough".into(),
            "--log-level=warning".into(),
            function.into(),
        ];
        arguments.extend(args.iter().map(OsString::from));
        let invocation = Invocation {
            tool: "salt-call",
            program: &self.program,
            function,
            arguments: &arguments,
            stdin: None,
            timeout: self.timeout,
        };
        invocation.run()
    }
}

/// One run of a Salt command line program.
pub(crate) struct Invocation<'a> {
    /// `salt-call` or `salt-ssh`, for messages.
    pub(crate) tool: &'static str,
    /// The program path.
    pub(crate) program: &'a Path,
    /// The Salt function called, for messages.
    pub(crate) function: &'a str,
    /// Every argument.
    pub(crate) arguments: &'a [OsString],
    /// What to write to standard input before closing it; `None` gives the
    /// program no standard input at all.
    pub(crate) stdin: Option<&'a [u8]>,
    /// Kills the program after this long.
    pub(crate) timeout: Duration,
}

impl Invocation<'_> {
    /// Runs the program to its end (or the timeout) and collects its output.
    pub(crate) fn run(&self) -> Result<RunOutput, RunnerError> {
        let spawn_error = |source| RunnerError::Spawn {
            program: self.program.to_owned(),
            source,
        };
        let mut command = Command::new(self.program);
        command
            .args(self.arguments)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(spawn_error)?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        if let (Some(input), Some(mut pipe)) = (self.stdin, child.stdin.take())
        {
            // A program that exits without reading closes the pipe; that is
            // not an error of ours.
            let _ = pipe.write_all(input);
        }
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(RunnerError::Timeout {
                        tool: self.tool.to_owned(),
                        function: self.function.to_owned(),
                        seconds: self.timeout.as_secs(),
                    });
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(source) => return Err(spawn_error(source)),
            }
        };
        Ok(RunOutput {
            tool: self.tool,
            function: self.function.to_owned(),
            success: status.success(),
            status: status.to_string(),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        })
    }
}

/// What a Salt program printed, and how it exited.
pub(crate) struct RunOutput {
    tool: &'static str,
    function: String,
    /// Whether it exited with status 0.
    pub(crate) success: bool,
    status: String,
    stdout: String,
    /// Everything it wrote to standard error.
    pub(crate) stderr: String,
}

impl RunOutput {
    /// [`RunnerError::Failed`] with the ends of both outputs.
    pub(crate) fn failed(&self) -> RunnerError {
        RunnerError::Failed {
            tool: self.tool.to_owned(),
            function: self.function.clone(),
            status: self.status.clone(),
            stdout_tail: tail(&self.stdout),
            stderr_tail: tail(&self.stderr),
        }
    }

    /// [`RunnerError::BadOutput`] saying what was wrong.
    pub(crate) fn bad(&self, problem: &str) -> RunnerError {
        RunnerError::BadOutput {
            tool: self.tool.to_owned(),
            function: self.function.clone(),
            problem: problem.to_owned(),
            stdout_tail: tail(&self.stdout),
            stderr_tail: tail(&self.stderr),
        }
    }

    /// The value under `key` (`local`, or a minion id for `salt-ssh`) in
    /// Salt's JSON output. Tolerates stray lines before the JSON document.
    pub(crate) fn value_under(
        &self,
        key: &str,
    ) -> Result<serde_json::Value, RunnerError> {
        let start = self.stdout.find("{\n").or_else(|| self.stdout.find('{'));
        let Some(start) = start else {
            return Err(self.bad("no json object"));
        };
        let mut document: serde_json::Value =
            serde_json::from_str(&self.stdout[start..])
                .map_err(|error| self.bad(&error.to_string()))?;
        match document.get_mut(key) {
            Some(value) => Ok(value.take()),
            None => Err(self.bad(&format!("no `{key}` key"))),
        }
    }

    /// Salt reports render and compile errors as a list of strings where
    /// state data would be: [`RunnerError::Compile`].
    pub(crate) fn compile_messages(
        &self,
        value: &serde_json::Value,
    ) -> Result<(), RunnerError> {
        if let serde_json::Value::Array(items) = value {
            let messages = items.iter().map(json_text).collect();
            return Err(RunnerError::Compile {
                tool: self.tool.to_owned(),
                function: self.function.clone(),
                messages,
            });
        }
        Ok(())
    }
}

/// The results of a `state.*` run from the value Salt printed for the
/// minion; a value that is not a map of state results is an error (the
/// exit status, if it failed, or the unusable output).
pub(crate) fn state_results(
    output: &RunOutput,
    value: &serde_json::Value,
) -> Result<Vec<StateResult>, RunnerError> {
    match parse_state_results(value) {
        Some(results) => Ok(results),
        None if !output.success => Err(output.failed()),
        None => Err(output.bad("not a map of state results")),
    }
}

/// Writes a rendered tree under `base` and makes sure `salt/`, `pillar/`
/// and `var/log/` exist (an empty tree still needs its roots).
pub(crate) fn write_tree(
    base: &Path,
    tree: &BTreeMap<PathBuf, String>,
) -> Result<(), RunnerError> {
    for (relative, contents) in tree {
        let plain = relative
            .components()
            .all(|part| matches!(part, Component::Normal(_)));
        if !plain || relative.as_os_str().is_empty() {
            return Err(RunnerError::BadTreePath {
                path: relative.clone(),
            });
        }
        write_file(&base.join(relative), contents)?;
    }
    for directory in ["salt", "pillar", "var/log"] {
        create_dir(&base.join(directory))?;
    }
    Ok(())
}

/// Reads a pipe to the end on its own thread, so neither pipe can fill up
/// and stall the child.
fn drain<R: Read + Send + 'static>(
    pipe: Option<R>,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The last few thousand characters of `text`, trailing space trimmed.
pub(crate) fn tail(text: &str) -> String {
    let count = text.chars().count();
    if count <= TAIL_CHARS {
        return text.trim_end().to_owned();
    }
    let skipped: String = text.chars().skip(count - TAIL_CHARS).collect();
    format!("…{}", skipped.trim_end())
}

/// Parses the map Salt returns from `state.apply`, keyed by
/// `module_|-id_|-name_|-function`, into results ordered by run number.
pub(crate) fn parse_state_results(
    local: &serde_json::Value,
) -> Option<Vec<StateResult>> {
    let entries = local.as_object()?;
    let mut results = Vec::with_capacity(entries.len());
    for (key, entry) in entries {
        let entry = entry.as_object()?;
        let parts: Vec<&str> = key.split("_|-").collect();
        let (module, key_id, key_name, function) = match parts.as_slice() {
            [module, id, name, function] => (*module, *id, *name, *function),
            _ => return None,
        };
        let text = |field: &str| {
            entry
                .get(field)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let comment = match entry.get("comment") {
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(serde_json::Value::Array(lines)) => {
                lines.iter().map(json_text).collect::<Vec<_>>().join("\n")
            }
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        results.push(StateResult {
            id: text("__id__").unwrap_or_else(|| key_id.to_owned()),
            function: format!("{module}.{function}"),
            name: text("name").unwrap_or_else(|| key_name.to_owned()),
            sls: text("__sls__"),
            run_num: entry
                .get("__run_num__")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(u64::MAX),
            result: entry.get("result").and_then(serde_json::Value::as_bool),
            changes: entry
                .get("changes")
                .cloned()
                .unwrap_or(serde_json::Value::Null),
            comment,
        });
    }
    results.sort_by(|left, right| {
        (left.run_num, &left.id).cmp(&(right.run_num, &right.id))
    });
    Some(results)
}

/// The configuration entries every throwaway Salt run shares, for the
/// daemon it plays (`minion` for salt-call, `master` for salt-ssh): the
/// tree as file and pillar roots, and every file Salt writes (cache,
/// keys, sockets, pid file, logs) inside `base`.
pub(crate) fn scratch_entries(
    base: &Path,
    daemon: &str,
) -> Vec<(String, Node)> {
    let path =
        |relative: &str| Node::text(base.join(relative).display().to_string());
    let roots = |relative: &str| {
        Node::Map(vec![("base".to_owned(), Node::Seq(vec![path(relative)]))])
    };
    vec![
        ("file_roots".to_owned(), roots("salt")),
        ("pillar_roots".to_owned(), roots("pillar")),
        ("root_dir".to_owned(), path("var")),
        ("cachedir".to_owned(), path("var/cache")),
        ("pki_dir".to_owned(), path("var/pki")),
        ("sock_dir".to_owned(), path("var/run")),
        (
            "pidfile".to_owned(),
            path(&format!("var/run/salt-{daemon}.pid")),
        ),
        ("extension_modules".to_owned(), path("var/extmods")),
        ("log_file".to_owned(), path(&format!("var/log/{daemon}"))),
        ("log_level_logfile".to_owned(), Node::text("info")),
        (
            "state_verbose".to_owned(),
            Node::Value(SaltValue::Bool(true)),
        ),
    ]
}

fn minion_config(base: &Path, minion_id: &str) -> String {
    let mut entries = vec![
        ("id".to_owned(), Node::text(minion_id)),
        ("file_client".to_owned(), Node::text("local")),
        ("master_type".to_owned(), Node::text("disable")),
    ];
    entries.extend(scratch_entries(base, "minion"));
    // The fqdns grain does reverse DNS lookups for every address: slow,
    // and pointless for a throwaway run.
    entries.push((
        "enable_fqdns_grains".to_owned(),
        Node::Value(SaltValue::Bool(false)),
    ));
    yaml::document(&Node::Map(entries))
}

pub(crate) fn create_dir(path: &Path) -> Result<(), RunnerError> {
    std::fs::create_dir_all(path).map_err(|source| RunnerError::Scratch {
        path: path.to_owned(),
        source,
    })
}

pub(crate) fn write_file(
    path: &Path,
    contents: &str,
) -> Result<(), RunnerError> {
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    std::fs::write(path, contents).map_err(|source| RunnerError::Scratch {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_results_are_parsed_and_ordered() {
        let local = serde_json::json!({
            "service_|-nginx-service_|-nginx_|-running": {
                "__id__": "nginx-service", "__run_num__": 1,
                "__sls__": "roles.web", "name": "nginx",
                "result": null, "changes": {},
                "comment": "Service nginx is set to start"
            },
            "pkg_|-nginx_|-nginx_|-installed": {
                "__id__": "nginx", "__run_num__": 0, "name": "nginx",
                "result": true, "changes": {"nginx": {"new": "1"}},
                "comment": ["line one", "line two"]
            }
        });
        let results = parse_state_results(&local).unwrap();
        assert_eq!(results[0].id, "nginx");
        assert_eq!(results[0].function, "pkg.installed");
        assert_eq!(results[0].result, Some(true));
        assert!(results[0].has_changes());
        assert_eq!(results[0].comment, "line one\nline two");
        assert_eq!(results[1].function, "service.running");
        assert_eq!(results[1].result, None);
        assert_eq!(results[1].sls.as_deref(), Some("roles.web"));
        assert!(!results[1].has_changes());
    }

    #[test]
    fn tree_paths_must_stay_inside() {
        for bad in ["/etc/passwd", "../x", "salt/../../x", ""] {
            let tree = BTreeMap::from([(PathBuf::from(bad), String::new())]);
            let error = SaltCall::new("salt-call", &tree, "m1").unwrap_err();
            assert!(matches!(error, RunnerError::BadTreePath { .. }), "{bad}");
        }
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let runner =
            SaltCall::new("/nonexistent/salt-call", &BTreeMap::new(), "m1")
                .unwrap();
        let error = runner.pillar_items().unwrap_err();
        assert!(error.to_string().starts_with("cannot start /nonexistent"));
    }

    #[test]
    fn spawn_error_leaves_the_io_error_to_its_source() {
        let runner =
            SaltCall::new("/nonexistent/salt-call", &BTreeMap::new(), "m1")
                .unwrap();
        let error = runner.pillar_items().unwrap_err();
        assert_eq!(error.to_string(), "cannot start /nonexistent/salt-call");
        let source = std::error::Error::source(&error).unwrap();
        assert!(!error.to_string().contains(&source.to_string()));
    }

    #[test]
    fn minion_config_keeps_salt_inside_the_scratch_directory() {
        let config = minion_config(Path::new("/tmp/x"), "web-1");
        assert!(config.contains("id: web-1\n"));
        assert!(config.contains("file_roots:\n  base:\n    - /tmp/x/salt\n"));
        assert!(config.contains("cachedir: /tmp/x/var/cache\n"));
    }
}
