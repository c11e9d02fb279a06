//! The AWS rules.

use std::collections::BTreeMap;

use onioncloud_core::policy::{
    Enforcement, Policy, PolicyContext, ResourceView, Rule, Severity, Violation,
};
use onioncloud_core::{Mode, Value};

use super::rule;
use super::support::{
    ADMIN_PORTS, DB_PORTS, aws_rule_ports, blocks, companions, describe_ports,
    designates, document_text, get, integer, is_production, on_s3_gateway,
    string, strings, world_ranges,
};

/// The S3 buckets of AWS itself (not of an S3-compatible gateway).
fn aws_buckets<'a>(env: &PolicyContext<'a>) -> Vec<ResourceView<'a>> {
    env.resources_of("aws_s3_bucket")
        .filter(|b| !on_s3_gateway(env, b))
        .collect()
}

/// The algorithms S3 default encryption accepts.
const SSE_ALGORITHMS: &[&str] = &["AES256", "aws:kms", "aws:kms:dsse"];

/// Checks the default encryption of `buckets`: each needs an
/// `aws_s3_bucket_server_side_encryption_configuration` (or the legacy
/// inline `server_side_encryption_configuration` block) with a known
/// algorithm. Shared with the Ceph rule.
pub(crate) fn check_bucket_encryption(
    env: &PolicyContext<'_>,
    buckets: &[ResourceView<'_>],
    out: &mut Vec<Violation>,
) {
    for bucket in buckets {
        if bucket
            .path("server_side_encryption_configuration")
            .is_some()
        {
            continue;
        }
        let configs = companions(
            env,
            "aws_s3_bucket_server_side_encryption_configuration",
            "bucket",
            bucket,
            "bucket",
        );
        if configs.is_empty() {
            out.push(bucket.violation(
                "no aws_s3_bucket_server_side_encryption_configuration \
                 refers to the bucket",
            ));
        }
        for config in configs {
            for (i, rule) in blocks(config.path("rule")).iter().enumerate() {
                let algorithm = string(get(
                    rule,
                    "apply_server_side_encryption_by_default.sse_algorithm",
                ));
                if let Some(algorithm) = algorithm
                    && !SSE_ALGORITHMS.contains(&algorithm)
                {
                    out.push(config.violation(format!(
                        "`rule[{i}].apply_server_side_encryption_by_default.\
                         sse_algorithm` is {algorithm:?}, not AES256, \
                         aws:kms or aws:kms:dsse"
                    )));
                }
            }
        }
    }
}

/// `OC-AWS-S3-ENCRYPTION`: every S3 bucket has an
/// `aws_s3_bucket_server_side_encryption_configuration` referring to it
/// (or the legacy inline block) with `AES256`, `aws:kms` or
/// `aws:kms:dsse`. An algorithm that is not a literal is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct S3Encryption;

impl Policy for S3Encryption {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-S3-ENCRYPTION",
            "S3 buckets declare default server-side encryption",
            &[],
            &[],
            &["SC-28"],
        )
        .description(
            "A bucket's default encryption is declared in code, so that \
             the choice of keys (S3-managed or KMS) is reviewed and kept.",
        )
        .remediation(
            "Declare an aws_s3_bucket_server_side_encryption_configuration \
             whose `bucket` refers to the bucket, with AES256 or aws:kms \
             (ObjectStore::s3 does by default).",
        )
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        check_bucket_encryption(env, &aws_buckets(env), out);
    }
}

