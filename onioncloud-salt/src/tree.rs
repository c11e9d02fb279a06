//! Roles, minions and pillar, rendered to a Salt file tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use onioncloud_core::SourceLocation;

use crate::state::{Requisite, State, StateError, StateRef};
use crate::value::SaltValue;
use crate::yaml::{self, Node};

/// Errors rendering a [`SaltTree`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A role name is not usable as an SLS name.
    #[error(
        "role name `{name}` is invalid: use 1 to 64 ascii letters, digits, \
         `_` or `-`, starting with a letter or digit"
    )]
    BadRoleName {
        /// The name as given.
        name: String,
    },
    /// A minion id is not usable as a top file target.
    #[error(
        "minion id `{id}` is invalid: use 1 to 255 ascii letters, digits, \
         `.`, `_` or `-`, starting with a letter or digit"
    )]
    BadMinionId {
        /// The id as given.
        id: String,
    },
    /// Two minion ids map to the same pillar file name.
    #[error(
        "minions `{first}` and `{second}` would share the pillar file \
         `{file}`"
    )]
    PillarFileClash {
        /// One minion id.
        first: String,
        /// The other minion id.
        second: String,
        /// The shared file name.
        file: String,
    },
    /// Two different roles were given the same name.
    #[error("role `{name}` is defined twice with different states")]
    RoleConflict {
        /// The role name.
        name: String,
    },
    /// A state is invalid on its own.
    #[error("role `{role}` has an invalid state ({location})")]
    InvalidState {
        /// The role holding the state.
        role: String,
        /// Where the state was added.
        location: Box<Origin>,
        /// What is wrong with the state.
        source: Box<StateError>,
    },
    /// Two states in one role share an id and a module (say, two
    /// `pkg.installed` states for `nginx`). States of different modules
    /// may share an id.
    #[error(
        "role `{role}` has two states of one module with id `{id}` (the \
         second {location}); give one of them another id with `.id(...)`"
    )]
    DuplicateStateInRole {
        /// The role.
        role: String,
        /// The repeated id.
        id: String,
        /// Where the second of the two states was added.
        location: Box<Origin>,
    },
    /// Two roles of the tree both have a state with the same id. Salt
    /// rejects an id that two SLS files of one highstate declare
    /// ("Detected conflicting IDs"), whatever their modules; ids are kept
    /// unique across the whole tree, so that any set of roles can be given
    /// to one minion, or included by another role, later.
    #[error(
        "state id `{id}` is used by role `{first_role}` ({first_location}) \
         and by role `{second_role}` ({second_location}); state ids must be \
         unique across the tree"
    )]
    DuplicateStateId {
        /// The repeated state id.
        id: String,
        /// The first role with that id.
        first_role: String,
        /// Where the first state was added.
        first_location: Box<Origin>,
        /// The second role with that id.
        second_role: String,
        /// Where the second state was added.
        second_location: Box<Origin>,
    },
    /// The requisites of one minion's states form a cycle, which Salt
    /// refuses as a recursive requisite. One shortest cycle is reported.
    #[error(
        "the requisites of minion `{minion}` form a cycle:{}",
        display_cycle(cycle)
    )]
    RequisiteCycle {
        /// The minion id, or the target expression of a targeted group.
        minion: String,
        /// The cycle: each step's state must run after the next step's;
        /// the last step leads back to the first.
        cycle: Vec<CycleStep>,
    },
    /// A requisite points at a state the minion does not receive.
    #[error(
        "state `{state}` (role `{role}`) has a {kind} requisite on \
         `{target}` (role `{target_role}`), which minion `{minion}` does \
         not receive"
    )]
    MissingRequisite {
        /// The minion id.
        minion: String,
        /// The role of the state holding the requisite.
        role: String,
        /// The id of the state holding the requisite.
        state: String,
        /// The requisite kind.
        kind: Requisite,
        /// The id of the target state.
        target: String,
        /// The role the target was added to.
        target_role: String,
    },
    /// The SLS name of a role placed at an explicit SLS is not a dotted
    /// sequence of simple names.
    #[error(
        "sls name `{name}` is invalid: use dot-separated parts of 1 to 64 \
         ascii letters, digits, `_` or `-`, each starting with a letter or \
         digit"
    )]
    BadSlsName {
        /// The name as given.
        name: String,
    },
    /// Two different things would be written to one file.
    #[error("two different files would be written at `{path}`")]
    FileClash {
        /// The path relative to the tree root.
        path: PathBuf,
    },
    /// A top file would name one target twice.
    #[error("the {top} top file names target `{target}` twice")]
    DuplicateTarget {
        /// `state` or `pillar`.
        top: &'static str,
        /// The target expression.
        target: String,
    },
    /// An include or a top file names an SLS the tree does not have.
    #[error("{by} names sls `{sls}`, which the tree does not have")]
    UnknownSls {
        /// What names it, like ``role `nginx` include``.
        by: String,
        /// The SLS name.
        sls: String,
    },
    /// A requisite of a role given to a top file target points at no state
    /// of the tree.
    #[error(
        "state `{state}` (role `{role}`) has a {kind} requisite on \
         `{target}` (role `{target_role}`), which the tree does not have"
    )]
    UnresolvedRequisite {
        /// The role of the state holding the requisite.
        role: String,
        /// The id of the state holding the requisite.
        state: String,
        /// The requisite kind.
        kind: Requisite,
        /// The target as written.
        target: String,
        /// The role the target belongs to.
        target_role: String,
    },
}

