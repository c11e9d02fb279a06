//! Planning: the desired environment against the state.
//!
//! [`plan`] compares a [`CompiledEnv`] with a [`StateDoc`] and says, resource
//! by resource, what an apply will do. Before planning, a caller settles
//! what an interrupted apply left pending with [`reconcile`], optionally
//! re-reads the live objects with [`refresh`], and applies the entries both
//! return to its in-memory copy of the state. [`render`] shows a plan as
//! text, in Terraform's style.
//!
//! Two promises hold:
//!
//! - **A plan never lies.** Every change it shows is one the apply makes,
//!   and the apply makes no other: values known only after apply are shown
//!   as such, and a value that is unknown on an attribute forcing
//!   replacement is a replacement. Secrets appear only as references to
//!   their store, and values from the state whose names look secret are
//!   hidden.
//! - **An unchanged environment shows no change.** Values are compared
//!   after the normalisation a provider's [`TypeHints`] ask for (CIDR
//!   blocks, JSON documents, case, sets), attributes the cloud computes are
//!   never compared, and `ignore_changes` is honoured.
//!
//! The set of changes is fixed by the declarations and the state, never by
//! values: a value unknown at plan time can turn a no-op into an update or
//! a replacement, but it cannot add or remove an address from the plan,
//! because the environment declares every resource it has.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use thiserror::Error;

use super::plan::{
    Action, AttributeChange, Change, PLAN_FORMAT, Plan, PlanValue,
    ResolveError, Resolved, idempotency_token, resolve,
};
use super::provider::{
    ErrorKind, Normalize, Provider, ProviderError, Providers, TypeHints,
    provider_config_of,
};
use super::state::{
    Attrs, JournalEntry, PendingKind, PendingOp, ResourceState, StateDoc,
    redact_attributes,
};
use crate::address::{Address, Mode, SourceLocation};
use crate::compile::{CompiledEnv, Location};
use crate::env::Declaration;
use crate::sensitive::SensitiveValue;
use crate::value::Value;

/// What a plan is asked to do beyond comparing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanOptions {
    /// Plan the destruction of every managed resource in the state.
    pub destroy: bool,
    /// Values of input variables given on the command line, by name; the
    /// environment's variable defaults fill in the rest. A value given
    /// here for a sensitive variable is held as one from then on.
    pub variables: BTreeMap<String, Json>,
    /// Values of sensitive variables given on the command line, held so
    /// that they cannot be written.
    pub sensitive_variables: BTreeMap<String, SensitiveValue>,
}

/// One reason a plan cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PlanError {
    /// An attribute's value cannot be worked out: a raw Terraform
    /// expression, a variable without a value, a non-finite number, or a
    /// reference to an attribute a resource in the state lacks.
    #[error("{address} (declared at {location}): `{attribute}`: {error}")]
    Unresolvable {
        /// The resource.
        address: String,
        /// Its attribute holding the value.
        attribute: String,
        /// Where the resource was declared.
        location: SourceLocation,
        /// Why the value cannot be worked out.
        error: ResolveError,
    },
    /// An import names an object the state already manages at another
    /// address: one object would be managed twice.
    #[error(
        "import into {address} (at {location}): {resource_type} {id:?} is \
         already managed as {other}; an object is managed at one address \
         only (use `moved` to rename it)"
    )]
    ImportConflict {
        /// The import's target.
        address: String,
        /// The resource type.
        resource_type: String,
        /// The object's id.
        id: String,
        /// The address that already manages it.
        other: String,
        /// Where the import was declared.
        location: SourceLocation,
    },
    /// An import names an object the cloud does not have.
    #[error(
        "import into {address} (at {location}): no {resource_type} with id \
         {id:?} exists"
    )]
    ImportNotFound {
        /// The import's target.
        address: String,
        /// The resource type.
        resource_type: String,
        /// The id given.
        id: String,
        /// Where the import was declared.
        location: SourceLocation,
    },
    /// The plan would destroy or replace a resource that forbids it.
    #[error(
        "{address} (declared at {location}) has prevent_destroy set, but \
         this plan would {action} it; remove prevent_destroy to allow it, \
         or change the configuration so that the plan does not {action} it"
    )]
    PreventDestroy {
        /// The resource.
        address: String,
        /// `destroy` or `replace`.
        action: &'static str,
        /// Where the resource was declared.
        location: SourceLocation,
    },
    /// A rename whose old and new addresses are both in the state.
    #[error(
        "moved from {from} to {to} (at {location}): the state holds both \
         addresses, so the rename cannot be applied; forget one of them \
         (with `removed`) or drop the `moved`"
    )]
    MovedConflict {
        /// The old address.
        from: String,
        /// The new address.
        to: String,
        /// Where the rename was declared.
        location: Location,
    },
    /// The state still has operations pending from an interrupted apply:
    /// [`reconcile`] settles them, and its entries must be applied to the
    /// state before planning.
    #[error(
        "the state has operations pending from an interrupted apply on {}; \
         settle them with reconcile before planning",
        .addresses.join(", ")
    )]
    Pending {
        /// The resources with a pending operation.
        addresses: Vec<String>,
    },
    /// A value was given for a variable the environment does not declare.
    #[error(
        "a value was given for variable {name}, but the environment \
         declares no such variable"
    )]
    UndeclaredVariable {
        /// The variable's name.
        name: String,
    },
}

/// Every reason a plan cannot be made; displayed one per line.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub struct PlanErrors(pub Vec<PlanError>);

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            error.fmt(f)?;
        }
        Ok(())
    }
}

/// A provider call that failed while reconciling or refreshing, after
/// retries of retryable errors.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{operation} of {address} through provider {provider} failed: {error}")]
pub struct ProviderFailure {
    /// The resource.
    pub address: String,
    /// The provider configuration.
    pub provider: String,
    /// What was being done, such as `reading` or `finding by token`.
    pub operation: &'static str,
    /// The provider's error.
    #[source]
    pub error: ProviderError,
}

/// How many changes of each kind a plan makes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanSummary {
    /// Objects created: creations and replacements.
    pub add: usize,
    /// Objects updated in place.
    pub change: usize,
    /// Objects destroyed: deletions and replacements.
    pub destroy: usize,
    /// Objects imported.
    pub import: usize,
    /// Objects forgotten (left in the cloud).
    pub forget: usize,
    /// Resources renamed.
    pub moved: usize,
}

impl PlanSummary {
    /// Counts the changes of a plan.
    pub fn of(plan: &Plan) -> Self {
        let mut summary = Self::default();
        for change in &plan.changes {
            match change.action {
                Action::Create => summary.add += 1,
                Action::Update => summary.change += 1,
                Action::Replace => {
                    summary.add += 1;
                    summary.destroy += 1;
                }
                Action::Delete => summary.destroy += 1,
                Action::Import => summary.import += 1,
                Action::Forget => summary.forget += 1,
                Action::NoOp | Action::Read => {}
            }
            if change.moved_from.is_some() {
                summary.moved += 1;
            }
        }
        summary
    }

    /// Whether applying changes any object or the state (a rename changes
    /// only the state).
    pub fn has_changes(&self) -> bool {
        *self != Self::default()
    }
}

/// What later resources see of a planned one.
enum Outcome<'s> {
    /// Its attributes are known, except the named ones.
    Known {
        attrs: Cow<'s, Attrs>,
        /// The object's id when `attrs` lacks an `id` attribute.
        id: Option<&'s str>,
        unknown: BTreeSet<String>,
    },
    /// Nothing is known before apply: it is created, replaced, imported,
    /// or a data source read during apply.
    Unknown,
}

/// A state entry as the plan sees it, after renames.
#[derive(Clone, Copy)]
struct Entry<'s> {
    resource: &'s ResourceState,
    /// The address it had in the state, when renamed.
    moved_from: Option<&'s str>,
}