/// The four flags of a public access block.
const PUBLIC_ACCESS_FLAGS: &[&str] = &[
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

/// `OC-AWS-S3-PUBLIC-ACCESS`: every S3 bucket has an
/// `aws_s3_bucket_public_access_block` referring to it with all four
/// flags true. A flag that is missing or literally false is a violation;
/// one that is not a literal is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct S3PublicAccess;

impl Policy for S3PublicAccess {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-S3-PUBLIC-ACCESS",
            "S3 buckets block every kind of public access",
            &["2.1.4"],
            &[],
            &["AC-3", "SC-7"],
        )
        .description(
            "Without a public access block with its four flags on, one \
             ACL or bucket policy can publish the bucket to the internet.",
        )
        .remediation(
            "Declare an aws_s3_bucket_public_access_block whose `bucket` \
             refers to the bucket, with block_public_acls, \
             block_public_policy, ignore_public_acls and \
             restrict_public_buckets all true.",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for bucket in aws_buckets(env) {
            let blocks = companions(
                env,
                "aws_s3_bucket_public_access_block",
                "bucket",
                &bucket,
                "bucket",
            );
            if blocks.is_empty() {
                out.push(bucket.violation(
                    "no aws_s3_bucket_public_access_block refers to the \
                     bucket",
                ));
            }
            for block in blocks {
                let off: Vec<String> = PUBLIC_ACCESS_FLAGS
                    .iter()
                    .filter(|flag| {
                        matches!(
                            block.path(flag),
                            None | Some(Value::Bool(false))
                        )
                    })
                    .map(|flag| format!("`{flag}`"))
                    .collect();
                if !off.is_empty() {
                    out.push(block.violation(format!(
                        "{} not true",
                        if off.len() == 1 {
                            format!("{} is", off[0])
                        } else {
                            format!("{} are", off.join(", "))
                        }
                    )));
                }
            }
        }
    }
}

/// `OC-AWS-S3-LOGGING`: every S3 bucket has an `aws_s3_bucket_logging`
/// referring to it (or the legacy inline `logging` block). A log bucket
/// that should not log into itself is a case for a suppression.
#[derive(Clone, Copy, Debug, Default)]
pub struct S3Logging;

impl Policy for S3Logging {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-S3-LOGGING",
            "S3 buckets log access",
            &[],
            &[],
            &["AU-2", "AU-12"],
        )
        .description(
            "Server access logs record who read and wrote what, for \
             investigations and audits.",
        )
        .remediation(
            "Declare an aws_s3_bucket_logging whose `bucket` refers to \
             the bucket (ObjectStore::access_logs), or suppress the rule \
             for the log bucket itself with a justification.",
        )
        .severity(Severity::Medium)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for bucket in aws_buckets(env) {
            if bucket.path("logging").is_some() {
                continue;
            }
            let logging = companions(
                env,
                "aws_s3_bucket_logging",
                "bucket",
                &bucket,
                "bucket",
            );
            if logging.is_empty() {
                out.push(bucket.violation(
                    "no aws_s3_bucket_logging refers to the bucket",
                ));
            }
        }
    }
}

/// The RDS resources: instances and Aurora clusters.
const RDS_KINDS: &[&str] = &["aws_db_instance", "aws_rds_cluster"];

/// The RDS instances and clusters that are not read replicas (which
/// inherit their source's storage and backups), nor cluster members.
fn rds<'a>(env: &PolicyContext<'a>) -> Vec<ResourceView<'a>> {
    env.resources()
        .filter(|r| RDS_KINDS.contains(&r.kind()))
        .filter(|r| {
            r.path("replicate_source_db").is_none()
                && r.path("replication_source_identifier").is_none()
        })
        .collect()
}

/// `OC-AWS-RDS-ENCRYPTION`: `storage_encrypted` is true on every RDS
/// instance and Aurora cluster (read replicas inherit it). Missing is a
/// violation (the default is false); a non-literal is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct RdsEncryption;

impl Policy for RdsEncryption {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-RDS-ENCRYPTION",
            "RDS storage is encrypted",
            &["2.3.1"],
            &[],
            &["SC-28"],
        )
        .description(
            "Unencrypted RDS storage, snapshots and backups can be read by \
             anyone who gets hold of them; encryption cannot be turned on \
             later without a copy.",
        )
        .remediation("Set `storage_encrypted = true` (Database does).")
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for db in rds(env) {
            match db.path("storage_encrypted") {
                None => out.push(db.violation(
                    "`storage_encrypted` is not set (it defaults to false)",
                )),
                Some(Value::Bool(false)) => {
                    out.push(db.violation("`storage_encrypted` is false"))
                }
                Some(_) => {}
            }
        }
    }
}

/// `OC-AWS-RDS-PUBLIC`: no RDS instance is `publicly_accessible`
/// (literally true).
#[derive(Clone, Copy, Debug, Default)]
pub struct RdsPublic;

