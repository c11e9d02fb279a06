//! Salt configuration of the machines an environment creates, and the
//! synthesis of an environment's Salt and pillar trees.
//!
//! A [`Machine`] is attached to a compute resource with
//! `env.configure(&vm, Machine::new().role(&web))`. Pillar values may come
//! from the infrastructure (`db.address()`); those are known only after
//! apply, so [`synth`] writes them as `null` and lists their keys under
//! `onioncloud:pending`; [`synth_deployed`] fills them in from the state an
//! apply left. Secrets become `sdb://` URIs, never values.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use onioncloud_core::engine::plan::attribute_path;
use onioncloud_core::engine::state::StateDoc;
use onioncloud_core::{
    CompiledEnv, Configuration, Input, SecretRef, SecretStore, SourceLocation,
    Value,
};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::{Role, SaltTree, SaltValue, TreeError};

/// The pillar key synthesis fills with each machine's metadata: its
/// resource address, its environment and its pending keys.
const METADATA_KEY: &str = "onioncloud";

/// A machine named in a [`MachineError`]: its resource address and where
/// `env.configure(...)` attached the configuration at fault. Displayed as
/// `aws_instance.web-0 (configured at src/main.rs:12)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredMachine {
    /// The machine's resource address.
    pub address: String,
    /// Where its configuration was attached.
    pub location: SourceLocation,
}

impl std::fmt::Display for ConfiguredMachine {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{} (configured at {})",
            self.address, self.location
        )
    }
}

/// What synthesizing an environment's Salt tree can fail with.
///
/// Errors that machines cause name them (address and where their
/// configuration was attached); the details of a tree error are in its
/// [source](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MachineError {
    /// The Salt configuration of one machine does not render: a bad role
    /// name or minion id, a bad state, a state id used twice, a requisite
    /// on a state the machine does not receive.
    #[error("the salt configuration of {machine} is invalid")]
    Machine {
        /// The machine.
        machine: Box<ConfiguredMachine>,
        /// Why.
        #[source]
        source: Box<TreeError>,
    },
    /// The Salt configurations of two machines cannot be rendered together:
    /// two different roles with one name, or minion ids that share a
    /// pillar file.
    #[error("the salt configurations of {first} and {second} conflict")]
    Conflict {
        /// One machine.
        first: Box<ConfiguredMachine>,
        /// The other.
        second: Box<ConfiguredMachine>,
        /// Why.
        #[source]
        source: Box<TreeError>,
    },
    /// The tree of one environment does not render, for a reason no machine
    /// can be named for.
    #[error("the salt tree of environment {environment} is invalid")]
    Tree {
        /// The environment.
        environment: String,
        /// Why.
        #[source]
        source: Box<TreeError>,
    },
    /// A configuration attached to a resource that is not a machine.
    #[error(
        "{machine} is not a machine: Salt configures instances and VMs \
         ({})",
        MACHINE_TYPES.join(", ")
    )]
    NotAMachine {
        /// The resource and where it was configured.
        machine: Box<ConfiguredMachine>,
    },
    /// One machine configured twice in ways that disagree.
    #[error("{first} and {second} configure one machine: {reason}")]
    ConflictingConfiguration {
        /// The first configuration.
        first: Box<ConfiguredMachine>,
        /// The second.
        second: Box<ConfiguredMachine>,
        /// How they disagree.
        reason: String,
    },
    /// Two machines would get one minion id.
    #[error("{first} and {second} would both have minion id {minion_id:?}")]
    DuplicateMinion {
        /// The id.
        minion_id: String,
        /// One machine.
        first: Box<ConfiguredMachine>,
        /// The other.
        second: Box<ConfiguredMachine>,
    },
    /// A machine sets the pillar key `onioncloud`, which synthesis fills
    /// with the machine's metadata.
    #[error(
        "{machine} sets the pillar key `onioncloud`, which is reserved for \
         the machine's metadata"
    )]
    ReservedPillarKey {
        /// The machine.
        machine: Box<ConfiguredMachine>,
    },
    /// A pillar value is a NaN or infinite `f64`, which a pillar value
    /// cannot hold (OnionCloud values keep only finite numbers).
    #[error(
        "pillar key `{key}` of {machine} is NaN or infinite; pillar numbers \
         must be finite"
    )]
    NonFiniteNumber {
        /// The key, with the path inside it for nested values, like
        /// `weights[2]`.
        key: String,
        /// The machine.
        machine: Box<ConfiguredMachine>,
    },
    /// A pillar number fits neither a 64-bit signed integer nor a float,
    /// like an unsigned integer above `i64::MAX`.
    #[error(
        "pillar key `{key}` of {machine} holds {number}, which does not fit \
         a 64-bit signed integer"
    )]
    NumberOutOfRange {
        /// The key, with the path inside it for nested values.
        key: String,
        /// The number.
        number: String,
        /// The machine.
        machine: Box<ConfiguredMachine>,
    },
    /// A pillar value refers to a secret held as a plain value: a
    /// sensitive variable or a resource attribute the state marks
    /// sensitive. Pillar files are written to disk, so secrets reach
    /// machines only as secret references (`sdb://`).
    #[error(
        "pillar key `{key}` of {machine} would carry the sensitive value \
         {what}; give machines secrets as secret references instead"
    )]
    SensitivePillar {
        /// The key, with the path inside it for nested values.
        key: String,
        /// The variable or attribute, like `var.db_password`.
        what: String,
        /// The machine.
        machine: Box<ConfiguredMachine>,
    },
    /// The SSH login of a machine cannot be written to a roster: a host,
    /// user or path `salt-ssh` would misread.
    #[error("the ssh login of {machine} is invalid")]
    Roster {
        /// The machine.
        machine: Box<ConfiguredMachine>,
        /// Why.
        #[source]
        source: crate::ssh::RosterError,
    },
    /// A machine was given an SLS its formula does not have.
    #[error("{machine} is given sls `{sls}`, which its formula does not have")]
    UnknownFormulaSls {
        /// The SLS name.
        sls: String,
        /// The machine.
        machine: Box<ConfiguredMachine>,
    },
    /// A pillar value refers to an attribute the deployed resource does
    /// not have.
    #[error(
        "pillar key `{key}` of {machine} refers to {reference}, which the \
         deployed resource does not have"
    )]
    MissingAttribute {
        /// The key, with the path inside it for nested values.
        key: String,
        /// The reference, like `aws_db_instance.orders.address`.
        reference: String,
        /// The machine.
        machine: Box<ConfiguredMachine>,
    },
}

