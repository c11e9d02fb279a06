//! The private cloud's components: PostgreSQL and HAProxy on Proxmox VE
//! VMs configured by Salt. Each test declares, compiles and synthesizes
//! both the Terraform JSON and the Salt tree; the last ones hand the tree
//! to a real `salt-call`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use onioncloud_core::{Env, SecretRef, terraform};
use onioncloud_salt::Role;
use onioncloud_salt::runner::{SaltCall, StateResult, locate_salt_call};
use serde_json::{Value as Json, json};

use super::*;
use crate::private::proxmox;

/// The `postgres` password's reference, and the value the sdb store of
/// the Salt tests holds for it: a quote in it checks the SQL quoting.
const DB_PASSWORD_PATH: &str = "orders-db";
const DB_PASSWORD_VALUE: &str = "pl41n'text-never-in-output";

fn db_password() -> SecretRef {
    SecretRef::vault("secret", DB_PASSWORD_PATH, "password")
}

fn cert_secret() -> SecretRef {
    SecretRef::vault("secret", "edge-tls", "pem")
}

/// What one environment synthesizes to.
struct Synth {
    /// `proxmox/main.tf.json`.
    terraform: Json,
    /// The whole Terraform output, as text, for searching.
    terraform_text: String,
    /// The Salt and pillar trees.
    salt: BTreeMap<PathBuf, String>,
}

impl Synth {
    fn vm(&self, name: &str) -> &Json {
        let vm =
            &self.terraform["resource"]["proxmox_virtual_environment_vm"][name];
        assert!(vm.is_object(), "no VM {name}: {}", self.terraform);
        vm
    }

    fn file(&self, path: &str) -> &str {
        self.salt
            .get(Path::new(path))
            .unwrap_or_else(|| panic!("no {path} in {:?}", self.salt.keys()))
    }
}

fn synth(env: Env) -> Synth {
    let compiled = env.compile().expect("the environment compiles");
    let files = terraform::synth(&compiled).expect("terraform synth");
    let terraform_text = files.values().cloned().collect::<String>();
    let terraform = serde_json::from_str(&files["proxmox/main.tf.json"])
        .expect("the module is JSON");
    let salt = onioncloud_salt::synth(&compiled).expect("salt synth");
    Synth {
        terraform,
        terraform_text,
        salt,
    }
}

fn env() -> Env {
    let mut env = Env::new("dc1");
    env.provider(proxmox::Provider::endpoint("https://pve.example:8006/"));
    env
}

/// The environment of most tests: a database, two web servers and a load
/// balancer in front of them.
fn declare_all(
    env: &mut Env,
    db: Database<ProxmoxPostgres>,
    lb: impl FnOnce(LoadBalancer<HaProxy>) -> LoadBalancer<HaProxy>,
) -> (ProxmoxPostgresOutput, HaProxyOutput) {
    let db = env.component("orders", db);
    let web_1 = env.component("web_1", Compute::proxmox("pve1", 9000));
    let web_2 = env.component("web_2", Compute::proxmox("pve2", 9000));
    let lb = env.component(
        "edge",
        lb(LoadBalancer::haproxy("pve1", 9000)
            .backend("web-1", web_1.private_ip(), 8080)
            .backend("web-2", web_2.private_ip(), 8080)),
    );
    env.output::<String>("db_host", db.host());
    env.output::<String>("lb_ip", lb.private_ip());
    (db, lb)
}

fn postgres() -> Database<ProxmoxPostgres> {
    Database::proxmox_postgres("16", "pve1", 9000).password(db_password())
}

/// The text argument `arg` of the state `id` of a role.
/// A state's id without its role's instance: the role `postgres-orders`
/// writes `postgres-orders-conf`, read here as `postgres-conf`.
fn local_id(role: &Role, id: &str) -> String {
    let kind = role.name().split('-').next().unwrap_or_default();
    match id.strip_prefix(role.name()) {
        Some(rest) => format!("{kind}{rest}"),
        None => id.to_owned(),
    }
}

fn arg(role: &Role, id: &str, arg: &str) -> String {
    let state = role
        .states()
        .iter()
        .find(|state| local_id(role, state.id()) == id)
        .unwrap_or_else(|| panic!("no state {id} in {}", role.name()));
    state
        .args()
        .iter()
        .find(|(name, _)| name == arg)
        .and_then(|(_, value)| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("state {id} has no text argument {arg}"))
}