impl Policy for RdsPublic {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-RDS-PUBLIC",
            "RDS instances are not publicly accessible",
            &["2.3.3"],
            &[],
            &["AC-3", "SC-7"],
        )
        .description(
            "A publicly accessible instance has an address on the \
             internet; one security group rule away from anyone.",
        )
        .remediation(
            "Remove `publicly_accessible` or set it to false; reach the \
             database from inside the VPC.",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        // Aurora's instances have the setting of their own.
        let instances = env
            .resources_of("aws_db_instance")
            .chain(env.resources_of("aws_rds_cluster_instance"));
        for db in instances {
            if db.bool("publicly_accessible") == Some(true) {
                out.push(db.violation("`publicly_accessible` is true"));
            }
        }
    }
}

/// `OC-AWS-RDS-BACKUP`: `backup_retention_period` is at least 7 days.
/// Missing is a violation (the default keeps fewer); a non-literal is
/// accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct RdsBackup;

impl Policy for RdsBackup {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-RDS-BACKUP",
            "RDS instances keep automated backups for at least 7 days",
            &[],
            &[],
            &["CP-9"],
        )
        .description(
            "Automated backups and point-in-time recovery are what brings \
             data back after a mistake or an attack; a week gives time to \
             notice.",
        )
        .remediation("Set `backup_retention_period` to 7 or more.")
        .severity(Severity::Medium)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for db in rds(env) {
            let value = db.path("backup_retention_period");
            match (value, integer(value)) {
                (None, _) => out.push(db.violation(
                    "`backup_retention_period` is not set (the default \
                     keeps fewer than 7 days)",
                )),
                (_, Some(days)) if days < 7 => out.push(db.violation(format!(
                    "`backup_retention_period` is {days}, fewer than 7"
                ))),
                _ => {}
            }
        }
    }
}

/// `OC-AWS-RDS-MULTI-AZ` (advisory): production RDS instances set
/// `multi_az = true`. Other environments are not checked; a non-literal
/// is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct RdsMultiAz;

impl Policy for RdsMultiAz {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-RDS-MULTI-AZ",
            "production RDS instances have a standby in another zone",
            &[],
            &[],
            &["CP-10"],
        )
        .description(
            "A Multi-AZ standby takes over when a zone fails. Whether the \
             cost is worth it is the team's call, hence advisory; only \
             production environments are checked.",
        )
        .remediation("Set `multi_az = true`.")
        .severity(Severity::Medium)
        .enforcement(Enforcement::Advisory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for db in env.resources_of("aws_db_instance") {
            if db.path("replicate_source_db").is_some()
                || !is_production(env, &db)
            {
                continue;
            }
            match db.path("multi_az") {
                None => out.push(db.violation(
                    "`multi_az` is not set in a production environment",
                )),
                Some(Value::Bool(false)) => out.push(db.violation(
                    "`multi_az` is false in a production environment",
                )),
                Some(_) => {}
            }
        }
    }
}

/// `OC-AWS-EBS-ENCRYPTION`: the root and EBS block devices of every
/// `aws_instance`, and every `aws_ebs_volume`, set `encrypted = true`,
/// unless the environment declares `aws_ebs_encryption_by_default` with
/// `enabled` not false. Missing is a violation; a non-literal is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct EbsEncryption;

impl Policy for EbsEncryption {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-EBS-ENCRYPTION",
            "EC2 root and EBS volumes are encrypted",
            &["2.2.1"],
            &[],
            &["SC-28"],
        )
        .description(
            "Unencrypted volumes and their snapshots can be read by \
             anyone who gets hold of them.",
        )
        .remediation(
            "Set `encrypted = true` in `root_block_device` and each \
             `ebs_block_device` (Compute::aws does), or declare \
             aws_ebs_encryption_by_default.",
        )
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        let by_default = env
            .resources_of("aws_ebs_encryption_by_default")
            .any(|r| r.bool("enabled") != Some(false));
        if by_default {
            return;
        }
        for vm in env.resources_of("aws_instance") {
            let roots = blocks(vm.path("root_block_device"));
            if roots.is_empty() {
                out.push(vm.violation(
                    "the root volume is not encrypted (no \
                     `root_block_device` with `encrypted = true`)",
                ));
            }
            for root in roots {
                if unencrypted(root.get("encrypted")) {
                    out.push(vm.violation(
                        "`root_block_device.encrypted` is not true",
                    ));
                }
            }
            for (i, device) in
                blocks(vm.path("ebs_block_device")).iter().enumerate()
            {
                if unencrypted(device.get("encrypted")) {
                    out.push(vm.violation(format!(
                        "`ebs_block_device[{i}].encrypted` is not true"
                    )));
                }
            }
        }
        for volume in env.resources_of("aws_ebs_volume") {
            if unencrypted(volume.path("encrypted")) {
                out.push(volume.violation("`encrypted` is not true"));
            }
        }
    }
}

