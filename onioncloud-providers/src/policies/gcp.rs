//! The Google Cloud rules.

use onioncloud_core::Value;
use onioncloud_core::policy::{
    Enforcement, Policy, PolicyContext, ResourceView, Rule, Severity,
    Violation, refers_to,
};

use super::rule;
use super::support::{
    ADMIN_PORTS, DB_PORTS, blocks, boolean, describe_ports, is_production,
    ports_in, string, strings, world_ranges,
};

/// `OC-GCP-GCS-UNIFORM-ACCESS`: every `google_storage_bucket` sets
/// `uniform_bucket_level_access = true`. Missing is a violation (the
/// default is false); a non-literal is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct GcsUniformAccess;

impl Policy for GcsUniformAccess {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-GCS-UNIFORM-ACCESS",
            "Cloud Storage buckets use uniform bucket-level access",
            &[],
            &["5.2"],
            &["AC-3"],
        )
        .description(
            "With uniform access, IAM alone decides who reads a bucket; \
             object ACLs cannot quietly open single objects.",
        )
        .remediation(
            "Set `uniform_bucket_level_access = true` (ObjectStore::gcs \
             does).",
        )
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for bucket in env.resources_of("google_storage_bucket") {
            match bucket.path("uniform_bucket_level_access") {
                None => out.push(bucket.violation(
                    "`uniform_bucket_level_access` is not set (it defaults \
                     to false)",
                )),
                Some(Value::Bool(false)) => out.push(
                    bucket.violation("`uniform_bucket_level_access` is false"),
                ),
                Some(_) => {}
            }
        }
    }
}

/// The members that make a bucket public.
const PUBLIC_MEMBERS: &[&str] = &["allUsers", "allAuthenticatedUsers"];

/// `OC-GCP-GCS-PUBLIC`: every `google_storage_bucket` sets
/// `public_access_prevention = "enforced"` (missing means `inherited`),
/// and no `google_storage_bucket_iam_member` or `_binding` referring to a
/// bucket grants `allUsers` or `allAuthenticatedUsers`. Non-literals are
/// accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct GcsPublic;

impl Policy for GcsPublic {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-GCS-PUBLIC",
            "Cloud Storage buckets enforce public access prevention",
            &[],
            &["5.1"],
            &["AC-3", "SC-7"],
        )
        .description(
            "Public access prevention stops any IAM grant to allUsers or \
             allAuthenticatedUsers from publishing the bucket.",
        )
        .remediation(
            "Set `public_access_prevention = \"enforced\"` (ObjectStore::gcs \
             does) and grant no role to allUsers or allAuthenticatedUsers.",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for bucket in env.resources_of("google_storage_bucket") {
            match bucket.path("public_access_prevention") {
                None => out.push(bucket.violation(
                    "`public_access_prevention` is not set (it defaults to \
                     inherited)",
                )),
                Some(Value::String(value)) if value != "enforced" => {
                    out.push(bucket.violation(format!(
                        "`public_access_prevention` is {value:?}, not \
                         \"enforced\""
                    )))
                }
                Some(_) => {}
            }
        }
        for grant in env.resources().filter(|r| {
            matches!(
                r.kind(),
                "google_storage_bucket_iam_member"
                    | "google_storage_bucket_iam_binding"
            )
        }) {
            let mut members = strings(grant.path("member"));
            members.extend(strings(grant.path("members")));
            if let Some(member) =
                members.iter().find(|m| PUBLIC_MEMBERS.contains(m))
            {
                out.push(
                    grant.violation(format!(
                        "the bucket is granted to {member}"
                    )),
                );
            }
        }
    }
}

/// `OC-GCP-GCS-LOGGING`: every `google_storage_bucket` has a `logging`
/// block with a `log_bucket`. A log bucket that should not log into
/// itself is a case for a suppression.
#[derive(Clone, Copy, Debug, Default)]
pub struct GcsLogging;

impl Policy for GcsLogging {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-GCS-LOGGING",
            "Cloud Storage buckets log access",
            &[],
            &[],
            &["AU-2", "AU-12"],
        )
        .description(
            "Usage logs record who read and wrote what, for investigations \
             and audits.",
        )
        .remediation(
            "Add a `logging` block naming a log bucket \
             (ObjectStore::access_logs), or suppress the rule for the log \
             bucket itself with a justification.",
        )
        .severity(Severity::Medium)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for bucket in env.resources_of("google_storage_bucket") {
            if bucket.path("logging.log_bucket").is_none() {
                out.push(bucket.violation("no `logging` block"));
            }
        }
    }
}

