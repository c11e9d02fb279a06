//! Salt states: a generic [`State`], typed builders for the common state
//! functions (one submodule per Salt state module), and requisites between
//! states.

use crate::value::SaltValue;

/// Generates the requisite methods shared by [`State`] and every typed
/// builder, inside an `impl` block of a type with a
/// `requisite(self, Requisite, &StateRef) -> Self` method.
macro_rules! requisite_methods {
    () => {
        /// Runs after `target`, and only if it succeeded. Writes
        /// `require`.
        pub fn require(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::Require, target)
        }

        /// Like `require`, and also reacts when `target` made changes:
        /// Salt calls this state's `mod_watch` instead of its function
        /// (a service restarts, `cmd.wait` runs its command). Writes
        /// `watch`.
        pub fn watch(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::Watch, target)
        }

        /// Runs after `target`, and only if `target` made changes. Writes
        /// `onchanges`; with several targets, any one that changed is
        /// enough.
        pub fn onchanges(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::OnChanges, target)
        }

        /// Runs after `target`, and only if `target` failed. Writes
        /// `onfail`.
        pub fn onfail(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::OnFail, target)
        }

        /// Runs before `target`, and only if `target` is about to change
        /// (Salt first runs `target` in test mode to find out). Writes
        /// `prereq`.
        pub fn prereq(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::Prereq, target)
        }

        /// Copies the arguments of `target` (except its name and its
        /// requisites) that this state does not set itself. Writes `use`
        /// (a Rust keyword, hence the name).
        pub fn uses(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::Use, target)
        }

        /// Reacts like `watch` when `target` made changes, but at the end
        /// of the whole run, once, rather than right after `target`; this
        /// state's own function still runs in its place. Writes `listen`.
        pub fn listen(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::Listen, target)
        }

        /// `target` runs after this state, and only if this state
        /// succeeded: the same as `target.require(this)`, declared here.
        /// Writes `require_in`.
        pub fn required_by(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::RequireIn, target)
        }

        /// `target` watches this state: the same as `target.watch(this)`,
        /// declared here. Writes `watch_in`.
        pub fn watched_by(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::WatchIn, target)
        }

        /// `target` runs only if this state made changes: the same as
        /// `target.onchanges(this)`, declared here. Writes
        /// `onchanges_in`.
        pub fn triggers(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::OnChangesIn, target)
        }

        /// `target` runs only if this state failed: the same as
        /// `target.onfail(this)`, declared here. Writes `onfail_in`.
        pub fn on_failure_triggers(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::OnFailIn, target)
        }

        /// `target` runs before this state, and only if this state is
        /// about to change: the same as `target.prereq(this)`, declared
        /// here. Writes `prereq_in`.
        pub fn prerequisite_of(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::PrereqIn, target)
        }

        /// `target` copies this state's arguments: the same as
        /// `target.uses(this)`, declared here. Writes `use_in`.
        pub fn used_by(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::UseIn, target)
        }

        /// `target` reacts at the end of the run if this state made
        /// changes: the same as `target.listen(this)`, declared here.
        /// Writes `listen_in`.
        pub fn listened_by(self, target: &$crate::StateRef) -> Self {
            self.requisite($crate::Requisite::ListenIn, target)
        }

        /// Runs after all of `targets`, and only if at least one of them
        /// succeeded. Writes `require_any`; calling it again adds to the
        /// same list (Salt has one `require_any` list per state).
        pub fn require_any(self, targets: &[&$crate::StateRef]) -> Self {
            targets.iter().fold(self, |state, target| {
                state.requisite($crate::Requisite::RequireAny, target)
            })
        }

        /// Like `require_any`, and reacts like `watch` when any of
        /// `targets` made changes. Writes `watch_any`.
        pub fn watch_any(self, targets: &[&$crate::StateRef]) -> Self {
            targets.iter().fold(self, |state, target| {
                state.requisite($crate::Requisite::WatchAny, target)
            })
        }

        /// Runs only if at least one of `targets` made changes. Writes
        /// `onchanges_any`.
        pub fn onchanges_any(self, targets: &[&$crate::StateRef]) -> Self {
            targets.iter().fold(self, |state, target| {
                state.requisite($crate::Requisite::OnChangesAny, target)
            })
        }

        /// Runs only if at least one of `targets` failed. Writes
        /// `onfail_any`.
        pub fn onfail_any(self, targets: &[&$crate::StateRef]) -> Self {
            targets.iter().fold(self, |state, target| {
                state.requisite($crate::Requisite::OnFailAny, target)
            })
        }

        /// Runs only if every one of `targets` failed. Writes
        /// `onfail_all`.
        pub fn onfail_all(self, targets: &[&$crate::StateRef]) -> Self {
            targets.iter().fold(self, |state, target| {
                state.requisite($crate::Requisite::OnFailAll, target)
            })
        }
    };
}