/// Compares the environment with the state and says what an apply does.
///
/// `state` is the state after the entries of [`reconcile`] (and, when the
/// live cloud is consulted, of [`refresh`]) were applied to it in memory;
/// `stored_hash` is [`StateDoc::hash`] of the state as read from the store,
/// before them, and `reconcile` those entries, which the plan carries so
/// that its apply writes them first.
///
/// For each declaration, in dependency order:
///
/// - a data source is [`Action::Read`]; its attributes are known to later
///   resources when the state holds it and its configuration is unchanged,
///   otherwise they are known only after apply;
/// - a resource missing from the state is created (with an idempotency
///   token), or imported when the environment imports it;
/// - a resource in the state is compared attribute by attribute, with
///   references resolved against what is known: it is a no-op when every
///   known value equals the state's after normalisation, a replacement
///   when an attribute forcing replacement differs (or is known only after
///   apply), and an update otherwise.
///
/// Resources in the state but no longer declared are deleted, or
/// forgotten when the environment declares them `removed`; data sources
/// no longer declared are dropped silently. With
/// [`PlanOptions::destroy`], every managed resource in the state is
/// deleted. Attributes dropped from a declaration are not compared: the
/// object keeps whatever value the cloud has.
///
/// The result is deterministic: the same inputs give the same plan, byte
/// for byte once serialised.
///
/// # Errors
///
/// Returns every problem found: operations still pending in the state,
/// values that cannot be resolved, a
/// `prevent_destroy` resource the plan would destroy or replace, a rename
/// whose both addresses are in the state, and values given for undeclared
/// variables. Each names the resource and the declaration's location.
pub fn plan(
    env: &CompiledEnv,
    state: &StateDoc,
    stored_hash: &str,
    reconcile: Vec<JournalEntry>,
    providers: &Providers,
    options: &PlanOptions,
) -> Result<Plan, PlanErrors> {
    let mut errors = Vec::new();
    if !state.pending.is_empty() {
        errors.push(PlanError::Pending {
            addresses: state.pending.keys().cloned().collect(),
        });
    }
    let held = variable_values(env, options, &mut errors);
    // Exposed for resolving only; the plan keeps sensitive values held.
    let variables: BTreeMap<String, Json> = held
        .iter()
        .map(|(name, value)| (name.clone(), value.expose()))
        .collect();
    let (view, renamed) = state_view(env, state, &mut errors);
    let mut planner = Planner {
        env,
        state,
        stored_hash,
        providers,
        variables: &variables,
        sensitive_variables: env
            .variables()
            .iter()
            .filter(|v| v.sensitive)
            .map(|v| v.name.as_str())
            .collect(),
        hints: HashMap::new(),
        errors,
    };
    let changes = if options.destroy {
        planner.destroy(&view, &renamed)
    } else {
        planner.compare(&view, &renamed)
    };
    let mut errors = planner.errors;
    let sensitive_variables: Vec<String> = env
        .variables()
        .iter()
        .filter(|v| v.sensitive)
        .map(|v| v.name.to_string())
        .collect();
    drop(variables);
    let (sensitive_values, public): (BTreeMap<_, _>, BTreeMap<_, _>) = held
        .into_iter()
        .partition(|(name, _)| sensitive_variables.contains(name));
    let public = public
        .into_iter()
        .map(|(name, value)| (name, value.expose()))
        .collect();
    if !errors.is_empty() {
        errors.sort_by_cached_key(|e| e.to_string());
        errors.dedup();
        return Err(PlanErrors(errors));
    }
    Ok(Plan {
        format: PLAN_FORMAT,
        environment: env.name().to_owned(),
        lineage: Some(state.lineage.clone()),
        serial: state.serial,
        state_hash: stored_hash.to_owned(),
        destroy: options.destroy,
        reconcile,
        refreshed: Vec::new(),
        variables: public,
        sensitive_variables,
        sensitive_values,
        changes,
    })
}

/// The variables' values: defaults, overridden by given values.
fn variable_values(
    env: &CompiledEnv,
    options: &PlanOptions,
    errors: &mut Vec<PlanError>,
) -> BTreeMap<String, SensitiveValue> {
    let mut values = BTreeMap::new();
    for variable in env.variables() {
        if let Some(default) = variable.default_sensitive() {
            values.insert(variable.name.to_string(), default);
        }
    }
    let declared: HashSet<&str> =
        env.variables().iter().map(|v| v.name.as_str()).collect();
    let given = options
        .variables
        .iter()
        .map(|(name, value)| (name, SensitiveValue::new(value.clone())))
        .chain(
            options
                .sensitive_variables
                .iter()
                .map(|(name, value)| (name, value.clone())),
        );
    for (name, value) in given {
        if declared.contains(name.as_str()) {
            values.insert(name.clone(), value);
        } else {
            errors.push(PlanError::UndeclaredVariable { name: name.clone() });
        }
    }
    values
}

/// The renames in the order a chain of them (`a` to `b`, then `b` to `c`)
/// must be followed: each after the one that moves to its old address.
fn chain_order(moves: &[crate::env::Moved]) -> Vec<&crate::env::Moved> {
    let mut left: Vec<&crate::env::Moved> = moves.iter().collect();
    let mut ordered = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let next = left
            .iter()
            .position(|m| !left.iter().any(|other| other.to == m.from))
            .unwrap_or(0);
        ordered.push(left.remove(next));
    }
    ordered
}

/// The state's resources by address, after the environment's renames, and
/// the renames applied (old address to new).
fn state_view<'s>(
    env: &'s CompiledEnv,
    state: &'s StateDoc,
    errors: &mut Vec<PlanError>,
) -> (FastMap<Cow<'s, str>, Entry<'s>>, HashMap<String, String>) {
    let mut view: FastMap<Cow<'s, str>, Entry<'s>> = state
        .resources
        .iter()
        .map(|(address, resource)| {
            (
                Cow::Borrowed(address.as_str()),
                Entry {
                    resource,
                    moved_from: None,
                },
            )
        })
        .collect();
    let mut renamed = HashMap::new();
    for moved in chain_order(env.moved()) {
        let from = moved.from.to_string();
        let to = moved.to.to_string();
        match (
            view.contains_key(from.as_str()),
            view.contains_key(to.as_str()),
        ) {
            (true, true) => errors.push(PlanError::MovedConflict {
                from,
                to,
                location: Location(moved.location.clone()),
            }),
            (true, false) => {
                let (key, mut entry) = view
                    .remove_entry(from.as_str())
                    .expect("the old address is in the view");
                if entry.moved_from.is_none() {
                    // The address the state itself holds.
                    entry.moved_from = match key {
                        Cow::Borrowed(original) => Some(original),
                        Cow::Owned(_) => None,
                    };
                }
                view.insert(Cow::Owned(to.clone()), entry);
                renamed.insert(from, to);
            }
            _ => {}
        }
    }
    (view, renamed)
}

/// An address after the renames, following chains.
fn renamed_address<'a>(
    renamed: &'a HashMap<String, String>,
    address: &'a str,
) -> &'a str {
    let mut current = address;
    for _ in 0..=renamed.len() {
        match renamed.get(current) {
            Some(next) => current = next,
            None => break,
        }
    }
    current
}

struct Planner<'e> {
    env: &'e CompiledEnv,
    state: &'e StateDoc,
    /// The hash of the state as stored, which tokens derive from.
    stored_hash: &'e str,
    providers: &'e Providers,
    variables: &'e BTreeMap<String, Json>,
    sensitive_variables: HashSet<&'e str>,
    /// Type hints by provider configuration and type.
    hints: HashMap<String, HashMap<String, Arc<TypeHints>>>,
    errors: Vec<PlanError>,
}

/// One declaration's planned change, with what the CBD rule needs.
struct Planned {
    change: Change,
    index: usize,
}