/// Missing or literally false.
fn unencrypted(value: Option<&Value>) -> bool {
    matches!(value, None | Some(Value::Bool(false)))
}

/// The listener resource types.
const LISTENER_KINDS: &[&str] = &["aws_lb_listener", "aws_alb_listener"];

fn listeners<'a>(env: &PolicyContext<'a>) -> Vec<ResourceView<'a>> {
    env.resources()
        .filter(|r| LISTENER_KINDS.contains(&r.kind()))
        .collect()
}

/// Whether every default action of a listener redirects to HTTPS.
fn redirects_to_https(listener: &ResourceView<'_>) -> bool {
    let actions = blocks(listener.path("default_action"));
    !actions.is_empty()
        && actions.iter().all(|action| {
            string(action.get("type")) == Some("redirect")
                && string(get(action, "redirect.protocol"))
                    .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS"))
        })
}

/// `OC-AWS-LB-HTTPS`: load balancer listeners are HTTPS or TLS, or HTTP
/// listeners whose every default action redirects to HTTPS. A missing
/// `protocol` counts as HTTP (the default for application load
/// balancers); TCP and UDP listeners (network load balancers passing
/// traffic through) and non-literal protocols are accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct LbHttps;

impl Policy for LbHttps {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-LB-HTTPS",
            "load balancer listeners use HTTPS or TLS, or redirect HTTP to \
             HTTPS",
            &[],
            &[],
            &["SC-8"],
        )
        .description(
            "Plain HTTP exposes requests, cookies and credentials to \
             anyone on the path.",
        )
        .remediation(
            "Use `protocol = \"HTTPS\"` with a certificate, or make the \
             HTTP listener's default action a redirect to HTTPS \
             (LbListenerAction::redirect_to_https).",
        )
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for listener in listeners(env) {
            let protocol = match listener.path("protocol") {
                None => "HTTP",
                Some(Value::String(p)) => p.as_str(),
                Some(_) => continue,
            };
            if protocol.eq_ignore_ascii_case("HTTP")
                && !redirects_to_https(&listener)
            {
                out.push(listener.violation(
                    "the listener serves plain HTTP and its default action \
                     does not redirect to HTTPS",
                ));
            }
        }
    }
}

/// Whether an ELB security policy name sets TLS 1.2 or later as the
/// minimum: `ELBSecurityPolicy-TLS13-1-2-2021-06`,
/// `ELBSecurityPolicy-TLS-1-2-2017-01`, `ELBSecurityPolicy-FS-1-2-...`.
pub fn is_tls12_elb_policy(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("ELBSecurityPolicy-") else {
        return false;
    };
    let rest = rest
        .strip_prefix("TLS13-")
        .or_else(|| rest.strip_prefix("TLS-"))
        .or_else(|| rest.strip_prefix("FS-"));
    let Some(rest) = rest else {
        return false;
    };
    let mut parts = rest.split('-');
    matches!(
        (parts.next(), parts.next().and_then(|m| m.parse::<u32>().ok())),
        (Some("1"), Some(minor)) if minor >= 2
    )
}

/// `OC-AWS-LB-TLS-POLICY`: HTTPS and TLS listeners name an
/// `ssl_policy` whose minimum is TLS 1.2 (see [`is_tls12_elb_policy`]).
/// A missing policy is a violation (the default,
/// `ELBSecurityPolicy-2016-08`, allows TLS 1.0); a non-literal is
/// accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct LbTlsPolicy;

impl Policy for LbTlsPolicy {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-LB-TLS-POLICY",
            "HTTPS and TLS listeners use a TLS 1.2+ security policy",
            &[],
            &[],
            &["SC-8", "SC-13"],
        )
        .description(
            "TLS 1.0 and 1.1 are deprecated and weak; the default ELB \
             policy still allows them.",
        )
        .remediation(
            "Set `ssl_policy = \"ELBSecurityPolicy-TLS13-1-2-2021-06\"` \
             (LoadBalancer's default) or another TLS 1.2+ policy.",
        )
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for listener in listeners(env) {
            let Some(protocol) = listener.string("protocol") else {
                continue;
            };
            if !matches!(
                protocol.to_ascii_uppercase().as_str(),
                "HTTPS" | "TLS"
            ) {
                continue;
            }
            match listener.path("ssl_policy") {
                None => out.push(listener.violation(
                    "`ssl_policy` is not set (the default allows TLS 1.0)",
                )),
                Some(Value::String(policy)) if !is_tls12_elb_policy(policy) => {
                    out.push(listener.violation(format!(
                        "`ssl_policy` is {policy:?}, which allows TLS \
                         versions before 1.2"
                    )))
                }
                Some(_) => {}
            }
        }
    }
}