/// What is known of the infrastructure once it is deployed: the state an
/// apply left and the values of the environment's variables. With it,
/// [`synth_deployed`] fills in pillar values that come from the
/// infrastructure.
#[derive(Debug, Clone, Copy)]
pub struct Deployed<'a> {
    /// The environment's state.
    pub state: &'a StateDoc,
    /// The values of the environment's variables, by name. Sensitive
    /// variables may be left out: a pillar value that needs one is an
    /// error either way.
    pub variables: &'a BTreeMap<String, Json>,
}

/// The Salt configuration of one machine: its roles, its pillar, and
/// optionally its minion id (by default the resource's name).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    minion_id: Option<String>,
    roles: Vec<Role>,
    pillar: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "SshLogin::is_default")]
    ssh: SshLogin,
    /// Files of formulas the machine's roles come from, by path under
    /// `salt/`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    files: BTreeMap<PathBuf, String>,
    /// SLS names given to [`Machine::formula`] that the formula lacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    missing_sls: Vec<String>,
}

/// How `salt-ssh` logs in to a machine: set with [`Machine::ssh_host`]
/// and its siblings; everything left unset has a default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SshLogin {
    /// The host; by default the machine's address in the state (see
    /// [`Machine::ssh_host`]).
    pub host: Option<Value>,
    /// The port; 22 by default.
    pub port: Option<u16>,
    /// The user; the command line's `--ssh-user` by default.
    pub user: Option<String>,
    /// Whether to run Salt with sudo.
    pub sudo: bool,
    /// The `PATH` Salt's shim looks for python in on the machine.
    pub path: Option<String>,
}

impl SshLogin {
    fn is_default(&self) -> bool {
        *self == SshLogin::default()
    }
}

/// The attributes that hold a machine's address, by resource type, in
/// order of preference: the first that is a non-empty string is the host
/// `salt-ssh` connects to unless [`Machine::ssh_host`] names one.
const HOST_ATTRIBUTES: [(&str, &[&str]); 4] = [
    ("aws_instance", &["public_ip", "private_ip"]),
    (
        "google_compute_instance",
        &[
            "network_interface[0].access_config[0].nat_ip",
            "network_interface[0].network_ip",
        ],
    ),
    (
        "openstack_compute_instance_v2",
        &["access_ip_v4", "access_ip_v6"],
    ),
    ("proxmox_virtual_environment_vm", &["ipv4_addresses[1][0]"]),
];

impl Machine {
    /// A machine with no roles yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives the machine a role.
    pub fn role(mut self, role: &Role) -> Self {
        self.roles.push(role.clone());
        self
    }

    /// Sets the minion id; by default it is the resource's name.
    pub fn minion_id(mut self, id: impl Into<String>) -> Self {
        self.minion_id = Some(id.into());
        self
    }

    /// Adds a pillar value: a literal, an output of the infrastructure,
    /// or a secret reference.
    ///
    /// The key `onioncloud` is reserved for the metadata [`synth`] adds,
    /// and numbers must be finite: [`synth`] reports either as an error.
    pub fn pillar<T>(
        mut self,
        key: impl Into<String>,
        value: impl Into<Input<T>>,
    ) -> Self {
        let key = key.into();
        let value = value.into().into_value();
        self.pillar.insert(key, value);
        self
    }

    /// Gives the machine the SLS `sls` of a formula read with
    /// [`read_tree`](crate::read::read_tree), every SLS it includes, and
    /// the formula's other files (templates and sources its states name
    /// as `salt://…`). An SLS the formula does not have is reported by
    /// [`synth`].
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use std::path::PathBuf;
    ///
    /// use onioncloud_salt::Machine;
    ///
    /// let files = BTreeMap::from([
    ///     (PathBuf::from("salt/top.sls"), "base: {}\n".to_owned()),
    ///     (
    ///         PathBuf::from("salt/motd/init.sls"),
    ///         "/etc/motd:\n  file.managed:\n    - contents: hello\n"
    ///             .to_owned(),
    ///     ),
    /// ]);
    /// let formulas = onioncloud_salt::read::read_files(&files)?;
    /// let machine = Machine::new().formula(&formulas, "motd");
    /// assert_eq!(machine.roles()[0].sls_name(), "motd");
    /// # Ok::<(), onioncloud_salt::read::ReadError>(())
    /// ```
    pub fn formula(mut self, formula: &SaltTree, sls: &str) -> Self {
        let by_sls: BTreeMap<String, &Role> = formula
            .roles()
            .iter()
            .map(|role| (role.sls_name(), role))
            .collect();
        let Some(first) = by_sls.get(sls) else {
            self.missing_sls.push(sls.to_owned());
            return self;
        };
        // The SLS, then what it includes, each once.
        let mut pending = vec![*first];
        while let Some(role) = pending.pop() {
            if self.roles.iter().any(|given| given.name() == role.name()) {
                continue;
            }
            self.roles.push(role.clone());
            for include in role.includes().iter().rev() {
                match by_sls.get(include) {
                    Some(included) => pending.push(included),
                    None => self.missing_sls.push(include.clone()),
                }
            }
        }
        for (path, text) in formula.files() {
            self.files.insert(path.clone(), text.clone());
        }
        self
    }

    /// The host `salt-ssh` connects to: a literal or an output of the
    /// infrastructure, like `vm.private_ip()`. By default it is the
    /// machine's address in the state: the public address if it has one,
    /// else the private one.
    pub fn ssh_host(mut self, host: impl Into<Input<String>>) -> Self {
        self.ssh.host = Some(host.into().into_value());
        self
    }

    /// The SSH port; 22 by default.
    pub fn ssh_port(mut self, port: u16) -> Self {
        self.ssh.port = Some(port);
        self
    }