/// The `ip_configuration` of a Cloud SQL instance.
fn ip_configuration<'a>(
    db: &ResourceView<'a>,
) -> Option<&'a std::collections::BTreeMap<String, Value>> {
    blocks(db.path("settings.ip_configuration"))
        .first()
        .copied()
}

/// `OC-GCP-SQL-PUBLIC`: no `google_sql_database_instance` with a public
/// address (`ipv4_enabled` not false) lists `0.0.0.0/0` or `::/0` among
/// its `authorized_networks`. Non-literal networks are accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct SqlPublic;

impl Policy for SqlPublic {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-SQL-PUBLIC",
            "Cloud SQL instances do not authorize 0.0.0.0/0",
            &[],
            &["6.5"],
            &["AC-3", "SC-7"],
        )
        .description(
            "An authorized network of 0.0.0.0/0 lets the whole internet \
             connect to the instance's public address.",
        )
        .remediation(
            "Use a private address (`ipv4_enabled = false` with \
             `private_network`), or authorize only known ranges.",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for db in env.resources_of("google_sql_database_instance") {
            let Some(ip) = ip_configuration(&db) else {
                continue;
            };
            if boolean(ip.get("ipv4_enabled")) == Some(false) {
                continue;
            }
            for (i, network) in
                blocks(ip.get("authorized_networks")).iter().enumerate()
            {
                let values = strings(network.get("value"));
                if let Some(world) = world_ranges(&values) {
                    out.push(db.violation(format!(
                        "`settings.ip_configuration.authorized_networks[{i}]` \
                         authorizes {world}"
                    )));
                }
            }
        }
    }
}

/// The SSL modes that refuse unencrypted connections.
const ENCRYPTED_SSL_MODES: &[&str] =
    &["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"];

/// `OC-GCP-SQL-TLS`: every `google_sql_database_instance` sets
/// `settings.ip_configuration.ssl_mode` to `ENCRYPTED_ONLY` or
/// `TRUSTED_CLIENT_CERTIFICATE_REQUIRED`, or the older `require_ssl =
/// true`. Missing is a violation (the default allows unencrypted
/// connections); a non-literal is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct SqlTls;

impl Policy for SqlTls {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-SQL-TLS",
            "Cloud SQL instances accept only encrypted connections",
            &[],
            &["6.4"],
            &["SC-8"],
        )
        .description(
            "Without an SSL mode that requires TLS, clients may connect \
             unencrypted and send passwords and data in the clear.",
        )
        .remediation(
            "Set `settings.ip_configuration.ssl_mode = \"ENCRYPTED_ONLY\"` \
             (Database::gcp_postgres does).",
        )
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for db in env.resources_of("google_sql_database_instance") {
            let ip = ip_configuration(&db);
            let mode = ip.and_then(|ip| ip.get("ssl_mode"));
            let require_ssl = ip.and_then(|ip| boolean(ip.get("require_ssl")));
            match mode {
                Some(Value::String(mode))
                    if !ENCRYPTED_SSL_MODES.contains(&mode.as_str()) =>
                {
                    out.push(db.violation(format!(
                        "`settings.ip_configuration.ssl_mode` is {mode:?}, \
                         which accepts unencrypted connections"
                    )))
                }
                Some(_) => {}
                None if require_ssl == Some(true) => {}
                None => out.push(db.violation(
                    "`settings.ip_configuration.ssl_mode` is not set (the \
                     default accepts unencrypted connections)",
                )),
            }
        }
    }
}

/// `OC-GCP-SQL-BACKUP`: every `google_sql_database_instance` has
/// `settings.backup_configuration.enabled = true`. Missing is a
/// violation; a non-literal is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct SqlBackup;