/// The ids of the states that differ between two versions of a role, or
/// that only one of them has.
fn changed_states(before: &Role, after: &Role) -> BTreeSet<String> {
    let index = |role: &Role| {
        role.states()
            .iter()
            .map(|state| (local_id(role, state.id()), state.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let (before, after) = (index(before), index(after));
    before
        .keys()
        .chain(after.keys())
        .filter(|id| before.get(*id) != after.get(*id))
        .cloned()
        .collect()
}

fn ids(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

#[test]
fn postgres_defaults_are_secure_in_terraform_and_salt() {
    let mut env = env();
    let (db, _) = declare_all(&mut env, postgres(), |lb| lb);
    let out = synth(env);

    // Terraform: a protected, firewalled full clone, no password at all.
    let vm = out.vm("orders");
    assert_eq!(vm["name"], "orders");
    assert_eq!(vm["node_name"], "pve1");
    assert_eq!(vm["clone"][0]["vm_id"], 9000);
    assert_eq!(vm["clone"][0]["full"], true);
    assert_eq!(vm["network_device"][0]["firewall"], true);
    assert_eq!(vm["lifecycle"]["prevent_destroy"], true);
    assert!(!out.terraform_text.contains("password"), "{vm}");
    assert_eq!(
        out.terraform["output"]["db_host"]["value"],
        "${proxmox_virtual_environment_vm.orders.ipv4_addresses[1][0]}"
    );

    // The role, as built and as rendered.
    let role = &db.role;
    assert_eq!(role.name(), "postgres-orders");
    let sls = out.file("salt/roles/postgres-orders.sls");
    let conf = arg(role, "postgres-conf", "contents");
    for line in [
        "port = 5432\n",
        "password_encryption = scram-sha-256\n",
        "ssl = on\n",
        "ssl_min_protocol_version = 'TLSv1.2'\n",
        "log_connections = on\n",
    ] {
        assert!(conf.contains(line), "{line:?} not in {conf}");
        assert!(sls.contains(line.trim_end()), "{line:?} not in the SLS");
    }
    assert_eq!(
        arg(role, "postgres-conf", "name"),
        "/etc/postgresql/16/main/conf.d/50-onioncloud.conf"
    );
    let listen = arg(role, "postgres-listen-conf", "contents");
    assert!(listen.contains(
        "listen_addresses = '{{ salt['pillar.get']\
         ('postgres_listen_addresses') or 'localhost' }}'"
    ));
    assert_eq!(arg(role, "postgres-listen-conf", "template"), "jinja");

    let hba = arg(role, "postgres-hba", "contents");
    let rules: Vec<Vec<&str>> = hba
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        rules,
        [
            vec!["local", "all", "all", "peer"],
            vec!["hostssl", "all", "all", "10.0.0.0/8", "scram-sha-256"],
            vec!["hostssl", "all", "all", "172.16.0.0/12", "scram-sha-256"],
            vec!["hostssl", "all", "all", "192.168.0.0/16", "scram-sha-256"],
            vec!["hostnossl", "all", "all", "0.0.0.0/0", "reject"],
            vec!["hostnossl", "all", "all", "::/0", "reject"],
        ]
    );

    // Backups: a daily timer running pg_dump into the backup directory.
    let script = arg(role, "postgres-backup-script", "contents");
    assert!(script.contains("pg_dump -F c -f \"$dir/$db-$stamp.dump\""));
    assert!(script.contains("dir='/var/backups/postgresql'\n"));
    assert!(script.contains("-mtime +7 -delete"));
    let timer = arg(role, "postgres-backup-timer-unit", "contents");
    assert!(timer.contains("OnCalendar=*-*-* 03:15:00\n"));
    assert!(timer.contains("Persistent=true\n"));
    assert_eq!(
        arg(role, "postgres-backup-timer", "name"),
        "onioncloud-postgres-backup.timer"
    );

    // The password: an sdb URI in pillar, set from a root-only file.
    let pillar = out.file("pillar/minions/orders.sls");
    assert!(
        pillar.contains(
            "postgres_password: 'sdb://vault/secret/orders-db/password'\n"
        ),
        "{pillar}"
    );
    assert!(pillar.contains("postgres_listen_addresses: null\n"));
    assert!(
        pillar.contains("  - postgres_listen_addresses\n"),
        "{pillar}"
    );
    assert_eq!(arg(role, "postgres-password-file", "mode"), "0600");
    let sql = arg(role, "postgres-password-file", "contents");
    assert!(sql.contains("salt['config.get']('postgres_password')"));
    assert!(sql.contains("ALTER ROLE postgres WITH PASSWORD"));
    for (path, text) in &out.salt {
        assert!(
            !text.contains(DB_PASSWORD_VALUE),
            "{} holds the password",
            path.display()
        );
    }
    assert!(!out.terraform_text.contains(DB_PASSWORD_VALUE));
}

#[test]
fn postgres_overrides_change_only_what_they_name() {
    let base = || {
        let mut env = env();
        let (db, _) = declare_all(&mut env, postgres(), |lb| lb);
        (db.role, synth(env))
    };
    let with = |db: Database<ProxmoxPostgres>| {
        let mut env = env();
        let (db, _) = declare_all(&mut env, db, |lb| lb);
        (db.role, synth(env))
    };
    let (role, out) = base();
    let pillar = out.file("pillar/minions/orders.sls");

    // Backups off: the timer is stopped, nothing else moves.
    let (off, off_out) = with(postgres().backups(false));
    assert_eq!(
        changed_states(&role, &off),
        ids(&[
            "postgres-backup-dir",
            "postgres-backup-script",
            "postgres-backup-service-unit",
            "postgres-backup-timer-unit",
            "postgres-backup-timer",
            "postgres-backup-timer-off",
        ])
    );
    let sls = off_out.file("salt/roles/postgres-orders.sls");
    assert!(sls.contains("service.dead"), "{sls}");
    assert!(!sls.contains("pg_dump"));
    assert_eq!(off_out.terraform, out.terraform);

    // A listen address: only the pillar value, now known.
    let (listen, listen_out) = with(postgres().listen_addresses("10.20.0.5"));
    assert_eq!(listen, role);
    let listen_pillar = listen_out.file("pillar/minions/orders.sls");
    assert!(listen_pillar.contains("postgres_listen_addresses: '10.20.0.5'\n"));
    assert!(!listen_pillar.contains("  - postgres_listen_addresses\n"));
    assert_eq!(
        listen_pillar.replace("postgres_listen_addresses: '10.20.0.5'\n", ""),
        pillar
            .replace("postgres_listen_addresses: null\n", "")
            .replace(
                "pending:\n    - postgres_listen_addresses\n",
                "pending: []\n"
            ),
    );
    assert_eq!(listen_out.terraform, out.terraform);

    // TLS not required: plain `host` lines, no rejects.
    let (tls, _) = with(postgres().require_tls(false));
    assert_eq!(changed_states(&role, &tls), ids(&["postgres-hba"]));
    let hba = arg(&tls, "postgres-hba", "contents");
    assert!(hba.contains("\nhost      all       all   10.0.0.0/8"));
    assert!(!hba.contains("hostssl") && !hba.contains("reject"));

    // The port: the configuration, the password command and the dumps.
    let (port, _) = with(postgres().port(5433));
    assert_eq!(
        changed_states(&role, &port),
        ids(&[
            "postgres-conf",
            "postgres-password",
            "postgres-backup-service-unit"
        ])
    );
    assert!(arg(&port, "postgres-conf", "contents").contains("port = 5433\n"));

    // More settings, narrower networks, other backup settings.
    let (more, _) = with(
        postgres()
            .setting("shared_buffers", "512MB")
            .setting("search_path", "'$user', public"),
    );
    assert_eq!(changed_states(&role, &more), ids(&["postgres-conf"]));
    let conf = arg(&more, "postgres-conf", "contents");
    assert!(conf.contains("shared_buffers = '512MB'\n"));
    assert!(conf.contains("search_path = '''$user'', public'\n"));
    let (cidrs, _) = with(postgres().allowed_cidrs(["10.20.0.0/24"]));
    assert_eq!(changed_states(&role, &cidrs), ids(&["postgres-hba"]));
    let (retention, _) = with(
        postgres()
            .backup_retention_days(30)
            .backup_schedule("hourly")
            .backup_dir("/srv/dumps"),
    );
    assert_eq!(
        changed_states(&role, &retention),
        ids(&[
            "postgres-backup-dir",
            "postgres-backup-script",
            "postgres-backup-timer-unit"
        ])
    );
    let (logs, _) = with(postgres().log_connections(false));
    assert_eq!(changed_states(&role, &logs), ids(&["postgres-conf"]));

    // No password: no password states, no pillar key.
    let (none, none_out) = with(Database::proxmox_postgres("16", "pve1", 9000));
    assert_eq!(
        changed_states(&role, &none),
        ids(&["postgres-password-file", "postgres-password"])
    );
    assert!(
        !none_out
            .file("pillar/minions/orders.sls")
            .contains("postgres_password")
    );

    // The VM: only Terraform changes, the role stays.
    let (vm, vm_out) = with(
        postgres()
            .deletion_protection(false)
            .cores(4)
            .memory_mb(8192)
            .static_ipv4("10.20.0.5/24", "10.20.0.1"),
    );
    assert_eq!(vm, role);
    let body = vm_out.vm("orders");
    assert_eq!(body["lifecycle"], Json::Null);
    assert_eq!(body["cpu"][0]["cores"], 4);
    assert_eq!(body["memory"][0]["dedicated"], 8192);
    let mut expected = out.vm("orders").clone();
    expected.as_object_mut().unwrap().remove("lifecycle");
    expected["cpu"][0]["cores"] = json!(4);
    expected["memory"][0]["dedicated"] = json!(8192);
    expected["initialization"][0]["ip_config"][0]["ipv4"][0] =
        json!({"address": "10.20.0.5/24", "gateway": "10.20.0.1"});
    assert_eq!(body, &expected);

    // Another minion id: only the pillar and top files move.
    let (minion, minion_out) = with(postgres().minion_id("db-1"));
    assert_eq!(minion, role);
    assert!(
        minion_out
            .salt
            .contains_key(Path::new("pillar/minions/db-1.sls"))
    );
}

#[test]
fn haproxy_defaults_are_tls_only_with_pending_backends() {
    let mut env = env();
    let (_, lb) = declare_all(&mut env, postgres(), |lb| lb);
    let out = synth(env);

    let vm = out.vm("edge");
    assert_eq!(vm["lifecycle"]["prevent_destroy"], true);
    assert_eq!(vm["network_device"][0]["firewall"], true);

    let role = &lb.role;
    assert_eq!(role.name(), "haproxy-edge");
    let config = arg(role, "haproxy-config", "contents");
    for line in [
        "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n",
        "    ssl-default-server-options ssl-min-ver TLSv1.2 no-tls-tickets\n",
        "    bind :443 ssl crt /etc/haproxy/certs/frontend.pem alpn \
         h2,http/1.1\n",
        "    bind :80\n",
        "    http-request redirect scheme https code 301 unless \
         {{ '{' }} ssl_fc }\n",
        "    http-response set-header Strict-Transport-Security \
         \"max-age=63072000\"\n",
        "    option httpchk GET /\n",
        "    server {{ server['name'] }} {{ server['address'] }}:\
         {{ server['port'] }} check\n",
    ] {
        assert!(config.contains(line), "{line:?} not in {config}");
    }
    assert!(config.contains(&format!(
        "ssl-default-bind-ciphers {HAPROXY_TLS12_CIPHERS}\n"
    )));
    assert!(
        !config.contains("bind :80 "),
        "no plain listener beyond :80"
    );
    assert_eq!(arg(role, "haproxy-config", "template"), "jinja");
    assert_eq!(arg(role, "haproxy-config", "check_cmd"), "haproxy -c -f");

    // The check runs when the configuration or the certificate changes,
    // and the reload waits for it.
    let check = role
        .states()
        .iter()
        .find(|state| local_id(role, state.id()) == "haproxy-config-check")
        .expect("a config check");
    assert_eq!(check.function(), "cmd.run");
    assert_eq!(
        check.args()[0].1.as_str(),
        Some("haproxy -c -f /etc/haproxy/haproxy.cfg")
    );
    let onchanges: Vec<String> = check
        .requisites()
        .iter()
        .map(|(kind, target)| {
            assert_eq!(kind.keyword(), "onchanges");
            local_id(role, target.id())
        })
        .collect();
    assert_eq!(
        onchanges,
        ["haproxy-config", "haproxy-self-signed-certificate"]
    );
    let sls = out.file("salt/roles/haproxy-edge.sls");
    assert!(
        sls.contains("haproxy-edge-config-check:\n  cmd.run:\n"),
        "{sls}"
    );

    // The backends' addresses exist after apply: pending in pillar.
    let pillar = out.file("pillar/minions/edge.sls");
    assert!(pillar.contains("haproxy_servers: null\n"), "{pillar}");
    assert!(pillar.contains("  - haproxy_servers\n"), "{pillar}");
    assert!(!pillar.contains("haproxy_certificate"));
}

#[test]
fn haproxy_backends_with_known_addresses_are_in_pillar() {
    let mut env = env();
    env.component(
        "edge",
        LoadBalancer::haproxy("pve1", 9000)
            .backend("app 1", "10.20.0.11", 8080)
            .backend("app-2", "10.20.0.12", 8081),
    );
    let out = synth(env);
    let pillar = out.file("pillar/minions/edge.sls");
    assert!(
        pillar.contains(
            "haproxy_servers:\n  \
             - address: '10.20.0.11'\n    name: app-1\n    port: 8080\n  \
             - address: '10.20.0.12'\n    name: app-2\n    port: 8081\n"
        ),
        "{pillar}"
    );
    assert!(pillar.contains("pending: []\n"), "{pillar}");
}

#[test]
fn haproxy_overrides_change_only_what_they_name() {
    let role = |lb: LoadBalancer<HaProxy>| {
        let mut env = env();
        env.component("edge", lb).role
    };
    let base =
        || LoadBalancer::haproxy("pve1", 9000).backend("a", "10.0.0.1", 80);
    let default = role(base());
    let config = |role: &Role| arg(role, "haproxy-config", "contents");

    let no_redirect = role(base().http_redirect(false));
    assert_eq!(
        changed_states(&default, &no_redirect),
        ids(&["haproxy-config"])
    );
    assert_eq!(
        config(&no_redirect),
        config(&default).replace(
            "    bind :80\n    http-request redirect scheme https code 301 \
             unless {{ '{' }} ssl_fc }\n",
            ""
        )
    );

    let tls13 = role(base().min_tls_version("TLSv1.3"));
    assert_eq!(
        config(&tls13),
        config(&default).replace("ssl-min-ver TLSv1.2", "ssl-min-ver TLSv1.3")
    );
    let no_hsts = role(base().hsts(false));
    assert!(!config(&no_hsts).contains("Strict-Transport-Security"));
    assert_eq!(changed_states(&default, &no_hsts), ids(&["haproxy-config"]));
    let port = role(base().https_port(8443).health_check_path("/healthz"));
    assert_eq!(
        config(&port),
        config(&default)
            .replace("bind :443 ", "bind :8443 ")
            .replace("httpchk GET /\n", "httpchk GET /healthz\n")
    );

    // A certificate from a secret store replaces the self-signed one.
    let mut env = env();
    let lb = env.component("edge", base().certificate(cert_secret()));
    assert_eq!(
        changed_states(&default, &lb.role),
        ids(&[
            "haproxy-openssl",
            "haproxy-self-signed-certificate",
            "haproxy-certificate",
            "haproxy-config-check",
            "haproxy-config",
            "haproxy-service",
        ])
    );
    assert_eq!(config(&lb.role), config(&default));
    assert_eq!(arg(&lb.role, "haproxy-certificate", "mode"), "0600");
    let out = synth(env);
    assert!(
        out.file("pillar/minions/edge.sls").contains(
            "haproxy_certificate: 'sdb://vault/secret/edge-tls/pem'\n"
        )
    );
}

// ------------------------------------------------ refused settings --

/// The problems a refused role names, one a line; fails when the role was
/// not refused.
fn refusal(role: &Role) -> String {
    let functions: Vec<&str> =
        role.states().iter().map(|state| state.function()).collect();
    assert_eq!(
        functions,
        ["test.fail_without_changes"],
        "{} was not refused",
        role.name()
    );
    arg(role, "onioncloud-refused-settings", "comment")
}

/// The compile errors of an environment whose component was refused,
/// after checking that each names the component, its line, and one
/// problem of the refused role.
fn compile_errors(env: Env, role: &Role) -> String {
    let errors = env.compile().expect_err("refused settings").to_string();
    let refused = refusal(role);
    for line in refused.lines() {
        let (component, problem) = line.split_once(": ").unwrap();
        let at = format!(
            "- {component} (declared at \
             onioncloud-providers/src/components/private_tests.rs:"
        );
        assert!(errors.contains(&at), "{at} not in {errors}");
        assert!(errors.contains(problem), "{problem} not in {errors}");
    }
    assert_eq!(errors.lines().count(), refused.lines().count() + 1);
    errors
}

fn refused_db(db: Database<ProxmoxPostgres>) -> String {
    let mut env = env();
    let role = env.component("orders", db).role;
    compile_errors(env, &role)
}

fn refused_lb(lb: LoadBalancer<HaProxy>) -> String {
    let mut env = env();
    let role = env.component("edge", lb).role;
    compile_errors(env, &role)
}

/// Asserts that `problems` names the component and, as Rust would quote
/// it, the value.
fn names(problems: &str, component: &str, value: &str) {
    assert!(
        problems.contains(component),
        "{component} not in {problems}"
    );
    let quoted = format!("{value:?}");
    assert!(problems.contains(&quoted), "{quoted} not in {problems}");
}

#[test]
fn non_ascii_component_names_are_compile_errors_not_panics() {
    let db_name = "é".repeat(40);
    let lb_name = format!("a{}", "é".repeat(40));
    let mut env = env();
    let db = env.component(
        db_name.as_str(),
        Database::proxmox_postgres("16", "pve-a", 9000),
    );
    let lb =
        env.component(lb_name.as_str(), LoadBalancer::haproxy("pve-a", 9000));
    for role in [db.role.name(), lb.role.name()] {
        assert!(role.len() <= 64, "{role}");
        assert!(
            role.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')),
            "{role}"
        );
    }
    let errors = env.compile().expect_err("the names are invalid");
    let errors = errors.to_string();
    assert!(errors.contains(&db_name), "{errors}");
    assert!(errors.contains(&lb_name), "{errors}");
}

#[test]
fn long_component_names_get_distinct_valid_roles() {
    let long = "a".repeat(70);
    let mut env = env();
    let first = env.component(format!("{long}_1"), postgres());
    let second =
        env.component(format!("{long}_2"), LoadBalancer::haproxy("pve1", 9000));
    let third = env.component(
        format!("{long}_3"),
        Database::proxmox_postgres("16", "pve1", 9000),
    );
    let names = [first.role.name(), second.role.name(), third.role.name()];
    assert!(names[0].starts_with("postgres-aaaa"), "{names:?}");
    assert!(names.iter().all(|name| name.len() == 64), "{names:?}");
    assert_ne!(names[0], names[2]);
    let out = synth(env);
    for name in names {
        out.file(&format!("salt/roles/{name}.sls"));
    }
}

#[test]
fn postgres_refuses_values_that_would_escape_their_place() {
    let db = || Database::proxmox_postgres("16", "pve1", 9000);
    let orders = "database \"orders\"";

    for version in ["16 ; rm -rf /", "", "16.", ".1", "v16", "16.1.2"] {
        let problems =
            refused_db(Database::proxmox_postgres(version, "pve1", 9000));
        names(&problems, orders, version);
    }
    assert!(refused_db(db().port(0)).contains("): port 0"));
    for cidr in [
        "not-a-cidr",
        "10.0.0.0",
        "10.0.0.0/33",
        "10.0.0.0/+8",
        "::/129",
        "fe80::1%eth0/64",
        "10.0.0.0/8 trust",
    ] {
        names(&refused_db(db().allowed_cidrs([cidr])), orders, cidr);
    }
    // Setting names: identifiers only, and none a named method owns.
    for name in [
        "x = 1\nlisten_addresses",
        "Port",
        "",
        "1x",
        "shared buffers",
        "listen_addresses",
        "port",
        "ssl",
        "ssl_min_protocol_version",
        "password_encryption",
        "log_connections",
        "hba_file",
        "include",
    ] {
        names(&refused_db(db().setting(name, "*")), orders, name);
    }
    let value = "4MB\nssl = off";
    names(&refused_db(db().setting("work_mem", value)), orders, value);
    let schedule = "garbage\nExecStart=/bin/evil";
    names(
        &refused_db(db().backup_schedule(schedule)),
        orders,
        schedule,
    );
    for schedule in ["", "daily\\", "%H"] {
        names(
            &refused_db(db().backup_schedule(schedule)),
            orders,
            schedule,
        );
    }
    for dir in ["/srv/x\nrm -rf /", "dumps"] {
        names(&refused_db(db().backup_dir(dir)), orders, dir);
    }
    let listen = "*'\nssl = off";
    names(&refused_db(db().listen_addresses(listen)), orders, listen);

    // Every problem is named, one a line.
    let problems = refused_db(
        Database::proxmox_postgres("x", "pve1", 9000)
            .port(0)
            .setting("port", "1"),
    );
    assert_eq!(problems.lines().count(), 4, "{problems}");

    // What is valid still passes.
    let mut valid = env();
    let role = valid
        .component(
            "orders",
            Database::proxmox_postgres("9.6", "pve1", 9000)
                .port(65535)
                .listen_addresses("10.0.0.5, localhost,::1")
                .allowed_cidrs(["10.20.0.0/24", "fd00::/8", "0.0.0.0/0"])
                .setting("pg_stat_statements.max", "10000")
                .setting("log_line_prefix", r"%m \ ")
                .backup_schedule("Mon..Fri *-*-* 02:00:00 Europe/Berlin")
                .backup_dir("/srv/dumps"),
        )
        .role;
    let conf = arg(&role, "postgres-conf", "contents");
    assert!(
        conf.contains("pg_stat_statements.max = '10000'\n"),
        "{conf}"
    );
    assert!(conf.contains(r"log_line_prefix = '%m \\ '"), "{conf}");
    for listen in ["*", "db.example.org"] {
        let mut env = env();
        let db = env.component("orders", db().listen_addresses(listen));
        assert!(db.role.states().len() > 1);
    }
}

#[test]
fn haproxy_refuses_values_that_would_escape_their_place() {
    let lb =
        || LoadBalancer::haproxy("pve1", 9000).backend("a", "10.0.0.1", 80);
    let edge = "load balancer \"edge\"";

    for path in ["/ok\n    server evil 6.6.6.6:80", "ok", "/a b", "/#x", ""] {
        names(&refused_lb(lb().health_check_path(path)), edge, path);
    }
    for version in ["TLSv1.0", "TLSv1.1", "tlsv1.2", "SSLv3"] {
        names(&refused_lb(lb().min_tls_version(version)), edge, version);
    }
    let problems = refused_lb(
        LoadBalancer::haproxy("pve1", 9000)
            .backend("a b", "10.0.0.1", 80)
            .backend("a-b", "10.0.0.2", 80)
            .backend("", "10.0.0.3", 80),
    );
    names(&problems, edge, "a b");
    names(&problems, edge, "a-b");
    assert!(
        problems.contains("): a backend server has an empty"),
        "{problems}"
    );
    let address = "10.0.0.9:80 check\n    server evil 6.6.6.6";
    names(&refused_lb(lb().backend("b", address, 80)), edge, address);
    for port in [0, 65536, -1] {
        let problems = refused_lb(lb().backend("b", "10.0.0.2", port));
        assert!(
            problems.contains(&format!(
                "): the port {port} of backend server \"b\""
            )),
            "{problems}"
        );
    }
    assert!(refused_lb(lb().https_port(0)).contains("): HTTPS port 0"));
    assert!(refused_lb(lb().https_port(80)).contains("): HTTPS port 80"));

    // What is valid still passes.
    let mut env = env();
    let web = env.component("web", Compute::proxmox("pve1", 9000));
    let role = env
        .component(
            "edge",
            LoadBalancer::haproxy("pve1", 9000)
                .backend("web-1", web.private_ip(), 8080)
                .backend("web_1", "web1.example.org", 8080)
                .backend("web.1", "fd00::1", 65535)
                .health_check_path("/healthz?full=1&x=%20")
                .min_tls_version("TLSv1.3")
                .https_port(80)
                .http_redirect(false),
        )
        .role;
    assert!(
        arg(&role, "haproxy-config", "contents")
            .contains("    option httpchk GET /healthz?full=1&x=%20\n")
    );
}

// ------------------------------------------------------- with real Salt --

fn salt_call_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(program) = locate_salt_call().filter(|path| path.is_file()) {
        return Some(program);
    }
    skip_loudly(&format!(
        "salt-call not found (set ONIONCLOUD_SALT_CALL, run \
         scripts/install-tools.sh, or put salt-call on PATH); test `{test}` \
         did not run"
    ));
    None
}

/// Says loudly that a check did not run for want of a tool; where the
/// tools are required (CI sets `ONIONCLOUD_REQUIRE_TOOLS=1`), fails
/// instead.
fn skip_loudly(why: &str) {
    let message = format!("SKIPPED: {why}");
    if std::env::var("ONIONCLOUD_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{message} and ONIONCLOUD_REQUIRE_TOOLS=1");
    }
    eprintln!("\n{}\n{message}\n{}\n", "!".repeat(72), "!".repeat(72));
}

/// A `salt-call` for one minion of the tree, whose `vault` sdb profile
/// reads the test's secrets from a YAML file, as a real minion would read
/// them from Vault.
fn minion(
    program: &Path,
    tree: &BTreeMap<PathBuf, String>,
    id: &str,
) -> SaltCall {
    let runner = SaltCall::new(program, tree, id).expect("scratch tree");
    let secrets = runner.root().join("secrets.yaml");
    let pem = "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----";
    std::fs::write(
        &secrets,
        format!(
            "\"secret/{DB_PASSWORD_PATH}/password\": \"{}\"\n\
             \"secret/edge-tls/pem\": \"{pem}\"\n",
            DB_PASSWORD_VALUE.replace('"', "\\\"")
        ),
    )
    .expect("write secrets");
    let config = runner.root().join("etc/minion");
    let mut text = std::fs::read_to_string(&config).expect("minion config");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "vault:\n  driver: yaml\n  files:\n    - {}\n",
        secrets.display()
    ));
    std::fs::write(&config, text).expect("write minion config");
    runner
}