    /// The user `salt-ssh` logs in as; by default the command line's
    /// `--ssh-user`.
    pub fn ssh_user(mut self, user: impl Into<String>) -> Self {
        self.ssh.user = Some(user.into());
        self
    }

    /// Runs Salt with sudo, for a user other than root.
    pub fn ssh_sudo(mut self, sudo: bool) -> Self {
        self.ssh.sudo = sudo;
        self
    }

    /// The `PATH` in which Salt's shim looks for python on the machine,
    /// like `/usr/bin:/bin`, when the login shell's would find another.
    pub fn ssh_path(mut self, path: impl Into<String>) -> Self {
        self.ssh.path = Some(path.into());
        self
    }

    /// The roles.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }
}

/// The path of the first null inside `value`, which is at `path`.
#[typetag::serde(name = "salt")]
impl Configuration for Machine {
    fn system(&self) -> &'static str {
        "salt"
    }

    fn values(&self) -> Vec<(String, &Value)> {
        let host = self.ssh.host.iter().map(|v| ("ssh.host".to_owned(), v));
        self.pillar
            .iter()
            .map(|(k, v)| (format!("pillar.{k}"), v))
            .chain(host)
            .collect()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The `sdb://` URI for a secret. The profile names (`aws_secrets_manager`,
/// `gcp_secret_manager`, `vault`) must be configured on the minions.
pub fn sdb_uri(secret: &SecretRef) -> String {
    match &secret.store {
        SecretStore::AwsSecretsManager => {
            format!("sdb://aws_secrets_manager/{}", secret.name)
        }
        SecretStore::GcpSecretManager { project: Some(p) } => {
            format!("sdb://gcp_secret_manager/{p}/{}", secret.name)
        }
        SecretStore::GcpSecretManager { project: None } => {
            format!("sdb://gcp_secret_manager/{}", secret.name)
        }
        SecretStore::Vault { mount } => format!(
            "sdb://vault/{mount}/{}/{}",
            secret.name,
            secret.key.as_deref().unwrap_or("value")
        ),
    }
}

/// The path of the first NaN or infinite number in a pillar value.
fn first_non_finite(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::NonFinite(_) => Some(path.to_owned()),
        Value::List(items) | Value::Concat(items) => {
            items.iter().enumerate().find_map(|(index, item)| {
                first_non_finite(item, &format!("{path}[{index}]"))
            })
        }
        Value::Map(map) => map.iter().find_map(|(key, item)| {
            first_non_finite(item, &format!("{path}.{key}"))
        }),
        _ => None,
    }
}

/// Why a pillar value cannot be written.
enum PillarProblem {
    /// A number a [`SaltValue`] cannot hold.
    Unrepresentable {
        /// Where, like `port` or `ports[2]`.
        path: String,
        /// The number.
        number: String,
    },
    /// A plain value that is a secret.
    Sensitive {
        /// Where.
        path: String,
        /// The variable or attribute.
        what: String,
    },
    /// A reference to an attribute the deployed resource lacks.
    Missing {
        /// Where.
        path: String,
        /// The reference.
        reference: String,
    },
}

impl PillarProblem {
    fn into_error(self, machine: Box<ConfiguredMachine>) -> MachineError {
        match self {
            PillarProblem::Unrepresentable { path, number } => {
                MachineError::NumberOutOfRange {
                    key: path,
                    number,
                    machine,
                }
            }
            PillarProblem::Sensitive { path, what } => {
                MachineError::SensitivePillar {
                    key: path,
                    what,
                    machine,
                }
            }
            PillarProblem::Missing { path, reference } => {
                MachineError::MissingAttribute {
                    key: path,
                    reference,
                    machine,
                }
            }
        }
    }
}

/// What pillar values are resolved against.
struct PillarContext<'a> {
    /// The environment.
    env: &'a CompiledEnv,
    /// The deployed infrastructure, when known.
    deployed: Option<Deployed<'a>>,
}

impl PillarContext<'_> {
    /// What in `value` would carry a secret, if anything: its first part
    /// that is, or derives from, a secret or a sensitive variable, as the
    /// environment judges it ([`CompiledEnv::is_sensitive`]), like
    /// `var.token` or `aws_db_instance.orders.password`. Known before
    /// anything is deployed.
    fn sensitive_part(&self, value: &Value) -> Option<String> {
        let mut found = None;
        value.for_each_leaf(&mut |leaf| {
            if found.is_none() && self.env.is_sensitive(leaf) {
                found = Some(match leaf {
                    Value::Secret(secret) => format!("the secret {secret}"),
                    Value::Variable(name) => format!("var.{name}"),
                    Value::Ref(reference) => reference.to_string(),
                    _ => "a sensitive value".to_owned(),
                });
            }
        });
        found
    }
}

