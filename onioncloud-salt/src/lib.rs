//! Typed SaltStack states, roles, top files and pillar for OnionCloud.
//!
//! A machine's configuration is a list of **roles**. A [`Role`] is a named
//! set of [`State`]s and becomes one SLS file, `roles/<name>.sls`. A
//! [`SaltTree`] says which minion receives which roles and carries each
//! minion's pillar; [`SaltTree::render`] checks everything and produces the
//! files of a Salt file tree:
//!
//! | path | contents |
//! | --- | --- |
//! | `salt/top.sls` | each minion id → its roles, like `roles.web` |
//! | `salt/roles/<role>.sls` | the role's states |
//! | `pillar/top.sls` | each minion id → `minions.<id>` |
//! | `pillar/minions/<id>.sls` | the minion's pillar (dots in ids become `_`) |
//!
//! # Example
//!
//! ```
//! use onioncloud_salt::{
//!     CmdRun, FileManaged, PkgInstalled, Role, SaltTree, ServiceRunning,
//! };
//!
//! let mut web = Role::new("web");
//! // Adding a state returns a handle for requisites: no stringly typing.
//! let nginx = web.add(PkgInstalled::new("nginx"));
//! let config = web.add(
//!     FileManaged::new("/etc/nginx/conf.d/site.conf")
//!         .contents("server { listen 80; }\n")
//!         .mode(0o644)
//!         .require(&nginx),
//! );
//! // Same id, different module: both are written under `nginx:`, and
//! // requisites name the module (`pkg: nginx`, `service: nginx`).
//! web.add(ServiceRunning::new("nginx").enable(true).watch(&config));
//! web.add(
//!     CmdRun::new("nginx -t")
//!         .id("nginx-config-test")
//!         .onchanges(&config),
//! );
//!
//! let mut tree = SaltTree::new();
//! tree.assign("web-1", &web);
//! tree.set_pillar("web-1", "motd", "yes"); // stays the string "yes"
//!
//! let files = tree.render()?;
//! let top = &files[std::path::Path::new("salt/top.sls")];
//! assert_eq!(top, "#!yaml\nbase:\n  web-1:\n    - roles.web\n");
//! # Ok::<(), onioncloud_salt::TreeError>(())
//! ```
//!
//! # States and requisites
//!
//! Each common Salt state function has a typed builder named after it:
//! [`FileManaged`] for `file.managed`, [`CronPresent`] for `cron.present`,
//! [`IptablesAppend`] for `iptables.append` and so on. Required arguments
//! are constructor arguments; optional ones are methods taking typed values
//! (`bool`, `u32`, and enums such as [`LineMode`] where Salt takes a fixed
//! set of words). [`State::new`] with [`State::arg`] covers every other
//! function.
//!
//! `State` and every builder share the requisite methods: `require`,
//! `watch`, `onchanges`, `onfail`, `prereq`, `uses` (Salt's `use`) and
//! `listen`; their reverse forms, named for what happens to the target:
//! `required_by`, `watched_by`, `triggers` (`onchanges_in`),
//! `on_failure_triggers` (`onfail_in`), `prerequisite_of` (`prereq_in`),
//! `used_by` and `listened_by`; and `require_any`, `watch_any`,
//! `onchanges_any` and `onfail_any`, which take several targets.
//!
//! # What rendering checks
//!
//! Role names and minion ids must be simple names; within a role, states
//! may share an id only when their modules differ (`pkg.installed` and
//! `service.running` both for `nginx`, written under one id as in Salt);
//! two roles one minion receives cannot use the same state id; every
//! requisite must point at a state the same minion receives (a requisite
//! into another role adds an `include` of that role, so each role SLS also
//! works on its own); state functions must be `module.function`; requisite
//! keywords cannot be passed as plain arguments.
//!
//! # YAML
//!
//! Every file starts with `#!yaml`, which selects Salt's YAML renderer alone:
//! Jinja never runs, so `{{`, `{%` and `{#` in data arrive untouched. Salt
//! loads YAML 1.1, where `yes`, `0644`, `1_000` or `2024-01-02` are not
//! strings; strings are therefore written plain only when unmistakable, and
//! quoted (or as literal block scalars for multi-line text) otherwise, so
//! Salt reads back exactly the string that was given. File modes are
//! written as quoted octal strings such as `'0644'`.
//!
//! # Existing formulas
//!
//! [`read`] brings plain-YAML formulas in: each SLS file becomes a role
//! made with [`Role::at_sls`], which keeps the formula's SLS name (like
//! `nginx.config`) and its own `include` list instead of `roles.<name>`,
//! and the top file's targets become [`SaltTree::target`] entries with a
//! [`Matcher`]. Rendering such a tree gives files Salt compiles to the same
//! highstate.
//!
//! # Running Salt
//!
//! [`runner::SaltCall`] runs a rendered tree with a masterless `salt-call
//! --local` in a throwaway directory: [`show_sls`](runner::SaltCall::show_sls),
//! [`apply_test`](runner::SaltCall::apply_test),
//! [`apply`](runner::SaltCall::apply) and the pillar functions.
//! [`runner::SaltRunner`] is what applies a minion's highstate during an
//! apply; [`runner::LocalRunner`] does it with `salt-call --local`, and
//! [`ssh::SshRunner`] on remote machines with `salt-ssh` and a typed
//! [`ssh::Roster`].

mod machine;
mod state;
mod top;
mod tree;
mod value;
mod yaml;

pub mod read;
pub mod runner;
pub mod ssh;

pub use machine::{
    ConfiguredMachine, Deployed, DeployedLogin, DeployedMinion, DeployedSalt,
    Machine, MachineError, SshLogin, sdb_uri, synth, synth_deployed,
};
pub use state::{
    ArchiveExtracted, ArchiveFormat, CmdRun, CronAbsent, CronPresent,
    CronSpecial, FileAbsent, FileDirectory, FileLine, FileManaged, FileSymlink,
    FileTouch, FirewalldPresent, GitLatest, GroupAbsent, GroupPresent,
    IpFamily, IptablesAppend, IptablesTable, LineLocation, LineMode,
    MountMounted, PipInstalled, PkgInstalled, PkgLatest, PkgRemoved, Protocol,
    Requisite, ServiceDead, ServiceEnabled, ServiceRunning, State, StateError,
    StateRef, SysctlPresent, TimezoneSystem, UserAbsent, UserPresent,
};
pub use top::Matcher;
pub use tree::{CycleStep, Origin, Role, SaltTree, TreeError};
pub use value::{SaltValue, ValueError};