/// Where a state was declared: the line of Rust code that added it, or
/// the SLS file and line it was read from.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Origin {
    /// The file.
    pub file: String,
    /// The line, from 1; 0 when unknown.
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => formatter.write_str("added at an unknown place"),
            (false, 0) => write!(formatter, "added in {}", self.file),
            (false, line) => write!(formatter, "added at {}:{line}", self.file),
        }
    }
}

impl From<SourceLocation> for Origin {
    fn from(location: SourceLocation) -> Self {
        Origin {
            file: location.file,
            line: location.line,
        }
    }
}

/// One step of a [`TreeError::RequisiteCycle`]: a state, and the
/// requisite that makes it run after the state of the next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleStep {
    /// The state, like `nginx` (`service` in role `web`).
    pub state: StateRef,
    /// Where it was added.
    pub origin: Origin,
    /// The requisite keyword as written, like `watch` or `require_in`.
    pub requisite: Requisite,
    /// Whether the requisite is written on the next step's state (an
    /// `_in` or `prereq` form) rather than on this one.
    pub written_on_next: bool,
}

fn display_cycle(cycle: &[CycleStep]) -> String {
    let mut text = String::new();
    for (index, step) in cycle.iter().enumerate() {
        let next = &cycle[(index + 1) % cycle.len()];
        let (holder, other) = if step.written_on_next {
            (&next.state, &step.state)
        } else {
            (&step.state, &next.state)
        };
        text.push_str(&format!(
            "\n  `{}` ({} in role `{}`, {}) runs after `{}` ({} in role \
             `{}`): `{}` has {} `{}`",
            step.state.id,
            step.state.module,
            step.state.role,
            step.origin,
            next.state.id,
            next.state.module,
            next.state.role,
            holder.id,
            step.requisite,
            other.id,
        ));
    }
    text
}

/// A named set of states: one SLS file, `roles/<name>.sls`.
///
/// Adding a state returns a [`StateRef`] for requisites of later states.
///
/// A role made with [`Role::at_sls`] is instead written at an SLS of its
/// own choosing, like `nginx.config` (file `nginx/config.sls`), and named
/// by it: that keeps the SLS names of a formula brought in with
/// [`crate::read`], so its `sls` requisites, includes and `__sls__` stay
/// the same. Such a role includes exactly the SLS given to
/// [`Role::include`]; a role at `roles.<name>` also includes every role its
/// requisites point into.
///
/// Two roles are equal when their names, states and includes are: where
/// the states were added does not matter.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Role {
    name: String,
    states: Vec<State>,
    #[serde(default)]
    explicit_sls: bool,
    #[serde(default)]
    includes: Vec<String>,
    /// Where each state was added, in the order of `states`.
    #[serde(default)]
    origins: Vec<Origin>,
}

impl PartialEq for Role {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.states == other.states
            && self.explicit_sls == other.explicit_sls
            && self.includes == other.includes
    }
}

impl Role {
    /// An empty role. The name is checked when the tree is rendered.
    pub fn new(name: impl Into<String>) -> Self {
        Role {
            name: name.into(),
            states: Vec::new(),
            explicit_sls: false,
            includes: Vec::new(),
            origins: Vec::new(),
        }
    }

    /// An empty role written at the SLS `sls_name` (dot-separated, like
    /// `nginx.config`, written to `salt/nginx/config.sls`) rather than at
    /// `roles.<name>`. Its name is `sls_name`. The name is checked when the
    /// tree is rendered.
    ///
    /// ```
    /// use onioncloud_salt::{PkgInstalled, Role};
    ///
    /// let mut nginx = Role::at_sls("nginx");
    /// nginx.include("nginx.config");
    /// nginx.add(PkgInstalled::new("nginx"));
    /// assert_eq!(nginx.sls_name(), "nginx");
    /// ```
    pub fn at_sls(sls_name: impl Into<String>) -> Self {
        Role {
            explicit_sls: true,
            ..Role::new(sls_name)
        }
    }

    /// Adds an SLS to the role's `include` list (once), in order.
    pub fn include(&mut self, sls_name: impl Into<String>) {
        let sls_name = sls_name.into();
        if !self.includes.contains(&sls_name) {
            self.includes.push(sls_name);
        }
    }

    /// The SLS given to [`Role::include`], in order.
    pub fn includes(&self) -> &[String] {
        &self.includes
    }

    /// Adds a state and returns a handle to it.
    ///
    /// As in Salt, states of different modules may share an id, like
    /// `PkgInstalled::new("nginx")` and `ServiceRunning::new("nginx")`:
    /// they are written under that one id, at the position of the first,
    /// and requisites stay unambiguous because they name the module
    /// (`pkg: nginx`, `service: nginx`). Order such states with
    /// requisites, not by the order they were added in. Two states with the
    /// same id and module are reported when the tree is rendered; give one
    /// of them another id with `.id(...)`.
    ///
    /// Errors about the state name the line of the call.
    #[track_caller]
    pub fn add(&mut self, state: impl Into<State>) -> StateRef {
        self.add_from(state, SourceLocation::caller().into())
    }

    /// Adds a state declared at `origin`, such as the SLS file and line
    /// it was read from, and returns a handle to it.
    pub fn add_from(
        &mut self,
        state: impl Into<State>,
        origin: Origin,
    ) -> StateRef {
        let state = state.into();
        let handle = StateRef {
            role: self.name.clone(),
            id: state.id().to_owned(),
            module: state.module().to_owned(),
        };
        self.states.push(state);
        self.origins.push(origin);
        handle
    }

    /// Where the state at `index` of [`Role::states`] was added.
    pub fn origin(&self, index: usize) -> Origin {
        self.origins.get(index).cloned().unwrap_or_default()
    }