/// A pillar value at `path`, or `None` when it is not known yet.
fn pillar_value(
    value: &Value,
    path: &str,
    context: &PillarContext<'_>,
) -> Result<Option<SaltValue>, PillarProblem> {
    let unrepresentable = |number: String| PillarProblem::Unrepresentable {
        path: path.to_owned(),
        number,
    };
    Ok(Some(match value {
        Value::Null => SaltValue::Null,
        Value::Bool(b) => SaltValue::Bool(*b),
        Value::Number(n) => {
            let json = Json::Number(n.clone());
            SaltValue::from_json(&json)
                .map_err(|_| unrepresentable(n.to_string()))?
        }
        Value::String(s) => SaltValue::String(s.clone()),
        // Refused, with its path, before conversion.
        Value::NonFinite(text) => return Err(unrepresentable(text.clone())),
        Value::Secret(secret) => SaltValue::String(sdb_uri(secret)),
        Value::List(items) => {
            let mut list = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let at = format!("{path}[{index}]");
                match pillar_value(item, &at, context)? {
                    Some(item) => list.push(item),
                    None => return Ok(None),
                }
            }
            SaltValue::List(list)
        }
        Value::Map(map) => {
            let mut entries = BTreeMap::new();
            for (key, item) in map {
                let at = format!("{path}.{key}");
                match pillar_value(item, &at, context)? {
                    Some(item) => entries.insert(key.clone(), item),
                    None => return Ok(None),
                };
            }
            SaltValue::Map(entries)
        }
        Value::Concat(parts) => {
            let mut text = String::new();
            for (index, part) in parts.iter().enumerate() {
                let at = format!("{path}[{index}]");
                match pillar_value(part, &at, context)? {
                    Some(SaltValue::String(s)) => text.push_str(&s),
                    Some(SaltValue::Null) | None => return Ok(None),
                    Some(other) => text.push_str(&other.to_json().to_string()),
                }
            }
            SaltValue::String(text)
        }
        Value::Variable(name) => {
            if let Some(what) = context.sensitive_part(value) {
                return Err(PillarProblem::Sensitive {
                    path: path.to_owned(),
                    what,
                });
            }
            let Some(deployed) = &context.deployed else {
                return Ok(None);
            };
            match deployed.variables.get(name.as_str()) {
                Some(json) => from_deployed_json(json, path)?,
                None => return Ok(None),
            }
        }
        Value::Ref(reference) => {
            if let Some(what) = context.sensitive_part(value) {
                return Err(PillarProblem::Sensitive {
                    path: path.to_owned(),
                    what,
                });
            }
            let Some(deployed) = &context.deployed else {
                return Ok(None);
            };
            let address = reference.address.to_string();
            let Some(resource) = deployed.state.resources.get(&address) else {
                return Ok(None);
            };
            let attribute = &reference.attr;
            let root = attribute
                .split(['.', '['])
                .next()
                .unwrap_or(attribute.as_str());
            if resource.sensitive_attributes.iter().any(|s| s == root) {
                return Err(PillarProblem::Sensitive {
                    path: path.to_owned(),
                    what: reference.to_string(),
                });
            }
            match attribute_path(&resource.attributes, attribute) {
                Some(json) => from_deployed_json(json, path)?,
                None => {
                    return Err(PillarProblem::Missing {
                        path: path.to_owned(),
                        reference: reference.to_string(),
                    });
                }
            }
        }
        Value::Expr(_) | Value::Unknown => return Ok(None),
    }))
}

/// A pillar value from a deployed attribute or variable value.
fn from_deployed_json(
    json: &Json,
    path: &str,
) -> Result<SaltValue, PillarProblem> {
    SaltValue::from_json(json).map_err(|_| PillarProblem::Unrepresentable {
        path: path.to_owned(),
        number: json.to_string(),
    })
}

/// One `env.configure(&machine, Machine…)`, as synthesis placed it.
struct Placed<'a> {
    address: String,
    location: &'a SourceLocation,
    minion: String,
    roles: &'a [Role],
}

impl Placed<'_> {
    fn machine(&self) -> Box<ConfiguredMachine> {
        configured(self.address.clone(), self.location)
    }
}

/// The resource types Salt can configure: the clouds' instances and VMs.
pub const MACHINE_TYPES: [&str; 4] = [
    "aws_instance",
    "google_compute_instance",
    "openstack_compute_instance_v2",
    "proxmox_virtual_environment_vm",
];

fn configured(
    address: String,
    location: &SourceLocation,
) -> Box<ConfiguredMachine> {
    Box::new(ConfiguredMachine {
        address,
        location: location.clone(),
    })
}

/// What synthesis adds to one minion's pillar under `onioncloud`.
struct Metadata {
    address: String,
    ssh: Option<DeployedLogin>,
    /// The states of each role the minion receives, by role name.
    states: BTreeMap<String, usize>,
    /// The index in the placed machines of the first one with this id.
    first: usize,
    pending: BTreeSet<String>,
}

/// Synthesizes the Salt tree (`salt/top.sls`, `salt/roles/*.sls`) and the
/// pillar tree (`pillar/top.sls`, `pillar/minions/*.sls`) of every machine
/// the environment configures. An environment that configures no machine
/// gives no files.
///
/// Pillar values that come from the infrastructure (outputs, variables)
/// are written as `null`, and their keys listed under
/// `onioncloud:pending`.
///
/// # Errors
///
/// Fails when two machines share a minion id, a machine sets the reserved
/// pillar key `onioncloud` or a number pillar cannot hold, or the tree does
/// not render (duplicate state ids, requisites to missing states, bad
/// names). Errors name the machines at fault and where their configuration
/// was attached.
pub fn synth(
    env: &CompiledEnv,
) -> Result<BTreeMap<PathBuf, String>, MachineError> {
    let context = PillarContext::new(env, None);
    Ok(synthesize(env, &context)?.files)
}

/// The Salt and pillar trees of an environment whose infrastructure is
/// deployed, with each machine's minion id, address and the pillar keys
/// still not known.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployedSalt {
    /// The files, as [`synth`] lays them out.
    pub files: BTreeMap<PathBuf, String>,
    /// The machines, by minion id.
    pub minions: BTreeMap<String, DeployedMinion>,
}

/// One machine of a [`DeployedSalt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedMinion {
    /// The machine's resource address.
    pub address: String,
    /// How `salt-ssh` logs in to it, with the host resolved: `None` when
    /// no host is known.
    pub ssh: Option<DeployedLogin>,
    /// How many states its roles hold: what its highstate applies.
    pub states: usize,
    /// Pillar keys whose values are still not known (a reference to a
    /// resource the state does not hold, a raw Terraform expression).
    /// Salt must not run on the machine while any is left.
    pub pending: Vec<String>,
}

/// How `salt-ssh` logs in to a deployed machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedLogin {
    /// The host.
    pub host: String,
    /// The port, if not 22.
    pub port: Option<u16>,
    /// The user, if the machine names one.
    pub user: Option<String>,
    /// Whether to run Salt with sudo.
    pub sudo: bool,
    /// The `PATH` for python on the machine, if the machine names one.
    pub path: Option<String>,
}

