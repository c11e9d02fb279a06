//! A simulated cloud, for trying OnionCloud without a cloud account and
//! for tests that count what really exists.
//!
//! # Objects on disk
//!
//! A [`SimCloud`] keeps its objects in a directory, so that they outlive
//! the process that made them (crash tests kill a process and run again):
//!
//! ```text
//! DIR/sim.json              optional configuration, see SimConfig::load
//! DIR/objects/<id>.json     one SimObject per live object
//! DIR/tokens/<sha256>       the id created under an idempotency token
//! DIR/seq                   the last creation sequence number
//! DIR/lock                  serialises changes across processes
//! ```
//!
//! Every file is written atomically (a temporary file, `fsync`, rename,
//! `fsync` of the directory), and changes take an exclusive `flock` on
//! `DIR/lock`, so several processes (and several [`SimCloud`] handles in
//! one process) agree on what exists. The directory is the truth: counts
//! and reads always go to it.
//!
//! # Providers
//!
//! [`SimCloud::provider`] serves one provider configuration (`aws`,
//! `aws.west`, `google`, `proxmox`...). Objects belong to the
//! configuration that created them, like objects of one region or
//! account: another configuration does not see them.
//!
//! A create stores the configuration as given plus what a real cloud
//! would compute (ids, ARNs, addresses, DNS names, self links...), with
//! deterministic values derived from the object's id. The idempotency
//! token is kept beside the attributes, never in them, so that the
//! attributes of a fresh object equal its configuration plus
//! [`TypeHints::computed`] and a plan right after an apply is empty.
//! A sensitive value, which the engine sends wrapped
//! (`{"sensitive_value": ...}`, see [`crate::sensitive`]), is a write-only
//! argument: the simulated cloud keeps and returns only its hash marker.
//!
//! # Faults, latency and crashes
//!
//! [`SimConfig`] adds latency (with [`tokio::time::sleep`], so tests can
//! use virtual time), injects faults by resource type and operation, and
//! sets the limits the provider reports. The environment variable
//! [`CRASH_ENV`] makes the process abort at a chosen create or delete;
//! see [`CrashPoint`].

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{Rng as _, RngCore as _, SeedableRng as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::plan::attribute_path;
use super::provider::{
    Created, Normalize, Provider, ProviderError, ProviderLimits, TypeHints,
};
use super::state::Attrs;

/// The environment variable that sets a crash point: `after-create:N`,
/// `before-create:N` or `after-delete:N`; see [`CrashPoint`].
pub const CRASH_ENV: &str = "ONIONCLOUD_SIM_CRASH";

/// The name of the optional configuration file in a cloud's directory.
pub const CONFIG_FILE: &str = "sim.json";

// ------------------------------------------------------------- errors --

/// An error of the simulated cloud itself (not of a provider call).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A create reused an idempotency token with other settings: the
    /// object made under it is not the one asked for.
    #[error(
        "simulated cloud: the idempotency token {token} was used before for \
         object {id} with other settings"
    )]
    TokenMismatch {
        /// The token.
        token: String,
        /// The object made under it.
        id: String,
    },
    /// A file or directory could not be read or written.
    #[error("simulated cloud: could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done, such as `write`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file does not hold what it should.
    #[error("simulated cloud: {} is not valid: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The configuration is not valid.
    #[error("simulated cloud configuration: {0}")]
    Config(String),
    /// The crash point in the environment is not valid.
    #[error(
        "{CRASH_ENV}={value:?} is not valid: expected after-create:N, \
         before-create:N or after-delete:N with N a positive integer"
    )]
    CrashPoint {
        /// The variable's value.
        value: String,
    },
    /// No object has this id.
    #[error("simulated cloud: no object has the id {0:?}")]
    NoSuchObject(String),
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> SimError + 'a {
    move |source| SimError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

impl From<SimError> for ProviderError {
    fn from(e: SimError) -> Self {
        let code = match e {
            SimError::TokenMismatch { .. } => "IdempotentParameterMismatch",
            _ => "SimulatedCloudError",
        };
        ProviderError::fatal(e.to_string()).with_code(code)
    }
}

// ------------------------------------------------------ configuration --

/// An operation a fault rule applies to.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// [`Provider::create`].
    Create,
    /// [`Provider::update`].
    Update,
    /// [`Provider::delete`].
    Delete,
    /// [`Provider::read`].
    Read,
    /// [`Provider::read_data`].
    ReadData,
    /// [`Provider::find_by_token`].
    FindByToken,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Read => "read",
            Operation::ReadData => "read_data",
            Operation::FindByToken => "find_by_token",
        }
    }
}

/// What a fault rule does when it fires.
///
/// In JSON: `"fail"`, `"fail_after_success"`,
/// `{"throttle": {"times": 2, "retry_after_ms": 500}}`,
/// `{"transient": {"times": 1}}`,
/// `{"eventual_consistency": {"reads": 2}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// The call fails with a fatal error and changes nothing.
    Fail,
    /// The call does its work (the object is created, changed or
    /// deleted) and then returns a fatal error: the worst case for state
    /// tracking, as when a reply is lost.
    FailAfterSuccess,
    /// The first `times` matching calls are throttled: they change
    /// nothing and return [`ErrorKind::Throttled`] with `retry_after`.
    ///
    /// [`ErrorKind::Throttled`]: super::provider::ErrorKind::Throttled
    Throttle {
        /// How many calls are throttled.
        times: u64,
        /// The wait the error asks for, in milliseconds.
        retry_after_ms: u64,
    },
    /// The first `times` matching calls fail with a transient error and
    /// change nothing.
    Transient {
        /// How many calls fail.
        times: u64,
    },
    /// After a create, the next `reads` reads of the new object return
    /// `None`, and [`Provider::find_by_token`] misses it as often. Only
    /// creates trigger it.
    EventualConsistency {
        /// How many reads miss the object.
        reads: u64,
    },
}

/// A fault injected into matching calls. A rule matches a call when each
/// of its criteria that is set matches; rules are tried in order and the
/// first that fires decides the error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// The resource type: exact, or a glob where `*` matches any run of
    /// characters (`aws_*`, `*_instance`). `None` matches every type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// The provider configuration, such as `aws.west`. `None` matches
    /// every configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The operations; empty matches every operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
    /// What happens.
    pub fault: FaultKind,
    /// The chance, from 0 to 1, that a matching call fires the rule;
    /// drawn from [`SimConfig::seed`]. 1 by default.
    #[serde(default = "one")]
    pub probability: f64,
    /// At most this many firings in this process (for `throttle` and
    /// `transient`, the smaller of this and their `times`). `None`: no
    /// limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

fn one() -> f64 {
    1.0
}

impl FaultRule {
    /// A rule firing `fault` on every call, of every type and operation.
    pub fn new(fault: FaultKind) -> Self {
        Self {
            resource_type: None,
            provider: None,
            operations: Vec::new(),
            fault,
            probability: 1.0,
            limit: None,
        }
    }

    /// Restricts the rule to a resource type or type glob.
    pub fn resource_type(mut self, pattern: impl Into<String>) -> Self {
        self.resource_type = Some(pattern.into());
        self
    }

    /// Restricts the rule to a provider configuration.
    pub fn provider(mut self, config: impl Into<String>) -> Self {
        self.provider = Some(config.into());
        self
    }

    /// Restricts the rule to an operation (call again for several).
    pub fn operation(mut self, op: Operation) -> Self {
        self.operations.push(op);
        self
    }

    /// Fires only with this probability.
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = p;
        self
    }

    /// Fires at most `n` times.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    fn max_fires(&self) -> Option<u64> {
        let by_kind = match self.fault {
            FaultKind::Throttle { times, .. }
            | FaultKind::Transient { times } => Some(times),
            _ => None,
        };
        match (by_kind, self.limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn matches(
        &self,
        op: Operation,
        resource_type: &str,
        config: &str,
    ) -> bool {
        if !self.operations.is_empty() && !self.operations.contains(&op) {
            return false;
        }
        if let Some(p) = &self.provider
            && p != config
        {
            return false;
        }
        match &self.resource_type {
            Some(pattern) => glob_match(pattern, resource_type),
            None => true,
        }
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of
/// characters.
fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text.ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    // Both ends are character boundaries: they end and start a match.
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// How the simulated cloud behaves.
///
/// Loaded from `DIR/sim.json` by [`SimConfig::load`] when that file
/// exists, for example:
///
/// ```
/// # use onioncloud_core::engine::sim::SimConfig;
/// let config: SimConfig = serde_json::from_str(r#"
/// {
///   "latency_ms": 200,
///   "jitter_ms": 100,
///   "seed": 7,
///   "per_config_limit": 4,
///   "per_key_limit": 1,
///   "faults": [
///     { "resource_type": "aws_db_*", "operations": ["create"],
///       "fault": { "throttle": { "times": 2, "retry_after_ms": 1000 } } },
///     { "resource_type": "google_compute_instance",
///       "fault": { "transient": { "times": 3 } }, "probability": 0.1 },
///     { "resource_type": "aws_instance",
///       "fault": { "eventual_consistency": { "reads": 2 } } },
///     { "operations": ["update", "delete"], "fault": "fail_after_success",
///       "limit": 1 }
///   ]
/// }
/// "#)?;
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Fault counts (`times`, `limit`) and the draws are per process: each
/// process that opens the cloud starts them afresh.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// The base latency of every call, in milliseconds. 0 by default.
    pub latency_ms: u64,
    /// A random extra latency of up to this many milliseconds per call.
    /// 0 by default.
    pub jitter_ms: u64,
    /// The seed of the random draws (jitter, fault probabilities); `None`
    /// draws a seed from the system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The faults injected, tried in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultRule>,
    /// What [`Provider::limits`] reports as `per_config`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_config_limit: Option<usize>,
    /// What [`Provider::limits`] reports as `per_key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_key_limit: Option<usize>,
    /// The attributes whose value is an object's
    /// [`Provider::concurrency_key`], tried in order: by default
    /// `node_name` (a Proxmox VM's node) and `node`. A configuration with
    /// none of them has no key.
    pub concurrency_key_attributes: Vec<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            jitter_ms: 0,
            seed: None,
            faults: Vec::new(),
            per_config_limit: None,
            per_key_limit: None,
            concurrency_key_attributes: vec![
                "node_name".to_owned(),
                "node".to_owned(),
            ],
        }
    }
}