impl<'e> Planner<'e> {
    /// Refuses an import of an object the state manages elsewhere.
    fn check_import(&mut self, decl: &Declaration, address: &str, id: &str) {
        let config = provider_config_of(decl);
        let kind = decl.address.kind.as_str();
        let other = self.state.resources.iter().find(|(other, r)| {
            r.id == id
                && r.kind == kind
                && r.provider == config
                && other.as_str() != address
        });
        if let Some((other, _)) = other {
            let location = self
                .env
                .imports()
                .iter()
                .find(|i| i.to.to_string() == address)
                .map_or_else(|| decl.location.clone(), |i| i.location.clone());
            self.errors.push(PlanError::ImportConflict {
                address: address.to_owned(),
                resource_type: kind.to_owned(),
                id: id.to_owned(),
                other: other.clone(),
                location,
            });
        }
    }

    fn hints(&mut self, config: &str, resource_type: &str) -> Arc<TypeHints> {
        if let Some(hints) =
            self.hints.get(config).and_then(|m| m.get(resource_type))
        {
            return Arc::clone(hints);
        }
        let hints = Arc::new(self.providers.hints(config, resource_type));
        self.hints
            .entry(config.to_owned())
            .or_default()
            .insert(resource_type.to_owned(), Arc::clone(&hints));
        hints
    }

    fn prevent_destroy(&mut self, decl: &Declaration, action: &'static str) {
        if decl.meta.lifecycle.prevent_destroy {
            self.errors.push(PlanError::PreventDestroy {
                address: decl.address.to_string(),
                action,
                location: decl.location.clone(),
            });
        }
    }

    /// The destroy plan: every managed resource in the state goes.
    fn destroy(
        &mut self,
        view: &FastMap<Cow<'e, str>, Entry<'e>>,
        renamed: &HashMap<String, String>,
    ) -> Vec<Change> {
        let env = self.env;
        let declared: HashMap<String, usize> = env
            .declarations()
            .iter()
            .enumerate()
            .map(|(i, d)| (d.address.to_string(), i))
            .collect();
        let removed: HashSet<String> = env
            .removed()
            .iter()
            .map(|r| r.address.to_string())
            .collect();
        let mut changes = Vec::new();
        for (address, entry) in view {
            if is_data_address(address) {
                continue;
            }
            let index = declared.get(address.as_ref()).copied();
            let mut change = if removed.contains(address.as_ref()) {
                forget_change(address, *entry)
            } else {
                let mut change = delete_change(address, *entry, renamed);
                if let Some(i) = index {
                    let decl = &env.declarations()[i];
                    self.prevent_destroy(decl, "destroy");
                    // The environment's order too: an object adopted
                    // after a crash has no dependencies recorded.
                    change.depends_on.extend(
                        env.dependency_indices(i).filter_map(|(j, _)| {
                            let dep = &env.declarations()[j].address;
                            (dep.mode == Mode::Managed).then(|| dep.to_string())
                        }),
                    );
                    change.depends_on.sort();
                    change.depends_on.dedup();
                }
                change
            };
            if let Some(i) = index {
                change.create_before_destroy =
                    env.declarations()[i].meta.lifecycle.create_before_destroy;
            }
            changes.push(change);
        }
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        changes
    }

    /// The normal plan.
    fn compare(
        &mut self,
        view: &FastMap<Cow<'e, str>, Entry<'e>>,
        renamed: &HashMap<String, String>,
    ) -> Vec<Change> {
        let env = self.env;
        let declarations = env.declarations();
        let addresses: Vec<String> =
            declarations.iter().map(|d| d.address.to_string()).collect();
        let deps = Dependencies::new(env);
        let imports: HashMap<String, &str> = env
            .imports()
            .iter()
            .map(|i| (i.to.to_string(), i.id.as_str()))
            .collect();

        let mut outcomes: FastMap<&str, Outcome<'e>> =
            FastMap::with_capacity_and_hasher(
                declarations.len(),
                Default::default(),
            );
        let mut planned: Vec<Planned> = Vec::with_capacity(declarations.len());
        for i in topological_order(&deps) {
            let decl = &declarations[i];
            let address = addresses[i].as_str();
            let entry = view.get(address).copied();
            let mut depends_on: Vec<String> =
                deps.of(i).iter().map(|&j| addresses[j].clone()).collect();
            depends_on.sort_unstable();
            let (change, outcome) = self.plan_declaration(
                decl,
                address,
                entry,
                imports.get(address).copied(),
                &outcomes,
                depends_on,
            );
            outcomes.insert(address, outcome);
            planned.push(Planned { change, index: i });
        }
        drop(outcomes);
        let index_of: FastMap<&str, usize> = addresses
            .iter()
            .enumerate()
            .map(|(i, a)| (a.as_str(), i))
            .collect();
        // The declared resources an object depended on in the state,
        // through any undeclared (deleted) ones in between: their destroys
        // chain, so the order reaches across them.
        let state_deps = |address: &str| -> Vec<usize> {
            let mut found = Vec::new();
            let mut seen: HashSet<&str> = HashSet::new();
            let mut queue: Vec<&str> = vec![address];
            while let Some(current) = queue.pop() {
                let Some(entry) = view.get(current) else {
                    continue;
                };
                for dep in &entry.resource.dependencies {
                    if !seen.insert(dep.as_str()) {
                        continue;
                    }
                    match index_of.get(dep.as_str()) {
                        Some(&i) => found.push(i),
                        None => queue.push(dep.as_str()),
                    }
                }
            }
            found
        };
        propagate_create_before_destroy(&mut planned, &deps, &state_deps);

        let removed: HashSet<String> = env
            .removed()
            .iter()
            .map(|r| r.address.to_string())
            .collect();
        let declared: HashSet<&str> =
            addresses.iter().map(String::as_str).collect();
        let mut others = Vec::new();
        for (address, entry) in view {
            if declared.contains(address.as_ref()) || is_data_address(address) {
                continue;
            }
            others.push(if removed.contains(address.as_ref()) {
                forget_change(address, *entry)
            } else {
                delete_change(address, *entry, renamed)
            });
        }

        // In address order, sorting indices rather than moving changes.
        let count = declarations.len();
        let mut order: Vec<usize> = (0..count + others.len()).collect();
        let key = |k: usize| match k.checked_sub(count) {
            None => addresses[k].as_str(),
            Some(o) => others[o].address.as_str(),
        };
        order.sort_unstable_by(|a, b| key(*a).cmp(key(*b)));
        let mut slots: Vec<Option<Change>> = (0..count).map(|_| None).collect();
        for item in planned {
            slots[item.index] = Some(item.change);
        }
        let mut others: Vec<Option<Change>> =
            others.into_iter().map(Some).collect();
        order
            .into_iter()
            .filter_map(|k| match k.checked_sub(count) {
                None => slots[k].take(),
                Some(o) => others[o].take(),
            })
            .collect()
    }

    /// Resolves every attribute of a declaration; unresolvable ones are
    /// recorded as errors and left out.
    fn resolve_attributes(
        &mut self,
        decl: &Declaration,
        address: &str,
        outcomes: &FastMap<&str, Outcome<'e>>,
    ) -> BTreeMap<String, Resolved> {
        let mut buffers = Buffers::default();
        decl.resource
            .attributes()
            .iter()
            .filter_map(|(name, value)| {
                let r = self.resolve_one(
                    decl,
                    address,
                    name,
                    value,
                    outcomes,
                    &mut buffers,
                )?;
                Some((name.clone(), r))
            })
            .collect()
    }