/// The login of the machine at `address`, with its host resolved from
/// `context`, or `None` when no host is known.
fn deployed_login(
    machine: &Machine,
    address: &str,
    context: &PillarContext<'_>,
) -> Result<Option<DeployedLogin>, PillarProblem> {
    let host = match &machine.ssh.host {
        Some(value) => {
            // A host is written to the roster in the clear.
            if let Some(what) = context.sensitive_part(value) {
                return Err(PillarProblem::Sensitive {
                    path: "ssh.host".to_owned(),
                    what,
                });
            }
            match pillar_value(value, "ssh.host", context)? {
                Some(SaltValue::String(host)) => Some(host),
                _ => None,
            }
        }
        None => (|| {
            let deployed = context.deployed.as_ref()?;
            let resource = deployed.state.resources.get(address)?;
            HOST_ATTRIBUTES
                .iter()
                .find(|(kind, _)| *kind == resource.kind)
                .and_then(|(_, paths)| {
                    paths.iter().find_map(|path| {
                        attribute_path(&resource.attributes, path)?
                            .as_str()
                            .filter(|host| !host.is_empty())
                            .map(str::to_owned)
                    })
                })
        })(),
    };
    Ok(host.map(|host| DeployedLogin {
        host,
        port: machine.ssh.port,
        user: machine.ssh.user.clone(),
        sudo: machine.ssh.sudo,
        path: machine.ssh.path.clone(),
    }))
}

/// Like [`synth`], with the pillar values that come from the
/// infrastructure filled in from `deployed`.
///
/// # Errors
///
/// Those of [`synth`], and a pillar value that would carry a sensitive
/// variable or attribute, or refers to an attribute the deployed resource
/// lacks.
pub fn synth_deployed(
    env: &CompiledEnv,
    deployed: Deployed<'_>,
) -> Result<DeployedSalt, MachineError> {
    let context = PillarContext::new(env, Some(deployed));
    synthesize(env, &context)
}

impl<'a> PillarContext<'a> {
    fn new(env: &'a CompiledEnv, deployed: Option<Deployed<'a>>) -> Self {
        PillarContext { env, deployed }
    }
}

fn synthesize(
    env: &CompiledEnv,
    context: &PillarContext<'_>,
) -> Result<DeployedSalt, MachineError> {
    let mut tree = SaltTree::new();
    let mut placed: Vec<Placed<'_>> = Vec::new();
    let mut machines: Vec<&Machine> = Vec::new();
    let mut by_address: std::collections::HashMap<String, (String, usize)> =
        std::collections::HashMap::new();
    let mut metadata: BTreeMap<String, Metadata> = BTreeMap::new();
    for decl in env.configurations() {
        let Some(machine) =
            decl.configuration.as_any().downcast_ref::<Machine>()
        else {
            continue;
        };
        let address = decl.target.to_string();
        let location = &decl.location;
        let minion = machine
            .minion_id
            .clone()
            .unwrap_or_else(|| decl.target.name.to_string());
        if !MACHINE_TYPES.contains(&decl.target.kind.as_str()) {
            return Err(MachineError::NotAMachine {
                machine: configured(address, location),
            });
        }

        // A machine may be configured more than once (a base role here, a
        // web role there), as long as the configurations agree.
        if let Some(&(ref first_minion, index)) = by_address.get(&address) {
            let first: &Placed<'_> = &placed[index];
            let first_machine = machines[index];
            let reason = if *first_minion != minion {
                Some(format!(
                    "they give it two minion ids, {first_minion:?} and \
                     {minion:?}"
                ))
            } else {
                first_machine
                    .pillar
                    .keys()
                    .find(|key| machine.pillar.contains_key(*key))
                    .map(|key| format!("both set the pillar key `{key}`"))
            };
            if let Some(reason) = reason {
                return Err(MachineError::ConflictingConfiguration {
                    first: first.machine(),
                    second: configured(address, location),
                    reason,
                });
            }
        }
        if let Some(meta) = metadata.get(&minion)
            && meta.address != address
        {
            return Err(MachineError::DuplicateMinion {
                minion_id: minion,
                first: placed[meta.first].machine(),
                second: configured(address, location),
            });
        }
        if machine.pillar.contains_key(METADATA_KEY) {
            return Err(MachineError::ReservedPillarKey {
                machine: configured(address, location),
            });
        }
        for (key, value) in &machine.pillar {
            if let Some(path) = first_non_finite(value, key) {
                return Err(MachineError::NonFiniteNumber {
                    key: path,
                    machine: configured(address, location),
                });
            }
        }
        if let Some(sls) = machine.missing_sls.first() {
            return Err(MachineError::UnknownFormulaSls {
                sls: sls.clone(),
                machine: configured(address, location),
            });
        }
        for role in &machine.roles {
            tree.assign(minion.clone(), role);
        }
        for (path, text) in &machine.files {
            tree.add_file(path.clone(), text.clone());
        }
        // A machine configured twice gets the pillar of both.
        let first = placed.len();
        let meta = metadata.entry(minion.clone()).or_insert_with(|| Metadata {
            address: address.clone(),
            ssh: None,
            states: BTreeMap::new(),
            first,
            pending: BTreeSet::new(),
        });
        // A machine configured twice logs in as its first configuration
        // with a known host says.
        for role in &machine.roles {
            meta.states
                .insert(role.name().to_owned(), role.states().len());
        }
        if meta.ssh.is_none() {
            meta.ssh = deployed_login(machine, &address, context).map_err(
                |problem| {
                    problem.into_error(configured(address.clone(), location))
                },
            )?;
        }
        for (key, value) in &machine.pillar {
            let value = match pillar_value(value, key, context) {
                Ok(Some(value)) => {
                    meta.pending.remove(key);
                    value
                }
                Ok(None) => {
                    meta.pending.insert(key.clone());
                    SaltValue::Null
                }
                Err(problem) => {
                    return Err(
                        problem.into_error(configured(address, location))
                    );
                }
            };
            tree.set_pillar(minion.clone(), key.clone(), value);
        }
        by_address
            .entry(address.clone())
            .or_insert_with(|| (minion.clone(), placed.len()));
        machines.push(machine);
        placed.push(Placed {
            address,
            location,
            minion,
            roles: &machine.roles,
        });
    }
    let mut minions = BTreeMap::new();
    if placed.is_empty() {
        return Ok(DeployedSalt {
            files: BTreeMap::new(),
            minions,
        });
    }
    for (minion, meta) in metadata {
        let pending: Vec<String> = meta.pending.into_iter().collect();
        let listed = pending.iter().cloned().map(SaltValue::String);
        let entries = BTreeMap::from([
            (
                "address".to_owned(),
                SaltValue::String(meta.address.clone()),
            ),
            (
                "environment".to_owned(),
                SaltValue::String(env.name().to_owned()),
            ),
            ("pending".to_owned(), SaltValue::List(listed.collect())),
        ]);
        tree.set_pillar(minion.clone(), METADATA_KEY, SaltValue::Map(entries));
        minions.insert(
            minion,
            DeployedMinion {
                address: meta.address,
                ssh: meta.ssh,
                states: meta.states.values().sum(),
                pending,
            },
        );
    }
    let mut files = tree
        .render()
        .map_err(|source| attribute(source, &placed, env.name()))?;
    let roster = roster(&minions, env.name()).map_err(|(minion, source)| {
        MachineError::Roster {
            machine: placed
                .iter()
                .find(|decl| decl.minion == minion)
                .map(Placed::machine)
                .expect("every minion was placed"),
            source,
        }
    })?;
    files.insert(PathBuf::from(ROSTER_PATH), roster);
    Ok(DeployedSalt { files, minions })
}

