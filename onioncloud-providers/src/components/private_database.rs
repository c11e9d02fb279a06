//! PostgreSQL on the private cloud: a Proxmox VE VM that a Salt role turns
//! into a database server.
//!
//! Also the pieces the private cloud's components share: the settings of
//! their VM and the escaping of literal text in Jinja-templated files.

use std::net::IpAddr;

use onioncloud_core::{
    Component, Env, Handle, Input, Output, Secret, Value, concat,
};
use onioncloud_salt::{
    FileDirectory, FileManaged, Machine, PkgInstalled, Role, ServiceRunning,
    State,
};

use super::{Common, Compute, Database, ProxmoxVm, main_resource};
use crate::private::proxmox;

/// Private IPv4 networks (RFC 1918): where a private-cloud database accepts
/// clients from by default.
pub const PRIVATE_NETWORKS: [&str; 3] =
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/// The pillar key holding the addresses PostgreSQL listens on.
pub const POSTGRES_LISTEN_PILLAR: &str = "postgres_listen_addresses";

/// The pillar key holding the `sdb://` URI of the `postgres` user's
/// password.
pub const POSTGRES_PASSWORD_PILLAR: &str = "postgres_password";

/// Literal text for a file that Salt renders with Jinja: every `{` becomes
/// `{{ '{' }}`, so that no `{{`, `{%` or `{#` in it starts a Jinja tag.
pub(super) fn jinja_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '{' {
            out.push_str("{{ '{' }}");
        } else {
            out.push(c);
        }
    }
    out
}

/// Jinja that writes the secret whose `sdb://` URI is in pillar `key`, and
/// fails the state when the minion cannot resolve it (no sdb profile), so
/// that a URI is never written in place of the secret.
pub(super) fn jinja_secret(key: &str, variable: &str) -> String {
    format!(
        "{{%- set {variable} = salt['config.get']('{key}') %}}\n\
         {{%- if not {variable} or {variable}.startswith('sdb://') %}}\
         {{{{ raise('pillar {key} did not resolve to a secret: is the \
         sdb profile configured on the minion?') }}}}\
         {{%- endif -%}}\n"
    )
}

/// The first line of every file a private-cloud component manages.
pub(super) fn managed_header(comment: &str, role: &str) -> String {
    format!(
        "{comment} Managed by OnionCloud (Salt role {role}): local changes \
         are overwritten.\n"
    )
}

/// A Salt role name for a component: `{prefix}-{name}`, with every
/// character other than an ASCII letter, digit, `_` or `-` turned into `-`.
/// A name longer than Salt's 64 characters keeps its first 55 and ends
/// with a hash of the whole component name, so that two long names that
/// share a beginning still get two roles.
pub(super) fn role_name(prefix: &str, name: &str) -> String {
    let role: String = format!("{prefix}-{name}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if role.len() <= 64 {
        return role;
    }
    // Only ASCII is left, so every index is a character boundary.
    format!("{}-{:08x}", &role[..55], fnv1a(name.as_bytes()))
}

/// The 32-bit FNV-1a hash: stable across Rust releases, unlike the
/// standard library's hasher.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}

/// The problems found in the settings of one component.
pub(super) struct Problems {
    component: String,
    found: Vec<String>,
}

impl Problems {
    /// No problems yet with the component `name` of kind `kind`, such as
    /// `database`.
    pub(super) fn new(kind: &str, name: &str) -> Self {
        Self {
            component: format!("{kind} {name:?}"),
            found: Vec::new(),
        }
    }

    /// Records `problem`, a sentence naming the value at fault.
    pub(super) fn add(&mut self, problem: String) {
        self.found.push(problem);
    }

    /// Records `problem` unless `ok`.
    pub(super) fn check(&mut self, ok: bool, problem: impl FnOnce() -> String) {
        if !ok {
            self.add(problem());
        }
    }

    /// Whether nothing was found.
    pub(super) fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Reports every problem to `env`, so that it fails to compile at the
    /// line that declared the component.
    #[track_caller]
    pub(super) fn report(&self, env: &mut Env) {
        for problem in &self.found {
            env.report(self.component.clone(), problem.clone());
        }
    }

