//! Load balancing on the private cloud: HAProxy on a Proxmox VE VM,
//! installed and configured by a Salt role.

use std::collections::BTreeMap;

use onioncloud_core::{Component, Env, Handle, Input, Output, Secret, Value};
use onioncloud_salt::{
    CmdRun, FileDirectory, FileManaged, Machine, PkgInstalled, Role,
    ServiceRunning,
};

use super::private_database::{
    Problems, declare_vm, is_host, jinja_literal, jinja_secret, literal_number,
    literal_text, managed_header, proxmox_vm_methods, refused_role, role_name,
    vm_address,
};
use super::{Common, Compute, LoadBalancer, ProxmoxVm, main_resource};
use crate::private::proxmox;

/// The pillar key holding the backend servers: a list of maps with
/// `name`, `address` and `port`.
pub const HAPROXY_SERVERS_PILLAR: &str = "haproxy_servers";

/// The pillar key holding the `sdb://` URI of the TLS certificate: one PEM
/// with the certificate, its chain and the private key.
pub const HAPROXY_CERTIFICATE_PILLAR: &str = "haproxy_certificate";

/// The file HAProxy reads its configuration from.
pub const HAPROXY_CONFIG: &str = "/etc/haproxy/haproxy.cfg";

/// Where the role keeps the frontend's certificate and key.
pub const HAPROXY_CERTIFICATE: &str = "/etc/haproxy/certs/frontend.pem";

/// The TLS 1.2 cipher list of the frontend: forward-secret AEAD ciphers
/// only (Mozilla's "intermediate" configuration).
pub const HAPROXY_TLS12_CIPHERS: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:\
     ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:\
     ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:\
     ECDHE-RSA-CHACHA20-POLY1305";

/// The TLS 1.3 cipher suites of the frontend.
pub const HAPROXY_TLS13_CIPHERSUITES: &str = "TLS_AES_128_GCM_SHA256:\
     TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/// One backend server of a [`LoadBalancer<HaProxy>`].
#[derive(Clone, Debug)]
struct Server {
    /// The name as given.
    given: String,
    /// The name in HAProxy.
    name: String,
    address: Input<String>,
    port: Input<i64>,
}

/// The private-cloud settings of a [`LoadBalancer`]: a Proxmox VE VM
/// running HAProxy, installed and configured by Salt; see
/// [`LoadBalancer::haproxy`].
#[derive(Clone, Debug)]
pub struct HaProxy {
    vm: Compute<ProxmoxVm>,
    minion_id: Option<String>,
    deletion_protection: bool,
    servers: Vec<Server>,
    certificate: Option<Input<Secret>>,
    https_port: u16,
    http_redirect: bool,
    min_tls_version: String,
    hsts: bool,
    health_check_path: String,
}

impl LoadBalancer<HaProxy> {
    /// An HTTPS load balancer: HAProxy on a Proxmox VE VM on `node`, a
    /// full clone of the template with VM id `template_vm_id`, forwarding
    /// over HTTP to the servers given with [`backend`](Self::backend). The
    /// template must be Debian or Ubuntu with the QEMU guest agent and a
    /// Salt minion.
    ///
    /// The VM has the defaults of [`Compute::proxmox`]. The Salt role
    /// `haproxy-{name}` configures HAProxy with, by default: a frontend
    /// that speaks only TLS on port 443 (`ssl-default-bind-options
    /// ssl-min-ver TLSv1.2`, forward-secret ciphers, no session tickets,
    /// HSTS), port 80 answering only with a redirect to HTTPS, requests
    /// logged to syslog, servers health-checked at `/`. The certificate is
    /// self-signed, made on the VM, until
    /// [`certificate`](Self::certificate) gives one from a secret store.
    /// Every change of the configuration is checked with `haproxy -c`
    /// before HAProxy reloads. Terraform refuses to destroy the VM.
    ///
    /// A setting that the methods below refuse never reaches a file on the
    /// VM: the role then holds a single state that fails, naming the
    /// component and each value refused.
    pub fn haproxy(
        node: impl Into<Input<String>>,
        template_vm_id: impl Into<Input<i64>>,
    ) -> Self {
        Self {
            cloud: HaProxy {
                vm: Compute::proxmox(node, template_vm_id),
                minion_id: None,
                deletion_protection: true,
                servers: Vec::new(),
                certificate: None,
                https_port: 443,
                http_redirect: true,
                min_tls_version: "TLSv1.2".to_owned(),
                hsts: true,
                health_check_path: "/".to_owned(),
            },
            common: Common::default(),
        }
    }