/// Where synthesis writes the `salt-ssh` roster of the machines.
pub const ROSTER_PATH: &str = "salt-ssh/roster";

/// The private key a roster names: `salt-ssh`'s own default, which
/// `salt-ssh --priv` or the command line's `--ssh-key` replace.
const DEFAULT_SSH_KEY: &str = "/etc/salt/pki/master/ssh/salt-ssh.rsa";

/// The `salt-ssh` roster of the machines whose host is known, with a
/// comment naming the others, whose hosts are known once the
/// infrastructure is deployed.
fn roster(
    minions: &BTreeMap<String, DeployedMinion>,
    environment: &str,
) -> Result<String, (String, crate::ssh::RosterError)> {
    let mut roster = crate::ssh::Roster::new();
    let mut unknown = Vec::new();
    for (minion, machine) in minions {
        let Some(login) = &machine.ssh else {
            unknown.push(format!("#   {minion}: {}\n", machine.address));
            continue;
        };
        let defaults =
            crate::ssh::RosterEntry::new(&login.host, DEFAULT_SSH_KEY);
        let entry = crate::ssh::RosterEntry {
            port: login.port.unwrap_or(defaults.port),
            user: login.user.clone().unwrap_or(defaults.user.clone()),
            sudo: login.sudo,
            set_path: login.path.clone(),
            ..defaults
        };
        roster
            .insert(minion, entry)
            .map_err(|source| (minion.clone(), source))?;
    }
    let rendered = roster.render();
    let body = rendered.strip_prefix("#!yaml\n").unwrap_or(&rendered);
    let mut text = format!(
        "#!yaml\n# The salt-ssh roster of environment {environment}.\n"
    );
    if !unknown.is_empty() {
        text.push_str(
            "# Machines whose host is known once they exist (run synth \
             --from-state after apply):\n",
        );
        unknown.iter().for_each(|line| text.push_str(line));
    }
    text.push_str(if body.trim() == "{}" { "" } else { body });
    Ok(text)
}