    /// Resolves one attribute; when it cannot be, records the error.
    fn resolve_one(
        &mut self,
        decl: &Declaration,
        address: &str,
        name: &str,
        value: &Value,
        outcomes: &FastMap<&str, Outcome<'e>>,
        buffers: &mut Buffers,
    ) -> Option<Resolved> {
        let Buffers { path, target } = buffers;
        // References to attributes of an updated resource that are
        // themselves known only after apply wait as well; references
        // to the id of an object whose attributes lack one see it.
        let mut blocked: Vec<&str> = Vec::new();
        let mut wants_id: Vec<(&str, &str)> = Vec::new();
        let mut wants_other: Vec<&str> = Vec::new();
        path.clear();
        value.for_each_ref(path, &mut |_, r| {
            target.clear();
            let _ = write!(target, "{}", r.address);
            let Some((key, Outcome::Known { id, unknown, .. })) =
                outcomes.get_key_value(target.as_str())
            else {
                return;
            };
            let top = top_attribute(&r.attr);
            if unknown.contains(top) {
                blocked.push(key);
            } else if let (Some(id), "id") = (id, top) {
                wants_id.push((key, id));
            } else {
                wants_other.push(key);
            }
        });
        let with_id: Vec<(&str, Attrs)> = wants_id
            .iter()
            .map(|&(key, id)| {
                let id = Json::String(id.to_owned());
                let attrs = match outcomes.get(key) {
                    Some(Outcome::Known { attrs, .. })
                        if wants_other.contains(&key) =>
                    {
                        let mut attrs = attrs.as_ref().clone();
                        attrs.insert("id".to_owned(), id);
                        attrs
                    }
                    _ => Attrs::from([("id".to_owned(), id)]),
                };
                (key, attrs)
            })
            .collect();
        let lookup = |target: &str| -> Option<&Attrs> {
            if blocked.contains(&target) {
                return None;
            }
            if let Some((_, attrs)) =
                with_id.iter().find(|(key, _)| *key == target)
            {
                return Some(attrs);
            }
            match outcomes.get(target) {
                Some(Outcome::Known { attrs, .. }) => Some(attrs.as_ref()),
                _ => None,
            }
        };
        match resolve(value, self.variables, &lookup) {
            Ok(r) => Some(r),
            Err(error) => {
                self.errors.push(PlanError::Unresolvable {
                    address: address.to_owned(),
                    attribute: name.to_owned(),
                    location: decl.location.clone(),
                    error,
                });
                None
            }
        }
    }

    fn plan_declaration(
        &mut self,
        decl: &Declaration,
        address: &str,
        entry: Option<Entry<'e>>,
        import: Option<&str>,
        outcomes: &FastMap<&str, Outcome<'e>>,
        depends_on: Vec<String>,
    ) -> (Change, Outcome<'e>) {
        let provider = provider_config_of(decl);
        let resource_type = decl.address.kind.as_str();
        let hints = self.hints(&provider, resource_type);
        let desired = decl.resource.attributes();
        let lifecycle = &decl.meta.lifecycle;
        let mut change = Change {
            address: address.to_owned(),
            resource_type: resource_type.to_owned(),
            provider,
            action: Action::NoOp,
            reasons: Vec::new(),
            id: None,
            moved_from: entry.and_then(|e| e.moved_from.map(str::to_owned)),
            attributes: BTreeMap::new(),
            config: BTreeMap::new(),
            depends_on,
            token: None,
            create_before_destroy: lifecycle.create_before_destroy,
            sensitive_attributes: self.env.sensitive_attributes(&decl.address),
        };

        if decl.address.mode == Mode::Data {
            let resolved = self.resolve_attributes(decl, address, outcomes);
            change.action = Action::Read;
            change.config = desired.clone();
            change.attributes = self.after_values(desired, &resolved);
            let settled = entry.filter(|e| {
                resolved.iter().all(|(name, r)| match r {
                    Resolved::Known(json) => values_equal(
                        json,
                        e.resource.attributes.get(name),
                        hints.normalize.get(name).copied(),
                    ),
                    Resolved::Unknown(_) => false,
                })
            });
            return match settled {
                Some(e) => (change, known_outcome(e.resource)),
                None => {
                    change.reasons.push(if entry.is_none() {
                        "it has not been read yet".to_owned()
                    } else if resolved
                        .values()
                        .any(|r| matches!(r, Resolved::Unknown(_)))
                    {
                        "its configuration refers to values known only \
                         after apply"
                            .to_owned()
                    } else {
                        "its configuration changed".to_owned()
                    });
                    (change, Outcome::Unknown)
                }
            };
        }

        let Some(entry) = entry else {
            let resolved = self.resolve_attributes(decl, address, outcomes);
            change.config = desired.clone();
            change.attributes = self.after_values(desired, &resolved);
            match import {
                Some(id) => {
                    change.action = Action::Import;
                    change.id = Some(id.to_owned());
                    self.check_import(decl, address, id);
                }
                None => {
                    change.action = Action::Create;
                    change.token = Some(idempotency_token(
                        &self.state.lineage,
                        self.stored_hash,
                        address,
                    ));
                }
            }
            return (change, Outcome::Unknown);
        };

        let prior = &entry.resource.attributes;
        change.id = Some(entry.resource.id.clone());
        let ignored = |name: &str| {
            lifecycle.ignore_changes.iter().any(|i| i.as_str() == name)
        };
        let mut buffers = Buffers::default();
        let mut compared: Vec<(&String, Resolved)> = Vec::new();
        for (name, value) in desired {
            // An attribute the cloud computes is compared like any other
            // when the configuration sets it (a bucket's name, a subnet's
            // zone); left null, it is the cloud's to fill.
            let skip = ignored(name)
                || (matches!(value, Value::Null)
                    && hints.computed.contains(name));
            if !skip
                && unchanged_at_a_glance(
                    value,
                    prior.get(name),
                    outcomes,
                    &mut buffers.target,
                )
            {
                continue;
            }
            // Resolved even when skipped: a value the engine cannot work
            // out is an error wherever it is.
            let Some(r) = self.resolve_one(
                decl,
                address,
                name,
                value,
                outcomes,
                &mut buffers,
            ) else {
                continue;
            };
            if !skip {
                compared.push((name, r));
            }
        }
        let mut unknown = BTreeSet::new();
        let mut overlay: Vec<(&str, &Json)> = Vec::new();
        for (name, r) in &compared {
            let name: &String = name;
            let forces = hints.force_new.contains(name);
            let before = prior.get(name);
            match r {
                Resolved::Known(json) => {
                    if values_equal(
                        json,
                        before,
                        hints.normalize.get(name).copied(),
                    ) {
                        continue;
                    }
                    overlay.push((name, json));
                    if forces {
                        change.reasons.push(name.clone());
                    }
                }
                Resolved::Unknown(_) => {
                    unknown.insert(name.clone());
                    if forces {
                        change.reasons.push(format!(
                            "{name} is known only after apply and forces \
                             replacement"
                        ));
                    }
                }
            }
            let after = self.after_value(name, &desired[name.as_str()], r);
            change.attributes.insert(
                name.clone(),
                AttributeChange {
                    before: before.map(|b| prior_value(name, b, Some(&after))),
                    after: Some(after),
                    forces_replacement: forces,
                },
            );
        }

        if !change.reasons.is_empty() {
            change.action = Action::Replace;
            change.config = desired.clone();
            change.token = Some(idempotency_token(
                &self.state.lineage,
                self.stored_hash,
                address,
            ));
            self.prevent_destroy(decl, "replace");
            (change, Outcome::Unknown)
        } else if !change.attributes.is_empty() {
            change.action = Action::Update;
            let mut config = desired.clone();
            // An ignored attribute keeps the value the object has.
            for name in &lifecycle.ignore_changes {
                if let (Some(slot), Some(json)) =
                    (config.get_mut(name), prior.get(name))
                {
                    *slot = Value::from(json.clone());
                }
            }
            change.config = config;
            let mut attrs = prior.clone();
            for (name, json) in overlay {
                attrs.insert(name.to_owned(), json.clone());
            }
            attrs
                .entry("id".to_owned())
                .or_insert_with(|| Json::String(entry.resource.id.clone()));
            (
                change,
                Outcome::Known {
                    attrs: Cow::Owned(attrs),
                    id: None,
                    unknown,
                },
            )
        } else {
            (change, known_outcome(entry.resource))
        }
    }