/// `OC-AWS-LB-LOGS`: application and network load balancers have
/// `access_logs` with `enabled = true` (the provider's default is false).
/// Gateway load balancers, which have no access logs, are not checked; a
/// non-literal `enabled` is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct LbLogs;

impl Policy for LbLogs {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-LB-LOGS",
            "load balancers write access logs",
            &[],
            &[],
            &["AU-2", "AU-12"],
        )
        .description(
            "Access logs record every request the load balancer served, \
             for investigations and audits.",
        )
        .remediation(
            "Add an `access_logs` block with a bucket and `enabled = true` \
             (LoadBalancer::access_logs).",
        )
        .severity(Severity::Medium)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for lb in env
            .resources()
            .filter(|r| matches!(r.kind(), "aws_lb" | "aws_alb"))
        {
            if lb.string("load_balancer_type") == Some("gateway") {
                continue;
            }
            let logs = blocks(lb.path("access_logs"));
            let Some(logs) = logs.first() else {
                out.push(lb.violation("no `access_logs` block"));
                continue;
            };
            if unencrypted(logs.get("enabled")) {
                out.push(lb.violation("`access_logs.enabled` is not true"));
            }
        }
    }
}

/// Reports every security group rule of `env` letting the world reach
/// one of `watched`: inline `ingress` blocks of `aws_security_group`,
/// `aws_security_group_rule` of type `ingress`, and
/// `aws_vpc_security_group_ingress_rule`.
fn check_security_groups(
    env: &PolicyContext<'_>,
    watched: &[(i64, &'static str)],
    out: &mut Vec<Violation>,
) {
    let finding = |rule: &BTreeMap<String, Value>,
                   cidrs: &[&str],
                   cidrs6: &[&str],
                   protocol: &str| {
        let mut ranges: Vec<&str> = cidrs.to_vec();
        ranges.extend_from_slice(cidrs6);
        let world = world_ranges(&ranges)?;
        let ports = aws_rule_ports(
            watched,
            rule.get(protocol),
            rule.get("from_port"),
            rule.get("to_port"),
        );
        (!ports.is_empty())
            .then(|| format!("lets {world} in to {}", describe_ports(&ports)))
    };
    for group in env.resources_of("aws_security_group") {
        for (i, rule) in blocks(group.path("ingress")).iter().enumerate() {
            let cidrs = strings(rule.get("cidr_blocks"));
            let cidrs6 = strings(rule.get("ipv6_cidr_blocks"));
            if let Some(text) = finding(rule, &cidrs, &cidrs6, "protocol") {
                out.push(group.violation(format!("`ingress[{i}]` {text}")));
            }
        }
    }
    for rule in env.resources_of("aws_security_group_rule") {
        if rule.string("type") != Some("ingress") {
            continue;
        }
        let cidrs = strings(rule.path("cidr_blocks"));
        let cidrs6 = strings(rule.path("ipv6_cidr_blocks"));
        if let Some(text) =
            finding(rule.attributes(), &cidrs, &cidrs6, "protocol")
        {
            out.push(rule.violation(text));
        }
    }
    for rule in env.resources_of("aws_vpc_security_group_ingress_rule") {
        let cidrs = strings(rule.path("cidr_ipv4"));
        let cidrs6 = strings(rule.path("cidr_ipv6"));
        if let Some(text) =
            finding(rule.attributes(), &cidrs, &cidrs6, "ip_protocol")
        {
            out.push(rule.violation(text));
        }
    }
}

/// `OC-AWS-SG-ADMIN-PORTS`: no security group rule lets `0.0.0.0/0` or
/// `::/0` in to port 22 or 3389 (TCP or all protocols). Ranges, ports and
/// protocols that are not literals are accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct SgAdminPorts;

impl Policy for SgAdminPorts {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-SG-ADMIN-PORTS",
            "no security group lets the internet reach SSH or RDP",
            &["5.2", "5.3"],
            &[],
            &["SC-7"],
        )
        .description(
            "SSH and RDP open to the internet are scanned and attacked \
             within minutes.",
        )
        .remediation(
            "Allow administration from a bastion's security group, a VPN \
             range or Systems Manager Session Manager instead.",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        check_security_groups(env, ADMIN_PORTS, out);
    }
}

/// `OC-AWS-SG-DB-PORTS`: no security group rule lets `0.0.0.0/0` or
/// `::/0` in to 1433, 1521, 3306, 5432, 6379, 9200 or 27017. Non-literals are
/// accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct SgDbPorts;

impl Policy for SgDbPorts {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-SG-DB-PORTS",
            "no security group lets the internet reach database ports",
            &[],
            &[],
            &["SC-7"],
        )
        .description(
            "Databases reachable from the internet are one weak password \
             from a breach.",
        )
        .remediation(
            "Allow the database port from the application's security \
             group only (`referenced_security_group_id`).",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        check_security_groups(env, DB_PORTS, out);
    }
}

