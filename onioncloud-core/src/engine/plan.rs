//! The plan: what an apply will do, resource by resource.
//!
//! A plan is self-contained: it carries each resource's desired
//! configuration (with references still unresolved, since their values
//! are known only as the apply goes) and the hash of the state it was
//! made against, so that `apply FILE` does exactly what `plan --out FILE`
//! showed, or refuses when the state moved on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::state::{Attrs, JournalEntry};
use crate::sensitive::SensitiveValue;
use crate::value::Value;

/// The format version of plan files this build writes and reads.
pub const PLAN_FORMAT: u32 = 1;

/// What happens to one resource.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing changes.
    NoOp,
    /// A data source is read.
    Read,
    /// A new object is created.
    Create,
    /// An object is changed in place.
    Update,
    /// An object is destroyed and a new one created, in the order
    /// [`Change::create_before_destroy`] says.
    Replace,
    /// An object is destroyed.
    Delete,
    /// An object is forgotten: removed from the state, left in the cloud.
    Forget,
    /// An existing object is adopted by id, then updated to match the
    /// configuration.
    Import,
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

/// One attribute's change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// The value in state, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<PlanValue>,
    /// The planned value, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<PlanValue>,
    /// Whether this attribute's change forces replacement.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forces_replacement: bool,
}

/// One resource's change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The resource.
    pub address: String,
    /// Its type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Its provider configuration, such as `aws` or `aws.west`.
    pub provider: String,
    /// What happens to it.
    pub action: Action,
    /// For a replacement, why: the attributes that force it, or a
    /// sentence such as "the object no longer exists".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The object's id in the cloud, when it exists (or, for an import,
    /// the id to adopt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The address it had in the state, when it was renamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// The attributes, with their before and after values, for display.
    pub attributes: BTreeMap<String, AttributeChange>,
    /// The desired configuration, references unresolved; empty for a
    /// deletion.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, Value>,
    /// What it waits for: for creates, updates, replacements, imports and
    /// reads, the resources it depends on in the environment; for
    /// deletions, the ones it depended on in the state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// The idempotency token a create attaches to the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Create the replacement before destroying the old object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// The attributes whose values are, or derive from, a secret or a
    /// sensitive variable, as [`CompiledEnv::sensitive_attributes`]
    /// found them: names only, never values.
    ///
    /// [`CompiledEnv::sensitive_attributes`]:
    /// crate::CompiledEnv::sensitive_attributes
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_attributes: Vec<String>,
}

/// A whole plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The format version, [`PLAN_FORMAT`].
    pub format: u32,
    /// The environment.
    pub environment: String,
    /// The lineage of the state it was made against; `None` when there
    /// was no state yet.
    pub lineage: Option<String>,
    /// The serial of that state.
    pub serial: u64,
    /// [`StateDoc::hash`](super::state::StateDoc::hash) of that state, as
    /// read from the store.
    pub state_hash: String,
    /// Whether this plan destroys everything.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub destroy: bool,
    /// Journal entries that settle operations an interrupted apply left
    /// pending (objects found by their token are adopted); written first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reconcile: Vec<JournalEntry>,
    /// What the refresh before planning found: objects whose attributes
    /// drifted (`Done` with the object as read) or that are gone (`Done`
    /// with nothing); written after `reconcile`, so that the state
    /// records them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refreshed: Vec<JournalEntry>,
    /// The values of the variables that are not sensitive, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Json>,
    /// The names of the sensitive variables. Their values are used but
    /// never written: a saved plan needs them again when it is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_variables: Vec<String>,
    /// The values of the sensitive variables, in memory only: a
    /// [`SensitiveValue`] cannot be written.
    #[serde(skip)]
    pub sensitive_values: BTreeMap<String, SensitiveValue>,
    /// The changes, in address order, no-ops included.
    pub changes: Vec<Change>,
}

impl Plan {
    /// Every variable's value, sensitive ones exposed: for resolving the
    /// values providers receive, and nothing else.
    pub fn all_variables(&self) -> BTreeMap<String, Json> {
        let mut all = self.variables.clone();
        all.extend(
            self.sensitive_values
                .iter()
                .map(|(k, v)| (k.clone(), v.expose())),
        );
        all
    }

    /// Whether applying changes anything: an object, or the state alone
    /// (a rename, a settled operation, an object found gone).
    pub fn has_changes(&self) -> bool {
        !self.reconcile.is_empty()
            || self
                .refreshed
                .iter()
                .any(|e| matches!(e, JournalEntry::Done { resource: None, .. }))
            || self.changes.iter().any(|c| {
                c.moved_from.is_some()
                    || !matches!(c.action, Action::NoOp | Action::Read)
            })
    }

    /// The sensitive variables whose values are missing, as after loading
    /// a saved plan.
    pub fn missing_sensitive_values(&self) -> Vec<&str> {
        self.sensitive_variables
            .iter()
            .filter(|name| !self.sensitive_values.contains_key(*name))
            .map(String::as_str)
            .collect()
    }

    /// The attributes of a change whose values come from a secret or a
    /// sensitive variable: the state marks them, so that they are never
    /// shown.
    pub fn sensitive_attributes(&self, change: &Change) -> Vec<String> {
        let mut names: Vec<String> = change
            .config
            .iter()
            .filter(|(_, value)| {
                let mut sensitive = false;
                value.for_each_leaf(&mut |leaf| match leaf {
                    Value::Secret(_) => sensitive = true,
                    Value::Variable(name)
                        if self
                            .sensitive_variables
                            .iter()
                            .any(|s| s == name.as_str()) =>
                    {
                        sensitive = true;
                    }
                    _ => {}
                });
                sensitive
            })
            .map(|(name, _)| name.clone())
            .collect();
        names.extend(change.sensitive_attributes.iter().cloned());
        names.sort();
        names.dedup();
        names
    }
}