impl SimConfig {
    /// The configuration in `DIR/sim.json`, or the default when that file
    /// does not exist.
    ///
    /// # Errors
    ///
    /// Fails, naming the file, when it cannot be read, is not valid JSON
    /// of this shape, or fails [`SimConfig::validate`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, SimError> {
        let path = dir.as_ref().join(CONFIG_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let config: Self =
            serde_json::from_str(&text).map_err(|source| SimError::Json {
                path: path.clone(),
                source,
            })?;
        config.validate().map_err(|e| match e {
            SimError::Config(m) => {
                SimError::Config(format!("{}: {m}", path.display()))
            }
            other => other,
        })?;
        Ok(config)
    }

    /// Checks the values: probabilities between 0 and 1, no empty type
    /// patterns, no eventual-consistency rule restricted to operations
    /// other than create.
    ///
    /// # Errors
    ///
    /// Names the first invalid fault rule by its position.
    pub fn validate(&self) -> Result<(), SimError> {
        for (i, rule) in self.faults.iter().enumerate() {
            if !(0.0..=1.0).contains(&rule.probability) {
                return Err(SimError::Config(format!(
                    "fault rule {i}: probability {} is not between 0 and 1",
                    rule.probability
                )));
            }
            if rule.resource_type.as_deref() == Some("") {
                return Err(SimError::Config(format!(
                    "fault rule {i}: resource_type is empty; leave it out \
                     to match every type"
                )));
            }
            if matches!(rule.fault, FaultKind::EventualConsistency { .. })
                && !rule.operations.is_empty()
                && !rule.operations.contains(&Operation::Create)
            {
                return Err(SimError::Config(format!(
                    "fault rule {i}: eventual_consistency is triggered by \
                     creates, but the rule lists only {:?}",
                    rule.operations
                )));
            }
        }
        if self.per_config_limit == Some(0) || self.per_key_limit == Some(0) {
            return Err(SimError::Config(
                "a limit of 0 would let no operation run".to_owned(),
            ));
        }
        Ok(())
    }
}

// ------------------------------------------------------------ crashes --

/// Where the process aborts, set by [`CRASH_ENV`].
///
/// The abort is [`std::process::abort`]: no destructor runs and nothing
/// buffered is flushed, so for what is on disk (the cloud's objects and
/// the state) it is the same as `kill -9`. Creates and deletes are
/// counted per process, across all handles; a create that returns an
/// object already made under its token does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// Abort right after the Nth new object is persisted in the cloud,
    /// before the call returns: between the cloud's reply and the state
    /// write.
    AfterCreate(u64),
    /// Abort right before the Nth new object is written.
    BeforeCreate(u64),
    /// Abort right after the Nth object is deleted, before the call
    /// returns.
    AfterDelete(u64),
}

impl CrashPoint {
    /// Parses `after-create:N`, `before-create:N` or `after-delete:N`.
    ///
    /// # Errors
    ///
    /// Fails, quoting the value, on anything else.
    pub fn parse(value: &str) -> Result<Self, SimError> {
        let bad = || SimError::CrashPoint {
            value: value.to_owned(),
        };
        let (what, n) = value.trim().split_once(':').ok_or_else(bad)?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(bad());
        }
        match what.trim() {
            "after-create" => Ok(Self::AfterCreate(n)),
            "before-create" => Ok(Self::BeforeCreate(n)),
            "after-delete" => Ok(Self::AfterDelete(n)),
            _ => Err(bad()),
        }
    }

    /// The crash point in [`CRASH_ENV`], if set and not empty.
    ///
    /// # Errors
    ///
    /// Fails when it is set to something [`CrashPoint::parse`] refuses.
    pub fn from_env() -> Result<Option<Self>, SimError> {
        match std::env::var(CRASH_ENV) {
            Ok(v) if !v.trim().is_empty() => Self::parse(&v).map(Some),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(v)) => {
                Err(SimError::CrashPoint {
                    value: v.to_string_lossy().into_owned(),
                })
            }
        }
    }
}

/// New objects created in this process, for crash points.
static PROCESS_CREATES: AtomicU64 = AtomicU64::new(0);
/// Objects deleted in this process, for crash points.
static PROCESS_DELETES: AtomicU64 = AtomicU64::new(0);

// ------------------------------------------------------------ objects --

/// One object of the simulated cloud, as stored in
/// `DIR/objects/<id>.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimObject {
    /// Its id: a type abbreviation, a dash and 16 hex digits, such as
    /// `vpc-0f3a9c1d2b4e5f60`.
    pub id: String,
    /// Its resource type, such as `aws_vpc`.
    pub resource_type: String,
    /// The provider configuration that created it, such as `aws.west`.
    pub provider: String,
    /// The idempotency token it was created with.
    pub token: String,
    /// Its attributes: the configuration plus what the cloud computed.
    pub attributes: Attrs,
    /// Its place in the order of creation, across processes, from 1.
    pub created_seq: u64,
}

/// How many calls of each kind a [`SimCloud`] handle has received, failed
/// ones included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimCalls {
    /// [`Provider::create`] calls.
    pub create: u64,
    /// [`Provider::update`] calls.
    pub update: u64,
    /// [`Provider::delete`] calls.
    pub delete: u64,
    /// [`Provider::read`] calls.
    pub read: u64,
    /// [`Provider::read_data`] calls.
    pub read_data: u64,
    /// [`Provider::find_by_token`] calls.
    pub find_by_token: u64,
    /// Calls that a fault rule made fail.
    pub faults: u64,
}

impl SimCalls {
    /// All calls.
    pub fn total(&self) -> u64 {
        self.create
            + self.update
            + self.delete
            + self.read
            + self.read_data
            + self.find_by_token
    }
}

#[derive(Default)]
struct CallCounters {
    create: AtomicU64,
    update: AtomicU64,
    delete: AtomicU64,
    read: AtomicU64,
    read_data: AtomicU64,
    find_by_token: AtomicU64,
    faults: AtomicU64,
}

impl CallCounters {
    fn count(&self, op: Operation) {
        let counter = match op {
            Operation::Create => &self.create,
            Operation::Update => &self.update,
            Operation::Delete => &self.delete,
            Operation::Read => &self.read,
            Operation::ReadData => &self.read_data,
            Operation::FindByToken => &self.find_by_token,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the fault rules decided for one call.
enum Verdict {
    Proceed,
    FailAfter(ProviderError),
}

/// A simulated cloud, its objects in a directory.
pub struct SimCloud {
    dir: PathBuf,
    objects: PathBuf,
    tokens: PathBuf,
    config: SimConfig,
    crash: Option<CrashPoint>,
    calls: CallCounters,
    fires: Mutex<Vec<u64>>,
    rng: Mutex<StdRng>,
    /// Objects that reads miss for a while, by id: reads left to miss.
    hidden: Mutex<HashMap<String, u64>>,
    /// The salt of the markers kept for write-only values: random for
    /// each cloud directory, kept in its file `salt`.
    salt: String,
}

impl std::fmt::Debug for SimCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCloud")
            .field("dir", &self.dir)
            .field("config", &self.config)
            .field("crash", &self.crash)
            .finish_non_exhaustive()
    }
}

/// A held exclusive lock on the cloud's directory; released on drop.
struct DirLock {
    _file: fs::File,
}

impl SimCloud {
    /// Opens (creating if needed) the cloud in `dir`, with `config` and
    /// the crash point of [`CRASH_ENV`].
    ///
    /// # Errors
    ///
    /// Fails when the directories cannot be created, the configuration
    /// fails [`SimConfig::validate`], or [`CRASH_ENV`] is not valid.
    pub fn open(
        dir: impl Into<PathBuf>,
        config: SimConfig,
    ) -> Result<Arc<Self>, SimError> {
        let crash = CrashPoint::from_env()?;
        Self::open_with_crash(dir, config, crash)
    }

    /// Like [`SimCloud::open`], with an explicit crash point instead of
    /// the environment's.
    ///
    /// # Errors
    ///
    /// As [`SimCloud::open`], less the environment.
    pub fn open_with_crash(
        dir: impl Into<PathBuf>,
        config: SimConfig,
        crash: Option<CrashPoint>,
    ) -> Result<Arc<Self>, SimError> {
        config.validate()?;
        let dir = dir.into();
        let objects = dir.join("objects");
        let tokens = dir.join("tokens");
        for d in [&dir, &objects, &tokens] {
            fs::create_dir_all(d).map_err(io_err("create", d))?;
        }
        let seed = config.seed.unwrap_or_else(|| rand::rng().next_u64());
        let fires = vec![0; config.faults.len()];
        let salt = cloud_salt(&dir)?;
        Ok(Arc::new(Self {
            dir,
            objects,
            tokens,
            config,
            crash,
            calls: CallCounters::default(),
            fires: Mutex::new(fires),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            hidden: Mutex::new(HashMap::new()),
            salt,
        }))
    }

    /// The cloud's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration in force.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The provider serving the configuration `config` (`aws`,
    /// `aws.west`, `google`...) from this cloud.
    pub fn provider(self: &Arc<Self>, config: &str) -> Arc<dyn Provider> {
        Arc::new(SimProvider {
            cloud: Arc::clone(self),
            config: config.to_owned(),
        })
    }

    /// The calls received through this handle so far.
    pub fn calls(&self) -> SimCalls {
        let c = &self.calls;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SimCalls {
            create: get(&c.create),
            update: get(&c.update),
            delete: get(&c.delete),
            read: get(&c.read),
            read_data: get(&c.read_data),
            find_by_token: get(&c.find_by_token),
            faults: get(&c.faults),
        }
    }

    /// Every live object, by id, as the directory holds them now.
    ///
    /// # Errors
    ///
    /// Fails, naming the file, when one cannot be listed, read or parsed.
    pub fn live_objects(&self) -> Result<Vec<SimObject>, SimError> {
        let mut out = Vec::new();
        for id in self.object_ids()? {
            // An object deleted since the listing is simply gone.
            if let Some(object) = self.object(&id)? {
                out.push(object);
            }
        }
        Ok(out)
    }

    /// How many objects live in the cloud now.
    ///
    /// # Errors
    ///
    /// Fails when the directory cannot be listed.
    pub fn count(&self) -> Result<usize, SimError> {
        Ok(self.object_ids()?.len())
    }