/// Generates a typed state builder wrapping a [`State`], with the generic
/// methods every builder shares.
///
/// With a third literal (a description of `name`), it also generates
/// `new(name)`, which uses the name as the state id; without, the module
/// writes its own constructor, starting from `Self::wrap`.
macro_rules! typed_state {
    (
        $(#[$meta:meta])*
        $builder:ident, $function:literal, $name_doc:literal
    ) => {
        typed_state!($(#[$meta])* $builder, $function);

        impl $builder {
            #[doc = concat!("A `", $function, "` state for ", $name_doc,
                ", which is also its id.")]
            pub fn new(name: impl Into<String>) -> Self {
                Self::wrap(name)
            }
        }
    };
    (
        $(#[$meta:meta])*
        $builder:ident, $function:literal
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $builder {
            state: $crate::State,
        }

        impl $builder {
            /// The state with id and `name` both `name`.
            fn wrap(name: impl Into<String>) -> Self {
                let name = name.into();
                $builder {
                    state: $crate::State::new(name.clone(), $function)
                        .arg("name", name),
                }
            }

            /// Replaces the state id (the name stays as it is).
            pub fn id(mut self, id: impl Into<String>) -> Self {
                self.state.id = id.into();
                self
            }

            /// Sets an argument that has no typed method.
            pub fn arg(
                mut self,
                name: impl Into<String>,
                value: impl Into<$crate::SaltValue>,
            ) -> Self {
                self.state = self.state.arg(name, value);
                self
            }

            /// Adds a requisite of any kind on `target`.
            pub fn requisite(
                mut self,
                kind: $crate::Requisite,
                target: &$crate::StateRef,
            ) -> Self {
                self.state = self.state.requisite(kind, target);
                self
            }

            requisite_methods!();

            /// The state built so far.
            pub fn state(&self) -> &$crate::State {
                &self.state
            }
        }

        impl From<$builder> for $crate::State {
            fn from(builder: $builder) -> $crate::State {
                builder.state
            }
        }
    };
}

mod archive;
mod cmd;
mod cron;
mod file;
mod firewalld;
mod git;
mod group;
mod iptables;
mod mount;
mod pip;
mod pkg;
mod service;
mod sysctl;
mod timezone;
mod user;

pub use archive::{ArchiveExtracted, ArchiveFormat};
pub use cmd::CmdRun;
pub use cron::{CronAbsent, CronPresent, CronSpecial};
pub use file::{
    FileAbsent, FileDirectory, FileLine, FileManaged, FileSymlink, FileTouch,
    LineLocation, LineMode,
};
pub use firewalld::FirewalldPresent;
pub use git::GitLatest;
pub use group::{GroupAbsent, GroupPresent};
pub use iptables::{IpFamily, IptablesAppend, IptablesTable, Protocol};
pub use mount::MountMounted;
pub use pip::PipInstalled;
pub use pkg::{PkgInstalled, PkgLatest, PkgRemoved};
pub use service::{ServiceDead, ServiceEnabled, ServiceRunning};
pub use sysctl::SysctlPresent;
pub use timezone::TimezoneSystem;
pub use user::{UserAbsent, UserPresent};

/// Errors in a single state, found when a tree is rendered.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    thiserror::Error,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum StateError {
    /// The state id is empty.
    #[error("state id is empty (function {function})")]
    EmptyId {
        /// The state function, like `file.managed`.
        function: String,
    },
    /// The state id is a word Salt reserves at the top of an SLS file, or
    /// contains Salt's internal `_|-` separator.
    #[error("state id `{id}` is reserved by salt")]
    ReservedId {
        /// The offending id.
        id: String,
    },
    /// The function is not `module.function` made of identifiers.
    #[error(
        "state `{id}` has function `{function}`, expected `module.function`"
    )]
    BadFunction {
        /// The state id.
        id: String,
        /// The function as given.
        function: String,
    },
    /// An argument name is not an identifier, or is a requisite keyword
    /// (use the requisite methods instead) or a Salt internal.
    #[error("state `{id}` has argument `{name}`, which is not allowed")]
    BadArgument {
        /// The state id.
        id: String,
        /// The argument name as given.
        name: String,
    },
    /// A file mode outside `0o0000..=0o7777`.
    #[error("state `{id}` has mode {mode:#o}, expected at most 0o7777")]
    BadMode {
        /// The state id.
        id: String,
        /// The mode as given.
        mode: u32,
    },
    /// A typed argument has a value Salt would misread, like a cron field
    /// with a space in it.
    #[error("state `{id}` has {name} `{value}`, expected {expected}")]
    BadValue {
        /// The state id.
        id: String,
        /// The argument name.
        name: String,
        /// The value as given.
        value: String,
        /// What the argument accepts.
        expected: String,
    },
    /// The state has a requisite on itself.
    #[error("state `{id}` has a {kind} requisite on itself")]
    SelfRequisite {
        /// The state id.
        id: String,
        /// The requisite kind.
        kind: Requisite,
    },
}