    /// Adds a backend server: its name in HAProxy (letters, digits, `-`,
    /// `_` and `.`; others become `-`), not empty and distinct from the
    /// other servers' names once others have become `-`; its address, such
    /// as another component's `private_ip()`, or else an IP address or
    /// host name; and its port (1 to 65535). Addresses known only after
    /// apply reach the VM through pillar once they are known.
    pub fn backend(
        mut self,
        name: impl AsRef<str>,
        address: impl Into<Input<String>>,
        port: impl Into<Input<i64>>,
    ) -> Self {
        let given = name.as_ref().to_owned();
        let name = given
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        self.cloud.servers.push(Server {
            given,
            name,
            address: address.into(),
            port: port.into(),
        });
        self
    }

    /// The frontend's certificate: a secret holding one PEM with the
    /// certificate, its chain and the private key. It reaches the VM as an
    /// `sdb://` URI in pillar and is written readable by root only; by
    /// default the VM makes a self-signed one.
    pub fn certificate(mut self, pem: impl Into<Input<Secret>>) -> Self {
        self.cloud.certificate = Some(pem.into());
        self
    }

    /// The HTTPS port, 1 to 65535 and not 80 while port 80 redirects to
    /// HTTPS; 443 by default.
    pub fn https_port(mut self, port: u16) -> Self {
        self.cloud.https_port = port;
        self
    }

    /// Whether port 80 redirects to HTTPS; `true` by default. Without it
    /// port 80 is closed.
    pub fn http_redirect(mut self, on: bool) -> Self {
        self.cloud.http_redirect = on;
        self
    }

    /// The lowest TLS version offered (`ssl-min-ver`): `TLSv1.2`, the
    /// default, or `TLSv1.3`.
    pub fn min_tls_version(mut self, version: impl Into<String>) -> Self {
        self.cloud.min_tls_version = version.into();
        self
    }

    /// Whether responses carry `Strict-Transport-Security` (two years);
    /// `true` by default.
    pub fn hsts(mut self, on: bool) -> Self {
        self.cloud.hsts = on;
        self
    }

    /// The path of the servers' HTTP health check, with its query if any;
    /// `/` by default. It starts with `/` and holds only the characters of
    /// a URL path and query other than `#`, `$`, quotes and `\`.
    pub fn health_check_path(mut self, path: impl Into<String>) -> Self {
        self.cloud.health_check_path = path.into();
        self
    }
}

proxmox_vm_methods!(LoadBalancer, HaProxy);

/// What declaring a [`LoadBalancer<HaProxy>`] returns.
#[derive(Clone, Debug)]
pub struct HaProxyOutput {
    /// The VM, named after the component.
    pub vm: Handle<proxmox::VirtualEnvironmentVm>,
    /// The Salt role configuring HAProxy, attached to the VM.
    pub role: Role,
}

main_resource!(HaProxyOutput, vm);

impl HaProxyOutput {
    /// The VM's private address, as the guest agent reports it.
    pub fn private_ip(&self) -> Output<String> {
        vm_address(&self.vm)
    }

    /// The VM id.
    pub fn vm_id(&self) -> Output<i64> {
        self.vm.vm_id()
    }
}

impl Component for LoadBalancer<HaProxy> {
    type Output = HaProxyOutput;