    /// The role name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SLS name Salt knows the role by, like `roles.web` (or the name
    /// of a role made with [`Role::at_sls`]).
    pub fn sls_name(&self) -> String {
        if self.explicit_sls {
            self.name.clone()
        } else {
            format!("roles.{}", self.name)
        }
    }

    /// The file of the role, relative to the tree root, like
    /// `salt/roles/web.sls`.
    pub(crate) fn path(&self) -> PathBuf {
        PathBuf::from(format!("salt/{}.sls", self.sls_name().replace('.', "/")))
    }

    /// The states in the order they were added. Absent requisites Salt
    /// runs them in this order, except that states sharing an id run
    /// together, at the position of the first.
    pub fn states(&self) -> &[State] {
        &self.states
    }

    pub(crate) fn validate(&self) -> Result<(), TreeError> {
        if self.explicit_sls {
            if !valid_sls_name(&self.name) {
                return Err(TreeError::BadSlsName {
                    name: self.name.clone(),
                });
            }
        } else if !valid_name(&self.name, 64, false) {
            return Err(TreeError::BadRoleName {
                name: self.name.clone(),
            });
        }
        if let Some(bad) = self.includes.iter().find(|sls| !valid_sls_name(sls))
        {
            return Err(TreeError::BadSlsName { name: bad.clone() });
        }
        let mut seen = BTreeSet::new();
        for (index, state) in self.states.iter().enumerate() {
            state.validate().map_err(|source| TreeError::InvalidState {
                role: self.name.clone(),
                location: Box::new(self.origin(index)),
                source: Box::new(source),
            })?;
            if !seen.insert((state.id(), state.module())) {
                return Err(TreeError::DuplicateStateInRole {
                    role: self.name.clone(),
                    id: state.id().to_owned(),
                    location: Box::new(self.origin(index)),
                });
            }
        }
        Ok(())
    }

    /// Roles this role's requisites point into.
    fn referenced_roles(&self) -> BTreeSet<&str> {
        self.states
            .iter()
            .flat_map(|state| state.requisites())
            .map(|(_, target)| target.role())
            .filter(|role| *role != self.name)
            .collect()
    }

    pub(crate) fn render(&self) -> String {
        self.render_with(&BTreeMap::new())
    }

    /// Renders the role; `sls_names` gives the SLS name of other roles by
    /// name (roles missing from it are taken to be at `roles.<name>`).
    pub(crate) fn render_with(
        &self,
        sls_names: &BTreeMap<String, String>,
    ) -> String {
        let mut entries = Vec::new();
        let mut includes = self.includes.clone();
        if !self.explicit_sls {
            for role in self.referenced_roles() {
                let sls = sls_names
                    .get(role)
                    .cloned()
                    .unwrap_or_else(|| format!("roles.{role}"));
                if !includes.contains(&sls) {
                    includes.push(sls);
                }
            }
        }
        if !includes.is_empty() {
            let includes = includes.into_iter().map(Node::text).collect();
            entries.push(("include".to_owned(), Node::Seq(includes)));
        }
        // States sharing an id (with different modules) go under one key,
        // at the position of the first.
        let mut positions: BTreeMap<&str, usize> = BTreeMap::new();
        for state in &self.states {
            let body = state.to_node();
            if let Some(&index) = positions.get(state.id())
                && let (_, Node::Map(existing)) = &mut entries[index]
                && let Node::Map(added) = body
            {
                existing.extend(added);
                continue;
            }
            positions.insert(state.id(), entries.len());
            entries.push((state.id().to_owned(), body));
        }
        yaml::document(&Node::Map(entries))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Minion {
    roles: Vec<Role>,
    pillar: BTreeMap<String, SaltValue>,
}

/// Everything Salt needs for a set of minions: which roles each receives and
/// each one's pillar.
///
/// [`render`](SaltTree::render) produces the files of a Salt master (or of a
/// masterless `salt-call --local`), relative to a root holding `salt/`
/// (`file_roots`) and `pillar/` (`pillar_roots`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SaltTree {
    minions: BTreeMap<String, Minion>,
    pub(crate) formula: crate::top::Formula,
}

impl SaltTree {
    /// An empty tree.
    pub fn new() -> Self {
        SaltTree::default()
    }

    /// Gives `role` to the minion. Roles apply in the order they are
    /// assigned; assigning the same role again has no further effect.
    pub fn assign(&mut self, minion_id: impl Into<String>, role: &Role) {
        let minion = self.minions.entry(minion_id.into()).or_default();
        if !minion.roles.contains(role) {
            minion.roles.push(role.clone());
        }
    }

    /// Sets a top-level pillar key for the minion, replacing an earlier
    /// value. The minion is part of the tree even if it has no roles.
    pub fn set_pillar(
        &mut self,
        minion_id: impl Into<String>,
        key: impl Into<String>,
        value: impl Into<SaltValue>,
    ) {
        let minion = self.minions.entry(minion_id.into()).or_default();
        minion.pillar.insert(key.into(), value.into());
    }

    /// The minion ids in the tree, sorted.
    pub fn minion_ids(&self) -> impl Iterator<Item = &str> {
        self.minions.keys().map(String::as_str)
    }

    /// The SLS names of the roles a minion receives, in order.
    pub fn role_sls_names(&self, minion_id: &str) -> Vec<String> {
        self.minions
            .get(minion_id)
            .map(|minion| minion.roles.iter().map(Role::sls_name).collect())
            .unwrap_or_default()
    }

    /// The pillar of a minion.
    pub fn pillar(
        &self,
        minion_id: &str,
    ) -> Option<&BTreeMap<String, SaltValue>> {
        self.minions.get(minion_id).map(|minion| &minion.pillar)
    }

