//! Plans: what would change, resource by resource, against a prior state.
//!
//! Planning is pure: the same environment and state always give the same
//! plan. Values known only after apply are shown as such, and secrets as a
//! marker naming their store, never a value.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use thiserror::Error;

use crate::address::{Address, Mode};
use crate::compile::CompiledEnv;
use crate::value::Value;

/// What plan-time reading of a state file can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file could not be read.
    #[error("cannot read state file {path}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a state document.
    #[error("state file {path} is not valid: line {line}, column {column}")]
    Parse {
        /// The file.
        path: String,
        /// Where.
        line: usize,
        /// Where.
        column: usize,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The file is JSON but has no format version.
    #[error(
        "state file {path} is not an OnionCloud state: it needs a JSON \
         object with a \"version\" number"
    )]
    NoVersion {
        /// The file.
        path: String,
    },
    /// A resource entry whose key is not an address, or whose type
    /// differs from the address's.
    #[error("state file {path}: resource {key:?} is invalid: {reason}")]
    Resource {
        /// The file.
        path: String,
        /// The entry's key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The file is of a format version this build does not know.
    #[error(
        "state file {path} has format version {found}, but OnionCloud \
         state is version {STATE_VERSION}{}",
        if *found == 4 {
            " (version 4 is Terraform's own state format)"
        } else {
            ""
        }
    )]
    Version {
        /// The file.
        path: String,
        /// Its version.
        found: u32,
    },
}

/// The format version of state documents this build reads.
pub const STATE_VERSION: u32 = 1;

/// What is known to exist: the last applied attributes of each resource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// The format version.
    pub version: u32,
    /// The resources, by address.
    pub resources: BTreeMap<String, StateResource>,
}

/// One resource in a state document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateResource {
    /// The Terraform type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its attributes as last applied or read.
    pub attributes: BTreeMap<String, Json>,
}

impl State {
    /// An empty state.
    pub fn empty() -> Self {
        Self {
            version: STATE_VERSION,
            resources: BTreeMap::new(),
        }
    }

    /// Reads a state file; a missing file is an empty state.
    ///
    /// # Errors
    ///
    /// Fails when the file exists but cannot be read or parsed, is of
    /// another format version, or names a resource wrongly.
    pub fn load(path: &Path) -> Result<Self, StateError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Self::empty())
            }
            Err(source) => Err(StateError::Read {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Reads a state file that must exist.
    ///
    /// # Errors
    ///
    /// As [`State::load`], and when the file does not exist.
    pub fn load_existing(path: &Path) -> Result<Self, StateError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            StateError::Read {
                path: path.display().to_string(),
                source,
            }
        })?;
        Self::parse(path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<Self, StateError> {
        let shown = || path.display().to_string();
        let parse_error = |source: serde_json::Error| StateError::Parse {
            path: shown(),
            line: source.line(),
            column: source.column(),
            source,
        };

        // The version first: a document of another version may have any
        // shape, and saying so beats a complaint about its shape.
        let document: Json = serde_json::from_str(text).map_err(parse_error)?;
        let Some(version) = document.get("version").and_then(Json::as_u64)
        else {
            return Err(StateError::NoVersion { path: shown() });
        };
        if version != u64::from(STATE_VERSION) {
            return Err(StateError::Version {
                path: shown(),
                found: u32::try_from(version).unwrap_or(u32::MAX),
            });
        }
        let state: State = serde_json::from_str(text).map_err(parse_error)?;
        for (key, resource) in &state.resources {
            let address =
                Address::parse(key).map_err(|reason| StateError::Resource {
                    path: shown(),
                    key: key.clone(),
                    reason,
                })?;
            if address.kind.as_str() != resource.kind {
                return Err(StateError::Resource {
                    path: shown(),
                    key: key.clone(),
                    reason: format!(
                        "its type is {:?}, not {}",
                        resource.kind, address.kind
                    ),
                });
            }
        }
        Ok(state)
    }
}

/// What happens to one resource.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing changes.
    NoOp,
    /// A data source is read.
    Read,
    /// A new resource is created.
    Create,
    /// An existing resource is changed in place.
    Update,
    /// A resource is destroyed.
    Delete,
}

