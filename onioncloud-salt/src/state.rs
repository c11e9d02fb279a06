//! Salt states: a generic [`State`], typed constructors for the common state
//! functions, and requisites between states.

use crate::value::SaltValue;

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
/// The `…In` kinds are the reverse forms: `a.requisite(RequireIn, &b)` means
/// `b` requires `a`.
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
    /// Run after the target, and only if it succeeded.
    Require,
    /// Like [`Requisite::Require`], and also react (`mod_watch`, e.g. restart
    /// a service) when the target made changes.
    Watch,
    /// Run only if the target made changes.
    OnChanges,
    /// Run only if the target failed.
    OnFail,
    /// Run before the target, only if the target is about to change.
    Prereq,
    /// Copy the target's arguments.
    Use,
    /// React like [`Requisite::Watch`] but at the end of the run.
    Listen,
    /// The target requires this state.
    RequireIn,
    /// The target watches this state.
    WatchIn,
    /// The target runs only if this state made changes.
    OnChangesIn,
    /// The target runs only if this state failed.
    OnFailIn,
    /// This state runs before the target, if the target is about to change.
    PrereqIn,
    /// The target copies this state's arguments.
    UseIn,
    /// The target listens to this state.
    ListenIn,
    /// Run after the targets, if at least one of them succeeded.
    RequireAny,
    /// Like [`Requisite::RequireAny`], and react when any target changed.
    WatchAny,
    /// Run if at least one of the targets made changes.
    OnChangesAny,
    /// Run if at least one of the targets failed.
    OnFailAny,
    /// Run only if every target failed.
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

    /// The kind Salt spells `keyword`, like `watch_in`.
    pub fn from_keyword(keyword: &str) -> Option<Requisite> {
        Requisite::ALL
            .into_iter()
            .find(|kind| kind.keyword() == keyword)
    }

    const ALL: [Requisite; 19] = [
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
    problems: Vec<StateError>,
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

    /// Runs after `target`, and only if it succeeded.
    pub fn require(self, target: &StateRef) -> Self {
        self.requisite(Requisite::Require, target)
    }

    /// Like [`State::require`], and reacts when `target` changed.
    pub fn watch(self, target: &StateRef) -> Self {
        self.requisite(Requisite::Watch, target)
    }

    /// Runs only if `target` made changes.
    pub fn onchanges(self, target: &StateRef) -> Self {
        self.requisite(Requisite::OnChanges, target)
    }

    /// Runs only if `target` failed.
    pub fn onfail(self, target: &StateRef) -> Self {
        self.requisite(Requisite::OnFail, target)
    }

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
        match self.args.iter_mut().find(|(existing, _)| *existing == name) {
            Some(slot) => slot.1 = value,
            None => self.args.push((name, value)),
        }
    }

    fn set_mode(&mut self, mode: u32) {
        if mode > 0o7777 {
            self.problems.push(StateError::BadMode {
                id: self.id.clone(),
                mode,
            });
        }
        self.set_arg(
            "mode".to_owned(),
            SaltValue::String(format!("{mode:04o}")),
        );
    }

    /// Checks everything about the state that does not depend on other
    /// states.
    pub(crate) fn validate(&self) -> Result<(), StateError> {
        if let Some(problem) = self.problems.first() {
            return Err(problem.clone());
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

/// Generates a typed state builder wrapping a [`State`], with the generic
/// methods every builder shares.
macro_rules! typed_state {
    (
        $(#[$meta:meta])*
        $builder:ident, $function:literal, $name_doc:literal
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $builder {
            state: State,
        }

        impl $builder {
            #[doc = concat!("A `", $function, "` state for ", $name_doc,
                ", which is also its id.")]
            pub fn new(name: impl Into<String>) -> Self {
                let name = name.into();
                $builder {
                    state: State::new(name.clone(), $function)
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
                value: impl Into<SaltValue>,
            ) -> Self {
                self.state = self.state.arg(name, value);
                self
            }

            /// Adds a requisite of any kind on `target`.
            pub fn requisite(
                mut self,
                kind: Requisite,
                target: &StateRef,
            ) -> Self {
                self.state = self.state.requisite(kind, target);
                self
            }

            /// Runs after `target`, and only if it succeeded.
            pub fn require(self, target: &StateRef) -> Self {
                self.requisite(Requisite::Require, target)
            }

            /// Like `require`, and reacts when `target` changed.
            pub fn watch(self, target: &StateRef) -> Self {
                self.requisite(Requisite::Watch, target)
            }

            /// Runs only if `target` made changes.
            pub fn onchanges(self, target: &StateRef) -> Self {
                self.requisite(Requisite::OnChanges, target)
            }

            /// Runs only if `target` failed.
            pub fn onfail(self, target: &StateRef) -> Self {
                self.requisite(Requisite::OnFail, target)
            }

            /// The state built so far.
            pub fn state(&self) -> &State {
                &self.state
            }
        }

        impl From<$builder> for State {
            fn from(builder: $builder) -> State {
                builder.state
            }
        }
    };
}

typed_state!(
    /// `file.managed`: a file with given contents or source.
    ///
    /// ```
    /// use onioncloud_salt::FileManaged;
    ///
    /// let config = FileManaged::new("/etc/motd")
    ///     .contents("welcome\n")
    ///     .mode(0o644)
    ///     .user("root")
    ///     .group("root");
    /// assert_eq!(config.state().id(), "/etc/motd");
    /// ```
    FileManaged,
    "file.managed",
    "the file at path `name`"
);

impl FileManaged {
    /// The exact contents of the file.
    pub fn contents(self, contents: impl Into<String>) -> Self {
        self.arg("contents", contents.into())
    }

    /// Where to copy the file from, like `salt://files/nginx.conf`.
    pub fn source(self, source: impl Into<String>) -> Self {
        self.arg("source", source.into())
    }

    /// The hash of a remote `source`, like `sha256=…`.
    pub fn source_hash(self, hash: impl Into<String>) -> Self {
        self.arg("source_hash", hash.into())
    }

    /// The permission bits, written as a quoted octal string (`0o644` becomes
    /// `'0644'`).
    pub fn mode(mut self, mode: u32) -> Self {
        self.state.set_mode(mode);
        self
    }

    /// The owning user.
    pub fn user(self, user: impl Into<String>) -> Self {
        self.arg("user", user.into())
    }

    /// The owning group.
    pub fn group(self, group: impl Into<String>) -> Self {
        self.arg("group", group.into())
    }

    /// Whether to create missing parent directories.
    pub fn makedirs(self, makedirs: bool) -> Self {
        self.arg("makedirs", makedirs)
    }
}

typed_state!(
    /// `file.directory`: a directory.
    FileDirectory,
    "file.directory",
    "the directory at path `name`"
);

impl FileDirectory {
    /// The permission bits, written as a quoted octal string.
    pub fn mode(mut self, mode: u32) -> Self {
        self.state.set_mode(mode);
        self
    }

    /// The owning user.
    pub fn user(self, user: impl Into<String>) -> Self {
        self.arg("user", user.into())
    }

    /// The owning group.
    pub fn group(self, group: impl Into<String>) -> Self {
        self.arg("group", group.into())
    }

    /// Whether to create missing parent directories.
    pub fn makedirs(self, makedirs: bool) -> Self {
        self.arg("makedirs", makedirs)
    }
}

typed_state!(
    /// `pkg.installed`: an installed package.
    PkgInstalled,
    "pkg.installed",
    "the package `name`"
);

impl PkgInstalled {
    /// The version to install, as the package manager spells it.
    pub fn version(self, version: impl Into<String>) -> Self {
        self.arg("version", version.into())
    }

    /// Whether to refresh the package database first.
    pub fn refresh(self, refresh: bool) -> Self {
        self.arg("refresh", refresh)
    }

    /// The repository to install from.
    pub fn fromrepo(self, repository: impl Into<String>) -> Self {
        self.arg("fromrepo", repository.into())
    }
}

typed_state!(
    /// `service.running`: a running service.
    ServiceRunning,
    "service.running",
    "the service `name`"
);

impl ServiceRunning {
    /// Whether the service starts at boot.
    pub fn enable(self, enable: bool) -> Self {
        self.arg("enable", enable)
    }

    /// Whether a watch reloads instead of restarting the service.
    pub fn reload(self, reload: bool) -> Self {
        self.arg("reload", reload)
    }
}

typed_state!(
    /// `user.present`: a local user account.
    UserPresent,
    "user.present",
    "the user `name`"
);

impl UserPresent {
    /// The numeric user id.
    pub fn uid(self, uid: u32) -> Self {
        self.arg("uid", uid)
    }

    /// The primary group, by numeric id.
    pub fn gid(self, gid: u32) -> Self {
        self.arg("gid", gid)
    }

    /// The home directory.
    pub fn home(self, home: impl Into<String>) -> Self {
        self.arg("home", home.into())
    }

    /// The login shell.
    pub fn shell(self, shell: impl Into<String>) -> Self {
        self.arg("shell", shell.into())
    }

    /// Supplementary groups.
    pub fn groups<I, G>(self, groups: I) -> Self
    where
        I: IntoIterator<Item = G>,
        G: Into<String>,
    {
        let groups: Vec<SaltValue> = groups
            .into_iter()
            .map(|group| SaltValue::String(group.into()))
            .collect();
        self.arg("groups", SaltValue::List(groups))
    }

    /// Whether this is a system account.
    pub fn system(self, system: bool) -> Self {
        self.arg("system", system)
    }

    /// Whether to create the home directory.
    pub fn createhome(self, createhome: bool) -> Self {
        self.arg("createhome", createhome)
    }
}

typed_state!(
    /// `cmd.run`: a command. Give it an [`id`](CmdRun::id) when the command
    /// is long, and a guard ([`creates`](CmdRun::creates),
    /// [`unless`](CmdRun::unless), [`onlyif`](CmdRun::onlyif) or a
    /// requisite) so it does not run every time.
    CmdRun,
    "cmd.run",
    "the shell command `name`"
);

impl CmdRun {
    /// Skips the command when this path exists.
    pub fn creates(self, path: impl Into<String>) -> Self {
        self.arg("creates", path.into())
    }

    /// Skips the command when this shell command succeeds.
    pub fn unless(self, command: impl Into<String>) -> Self {
        self.arg("unless", command.into())
    }

    /// Runs the command only when this shell command succeeds.
    pub fn onlyif(self, command: impl Into<String>) -> Self {
        self.arg("onlyif", command.into())
    }

    /// The working directory.
    pub fn cwd(self, directory: impl Into<String>) -> Self {
        self.arg("cwd", directory.into())
    }

    /// The user to run as.
    pub fn runas(self, user: impl Into<String>) -> Self {
        self.arg("runas", user.into())
    }
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
}