    /// The desired values as a plan shows them.
    fn after_values(
        &self,
        desired: &BTreeMap<String, Value>,
        resolved: &BTreeMap<String, Resolved>,
    ) -> BTreeMap<String, AttributeChange> {
        resolved
            .iter()
            .map(|(name, r)| {
                let after = self.after_value(name, &desired[name], r);
                (
                    name.clone(),
                    AttributeChange {
                        before: None,
                        after: Some(after),
                        forces_replacement: false,
                    },
                )
            })
            .collect()
    }

    /// A desired value as a plan shows it: secrets by reference, values
    /// of secret-looking attributes or of sensitive variables hidden.
    fn after_value(
        &self,
        name: &str,
        value: &Value,
        resolved: &Resolved,
    ) -> PlanValue {
        let mut secrets = Vec::new();
        let mut sensitive = self.env.is_sensitive(value);
        value.for_each_leaf(&mut |leaf| match leaf {
            Value::Secret(s) => secrets.push(s.to_string()),
            Value::Variable(v) => {
                sensitive |= self.sensitive_variables.contains(v.as_str())
            }
            _ => {}
        });
        if !secrets.is_empty() {
            secrets.sort();
            secrets.dedup();
            return PlanValue::Secret(secrets.join(", "));
        }
        match resolved {
            Resolved::Unknown(refs) => PlanValue::Unknown(
                refs.iter().filter(|r| *r != "(unknown)").cloned().collect(),
            ),
            Resolved::Known(_) if sensitive || looks_secret(name) => {
                PlanValue::Sensitive
            }
            Resolved::Known(json) => PlanValue::Known(mask_nested(json)),
        }
    }
}

/// What later resources see of an unchanged object: its attributes, with
/// its id.
fn known_outcome(resource: &ResourceState) -> Outcome<'_> {
    Outcome::Known {
        attrs: Cow::Borrowed(&resource.attributes),
        id: (!resource.attributes.contains_key("id"))
            .then_some(resource.id.as_str()),
        unknown: BTreeSet::new(),
    }
}