impl Policy for SqlBackup {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-SQL-BACKUP",
            "Cloud SQL instances have automated backups",
            &[],
            &["6.7"],
            &["CP-9"],
        )
        .description(
            "Automated backups are what brings data back after a mistake \
             or an attack.",
        )
        .remediation(
            "Set `settings.backup_configuration.enabled = true`, with \
             point-in-time recovery.",
        )
        .severity(Severity::Medium)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for db in env.resources_of("google_sql_database_instance") {
            match db.path("settings.backup_configuration.enabled") {
                None => out.push(db.violation(
                    "`settings.backup_configuration.enabled` is not set (it \
                     defaults to false)",
                )),
                Some(Value::Bool(false)) => out.push(db.violation(
                    "`settings.backup_configuration.enabled` is false",
                )),
                Some(_) => {}
            }
        }
    }
}

/// `OC-GCP-SQL-HA` (advisory): production Cloud SQL instances set
/// `settings.availability_type = "REGIONAL"`. Other environments are not
/// checked; a non-literal is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct SqlHa;

impl Policy for SqlHa {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-SQL-HA",
            "production Cloud SQL instances are regional",
            &[],
            &[],
            &["CP-10"],
        )
        .description(
            "A regional instance has a standby in another zone that takes \
             over when a zone fails. Whether the cost is worth it is the \
             team's call, hence advisory; only production environments \
             are checked.",
        )
        .remediation("Set `settings.availability_type = \"REGIONAL\"`.")
        .severity(Severity::Medium)
        .enforcement(Enforcement::Advisory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for db in env.resources_of("google_sql_database_instance") {
            if !is_production(env, &db) {
                continue;
            }
            match db.path("settings.availability_type") {
                None => out.push(db.violation(
                    "`settings.availability_type` is not set (it defaults \
                     to ZONAL) in a production environment",
                )),
                Some(Value::String(kind)) if kind != "REGIONAL" => {
                    out.push(db.violation(format!(
                        "`settings.availability_type` is {kind:?} in a \
                         production environment"
                    )))
                }
                Some(_) => {}
            }
        }
    }
}