fn assert_no_failures(minion: &str, results: &[StateResult]) {
    assert!(!results.is_empty(), "{minion}: no state results");
    for result in results {
        eprintln!(
            "  {minion}: {} {} {:?} {}",
            result.function,
            result.id,
            result.result,
            result.comment.lines().next().unwrap_or_default()
        );
    }
    let failed: Vec<_> = results
        .iter()
        .filter(|result| result.result == Some(false))
        .collect();
    assert!(failed.is_empty(), "{minion}: failed states: {failed:#?}");
}

/// Renders one Jinja-templated `contents` argument the way
/// `file.managed` would, with the minion's pillar and sdb profiles.
fn render(runner: &SaltCall, role: &Role, id: &str) -> String {
    let template = runner.root().join(format!("{id}.j2"));
    std::fs::write(&template, arg(role, id, "contents")).expect("template");
    let path = format!("path={}", template.display());
    let rendered = runner
        .call("slsutil.renderer", &[&path, "default_renderer=jinja"])
        .unwrap_or_else(|error| panic!("rendering {id}: {error}"));
    rendered
        .as_str()
        .unwrap_or_else(|| panic!("{id} rendered to {rendered}"))
        .to_owned()
}

#[test]
fn salt_compiles_and_test_applies_the_roles() {
    let Some(program) = salt_call_or_skip("private_components_salt") else {
        return;
    };
    let mut env = env();
    let (db, lb) =
        declare_all(&mut env, postgres(), |lb| lb.certificate(cert_secret()));
    env.component(
        "edge_known",
        LoadBalancer::haproxy("pve1", 9000)
            .backend("app-1", "10.20.0.11", 8080)
            .backend("app-2", "10.20.0.12", 8081),
    );
    let out = synth(env);

    // The database.
    let runner = minion(&program, &out.salt, "orders");
    let shown = runner
        .show_sls("roles.postgres-orders")
        .expect("show_sls roles.postgres-orders");
    for id in [
        "postgres-package",
        "postgres-conf",
        "postgres-listen-conf",
        "postgres-hba",
        "postgres-service",
        "postgres-password-file",
        "postgres-password",
        "postgres-backup-timer",
    ] {
        let id = id.replacen("postgres", "postgres-orders", 1);
        assert!(shown.get(&id).is_some(), "show_sls lacks {id}: {shown}");
    }
    assert_eq!(
        shown["postgres-orders-password"]["cmd"]
            .as_array()
            .and_then(|body| body.iter().find_map(|arg| arg.get("onchanges")))
            .cloned(),
        Some(json!([{"file": "postgres-orders-password-file"}]))
    );
    let results = runner.apply_test(None).expect("state.apply test=True");
    assert_no_failures("orders", &results);
    let printed = serde_json::to_string(
        &results
            .iter()
            .map(|r| (r.comment.clone(), r.changes.clone()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!printed.contains(DB_PASSWORD_VALUE), "{printed}");
    // The templates as file.managed renders them: the pending address
    // falls back to localhost, the password is resolved and quoted.
    assert_eq!(
        render(&runner, &db.role, "postgres-listen-conf")
            .lines()
            .last(),
        Some("listen_addresses = 'localhost'")
    );
    let sql = render(&runner, &db.role, "postgres-password-file");
    assert!(
        sql.ends_with(&format!(
            "ALTER ROLE postgres WITH PASSWORD '{}';\n",
            DB_PASSWORD_VALUE.replace('\'', "''")
        )),
        "{sql}"
    );

    // The load balancer, with pending backends and a certificate.
    let runner = minion(&program, &out.salt, "edge");
    let shown = runner
        .show_sls("roles.haproxy-edge")
        .expect("show_sls roles.haproxy-edge");
    assert_eq!(
        shown["haproxy-edge-config-check"]["cmd"]
            .as_array()
            .and_then(|body| body.iter().find_map(|arg| arg.get("onchanges")))
            .cloned(),
        Some(json!([
            {"file": "haproxy-edge-config"},
            {"file": "haproxy-edge-certificate"}
        ]))
    );
    let results = runner.apply_test(None).expect("state.apply test=True");
    assert_no_failures("edge", &results);
    let config = render(&runner, &lb.role, "haproxy-config");
    assert!(config.contains(
        "    http-request redirect scheme https code 301 unless { ssl_fc }\n"
    ));
    assert!(config.ends_with("    option httpchk GET /\n"), "{config}");
    let pem = render(&runner, &lb.role, "haproxy-certificate");
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----\nMIIB\n"),
        "{pem}"
    );

    // Known backends become server lines.
    let runner = minion(&program, &out.salt, "edge_known");
    let results = runner.apply_test(None).expect("state.apply test=True");
    assert_no_failures("edge_known", &results);
    let mut env = Env::new("dc1");
    let known = env.component(
        "edge_known",
        LoadBalancer::haproxy("pve1", 9000)
            .backend("app-1", "10.20.0.11", 8080)
            .backend("app-2", "10.20.0.12", 8081),
    );
    let config = render(&runner, &known.role, "haproxy-config");
    assert!(
        config.ends_with(
            "    option httpchk GET /\n    \
             server app-1 10.20.0.11:8080 check\n    \
             server app-2 10.20.0.12:8081 check\n"
        ),
        "{config}"
    );
    check_with_haproxy(&config);
}

/// Checks a rendered configuration with `haproxy -c` when HAProxy is
/// installed, against a throwaway self-signed certificate.
fn check_with_haproxy(config: &str) {
    let haproxy = std::env::var_os("ONIONCLOUD_HAPROXY")
        .map(PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .map(|dir| dir.join("haproxy"))
                .find(|candidate| candidate.is_file())
        });
    let Some(haproxy) = haproxy else {
        skip_loudly(
            "haproxy not found (set ONIONCLOUD_HAPROXY, run \
             scripts/install-tools.sh, or put it on PATH); the rendered \
             configuration was not checked with haproxy -c",
        );
        return;
    };
    let dir = tempfile_dir("haproxy");
    let pem = dir.join("frontend.pem");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl req -x509 -newkey ec -pkeyopt \
             ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=test \
             -keyout {0}.key -out {0}.crt 2>/dev/null && cat {0}.crt \
             {0}.key > {0}",
            pem.display()
        ))
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl failed");
    // Outside the VM: no chroot, no haproxy user, a local socket.
    let config = config
        .replace(HAPROXY_CERTIFICATE, &pem.display().to_string())
        .replace("    chroot /var/lib/haproxy\n", "")
        .replace("    user haproxy\n    group haproxy\n", "")
        .replace(
            "/run/haproxy/admin.sock",
            &dir.join("admin.sock").display().to_string(),
        );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config).expect("write config");
    let output = std::process::Command::new(&haproxy)
        .arg("-c")
        .arg("-f")
        .arg(&path)
        .output()
        .expect("run haproxy");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("haproxy -c: {printed}");
    assert!(
        output.status.success() && !printed.contains("[WARNING]"),
        "haproxy -c failed or warned:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory under the system's temporary directory.
fn tempfile_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "onioncloud-{prefix}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |time| time.as_nanos())
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn backup_script_is_valid_shell() {
    let mut env = env();
    let db = env.component(
        "orders",
        Database::proxmox_postgres("16", "pve1", 9000)
            .backup_dir("/srv/it's dumps"),
    );
    let script = arg(&db.role, "postgres-backup-script", "contents");
    assert!(script.contains("dir='/srv/it'\\''s dumps'\n"), "{script}");
    let output = std::process::Command::new("sh")
        .arg("-n")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("sh");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// PostgreSQL's programs, when the test can run a throwaway server: as
/// root, with a `postgres` user to run it as, like on the VM.
fn postgres_or_skip() -> Option<PathBuf> {
    let skip = |why: &str| {
        skip_loudly(&format!(
            "{why}; the rendered PostgreSQL configuration was not checked \
             with a real server"
        ));
        None
    };
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout == b"0\n");
    let user = std::process::Command::new("id")
        .arg("postgres")
        .output()
        .is_ok_and(|out| out.status.success());
    if !root || !user {
        return skip("not root, or no postgres user");
    }
    let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    bins.sort();
    match bins.pop() {
        Some(bin) => Some(bin),
        None => skip("no /usr/lib/postgresql/*/bin/initdb"),
    }
}

/// Runs a shell command as `postgres`.
fn as_postgres(command: &str) -> std::process::Output {
    std::process::Command::new("runuser")
        .args(["-u", "postgres", "--", "sh", "-c", command])
        .output()
        .expect("runuser")
}

fn succeed(command: &str) -> String {
    let output = as_postgres(command);
    assert!(
        output.status.success(),
        "`{command}` failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Stops the throwaway server and removes its directory, even when an
/// assertion fails.
struct Server {
    bin: PathBuf,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        as_postgres(&format!(
            "{}/pg_ctl -D {}/data -m fast -w stop",
            self.bin.display(),
            self.dir.display()
        ));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn postgres_serves_only_tls_with_the_rendered_configuration() {
    let Some(program) = salt_call_or_skip("private_postgres_server") else {
        return;
    };
    let Some(bin) = postgres_or_skip() else {
        return;
    };
    let dir = tempfile_dir("postgres");
    let port = 40000 + (std::process::id() % 20000) as u16;
    let d = dir.display().to_string();
    let mut env = env();
    let db = env.component(
        "orders",
        postgres()
            .port(port)
            .listen_addresses("127.0.0.1")
            .allowed_cidrs(["127.0.0.0/8"])
            .setting("ssl_cert_file", "/etc/ssl/certs/ssl-cert-snakeoil.pem")
            .setting("ssl_key_file", "/etc/ssl/private/ssl-cert-snakeoil.key")
            .setting("unix_socket_directories", &d)
            .backup_dir(format!("{d}/backups")),
    );
    let out = synth(env);
    let runner = minion(&program, &out.salt, "orders");
    let role = &db.role;

    // The files as the role writes them, Jinja rendered by Salt.
    let data = dir.join("data");
    let write = |path: PathBuf, text: &str| {
        std::fs::create_dir_all(path.parent().unwrap()).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    std::fs::create_dir_all(dir.join("backups")).expect("mkdir");
    let chown = || {
        let status = std::process::Command::new("chown")
            .args(["-R", "postgres:postgres", &d])
            .status()
            .expect("chown");
        assert!(status.success());
    };
    chown();
    succeed(&format!(
        "{}/initdb -D {d}/data -U postgres --auth-local=peer \
         --auth-host=reject >/dev/null",
        bin.display()
    ));
    let _server = Server {
        bin: bin.clone(),
        dir: dir.clone(),
    };
    write(
        data.join("conf.d/50-onioncloud.conf"),
        &arg(role, "postgres-conf", "contents"),
    );
    write(
        data.join("conf.d/51-onioncloud-listen.conf"),
        &render(&runner, role, "postgres-listen-conf"),
    );
    write(
        data.join("pg_hba.conf"),
        &arg(role, "postgres-hba", "contents"),
    );
    let sql = dir.join("password.sql");
    write(
        sql.clone(),
        &render(&runner, role, "postgres-password-file"),
    );
    let script = dir.join("backup.sh");
    write(
        script.clone(),
        &arg(role, "postgres-backup-script", "contents"),
    );
    let mut conf = std::fs::read_to_string(data.join("postgresql.conf"))
        .expect("postgresql.conf");
    conf.push_str("include_dir = 'conf.d'\n");
    write(data.join("postgresql.conf"), &conf);
    chown();
    std::process::Command::new("chmod")
        .args(["0700", &format!("{d}/backups")])
        .status()
        .expect("chmod");
    succeed(&format!(
        "{}/pg_ctl -D {d}/data -l {d}/log -w -t 60 start >/dev/null",
        bin.display()
    ));

    // The password, set with the role's own command.
    let command = arg(role, "postgres-password", "name")
        .replace(
            "/etc/postgresql/16/main/onioncloud-password.sql",
            &sql.display().to_string(),
        )
        .replace("psql ", &format!("{}/psql ", bin.display()));
    succeed(&format!("PGHOST={d} {command}"));

    let psql = |query: &str| {
        succeed(&format!(
            "{}/psql -X -A -t -h {d} -p {port} -c \"{query}\"",
            bin.display()
        ))
    };
    assert_eq!(
        psql("SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL"),
        "0"
    );
    assert_eq!(psql("SHOW password_encryption"), "scram-sha-256");
    assert_eq!(psql("SHOW ssl"), "on");
    assert_eq!(psql("SHOW ssl_min_protocol_version"), "TLSv1.2");
    assert_eq!(psql("SHOW listen_addresses"), "127.0.0.1");
    assert_eq!(psql("SHOW log_connections"), "on");
    assert_eq!(
        psql(
            "SELECT rolpassword LIKE 'SCRAM-SHA-256\\$%' FROM pg_authid \
             WHERE rolname = 'postgres'"
        ),
        "t"
    );

    // Over TCP: TLS and the password, or nothing.
    let tcp = |sslmode: &str, password: &str| {
        as_postgres(&format!(
            "PGPASSWORD={} {}/psql -X -A -t \"host=127.0.0.1 port={port} \
             user=postgres dbname=postgres sslmode={sslmode}\" -c \"SELECT \
             ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()\"",
            super::private_database::shell_quote(password),
            bin.display()
        ))
    };
    let plain = tcp("disable", DB_PASSWORD_VALUE);
    assert!(!plain.status.success());
    let error = String::from_utf8_lossy(&plain.stderr);
    assert!(error.contains("no encryption"), "{error}");
    let wrong = tcp("require", "not-the-password");
    assert!(!wrong.status.success());
    let tls = tcp("require", DB_PASSWORD_VALUE);
    assert!(
        tls.status.success(),
        "{}",
        String::from_utf8_lossy(&tls.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&tls.stdout).trim(), "t");

    // The backup script, as the timer runs it.
    succeed(&format!(
        "PATH={}:$PATH PGHOST={d} PGPORT={port} sh {}",
        bin.display(),
        script.display()
    ));
    let dumps: Vec<String> = std::fs::read_dir(dir.join("backups"))
        .expect("backups")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        dumps.iter().any(
            |name| name.starts_with("postgres-") && name.ends_with(".dump")
        ) && dumps.iter().any(|name| name.starts_with("globals-")),
        "{dumps:?}"
    );
}