/// Terraform's rule: a resource replaced create-before-destroy needs every
/// replaced resource it depends on, directly or not, replaced the same way,
/// or the order of the two would form a cycle.
fn propagate_create_before_destroy(
    planned: &mut [Planned],
    deps: &Dependencies,
    state_deps: &dyn Fn(&str) -> Vec<usize>,
) {
    if !planned.iter().any(|p| {
        p.change.action == Action::Replace && p.change.create_before_destroy
    }) {
        return;
    }
    // A replacement created before its predecessor is destroyed forces
    // the same order on every replaced resource it depends on, in the
    // environment or, for references it no longer has, in the state:
    // otherwise the old object would have to outlive what it points at.
    // Repeated until nothing changes, since the state's dependencies need
    // not follow the environment's order.
    let position: Vec<usize> = {
        let mut position = vec![usize::MAX; deps.len()];
        for (k, item) in planned.iter().enumerate() {
            position[item.index] = k;
        }
        position
    };
    loop {
        let mut changed = false;
        for k in (0..planned.len()).rev() {
            let item = &planned[k];
            if item.change.action != Action::Replace
                || !item.change.create_before_destroy
            {
                continue;
            }
            let i = item.index;
            let mut targets: Vec<usize> = deps.of(i).to_vec();
            targets.extend(state_deps(&item.change.address));
            for j in targets {
                let Some(&at) = position.get(j) else { continue };
                let Some(dependency) = planned.get_mut(at) else {
                    continue;
                };
                if dependency.change.action == Action::Replace
                    && !dependency.change.create_before_destroy
                {
                    dependency.change.create_before_destroy = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// What each declaration depends on among the declarations, by index,
/// sorted and without repeats.
struct Dependencies {
    offsets: Vec<usize>,
    targets: Vec<usize>,
}

impl Dependencies {
    fn new(env: &CompiledEnv) -> Self {
        let count = env.declarations().len();
        let mut offsets = Vec::with_capacity(count + 1);
        let mut targets = Vec::with_capacity(count);
        offsets.push(0);
        for i in 0..count {
            let start = targets.len();
            targets.extend(env.dependency_indices(i).map(|(j, _)| j));
            targets[start..].sort_unstable();
            let mut kept = start;
            for k in start..targets.len() {
                if kept == start || targets[k] != targets[kept - 1] {
                    targets[kept] = targets[k];
                    kept += 1;
                }
            }
            targets.truncate(kept);
            offsets.push(targets.len());
        }
        Self { offsets, targets }
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn of(&self, i: usize) -> &[usize] {
        &self.targets[self.offsets[i]..self.offsets[i + 1]]
    }
}

/// The declarations' indices, each after everything it depends on (a
/// depth-first post-order from the declarations in order). The graph is
/// acyclic: compilation refused cycles.
fn topological_order(deps: &Dependencies) -> Vec<usize> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut mark = vec![NEW; deps.len()];
    let mut order = Vec::with_capacity(deps.len());
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..deps.len() {
        if mark[root] != NEW {
            continue;
        }
        mark[root] = OPEN;
        stack.push((root, 0));
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            match deps.of(node).get(*next) {
                Some(&dep) => {
                    *next += 1;
                    if mark[dep] == NEW {
                        mark[dep] = OPEN;
                        stack.push((dep, 0));
                    }
                }
                None => {
                    mark[node] = DONE;
                    order.push(node);
                    stack.pop();
                }
            }
        }
    }
    order
}

/// Scratch text reused across the attributes of a declaration.
#[derive(Default)]
struct Buffers {
    /// The argument path of a reference.
    path: String,
    /// A referenced address.
    target: String,
}

/// A hash map keyed by addresses; a multiply-rotate hash (as rustc's) is
/// several times faster than SipHash on short keys, and the keys come from
/// the user's own environment and state, so flooding is no concern.
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 =
            (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// Whether a desired value certainly equals the state's, checked without
/// building it: a literal equal as is, or a reference to a known attribute
/// equal as is. `false` means "resolve and compare properly", not
/// "different".
fn unchanged_at_a_glance(
    value: &Value,
    prior: Option<&Json>,
    outcomes: &FastMap<&str, Outcome<'_>>,
    target: &mut String,
) -> bool {
    let Value::Ref(r) = value else {
        return literal_equal(value, prior);
    };
    target.clear();
    let _ = write!(target, "{}", r.address);
    let Some(Outcome::Known { attrs, id, unknown }) =
        outcomes.get(target.as_str())
    else {
        return false;
    };
    let top = top_attribute(&r.attr);
    if unknown.contains(top) {
        return false;
    }
    match (id, r.attr.as_str()) {
        (Some(id), "id") => prior.and_then(Json::as_str) == Some(*id),
        _ => {
            prior.is_some()
                && super::plan::attribute_path(attrs, &r.attr) == prior
        }
    }
}

/// Whether a literal value equals a JSON value exactly; `false` for
/// anything that is not a literal. Compared as [`json_equal`] does: a map
/// exactly, an object inside a list (a block) on its keys only.
fn literal_equal(value: &Value, json: Option<&Json>) -> bool {
    literal_equal_in(value, json, false)
}

fn literal_equal_in(value: &Value, json: Option<&Json>, block: bool) -> bool {
    match (value, json) {
        (Value::Null, None | Some(Json::Null)) => true,
        (Value::Bool(a), Some(Json::Bool(b))) => a == b,
        (Value::Number(a), Some(Json::Number(b))) => a == b,
        (Value::String(a), Some(Json::String(b))) => a == b,
        (Value::List(a), Some(Json::Array(b))) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(a, b)| literal_equal_in(a, Some(b), true))
        }
        (Value::Map(a), Some(Json::Object(b))) => {
            (block || a.len() == b.len())
                && a.iter().all(|(k, a)| literal_equal_in(a, b.get(k), block))
        }
        _ => false,
    }
}

fn is_data_address(address: &str) -> bool {
    address.starts_with("data.")
}

/// The attribute a reference path starts with: `ip_address` for
/// `ip_address[0]`, `network_interface` for `network_interface[0].ip`.
fn top_attribute(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or(path)
}

fn delete_change(
    address: &str,
    entry: Entry<'_>,
    renamed: &HashMap<String, String>,
) -> Change {
    let resource = entry.resource;
    let mut depends_on: Vec<String> = resource
        .dependencies
        .iter()
        .map(|d| renamed_address(renamed, d).to_owned())
        .collect();
    depends_on.sort();
    depends_on.dedup();
    Change {
        address: address.to_owned(),
        resource_type: resource.kind.clone(),
        provider: resource.provider.clone(),
        action: Action::Delete,
        reasons: Vec::new(),
        id: Some(resource.id.clone()),
        moved_from: entry.moved_from.map(str::to_owned),
        attributes: resource
            .attributes
            .iter()
            .map(|(name, json)| {
                (
                    name.clone(),
                    AttributeChange {
                        before: Some(prior_value(name, json, None)),
                        after: None,
                        forces_replacement: false,
                    },
                )
            })
            .collect(),
        config: BTreeMap::new(),
        depends_on,
        token: None,
        create_before_destroy: resource.create_before_destroy,
        sensitive_attributes: Vec::new(),
    }
}

fn forget_change(address: &str, entry: Entry<'_>) -> Change {
    let resource = entry.resource;
    Change {
        address: address.to_owned(),
        resource_type: resource.kind.clone(),
        provider: resource.provider.clone(),
        action: Action::Forget,
        reasons: Vec::new(),
        id: Some(resource.id.clone()),
        moved_from: entry.moved_from.map(str::to_owned),
        attributes: BTreeMap::new(),
        config: BTreeMap::new(),
        depends_on: Vec::new(),
        token: None,
        create_before_destroy: false,
        sensitive_attributes: Vec::new(),
    }
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

/// The sensitive attributes of an object settled after an interrupted
/// operation: those its entry had, and those the operation was setting.
fn sensitive_after(
    existing: Option<&ResourceState>,
    op: &super::state::PendingOp,
) -> Vec<String> {
    let mut names: Vec<String> = existing
        .map(|r| r.sensitive_attributes.clone())
        .unwrap_or_default();
    names.extend(op.sensitive_attributes.iter().cloned());
    names.sort();
    names.dedup();
    names
}

/// Whether an attribute's name says it holds a secret (password, token,
/// private key, ...): such values from a state are never shown.
pub fn looks_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SENSITIVE_NAME_PARTS.iter().any(|p| name.contains(p))
}

/// A state's value for `name` as a plan shows it: hidden where the
/// environment sets a secret, or its name says it is one.
fn prior_value(
    name: &str,
    json: &Json,
    after: Option<&PlanValue>,
) -> PlanValue {
    let declared_secret =
        matches!(after, Some(PlanValue::Secret(_) | PlanValue::Sensitive));
    if declared_secret
        || looks_secret(name)
        || crate::sensitive::is_redacted(json)
    {
        PlanValue::Sensitive
    } else {
        PlanValue::Known(mask_nested(json))
    }
}

/// The text that stands in for a hidden value nested in a shown one.
const HIDDEN: &str = "(sensitive value)";

/// A value with the values of secret-looking keys inside it hidden.
fn mask_nested(json: &Json) -> Json {
    fn needs(json: &Json) -> bool {
        match json {
            Json::Object(map) => {
                map.iter().any(|(k, v)| looks_secret(k) || needs(v))
            }
            Json::Array(items) => items.iter().any(needs),
            _ => false,
        }
    }
    fn mask(json: &Json) -> Json {
        match json {
            Json::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if looks_secret(k) {
                            Json::String(HIDDEN.to_owned())
                        } else {
                            mask(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Json::Array(items) => Json::Array(items.iter().map(mask).collect()),
            other => other.clone(),
        }
    }
    if needs(json) {
        mask(json)
    } else {
        json.clone()
    }
}

/// Whether a desired value equals the state's, after normalisation. A
/// missing state value equals null.
fn values_equal(
    desired: &Json,
    prior: Option<&Json>,
    how: Option<Normalize>,
) -> bool {
    let prior = prior.unwrap_or(&Json::Null);
    if desired == prior {
        return true;
    }
    if crate::sensitive::is_redacted(prior) {
        // The state keeps only a hash of a sensitive value.
        return crate::sensitive::matches_redacted(desired, prior);
    }
    let a = normalize(desired, how);
    let b = normalize(prior, how);
    json_equal(&a, &b)
}

/// Whether the desired `a` equals the state's `b`: deep equality in which
/// numbers are compared by value (`1` equals `1.0`). A map (an object
/// outside any list, such as `tags`) is compared exactly, so keys added in
/// the cloud are drift; an object inside a list is a block, whose keys the
/// configuration leaves out (or sets to null) are the cloud's to fill, as
/// at the top level, and are not compared.
fn json_equal(a: &Json, b: &Json) -> bool {
    json_equal_in(a, b, false)
}

fn json_equal_in(a: &Json, b: &Json, block: bool) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            x == y
                || match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                    (Some(x), Some(y), _, _) => x == y,
                    (_, _, Some(x), Some(y)) => x == y,
                    _ => x.as_f64().is_some() && x.as_f64() == y.as_f64(),
                }
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|(x, y)| json_equal_in(x, y, true))
        }
        (Json::Object(x), Json::Object(y)) => {
            (block || y.keys().all(|k| x.contains_key(k) || y[k].is_null()))
                && x.iter().all(|(k, v)| match y.get(k) {
                    Some(w) => json_equal_in(v, w, block),
                    None => v.is_null(),
                })
        }
        _ => a == b,
    }
}

/// A value in the canonical form a hint asks for.
fn normalize(json: &Json, how: Option<Normalize>) -> Cow<'_, Json> {
    match how {
        None => Cow::Borrowed(json),
        Some(Normalize::Cidr) => Cow::Owned(map_strings(json, &|s| {
            canonical_cidr(s).unwrap_or_else(|| s.to_owned())
        })),
        Some(Normalize::CaseInsensitive) => {
            Cow::Owned(map_strings(json, &|s| s.to_ascii_lowercase()))
        }
        Some(Normalize::JsonDocument) => match json {
            Json::String(text) => match serde_json::from_str::<Json>(text) {
                Ok(document) => Cow::Owned(document),
                Err(_) => Cow::Borrowed(json),
            },
            _ => Cow::Borrowed(json),
        },
        Some(Normalize::Set) => match json {
            Json::Array(items) => {
                let mut keyed: Vec<(String, &Json)> =
                    items.iter().map(|v| (v.to_string(), v)).collect();
                keyed.sort_by(|a, b| a.0.cmp(&b.0));
                keyed.dedup_by(|a, b| a.0 == b.0);
                Cow::Owned(Json::Array(
                    keyed.into_iter().map(|(_, v)| v.clone()).collect(),
                ))
            }
            _ => Cow::Borrowed(json),
        },
    }
}