/// The watched ports an `allow` block of a firewall opens: protocol
/// `all` (or `tcp`, `6`) without `ports` is every port; literal `ports`
/// such as `22` or `20-30` are checked.
fn firewall_ports(
    watched: &[(i64, &'static str)],
    allow: &std::collections::BTreeMap<String, Value>,
) -> Vec<(i64, &'static str)> {
    let Some(protocol) = string(allow.get("protocol")) else {
        return Vec::new();
    };
    if !matches!(protocol.to_ascii_lowercase().as_str(), "all" | "tcp" | "6") {
        return Vec::new();
    }
    let ports = match allow.get("ports") {
        None => return watched.to_vec(),
        Some(Value::List(items)) if items.is_empty() => {
            return watched.to_vec();
        }
        Some(value) => strings(Some(value)),
    };
    if protocol.eq_ignore_ascii_case("all") {
        return watched.to_vec();
    }
    let mut open = Vec::new();
    for range in ports {
        let (from, to) = match range.split_once('-') {
            Some((a, b)) => (a.trim().parse().ok(), b.trim().parse().ok()),
            None => {
                let port = range.trim().parse().ok();
                (port, port)
            }
        };
        if let (Some(from), Some(to)) = (from, to) {
            for port in ports_in(watched, from, to) {
                if !open.contains(&port) {
                    open.push(port);
                }
            }
        }
    }
    open.sort();
    open
}

/// Reports every enabled ingress firewall whose literal `source_ranges`
/// include the world and whose `allow` blocks open one of `watched`.
fn check_firewalls(
    env: &PolicyContext<'_>,
    watched: &[(i64, &'static str)],
    out: &mut Vec<Violation>,
) {
    for firewall in env.resources_of("google_compute_firewall") {
        if firewall.bool("disabled") == Some(true) {
            continue;
        }
        let direction = firewall.string("direction").unwrap_or("INGRESS");
        if !direction.eq_ignore_ascii_case("INGRESS") {
            continue;
        }
        let ranges = strings(firewall.path("source_ranges"));
        let Some(world) = world_ranges(&ranges) else {
            continue;
        };
        let mut open: Vec<(i64, &'static str)> = Vec::new();
        for allow in blocks(firewall.path("allow")) {
            for port in firewall_ports(watched, allow) {
                if !open.contains(&port) {
                    open.push(port);
                }
            }
        }
        open.sort();
        if !open.is_empty() {
            out.push(firewall.violation(format!(
                "lets {world} in to {}",
                describe_ports(&open)
            )));
        }
    }
}

/// `OC-GCP-FW-ADMIN-PORTS`: no enabled ingress `google_compute_firewall`
/// lets `0.0.0.0/0` or `::/0` in to port 22 or 3389. Non-literal ranges
/// and ports are accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct FirewallAdminPorts;

impl Policy for FirewallAdminPorts {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-FW-ADMIN-PORTS",
            "no firewall lets the internet reach SSH or RDP",
            &[],
            &["3.6", "3.7"],
            &["SC-7"],
        )
        .description(
            "SSH and RDP open to the internet are scanned and attacked \
             within minutes.",
        )
        .remediation(
            "Allow SSH from Identity-Aware Proxy's range 35.235.240.0/20, \
             or from a VPN range, instead.",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        check_firewalls(env, ADMIN_PORTS, out);
    }
}

/// `OC-GCP-FW-DB-PORTS`: no enabled ingress `google_compute_firewall`
/// lets `0.0.0.0/0` or `::/0` in to a database port.
#[derive(Clone, Copy, Debug, Default)]
pub struct FirewallDbPorts;

impl Policy for FirewallDbPorts {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-FW-DB-PORTS",
            "no firewall lets the internet reach database ports",
            &[],
            &[],
            &["SC-7"],
        )
        .description(
            "Databases reachable from the internet are one weak password \
             from a breach.",
        )
        .remediation(
            "Allow database ports from the application's network tags or \
             ranges only.",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        check_firewalls(env, DB_PORTS, out);
    }
}

/// Subnetwork purposes without flow logs (proxy-only and Private Service
/// Connect subnets).
const NO_FLOW_LOG_PURPOSES: &[&str] = &[
    "REGIONAL_MANAGED_PROXY",
    "GLOBAL_MANAGED_PROXY",
    "INTERNAL_HTTPS_LOAD_BALANCER",
    "PRIVATE_SERVICE_CONNECT",
];

/// `OC-GCP-SUBNET-FLOW-LOGS`: every `google_compute_subnetwork` (but
/// proxy-only and Private Service Connect ones) has a `log_config`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SubnetFlowLogs;

impl Policy for SubnetFlowLogs {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-SUBNET-FLOW-LOGS",
            "each subnetwork has VPC flow logs",
            &[],
            &["3.8"],
            &["AU-12", "SI-4"],
        )
        .description(
            "Flow logs record the traffic of the subnetwork's machines, to \
             detect and investigate intrusions.",
        )
        .remediation(
            "Add a `log_config` block (gcp::SubnetworkLogConfig); CIS \
             asks for a 5-second interval, all metadata and a sampling \
             of 1.",
        )
        .severity(Severity::Medium)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for subnet in env.resources_of("google_compute_subnetwork") {
            if subnet
                .string("purpose")
                .is_some_and(|p| NO_FLOW_LOG_PURPOSES.contains(&p))
            {
                continue;
            }
            if subnet.path("log_config").is_none() {
                out.push(subnet.violation("no `log_config` block"));
            }
        }
    }
}

/// What is wrong with a `google_compute_ssl_policy`, if anything: its
/// `profile` must be `MODERN` or `RESTRICTED` (default `COMPATIBLE`) and
/// its `min_tls_version` `TLS_1_2` or later (default `TLS_1_0`).
fn ssl_policy_problem(policy: &ResourceView<'_>) -> Option<String> {
    let profile = match policy.path("profile") {
        None => Some("COMPATIBLE"),
        Some(Value::String(p)) => Some(p.as_str()),
        Some(_) => None,
    };
    let version = match policy.path("min_tls_version") {
        None => Some("TLS_1_0"),
        Some(Value::String(v)) => Some(v.as_str()),
        Some(_) => None,
    };
    let mut problems = Vec::new();
    if let Some(profile) = profile
        && !matches!(profile, "MODERN" | "RESTRICTED")
    {
        problems.push(format!("`profile` is {profile}"));
    }
    if let Some(version) = version
        && !matches!(version, "TLS_1_2" | "TLS_1_3")
    {
        problems.push(format!("`min_tls_version` is {version}"));
    }
    (!problems.is_empty()).then(|| problems.join(" and "))
}

/// `OC-GCP-LB-TLS-POLICY`: every `google_compute_target_https_proxy` and
/// `google_compute_target_ssl_proxy` has an `ssl_policy`, and every
/// `google_compute_ssl_policy` has profile `MODERN` or `RESTRICTED` and
/// `min_tls_version` `TLS_1_2`. A proxy's policy given by reference is
/// checked where it is declared; one given as a literal self link of a
/// policy outside the environment is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct LbTlsPolicyGcp;

impl Policy for LbTlsPolicyGcp {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-LB-TLS-POLICY",
            "HTTPS and SSL proxies use a MODERN or RESTRICTED TLS 1.2 \
             policy",
            &[],
            &["3.9"],
            &["SC-8", "SC-13"],
        )
        .description(
            "Without an SSL policy a Google load balancer accepts TLS 1.0 \
             and weak cipher suites.",
        )
        .remediation(
            "Declare a google_compute_ssl_policy with `profile = \
             \"MODERN\"` and `min_tls_version = \"TLS_1_2\"` and refer to \
             it from the proxy's `ssl_policy` (LoadBalancer::gcp_https \
             does).",
        )
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for proxy in env.resources().filter(|r| {
            matches!(
                r.kind(),
                "google_compute_target_https_proxy"
                    | "google_compute_target_ssl_proxy"
            )
        }) {
            if proxy.path("ssl_policy").is_none() {
                out.push(proxy.violation(
                    "`ssl_policy` is not set (the default policy allows TLS \
                     1.0)",
                ));
            }
        }
        for policy in env.resources_of("google_compute_ssl_policy") {
            if let Some(problem) = ssl_policy_problem(&policy) {
                out.push(policy.violation(format!(
                    "{problem}, not MODERN or RESTRICTED with TLS_1_2"
                )));
            }
        }
    }
}