    fn declare(self, env: &mut Env, name: &str) -> HaProxyOutput {
        let c = self.cloud;
        let problems = c.problems(name);
        problems.report(env);
        let role_name = role_name("haproxy", name);
        let role = if problems.is_empty() {
            haproxy_role(&role_name, &c)
        } else {
            refused_role(&role_name, &problems)
        };
        let vm =
            declare_vm(env, name, c.vm, &self.common, c.deletion_protection);
        let servers: Vec<Value> = c
            .servers
            .into_iter()
            .map(|server| {
                Value::Map(BTreeMap::from([
                    ("name".to_owned(), Value::String(server.name)),
                    ("address".to_owned(), server.address.into_value()),
                    ("port".to_owned(), server.port.into_value()),
                ]))
            })
            .collect();
        let servers = Input::<Vec<BTreeMap<String, String>>>::from_value(
            Value::List(servers),
        );
        let mut machine = Machine::new()
            .role(&role)
            .pillar(HAPROXY_SERVERS_PILLAR, servers);
        if let Some(certificate) = c.certificate {
            machine = machine.pillar(HAPROXY_CERTIFICATE_PILLAR, certificate);
        }
        if let Some(id) = c.minion_id {
            machine = machine.minion_id(id);
        }
        env.configure(&vm, machine);
        HaProxyOutput { vm, role }
    }
}

impl HaProxy {
    /// What is wrong with the settings of the load balancer `name`.
    fn problems(&self, name: &str) -> Problems {
        let mut problems = Problems::new("load balancer", name);
        let version = &self.min_tls_version;
        let supported = matches!(version.as_str(), "TLSv1.2" | "TLSv1.3");
        problems.check(supported, || {
            format!(
                "minimum TLS version {version:?} is not \"TLSv1.2\" or \
                 \"TLSv1.3\""
            )
        });
        problems.check(self.https_port != 0, || {
            "HTTPS port 0 is not a TCP port (1 to 65535)".to_owned()
        });
        problems.check(!(self.http_redirect && self.https_port == 80), || {
            "HTTPS port 80 is the port of the redirect to HTTPS: turn the \
             redirect off with `.http_redirect(false)` or choose another \
             port"
                .to_owned()
        });
        let path = &self.health_check_path;
        let path_ok = path.starts_with('/')
            && path.chars().all(|c| {
                c.is_ascii_alphanumeric() || "-._~!&()*+,;=:@/%?".contains(c)
            });
        problems.check(path_ok, || {
            format!(
                "health check path {path:?} is not a URL path starting \
                 with `/` (letters, digits and `-._~!&()*+,;=:@/%?`)"
            )
        });
        for (i, server) in self.servers.iter().enumerate() {
            let given = &server.given;
            problems.check(!given.is_empty(), || {
                "a backend server has an empty name".to_owned()
            });
            let clash = self.servers[..i]
                .iter()
                .find(|other| !given.is_empty() && other.name == server.name);
            if let Some(other) = clash {
                problems.add(format!(
                    "backend servers {:?} and {given:?} would both be named \
                     {:?} in HAProxy",
                    other.given, server.name
                ));
            }
            if let Some(address) = literal_text(&server.address) {
                problems.check(is_host(&address), || {
                    format!(
                        "the address {address:?} of backend server {given:?} \
                         is not an IP address or a host name"
                    )
                });
            }
            if let Some(port) = literal_number(&server.port) {
                let ok = port
                    .as_i64()
                    .is_some_and(|port| (1..=65535).contains(&port));
                problems.check(ok, || {
                    format!(
                        "the port {port} of backend server {given:?} is not \
                         a TCP port (1 to 65535)"
                    )
                });
            }
        }
        problems
    }
}