    /// The object with this id, if it lives.
    ///
    /// # Errors
    ///
    /// Fails, naming the file, when it cannot be read or parsed.
    pub fn object(&self, id: &str) -> Result<Option<SimObject>, SimError> {
        if !valid_id(id) {
            return Ok(None);
        }
        let path = self.object_path(id);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| SimError::Json { path, source })
    }

    /// Changes one attribute of a live object out of band, as someone
    /// using the cloud's console would: drift for tests.
    ///
    /// # Errors
    ///
    /// Fails when no object has the id, or on a file error.
    pub fn set_object_attribute(
        &self,
        id: &str,
        name: &str,
        value: Json,
    ) -> Result<(), SimError> {
        let _lock = self.lock()?;
        let mut object = self
            .object(id)?
            .ok_or_else(|| SimError::NoSuchObject(id.to_owned()))?;
        object.attributes.insert(name.to_owned(), value);
        self.write_object(&object)
    }

    /// Deletes an object out of band, as someone using the cloud's
    /// console would. Returns whether it existed.
    ///
    /// # Errors
    ///
    /// Fails on a file error.
    pub fn remove_object(&self, id: &str) -> Result<bool, SimError> {
        let _lock = self.lock()?;
        match self.object(id)? {
            Some(object) => {
                self.remove_object_files(&object)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    // -- files --

    fn object_path(&self, id: &str) -> PathBuf {
        self.objects.join(format!("{id}.json"))
    }

    fn token_path(
        &self,
        config: &str,
        resource_type: &str,
        token: &str,
    ) -> PathBuf {
        let key = hex(&sha256(
            format!("{config}\0{resource_type}\0{token}").as_bytes(),
        ));
        self.tokens.join(key)
    }

    fn object_ids(&self) -> Result<Vec<String>, SimError> {
        let entries = fs::read_dir(&self.objects)
            .map_err(io_err("list", &self.objects))?;
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("list", &self.objects))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(id) = name.strip_suffix(".json")
                && valid_id(id)
            {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    fn lock(&self) -> Result<DirLock, SimError> {
        let path = self.dir.join("lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("open", &path))?;
        <fs::File as fs4::FileExt>::lock(&file)
            .map_err(io_err("lock", &path))?;
        Ok(DirLock { _file: file })
    }

    fn write_object(&self, object: &SimObject) -> Result<(), SimError> {
        let bytes = serde_json::to_vec_pretty(object)
            .expect("JSON values and strings serialise");
        write_atomic(&self.objects, &self.object_path(&object.id), &bytes)
    }

    fn remove_object_files(&self, object: &SimObject) -> Result<(), SimError> {
        let path = self.object_path(&object.id);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("remove", &path)(e)),
        }
        sync_dir(&self.objects)?;
        let token = self.token_path(
            &object.provider,
            &object.resource_type,
            &object.token,
        );
        if fs::read_to_string(&token).ok().as_deref() == Some(&object.id) {
            match fs::remove_file(&token) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("remove", &token)(e)),
            }
        }
        Ok(())
    }

    fn next_seq(&self) -> Result<u64, SimError> {
        let path = self.dir.join("seq");
        let last = match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<u64>().map_err(|e| {
                SimError::Config(format!(
                    "{} does not hold a number: {e}",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let next = last + 1;
        write_atomic(&self.dir, &path, next.to_string().as_bytes())?;
        Ok(next)
    }

    /// The object with this id if it is of this type and configuration.
    fn scoped_object(
        &self,
        config: &str,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<SimObject>, SimError> {
        Ok(self.object(id)?.filter(|o| {
            o.provider == config && o.resource_type == resource_type
        }))
    }

    fn object_by_token(
        &self,
        config: &str,
        resource_type: &str,
        token: &str,
    ) -> Result<Option<SimObject>, SimError> {
        let path = self.token_path(config, resource_type, token);
        let id = match fs::read_to_string(&path) {
            Ok(id) => id,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        Ok(self
            .scoped_object(config, resource_type, id.trim())?
            .filter(|o| o.token == token))
    }

    // -- behaviour --

    async fn delay(&self) {
        let mut ms = self.config.latency_ms;
        if self.config.jitter_ms > 0 {
            let mut rng = self.rng.lock().expect("rng lock");
            ms += rng.random_range(0..=self.config.jitter_ms);
        }
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    /// Counts the call, waits the latency, and applies the fault rules:
    /// an error to return now, or whether to fail after doing the work.
    async fn begin(
        &self,
        op: Operation,
        config: &str,
        resource_type: &str,
    ) -> Result<Verdict, ProviderError> {
        self.calls.count(op);
        self.delay().await;
        let mut fires = self.fires.lock().expect("fault lock");
        for (i, rule) in self.config.faults.iter().enumerate() {
            if matches!(rule.fault, FaultKind::EventualConsistency { .. })
                || !rule.matches(op, resource_type, config)
                || rule.max_fires().is_some_and(|max| fires[i] >= max)
                || !self.draw(rule.probability)
            {
                continue;
            }
            fires[i] += 1;
            self.calls.faults.fetch_add(1, Ordering::Relaxed);
            let what = format!(
                "{} of {resource_type} through {config} (simulated fault \
                 rule {i})",
                op.name()
            );
            return match &rule.fault {
                FaultKind::Fail => {
                    Err(ProviderError::fatal(format!("{what} failed"))
                        .with_code("SimulatedFailure"))
                }
                FaultKind::FailAfterSuccess => Ok(Verdict::FailAfter(
                    ProviderError::fatal(format!(
                        "{what} failed after the cloud made the change"
                    ))
                    .with_code("SimulatedFailureAfterSuccess"),
                )),
                FaultKind::Throttle { retry_after_ms, .. } => {
                    Err(ProviderError::throttled(
                        format!("{what} was throttled: rate exceeded"),
                        Some(Duration::from_millis(*retry_after_ms)),
                    ))
                }
                FaultKind::Transient { .. } => Err(ProviderError::transient(
                    format!("{what} failed transiently: service unavailable"),
                )
                .with_code("SimulatedTransient")),
                FaultKind::EventualConsistency { .. } => {
                    unreachable!("skipped above")
                }
            };
        }
        Ok(Verdict::Proceed)
    }

    fn draw(&self, probability: f64) -> bool {
        if probability >= 1.0 {
            return true;
        }
        if probability <= 0.0 {
            return false;
        }
        self.rng.lock().expect("rng lock").random_bool(probability)
    }

    /// Hides a new object from the next reads, per the eventual
    /// consistency rules that fire.
    fn after_create(&self, config: &str, resource_type: &str, id: &str) {
        let mut fires = self.fires.lock().expect("fault lock");
        for (i, rule) in self.config.faults.iter().enumerate() {
            let FaultKind::EventualConsistency { reads } = rule.fault else {
                continue;
            };
            if !rule.matches(Operation::Create, resource_type, config)
                || rule.limit.is_some_and(|max| fires[i] >= max)
                || !self.draw(rule.probability)
            {
                continue;
            }
            fires[i] += 1;
            if reads > 0 {
                self.hidden
                    .lock()
                    .expect("hidden lock")
                    .insert(id.to_owned(), reads);
            }
            return;
        }
    }

    /// Whether a read of `id` misses it, consuming one hidden read.
    fn read_misses(&self, id: &str) -> bool {
        let mut hidden = self.hidden.lock().expect("hidden lock");
        match hidden.get_mut(id) {
            Some(left) if *left > 0 => {
                *left -= 1;
                if *left == 0 {
                    hidden.remove(id);
                }
                true
            }
            _ => false,
        }
    }

    fn crash_if(&self, point: CrashPoint) {
        if self.crash == Some(point) {
            eprintln!(
                "simulated cloud: crash point {point:?} reached, aborting \
                 the process"
            );
            std::process::abort();
        }
    }

    fn create_object(
        &self,
        config: &str,
        resource_type: &str,
        attributes: &Attrs,
        token: &str,
    ) -> Result<(SimObject, bool), SimError> {
        let _lock = self.lock()?;
        if let Some(existing) =
            self.object_by_token(config, resource_type, token)?
        {
            // Like an EC2 client token: the same token with other settings
            // is an error, not the old object.
            let same = attributes
                .iter()
                .all(|(k, v)| existing.attributes.get(k) == Some(v));
            if !same {
                return Err(SimError::TokenMismatch {
                    token: token.to_owned(),
                    id: existing.id,
                });
            }
            return Ok((existing, false));
        }
        let n = PROCESS_CREATES.fetch_add(1, Ordering::SeqCst) + 1;
        self.crash_if(CrashPoint::BeforeCreate(n));
        let id = loop {
            let mut bytes = [0u8; 8];
            rand::rng().fill_bytes(&mut bytes);
            let id = format!("{}-{}", abbrev(resource_type), hex(&bytes));
            if !self.object_path(&id).exists() {
                break id;
            }
        };
        let mut attrs = attributes.clone();
        fill_computed(self, config, resource_type, &id, &mut attrs, None);
        let object = SimObject {
            id,
            resource_type: resource_type.to_owned(),
            provider: config.to_owned(),
            token: token.to_owned(),
            attributes: attrs,
            created_seq: self.next_seq()?,
        };
        // The token first: a crash between the two writes leaves an index
        // entry naming no object, which lookups ignore, and never an
        // object its token cannot find (a real cloud's client token is
        // atomic with the object).
        write_atomic(
            &self.tokens,
            &self.token_path(config, resource_type, token),
            object.id.as_bytes(),
        )?;
        self.write_object(&object)?;
        self.crash_if(CrashPoint::AfterCreate(n));
        Ok((object, true))
    }

    /// Attributes of objects of one configuration, for computed values
    /// that follow from other objects (an instance's zone from its
    /// subnet).
    fn lookup_attrs(&self, config: &str, id: &str) -> Option<Attrs> {
        self.object(id)
            .ok()
            .flatten()
            .filter(|o| o.provider == config)
            .map(|o| o.attributes)
    }
}

/// The salt of a cloud directory's markers: read from its file `salt`,
/// or made at random and written there (atomically) on first use. Two
/// processes opening a new directory at once may make two salts; markers
/// carry theirs, so either kind is still recognised.
fn cloud_salt(dir: &Path) -> Result<String, SimError> {
    let path = dir.join("salt");
    if let Ok(salt) = fs::read_to_string(&path) {
        let salt = salt.trim();
        if !salt.is_empty() {
            return Ok(salt.to_owned());
        }
    }
    let salt: String = (0..16)
        .map(|_| format!("{:02x}", rand::rng().next_u32() as u8))
        .collect();
    let temporary = dir.join(format!("salt.{}.tmp", std::process::id()));
    fs::write(&temporary, &salt).map_err(io_err("write", &temporary))?;
    fs::rename(&temporary, &path).map_err(io_err("rename", &path))?;
    Ok(salt)
}

/// The configuration as the simulated cloud keeps it: a sensitive value
/// (wrapped by the engine) is used as a write-only argument and kept only
/// as its hash marker, like a password a cloud never returns.
fn write_only(config: &Attrs, salt: &str) -> Attrs {
    config
        .iter()
        .map(|(name, value)| {
            let kept = if crate::sensitive::is_wrapped(value) {
                crate::sensitive::redact(value, salt)
            } else {
                value.clone()
            };
            (name.clone(), kept)
        })
        .collect()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    let mut suffix = [0u8; 8];
    rand::rng().fill_bytes(&mut suffix);
    let tmp = dir.join(format!(".tmp-{}", hex(&suffix)));
    let result = (|| {
        let mut file =
            fs::File::create(&tmp).map_err(io_err("create", &tmp))?;
        file.write_all(bytes).map_err(io_err("write", &tmp))?;
        file.sync_all().map_err(io_err("sync", &tmp))?;
        fs::rename(&tmp, path).map_err(io_err("rename into place", path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), SimError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("sync", dir))
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ----------------------------------------------------------- provider --

/// One provider configuration served by a [`SimCloud`].
struct SimProvider {
    cloud: Arc<SimCloud>,
    config: String,
}

impl SimProvider {
    fn finish<T>(
        &self,
        verdict: Verdict,
        value: T,
    ) -> Result<T, ProviderError> {
        match verdict {
            Verdict::Proceed => Ok(value),
            Verdict::FailAfter(e) => Err(e),
        }
    }
}

fn blocking<T>(
    f: impl FnOnce() -> Result<T, SimError>,
) -> Result<T, ProviderError> {
    f().map_err(ProviderError::from)
}

#[async_trait]
impl Provider for SimProvider {
    fn hints(&self, resource_type: &str) -> TypeHints {
        type_hints(resource_type)
    }

    fn limits(&self) -> ProviderLimits {
        ProviderLimits {
            per_config: self.cloud.config.per_config_limit,
            per_key: self.cloud.config.per_key_limit,
        }
    }

    fn concurrency_key(
        &self,
        _resource_type: &str,
        config: &Attrs,
    ) -> Option<String> {
        self.cloud
            .config
            .concurrency_key_attributes
            .iter()
            .find_map(|name| match config.get(name)? {
                Json::String(s) => Some(s.clone()),
                Json::Number(n) => Some(n.to_string()),
                _ => None,
            })
    }

    async fn read(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Attrs>, ProviderError> {
        let verdict = self
            .cloud
            .begin(Operation::Read, &self.config, resource_type)
            .await?;
        let object = blocking(|| {
            self.cloud.scoped_object(&self.config, resource_type, id)
        })?;
        let attrs = match object {
            Some(o) if !self.cloud.read_misses(&o.id) => Some(o.attributes),
            _ => None,
        };
        self.finish(verdict, attrs)
    }

    async fn read_data(
        &self,
        resource_type: &str,
        config: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        let verdict = self
            .cloud
            .begin(Operation::ReadData, &self.config, resource_type)
            .await?;
        let config = &write_only(config, &self.cloud.salt);
        let attrs = data_source(&self.config, resource_type, config);
        self.finish(verdict, attrs)
    }

    async fn create(
        &self,
        resource_type: &str,
        config: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let verdict = self
            .cloud
            .begin(Operation::Create, &self.config, resource_type)
            .await?;
        let config = &write_only(config, &self.cloud.salt);
        let (object, new) = blocking(|| {
            self.cloud
                .create_object(&self.config, resource_type, config, token)
        })?;
        if new {
            self.cloud
                .after_create(&self.config, resource_type, &object.id);
        }
        self.finish(
            verdict,
            Created {
                id: object.id,
                attributes: object.attributes,
            },
        )
    }

    async fn update(
        &self,
        resource_type: &str,
        id: &str,
        _prior: &Attrs,
        config: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        let verdict = self
            .cloud
            .begin(Operation::Update, &self.config, resource_type)
            .await?;
        let config = &write_only(config, &self.cloud.salt);
        let cloud = &self.cloud;
        let updated = blocking(|| {
            let _lock = cloud.lock()?;
            let Some(mut object) =
                cloud.scoped_object(&self.config, resource_type, id)?
            else {
                return Ok(None);
            };
            let mut attrs = config.clone();
            fill_computed(
                cloud,
                &self.config,
                resource_type,
                id,
                &mut attrs,
                Some(&object.attributes),
            );
            object.attributes = attrs;
            cloud.write_object(&object)?;
            Ok(Some(object.attributes))
        })?;
        match updated {
            Some(attrs) => self.finish(verdict, attrs),
            None => Err(ProviderError::not_found(format!(
                "{resource_type} {id} does not exist in the simulated cloud \
                 (configuration {})",
                self.config
            ))),
        }
    }

    async fn delete(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<(), ProviderError> {
        let verdict = self
            .cloud
            .begin(Operation::Delete, &self.config, resource_type)
            .await?;
        let cloud = &self.cloud;
        blocking(|| {
            let _lock = cloud.lock()?;
            if let Some(object) =
                cloud.scoped_object(&self.config, resource_type, id)?
            {
                cloud.remove_object_files(&object)?;
                let n = PROCESS_DELETES.fetch_add(1, Ordering::SeqCst) + 1;
                cloud.crash_if(CrashPoint::AfterDelete(n));
            }
            Ok(())
        })?;
        self.cloud.hidden.lock().expect("hidden lock").remove(id);
        self.finish(verdict, ())
    }

    async fn find_by_token(
        &self,
        resource_type: &str,
        token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let verdict = self
            .cloud
            .begin(Operation::FindByToken, &self.config, resource_type)
            .await?;
        let object = blocking(|| {
            self.cloud
                .object_by_token(&self.config, resource_type, token)
        })?;
        let found = match object {
            Some(o) if !self.cloud.read_misses(&o.id) => Some(Created {
                id: o.id,
                attributes: o.attributes,
            }),
            _ => None,
        };
        self.finish(verdict, found)
    }
}

// --------------------------------------------------------------- types --
//
// Everything the simulated cloud knows about resource types is in the
// table below: id abbreviations, attributes forcing replacement,
// normalisations, and the attributes it computes with how.

/// The region, account and project the simulated cloud reports where a
/// configuration does not name one.
const SIM_REGION: &str = "sim-1";
const SIM_ACCOUNT: &str = "000000000000";
const SIM_PROJECT: &str = "sim-project";
const SIM_GCP_REGION: &str = "sim-region1";

/// Computes one attribute from what is known so far; `None` leaves it
/// out.
type Gen = fn(&Ctx<'_>) -> Option<Json>;

struct TypeSpec {
    name: &'static str,
    abbrev: &'static str,
    force_new: &'static [&'static str],
    normalize: &'static [(&'static str, Normalize)],
    /// Computed attributes in the order they are filled (later ones may
    /// read earlier ones). A name with `[i]` or `.` is a path into a
    /// block of the configuration, filled only when that block exists.
    computed: &'static [(&'static str, Gen)],
}

/// Normalisations by attribute name, for every type.
const NORMALIZE_BY_NAME: &[(&str, Normalize)] = &[
    ("cidr_block", Normalize::Cidr),
    ("cidr_blocks", Normalize::Cidr),
    ("ipv6_cidr_block", Normalize::Cidr),
    ("destination_cidr_block", Normalize::Cidr),
    ("destination_ipv6_cidr_block", Normalize::Cidr),
    ("cidr_ipv4", Normalize::Cidr),
    ("cidr_ipv6", Normalize::Cidr),
    ("ip_cidr_range", Normalize::Cidr),
    ("cidr", Normalize::Cidr),
    ("remote_ip_prefix", Normalize::Cidr),
    ("policy", Normalize::JsonDocument),
    ("assume_role_policy", Normalize::JsonDocument),
];

use Normalize::{CaseInsensitive as Ci, Set};

fn g_arn(c: &Ctx<'_>) -> Option<Json> {
    Some(json!(format!("arn:aws:sim:::{}/{}", c.resource_type, c.id)))
}

fn g_owner(_: &Ctx<'_>) -> Option<Json> {
    Some(json!(SIM_ACCOUNT))
}

fn g_tf_name(c: &Ctx<'_>) -> Option<Json> {
    Some(json!(format!("terraform-{}", c.hex("name", 26))))
}

fn g_self_link(c: &Ctx<'_>) -> Option<Json> {
    Some(json!(c.self_link()))
}

fn g_gcp_region(c: &Ctx<'_>) -> Option<Json> {
    Some(json!(c.region()))
}

fn g_gcp_zone(c: &Ctx<'_>) -> Option<Json> {
    Some(json!(c.zone()))
}

fn g_numeric_id(c: &Ctx<'_>) -> Option<Json> {
    Some(json!(c.digits("numeric", 19)))
}

fn g_aws_zone(c: &Ctx<'_>) -> Option<Json> {
    let letter = ["a", "b", "c"][(c.num("az") % 3) as usize];
    Some(json!(format!("{SIM_REGION}{letter}")))
}

static TYPES: &[TypeSpec] = &[
    // ------------------------------------------------------------ AWS --
    TypeSpec {
        name: "aws_vpc",
        abbrev: "vpc",
        force_new: &["cidr_block", "instance_tenancy"],
        normalize: &[],
        computed: &[
            ("arn", g_arn),
            ("default_security_group_id", |c| {
                Some(json!(format!("sg-{}", c.hex("default-sg", 17))))
            }),
            ("main_route_table_id", |c| {
                Some(json!(format!("rtb-{}", c.hex("main-rtb", 17))))
            }),
            ("default_route_table_id", |c| {
                c.get("main_route_table_id").cloned()
            }),
            ("default_network_acl_id", |c| {
                Some(json!(format!("acl-{}", c.hex("default-acl", 17))))
            }),
            ("owner_id", g_owner),
        ],
    },
    TypeSpec {
        name: "aws_subnet",
        abbrev: "subnet",
        force_new: &[
            "vpc_id",
            "cidr_block",
            "availability_zone",
            "availability_zone_id",
        ],
        normalize: &[],
        computed: &[
            ("arn", g_arn),
            ("availability_zone", g_aws_zone),
            ("availability_zone_id", |c| {
                let zone = c.str("availability_zone").unwrap_or("sim-1a");
                let letter = zone.chars().last().unwrap_or('a');
                let n = u32::from(letter).saturating_sub(u32::from('a')) + 1;
                Some(json!(format!("sim1-az{n}")))
            }),
            ("owner_id", g_owner),
        ],
    },
    TypeSpec {
        name: "aws_security_group",
        abbrev: "sg",
        force_new: &["vpc_id", "name", "name_prefix", "description"],
        normalize: &[],
        computed: &[("arn", g_arn), ("name", g_tf_name), ("owner_id", g_owner)],
    },
    TypeSpec {
        name: "aws_vpc_security_group_ingress_rule",
        abbrev: "sgr",
        force_new: &["security_group_id"],
        normalize: &[("ip_protocol", Ci)],
        computed: &[
            ("arn", g_arn),
            ("security_group_rule_id", |c| Some(json!(c.id))),
        ],
    },
    TypeSpec {
        name: "aws_vpc_security_group_egress_rule",
        abbrev: "sgr",
        force_new: &["security_group_id"],
        normalize: &[("ip_protocol", Ci)],
        computed: &[
            ("arn", g_arn),
            ("security_group_rule_id", |c| Some(json!(c.id))),
        ],
    },
    TypeSpec {
        name: "aws_internet_gateway",
        abbrev: "igw",
        force_new: &[],
        normalize: &[],
        computed: &[("arn", g_arn), ("owner_id", g_owner)],
    },
    TypeSpec {
        name: "aws_route_table",
        abbrev: "rtb",
        force_new: &["vpc_id"],
        normalize: &[],
        computed: &[("arn", g_arn), ("owner_id", g_owner)],
    },
    TypeSpec {
        name: "aws_route",
        abbrev: "r",
        force_new: &[
            "route_table_id",
            "destination_cidr_block",
            "destination_ipv6_cidr_block",
            "destination_prefix_list_id",
        ],
        normalize: &[],
        computed: &[
            ("origin", |_| Some(json!("CreateRoute"))),
            ("state", |_| Some(json!("active"))),
        ],
    },
    TypeSpec {
        name: "aws_route_table_association",
        abbrev: "rtbassoc",
        force_new: &["subnet_id", "gateway_id"],
        normalize: &[],
        computed: &[],
    },
    TypeSpec {
        name: "aws_flow_log",
        abbrev: "fl",
        force_new: &[
            "vpc_id",
            "subnet_id",
            "eni_id",
            "traffic_type",
            "log_destination",
            "log_destination_type",
            "log_format",
            "iam_role_arn",
            "max_aggregation_interval",
            "destination_options",
        ],
        normalize: &[],
        computed: &[("arn", g_arn)],
    },
    TypeSpec {
        name: "aws_secretsmanager_secret",
        abbrev: "secret",
        force_new: &["name", "name_prefix"],
        normalize: &[],
        computed: &[
            ("name", g_tf_name),
            ("arn", |c| {
                Some(json!(format!(
                    "arn:aws:secretsmanager:{SIM_REGION}:{SIM_ACCOUNT}:\
                     secret:{}-{}",
                    c.str("name").unwrap_or(c.id),
                    c.hex("suffix", 6)
                )))
            }),
        ],
    },
    TypeSpec {
        name: "aws_s3_bucket",
        abbrev: "bucket",
        force_new: &["bucket", "bucket_prefix", "object_lock_enabled"],
        normalize: &[],
        computed: &[
            ("bucket", g_tf_name),
            ("arn", |c| {
                Some(json!(format!("arn:aws:s3:::{}", c.str("bucket")?)))
            }),
            ("bucket_domain_name", |c| {
                Some(json!(format!("{}.s3.amazonaws.com", c.str("bucket")?)))
            }),
            ("bucket_regional_domain_name", |c| {
                Some(json!(format!(
                    "{}.s3.{SIM_REGION}.amazonaws.com",
                    c.str("bucket")?
                )))
            }),
            ("hosted_zone_id", |_| Some(json!("Z1SIMS3HOSTEDZONE"))),
            ("region", |_| Some(json!(SIM_REGION))),
        ],
    },
    TypeSpec {
        name: "aws_s3_bucket_policy",
        abbrev: "bucketpolicy",
        force_new: &["bucket"],
        normalize: &[],
        computed: &[],
    },
    TypeSpec {
        name: "aws_s3_bucket_versioning",
        abbrev: "bucketversioning",
        force_new: &["bucket", "expected_bucket_owner"],
        normalize: &[],
        computed: &[],
    },
    TypeSpec {
        name: "aws_s3_bucket_server_side_encryption_configuration",
        abbrev: "bucketsse",
        force_new: &["bucket", "expected_bucket_owner"],
        normalize: &[],
        computed: &[],
    },
    TypeSpec {
        name: "aws_s3_bucket_public_access_block",
        abbrev: "bucketpab",
        force_new: &["bucket"],
        normalize: &[],
        computed: &[],
    },
    TypeSpec {
        name: "aws_s3_bucket_logging",
        abbrev: "bucketlogging",
        force_new: &["bucket", "expected_bucket_owner"],
        normalize: &[],
        computed: &[],
    },
    TypeSpec {
        name: "aws_db_instance",
        abbrev: "db",
        force_new: &[
            "engine",
            "identifier",
            "identifier_prefix",
            "db_subnet_group_name",
            "storage_encrypted",
            "kms_key_id",
            "username",
            "db_name",
            "availability_zone",
            "character_set_name",
            "timezone",
            "snapshot_identifier",
        ],
        normalize: &[("engine", Ci), ("vpc_security_group_ids", Set)],
        computed: &[
            ("identifier", g_tf_name),
            ("arn", |c| {
                Some(json!(format!(
                    "arn:aws:rds:{SIM_REGION}:{SIM_ACCOUNT}:db:{}",
                    c.str("identifier")?
                )))
            }),
            ("port", |c| {
                let engine = c.str("engine").unwrap_or("postgres");
                let port = if engine.contains("mysql")
                    || engine.contains("mariadb")
                    || engine.contains("aurora")
                {
                    3306
                } else if engine.contains("sqlserver") {
                    1433
                } else if engine.contains("oracle") {
                    1521
                } else {
                    5432
                };
                Some(json!(port))
            }),
            ("address", |c| {
                Some(json!(format!(
                    "{}.{}.{SIM_REGION}.rds.amazonaws.com",
                    c.str("identifier")?,
                    c.hex("address", 12)
                )))
            }),
            ("endpoint", |c| {
                Some(json!(format!("{}:{}", c.str("address")?, c.get("port")?)))
            }),
            ("hosted_zone_id", |_| Some(json!("Z1SIMRDSHOSTEDZONE"))),
            ("resource_id", |c| {
                Some(json!(format!(
                    "db-{}",
                    c.hex("resource", 26).to_ascii_uppercase()
                )))
            }),
            ("username", |_| Some(json!("admin"))),
            ("master_user_secret", |c| {
                if c.get("manage_master_user_password")
                    != Some(&Json::Bool(true))
                {
                    return None;
                }
                Some(json!([{
                    "secret_arn": format!(
                        "arn:aws:secretsmanager:{SIM_REGION}:{SIM_ACCOUNT}:\
                         secret:rds!db-{}",
                        c.hex("master-secret", 16)
                    ),
                    "kms_key_id": c.get("master_user_secret_kms_key_id")
                        .cloned()
                        .unwrap_or_else(|| json!("alias/aws/secretsmanager")),
                    "secret_status": "active",
                }]))
            }),
            ("status", |_| Some(json!("available"))),
        ],
    },
    TypeSpec {
        name: "aws_db_subnet_group",
        abbrev: "dbsubnet",
        force_new: &["name", "name_prefix"],
        normalize: &[("subnet_ids", Set)],
        computed: &[
            ("name", g_tf_name),
            ("arn", |c| {
                Some(json!(format!(
                    "arn:aws:rds:{SIM_REGION}:{SIM_ACCOUNT}:subgrp:{}",
                    c.str("name")?
                )))
            }),
            ("vpc_id", |c| Some(json!(c.vpc_of_subnets("subnet_ids")))),
        ],
    },
    TypeSpec {
        name: "aws_lb",
        abbrev: "lb",
        force_new: &["name", "name_prefix", "internal", "load_balancer_type"],
        normalize: &[("subnets", Set), ("security_groups", Set)],
        computed: &[
            ("name", |c| {
                Some(json!(format!("tf-lb-{}", c.hex("name", 20))))
            }),
            ("arn_suffix", |c| {
                let kind = match c.str("load_balancer_type") {
                    Some("network") => "net",
                    Some("gateway") => "gwy",
                    _ => "app",
                };
                Some(json!(format!(
                    "{kind}/{}/{}",
                    c.str("name")?,
                    c.hex("lb", 16)
                )))
            }),
            ("arn", |c| {
                Some(json!(format!(
                    "arn:aws:elasticloadbalancing:{SIM_REGION}:{SIM_ACCOUNT}:\
                     loadbalancer/{}",
                    c.str("arn_suffix")?
                )))
            }),
            ("dns_name", |c| {
                let internal = if c.get("internal") == Some(&Json::Bool(true)) {
                    "internal-"
                } else {
                    ""
                };
                Some(json!(format!(
                    "{internal}{}-{}.{SIM_REGION}.elb.amazonaws.com",
                    c.str("name")?,
                    c.digits("dns", 10)
                )))
            }),
            ("zone_id", |_| Some(json!("Z1SIMELBHOSTEDZONE"))),
            ("vpc_id", |c| Some(json!(c.vpc_of_subnets("subnets")))),
        ],
    },
    TypeSpec {
        name: "aws_lb_target_group",
        abbrev: "tg",
        force_new: &[
            "name",
            "name_prefix",
            "port",
            "protocol",
            "vpc_id",
            "target_type",
            "protocol_version",
        ],
        normalize: &[("protocol", Ci)],
        computed: &[
            ("name", |c| Some(json!(format!("tf-{}", c.hex("name", 26))))),
            ("arn_suffix", |c| {
                Some(json!(format!(
                    "targetgroup/{}/{}",
                    c.str("name")?,
                    c.hex("tg", 16)
                )))
            }),
            ("arn", |c| {
                Some(json!(format!(
                    "arn:aws:elasticloadbalancing:{SIM_REGION}:{SIM_ACCOUNT}:\
                     {}",
                    c.str("arn_suffix")?
                )))
            }),
        ],
    },
    TypeSpec {
        name: "aws_lb_target_group_attachment",
        abbrev: "tgattach",
        force_new: &[
            "target_group_arn",
            "target_id",
            "port",
            "availability_zone",
        ],
        normalize: &[],
        computed: &[],
    },
    TypeSpec {
        name: "aws_lb_listener",
        abbrev: "listener",
        force_new: &["load_balancer_arn"],
        normalize: &[("protocol", Ci)],
        computed: &[("arn", |c| {
            Some(json!(format!(
                "arn:aws:elasticloadbalancing:{SIM_REGION}:{SIM_ACCOUNT}:\
                 listener/app/sim/{}/{}",
                c.hex("lb", 16),
                c.hex("listener", 16)
            )))
        })],
    },
    TypeSpec {
        name: "aws_cloudwatch_log_group",
        abbrev: "loggroup",
        force_new: &["name", "name_prefix"],
        normalize: &[],
        computed: &[
            ("name", g_tf_name),
            ("arn", |c| {
                Some(json!(format!(
                    "arn:aws:logs:{SIM_REGION}:{SIM_ACCOUNT}:log-group:{}",
                    c.str("name")?
                )))
            }),
        ],
    },
    TypeSpec {
        name: "aws_cloudwatch_metric_alarm",
        abbrev: "alarm",
        force_new: &["alarm_name"],
        normalize: &[],
        computed: &[("arn", |c| {
            Some(json!(format!(
                "arn:aws:cloudwatch:{SIM_REGION}:{SIM_ACCOUNT}:alarm:{}",
                c.str("alarm_name").unwrap_or(c.id)
            )))
        })],
    },
    TypeSpec {
        name: "aws_instance",
        abbrev: "i",
        force_new: &[
            "ami",
            "subnet_id",
            "availability_zone",
            "private_ip",
            "key_name",
            "associate_public_ip_address",
            "ebs_block_device",
            "placement_group",
            "tenancy",
        ],
        normalize: &[("vpc_security_group_ids", Set)],
        computed: &[
            ("arn", |c| {
                Some(json!(format!(
                    "arn:aws:ec2:{SIM_REGION}:{SIM_ACCOUNT}:instance/{}",
                    c.id
                )))
            }),
            ("availability_zone", |c| {
                c.lookup_str("subnet_id", "availability_zone")
                    .map(|z| json!(z))
                    .or_else(|| g_aws_zone(c))
            }),
            ("private_ip", |c| {
                let cidr = c.lookup_str("subnet_id", "cidr_block");
                Some(json!(c.ip_in_or_10(cidr.as_deref(), "private-ip")))
            }),
            ("public_ip", |c| {
                let public = c.get("associate_public_ip_address")
                    == Some(&Json::Bool(true));
                Some(json!(if public {
                    c.public_ip("public-ip")
                } else {
                    String::new()
                }))
            }),
            ("private_dns", |c| {
                Some(json!(format!(
                    "ip-{}.{SIM_REGION}.compute.internal",
                    c.str("private_ip")?.replace('.', "-")
                )))
            }),
            ("public_dns", |c| {
                let ip = c.str("public_ip")?;
                Some(json!(if ip.is_empty() {
                    String::new()
                } else {
                    format!(
                        "ec2-{}.{SIM_REGION}.compute.amazonaws.com",
                        ip.replace('.', "-")
                    )
                }))
            }),
            ("primary_network_interface_id", |c| {
                Some(json!(format!("eni-{}", c.hex("eni", 17))))
            }),
            ("instance_state", |_| Some(json!("running"))),
        ],
    },
    // ------------------------------------------------------------ GCP --
    TypeSpec {
        name: "google_compute_network",
        abbrev: "network",
        force_new: &[
            "name",
            "auto_create_subnetworks",
            "description",
            "project",
        ],
        normalize: &[],
        computed: &[
            ("numeric_id", g_numeric_id),
            ("self_link", g_self_link),
            ("gateway_ipv4", |c| Some(json!(c.ip10("gateway")))),
        ],
    },
    TypeSpec {
        name: "google_compute_subnetwork",
        abbrev: "subnetwork",
        force_new: &["name", "network", "region", "project"],
        normalize: &[],
        computed: &[
            ("region", g_gcp_region),
            ("self_link", g_self_link),
            ("gateway_address", |c| {
                Some(json!(first_host(c.str("ip_cidr_range")?)?))
            }),
        ],
    },
    TypeSpec {
        name: "google_compute_firewall",
        abbrev: "firewall",
        force_new: &["name", "network", "project", "direction"],
        normalize: &[
            ("source_ranges", Set),
            ("destination_ranges", Set),
            ("target_tags", Set),
            ("source_tags", Set),
        ],
        computed: &[("self_link", g_self_link)],
    },
    TypeSpec {
        name: "google_compute_global_address",
        abbrev: "address",
        force_new: &[
            "name",
            "address",
            "address_type",
            "purpose",
            "prefix_length",
            "network",
            "ip_version",
            "project",
            "description",
        ],
        normalize: &[("address_type", Ci)],
        computed: &[
            ("address", |c| {
                let internal = c
                    .str("address_type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("INTERNAL"));
                Some(json!(if internal {
                    format!("10.{}.0.0", 100 + c.num("range") % 100)
                } else {
                    c.public_ip("address")
                }))
            }),
            ("self_link", g_self_link),
        ],
    },
    TypeSpec {
        name: "google_service_networking_connection",
        abbrev: "peering",
        force_new: &["network", "service"],
        normalize: &[("reserved_peering_ranges", Set)],
        computed: &[("peering", |_| {
            Some(json!("servicenetworking-googleapis-com"))
        })],
    },
    TypeSpec {
        name: "google_secret_manager_secret",
        abbrev: "secret",
        force_new: &["secret_id", "replication", "project"],
        normalize: &[],
        computed: &[("name", |c| {
            Some(json!(format!(
                "projects/{}/secrets/{}",
                c.project_number(),
                c.str("secret_id").unwrap_or(c.id)
            )))
        })],
    },
    TypeSpec {
        name: "google_sql_database_instance",
        abbrev: "sql",
        force_new: &["name", "region", "project", "encryption_key_name"],
        normalize: &[],
        computed: &[
            ("name", |c| {
                Some(json!(format!("sim-{}", c.hex("name", 12))))
            }),
            ("region", g_gcp_region),
            ("connection_name", |c| {
                Some(json!(format!(
                    "{}:{}:{}",
                    c.project(),
                    c.str("region")?,
                    c.str("name")?
                )))
            }),
            ("private_ip_address", |c| Some(json!(c.ip10("private-ip")))),
            ("public_ip_address", |c| {
                let ipv4 =
                    c.path("settings[0].ip_configuration[0].ipv4_enabled");
                Some(json!(if ipv4 == Some(&Json::Bool(false)) {
                    String::new()
                } else {
                    c.public_ip("public-ip")
                }))
            }),
            ("first_ip_address", |c| {
                let public = c.str("public_ip_address").unwrap_or("");
                if public.is_empty() {
                    c.get("private_ip_address").cloned()
                } else {
                    Some(json!(public))
                }
            }),
            ("ip_address", |c| {
                let mut list = vec![json!({
                    "ip_address": c.str("private_ip_address")?,
                    "type": "PRIVATE",
                })];
                let public = c.str("public_ip_address").unwrap_or("");
                if !public.is_empty() {
                    list.insert(
                        0,
                        json!({"ip_address": public, "type": "PRIMARY"}),
                    );
                }
                Some(Json::Array(list))
            }),
            ("self_link", |c| {
                Some(json!(format!(
                    "https://sqladmin.googleapis.com/sql/v1beta4/projects/\
                     {}/instances/{}",
                    c.project(),
                    c.str("name")?
                )))
            }),
            ("service_account_email_address", |c| {
                Some(json!(format!(
                    "p{}-sim@gcp-sa-cloud-sql.iam.gserviceaccount.com",
                    c.project_number()
                )))
            }),
        ],
    },
    TypeSpec {
        name: "google_sql_database",
        abbrev: "sqldb",
        force_new: &["name", "instance", "project"],
        normalize: &[],
        computed: &[("self_link", g_self_link)],
    },
    TypeSpec {
        name: "google_sql_user",
        abbrev: "sqluser",
        force_new: &["name", "instance", "host", "project"],
        normalize: &[],
        computed: &[],
    },
    TypeSpec {
        name: "google_storage_bucket",
        abbrev: "bucket",
        force_new: &["name", "location", "project"],
        normalize: &[("location", Ci)],
        computed: &[
            ("self_link", |c| {
                Some(json!(format!(
                    "https://www.googleapis.com/storage/v1/b/{}",
                    c.str("name").unwrap_or(c.id)
                )))
            }),
            ("url", |c| {
                Some(json!(format!("gs://{}", c.str("name").unwrap_or(c.id))))
            }),
        ],
    },
    TypeSpec {
        name: "google_compute_instance",
        abbrev: "instance",
        force_new: &["name", "zone", "project", "boot_disk"],
        normalize: &[("tags", Set)],
        computed: &[
            ("zone", g_gcp_zone),
            ("instance_id", g_numeric_id),
            ("self_link", g_self_link),
            ("network_interface[0].name", |_| Some(json!("nic0"))),
            ("network_interface[0].network_ip", |c| {
                let cidr = c
                    .path("network_interface[0].subnetwork")
                    .and_then(Json::as_str)
                    .and_then(|id| c.lookup(id))
                    .and_then(|a| {
                        a.get("ip_cidr_range")?.as_str().map(str::to_owned)
                    });
                Some(json!(c.ip_in_or_10(cidr.as_deref(), "network-ip")))
            }),
            ("network_interface[0].access_config[0].nat_ip", |c| {
                Some(json!(c.public_ip("nat-ip")))
            }),
            ("current_status", |_| Some(json!("RUNNING"))),
        ],
    },
    TypeSpec {
        name: "google_compute_health_check",
        abbrev: "healthcheck",
        force_new: &["name", "project"],
        normalize: &[],
        computed: &[("self_link", g_self_link)],
    },
    TypeSpec {
        name: "google_compute_instance_group",
        abbrev: "ig",
        force_new: &["name", "zone", "network", "project"],
        normalize: &[("instances", Set)],
        computed: &[
            ("zone", g_gcp_zone),
            ("self_link", g_self_link),
            ("size", |c| {
                Some(json!(
                    c.get("instances")
                        .and_then(Json::as_array)
                        .map_or(0, Vec::len)
                ))
            }),
        ],
    },
    TypeSpec {
        name: "google_compute_backend_service",
        abbrev: "backend",
        force_new: &["name", "project", "load_balancing_scheme"],
        normalize: &[("health_checks", Set)],
        computed: &[("self_link", g_self_link)],
    },
    TypeSpec {
        name: "google_compute_url_map",
        abbrev: "urlmap",
        force_new: &["name", "project"],
        normalize: &[],
        computed: &[("self_link", g_self_link)],
    },
    TypeSpec {
        name: "google_compute_managed_ssl_certificate",
        abbrev: "cert",
        force_new: &["name", "managed", "type", "project"],
        normalize: &[],
        computed: &[
            ("name", |c| {
                Some(json!(format!("sim-cert-{}", c.hex("name", 12))))
            }),
            ("certificate_id", g_numeric_id),
            ("self_link", g_self_link),
            ("expire_time", |_| {
                Some(json!("2099-12-31T23:59:59.000-08:00"))
            }),
        ],
    },
    TypeSpec {
        name: "google_compute_ssl_policy",
        abbrev: "sslpolicy",
        force_new: &["name", "project"],
        normalize: &[("profile", Ci)],
        computed: &[("self_link", g_self_link)],
    },
    TypeSpec {
        name: "google_compute_target_https_proxy",
        abbrev: "httpsproxy",
        force_new: &["name", "project"],
        normalize: &[],
        computed: &[("self_link", g_self_link)],
    },
    TypeSpec {
        name: "google_compute_target_http_proxy",
        abbrev: "httpproxy",
        force_new: &["name", "project"],
        normalize: &[],
        computed: &[("self_link", g_self_link)],
    },
    TypeSpec {
        name: "google_compute_global_forwarding_rule",
        abbrev: "fr",
        force_new: &[
            "name",
            "ip_address",
            "ip_protocol",
            "port_range",
            "load_balancing_scheme",
            "network",
            "project",
        ],
        normalize: &[("ip_protocol", Ci)],
        computed: &[
            ("ip_address", |c| Some(json!(c.public_ip("ip")))),
            ("self_link", g_self_link),
        ],
    },
    TypeSpec {
        name: "google_monitoring_alert_policy",
        abbrev: "alertpolicy",
        force_new: &["project"],
        normalize: &[("combiner", Ci)],
        computed: &[("name", |c| {
            Some(json!(format!(
                "projects/{}/alertPolicies/{}",
                c.project(),
                c.digits("policy", 19)
            )))
        })],
    },
    // ------------------------------------------------------ OpenStack --
    TypeSpec {
        name: "openstack_networking_network_v2",
        abbrev: "net",
        force_new: &["region", "tenant_id", "value_specs"],
        normalize: &[],
        computed: &[
            ("name", |_| Some(json!(""))),
            ("status", |_| Some(json!("ACTIVE"))),
        ],
    },
    TypeSpec {
        name: "openstack_networking_subnet_v2",
        abbrev: "subnet",
        force_new: &[
            "network_id",
            "cidr",
            "ip_version",
            "region",
            "tenant_id",
            "prefix_length",
            "subnetpool_id",
        ],
        normalize: &[("dns_nameservers", Set)],
        computed: &[
            ("cidr", |c| {
                Some(json!(format!(
                    "10.{}.{}.0/24",
                    c.num("a") % 256,
                    c.num("b") % 256
                )))
            }),
            ("gateway_ip", |c| Some(json!(first_host(c.str("cidr")?)?))),
        ],
    },
    TypeSpec {
        name: "openstack_networking_secgroup_v2",
        abbrev: "secgroup",
        force_new: &["region", "tenant_id"],
        normalize: &[],
        computed: &[],
    },
    TypeSpec {
        name: "openstack_networking_secgroup_rule_v2",
        abbrev: "secgrouprule",
        force_new: &[
            "direction",
            "ethertype",
            "protocol",
            "port_range_min",
            "port_range_max",
            "remote_ip_prefix",
            "remote_group_id",
            "security_group_id",
            "description",
            "region",
            "tenant_id",
        ],
        normalize: &[("protocol", Ci)],
        computed: &[],
    },
    TypeSpec {
        name: "openstack_compute_instance_v2",
        abbrev: "server",
        force_new: &[
            "image_id",
            "image_name",
            "key_pair",
            "availability_zone",
            "network",
            "user_data",
            "config_drive",
            "region",
        ],
        normalize: &[("security_groups", Set)],
        computed: &[
            ("network[0].fixed_ip_v4", |c| {
                Some(json!(c.ip10("fixed-ip")))
            }),
            ("network[0].mac", |c| Some(json!(c.mac("fa:16:3e", "mac")))),
            ("access_ip_v4", |c| {
                Some(
                    c.path("network[0].fixed_ip_v4")
                        .cloned()
                        .unwrap_or_else(|| json!(c.ip10("fixed-ip"))),
                )
            }),
            ("access_ip_v6", |_| Some(json!(""))),
        ],
    },
    // -------------------------------------------------------- Proxmox --
    TypeSpec {
        name: "proxmox_virtual_environment_vm",
        abbrev: "vm",
        force_new: &["node_name", "vm_id", "clone"],
        normalize: &[],
        computed: &[
            ("vm_id", |c| Some(json!(100 + c.num("vm_id") % 9_900))),
            ("name", |c| Some(json!(format!("vm-{}", c.get("vm_id")?)))),
            ("ipv4_addresses", |c| {
                let configured = c
                    .path("initialization[0].ip_config[0].ipv4[0].address")
                    .and_then(Json::as_str)
                    .filter(|a| *a != "dhcp")
                    .map(|a| a.split('/').next().unwrap_or(a).to_owned());
                let ip = configured.unwrap_or_else(|| c.ip10("ipv4"));
                Some(json!([["127.0.0.1"], [ip]]))
            }),
            ("ipv6_addresses", |c| {
                Some(json!([["::1"], [format!("fe80::{}", c.hex("ipv6", 4))]]))
            }),
            ("mac_addresses", |c| {
                Some(json!(["00:00:00:00:00:00", c.mac("BC:24:11", "mac")]))
            }),
            ("network_interface_names", |_| Some(json!(["lo", "eth0"]))),
        ],
    },
];

fn spec(resource_type: &str) -> Option<&'static TypeSpec> {
    TYPES.iter().find(|s| s.name == resource_type)
}

/// The resource types the simulated cloud knows in detail (any other
/// type works too, with only an `id`, and an `arn` or `self_link` for
/// AWS and Google types).
pub fn simulated_types() -> Vec<&'static str> {
    TYPES.iter().map(|s| s.name).collect()
}

fn generic_computed(resource_type: &str) -> &'static [(&'static str, Gen)] {
    if resource_type.starts_with("aws_") {
        &[("arn", g_arn)]
    } else if resource_type.starts_with("google_") {
        &[("self_link", g_self_link)]
    } else {
        &[]
    }
}

fn computed_of(resource_type: &str) -> &'static [(&'static str, Gen)] {
    match spec(resource_type) {
        Some(s) => s.computed,
        None => generic_computed(resource_type),
    }
}

/// The hints the simulated cloud gives for a type. `computed` holds `id`
/// and every attribute the cloud fills in, which includes attributes a
/// configuration may also set (such as `name` or `availability_zone`):
/// the cloud fills those only when the configuration leaves them out.
/// Names with `[0]` or `.` (such as `network_interface[0].network_ip`)
/// are paths, in [`attribute_path`] syntax, to values computed inside a
/// block of the configuration.
pub fn type_hints(resource_type: &str) -> TypeHints {
    let mut hints = TypeHints::new();
    for (name, how) in NORMALIZE_BY_NAME {
        hints = hints.normalize(name, *how);
    }
    hints = hints.computed(["id"]);
    hints = hints.computed(computed_of(resource_type).iter().map(|(n, _)| *n));
    if let Some(s) = spec(resource_type) {
        hints = hints.force_new(s.force_new.iter().copied());
        for (name, how) in s.normalize {
            hints = hints.normalize(name, *how);
        }
    }
    hints
}

fn abbrev(resource_type: &str) -> String {
    if let Some(s) = spec(resource_type) {
        return s.abbrev.to_owned();
    }
    let rest = resource_type
        .split_once('_')
        .map_or(resource_type, |(_, rest)| rest);
    let abbrev: String = rest
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    if abbrev.is_empty() {
        "obj".to_owned()
    } else {
        abbrev
    }
}

/// Fills in `id` and the type's computed attributes that `attrs` lacks:
/// from `previous` (the object before an update) where it had them, else
/// freshly computed.
fn fill_computed(
    cloud: &SimCloud,
    config: &str,
    resource_type: &str,
    id: &str,
    attrs: &mut Attrs,
    previous: Option<&Attrs>,
) {
    attrs.insert("id".to_owned(), json!(id));
    for (path, generate) in computed_of(resource_type) {
        if attribute_path(attrs, path).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let kept = previous
            .and_then(|p| attribute_path(p, path))
            .filter(|v| !v.is_null())
            .cloned();
        let value = match kept {
            Some(v) => Some(v),
            None => generate(&Ctx {
                cloud,
                config,
                resource_type,
                id,
                attrs,
            }),
        };
        if let Some(value) = value {
            set_path(attrs, path, value);
        }
    }
}

/// Sets the value at an [`attribute_path`] whose parent exists; a
/// top-level name is always set.
fn set_path(attrs: &mut Attrs, path: &str, value: Json) -> bool {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (name, rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        segments.push(Err(name));
        for index in rest.split(['[', ']']).filter(|s| !s.is_empty()) {
            match index.parse::<usize>() {
                Ok(i) => segments.push(Ok(i)),
                Err(_) => return false,
            }
        }
    }
    let Some((Err(last), parents)) = segments.split_last() else {
        return false;
    };
    let [Err(first), parents @ ..] = parents else {
        attrs.insert((*last).to_owned(), value);
        return true;
    };
    let Some(mut current) = attrs.get_mut(*first) else {
        return false;
    };
    for segment in parents {
        let next = match segment {
            Ok(i) => current.get_mut(*i),
            Err(name) => current.get_mut(*name),
        };
        match next {
            Some(next) => current = next,
            None => return false,
        }
    }
    match current.as_object_mut() {
        Some(object) => {
            object.insert((*last).to_owned(), value);
            true
        }
        None => false,
    }
}

/// What a generator sees.
struct Ctx<'a> {
    cloud: &'a SimCloud,
    config: &'a str,
    resource_type: &'a str,
    id: &'a str,
    attrs: &'a Attrs,
}

impl Ctx<'_> {
    fn hash(&self, salt: &str) -> [u8; 32] {
        sha256(format!("{}/{}/{salt}", self.resource_type, self.id).as_bytes())
    }

    fn num(&self, salt: &str) -> u64 {
        let h = self.hash(salt);
        u64::from_be_bytes(h[..8].try_into().expect("8 bytes"))
    }

    fn hex(&self, salt: &str, len: usize) -> String {
        let mut s = hex(&self.hash(salt));
        s.truncate(len);
        s
    }

    fn digits(&self, salt: &str, len: usize) -> String {
        let h = self.hash(salt);
        let mut s: String =
            h.iter().map(|b| char::from(b'0' + b % 10)).collect();
        if s.starts_with('0') {
            s.replace_range(..1, "1");
        }
        s.truncate(len);
        s
    }

    fn get(&self, name: &str) -> Option<&Json> {
        self.attrs.get(name).filter(|v| !v.is_null())
    }

    fn str(&self, name: &str) -> Option<&str> {
        self.get(name)?.as_str()
    }

    fn path(&self, path: &str) -> Option<&Json> {
        attribute_path(self.attrs, path).filter(|v| !v.is_null())
    }

    fn lookup(&self, id: &str) -> Option<Attrs> {
        self.cloud.lookup_attrs(self.config, id)
    }

    /// Attribute `attr` of the object whose id is in attribute `id_attr`.
    fn lookup_str(&self, id_attr: &str, attr: &str) -> Option<String> {
        let other = self.lookup(self.str(id_attr)?)?;
        other.get(attr)?.as_str().map(str::to_owned)
    }

    /// The VPC of the first subnet listed in `list_attr`, or a made-up
    /// id when it is not in the cloud.
    fn vpc_of_subnets(&self, list_attr: &str) -> String {
        self.get(list_attr)
            .and_then(Json::as_array)
            .and_then(|list| list.first()?.as_str())
            .and_then(|subnet| self.lookup(subnet))
            .and_then(|a| a.get("vpc_id")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("vpc-{}", self.hex("vpc", 17)))
    }

    fn ip10(&self, salt: &str) -> String {
        let h = self.hash(salt);
        format!("10.{}.{}.{}", h[0], h[1], 4 + h[2] % 250)
    }

    fn ip_in_or_10(&self, cidr: Option<&str>, salt: &str) -> String {
        cidr.and_then(|c| host_in(c, self.num(salt)))
            .unwrap_or_else(|| self.ip10(salt))
    }

    /// An address in 203.0.113.0/24, reserved for documentation: never a
    /// real host.
    fn public_ip(&self, salt: &str) -> String {
        format!("203.0.113.{}", 1 + self.num(salt) % 254)
    }

    fn mac(&self, prefix: &str, salt: &str) -> String {
        let h = self.hash(salt);
        format!("{prefix}:{:02x}:{:02x}:{:02x}", h[0], h[1], h[2])
    }

    fn project(&self) -> String {
        self.str("project").unwrap_or(SIM_PROJECT).to_owned()
    }

    fn project_number(&self) -> String {
        let h = sha256(self.project().as_bytes());
        let n = u64::from_be_bytes(h[..8].try_into().expect("8 bytes"));
        format!("{}", 100_000_000_000 + n % 900_000_000_000)
    }

    fn region(&self) -> String {
        if let Some(region) = self.str("region") {
            return region.to_owned();
        }
        if let Some(zone) = self.str("zone")
            && let Some((region, _)) = zone.rsplit_once('-')
        {
            return region.to_owned();
        }
        SIM_GCP_REGION.to_owned()
    }

    fn zone(&self) -> String {
        self.str("zone")
            .map_or_else(|| format!("{}-b", self.region()), str::to_owned)
    }

    fn self_link(&self) -> String {
        let name = self.str("name").unwrap_or(self.id);
        let base = format!(
            "https://www.googleapis.com/compute/v1/projects/{}",
            self.project()
        );
        let t = self.resource_type;
        let scoped = |scope: String, collection: &str| {
            format!("{base}/{scope}/{collection}/{name}")
        };
        let global = |collection: &str| scoped("global".to_owned(), collection);
        match t {
            "google_compute_network" => global("networks"),
            "google_compute_firewall" => global("firewalls"),
            "google_compute_global_address" => global("addresses"),
            "google_compute_health_check" => global("healthChecks"),
            "google_compute_backend_service" => global("backendServices"),
            "google_compute_url_map" => global("urlMaps"),
            "google_compute_managed_ssl_certificate" => {
                global("sslCertificates")
            }
            "google_compute_ssl_policy" => global("sslPolicies"),
            "google_compute_target_https_proxy" => global("targetHttpsProxies"),
            "google_compute_target_http_proxy" => global("targetHttpProxies"),
            "google_compute_global_forwarding_rule" => {
                global("forwardingRules")
            }
            "google_compute_subnetwork" => {
                scoped(format!("regions/{}", self.region()), "subnetworks")
            }
            "google_compute_instance" => {
                scoped(format!("zones/{}", self.zone()), "instances")
            }
            "google_compute_instance_group" => {
                scoped(format!("zones/{}", self.zone()), "instanceGroups")
            }
            "google_sql_database" => format!(
                "https://sqladmin.googleapis.com/sql/v1beta4/projects/{}/\
                 instances/{}/databases/{name}",
                self.project(),
                self.str("instance").unwrap_or("sim"),
            ),
            other => {
                let collection = other.strip_prefix("google_").unwrap_or(other);
                format!(
                    "https://www.googleapis.com/sim/v1/projects/{}/\
                     {collection}/{name}",
                    self.project()
                )
            }
        }
    }
}

fn parse_cidr(cidr: &str) -> Option<(u32, u32)> {
    let (addr, len) = cidr.split_once('/')?;
    let addr: std::net::Ipv4Addr = addr.trim().parse().ok()?;
    let len: u32 = len.trim().parse().ok()?;
    if len > 32 {
        return None;
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some((u32::from(addr) & mask, len))
}

/// The first host of an IPv4 CIDR block: its gateway on most clouds.
fn first_host(cidr: &str) -> Option<String> {
    let (network, len) = parse_cidr(cidr)?;
    let host = if len >= 31 { network } else { network + 1 };
    Some(std::net::Ipv4Addr::from(host).to_string())
}

/// A host address in an IPv4 CIDR block, chosen by `n`, avoiding the
/// first four addresses (which clouds reserve) and the broadcast address.
fn host_in(cidr: &str, n: u64) -> Option<String> {
    let (network, len) = parse_cidr(cidr)?;
    let size = 1u64 << (32 - len);
    if size < 8 {
        return None;
    }
    let offset = 4 + n % (size - 5);
    let host = u32::try_from(u64::from(network) + offset).ok()?;
    Some(std::net::Ipv4Addr::from(host).to_string())
}

// -------------------------------------------------------- data sources --

/// A data source's attributes: its configuration plus deterministic
/// values derived from it. Secrets come back as references, never as
/// values.
fn data_source(config: &str, resource_type: &str, attrs: &Attrs) -> Attrs {
    let canonical = serde_json::to_string(attrs).expect("JSON serialises");
    let h = sha256(format!("{config}/{resource_type}/{canonical}").as_bytes());
    let hx = hex(&h);
    let mut out = attrs.clone();
    let s = |name: &str| attrs.get(name).and_then(Json::as_str);
    let mut set = |name: &str, value: Json| {
        out.entry(name.to_owned()).or_insert(value);
    };
    match resource_type {
        "aws_ami" => {
            let ami = format!("ami-{}", &hx[..17]);
            set("id", json!(ami));
            set("image_id", json!(ami));
            set("name", json!(format!("sim-image-{}", &hx[17..25])));
            set("architecture", json!("x86_64"));
            set("root_device_name", json!("/dev/xvda"));
            let owner = attrs
                .get("owners")
                .and_then(|o| o.get(0))
                .and_then(Json::as_str)
                .unwrap_or(SIM_ACCOUNT);
            set("owner_id", json!(owner));
        }
        "aws_availability_zones" => {
            set("id", json!(SIM_REGION));
            set(
                "names",
                json!(["a", "b", "c"].map(|l| format!("{SIM_REGION}{l}"))),
            );
        }
        "aws_caller_identity" => {
            set("id", json!(SIM_ACCOUNT));
            set("account_id", json!(SIM_ACCOUNT));
            set("arn", json!(format!("arn:aws:iam::{SIM_ACCOUNT}:user/sim")));
            set("user_id", json!(format!("AIDA{}", hx[..17].to_uppercase())));
        }
        "aws_region" => {
            set("id", json!(SIM_REGION));
            set("name", json!(SIM_REGION));
        }
        "aws_secretsmanager_secret_version" => {
            let secret = s("secret_id").unwrap_or("unknown").to_owned();
            set("id", json!(format!("{secret}|AWSCURRENT")));
            set("version_id", json!(&hx[..32]));
            set(
                "secret_string",
                json!({ "secret_ref": format!("aws:{secret}") }),
            );
        }
        "google_secret_manager_secret_version" => {
            let secret = s("secret").unwrap_or("unknown").to_owned();
            set("id", json!(format!("{secret}/versions/latest")));
            set(
                "secret_data",
                json!({ "secret_ref": format!("gcp:{secret}") }),
            );
        }
        _ => {
            set(
                "id",
                json!(format!("{}-{}", abbrev(resource_type), &hx[..16])),
            );
            if resource_type.starts_with("google_") {
                set(
                    "self_link",
                    json!(format!(
                        "https://www.googleapis.com/sim/v1/projects/\
                         {SIM_PROJECT}/{resource_type}/{}",
                        &hx[..16]
                    )),
                );
            }
        }
    }
    out
}