/// The instance group resource types.
const GROUP_KINDS: &[&str] = &[
    "google_compute_instance_group",
    "google_compute_instance_group_manager",
    "google_compute_region_instance_group_manager",
];

/// Whether a condition filter covers every instance of the project: it
/// selects `gce_instance` without narrowing by label or metadata.
fn project_wide(filter: &str) -> bool {
    filter.contains("gce_instance")
        && !filter.contains("resource.label")
        && !filter.contains("metadata.")
        && !filter.contains("group.")
}

/// The literal strings anywhere inside a value.
fn texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::List(items) | Value::Concat(items) => {
            items.iter().for_each(|v| texts(v, out))
        }
        Value::Map(map) => map.values().for_each(|v| texts(v, out)),
        _ => {}
    }
}

/// `OC-GCP-ALERT` (advisory): every compute instance group
/// (`google_compute_instance_group` and the instance group managers) is
/// covered by a `google_monitoring_alert_policy`: one whose `conditions`
/// refer to the group, name it literally, or select `gce_instance`
/// project-wide (without narrowing by label, metadata or group).
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupAlert;

impl Policy for GroupAlert {
    fn rule(&self) -> Rule {
        rule(
            "OC-GCP-ALERT",
            "each compute instance group is covered by an alert policy",
            &[],
            &[],
            &["SI-4"],
        )
        .description(
            "An alert policy tells someone when a group's machines are in \
             trouble; teams monitoring another way may choose otherwise, \
             hence advisory.",
        )
        .remediation(
            "Declare a google_monitoring_alert_policy whose condition \
             filter covers the group's instances.",
        )
        .severity(Severity::Low)
        .enforcement(Enforcement::Advisory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        let policies: Vec<(ResourceView<'_>, Vec<String>)> = env
            .resources_of("google_monitoring_alert_policy")
            .map(|p| {
                let mut found = Vec::new();
                if let Some(conditions) = p.path("conditions") {
                    texts(conditions, &mut found);
                }
                (p, found)
            })
            .collect();
        for group in env.resources().filter(|r| GROUP_KINDS.contains(&r.kind()))
        {
            let name = group.string("name");
            let covered = policies.iter().any(|(policy, filters)| {
                policy
                    .path("conditions")
                    .is_some_and(|c| refers_to(c, group.address()))
                    || filters.iter().any(|f| {
                        project_wide(f) || name.is_some_and(|n| f.contains(n))
                    })
            });
            if !covered {
                out.push(group.violation(
                    "no google_monitoring_alert_policy covers the group's \
                     instances",
                ));
            }
        }
    }
}