/// The kind of a requisite, as written in an SLS file.
///
/// The `…In` kinds are the reverse forms, declared on the target's side:
/// `a.requisite(RequireIn, &b)` means `b` requires `a`. The `…Any` kinds
/// take several targets and are satisfied by any one of them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Requisite {
    /// `require`: run after the target, and only if it succeeded.
    Require,
    /// `watch`: like [`Requisite::Require`], and also react (`mod_watch`,
    /// e.g. restart a service) when the target made changes.
    Watch,
    /// `onchanges`: run only if the target made changes.
    OnChanges,
    /// `onfail`: run only if the target failed.
    OnFail,
    /// `prereq`: run before the target, only if the target is about to
    /// change.
    Prereq,
    /// `use`: copy the target's arguments (except its name and
    /// requisites) that this state does not set itself.
    Use,
    /// `listen`: react like [`Requisite::Watch`] when the target made
    /// changes, but at the end of the run.
    Listen,
    /// `require_in`: the target requires this state.
    RequireIn,
    /// `watch_in`: the target watches this state.
    WatchIn,
    /// `onchanges_in`: the target runs only if this state made changes.
    OnChangesIn,
    /// `onfail_in`: the target runs only if this state failed.
    OnFailIn,
    /// `prereq_in`: the target runs before this state, only if this state
    /// is about to change.
    PrereqIn,
    /// `use_in`: the target copies this state's arguments.
    UseIn,
    /// `listen_in`: the target listens to this state.
    ListenIn,
    /// `require_any`: run after the targets, and only if at least one of
    /// them succeeded.
    RequireAny,
    /// `watch_any`: like [`Requisite::RequireAny`], and react when any
    /// target made changes.
    WatchAny,
    /// `onchanges_any`: run only if at least one target made changes.
    OnChangesAny,
    /// `onfail_any`: run only if at least one target failed.
    OnFailAny,
    /// `onfail_all`: run only if every target failed.
    OnFailAll,
}