impl Action {
    fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Read => "<=",
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
        }
    }
}

/// A value as a plan shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum PlanValue {
    /// A known value.
    Known(Json),
    /// Known after apply, from the named references.
    Unknown(Vec<String>),
    /// A secret: the store and name, never the value.
    Secret(String),
    /// A value from the state that is, or looks like, a secret: hidden.
    Sensitive,
}

/// Parts of attribute names that mark a value as a secret when it comes
/// from a state, where no type says so.
const SENSITIVE_NAME_PARTS: [&str; 8] = [
    "password",
    "secret",
    "token",
    "private_key",
    "api_key",
    "access_key",
    "credential",
    "passphrase",
];

/// A state's value for `key` as a plan shows it: hidden where the
/// environment declares the argument a secret, or its name says it is one.
fn prior_value(key: &str, json: &Json, after: Option<&PlanValue>) -> PlanValue {
    let name = key.to_ascii_lowercase();
    let declared_secret = matches!(after, Some(PlanValue::Secret(_)));
    if declared_secret || SENSITIVE_NAME_PARTS.iter().any(|p| name.contains(p))
    {
        PlanValue::Sensitive
    } else {
        PlanValue::Known(json.clone())
    }
}

impl PlanValue {
    fn from_value(value: &Value) -> Self {
        let mut refs = Vec::new();
        let mut secret = None;
        let mut unknown = false;
        let mut path = String::new();
        value.for_each_ref(&mut path, &mut |_, r| refs.push(r.to_string()));
        value.for_each_leaf(&mut |leaf| match leaf {
            Value::Secret(s) => secret = Some(s.to_string()),
            Value::Variable(name) => refs.push(format!("var.{name}")),
            Value::Expr(e) => refs.push(e.clone()),
            Value::Unknown => unknown = true,
            _ => {}
        });
        if let Some(secret) = secret {
            PlanValue::Secret(secret)
        } else if !refs.is_empty() || unknown {
            PlanValue::Unknown(refs)
        } else {
            PlanValue::Known(
                serde_json::to_value(known_json(value)).unwrap_or(Json::Null),
            )
        }
    }
}

fn known_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::Number(n.clone()),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => {
            Json::Array(items.iter().map(known_json).collect())
        }
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), known_json(v)))
                .collect(),
        ),
        Value::NonFinite(text) => Json::String(text.clone()),
        Value::Concat(parts) => Json::String(
            parts
                .iter()
                .map(|p| match known_json(p) {
                    Json::String(s) => s,
                    other => other.to_string(),
                })
                .collect(),
        ),
        _ => Json::Null,
    }
}

impl fmt::Display for PlanValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanValue::Known(json) => json.fmt(f),
            PlanValue::Unknown(refs) if refs.is_empty() => {
                f.write_str("(known after apply)")
            }
            PlanValue::Unknown(refs) => {
                write!(f, "(known after apply: {})", refs.join(", "))
            }
            PlanValue::Secret(name) => write!(f, "(secret {name})"),
            PlanValue::Sensitive => f.write_str("(sensitive value)"),
        }
    }
}

/// One attribute's change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// The value in state, if any.
    pub before: Option<PlanValue>,
    /// The planned value, if any.
    pub after: Option<PlanValue>,
}

/// One resource's change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The resource.
    pub address: String,
    /// What happens to it.
    pub action: Action,
    /// The attributes, with their before and after values.
    pub attributes: BTreeMap<String, AttributeChange>,
}

/// A whole plan: every change, in address order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The environment.
    pub environment: String,
    /// The changes, in address order, no-ops included.
    pub changes: Vec<Change>,
}