/// `OC-AWS-VPC-FLOW-LOGS`: every `aws_vpc` has an `aws_flow_log` whose
/// `vpc_id` refers to it.
#[derive(Clone, Copy, Debug, Default)]
pub struct VpcFlowLogs;

impl Policy for VpcFlowLogs {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-VPC-FLOW-LOGS",
            "each VPC has a flow log",
            &["3.7"],
            &[],
            &["AU-12", "SI-4"],
        )
        .description(
            "Flow logs record the traffic accepted and rejected in the \
             VPC, to detect and investigate intrusions.",
        )
        .remediation(
            "Declare an aws_flow_log whose `vpc_id` refers to the VPC, to \
             CloudWatch Logs or S3.",
        )
        .severity(Severity::Medium)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for vpc in env.resources_of("aws_vpc") {
            if companions(env, "aws_flow_log", "vpc_id", &vpc, "id").is_empty()
            {
                out.push(vpc.violation("no aws_flow_log refers to the VPC"));
            }
        }
    }
}

/// The attributes of AWS resources that hold an IAM policy document.
const POLICY_ATTRIBUTES: &[(&str, &str)] = &[
    ("aws_iam_policy", "policy"),
    ("aws_iam_role_policy", "policy"),
    ("aws_iam_user_policy", "policy"),
    ("aws_iam_group_policy", "policy"),
    ("aws_s3_bucket_policy", "policy"),
    ("aws_sns_topic_policy", "policy"),
    ("aws_sqs_queue_policy", "policy"),
];

/// Whether a JSON document has an `Allow` statement with action `*` on
/// resource `*`.
fn json_allows_everything(document: &serde_json::Value) -> bool {
    let statements = match document.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let has_star = |value: Option<&serde_json::Value>| match value {
        Some(serde_json::Value::String(s)) => s == "*" || s == "*:*",
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .any(|v| v.as_str().is_some_and(|s| s == "*" || s == "*:*")),
        _ => false,
    };
    statements.iter().any(|s| {
        s.get("Effect").and_then(|e| e.as_str()) == Some("Allow")
            && has_star(s.get("Action"))
            && has_star(s.get("Resource"))
    })
}

/// Whether an `aws_iam_policy_document` data source has an `Allow`
/// statement with action `*` on resource `*`.
fn data_document_allows_everything(
    attributes: &BTreeMap<String, Value>,
) -> bool {
    blocks(attributes.get("statement")).iter().any(|s| {
        let allow = string(s.get("effect")).is_none_or(|e| e == "Allow");
        let star = |key: &str| {
            strings(s.get(key)).iter().any(|a| *a == "*" || *a == "*:*")
        };
        allow && star("actions") && star("resources")
    })
}

/// `OC-AWS-IAM-WILDCARD`: no IAM policy document (of `aws_iam_policy`,
/// role, user and group policies, inline role policies, and bucket,
/// topic and queue policies) allows action `*` on resource `*`. Literal
/// JSON is read, concatenations whose references sit inside JSON strings
/// too, and `aws_iam_policy_document` data sources referred to through
/// their `json`; other values are accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct IamWildcard;

