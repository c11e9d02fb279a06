//! Salt configuration of the machines an environment creates, and the
//! synthesis of an environment's Salt and pillar trees.
//!
//! A [`Machine`] is attached to a compute resource with
//! `env.configure(&vm, Machine::new().role(&web))`. Pillar values may come
//! from the infrastructure (`db.address()`); those are known only after
//! apply, so synthesis writes them as `null` and lists their keys under
//! `onioncloud:pending`. Secrets become `sdb://` URIs, never values.

use std::any::Any;
use std::collections::BTreeMap;
use std::path::PathBuf;

use onioncloud_core::{
    CompiledEnv, Configuration, Input, SecretRef, SecretStore, Value,
};
use serde::{Deserialize, Serialize};

use crate::{Role, SaltTree, SaltValue, TreeError};

/// What synthesizing an environment's Salt tree can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MachineError {
    /// The tree of one environment does not render.
    #[error("the salt tree of environment {environment} is invalid")]
    Tree {
        /// The environment.
        environment: String,
        /// Why.
        #[source]
        source: Box<TreeError>,
    },
    /// Two machines would get one minion id.
    #[error("{first} and {second} would both have minion id {minion_id:?}")]
    DuplicateMinion {
        /// The id.
        minion_id: String,
        /// One machine's address.
        first: String,
        /// The other's.
        second: String,
    },
}

/// The Salt configuration of one machine: its roles, its pillar, and
/// optionally its minion id (by default the resource's name).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    minion_id: Option<String>,
    roles: Vec<Role>,
    pillar: BTreeMap<String, Value>,
}

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
    pub fn pillar<T>(
        mut self,
        key: impl Into<String>,
        value: impl Into<Input<T>>,
    ) -> Self {
        self.pillar.insert(key.into(), value.into().into_value());
        self
    }

    /// The roles.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }
}

#[typetag::serde(name = "salt")]
impl Configuration for Machine {
    fn system(&self) -> &'static str {
        "salt"
    }

    fn values(&self) -> Vec<(String, &Value)> {
        self.pillar
            .iter()
            .map(|(k, v)| (format!("pillar.{k}"), v))
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

/// A pillar value, or `None` when it is known only after apply.
fn pillar_value(value: &Value) -> Option<SaltValue> {
    Some(match value {
        Value::Null => SaltValue::Null,
        Value::Bool(b) => SaltValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SaltValue::Int(i),
            None => SaltValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => SaltValue::String(s.clone()),
        Value::Secret(secret) => SaltValue::String(sdb_uri(secret)),
        Value::List(items) => SaltValue::List(
            items.iter().map(pillar_value).collect::<Option<_>>()?,
        ),
        Value::Map(map) => SaltValue::Map(
            map.iter()
                .map(|(k, v)| Some((k.clone(), pillar_value(v)?)))
                .collect::<Option<_>>()?,
        ),
        Value::Concat(parts) => {
            let mut text = String::new();
            for part in parts {
                match pillar_value(part)? {
                    SaltValue::String(s) => text.push_str(&s),
                    _ => return None,
                }
            }
            SaltValue::String(text)
        }
        Value::Ref(_)
        | Value::Variable(_)
        | Value::Expr(_)
        | Value::Unknown => {
            return None;
        }
    })
}

/// Synthesizes the Salt tree (`salt/top.sls`, `salt/roles/*.sls`) and the
/// pillar tree (`pillar/top.sls`, `pillar/minions/*.sls`) of every machine
/// the environment configures. An environment that configures no machine
/// gives no files.
///
/// # Errors
///
/// Fails when two machines share a minion id, or the tree does not
/// render (duplicate state ids, requisites to missing states, bad names).
pub fn synth(
    env: &CompiledEnv,
) -> Result<BTreeMap<PathBuf, String>, MachineError> {
    let mut tree = SaltTree::new();
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    let mut any = false;
    for decl in env.configurations() {
        let Some(machine) =
            decl.configuration.as_any().downcast_ref::<Machine>()
        else {
            continue;
        };
        any = true;
        let address = decl.target.to_string();
        let minion = machine
            .minion_id
            .clone()
            .unwrap_or_else(|| decl.target.name.to_string());
        if let Some(first) = owners.get(&minion)
            && first != &address
        {
            return Err(MachineError::DuplicateMinion {
                minion_id: minion,
                first: first.clone(),
                second: address,
            });
        }
        owners.insert(minion.clone(), address.clone());
        for role in &machine.roles {
            tree.assign(minion.clone(), role);
        }
        let mut pending = Vec::new();
        for (key, value) in &machine.pillar {
            let value = pillar_value(value).unwrap_or_else(|| {
                pending.push(SaltValue::String(key.clone()));
                SaltValue::Null
            });
            tree.set_pillar(minion.clone(), key.clone(), value);
        }
        let mut meta = BTreeMap::new();
        meta.insert("address".to_owned(), SaltValue::String(address));
        meta.insert(
            "environment".to_owned(),
            SaltValue::String(env.name().to_owned()),
        );
        meta.insert("pending".to_owned(), SaltValue::List(pending));
        tree.set_pillar(minion, "onioncloud", SaltValue::Map(meta));
    }
    if !any {
        return Ok(BTreeMap::new());
    }
    tree.render().map_err(|source| MachineError::Tree {
        environment: env.name().to_owned(),
        source: Box::new(source),
    })
}