impl Plan {
    /// Compares the environment with the prior state.
    pub fn new(env: &CompiledEnv, state: &State) -> Self {
        let mut changes = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for i in env.sorted_indices() {
            let decl = &env.declarations()[i];
            let key = decl.address.to_string();
            seen.insert(key.clone());
            let after: BTreeMap<String, PlanValue> = decl
                .resource
                .attributes()
                .iter()
                .map(|(k, v)| (k.clone(), PlanValue::from_value(v)))
                .collect();
            let prior = state.resources.get(&key);
            let change = match (decl.address.mode, prior) {
                (Mode::Data, _) => change(key, Action::Read, None, after),
                (Mode::Managed, None) => {
                    change(key, Action::Create, None, after)
                }
                (Mode::Managed, Some(prior)) => {
                    let differs = after.iter().any(|(k, v)| match v {
                        PlanValue::Known(json) => {
                            prior.attributes.get(k) != Some(json)
                        }
                        _ => false,
                    });
                    let action = if differs {
                        Action::Update
                    } else {
                        Action::NoOp
                    };
                    change(key, action, Some(&prior.attributes), after)
                }
            };
            changes.push(change);
        }
        for (key, prior) in &state.resources {
            // A data source is read, never destroyed.
            if !seen.contains(key) && !key.starts_with("data.") {
                let before = prior
                    .attributes
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            AttributeChange {
                                before: Some(prior_value(k, v, None)),
                                after: None,
                            },
                        )
                    })
                    .collect();
                changes.push(Change {
                    address: key.clone(),
                    action: Action::Delete,
                    attributes: before,
                });
            }
        }
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        Self {
            environment: env.name().to_owned(),
            changes,
        }
    }

    /// How many resources are created, updated and deleted.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count =
            |action| self.changes.iter().filter(|c| c.action == action).count();
        (
            count(Action::Create),
            count(Action::Update),
            count(Action::Delete),
        )
    }

    /// Whether applying would change anything.
    pub fn has_changes(&self) -> bool {
        self.counts() != (0, 0, 0)
    }

    /// The plan as terraform-style text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let shown: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| !matches!(c.action, Action::NoOp | Action::Read))
            .collect();
        if shown.is_empty() {
            out.push_str(
                "No changes. The infrastructure matches the configuration.\n",
            );
            return out;
        }
        out.push_str("OnionCloud will perform the following actions:\n");
        for change in shown {
            render_change(&mut out, change);
        }
        let (add, update, delete) = self.counts();
        let _ = writeln!(
            out,
            "\nPlan: {add} to add, {update} to change, {delete} to destroy."
        );
        out
    }
}

fn change(
    address: String,
    action: Action,
    prior: Option<&BTreeMap<String, Json>>,
    after: BTreeMap<String, PlanValue>,
) -> Change {
    let attributes = after
        .into_iter()
        .map(|(k, v)| {
            let before = prior
                .and_then(|p| p.get(&k))
                .map(|j| prior_value(&k, j, Some(&v)));
            (
                k,
                AttributeChange {
                    before,
                    after: Some(v),
                },
            )
        })
        .collect();
    Change {
        address,
        action,
        attributes,
    }
}

fn render_change(out: &mut String, change: &Change) {
    let verb = match change.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Delete => "will be destroyed",
        Action::Read => "will be read during apply",
        Action::NoOp => "is unchanged",
    };
    let address = Address::parse(&change.address).ok();
    let (kind, name) = match &address {
        Some(a) => (a.kind.to_string(), a.name.to_string()),
        None => (change.address.clone(), String::new()),
    };
    let _ = writeln!(out, "\n  # {} {verb}", change.address);
    let _ = writeln!(
        out,
        "  {} resource {kind:?} {name:?} {{",
        change.action.symbol()
    );
    let width = change.attributes.keys().map(|k| k.len()).max().unwrap_or(0);
    for (key, attr) in &change.attributes {
        let line = match (&attr.before, &attr.after) {
            (None, Some(after)) => format!("+ {key:<width$} = {after}"),
            (Some(before), None) => format!("- {key:<width$} = {before}"),
            (Some(before), Some(after)) if before != after => {
                format!("~ {key:<width$} = {before} -> {after}")
            }
            (Some(_), Some(after)) => format!("  {key:<width$} = {after}"),
            (None, None) => continue,
        };
        let _ = writeln!(out, "      {line}");
    }
    out.push_str("    }\n");
}