/// Turns a tree error into a [`MachineError`] naming the machines at
/// fault.
fn attribute(
    source: TreeError,
    placed: &[Placed<'_>],
    environment: &str,
) -> MachineError {
    let of_minion =
        |minion: &str| placed.iter().find(|decl| decl.minion == minion);
    let giving = |minion: Option<&str>, role: &str| {
        placed.iter().find(|decl| {
            minion.is_none_or(|minion| decl.minion == minion)
                && decl.roles.iter().any(|given| given.name() == role)
        })
    };
    let (first, second) = match &source {
        TreeError::BadMinionId { id } => (of_minion(id), None),
        TreeError::PillarFileClash { first, second, .. } => {
            (of_minion(first), of_minion(second))
        }
        TreeError::BadRoleName { name: role }
        | TreeError::InvalidState { role, .. }
        | TreeError::DuplicateStateInRole { role, .. } => {
            (giving(None, role), None)
        }
        TreeError::RoleConflict { name } => conflicting_roles(placed, name),
        TreeError::DuplicateStateId {
            first_role,
            second_role,
            ..
        } => (giving(None, first_role), giving(None, second_role)),
        TreeError::MissingRequisite { minion, role, .. } => {
            (giving(Some(minion), role), None)
        }
        TreeError::RequisiteCycle { minion, .. } => (of_minion(minion), None),
        TreeError::UnresolvedRequisite { role, .. } => {
            (giving(None, role), None)
        }
        TreeError::BadSlsName { .. }
        | TreeError::FileClash { .. }
        | TreeError::DuplicateTarget { .. }
        | TreeError::UnknownSls { .. } => (None, None),
    };
    let source = Box::new(source);
    match (first, second) {
        // Both roles at fault come with one machine: name it once.
        (Some(first), Some(second)) if first.address == second.address => {
            MachineError::Machine {
                machine: first.machine(),
                source,
            }
        }
        (Some(first), Some(second)) => MachineError::Conflict {
            first: first.machine(),
            second: second.machine(),
            source,
        },
        (Some(one), None) => MachineError::Machine {
            machine: one.machine(),
            source,
        },
        _ => MachineError::Tree {
            environment: environment.to_owned(),
            source,
        },
    }
}

/// The first configuration giving a role named `name`, and the first one
/// giving a role of that name that renders differently.
fn conflicting_roles<'p, 'a>(
    placed: &'p [Placed<'a>],
    name: &str,
) -> (Option<&'p Placed<'a>>, Option<&'p Placed<'a>>) {
    let named = |decl: &'p Placed<'a>| {
        decl.roles
            .iter()
            .filter(move |role| role.name() == name)
            .map(move |role| (decl, role.render()))
    };
    let mut candidates = placed.iter().flat_map(named);
    let Some((first, text)) = candidates.next() else {
        return (None, None);
    };
    let second = candidates
        .find(|(_, other)| *other != text)
        .map(|(decl, _)| decl)
        // Both roles given by one `configure`: that one is at fault.
        .filter(|second| !std::ptr::eq(*second, first));
    (Some(first), second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PkgInstalled, ServiceRunning};
    use onioncloud_core::{Env, GenericResource, Handle};

    fn instance(env: &mut Env, name: &str) -> Handle<GenericResource> {
        env.add(name, GenericResource::new("aws_instance"))
    }

    fn web_role() -> Role {
        let mut web = Role::new("web");
        let package = web.add(PkgInstalled::new("nginx"));
        web.add(ServiceRunning::new("nginx").require(&package));
        web
    }

    fn synth_env(env: Env) -> Result<BTreeMap<PathBuf, String>, MachineError> {
        synth(&env.compile().expect("environment compiles"))
    }

    /// `file:line` of the line before the caller's.
    macro_rules! previous_line {
        () => {
            format!("{}:{}", file!(), line!() - 1)
        };
    }

    #[test]
    fn pillar_has_values_pending_keys_and_metadata() {
        let mut env = Env::new("test");
        let db = instance(&mut env, "db-0");
        let vm = instance(&mut env, "web-0");
        env.configure(
            &vm,
            Machine::new()
                .role(&web_role())
                .pillar("db_host", db.id())
                .pillar("ratio", 0.5)
                .pillar("motd", "yes"),
        );
        let files = synth_env(env).unwrap();
        assert_eq!(
            files[&PathBuf::from("pillar/minions/web-0.sls")],
            "#!yaml
db_host: null
motd: 'yes'
onioncloud:
  address: aws_instance.web-0
  environment: test
  pending:
    - db_host
ratio: 0.5
"
        );
        assert!(files[&PathBuf::from("salt/roles/web.sls")].contains(
            "nginx:\n  pkg.installed:\n    - name: nginx\n  \
             service.running:\n"
        ));
    }

    #[test]
    fn a_machine_configured_twice_gets_both_pillars() {
        let mut env = Env::new("test");
        let db = instance(&mut env, "db-0");
        let vm = instance(&mut env, "web-0");
        env.configure(&vm, Machine::new().pillar("db_host", db.id()));
        env.configure(&vm, Machine::new().pillar("port", 80));
        let files = synth_env(env).unwrap();
        let pillar = &files[&PathBuf::from("pillar/minions/web-0.sls")];
        assert!(pillar.contains("port: 80\n"), "{pillar}");
        assert!(pillar.contains("pending:\n    - db_host\n"), "{pillar}");
    }

    #[test]
    fn user_pillar_key_onioncloud_is_an_error() {
        let mut env = Env::new("test");
        let vm = instance(&mut env, "web-0");
        env.configure(&vm, Machine::new().pillar("onioncloud", "mine"));
        let at = previous_line!();
        assert_eq!(
            synth_env(env).unwrap_err().to_string(),
            format!(
                "aws_instance.web-0 (configured at {at}) sets the pillar key \
                 `onioncloud`, which is reserved for the machine's metadata"
            )
        );
    }

    #[test]
    fn non_finite_floats_are_errors_not_nulls() {
        for (value, key) in [
            (Machine::new().pillar("ratio", f64::NAN), "ratio"),
            (
                Machine::new().pillar("weights", vec![1.0, f64::INFINITY]),
                "weights[1]",
            ),
        ] {
            let mut env = Env::new("test");
            let vm = instance(&mut env, "web-0");
            env.configure(&vm, value);
            let at = previous_line!();
            assert_eq!(
                synth_env(env).unwrap_err().to_string(),
                format!(
                    "pillar key `{key}` of aws_instance.web-0 (configured at \
                     {at}) is NaN or infinite; pillar numbers must be finite"
                )
            );
        }
        // Setting the key again with a finite number clears the error.
        let mut env = Env::new("test");
        let vm = instance(&mut env, "web-0");
        let machine = Machine::new()
            .pillar("ratio", f64::NEG_INFINITY)
            .pillar("ratio", 2.5);
        env.configure(&vm, machine);
        let files = synth_env(env).unwrap();
        assert!(
            files[&PathBuf::from("pillar/minions/web-0.sls")]
                .contains("ratio: 2.5\n")
        );
    }

    #[test]
    fn integers_beyond_i64_are_errors() {
        let mut env = Env::new("test");
        let vm = instance(&mut env, "web-0");
        let big = Input::<i64>::from_value(Value::Number(u64::MAX.into()));
        env.configure(&vm, Machine::new().pillar("big", big));
        let at = previous_line!();
        assert_eq!(
            synth_env(env).unwrap_err().to_string(),
            format!(
                "pillar key `big` of aws_instance.web-0 (configured at {at}) \
                 holds 18446744073709551615, which does not fit a 64-bit \
                 signed integer"
            )
        );
    }

    #[test]
    fn duplicate_minion_id_names_both_machines_and_locations() {
        let mut env = Env::new("test");
        let first = instance(&mut env, "web-0");
        let second = instance(&mut env, "web-1");
        env.configure(&first, Machine::new().minion_id("web"));
        let first_at = previous_line!();
        env.configure(&second, Machine::new().minion_id("web"));
        let second_at = previous_line!();
        assert_eq!(
            synth_env(env).unwrap_err().to_string(),
            format!(
                "aws_instance.web-0 (configured at {first_at}) and \
                 aws_instance.web-1 (configured at {second_at}) would both \
                 have minion id \"web\""
            )
        );
    }

    #[test]
    fn a_bad_role_names_the_machine_that_receives_it() {
        let mut role = Role::new("tools");
        role.add(PkgInstalled::new("git"));
        role.add(PkgInstalled::new("git"));
        let added = previous_line!();
        let mut env = Env::new("test");
        let vm = instance(&mut env, "web-0");
        env.configure(&vm, Machine::new().role(&role));
        let at = previous_line!();
        let error = synth_env(env).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the salt configuration of aws_instance.web-0 (configured at \
                 {at}) is invalid"
            )
        );
        let source = std::error::Error::source(&error).unwrap();
        assert_eq!(
            source.to_string(),
            format!(
                "role `tools` has two states of one module with id `git` \
                 (the second added at {added}); give one of them another id \
                 with `.id(...)`"
            )
        );
        assert!(source.source().is_none());
    }

    #[test]
    fn a_requisite_on_a_missing_role_names_the_machine() {
        let mut base = Role::new("base");
        let git = base.add(PkgInstalled::new("git"));
        let mut app = Role::new("app");
        app.add(ServiceRunning::new("app").require(&git));
        let mut env = Env::new("test");
        let with_base = instance(&mut env, "web-0");
        let without = instance(&mut env, "web-1");
        env.configure(&with_base, Machine::new().role(&base).role(&app));
        env.configure(&without, Machine::new().role(&app));
        let at = previous_line!();
        let error = synth_env(env).unwrap_err();
        assert!(
            matches!(&error, MachineError::Machine { machine, .. }
                if machine.address == "aws_instance.web-1"
                    && machine.location.to_string() == at),
            "{error:?}"
        );
    }

    #[test]
    fn conflicting_roles_name_both_machines() {
        let mut first = Role::new("tools");
        first.add(PkgInstalled::new("git"));
        let mut second = Role::new("tools");
        second.add(PkgInstalled::new("curl"));
        let mut env = Env::new("test");
        let a = instance(&mut env, "a");
        let b = instance(&mut env, "b");
        env.configure(&a, Machine::new().role(&first));
        let a_at = previous_line!();
        env.configure(&b, Machine::new().role(&second));
        let b_at = previous_line!();
        let error = synth_env(env).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the salt configurations of aws_instance.a (configured at \
                 {a_at}) and aws_instance.b (configured at {b_at}) conflict"
            )
        );
        assert_eq!(
            std::error::Error::source(&error).unwrap().to_string(),
            "role `tools` is defined twice with different states"
        );
    }

    #[test]
    fn only_machines_can_be_configured() {
        let mut env = Env::new("test");
        let bucket = env.add("logs", GenericResource::new("aws_s3_bucket"));
        env.configure(&bucket, Machine::new().role(&web_role()));
        let line = previous_line!();
        let error = synth_env(env).unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "aws_s3_bucket.logs (configured at {line}) is not a \
                 machine: Salt configures instances and VMs ({})",
                MACHINE_TYPES.join(", ")
            )
        );
    }

    #[test]
    fn one_machine_configured_twice_must_agree() {
        // Two roles from two places: fine.
        let mut env = Env::new("test");
        let vm = instance(&mut env, "web-0");
        env.configure(&vm, Machine::new().role(&web_role()).pillar("a", "1"));
        let mut base = Role::new("base");
        base.add(PkgInstalled::new("curl"));
        env.configure(&vm, Machine::new().role(&base).pillar("b", "2"));
        let files = synth_env(env).unwrap();
        let top = &files[std::path::Path::new("salt/top.sls")];
        assert!(top.contains("roles.web") && top.contains("roles.base"));

        // The same pillar key twice, or two minion ids: an error naming
        // both places.
        let mut env = Env::new("test");
        let vm = instance(&mut env, "web-0");
        env.configure(&vm, Machine::new().pillar("db_host", "a"));
        let first = previous_line!();
        env.configure(&vm, Machine::new().pillar("db_host", "b"));
        let second = previous_line!();
        assert_eq!(
            synth_env(env).unwrap_err().to_string(),
            format!(
                "aws_instance.web-0 (configured at {first}) and \
                 aws_instance.web-0 (configured at {second}) configure one \
                 machine: both set the pillar key `db_host`"
            )
        );
        let mut env = Env::new("test");
        let vm = instance(&mut env, "web-0");
        env.configure(&vm, Machine::new());
        env.configure(&vm, Machine::new().minion_id("zzz"));
        let error = synth_env(env).unwrap_err().to_string();
        assert!(
            error.ends_with(
                "configure one machine: they give it two minion ids, \
                 \"web-0\" and \"zzz\""
            ),
            "{error}"
        );
    }

    #[test]
    fn secrets_reached_through_references_are_refused_before_apply() {
        use onioncloud_core::{SecretRef, Variable};

        let mut env = Env::new("test");
        let token =
            env.variable("token", Variable::<String>::new().sensitive());
        let bucket = env.add(
            "named",
            GenericResource::new("aws_s3_bucket").input("bucket", token),
        );
        let db = env.add(
            "db",
            GenericResource::new("aws_db_instance")
                .input("password", SecretRef::aws("prod/db")),
        );
        let vm = instance(&mut env, "web-0");
        env.configure(
            &vm,
            Machine::new()
                .role(&web_role())
                .pillar("name", bucket.attr::<String>("bucket")),
        );
        let error = synth_env(env).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "pillar key `name` of aws_instance.web-0 (configured at {}) \
                 would carry the sensitive value aws_s3_bucket.named.bucket; \
                 give machines secrets as secret references instead",
                previous_line_at(&error)
            )
        );

        let mut env = Env::new("test");
        let db2 = env.add(
            "db",
            GenericResource::new("aws_db_instance")
                .input("password", SecretRef::aws("prod/db")),
        );
        let _ = db;
        let vm = instance(&mut env, "web-0");
        env.configure(
            &vm,
            Machine::new()
                .role(&web_role())
                .pillar("pw", db2.attr::<String>("password")),
        );
        let text = synth_env(env).unwrap_err().to_string();
        assert!(
            text.contains(
                "would carry the sensitive value aws_db_instance.db.password"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_sensitive_ssh_host_is_refused() {
        use onioncloud_core::Variable;

        let mut env = Env::new("test");
        let host = env.variable("host", Variable::<String>::new().sensitive());
        let vm = instance(&mut env, "web-0");
        env.configure(&vm, Machine::new().role(&web_role()).ssh_host(host));
        let text = synth_env(env).unwrap_err().to_string();
        assert!(
            text.starts_with("pillar key `ssh.host` of aws_instance.web-0")
                && text.contains("would carry the sensitive value var.host"),
            "{text}"
        );
    }

    /// The location a machine error names, for comparing whole messages.
    fn previous_line_at(error: &MachineError) -> String {
        let text = error.to_string();
        let start = text.find("(configured at ").unwrap() + 15;
        let end = text[start..].find(')').unwrap() + start;
        text[start..end].to_owned()
    }
}