/// A value resolved against what is known.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    /// Known.
    Known(Json),
    /// Not known yet: the references it waits for.
    Unknown(Vec<String>),
}

/// Why a value cannot be resolved at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// A raw Terraform expression: only Terraform evaluates those.
    #[error(
        "the raw expression {0:?} can only be evaluated by Terraform; the \
         engine cannot apply it"
    )]
    Expression(String),
    /// A variable without a value.
    #[error("variable {0} has no value")]
    Variable(String),
    /// A non-finite number.
    #[error("the number {0} is not finite")]
    NonFinite(String),
    /// A reference to an attribute the resource does not have.
    #[error("{0} does not exist: the resource has no such attribute")]
    MissingAttribute(String),
}

/// The JSON a provider receives in place of a secret: its reference.
pub fn secret_marker(secret: &crate::value::SecretRef) -> Json {
    serde_json::json!({ "secret_ref": secret.to_string() })
}

/// Resolves a value. `lookup` gives a referenced resource's attributes,
/// or `None` when they are not known yet (the resource is still to be
/// created or replaced).
///
/// # Errors
///
/// Fails on raw expressions, variables missing from `variables`,
/// non-finite numbers, and references to attributes a known resource
/// lacks.
pub fn resolve<'a>(
    value: &Value,
    variables: &BTreeMap<String, Json>,
    lookup: &dyn Fn(&str) -> Option<&'a Attrs>,
) -> Result<Resolved, ResolveError> {
    let mut waiting = Vec::new();
    let json = resolve_inner(value, variables, lookup, &mut waiting)?;
    Ok(if waiting.is_empty() {
        Resolved::Known(json)
    } else {
        waiting.sort();
        waiting.dedup();
        Resolved::Unknown(waiting)
    })
}

fn resolve_inner<'a>(
    value: &Value,
    variables: &BTreeMap<String, Json>,
    lookup: &dyn Fn(&str) -> Option<&'a Attrs>,
    waiting: &mut Vec<String>,
) -> Result<Json, ResolveError> {
    Ok(match value {
        Value::Null | Value::Unknown => {
            if matches!(value, Value::Unknown) {
                waiting.push("(unknown)".to_owned());
            }
            Json::Null
        }
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::Number(n.clone()),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|v| resolve_inner(v, variables, lookup, waiting))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        resolve_inner(v, variables, lookup, waiting)?,
                    ))
                })
                .collect::<Result<_, ResolveError>>()?,
        ),
        Value::Ref(r) => {
            let address = r.address.to_string();
            match lookup(&address) {
                None => {
                    waiting.push(r.to_string());
                    Json::Null
                }
                Some(attrs) => {
                    attribute_path(attrs, &r.attr).cloned().ok_or_else(
                        || ResolveError::MissingAttribute(r.to_string()),
                    )?
                }
            }
        }
        Value::Secret(s) => secret_marker(s),
        Value::Variable(name) => variables
            .get(name.as_str())
            .cloned()
            .ok_or_else(|| ResolveError::Variable(name.to_string()))?,
        Value::Concat(parts) => {
            let mut text = String::new();
            for part in parts {
                match resolve_inner(part, variables, lookup, waiting)? {
                    Json::String(s) => text.push_str(&s),
                    Json::Null => {}
                    other => text.push_str(&other.to_string()),
                }
            }
            Json::String(text)
        }
        Value::Expr(e) => return Err(ResolveError::Expression(e.clone())),
        Value::NonFinite(t) => return Err(ResolveError::NonFinite(t.clone())),
    })
}

/// Follows an attribute path such as `endpoint`, `ip_address[0]` or
/// `network_interface[0].network_ip` into a resource's attributes.
pub fn attribute_path<'a>(attrs: &'a Attrs, path: &str) -> Option<&'a Json> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let (name, indices) = split_indices(first);
    let mut current = attrs.get(name)?;
    for i in indices {
        current = current.get(i)?;
    }
    for part in parts {
        let (name, indices) = split_indices(part);
        current = current.get(name)?;
        for i in indices {
            current = current.get(i)?;
        }
    }
    Some(current)
}

/// A path part like `name[0][1]` as its name and indices.
pub(crate) fn split_indices(part: &str) -> (&str, Vec<usize>) {
    let Some(open) = part.find('[') else {
        return (part, Vec::new());
    };
    let indices = part[open..]
        .split(['[', ']'])
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    (&part[..open], indices)
}

/// The idempotency token of a create: derived from the lineage, the hash
/// of the state the plan was made against, and the address. One plan
/// always gives one token, so a retried create cannot make a second
/// object and a crashed one can be found; and since every operation
/// journals its intent before it reaches the cloud, the state has moved
/// on before any object exists under a token, so no later plan reuses it
/// (not even after an apply killed before its serial grew).
pub fn idempotency_token(
    lineage: &str,
    state_hash: &str,
    address: &str,
) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(
        format!("{lineage}/{state_hash}/{address}").as_bytes(),
    );
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("oc-{}", &hex[..32])
}