/// Applies `f` to every string inside a value.
fn map_strings(json: &Json, f: &dyn Fn(&str) -> String) -> Json {
    match json {
        Json::String(s) => Json::String(f(s)),
        Json::Array(items) => {
            Json::Array(items.iter().map(|v| map_strings(v, f)).collect())
        }
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), map_strings(v, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The canonical form of a CIDR block or an address: host bits cleared,
/// IPv6 in RFC 5952 form; `None` when the text is neither.
fn canonical_cidr(text: &str) -> Option<String> {
    let (ip, prefix) = match text.split_once('/') {
        Some((ip, prefix)) => (ip, Some(prefix)),
        None => (text, None),
    };
    let ip: IpAddr = ip.trim().parse().ok()?;
    let Some(prefix) = prefix else {
        return Some(ip.to_string());
    };
    let prefix: u32 = prefix.trim().parse().ok()?;
    let network = match ip {
        IpAddr::V4(a) => {
            if prefix > 32 {
                return None;
            }
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            if prefix > 128 {
                return None;
            }
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    };
    Some(format!("{network}/{prefix}"))
}

/// How many times a retryable provider error is tried.
const ATTEMPTS: u32 = 5;

/// Calls a provider, retrying throttling and transient errors with
/// exponential backoff (or the wait the API asked for).
async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut delay = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(error) if error.is_retryable() && attempt < ATTEMPTS => {
                tokio::time::sleep(error.retry_after.unwrap_or(delay)).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// How many more times a read that finds nothing is repeated before the
/// object counts as gone, and the first wait (doubling each time): clouds
/// are eventually consistent, and an object created a moment ago may not
/// be visible yet. Dropping it from the state would orphan it.
const MISS_CONFIRMATIONS: u32 = 4;
const MISS_FIRST_WAIT: Duration = Duration::from_millis(100);

/// Reads an object; an object the provider reports as not found, on
/// every one of several reads, is gone.
async fn read_object(
    provider: &dyn Provider,
    resource_type: &str,
    id: &str,
) -> Result<Option<Attrs>, ProviderError> {
    let mut wait = MISS_FIRST_WAIT;
    let mut confirmations = 0;
    loop {
        let read = match with_retries(|| provider.read(resource_type, id)).await
        {
            Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
            other => other,
        }?;
        if read.is_some() || confirmations == MISS_CONFIRMATIONS {
            return Ok(read);
        }
        confirmations += 1;
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
}

/// Settles the operations an interrupted apply left pending in
/// `state.pending`, through the providers, in address order:
///
/// - a create: the object made under its idempotency token is adopted
///   (`Done` with it) when the provider finds one, or the create is
///   abandoned when none exists;
/// - an update: the object is read again (`Done` with its current
///   attributes, or `Done` with nothing when it is gone);
/// - a delete: `Done` with nothing when the object is gone, abandoned when
///   it still exists.
///
/// An adopted object keeps the dependencies its address had in the state
/// (none when it had no entry); the next plan records the environment's.
///
/// # Errors
///
/// Fails, naming the resource and the provider, when a provider
/// configuration has no provider or a call fails after retries.
pub async fn reconcile(
    state: &StateDoc,
    providers: &Providers,
) -> Result<Vec<JournalEntry>, ProviderFailure> {
    let mut entries = Vec::with_capacity(state.pending.len());
    for (address, op) in &state.pending {
        entries.push(settle(state, providers, address, op).await?);
    }
    Ok(entries)
}

async fn settle(
    state: &StateDoc,
    providers: &Providers,
    address: &str,
    op: &PendingOp,
) -> Result<JournalEntry, ProviderFailure> {
    let failure = |operation, error| ProviderFailure {
        address: address.to_owned(),
        provider: op.provider.clone(),
        operation,
        error,
    };
    let provider = providers
        .get(&op.provider)
        .map_err(|e| failure("settling", e))?
        .as_ref();
    let existing = state.resources.get(address);
    let kind = op.resource_type.as_str();
    let id = op.id.as_deref().or(existing.map(|r| r.id.as_str()));
    let done = |resource| JournalEntry::Done {
        address: address.to_owned(),
        resource,
    };
    let abandoned = || JournalEntry::Abandoned {
        address: address.to_owned(),
    };
    Ok(match op.kind {
        PendingKind::Create => {
            let found =
                with_retries(|| provider.find_by_token(kind, &op.token))
                    .await
                    .map_err(|e| failure("finding by idempotency token", e))?;
            match found {
                Some(created) => done(Some(
                    ResourceState {
                        kind: op.resource_type.clone(),
                        provider: op.provider.clone(),
                        id: created.id,
                        attributes: created.attributes,
                        dependencies: existing
                            .map(|r| r.dependencies.clone())
                            .unwrap_or_default(),
                        create_before_destroy: existing
                            .is_some_and(|r| r.create_before_destroy),
                        sensitive_attributes: sensitive_after(existing, op),
                    }
                    .redacted(&state.lineage),
                )),
                None => abandoned(),
            }
        }
        PendingKind::Update => {
            let Some(id) = id else { return Ok(abandoned()) };
            let attrs = read_object(provider, kind, id)
                .await
                .map_err(|e| failure("reading", e))?;
            match attrs {
                Some(attributes) => done(Some(
                    ResourceState {
                        kind: op.resource_type.clone(),
                        provider: op.provider.clone(),
                        id: id.to_owned(),
                        attributes,
                        dependencies: existing
                            .map(|r| r.dependencies.clone())
                            .unwrap_or_default(),
                        create_before_destroy: existing
                            .is_some_and(|r| r.create_before_destroy),
                        sensitive_attributes: sensitive_after(existing, op),
                    }
                    .redacted(&state.lineage),
                )),
                None => done(None),
            }
        }
        PendingKind::Delete => {
            let Some(id) = id else { return Ok(abandoned()) };
            let attrs = read_object(provider, kind, id)
                .await
                .map_err(|e| failure("reading", e))?;
            match attrs {
                Some(_) => abandoned(),
                None => done(None),
            }
        }
    })
}

/// Reads every managed resource of the state by id, at most `parallelism`
/// at a time (at least one), and returns, in address order, `Done` with the
/// new attributes for each object that changed outside OnionCloud and
/// `Done` with nothing for each object that is gone; unchanged objects
/// give no entry. Data sources are not read: a plan reads them again
/// during apply.
///
/// # Errors
///
/// Fails, naming the resource and the provider, when a provider
/// configuration has no provider or a read fails after retries.
pub async fn refresh(
    state: &StateDoc,
    providers: &Providers,
    parallelism: usize,
) -> Result<Vec<JournalEntry>, ProviderFailure> {
    let mut reads = tokio::task::JoinSet::new();
    let mut results: BTreeMap<String, Option<Attrs>> = BTreeMap::new();
    let mut items = state
        .resources
        .iter()
        .filter(|(address, _)| !is_data_address(address));
    let limit = parallelism.max(1);
    loop {
        while reads.len() < limit {
            let Some((address, resource)) = items.next() else {
                break;
            };
            let provider = providers.get(&resource.provider).map_err(|e| {
                ProviderFailure {
                    address: address.clone(),
                    provider: resource.provider.clone(),
                    operation: "reading",
                    error: e,
                }
            })?;
            let provider = Arc::clone(provider);
            let address = address.clone();
            let kind = resource.kind.clone();
            let id = resource.id.clone();
            let config = resource.provider.clone();
            reads.spawn(async move {
                let result = read_object(provider.as_ref(), &kind, &id).await;
                (address, config, result)
            });
        }
        let Some(joined) = reads.join_next().await else {
            break;
        };
        let (address, config, result) = match joined {
            Ok(done) => done,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        };
        let attrs = result.map_err(|error| ProviderFailure {
            address: address.clone(),
            provider: config,
            operation: "reading",
            error,
        })?;
        results.insert(address, attrs);
    }
    Ok(results
        .into_iter()
        .filter_map(|(address, attrs)| {
            let resource = &state.resources[&address];
            match attrs {
                None => Some(JournalEntry::Done {
                    address,
                    resource: None,
                }),
                Some(mut attrs) => {
                    redact_attributes(
                        &mut attrs,
                        &resource.sensitive_attributes,
                        &state.lineage,
                    );
                    (attrs != resource.attributes).then(|| JournalEntry::Done {
                        address,
                        resource: Some(ResourceState {
                            attributes: attrs,
                            ..resource.clone()
                        }),
                    })
                }
            }
        })
        .collect())
}

/// The plan as Terraform-style text: the operations being settled, each
/// change with its attributes, and a summary line; or "No changes." when
/// there is nothing to do. Secrets show as references to their store and
/// sensitive values as `(sensitive value)`.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let shown: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| match c.action {
            Action::NoOp => c.moved_from.is_some(),
            Action::Read => !c.reasons.is_empty(),
            _ => true,
        })
        .collect();
    let summary = PlanSummary::of(plan);
    let gone: Vec<&str> = plan
        .refreshed
        .iter()
        .filter_map(|e| match e {
            JournalEntry::Done {
                address,
                resource: None,
            } => Some(address.as_str()),
            _ => None,
        })
        .collect();
    if plan.reconcile.is_empty() && gone.is_empty() && shown.is_empty() {
        out.push_str(
            "No changes. The infrastructure matches the configuration.\n",
        );
        return out;
    }
    if !plan.reconcile.is_empty() {
        out.push_str(
            "Settling operations an earlier apply started but did not \
             record (interrupted, or failed without an answer):\n\n",
        );
        for entry in &plan.reconcile {
            let _ = writeln!(out, "  {}", describe_entry(entry));
        }
        out.push('\n');
    }
    if !gone.is_empty() {
        out.push_str("Objects deleted outside OnionCloud:\n\n");
        for address in &gone {
            let _ = writeln!(
                out,
                "  {address} no longer exists; it will be removed from the \
                 state"
            );
        }
        out.push('\n');
    }
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
    let _ = write!(
        out,
        "\nPlan: {} to add, {} to change, {} to destroy",
        summary.add, summary.change, summary.destroy
    );
    if summary.import > 0 {
        let _ = write!(out, ", {} to import", summary.import);
    }
    if summary.forget > 0 {
        let _ = write!(out, ", {} to forget", summary.forget);
    }
    out.push_str(".\n");
    out
}

fn describe_entry(entry: &JournalEntry) -> String {
    match entry {
        JournalEntry::Done {
            address,
            resource: Some(resource),
        } => format!(
            "adopting {address} (object {} created or changed by an \
             earlier apply that did not record it)",
            resource.id
        ),
        JournalEntry::Done {
            address,
            resource: None,
        } => format!(
            "dropping {address} from the state (its object is gone after \
             an earlier apply)"
        ),
        JournalEntry::Abandoned { address } => format!(
            "abandoning the unfinished operation on {address} (it never \
             reached the cloud)"
        ),
        JournalEntry::Moved { from, to } => {
            format!("moving {from} to {to} in the state")
        }
        JournalEntry::Intent { address, op } => format!(
            "an interrupted {:?} of {address} is still pending",
            op.kind
        ),
    }
}

fn render_change(out: &mut String, change: &Change) {
    let reasons = || {
        change
            .reasons
            .iter()
            .map(|r| {
                if r.contains(' ') {
                    r.clone()
                } else {
                    format!("{r} forces replacement")
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let header = match change.action {
        Action::Create => "will be created".to_owned(),
        Action::Update => "will be updated in-place".to_owned(),
        Action::Delete => "will be destroyed".to_owned(),
        Action::Replace => format!("will be replaced (because {})", reasons()),
        Action::Read => "will be read during apply".to_owned(),
        Action::Import => format!(
            "will be imported (id {})",
            change.id.as_deref().unwrap_or("?")
        ),
        Action::Forget => "will be forgotten (removed from the state, the \
                           object is kept)"
            .to_owned(),
        Action::NoOp => format!(
            "has moved from {}",
            change.moved_from.as_deref().unwrap_or("?")
        ),
    };
    let _ = writeln!(out, "\n  # {} {header}", change.address);
    if change.action != Action::NoOp
        && let Some(from) = &change.moved_from
    {
        let _ = writeln!(out, "  # (moved from {from})");
    }
    if change.action == Action::Read {
        let _ = writeln!(out, "  # ({})", change.reasons.join("; "));
    }
    if matches!(change.action, Action::Forget | Action::NoOp) {
        return;
    }
    let symbol = match change.action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Delete => "-",
        Action::Replace if change.create_before_destroy => "+/-",
        Action::Replace => "-/+",
        Action::Read => "<=",
        _ => "",
    };
    let address = Address::parse(&change.address).ok();
    let (block, kind, name) = match &address {
        Some(a) => (
            if a.mode == Mode::Data {
                "data"
            } else {
                "resource"
            },
            a.kind.to_string(),
            a.name.to_string(),
        ),
        None => (
            "resource",
            change.resource_type.clone(),
            change.address.clone(),
        ),
    };
    let _ = writeln!(out, "{symbol:>3} {block} {kind:?} {name:?} {{");
    let width = change.attributes.keys().map(String::len).max().unwrap_or(0);
    for (key, attr) in &change.attributes {
        let line = match (&attr.before, &attr.after) {
            (None, Some(after)) if change.action == Action::Import => {
                format!("  {key:<width$} = {}", show(after))
            }
            (None, Some(after)) => format!("+ {key:<width$} = {}", show(after)),
            (Some(before), None) => {
                format!("- {key:<width$} = {}", show(before))
            }
            (Some(before), Some(after)) => {
                format!("~ {key:<width$} = {} -> {}", show(before), show(after))
            }
            (None, None) => continue,
        };
        let note = if attr.forces_replacement {
            " # forces replacement"
        } else {
            ""
        };
        let _ = writeln!(out, "      {line}{note}");
    }
    out.push_str("    }\n");
}

/// A plan value as text.
/// A state's attribute as it may be shown: hidden when it is marked
/// sensitive or its name looks secret, with secret-looking keys inside it
/// hidden too.
pub fn shown_attribute(name: &str, json: &Json, sensitive: bool) -> String {
    if sensitive {
        return HIDDEN.to_owned();
    }
    show(&prior_value(name, json, None))
}

fn show(value: &PlanValue) -> String {
    match value {
        PlanValue::Known(json) => json.to_string(),
        PlanValue::Unknown(_) => "(known after apply)".to_owned(),
        PlanValue::Secret(name) => format!("(secret {name})"),
        PlanValue::Sensitive => HIDDEN.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_in_canonical_form() {
        assert_eq!(canonical_cidr("10.0.0.1/16").unwrap(), "10.0.0.0/16");
        assert_eq!(canonical_cidr("0.0.0.0/0").unwrap(), "0.0.0.0/0");
        assert_eq!(canonical_cidr("10.1.2.3/32").unwrap(), "10.1.2.3/32");
        assert_eq!(
            canonical_cidr("2001:DB8:0:0::1/32").unwrap(),
            "2001:db8::/32"
        );
        assert_eq!(canonical_cidr("2001:0db8::0001").unwrap(), "2001:db8::1");
        assert_eq!(canonical_cidr("::/0").unwrap(), "::/0");
        assert!(canonical_cidr("10.0.0.0/33").is_none());
        assert!(canonical_cidr("not a block").is_none());
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_equal(&serde_json::json!(1), &serde_json::json!(1.0)));
        assert!(!json_equal(&serde_json::json!(1), &serde_json::json!(2)));
    }

    #[test]
    fn nested_secret_keys_are_hidden() {
        let masked = mask_nested(&serde_json::json!({
            "user": "app", "db_password": "hunter2", "list": [{"token": 1}]
        }));
        let text = masked.to_string();
        assert!(!text.contains("hunter2") && text.contains("app"), "{text}");
        assert!(!text.contains(":1"), "{text}");
    }
}