impl Requisite {
    /// The keyword Salt uses, like `require` or `onchanges_in`.
    pub fn keyword(self) -> &'static str {
        match self {
            Requisite::Require => "require",
            Requisite::Watch => "watch",
            Requisite::OnChanges => "onchanges",
            Requisite::OnFail => "onfail",
            Requisite::Prereq => "prereq",
            Requisite::Use => "use",
            Requisite::Listen => "listen",
            Requisite::RequireIn => "require_in",
            Requisite::WatchIn => "watch_in",
            Requisite::OnChangesIn => "onchanges_in",
            Requisite::OnFailIn => "onfail_in",
            Requisite::PrereqIn => "prereq_in",
            Requisite::UseIn => "use_in",
            Requisite::ListenIn => "listen_in",
            Requisite::RequireAny => "require_any",
            Requisite::WatchAny => "watch_any",
            Requisite::OnChangesAny => "onchanges_any",
            Requisite::OnFailAny => "onfail_any",
            Requisite::OnFailAll => "onfail_all",
        }
    }

    /// The kind written with `keyword`, like [`Requisite::OnChangesIn`] for
    /// `onchanges_in`; `None` for any other word.
    ///
    /// ```
    /// use onioncloud_salt::Requisite;
    ///
    /// assert_eq!(Requisite::from_keyword("use"), Some(Requisite::Use));
    /// assert_eq!(Requisite::from_keyword("requires"), None);
    /// ```
    pub fn from_keyword(keyword: &str) -> Option<Requisite> {
        Requisite::ALL
            .into_iter()
            .find(|kind| kind.keyword() == keyword)
    }

    /// Every kind, in the order requisites are rendered.
    pub const ALL: [Requisite; 19] = [
        Requisite::Require,
        Requisite::Watch,
        Requisite::OnChanges,
        Requisite::OnFail,
        Requisite::Prereq,
        Requisite::Use,
        Requisite::Listen,
        Requisite::RequireIn,
        Requisite::WatchIn,
        Requisite::OnChangesIn,
        Requisite::OnFailIn,
        Requisite::PrereqIn,
        Requisite::UseIn,
        Requisite::ListenIn,
        Requisite::RequireAny,
        Requisite::WatchAny,
        Requisite::OnChangesAny,
        Requisite::OnFailAny,
        Requisite::OnFailAll,
    ];
}

impl std::fmt::Display for Requisite {
    /// Writes the keyword, like `require`.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.keyword())
    }
}

/// A handle to a state that was added to a [`Role`](crate::Role), used to
/// point requisites at it.
///
/// Requisites read from an existing formula (see [`crate::read`]) keep the
/// target as the formula wrote it: the module may also be `sls` (every
/// state of an SLS), `id` (any module), or empty for a bare id
/// (`- require: [nginx]`), and the id may be the `name` of the target state
/// rather than its id, as Salt allows.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct StateRef {
    pub(crate) role: String,
    pub(crate) id: String,
    pub(crate) module: String,
}

impl StateRef {
    /// The id of the state (or, when read from a formula, the id, name or
    /// SLS as written).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The state module, like `pkg` for `pkg.installed` (or, when read from
    /// a formula, `sls`, `id`, or empty for a bare id).
    pub fn module(&self) -> &str {
        &self.module
    }

    /// Whether this requisite target names `state`: Salt matches the module
    /// (any module for `id` and bare ids) and then the id or a name.
    /// Targets of kind `sls` name a whole SLS and never match one state.
    pub(crate) fn matches(&self, state: &State) -> bool {
        let module_ok = match self.module.as_str() {
            "sls" => return false,
            "" | "id" => true,
            module => state.module() == module,
        };
        module_ok
            && (state.id() == self.id
                || state.names().any(|name| name == self.id))
    }

    /// The role the state was added to.
    pub fn role(&self) -> &str {
        &self.role
    }
}

/// One Salt state: an id, a `module.function`, ordered arguments and
/// requisites.
///
/// Use the typed constructors ([`FileManaged`], [`PkgInstalled`], …) for
/// common functions and `State::new` for anything else:
///
/// ```
/// use onioncloud_salt::State;
///
/// let state = State::new("ntp-timezone", "timezone.system")
///     .arg("name", "Europe/Berlin")
///     .arg("utc", true);
/// assert_eq!(state.module(), "timezone");
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct State {
    id: String,
    function: String,
    args: Vec<(String, SaltValue)>,
    requisites: Vec<(Requisite, StateRef)>,
    problems: Vec<ArgumentProblem>,
}

/// A typed argument set to a value Salt would misread, kept until the tree
/// is rendered (or the argument is set again).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum ArgumentProblem {
    /// A permission mode above `0o7777`.
    Mode { argument: String, mode: u32 },
    /// Any other value.
    Value {
        argument: String,
        value: String,
        expected: String,
    },
}

impl ArgumentProblem {
    fn argument(&self) -> &str {
        match self {
            ArgumentProblem::Mode { argument, .. }
            | ArgumentProblem::Value { argument, .. } => argument,
        }
    }