/// `haproxy.cfg`, a Jinja template: the servers come from pillar.
fn haproxy_config(name: &str, c: &HaProxy) -> String {
    let tls = format!("ssl-min-ver {} no-tls-tickets", c.min_tls_version);
    let mut text = managed_header("#", name);
    text.push_str(&format!(
        "global\n    \
             log /dev/log local0\n    \
             chroot /var/lib/haproxy\n    \
             stats socket /run/haproxy/admin.sock mode 660 level admin\n    \
             stats timeout 30s\n    \
             user haproxy\n    \
             group haproxy\n    \
             daemon\n    \
             ssl-default-bind-ciphers {HAPROXY_TLS12_CIPHERS}\n    \
             ssl-default-bind-ciphersuites {HAPROXY_TLS13_CIPHERSUITES}\n    \
             ssl-default-bind-options {tls}\n    \
             ssl-default-server-ciphers {HAPROXY_TLS12_CIPHERS}\n    \
             ssl-default-server-options {tls}\n\
         \n\
         defaults\n    \
             log global\n    \
             mode http\n    \
             option httplog\n    \
             option dontlognull\n    \
             option forwardfor\n    \
             timeout connect 5s\n    \
             timeout client 30s\n    \
             timeout server 30s\n    \
             timeout http-request 10s\n\
         \n\
         frontend https\n    \
             bind :{port} ssl crt {HAPROXY_CERTIFICATE} alpn h2,http/1.1\n",
        port = c.https_port,
    ));
    if c.http_redirect {
        text.push_str(
            "    bind :80\n    \
             http-request redirect scheme https code 301 unless { ssl_fc }\n",
        );
    }
    if c.hsts {
        text.push_str(
            "    http-response set-header Strict-Transport-Security \
             \"max-age=63072000\"\n",
        );
    }
    text.push_str(&format!(
        "    default_backend servers\n\
         \n\
         backend servers\n    \
             balance roundrobin\n    \
             option httpchk GET {}\n",
        c.health_check_path,
    ));
    let mut template = jinja_literal(&text);
    template.push_str(&format!(
        "{{%- for server in salt['pillar.get']('{HAPROXY_SERVERS_PILLAR}') \
         or [] %}}\n    \
         server {{{{ server['name'] }}}} \
         {{{{ server['address'] }}}}:{{{{ server['port'] }}}} check\n\
         {{%- endfor %}}\n"
    ));
    template
}

/// The Salt role that installs and configures HAProxy.
fn haproxy_role(name: &str, c: &HaProxy) -> Role {
    let mut role = Role::new(name);
    // State ids are unique across a Salt tree, and one tree may hold the
    // roles of several such machines: each id carries the role's name.
    let id = |local: &str| format!("{name}-{local}");
    let package = role.add(PkgInstalled::new("haproxy").id(id("package")));
    let certs = role.add(
        FileDirectory::new("/etc/haproxy/certs")
            .id(id("certificate-dir"))
            .user("root")
            .group("root")
            .mode(0o700)
            .makedirs(true)
            .require(&package),
    );
    let certificate = match c.certificate {
        Some(_) => role.add(
            FileManaged::new(HAPROXY_CERTIFICATE)
                .id(id("certificate"))
                .contents(format!(
                    "{}{{{{ certificate }}}}\n",
                    jinja_secret(HAPROXY_CERTIFICATE_PILLAR, "certificate")
                ))
                .arg("template", "jinja")
                .arg("show_changes", false)
                .user("root")
                .group("root")
                .mode(0o600)
                .require(&certs),
        ),
        None => {
            let openssl =
                role.add(PkgInstalled::new("openssl").id(id("openssl")));
            role.add(
                CmdRun::new(format!(
                    "openssl req -x509 -newkey ec -pkeyopt \
                     ec_paramgen_curve:prime256v1 -nodes -days 825 -subj \
                     /CN={name} -keyout {HAPROXY_CERTIFICATE}.key -out \
                     {HAPROXY_CERTIFICATE}.crt && cat \
                     {HAPROXY_CERTIFICATE}.crt {HAPROXY_CERTIFICATE}.key > \
                     {HAPROXY_CERTIFICATE} && rm \
                     {HAPROXY_CERTIFICATE}.crt {HAPROXY_CERTIFICATE}.key"
                ))
                .id(id("self-signed-certificate"))
                .creates(HAPROXY_CERTIFICATE)
                .arg("umask", "077")
                .require(&certs)
                .require(&openssl),
            )
        }
    };
    let config = role.add(
        FileManaged::new(HAPROXY_CONFIG)
            .id(id("config"))
            .contents(haproxy_config(name, c))
            .arg("template", "jinja")
            .arg("check_cmd", "haproxy -c -f")
            .user("root")
            .group("haproxy")
            .mode(0o640)
            .require(&package)
            .require(&certificate),
    );
    let check = role.add(
        CmdRun::new(format!("haproxy -c -f {HAPROXY_CONFIG}"))
            .id(id("config-check"))
            .onchanges(&config)
            .onchanges(&certificate),
    );
    role.add(
        ServiceRunning::new("haproxy")
            .id(id("service"))
            .enable(true)
            .reload(true)
            .require(&check)
            .watch(&config)
            .watch(&certificate),
    );
    role
}