    /// Checks the tree and renders it to file contents keyed by relative
    /// path: `salt/top.sls`, `salt/roles/<role>.sls`, `pillar/top.sls` and
    /// `pillar/minions/<minion>.sls` (dots in the minion id become `_`).
    /// Roles at an explicit SLS, top file targets, pillar SLS and other
    /// files (see [`SaltTree::target`]) add their own files and entries.
    pub fn render(&self) -> Result<BTreeMap<PathBuf, String>, TreeError> {
        let mut files = BTreeMap::new();
        let mut role_files: BTreeMap<&str, (PathBuf, String)> = BTreeMap::new();
        let mut pillar_owners: BTreeMap<String, &str> = BTreeMap::new();
        let mut state_top = Vec::new();
        let mut pillar_top = Vec::new();

        let all_roles: Vec<&Role> = self
            .minions
            .values()
            .flat_map(|minion| &minion.roles)
            .chain(self.formula.roles())
            .collect();
        let sls_names: BTreeMap<String, String> = all_roles
            .iter()
            .map(|role| (role.name().to_owned(), role.sls_name()))
            .collect();
        let by_sls: BTreeMap<String, &Role> = all_roles
            .iter()
            .map(|role| (role.sls_name(), *role))
            .collect();
        for role in &all_roles {
            role.validate()?;
            let text = role.render_with(&sls_names);
            match role_files.get(role.name()) {
                Some((_, existing)) if *existing != text => {
                    return Err(TreeError::RoleConflict {
                        name: role.name().to_owned(),
                    });
                }
                Some(_) => {}
                None => {
                    role_files.insert(role.name(), (role.path(), text));
                }
            }
            for sls in role.includes() {
                if !by_sls.contains_key(sls) {
                    return Err(TreeError::UnknownSls {
                        by: format!("role `{}` include", role.name()),
                        sls: sls.clone(),
                    });
                }
            }
        }

        check_unique_ids(&all_roles)?;

        for (minion_id, minion) in &self.minions {
            if !valid_name(minion_id, 255, true) {
                return Err(TreeError::BadMinionId {
                    id: minion_id.clone(),
                });
            }
            let received = with_includes(&minion.roles, &all_roles);
            check_minion_states(minion_id, &received)?;

            if !minion.roles.is_empty() {
                let roles = minion
                    .roles
                    .iter()
                    .map(|role| Node::text(role.sls_name()))
                    .collect();
                state_top.push((minion_id.clone(), Node::Seq(roles)));
            }

            let pillar_name = minion_id.replace('.', "_");
            if let Some(first) = pillar_owners.get(&pillar_name) {
                return Err(TreeError::PillarFileClash {
                    first: (*first).to_owned(),
                    second: minion_id.clone(),
                    file: format!("minions/{pillar_name}.sls"),
                });
            }
            pillar_owners.insert(pillar_name.clone(), minion_id);
            pillar_top.push((
                minion_id.clone(),
                Node::Seq(vec![Node::text(format!("minions.{pillar_name}"))]),
            ));
            files.insert(
                PathBuf::from(format!("pillar/minions/{pillar_name}.sls")),
                yaml::document(&Node::Value(SaltValue::Map(
                    minion.pillar.clone(),
                ))),
            );
        }
        check_formula_requisites(self.formula.roles(), &all_roles)?;

        for (path, text) in role_files.into_values() {
            add_file(&mut files, path, text)?;
        }
        state_top.extend(self.formula.state_top(&by_sls)?);
        pillar_top.extend(self.formula.pillar_top()?);
        for (path, text) in self.formula.files()? {
            add_file(&mut files, path, text)?;
        }
        add_file(
            &mut files,
            "salt/top.sls".into(),
            top_file("state", state_top)?,
        )?;
        add_file(
            &mut files,
            "pillar/top.sls".into(),
            top_file("pillar", pillar_top)?,
        )?;
        Ok(files)
    }
}

/// Adds a file, refusing a second file at the same path.
fn add_file(
    files: &mut BTreeMap<PathBuf, String>,
    path: PathBuf,
    text: String,
) -> Result<(), TreeError> {
    if files.contains_key(&path) {
        return Err(TreeError::FileClash { path });
    }
    files.insert(path, text);
    Ok(())
}

fn top_file(
    top: &'static str,
    targets: Vec<(String, Node)>,
) -> Result<String, TreeError> {
    let mut seen = BTreeSet::new();
    for (target, _) in &targets {
        if !seen.insert(target.as_str()) {
            return Err(TreeError::DuplicateTarget {
                top,
                target: target.clone(),
            });
        }
    }
    Ok(yaml::document(&Node::Map(vec![(
        "base".to_owned(),
        Node::Map(targets),
    )])))
}

/// The roles followed by the roles they include with [`Role::include`],
/// transitively, each once. (The includes a role at `roles.<name>` gets
/// from its requisites do not count: those roles must be given to the
/// minion.)
fn with_includes<'a>(
    roles: &'a [Role],
    all_roles: &[&'a Role],
) -> Vec<&'a Role> {
    let mut received: Vec<&Role> = Vec::new();
    let mut pending: Vec<&Role> = roles.iter().rev().collect();
    while let Some(role) = pending.pop() {
        if received.iter().any(|seen| seen.name() == role.name()) {
            continue;
        }
        received.push(role);
        for other in all_roles {
            if role.includes.contains(&other.sls_name()) {
                pending.push(other);
            }
        }
    }
    received
}