    fn to_error(&self, id: &str) -> StateError {
        match self {
            ArgumentProblem::Mode { mode, .. } => StateError::BadMode {
                id: id.to_owned(),
                mode: *mode,
            },
            ArgumentProblem::Value {
                argument,
                value,
                expected,
            } => StateError::BadValue {
                id: id.to_owned(),
                name: argument.clone(),
                value: value.clone(),
                expected: expected.clone(),
            },
        }
    }
}

impl State {
    /// A state with the given id and function (`module.function`) and no
    /// arguments yet. The function is checked when the tree is rendered.
    pub fn new(id: impl Into<String>, function: impl Into<String>) -> Self {
        State {
            id: id.into(),
            function: function.into(),
            args: Vec::new(),
            requisites: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Sets an argument, replacing an earlier one of the same name in place.
    pub fn arg(
        mut self,
        name: impl Into<String>,
        value: impl Into<SaltValue>,
    ) -> Self {
        self.set_arg(name.into(), value.into());
        self
    }

    /// Adds a requisite of any kind on `target`. Adding the same requisite
    /// twice has no further effect.
    pub fn requisite(mut self, kind: Requisite, target: &StateRef) -> Self {
        let entry = (kind, target.clone());
        if !self.requisites.contains(&entry) {
            self.requisites.push(entry);
        }
        self
    }

    requisite_methods!();

    /// The state id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The function, like `file.managed`.
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The module part of the function, like `file`.
    pub fn module(&self) -> &str {
        self.function
            .split_once('.')
            .map_or(self.function.as_str(), |(module, _)| module)
    }

    /// The arguments in the order they were first set.
    pub fn args(&self) -> &[(String, SaltValue)] {
        &self.args
    }

    /// The requisites in the order they were added.
    pub fn requisites(&self) -> &[(Requisite, StateRef)] {
        &self.requisites
    }

    /// The names the state acts on: its `name` and the items of `names`
    /// (a string, or the single key of a map).
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.args.iter().flat_map(|(arg, value)| {
            let found: Vec<&str> = match (arg.as_str(), value) {
                ("name", SaltValue::String(name)) => vec![name.as_str()],
                ("names", SaltValue::List(items)) => items
                    .iter()
                    .filter_map(|item| match item {
                        SaltValue::String(name) => Some(name.as_str()),
                        SaltValue::Map(entries) if entries.len() == 1 => {
                            entries.keys().next().map(String::as_str)
                        }
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            found
        })
    }

    fn set_arg(&mut self, name: String, value: SaltValue) {
        self.problems.retain(|problem| problem.argument() != name);
        match self.args.iter_mut().find(|(existing, _)| *existing == name) {
            Some(slot) => slot.1 = value,
            None => self.args.push((name, value)),
        }
    }

    /// Sets `name` to a permission mode, written as a quoted octal string
    /// (`0o644` becomes `'0644'`); a mode above `0o7777` is reported when
    /// the tree is rendered.
    fn set_octal_mode(&mut self, name: &str, mode: u32) {
        self.set_arg(name.to_owned(), SaltValue::String(format!("{mode:04o}")));
        if mode > 0o7777 {
            self.problems.push(ArgumentProblem::Mode {
                argument: name.to_owned(),
                mode,
            });
        }
    }

    fn set_mode(&mut self, mode: u32) {
        self.set_octal_mode("mode", mode);
    }

    /// Sets `name` to the string `value`, first checking it with `valid`;
    /// a value it refuses is reported, as expecting `expected`, when the
    /// tree is rendered.
    fn set_checked(
        &mut self,
        name: &str,
        value: String,
        valid: fn(&str) -> bool,
        expected: &str,
    ) {
        let problem = (!valid(&value)).then(|| ArgumentProblem::Value {
            argument: name.to_owned(),
            value: value.clone(),
            expected: expected.to_owned(),
        });
        self.set_arg(name.to_owned(), SaltValue::String(value));
        self.problems.extend(problem);
    }

    /// Checks everything about the state that does not depend on other
    /// states.
    pub(crate) fn validate(&self) -> Result<(), StateError> {
        if let Some(problem) = self.problems.first() {
            return Err(problem.to_error(&self.id));
        }
        if self.id.is_empty() {
            return Err(StateError::EmptyId {
                function: self.function.clone(),
            });
        }
        if matches!(self.id.as_str(), "include" | "exclude" | "extend")
            || self.id.contains("_|-")
        {
            return Err(StateError::ReservedId {
                id: self.id.clone(),
            });
        }
        let function_ok =
            self.function.split_once('.').is_some_and(|(module, name)| {
                is_identifier(module) && is_identifier(name)
            });
        if !function_ok {
            return Err(StateError::BadFunction {
                id: self.id.clone(),
                function: self.function.clone(),
            });
        }
        for (name, _) in &self.args {
            let is_requisite =
                Requisite::ALL.iter().any(|kind| kind.keyword() == name);
            if !is_identifier(name) || is_requisite || name.starts_with("__") {
                return Err(StateError::BadArgument {
                    id: self.id.clone(),
                    name: name.clone(),
                });
            }
        }
        for (kind, target) in &self.requisites {
            if target.id == self.id && target.module == self.module() {
                return Err(StateError::SelfRequisite {
                    id: self.id.clone(),
                    kind: *kind,
                });
            }
        }
        Ok(())
    }

    /// The state's body as an SLS node:
    /// `{module.function: [{arg: value}…, {requisite: [{module: id}…]}…]}`.
    pub(crate) fn to_node(&self) -> crate::yaml::Node {
        use crate::yaml::Node;
        let mut items: Vec<Node> = self
            .args
            .iter()
            .map(|(name, value)| {
                Node::Map(vec![(name.clone(), Node::Value(value.clone()))])
            })
            .collect();
        for kind in Requisite::ALL {
            let targets: Vec<Node> = self
                .requisites
                .iter()
                .filter(|(candidate, _)| *candidate == kind)
                .map(|(_, target)| {
                    if target.module.is_empty() {
                        return Node::text(target.id.clone());
                    }
                    Node::Map(vec![(
                        target.module.clone(),
                        Node::text(target.id.clone()),
                    )])
                })
                .collect();
            if !targets.is_empty() {
                items.push(Node::Map(vec![(
                    kind.keyword().to_owned(),
                    Node::Seq(targets),
                )]));
            }
        }
        Node::Map(vec![(self.function.clone(), Node::Seq(items))])
    }
}

fn is_identifier(text: &str) -> bool {
    let mut characters = text.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|rest| rest.is_ascii_alphanumeric() || rest == '_')
}

/// A list of strings as a Salt value.
fn string_list<I, S>(items: I) -> SaltValue
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    SaltValue::List(
        items
            .into_iter()
            .map(|item| SaltValue::String(item.into()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(id: &str, module: &str) -> StateRef {
        StateRef {
            role: "web".to_owned(),
            id: id.to_owned(),
            module: module.to_owned(),
        }
    }

    #[test]
    fn arg_replaces_in_place() {
        let state = State::new("x", "test.nop")
            .arg("a", 1)
            .arg("b", 2)
            .arg("a", 3);
        assert_eq!(
            state.args(),
            &[
                ("a".to_owned(), SaltValue::Int(3)),
                ("b".to_owned(), SaltValue::Int(2))
            ]
        );
    }

    #[test]
    fn mode_is_an_octal_string() {
        let state = State::from(FileManaged::new("/f").mode(0o644));
        assert_eq!(
            state.args()[1],
            ("mode".to_owned(), SaltValue::String("0644".to_owned()))
        );
        let state = State::from(FileDirectory::new("/d").mode(0o2775));
        assert_eq!(state.args()[1].1.as_str(), Some("2775"));
    }

    #[test]
    fn mode_out_of_range_is_reported() {
        let state = State::from(FileManaged::new("/f").mode(0o10000));
        assert_eq!(
            state.validate().unwrap_err().to_string(),
            "state `/f` has mode 0o10000, expected at most 0o7777"
        );
    }

    #[test]
    fn function_must_be_module_dot_function() {
        for function in ["pkg", "pkg.", ".installed", "pkg.installed.x", ""] {
            let error = State::new("x", function).validate().unwrap_err();
            assert!(matches!(error, StateError::BadFunction { .. }));
        }
    }

    #[test]
    fn requisite_keywords_are_not_arguments() {
        let error = State::new("x", "test.nop")
            .arg("require", "pkg: y")
            .validate()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "state `x` has argument `require`, which is not allowed"
        );
    }

    #[test]
    fn reserved_ids_are_rejected() {
        for id in ["include", "extend", "a_|-b"] {
            let error = State::new(id, "test.nop").validate().unwrap_err();
            assert!(matches!(error, StateError::ReservedId { .. }));
        }
    }

    #[test]
    fn self_requisite_is_rejected() {
        let error = State::new("x", "test.nop")
            .watch(&handle("x", "test"))
            .validate()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "state `x` has a watch requisite on itself"
        );
    }

    #[test]
    fn duplicate_requisites_collapse() {
        let target = handle("nginx", "pkg");
        let state = State::new("x", "test.nop")
            .require(&target)
            .require(&target);
        assert_eq!(state.requisites().len(), 1);
    }

    #[test]
    fn typed_builders_share_id_and_requisites() {
        let pkg = handle("nginx", "pkg");
        let state: State = ServiceRunning::new("nginx")
            .id("nginx-service")
            .enable(true)
            .watch(&pkg)
            .requisite(Requisite::ListenIn, &pkg)
            .into();
        assert_eq!(state.id(), "nginx-service");
        assert_eq!(state.function(), "service.running");
        assert_eq!(state.args()[0].1.as_str(), Some("nginx"));
        assert_eq!(state.requisites().len(), 2);
    }

    fn sls(state: impl Into<State>) -> String {
        let state = state.into();
        let node = crate::yaml::Node::Map(vec![(
            state.id().to_owned(),
            state.to_node(),
        )]);
        crate::yaml::document(&node)
    }

    #[test]
    fn every_keyword_parses_back_to_its_kind() {
        for kind in Requisite::ALL {
            assert_eq!(Requisite::from_keyword(kind.keyword()), Some(kind));
        }
        for word in ["", "Require", "require ", "requires", "use_any"] {
            assert_eq!(Requisite::from_keyword(word), None, "{word:?}");
        }
        let mut keywords: Vec<_> =
            Requisite::ALL.iter().map(|kind| kind.keyword()).collect();
        keywords.sort_unstable();
        keywords.dedup();
        assert_eq!(keywords.len(), Requisite::ALL.len());
    }

    #[test]
    fn every_requisite_method_writes_its_keyword() {
        let target = handle("t", "test");
        let state = State::new("x", "test.nop")
            .require(&target)
            .watch(&target)
            .onchanges(&target)
            .onfail(&target)
            .prereq(&target)
            .uses(&target)
            .listen(&target)
            .required_by(&target)
            .watched_by(&target)
            .triggers(&target)
            .on_failure_triggers(&target)
            .prerequisite_of(&target)
            .used_by(&target)
            .listened_by(&target)
            .require_any(&[&target])
            .watch_any(&[&target])
            .onchanges_any(&[&target])
            .onfail_any(&[&target])
            .onfail_all(&[&target]);
        let kinds: Vec<Requisite> =
            state.requisites().iter().map(|(kind, _)| *kind).collect();
        assert_eq!(kinds, Requisite::ALL);
    }

    #[test]
    fn builders_have_the_same_requisite_methods() {
        let target = handle("t", "test");
        let from_builder: State = CmdRun::new("true")
            .prereq(&target)
            .used_by(&target)
            .onfail_any(&[&target])
            .into();
        let from_state = State::new("true", "cmd.run")
            .arg("name", "true")
            .requisite(Requisite::Prereq, &target)
            .requisite(Requisite::UseIn, &target)
            .requisite(Requisite::OnFailAny, &target);
        assert_eq!(from_builder, from_state);
    }

    #[test]
    fn any_requisites_render_as_one_list_after_the_others() {
        let first = handle("first", "file");
        let second = handle("second", "cmd");
        let state = CmdRun::new("true")
            .id("x")
            .onchanges_any(&[&first, &second])
            .triggers(&second)
            .require(&first)
            .onchanges_any(&[&first]);
        assert_eq!(
            sls(state),
            "#!yaml
x:
  cmd.run:
    - name: 'true'
    - require:
        - file: first
    - onchanges_in:
        - cmd: second
    - onchanges_any:
        - file: first
        - cmd: second
"
        );
    }

    #[test]
    fn enum_arguments_write_salt_words() {
        let state: State = FileLine::new("/f", "x = 1", LineMode::Ensure)
            .after("^\\[section\\]$")
            .location(LineLocation::Start)
            .file_mode(0o600)
            .into();
        assert_eq!(
            sls(state),
            "#!yaml
/f:
  file.line:
    - name: /f
    - content: 'x = 1'
    - mode: ensure
    - after: '^\\[section\\]$'
    - location: start
    - file_mode: '0600'
"
        );
        let words: Vec<&str> = [
            LineMode::Replace,
            LineMode::Insert,
            LineMode::Delete,
            LineMode::Ensure,
        ]
        .into_iter()
        .map(LineMode::salt_word)
        .collect();
        assert_eq!(words, ["replace", "insert", "delete", "ensure"]);
        let rule: State = IptablesAppend::new("web", "INPUT", "ACCEPT")
            .table(IptablesTable::Filter)
            .family(IpFamily::Ipv6)
            .proto(Protocol::Tcp)
            .dport_range(8000, 8080)
            .into();
        let args: Vec<(&str, Option<&str>)> = rule
            .args()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(
            args,
            [
                ("name", Some("web")),
                ("chain", Some("INPUT")),
                ("jump", Some("ACCEPT")),
                ("table", Some("filter")),
                ("family", Some("ipv6")),
                ("proto", Some("tcp")),
                ("dport", Some("8000:8080")),
            ]
        );
        assert_eq!(CronSpecial::Daily.salt_word(), "@daily");
        assert_eq!(ArchiveFormat::Zip.salt_word(), "zip");
    }

    #[test]
    fn cron_fields_with_spaces_are_reported_under_the_final_id() {
        let state: State = CronPresent::new("/bin/backup")
            .minute("*/5")
            .hour("2 3")
            .id("backup")
            .into();
        assert_eq!(
            state.validate().unwrap_err(),
            StateError::BadValue {
                id: "backup".to_owned(),
                name: "hour".to_owned(),
                value: "2 3".to_owned(),
                expected: "one crontab word without spaces, like `*/5`"
                    .to_owned(),
            }
        );
        let error = State::from(CronPresent::new("a\nb")).validate();
        assert_eq!(
            error.unwrap_err().to_string(),
            "state `a\nb` has name `a\nb`, expected a command on one line"
        );
        let state: State = CronPresent::new("/bin/backup").minute("").into();
        assert!(matches!(state.validate(), Err(StateError::BadValue { .. })));
    }

    #[test]
    fn setting_an_argument_again_clears_its_problem() {
        let state: State =
            CronPresent::new("/bin/backup").hour("2 3").hour("2").into();
        assert_eq!(state.validate(), Ok(()));
        let state: State =
            FileManaged::new("/f").mode(0o10000).mode(0o640).into();
        assert_eq!(state.validate(), Ok(()));
        let state: State = FileLine::new("/f", "x", LineMode::Delete)
            .file_mode(0o17777)
            .into();
        assert!(matches!(
            state.validate(),
            Err(StateError::BadMode { mode: 0o17777, .. })
        ));
    }

    #[test]
    fn required_arguments_come_first_in_order() {
        let names = |state: State| -> Vec<String> {
            state.args().iter().map(|(name, _)| name.clone()).collect()
        };
        assert_eq!(
            names(FileSymlink::new("/l", "/t").force(true).into()),
            ["name", "target", "force"]
        );
        assert_eq!(
            names(MountMounted::new("/m", "/dev/x", "ext4").into()),
            ["name", "device", "fstype"]
        );
        assert_eq!(
            names(GitLatest::new("https://x/r.git", "/srv/r").into()),
            ["name", "target"]
        );
        assert_eq!(
            names(ArchiveExtracted::new("/opt/a", "/tmp/a.tar").into()),
            ["name", "source"]
        );
        assert_eq!(
            names(SysctlPresent::new("vm.swappiness", 10).into()),
            ["name", "value"]
        );
        assert_eq!(
            names(PipInstalled::pkgs("tools", ["a", "b"]).into()),
            ["name", "pkgs"]
        );
    }
}
