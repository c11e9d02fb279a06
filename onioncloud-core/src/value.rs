//! Values: what a resource argument, an output or a pillar entry holds.
//!
//! A [`Value`] is plain data (null, bool, number, string, list, map), a
//! reference to another resource's attribute, a reference to a secret in a
//! secret store, a reference to an input variable, a concatenation of those,
//! an explicit raw Terraform expression, or "unknown until apply".
//!
//! Users rarely build values by hand: typed constructors and the
//! [`Input`](crate::Input) and [`Output`](crate::Output) types do it.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use crate::address::{Address, Name};

/// A value of a resource argument, an output or a variable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, integer or floating point.
    Number(serde_json::Number),
    /// A literal string. It is escaped where Terraform would read it as a
    /// template.
    String(String),
    /// A list or a repeated nested block.
    List(Vec<Value>),
    /// A map, an object or a single nested block; keys are kept sorted.
    Map(BTreeMap<String, Value>),
    /// An attribute of another resource or data source.
    Ref(AttrRef),
    /// A secret, by reference to the store that holds it.
    Secret(SecretRef),
    /// An input variable of the environment.
    Variable(Name),
    /// The parts joined as one string.
    Concat(Vec<Value>),
    /// A raw Terraform expression, written without `${}`. An explicit escape
    /// hatch: OnionCloud does not look inside it, so it creates no graph
    /// edge.
    Expr(String),
    /// Known only after apply.
    Unknown,
    /// A floating-point number that is NaN or infinite, as text (`NaN`,
    /// `inf`, `-inf`). JSON and Terraform cannot hold one, so it is kept
    /// apart and refused, with its place named, wherever it lands.
    NonFinite(String),
}

impl Value {
    /// A string value.
    pub fn string(text: impl Into<String>) -> Self {
        Self::String(text.into())
    }

    /// Calls `visit` with the path and target of every reference inside,
    /// in order. Paths read like `ingress[0].security_groups[1]`.
    pub fn for_each_ref<'a>(
        &'a self,
        path: &mut String,
        visit: &mut dyn FnMut(&str, &'a AttrRef),
    ) {
        match self {
            Value::Ref(r) => visit(path, r),
            Value::List(items) | Value::Concat(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    let _ = write!(path, "[{i}]");
                    item.for_each_ref(path, visit);
                    path.truncate(len);
                }
            }
            Value::Map(map) => {
                for (key, item) in map {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    item.for_each_ref(path, visit);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// Calls `visit` with every variable and secret reference inside.
    pub fn for_each_leaf<'a>(&'a self, visit: &mut dyn FnMut(&'a Value)) {
        match self {
            Value::List(items) | Value::Concat(items) => {
                items.iter().for_each(|v| v.for_each_leaf(visit))
            }
            Value::Map(map) => {
                map.values().for_each(|v| v.for_each_leaf(visit))
            }
            other => visit(other),
        }
    }

    /// Whether a secret is anywhere inside.
    pub fn contains_secret(&self) -> bool {
        let mut found = false;
        self.for_each_leaf(&mut |v| found |= matches!(v, Value::Secret(_)));
        found
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::String(text)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n.into())
    }
}

impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(items) => {
                Value::List(items.into_iter().map(Value::from).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.into_iter().map(|(k, v)| (k, Value::from(v))).collect(),
            ),
        }
    }
}

/// A reference to one attribute of a resource or data source:
/// `aws_vpc.main.id`.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct AttrRef {
    /// The resource or data source.
    pub address: Address,
    /// The attribute, possibly a path such as `endpoint` or
    /// `ip_address[0]`.
    pub attr: String,
}

impl fmt::Display for AttrRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.address, self.attr)
    }
}

/// The kind of store a secret lives in.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SecretStore {
    /// AWS Secrets Manager.
    AwsSecretsManager,
    /// Google Cloud Secret Manager, in the given project (the provider's
    /// default project when `None`).
    GcpSecretManager {
        /// The project that holds the secret.
        project: Option<String>,
    },
    /// HashiCorp Vault's KV version 2 engine at the given mount.
    Vault {
        /// The mount path of the KV engine, such as `secret`.
        mount: String,
    },
}

impl fmt::Display for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretStore::AwsSecretsManager => {
                f.write_str("aws-secrets-manager")
            }
            SecretStore::GcpSecretManager { project: Some(p) } => {
                write!(f, "gcp-secret-manager({p})")
            }
            SecretStore::GcpSecretManager { project: None } => {
                f.write_str("gcp-secret-manager")
            }
            SecretStore::Vault { mount } => write!(f, "vault({mount})"),
        }
    }
}

/// A reference to a secret: where it is kept, never what it is.
///
/// OnionCloud never holds a secret's value. In Terraform JSON a secret
/// becomes a data source of its store, in Salt pillar an `sdb://` URI, and
/// in plans a marker naming the store and the secret.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SecretRef {
    /// The store.
    pub store: SecretStore,
    /// The secret's name or path in the store.
    pub name: String,
    /// For stores that keep several fields per secret (Vault), the field.
    pub key: Option<String>,
}

impl SecretRef {
    /// A secret in AWS Secrets Manager, by name.
    pub fn aws(name: impl Into<String>) -> Self {
        Self {
            store: SecretStore::AwsSecretsManager,
            name: name.into(),
            key: None,
        }
    }

    /// A secret in Google Cloud Secret Manager, by secret id.
    pub fn gcp(name: impl Into<String>) -> Self {
        Self {
            store: SecretStore::GcpSecretManager { project: None },
            name: name.into(),
            key: None,
        }
    }

    /// A field of a secret in Vault's KV version 2 engine.
    pub fn vault(
        mount: impl Into<String>,
        path: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        Self {
            store: SecretStore::Vault {
                mount: mount.into(),
            },
            name: path.into(),
            key: Some(key.into()),
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.store, self.name)?;
        if let Some(key) = &self.key {
            write!(f, "#{key}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_paths_name_the_argument() {
        let r = AttrRef {
            address: Address::managed("aws_vpc", "main"),
            attr: "id".into(),
        };
        let mut rule = BTreeMap::new();
        rule.insert("security_groups".into(), Value::List(vec![Value::Ref(r)]));
        let mut attrs = BTreeMap::new();
        attrs.insert("ingress".into(), Value::List(vec![Value::Map(rule)]));
        let value = Value::Map(attrs);
        let mut seen = Vec::new();
        value.for_each_ref(&mut String::new(), &mut |path, r| {
            seen.push(format!("{path} -> {r}"))
        });
        assert_eq!(seen, ["ingress[0].security_groups[0] -> aws_vpc.main.id"]);
    }

    #[test]
    fn secrets_are_found_anywhere() {
        let v = Value::Concat(vec![
            "user:".into(),
            Value::Secret(SecretRef::aws("db")),
        ]);
        assert!(v.contains_secret());
        assert!(!Value::from("x").contains_secret());
    }
}