impl Policy for IamWildcard {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-IAM-WILDCARD",
            "no policy allows every action on every resource",
            &["1.16"],
            &[],
            &["AC-6"],
        )
        .description(
            "\"*\" on \"*\" is full administrator access: least privilege \
             means naming the actions and resources a principal needs.",
        )
        .remediation(
            "List the actions and resources the principal needs instead \
             of \"*\".",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        let message = |path: &str| {
            format!(
                "`{path}` allows every action (\"*\") on every resource (\"*\")"
            )
        };
        for resource in env.resources() {
            let mut documents: Vec<(String, &Value)> = POLICY_ATTRIBUTES
                .iter()
                .filter(|(kind, _)| *kind == resource.kind())
                .filter_map(|(_, attr)| {
                    resource.path(attr).map(|v| ((*attr).to_owned(), v))
                })
                .collect();
            if resource.kind() == "aws_iam_role" {
                for (i, inline) in
                    blocks(resource.path("inline_policy")).iter().enumerate()
                {
                    if let Some(policy) = inline.get("policy") {
                        documents.push((
                            format!("inline_policy[{i}].policy"),
                            policy,
                        ));
                    }
                }
            }
            for (path, value) in documents {
                if let Some(text) = document_text(value)
                    && let Ok(json) = serde_json::from_str(&text)
                    && json_allows_everything(&json)
                {
                    out.push(resource.violation(message(&path)));
                } else if let Value::Ref(reference) = value
                    && reference.address.mode == Mode::Data
                    && reference.address.kind.as_str()
                        == "aws_iam_policy_document"
                {
                    let allows = env
                        .env()
                        .declarations()
                        .iter()
                        .find(|d| d.address == reference.address)
                        .is_some_and(|d| {
                            data_document_allows_everything(
                                d.resource.attributes(),
                            )
                        });
                    if allows {
                        out.push(resource.violation(format!(
                            "{} (from {})",
                            message(&path),
                            reference.address
                        )));
                    }
                }
            }
        }
    }
}

/// `OC-AWS-IAM-ACCESS-KEY`: no `aws_iam_access_key` is declared.
#[derive(Clone, Copy, Debug, Default)]
pub struct IamAccessKey;

impl Policy for IamAccessKey {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-IAM-ACCESS-KEY",
            "no IAM access keys are created",
            &[],
            &[],
            &["IA-5", "SC-28"],
        )
        .description(
            "An access key is a long-lived credential, and the key \
             Terraform creates keeps its secret in the state.",
        )
        .remediation(
            "Use IAM roles (instance profiles, IAM Roles Anywhere, OIDC \
             federation) instead of access keys.",
        )
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for key in env.resources_of("aws_iam_access_key") {
            out.push(key.violation(
                "an IAM access key is a long-lived credential whose secret \
                 is kept in the Terraform state",
            ));
        }
    }
}

/// `OC-AWS-ALARM` (advisory): every `aws_instance` is named by an
/// `aws_cloudwatch_metric_alarm`: one whose `dimensions` refer to the
/// instance (or name its literal id).
#[derive(Clone, Copy, Debug, Default)]
pub struct InstanceAlarm;

impl Policy for InstanceAlarm {
    fn rule(&self) -> Rule {
        rule(
            "OC-AWS-ALARM",
            "each EC2 instance has a CloudWatch metric alarm",
            &[],
            &[],
            &["SI-4"],
        )
        .description(
            "An alarm on each machine (CPU, status checks) tells someone \
             when it is in trouble; teams monitoring another way may \
             choose otherwise, hence advisory.",
        )
        .remediation(
            "Declare an aws_cloudwatch_metric_alarm whose \
             `dimensions.InstanceId` refers to the instance.",
        )
        .severity(Severity::Low)
        .enforcement(Enforcement::Advisory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for vm in env.resources_of("aws_instance") {
            let watched =
                env.resources_of("aws_cloudwatch_metric_alarm")
                    .any(|alarm| {
                        designates(
                            alarm.path("dimensions.InstanceId"),
                            &vm,
                            "id",
                        ) || alarm.path("dimensions").is_some_and(|d| {
                            onioncloud_core::policy::refers_to(d, vm.address())
                        })
                    });
            if !watched {
                out.push(vm.violation(
                    "no aws_cloudwatch_metric_alarm names the instance in \
                     its `dimensions`",
                ));
            }
        }
    }
}