/// Whether a requisite target names a state (or, for `sls`, the SLS) of
/// one of `roles`.
fn target_found<'a>(
    target: &StateRef,
    roles: impl IntoIterator<Item = &'a Role>,
) -> bool {
    roles
        .into_iter()
        .filter(|role| role.name() == target.role())
        .any(|role| {
            if target.module() == "sls" {
                role.sls_name() == target.id()
            } else {
                role.states().iter().any(|state| target.matches(state))
            }
        })
}

/// Checks that every requisite of the roles given to top file targets or
/// added without a minion points at a state of the tree (which minions
/// such targets select is only known to Salt).
fn check_formula_requisites<'a>(
    roles: impl IntoIterator<Item = &'a Role>,
    all_roles: &[&Role],
) -> Result<(), TreeError> {
    for role in roles {
        for state in role.states() {
            for (kind, target) in state.requisites() {
                if !target_found(target, all_roles.iter().copied()) {
                    return Err(TreeError::UnresolvedRequisite {
                        role: role.name().to_owned(),
                        state: state.id().to_owned(),
                        kind: *kind,
                        target: target.id().to_owned(),
                        target_role: target.role().to_owned(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Checks that no two roles a minion receives (directly or through
/// includes) use the same state id and that every requisite points at a
/// state the minion receives.
fn check_minion_states(
    minion_id: &str,
    roles: &[&Role],
) -> Result<(), TreeError> {
    for role in roles {
        for state in role.states() {
            for (kind, target) in state.requisites() {
                if !target_found(target, roles.iter().copied()) {
                    return Err(TreeError::MissingRequisite {
                        minion: minion_id.to_owned(),
                        role: role.name().to_owned(),
                        state: state.id().to_owned(),
                        kind: *kind,
                        target: target.id().to_owned(),
                        target_role: target.role().to_owned(),
                    });
                }
            }
        }
    }
    check_cycles(minion_id, roles)
}

/// Checks that no two roles of the tree share a state id.
fn check_unique_ids(roles: &[&Role]) -> Result<(), TreeError> {
    let mut by_name: BTreeMap<&str, &Role> = BTreeMap::new();
    for role in roles {
        by_name.entry(role.name()).or_insert(role);
    }
    let mut owners: BTreeMap<&str, (&Role, usize)> = BTreeMap::new();
    for role in by_name.values() {
        for (index, state) in role.states().iter().enumerate() {
            match owners.get(state.id()) {
                Some((first, first_index)) if first.name != role.name => {
                    return Err(TreeError::DuplicateStateId {
                        id: state.id().to_owned(),
                        first_role: first.name.clone(),
                        first_location: Box::new(first.origin(*first_index)),
                        second_role: role.name.clone(),
                        second_location: Box::new(role.origin(index)),
                    });
                }
                Some(_) => {}
                None => {
                    owners.insert(state.id(), (role, index));
                }
            }
        }
    }
    Ok(())
}

/// Whether a requisite orders its holder after its target (`Some(true)`),
/// its target after its holder (`Some(false)`), or not at all (`use`,
/// `listen`, whose reactions run at the end).
fn orders_holder_after_target(kind: Requisite) -> Option<bool> {
    use Requisite::*;
    match kind {
        Require | Watch | OnChanges | OnFail | PrereqIn => Some(true),
        // An `_any` state waits for every target, then checks that one
        // of them succeeded, changed or failed.
        RequireAny | WatchAny | OnChangesAny | OnFailAny | OnFailAll => {
            Some(true)
        }
        RequireIn | WatchIn | OnChangesIn | OnFailIn | Prereq => Some(false),
        Use | UseIn | Listen | ListenIn => None,
    }
}

/// Finds one shortest cycle in the ordering the requisites of `roles`
/// impose, if there is any.
fn check_cycles(minion_id: &str, roles: &[&Role]) -> Result<(), TreeError> {
    use petgraph::graph::{DiGraph, NodeIndex};

    // A node per state; an edge from each state to one it runs after,
    // labelled with the requisite and whether the target wrote it.
    let mut graph: DiGraph<(StateRef, Origin), (Requisite, bool)> =
        DiGraph::new();
    let mut nodes: Vec<Vec<NodeIndex>> = Vec::new();
    for role in roles {
        let states = role.states().iter().enumerate().map(|(index, state)| {
            let handle = StateRef {
                role: role.name.clone(),
                id: state.id().to_owned(),
                module: state.module().to_owned(),
            };
            graph.add_node((handle, role.origin(index)))
        });
        nodes.push(states.collect());
    }
    // The states a requisite target names: one state (by id or name), or
    // every state of an SLS.
    let targets = |target: &StateRef| -> Vec<NodeIndex> {
        let mut found = Vec::new();
        for (role, indices) in roles.iter().zip(&nodes) {
            if role.name() != target.role() {
                continue;
            }
            for (state, &node) in role.states().iter().zip(indices) {
                let whole_sls =
                    target.module() == "sls" && role.sls_name() == target.id();
                if whole_sls || target.matches(state) {
                    found.push(node);
                }
            }
        }
        found
    };
    for (role, indices) in roles.iter().zip(&nodes) {
        for (state, &from) in role.states().iter().zip(indices) {
            for (kind, target) in state.requisites() {
                let Some(after) = orders_holder_after_target(*kind) else {
                    continue;
                };
                for to in targets(target) {
                    if after {
                        graph.add_edge(from, to, (*kind, false));
                    } else {
                        graph.add_edge(to, from, (*kind, true));
                    }
                }
            }
        }
    }

    let mut shortest: Option<Vec<NodeIndex>> = None;
    for component in petgraph::algo::tarjan_scc(&graph) {
        let cyclic = component.len() > 1
            || graph.find_edge(component[0], component[0]).is_some();
        if !cyclic {
            continue;
        }
        let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
        for &start in &members {
            let found = shortest_cycle_from(&graph, start, &members);
            let better = match (&found, &shortest) {
                (Some(found), Some(best)) => found.len() < best.len(),
                (Some(_), None) => true,
                _ => false,
            };
            if better {
                shortest = found;
            }
        }
    }
    let Some(cycle) = shortest else {
        return Ok(());
    };
    let steps = cycle
        .iter()
        .enumerate()
        .map(|(index, &node)| {
            let next = cycle[(index + 1) % cycle.len()];
            let edge = graph.find_edge(node, next).expect("a cycle edge");
            let (requisite, written_on_next) = graph[edge];
            let (state, origin) = graph[node].clone();
            CycleStep {
                state,
                origin,
                requisite,
                written_on_next,
            }
        })
        .collect();
    Err(TreeError::RequisiteCycle {
        minion: minion_id.to_owned(),
        cycle: steps,
    })
}

/// The shortest cycle through `start` within `members`, by breadth-first
/// search; nodes in path order, starting with `start`.
fn shortest_cycle_from<N, E>(
    graph: &petgraph::graph::DiGraph<N, E>,
    start: petgraph::graph::NodeIndex,
    members: &BTreeSet<petgraph::graph::NodeIndex>,
) -> Option<Vec<petgraph::graph::NodeIndex>> {
    use petgraph::graph::NodeIndex;
    let mut parent: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        // Neighbours in index order, so the cycle found is deterministic.
        let mut next: Vec<NodeIndex> = graph.neighbors(node).collect();
        next.sort();
        next.dedup();
        for neighbour in next {
            if neighbour == start {
                let mut path = vec![node];
                let mut current = node;
                while current != start {
                    current = parent[&current];
                    path.push(current);
                }
                path.reverse();
                return Some(path);
            }
            if members.contains(&neighbour)
                && !parent.contains_key(&neighbour)
                && neighbour != start
            {
                parent.insert(neighbour, node);
                queue.push_back(neighbour);
            }
        }
    }
    None
}

/// Dot-separated parts, each a simple name of at most 64 bytes.
pub(crate) fn valid_sls_name(name: &str) -> bool {
    name.split('.').all(|part| valid_name(part, 64, false))
}

/// Ascii letters, digits, `_`, `-` (and `.` when `dots`), starting with a
/// letter or digit, at most `max_len` bytes.
pub(crate) fn valid_name(name: &str, max_len: usize, dots: bool) -> bool {
    let mut characters = name.chars();
    name.len() <= max_len
        && characters
            .next()
            .is_some_and(|first| first.is_ascii_alphanumeric())
        && characters.all(|rest| {
            rest.is_ascii_alphanumeric()
                || rest == '_'
                || rest == '-'
                || (dots && rest == '.')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{
        CmdRun, FileManaged, PkgInstalled, ServiceRunning, State,
    };

    fn web_role() -> Role {
        let mut web = Role::new("web");
        let nginx = web.add(PkgInstalled::new("nginx"));
        let config = web.add(
            FileManaged::new("/etc/nginx/nginx.conf")
                .contents("worker_processes 1;\n")
                .mode(0o644)
                .require(&nginx),
        );
        web.add(
            ServiceRunning::new("nginx")
                .id("nginx-service")
                .watch(&config),
        );
        web
    }

    fn rendered(tree: &SaltTree, path: &str) -> String {
        tree.render().unwrap()[&PathBuf::from(path)].clone()
    }

    #[test]
    fn role_renders_states_in_order_with_requisites() {
        let mut tree = SaltTree::new();
        tree.assign("web-1", &web_role());
        assert_eq!(
            rendered(&tree, "salt/roles/web.sls"),
            "#!yaml
nginx:
  pkg.installed:
    - name: nginx
/etc/nginx/nginx.conf:
  file.managed:
    - name: /etc/nginx/nginx.conf
    - contents: |
        worker_processes 1;
    - mode: '0644'
    - require:
        - pkg: nginx
nginx-service:
  service.running:
    - name: nginx
    - watch:
        - file: /etc/nginx/nginx.conf
"
        );
    }

    #[test]
    fn top_files_target_minions_by_id() {
        let mut tree = SaltTree::new();
        tree.assign("web-1.example.org", &web_role());
        tree.set_pillar("web-1.example.org", "port", 8080);
        tree.set_pillar("db-1", "flag", "yes");
        let files = tree.render().unwrap();
        let paths: Vec<_> =
            files.keys().map(|p| p.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                "pillar/minions/db-1.sls",
                "pillar/minions/web-1_example_org.sls",
                "pillar/top.sls",
                "salt/roles/web.sls",
                "salt/top.sls",
            ]
        );
        assert_eq!(
            files[&PathBuf::from("salt/top.sls")],
            "#!yaml\nbase:\n  web-1.example.org:\n    - roles.web\n"
        );
        assert_eq!(
            files[&PathBuf::from("pillar/top.sls")],
            "#!yaml\nbase:\n  db-1:\n    - minions.db-1\n  \
             web-1.example.org:\n    - minions.web-1_example_org\n"
        );
        assert_eq!(
            files[&PathBuf::from("pillar/minions/db-1.sls")],
            "#!yaml\nflag: 'yes'\n"
        );
    }

    #[test]
    fn empty_tree_renders_empty_tops() {
        let files = SaltTree::new().render().unwrap();
        assert_eq!(files[&PathBuf::from("salt/top.sls")], "#!yaml\nbase: {}\n");
    }

    #[test]
    fn cross_role_requisite_includes_the_other_role() {
        let mut base = Role::new("base");
        let tools = base.add(PkgInstalled::new("curl"));
        let mut app = Role::new("app");
        app.add(CmdRun::new("curl -V").id("probe").require(&tools));
        let mut tree = SaltTree::new();
        tree.assign("m1", &base);
        tree.assign("m1", &app);
        let text = rendered(&tree, "salt/roles/app.sls");
        assert!(text.starts_with("#!yaml\ninclude:\n  - roles.base\n"));
    }

    #[test]
    fn requisite_outside_the_minion_names_both_ids() {
        let mut base = Role::new("base");
        let tools = base.add(PkgInstalled::new("curl"));
        let mut app = Role::new("app");
        app.add(CmdRun::new("curl -V").id("probe").require(&tools));
        let mut tree = SaltTree::new();
        tree.assign("m1", &app);
        assert_eq!(
            tree.render().unwrap_err().to_string(),
            "state `probe` (role `app`) has a require requisite on `curl` \
             (role `base`), which minion `m1` does not receive"
        );
    }

    #[test]
    fn duplicate_id_across_roles_names_the_roles() {
        let mut first = Role::new("first");
        let line = line!() + 1;
        first.add(PkgInstalled::new("git"));
        let mut second = Role::new("second");
        second.add(PkgInstalled::new("git"));
        let mut tree = SaltTree::new();
        tree.assign("m1", &first);
        tree.assign("m1", &second);
        let file = file!();
        assert_eq!(
            tree.render().unwrap_err().to_string(),
            format!(
                "state id `git` is used by role `first` (added at \
                 {file}:{line}) and by role `second` (added at {file}:{}); \
                 state ids must be unique across the tree",
                line + 2
            )
        );
    }

    #[test]
    fn duplicate_id_within_a_role_is_rejected() {
        let mut role = Role::new("tools");
        role.add(PkgInstalled::new("git"));
        let line = line!() + 1;
        role.add(PkgInstalled::new("git"));
        let mut tree = SaltTree::new();
        tree.assign("m1", &role);
        let error = tree.render().unwrap_err();
        assert_eq!(
            error,
            TreeError::DuplicateStateInRole {
                role: "tools".to_owned(),
                id: "git".to_owned(),
                location: Box::new(Origin {
                    file: file!().to_owned(),
                    line,
                }),
            }
        );
        assert!(
            error
                .to_string()
                .contains(&format!("(the second added at {}:{line})", file!())),
            "{error}"
        );
    }

    #[test]
    fn same_id_with_different_modules_shares_one_key() {
        let mut web = Role::new("web");
        let package = web.add(PkgInstalled::new("nginx"));
        let site = web.add(
            FileManaged::new("/etc/nginx/conf.d/site.conf")
                .contents("server {}\n")
                .require(&package),
        );
        web.add(
            ServiceRunning::new("nginx")
                .enable(true)
                .require(&package)
                .watch(&site),
        );
        let mut tree = SaltTree::new();
        tree.assign("web-1", &web);
        assert_eq!(
            rendered(&tree, "salt/roles/web.sls"),
            "#!yaml
nginx:
  pkg.installed:
    - name: nginx
  service.running:
    - name: nginx
    - enable: true
    - require:
        - pkg: nginx
    - watch:
        - file: /etc/nginx/conf.d/site.conf
/etc/nginx/conf.d/site.conf:
  file.managed:
    - name: /etc/nginx/conf.d/site.conf
    - contents: |
        server {}
    - require:
        - pkg: nginx
"
        );
    }

    #[test]
    fn same_id_and_module_in_a_role_suggests_renaming() {
        let mut role = Role::new("web");
        role.add(ServiceRunning::new("nginx"));
        let line = line!() + 1;
        role.add(ServiceRunning::new("nginx").enable(true));
        let mut tree = SaltTree::new();
        tree.assign("m1", &role);
        assert_eq!(
            tree.render().unwrap_err().to_string(),
            format!(
                "role `web` has two states of one module with id `nginx` \
                 (the second added at {}:{line}); give one of them another \
                 id with `.id(...)`",
                file!()
            )
        );
    }

    #[test]
    fn same_id_in_two_roles_is_rejected_whatever_the_modules() {
        let mut packages = Role::new("packages");
        packages.add(PkgInstalled::new("nginx"));
        let mut services = Role::new("services");
        services.add(ServiceRunning::new("nginx"));
        let mut tree = SaltTree::new();
        tree.assign("m1", &packages);
        tree.assign("m1", &services);
        let error = tree.render().unwrap_err();
        assert!(matches!(error, TreeError::DuplicateStateId { .. }));
        let text = error.to_string();
        assert!(
            text.starts_with(
                "state id `nginx` is used by role `packages` (added at \
                 onioncloud-salt/src/tree.rs:"
            ) && text.contains(") and by role `services` (added at "),
            "{text}"
        );
    }

    #[test]
    fn invalid_state_leaves_the_detail_to_its_source() {
        let mut role = Role::new("base");
        let line = line!() + 1;
        role.add(State::new("", "test.nop"));
        let mut tree = SaltTree::new();
        tree.assign("m1", &role);
        let error = tree.render().unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "role `base` has an invalid state (added at {}:{line})",
                file!()
            )
        );
        let source = std::error::Error::source(&error).unwrap();
        assert_eq!(source.to_string(), "state id is empty (function test.nop)");
    }

    #[test]
    fn conflicting_roles_with_one_name_are_rejected() {
        let mut first = Role::new("tools");
        first.add(PkgInstalled::new("git"));
        let mut second = Role::new("tools");
        second.add(PkgInstalled::new("curl"));
        let mut tree = SaltTree::new();
        tree.assign("m1", &first);
        tree.assign("m2", &second);
        assert_eq!(
            tree.render().unwrap_err().to_string(),
            "role `tools` is defined twice with different states"
        );
    }

    #[test]
    fn names_are_validated() {
        let mut tree = SaltTree::new();
        tree.assign("m1", &Role::new("web.app"));
        assert!(matches!(tree.render(), Err(TreeError::BadRoleName { .. })));
        for id in ["", "*", "web 1", ".hidden", "a/b"] {
            let mut tree = SaltTree::new();
            tree.set_pillar(id, "k", 1);
            assert!(matches!(
                tree.render(),
                Err(TreeError::BadMinionId { .. })
            ));
        }
    }

    #[test]
    fn pillar_file_clash_is_reported() {
        let mut tree = SaltTree::new();
        tree.set_pillar("web.1", "k", 1);
        tree.set_pillar("web_1", "k", 1);
        assert_eq!(
            tree.render().unwrap_err().to_string(),
            "minions `web.1` and `web_1` would share the pillar file \
             `minions/web_1.sls`"
        );
    }

    #[test]
    fn rendering_is_deterministic() {
        let build = || {
            let mut tree = SaltTree::new();
            tree.assign("b", &web_role());
            tree.assign("a", &web_role());
            tree.set_pillar("a", "z", 1);
            tree.set_pillar("a", "y", vec!["x"]);
            tree.render().unwrap()
        };
        assert_eq!(build(), build());
    }
    #[test]
    fn state_ids_are_unique_across_the_whole_tree() {
        // Two roles that no one minion receives still may not share an
        // id: any of them may be given to one machine later.
        let mut web = Role::new("web");
        web.add(PkgInstalled::new("curl"));
        let mut db = Role::new("db");
        db.add(PkgInstalled::new("curl"));
        let mut tree = SaltTree::new();
        tree.assign("web-1", &web);
        tree.assign("db-1", &db);
        let error = tree.render().unwrap_err();
        assert!(
            matches!(&error, TreeError::DuplicateStateId { id, first_role, second_role, .. }
                if id == "curl" && first_role == "db" && second_role == "web"),
            "{error}"
        );
    }

    #[test]
    fn a_requisite_cycle_is_reported_as_one_shortest_cycle() {
        let mut role = Role::new("app");
        let a = role.add(State::new("a", "test.nop"));
        let b = role.add(State::new("b", "test.nop").require(&a));
        let c = role.add(State::new("c", "test.nop").require(&b));
        // A long cycle a -> c -> b -> a, and a short one, b <-> d, where
        // d is ordered after b by a `require_in` written on b's side.
        let d = role.add(State::new("d", "test.nop").require(&c));
        let role_with_cycles = {
            let mut again = Role::new("app");
            again.add(State::new("a", "test.nop").require(&c));
            again.add(
                State::new("b", "test.nop")
                    .require(&a)
                    .requisite(Requisite::RequireIn, &d),
            );
            again.add(State::new("c", "test.nop").require(&b));
            again.add(State::new("d", "test.nop").require(&b).watch(&a));
            again
        };
        let _ = d;
        let mut tree = SaltTree::new();
        tree.assign("m1", &role_with_cycles);
        let error = tree.render().unwrap_err();
        let TreeError::RequisiteCycle { minion, cycle } = &error else {
            panic!("{error}");
        };
        assert_eq!(minion, "m1");
        let ids: Vec<&str> = cycle.iter().map(|s| s.state.id()).collect();
        assert_eq!(ids, ["a", "c", "b"], "{error}");
        let text = error.to_string();
        assert!(
            text.contains("`a` (test in role `app`, added at "),
            "{text}"
        );
        assert!(text.contains("`a` has require `c`"), "{text}");

        // Removing the back edge leaves a tree without cycles, and the
        // `require_in` alone is no cycle.
        let mut tree = SaltTree::new();
        tree.assign("m1", &role);
        tree.render().unwrap();
    }

    #[test]
    fn an_in_requisite_cycle_names_the_side_that_wrote_it() {
        let handle = |id: &str| StateRef {
            role: "app".to_owned(),
            id: id.to_owned(),
            module: "test".to_owned(),
        };
        let mut looped = Role::new("app");
        looped.add(State::new("first", "test.nop").require(&handle("second")));
        looped.add(State::new("second", "test.nop"));
        looped.add(
            State::new("third", "test.nop")
                .require(&handle("first"))
                .requisite(Requisite::RequireIn, &handle("second")),
        );
        let mut tree = SaltTree::new();
        tree.assign("m1", &looped);
        let text = tree.render().unwrap_err().to_string();
        assert!(
            text.contains("`second` (test in role `app`, added at"),
            "{text}"
        );
        assert!(text.contains("`first` has require `second`"), "{text}");
        assert!(text.contains("`third` has require_in `second`"), "{text}");
        assert!(text.contains("`third` has require `first`"), "{text}");
    }

    #[test]
    fn use_and_listen_do_not_order_states() {
        let mut role = Role::new("app");
        let a = role.add(State::new("a", "test.nop"));
        let mut looped = Role::new("app");
        looped.add(State::new("a", "test.nop").requisite(
            Requisite::Listen,
            &StateRef {
                role: "app".to_owned(),
                id: "b".to_owned(),
                module: "test".to_owned(),
            },
        ));
        looped.add(State::new("b", "test.nop").requisite(Requisite::Use, &a));
        let mut tree = SaltTree::new();
        tree.assign("m1", &looped);
        tree.render().unwrap();
    }
}
