//! The private cloud rules: Ceph, OpenStack and Proxmox VE.

use onioncloud_core::policy::{
    Enforcement, Policy, PolicyContext, ResourceView, Rule, Severity, Violation,
};

use super::aws::check_bucket_encryption;
use super::rule;
use super::support::{
    ADMIN_PORTS, DB_PORTS, blocks, boolean, describe_ports, integer, is_world,
    on_s3_gateway, ports_in,
};

/// `OC-CEPH-BUCKET-ENCRYPTION`: every `aws_s3_bucket` managed through a
/// Ceph RADOS Gateway (an `aws` configuration whose `endpoints` set `s3`)
/// has an `aws_s3_bucket_server_side_encryption_configuration` referring
/// to it with `AES256` or `aws:kms`. The gateway needs an SSE-S3 or KMS
/// backend configured (`rgw_crypt_sse_s3_backend`) for it to work.
#[derive(Clone, Copy, Debug, Default)]
pub struct CephBucketEncryption;

impl Policy for CephBucketEncryption {
    fn rule(&self) -> Rule {
        rule(
            "OC-CEPH-BUCKET-ENCRYPTION",
            "Ceph gateway buckets declare default server-side encryption",
            &[],
            &[],
            &["SC-28"],
        )
        .description(
            "Unlike AWS, a RADOS Gateway stores objects unencrypted unless \
             the bucket asks for server-side encryption.",
        )
        .remediation(
            "Declare an aws_s3_bucket_server_side_encryption_configuration \
             with AES256 on the gateway's provider (ObjectStore::ceph \
             does), with an SSE-S3 backend configured in the gateway.",
        )
        .severity(Severity::High)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        let buckets: Vec<ResourceView<'_>> = env
            .resources_of("aws_s3_bucket")
            .filter(|b| on_s3_gateway(env, b))
            .collect();
        check_bucket_encryption(env, &buckets, out);
    }
}

/// Reports every ingress `openstack_networking_secgroup_rule_v2` open to
/// the world on one of `watched`: `remote_ip_prefix` `0.0.0.0/0` or
/// `::/0`, or neither it nor `remote_group_id` (which OpenStack reads as
/// any address); protocol `tcp`, `6` or none (any); the port range, none
/// meaning every port.
fn check_secgroup_rules(
    env: &PolicyContext<'_>,
    watched: &[(i64, &'static str)],
    out: &mut Vec<Violation>,
) {
    for rule in env.resources_of("openstack_networking_secgroup_rule_v2") {
        if rule.string("direction") != Some("ingress") {
            continue;
        }
        let source =
            match (rule.path("remote_ip_prefix"), rule.path("remote_group_id"))
            {
                (None, None) => "any address".to_owned(),
                (Some(_), _) => match rule.string("remote_ip_prefix") {
                    Some(prefix) if is_world(prefix) => {
                        prefix.trim().to_owned()
                    }
                    Some("") => "any address".to_owned(),
                    _ => continue,
                },
                (None, Some(_)) => continue,
            };
        let open = match rule.path("protocol") {
            None => watched.to_vec(),
            Some(_) => match rule.string("protocol") {
                Some("tcp" | "6" | "") => {
                    let from = rule.path("port_range_min");
                    let to = rule.path("port_range_max");
                    match (from, to) {
                        (None, None) => watched.to_vec(),
                        _ => match (integer(from), integer(to)) {
                            (Some(from), Some(to)) => {
                                ports_in(watched, from, to)
                            }
                            _ => continue,
                        },
                    }
                }
                _ => continue,
            },
        };
        if !open.is_empty() {
            out.push(rule.violation(format!(
                "lets {source} in to {}",
                describe_ports(&open)
            )));
        }
    }
}

/// `OC-OS-SECGROUP-ADMIN-PORTS`: no ingress OpenStack security group rule
/// lets `0.0.0.0/0`, `::/0` or any address (no remote prefix nor group)
/// in to port 22 or 3389. Non-literal prefixes and ports are accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsSecgroupAdminPorts;

impl Policy for OsSecgroupAdminPorts {
    fn rule(&self) -> Rule {
        rule(
            "OC-OS-SECGROUP-ADMIN-PORTS",
            "no OpenStack security group rule lets the internet reach SSH \
             or RDP",
            &[],
            &[],
            &["SC-7"],
        )
        .description(
            "A rule without a remote prefix or group, or with 0.0.0.0/0, \
             opens the port to every network that reaches the instance.",
        )
        .remediation(
            "Set `remote_ip_prefix` to the administration network, or \
             `remote_group_id` to a bastion's group.",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        check_secgroup_rules(env, ADMIN_PORTS, out);
    }
}

/// `OC-OS-SECGROUP-DB-PORTS`: no ingress OpenStack security group rule
/// lets the world in to a database port.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsSecgroupDbPorts;

impl Policy for OsSecgroupDbPorts {
    fn rule(&self) -> Rule {
        rule(
            "OC-OS-SECGROUP-DB-PORTS",
            "no OpenStack security group rule lets the internet reach \
             database ports",
            &[],
            &[],
            &["SC-7"],
        )
        .description(
            "Databases reachable from every network are one weak password \
             from a breach.",
        )
        .remediation(
            "Set `remote_group_id` to the application's security group, \
             or `remote_ip_prefix` to its network.",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        check_secgroup_rules(env, DB_PORTS, out);
    }
}

/// `OC-PVE-DISK` (advisory): no disk of a `proxmox_virtual_environment_vm`
/// sets `backup = false`. The bpg provider has no disk encryption
/// argument (encryption at rest is the datastore's: LUKS, ZFS native
/// encryption, an encrypted Ceph pool), so backups are what the rule can
/// check. A non-literal is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct PveDisk;

impl Policy for PveDisk {
    fn rule(&self) -> Rule {
        rule(
            "OC-PVE-DISK",
            "Proxmox VM disks are included in backups",
            &[],
            &[],
            &["CP-9"],
        )
        .description(
            "A disk with `backup = false` is left out of vzdump backups. \
             Scratch disks may be left out on purpose, hence advisory.",
        )
        .remediation("Remove `backup = false` from the disk.")
        .severity(Severity::Low)
        .enforcement(Enforcement::Advisory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for vm in env.resources_of("proxmox_virtual_environment_vm") {
            for (i, disk) in blocks(vm.path("disk")).iter().enumerate() {
                if boolean(disk.get("backup")) == Some(false) {
                    out.push(vm.violation(format!(
                        "`disk[{i}].backup` is false: the disk is left out \
                         of backups"
                    )));
                }
            }
        }
    }
}