    /// Each problem, in the order found, after the component's kind and
    /// name: `database "orders": port 0 is not a TCP port (1 to 65535)`.
    pub(super) fn sentences(&self) -> Vec<String> {
        self.found
            .iter()
            .map(|problem| format!("{}: {problem}", self.component))
            .collect()
    }
}

/// The role of a component whose settings were refused: a single state
/// that fails, naming the problems, and nothing else, so that no refused
/// value reaches a configuration file.
pub(super) fn refused_role(name: &str, problems: &Problems) -> Role {
    let mut role = Role::new(name);
    role.add(
        State::new("onioncloud-refused-settings", "test.fail_without_changes")
            .arg("name", format!("OnionCloud refused the settings of {name}"))
            .arg("comment", problems.sentences().join("\n")),
    );
    role
}

/// Whether `text` holds a control character, such as a line break.
fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Whether `text` is an IP address or a DNS host name.
pub(super) fn is_host(text: &str) -> bool {
    if text.parse::<IpAddr>().is_ok() {
        return true;
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Whether `text` is a network in CIDR notation: an IPv4 or IPv6 address,
/// `/`, and a prefix length that fits the address.
fn is_cidr(text: &str) -> bool {
    let Some((address, prefix)) = text.split_once('/') else {
        return false;
    };
    let Ok(address) = address.parse::<IpAddr>() else {
        return false;
    };
    let max = if address.is_ipv4() { 32 } else { 128 };
    (1..=3).contains(&prefix.len())
        && prefix.chars().all(|c| c.is_ascii_digit())
        && prefix.parse::<u8>().is_ok_and(|prefix| prefix <= max)
}

/// The literal text of an input, when it is one (not a reference).
pub(super) fn literal_text(input: &Input<String>) -> Option<String> {
    match input.clone().into_value() {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// The literal number of an input, when it is one (not a reference).
pub(super) fn literal_number(input: &Input<i64>) -> Option<serde_json::Number> {
    match input.clone().into_value() {
        Value::Number(number) => Some(number),
        _ => None,
    }
}

/// Delegates the VM settings of a private-cloud component to the
/// [`Compute<ProxmoxVm>`] it holds in `self.cloud.vm`, and adds
/// `minion_id`.
macro_rules! proxmox_vm_methods {
    ($component:ident, $settings:ty) => {
        impl $component<$settings> {
            /// The VM's name in Proxmox; by default the component's name,
            /// lowercased, with other characters than letters and digits
            /// turned into hyphens.
            pub fn vm_name(mut self, name: impl Into<String>) -> Self {
                self.cloud.vm = self.cloud.vm.vm_name(name);
                self
            }

            /// A fixed VM id; the next free one when unset.
            pub fn vm_id(
                mut self,
                id: impl Into<onioncloud_core::Input<i64>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.vm_id(id);
                self
            }

            /// The node holding the template, when not the VM's node.
            pub fn template_node(
                mut self,
                node: impl Into<onioncloud_core::Input<String>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.template_node(node);
                self
            }

            /// Cores; 2 by default.
            pub fn cores(
                mut self,
                cores: impl Into<onioncloud_core::Input<i64>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.cores(cores);
                self
            }

            /// Dedicated memory in MB; 2048 by default.
            pub fn memory_mb(
                mut self,
                memory: impl Into<onioncloud_core::Input<i64>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.memory_mb(memory);
                self
            }

            /// The size in GB of the first SCSI disk (`scsi0`); the
            /// template's when unset.
            pub fn disk_gb(
                mut self,
                size: impl Into<onioncloud_core::Input<i64>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.disk_gb(size);
                self
            }

            /// The datastore for the clone's disks, such as `local-lvm`.
            pub fn datastore(
                mut self,
                datastore: impl Into<onioncloud_core::Input<String>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.datastore(datastore);
                self
            }

            /// The bridge of the network device; `vmbr0` by default.
            pub fn bridge(
                mut self,
                bridge: impl Into<onioncloud_core::Input<String>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.bridge(bridge);
                self
            }

            /// The VLAN tag of the network device.
            pub fn vlan(
                mut self,
                vlan: impl Into<onioncloud_core::Input<i64>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.vlan(vlan);
                self
            }

            /// Whether Proxmox's firewall filters the network device;
            /// `true` by default.
            pub fn firewall(mut self, on: bool) -> Self {
                self.cloud.vm = self.cloud.vm.firewall(on);
                self
            }

            /// A static IPv4 address in CIDR notation and its gateway,
            /// instead of DHCP.
            pub fn static_ipv4(
                mut self,
                address: impl Into<onioncloud_core::Input<String>>,
                gateway: impl Into<onioncloud_core::Input<String>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.static_ipv4(address, gateway);
                self
            }

            /// The user cloud-init creates.
            pub fn user(
                mut self,
                name: impl Into<onioncloud_core::Input<String>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.user(name);
                self
            }

            /// SSH public keys authorized for the user.
            pub fn ssh_keys(
                mut self,
                keys: impl Into<onioncloud_core::Input<Vec<String>>>,
            ) -> Self {
                self.cloud.vm = self.cloud.vm.ssh_keys(keys);
                self
            }

            /// The VM's Salt minion id; by default the component's name.
            pub fn minion_id(mut self, id: impl Into<String>) -> Self {
                self.cloud.minion_id = Some(id.into());
                self
            }

            /// Whether Terraform refuses to destroy the VM
            /// (`lifecycle.prevent_destroy`); `true` by default.
            pub fn deletion_protection(mut self, on: bool) -> Self {
                self.cloud.deletion_protection = on;
                self
            }
        }
    };
}
pub(super) use proxmox_vm_methods;

/// Declares the VM of a private-cloud component with the component's
/// meta-arguments, `prevent_destroy` added under deletion protection.
#[track_caller]
pub(super) fn declare_vm(
    env: &mut Env,
    name: &str,
    vm: Compute<ProxmoxVm>,
    common: &Common,
    deletion_protection: bool,
) -> Handle<proxmox::VirtualEnvironmentVm> {
    let mut meta = common.main_meta();
    if deletion_protection {
        meta.lifecycle.prevent_destroy = true;
    }
    env.component(name, vm.meta(meta)).vm
}

/// The address the guest agent reports for a VM: the first IPv4 address
/// of the first interface after loopback.
pub(super) fn vm_address(
    vm: &Handle<proxmox::VirtualEnvironmentVm>,
) -> Output<String> {
    vm.ipv4_addresses().index(1).index(0)
}

// ------------------------------------------------- PostgreSQL on Proxmox --

/// The private-cloud settings of a [`Database`]: a Proxmox VE VM with
/// PostgreSQL installed and configured by Salt; see
/// [`Database::proxmox_postgres`].
///
/// # Example
///
/// ```
/// use onioncloud_core::{Env, SecretRef};
/// use onioncloud_providers::components::*;
///
/// let mut env = Env::new("dc1");
/// let db = env.component(
///     "orders",
///     Database::proxmox_postgres("16", "pve1", 9000)
///         .password(SecretRef::vault("secret", "orders-db", "password")),
/// );
/// let web = env.component("web", Compute::proxmox("pve1", 9000));
/// let lb = env.component(
///     "edge",
///     LoadBalancer::haproxy("pve1", 9000)
///         .backend("web", web.private_ip(), 8080),
/// );
/// env.output::<String>("db_host", db.host());
/// env.output::<String>("lb_ip", lb.private_ip());
///
/// let compiled = env.compile().expect("compiles");
/// let salt = onioncloud_salt::synth(&compiled).expect("salt renders");
/// let pillar = &salt[std::path::Path::new("pillar/minions/orders.sls")];
/// assert!(pillar.contains("'sdb://vault/secret/orders-db/password'"));
/// ```
#[derive(Clone, Debug)]
pub struct ProxmoxPostgres {
    vm: Compute<ProxmoxVm>,
    minion_id: Option<String>,
    deletion_protection: bool,
    version: String,
    port: u16,
    listen_addresses: Option<Input<String>>,
    allowed_cidrs: Vec<String>,
    require_tls: bool,
    password: Option<Input<Secret>>,
    log_connections: bool,
    settings: Vec<(String, String)>,
    backups: bool,
    backup_dir: String,
    backup_retention_days: u32,
    backup_schedule: String,
}

impl Database<ProxmoxPostgres> {
    /// PostgreSQL of major version `version` (such as `16`) on a Proxmox VE
    /// VM on `node`, a full clone of the template with VM id
    /// `template_vm_id`. The template must be Debian or Ubuntu with the
    /// QEMU guest agent and a Salt minion, and its package sources must
    /// offer `postgresql-{version}` (Debian's own, or the PostgreSQL
    /// project's `apt.postgresql.org`).
    ///
    /// The VM has the defaults of [`Compute::proxmox`]. The Salt role
    /// `postgres-{name}` configures the server with, by default:
    /// listening only on the VM's private address, passwords stored as
    /// `scram-sha-256`, TLS on (`ssl = on`, at least TLS 1.2, Debian's
    /// `ssl-cert` certificate unless [`setting`](Self::setting) names
    /// another) and required of every remote client, which must come from
    /// a private network ([`PRIVATE_NETWORKS`]); connections logged; a
    /// daily `pg_dump` of every database into `/var/backups/postgresql`,
    /// kept seven days. Terraform refuses to destroy the VM. The
    /// `postgres` user has a password only once
    /// [`password`](Self::password) gives a secret reference; it then
    /// reaches the VM as an `sdb://` URI in pillar, never as text.
    ///
    /// `version` is digits, optionally followed by `.` and digits. A
    /// setting that the methods below refuse never reaches a file on the
    /// VM: the role then holds a single state that fails, naming the
    /// component and each value refused.
    pub fn proxmox_postgres(
        version: impl Into<String>,
        node: impl Into<Input<String>>,
        template_vm_id: impl Into<Input<i64>>,
    ) -> Self {
        Self {
            cloud: ProxmoxPostgres {
                vm: Compute::proxmox(node, template_vm_id),
                minion_id: None,
                deletion_protection: true,
                version: version.into(),
                port: 5432,
                listen_addresses: None,
                allowed_cidrs: PRIVATE_NETWORKS.map(str::to_owned).to_vec(),
                require_tls: true,
                password: None,
                log_connections: true,
                settings: Vec::new(),
                backups: true,
                backup_dir: "/var/backups/postgresql".to_owned(),
                backup_retention_days: 7,
                backup_schedule: "*-*-* 03:15:00".to_owned(),
            },
            common: Common::default(),
        }
    }

    /// The `postgres` user's password, from a secret store such as
    /// `SecretRef::vault("secret", "orders-db")`. It is written into
    /// pillar as an `sdb://` URI that the minion resolves (its sdb profile
    /// must be configured), and set with `ALTER ROLE` from a file only
    /// `postgres` can read.
    pub fn password(mut self, password: impl Into<Input<Secret>>) -> Self {
        self.cloud.password = Some(password.into());
        self
    }

    /// What PostgreSQL listens on (`listen_addresses`): a comma-separated
    /// list of IP addresses and host names, or `*`; by default the VM's
    /// private address, as the guest agent reports it. Until that is known
    /// the server listens on `localhost` only.
    pub fn listen_addresses(
        mut self,
        addresses: impl Into<Input<String>>,
    ) -> Self {
        self.cloud.listen_addresses = Some(addresses.into());
        self
    }

    /// The TCP port, 1 to 65535; 5432 by default.
    pub fn port(mut self, port: u16) -> Self {
        self.cloud.port = port;
        self
    }

    /// The networks remote clients may connect from, in CIDR notation (an
    /// IPv4 or IPv6 address, `/`, a prefix length); [`PRIVATE_NETWORKS`]
    /// by default.
    pub fn allowed_cidrs<I>(
        mut self,
        cidrs: impl IntoIterator<Item = I>,
    ) -> Self
    where
        I: Into<String>,
    {
        self.cloud.allowed_cidrs = cidrs.into_iter().map(Into::into).collect();
        self
    }

    /// Whether remote clients must use TLS (`hostssl` lines in
    /// `pg_hba.conf`, and plain connections rejected); `true` by default.
    /// The server offers TLS either way.
    pub fn require_tls(mut self, on: bool) -> Self {
        self.cloud.require_tls = on;
        self
    }

    /// Whether connections and disconnections are logged; `true` by
    /// default.
    pub fn log_connections(mut self, on: bool) -> Self {
        self.cloud.log_connections = on;
        self
    }

    /// Sets a `postgresql.conf` parameter, such as
    /// `.setting("shared_buffers", "512MB")`; the value is quoted and must
    /// hold no line break or other control character. The name is a
    /// lowercase PostgreSQL parameter name (`[a-z_][a-z0-9_.]*`) other than
    /// those in [`POSTGRES_RESERVED_SETTINGS`]: set `listen_addresses`
    /// with [`listen_addresses`](Self::listen_addresses), the port with
    /// [`port`](Self::port), and so on.
    pub fn setting(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.cloud.settings.push((name.into(), value.into()));
        self
    }

    /// Whether the daily `pg_dump` runs; `true` by default. Turning it off
    /// stops and disables the timer; the dumps already taken stay.
    pub fn backups(mut self, on: bool) -> Self {
        self.cloud.backups = on;
        self
    }

    /// Where dumps are written, an absolute path; `/var/backups/postgresql`
    /// by default.
    pub fn backup_dir(mut self, directory: impl Into<String>) -> Self {
        self.cloud.backup_dir = directory.into();
        self
    }

    /// Days dumps are kept; 7 by default.
    pub fn backup_retention_days(mut self, days: u32) -> Self {
        self.cloud.backup_retention_days = days;
        self
    }

    /// When dumps are taken, as a systemd `OnCalendar` expression made of
    /// letters, digits, spaces and `*-:.,/~_+`; `*-*-* 03:15:00` (daily at
    /// 03:15) by default.
    pub fn backup_schedule(mut self, calendar: impl Into<String>) -> Self {
        self.cloud.backup_schedule = calendar.into();
        self
    }
}

proxmox_vm_methods!(Database, ProxmoxPostgres);

/// What declaring a [`Database<ProxmoxPostgres>`] returns.
#[derive(Clone, Debug)]
pub struct ProxmoxPostgresOutput {
    /// The VM, named after the component.
    pub vm: Handle<proxmox::VirtualEnvironmentVm>,
    /// The Salt role configuring PostgreSQL, attached to the VM.
    pub role: Role,
    port: u16,
}

main_resource!(ProxmoxPostgresOutput, vm);

impl ProxmoxPostgresOutput {
    /// The VM's private address, as the guest agent reports it.
    pub fn host(&self) -> Output<String> {
        vm_address(&self.vm)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The endpoint, `host:port`.
    pub fn endpoint(&self) -> Output<String> {
        concat([
            Input::from(self.host()),
            Input::from(format!(":{}", self.port)),
        ])
    }

    /// The VM id.
    pub fn vm_id(&self) -> Output<i64> {
        self.vm.vm_id()
    }
}

impl Component for Database<ProxmoxPostgres> {
    type Output = ProxmoxPostgresOutput;

    fn declare(self, env: &mut Env, name: &str) -> ProxmoxPostgresOutput {
        let c = self.cloud;
        let problems = c.problems(name);
        problems.report(env);
        let role_name = role_name("postgres", name);
        let role = if problems.is_empty() {
            postgres_role(&role_name, &c)
        } else {
            refused_role(&role_name, &problems)
        };
        let vm =
            declare_vm(env, name, c.vm, &self.common, c.deletion_protection);
        let listen = c
            .listen_addresses
            .unwrap_or_else(|| Input::from(vm_address(&vm)));
        let mut machine = Machine::new()
            .role(&role)
            .pillar(POSTGRES_LISTEN_PILLAR, listen);
        if let Some(password) = c.password {
            machine = machine.pillar(POSTGRES_PASSWORD_PILLAR, password);
        }
        if let Some(id) = c.minion_id {
            machine = machine.minion_id(id);
        }
        env.configure(&vm, machine);
        ProxmoxPostgresOutput {
            vm,
            role,
            port: c.port,
        }
    }
}

/// The `postgresql.conf` parameters that [`Database::setting`] refuses:
/// those a named method sets, those that would move the files the role
/// manages out of the way, and the `include` directives.
///
/// [`Database::setting`]: Database::setting
pub const POSTGRES_RESERVED_SETTINGS: [&str; 14] = [
    "listen_addresses",
    "port",
    "ssl",
    "ssl_min_protocol_version",
    "password_encryption",
    "log_connections",
    "log_disconnections",
    "config_file",
    "data_directory",
    "hba_file",
    "ident_file",
    "include",
    "include_dir",
    "include_if_exists",
];

impl ProxmoxPostgres {
    /// What is wrong with the settings of the database `name`.
    fn problems(&self, name: &str) -> Problems {
        let mut problems = Problems::new("database", name);
        let version = &self.version;
        let (major, minor) =
            version.split_once('.').unwrap_or((version.as_str(), "0"));
        let digits = |part: &str| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_digit())
        };
        problems.check(digits(major) && digits(minor), || {
            format!(
                "PostgreSQL version {version:?} is not a major version \
                 such as \"16\" (digits, optionally `.` and digits)"
            )
        });
        problems.check(self.port != 0, || {
            "port 0 is not a TCP port (1 to 65535)".to_owned()
        });
        if let Some(listen) =
            self.listen_addresses.as_ref().and_then(literal_text)
        {
            let ok = !listen.trim().is_empty()
                && listen
                    .split(',')
                    .map(str::trim)
                    .all(|address| address == "*" || is_host(address));
            problems.check(ok, || {
                format!(
                    "listen_addresses {listen:?} is not `*` or a \
                     comma-separated list of addresses and host names"
                )
            });
        }
        for cidr in &self.allowed_cidrs {
            problems.check(is_cidr(cidr), || {
                format!(
                    "allowed CIDR {cidr:?} is not an IPv4 or IPv6 network \
                     in CIDR notation, such as \"10.0.0.0/8\""
                )
            });
        }
        for (key, value) in &self.settings {
            let identifier = key
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && key.chars().all(|c| {
                    c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || matches!(c, '_' | '.')
                });
            problems.check(identifier, || {
                format!(
                    "setting name {key:?} is not a PostgreSQL parameter \
                     name (a lowercase letter or `_`, then lowercase \
                     letters, digits, `_` and `.`)"
                )
            });
            problems.check(
                !POSTGRES_RESERVED_SETTINGS.contains(&key.as_str()),
                || {
                    format!(
                        "setting {key:?} cannot be set with `.setting(..)`: \
                         use its own method, if it has one"
                    )
                },
            );
            problems.check(!has_control(value), || {
                format!(
                    "the value {value:?} of setting {key:?} holds a line \
                     break or another control character"
                )
            });
        }
        let dir = &self.backup_dir;
        problems.check(dir.starts_with('/') && !has_control(dir), || {
            format!(
                "backup directory {dir:?} is not an absolute path without \
                 control characters"
            )
        });
        let schedule = &self.backup_schedule;
        let calendar = !schedule.trim().is_empty()
            && schedule
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " *-:.,/~_+".contains(c));
        problems.check(calendar, || {
            format!(
                "backup schedule {schedule:?} is not a systemd OnCalendar \
                 expression (letters, digits, spaces and `*-:.,/~_+`)"
            )
        });
        problems
    }
}

/// A `postgresql.conf` value, single-quoted; PostgreSQL reads a backslash
/// in it as an escape, so backslashes are doubled too.
fn pg_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// The Salt role that installs and configures PostgreSQL.
fn postgres_role(name: &str, c: &ProxmoxPostgres) -> Role {
    let version = &c.version;
    let etc = format!("/etc/postgresql/{version}/main");
    let mut role = Role::new(name);
    // State ids are unique across a Salt tree, and one tree may hold the
    // roles of several such machines: each id carries the role's name.
    let id = |local: &str| format!("{name}-{local}");

    let package = role.add(
        PkgInstalled::new(format!("postgresql-{version}")).id(id("package")),
    );

    let on_off = |on: bool| if on { "on" } else { "off" };
    let mut conf = managed_header("#", name);
    conf.push_str(&format!(
        "port = {port}\n\
         password_encryption = scram-sha-256\n\
         ssl = on\n\
         ssl_min_protocol_version = 'TLSv1.2'\n\
         log_connections = {log}\n\
         log_disconnections = {log}\n",
        port = c.port,
        log = on_off(c.log_connections),
    ));
    for (key, value) in &c.settings {
        conf.push_str(&format!("{key} = {}\n", pg_quote(value)));
    }
    let conf = role.add(
        FileManaged::new(format!("{etc}/conf.d/50-onioncloud.conf"))
            .id(id("conf"))
            .contents(conf)
            .user("postgres")
            .group("postgres")
            .mode(0o644)
            .makedirs(true)
            .require(&package),
    );

    // The address is known only once the VM exists: it comes from pillar,
    // and until then the server stays on localhost.
    let listen = format!(
        "{}listen_addresses = '{{{{ \
         salt['pillar.get']('{POSTGRES_LISTEN_PILLAR}') or 'localhost' \
         }}}}'\n",
        jinja_literal(&managed_header("#", name)),
    );
    let listen = role.add(
        FileManaged::new(format!("{etc}/conf.d/51-onioncloud-listen.conf"))
            .id(id("listen-conf"))
            .contents(listen)
            .arg("template", "jinja")
            .user("postgres")
            .group("postgres")
            .mode(0o644)
            .makedirs(true)
            .require(&package),
    );

    let remote = if c.require_tls { "hostssl" } else { "host" };
    let mut hba = managed_header("#", name);
    hba.push_str(
        "# TYPE    DATABASE  USER  ADDRESS  METHOD\n\
         local     all       all            peer\n",
    );
    for cidr in &c.allowed_cidrs {
        hba.push_str(&format!(
            "{remote:<9} all       all   {cidr}  scram-sha-256\n"
        ));
    }
    if c.require_tls {
        hba.push_str(
            "hostnossl all       all   0.0.0.0/0  reject\n\
             hostnossl all       all   ::/0  reject\n",
        );
    }
    let hba = role.add(
        FileManaged::new(format!("{etc}/pg_hba.conf"))
            .id(id("hba"))
            .contents(hba)
            .user("postgres")
            .group("postgres")
            .mode(0o640)
            .makedirs(true)
            .require(&package),
    );

    let service = role.add(
        ServiceRunning::new("postgresql")
            .id(id("service"))
            .enable(true)
            .require(&package)
            .watch(&conf)
            .watch(&listen)
            .watch(&hba),
    );

    if c.password.is_some() {
        let sql = format!("{etc}/onioncloud-password.sql");
        let contents = format!(
            "{}{}ALTER ROLE postgres WITH PASSWORD \
             '{{{{ password | replace(\"'\", \"''\") }}}}';\n",
            jinja_secret(POSTGRES_PASSWORD_PILLAR, "password"),
            jinja_literal(&managed_header("--", name)),
        );
        let file = role.add(
            FileManaged::new(sql.clone())
                .id(id("password-file"))
                .contents(contents)
                .arg("template", "jinja")
                .arg("show_changes", false)
                .user("postgres")
                .group("postgres")
                .mode(0o600)
                .require(&package),
        );
        role.add(
            State::new(id("password"), "cmd.run")
                .arg(
                    "name",
                    format!(
                        "psql -X -q -v ON_ERROR_STOP=1 -p {} -f {sql}",
                        c.port
                    ),
                )
                .arg("runas", "postgres")
                .onchanges(&file)
                .require(&service),
        );
    }

    add_backup_states(&mut role, name, c, &package, &service);
    role
}

/// The daily `pg_dump` (a script, a systemd service and its timer), or the
/// timer stopped when backups are off.
fn add_backup_states(
    role: &mut Role,
    name: &str,
    c: &ProxmoxPostgres,
    package: &onioncloud_salt::StateRef,
    service: &onioncloud_salt::StateRef,
) {
    let role_name = role.name().to_owned();
    let id = |local: &str| format!("{role_name}-{local}");
    const UNIT: &str = "onioncloud-postgres-backup";
    let timer = format!("{UNIT}.timer");
    if !c.backups {
        role.add(
            State::new(id("backup-timer-off"), "service.dead")
                .arg("name", timer)
                .arg("enable", false),
        );
        return;
    }
    let dir = &c.backup_dir;
    let directory = role.add(
        FileDirectory::new(dir.clone())
            .id(id("backup-dir"))
            .user("postgres")
            .group("postgres")
            .mode(0o700)
            .makedirs(true)
            .require(package),
    );
    let script_path = format!("/usr/local/sbin/{UNIT}");
    let script = format!(
        "#!/bin/sh\n\
         {header}\
         # A pg_dump of every database, and pg_dumpall of the roles, into\n\
         # {dir}; dumps older than {days} days are removed.\n\
         set -eu\n\
         umask 077\n\
         dir={dir_q}\n\
         stamp=$(date +%Y%m%dT%H%M%S)\n\
         psql -X -A -t -c 'SELECT datname FROM pg_database WHERE \
         datallowconn AND NOT datistemplate' |\n\
         while read -r db; do\n    \
             pg_dump -F c -f \"$dir/$db-$stamp.dump\" \"$db\"\n\
         done\n\
         pg_dumpall --globals-only -f \"$dir/globals-$stamp.sql\"\n\
         find \"$dir\" -maxdepth 1 -type f \\( -name '*.dump' -o -name \
         '*.sql' \\) -mtime +{days} -delete\n",
        header = managed_header("#", name),
        dir_q = shell_quote(dir),
        days = c.backup_retention_days,
    );
    let script = role.add(
        FileManaged::new(script_path.clone())
            .id(id("backup-script"))
            .contents(script)
            .user("root")
            .group("root")
            .mode(0o755),
    );
    let unit = role.add(
        FileManaged::new(format!("/etc/systemd/system/{UNIT}.service"))
            .id(id("backup-service-unit"))
            .contents(format!(
                "{header}\
                 [Unit]\n\
                 Description=Daily pg_dump of every database\n\
                 After=postgresql.service\n\
                 \n\
                 [Service]\n\
                 Type=oneshot\n\
                 User=postgres\n\
                 Environment=PGPORT={port}\n\
                 ExecStart={script_path}\n",
                header = managed_header("#", name),
                port = c.port,
            ))
            .user("root")
            .group("root")
            .mode(0o644)
            .require(&script)
            .require(&directory),
    );
    let timer_unit = role.add(
        FileManaged::new(format!("/etc/systemd/system/{timer}"))
            .id(id("backup-timer-unit"))
            .contents(format!(
                "{header}\
                 [Unit]\n\
                 Description=Daily pg_dump of every database\n\
                 \n\
                 [Timer]\n\
                 OnCalendar={calendar}\n\
                 RandomizedDelaySec=10min\n\
                 Persistent=true\n\
                 \n\
                 [Install]\n\
                 WantedBy=timers.target\n",
                header = managed_header("#", name),
                calendar = c.backup_schedule,
            ))
            .user("root")
            .group("root")
            .mode(0o644)
            .require(&unit),
    );
    role.add(
        ServiceRunning::new(timer)
            .id(id("backup-timer"))
            .enable(true)
            .require(service)
            .watch(&unit)
            .watch(&timer_unit),
    );
}

/// A word for `sh`, single-quoted.
pub(super) fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}
