//! The built-in policy packs: rules every OnionCloud environment is checked
//! against before it is synthesized, planned or applied.
//!
//! Each rule is a public type implementing
//! [`Policy`](onioncloud_core::policy::Policy), so packs can be composed
//! from any of them; [`aws`], [`gcp`], [`private`] and [`common`] return
//! the built-in packs and [`all`] returns the four.
//!
//! ```
//! use onioncloud_core::policy;
//! use onioncloud_core::{Env, GenericResource};
//! use onioncloud_providers::policies;
//!
//! let mut env = Env::new("staging");
//! env.add(
//!     "orders",
//!     GenericResource::new("aws_db_instance")
//!         .set("engine", "postgres")
//!         .set("instance_class", "db.t4g.micro")
//!         .set("publicly_accessible", true),
//! );
//! let env = env.compile().unwrap();
//! let packs = policies::all();
//! let report = policy::check(&env, &packs.iter().collect::<Vec<_>>());
//! assert!(!report.is_clean());
//! assert!(report.mandatory_failures().any(|f| f.rule == "OC-AWS-RDS-PUBLIC"));
//! ```
//!
//! Rules see attributes by their Terraform names, through
//! [`ResourceView`](onioncloud_core::policy::ResourceView), so typed resources and
//! [`GenericResource`](onioncloud_core::GenericResource)s are checked
//! alike. A resource's companions are found by reference: a bucket's
//! `aws_s3_bucket_server_side_encryption_configuration` is the one whose
//! `bucket` refers to the bucket (or names it literally), a VPC's flow log
//! is the `aws_flow_log` whose `vpc_id` refers to it.
//!
//! # Values that are not literals
//!
//! A value that is not a literal (a reference to another resource's
//! attribute, a variable, a raw expression, a value known only after
//! apply) is never guessed. Unless a rule says otherwise below, such a
//! value is not a violation: the rule checks what it can see, and a value
//! decided elsewhere is that place's responsibility. Where a rule follows
//! a reference (the SSL policy of a Google HTTPS proxy, the policy
//! document an IAM policy is built from), it checks the resource referred
//! to instead.
//!
//! - Security group and firewall rules: a source range or port that is
//!   not a literal is not a violation; a literal `0.0.0.0/0` or `::/0`
//!   with literal ports is.
//! - Companion resources (bucket encryption, public access block, logging,
//!   flow logs, alarms): a companion whose target is a reference to the
//!   resource, or a literal equal to its literal name, counts; one whose
//!   flags are not literals counts as satisfying the rule.
//! - Flags that must be on (`storage_encrypted`, `encrypted`,
//!   `uniform_bucket_level_access`, `multi_az`, ...): missing is a
//!   violation where the provider's default is the insecure one; a
//!   variable or reference is not.
//! - Policy documents: literal JSON, and concatenations whose references
//!   sit inside JSON strings, are read; anything else is not.
//! - Secrets: only literal strings are reported; a
//!   [`SecretRef`](onioncloud_core::SecretRef), a variable or a reference
//!   is what the rule asks for.
//!
//! Buckets managed through a Ceph RADOS Gateway (an `aws` provider
//! configuration whose `endpoints` set `s3`, as
//! [`ceph::Provider::rgw`](crate::private::ceph::Provider::rgw) builds)
//! are checked by the private pack's `OC-CEPH-BUCKET-ENCRYPTION`, not by
//! the AWS S3 rules.
//!
//! An environment is production when the resource's literal
//! `environment` tag or label (AWS `tags`, Google `labels` or Cloud SQL
//! `settings.user_labels`) starts with `prod`, or, without such a tag,
//! when the environment's name does (`prod`, `production`, `prod-eu`).
//!
//! # Rule catalogue
//!
//! The same table is returned by [`catalogue_markdown`].
//!
//! | Id | Title | Severity | Enforcement | Controls |
//! |----|-------|----------|-------------|----------|
//! | `OC-AWS-ALARM` | each EC2 instance has a CloudWatch metric alarm | low | advisory | NIST 800-53 SI-4 |
//! | `OC-AWS-EBS-ENCRYPTION` | EC2 root and EBS volumes are encrypted | high | mandatory | CIS AWS Foundations 2.2.1, NIST 800-53 SC-28 |
//! | `OC-AWS-IAM-ACCESS-KEY` | no IAM access keys are created | high | mandatory | NIST 800-53 IA-5, NIST 800-53 SC-28 |
//! | `OC-AWS-IAM-WILDCARD` | no policy allows every action on every resource | critical | mandatory | CIS AWS Foundations 1.16, NIST 800-53 AC-6 |
//! | `OC-AWS-LB-HTTPS` | load balancer listeners use HTTPS or TLS, or redirect HTTP to HTTPS | high | mandatory | NIST 800-53 SC-8 |
//! | `OC-AWS-LB-LOGS` | load balancers write access logs | medium | mandatory | NIST 800-53 AU-2, NIST 800-53 AU-12 |
//! | `OC-AWS-LB-TLS-POLICY` | HTTPS and TLS listeners use a TLS 1.2+ security policy | high | mandatory | NIST 800-53 SC-8, NIST 800-53 SC-13 |
//! | `OC-AWS-RDS-BACKUP` | RDS instances keep automated backups for at least 7 days | medium | mandatory | NIST 800-53 CP-9 |
//! | `OC-AWS-RDS-ENCRYPTION` | RDS storage is encrypted | high | mandatory | CIS AWS Foundations 2.3.1, NIST 800-53 SC-28 |
//! | `OC-AWS-RDS-MULTI-AZ` | production RDS instances have a standby in another zone | medium | advisory | NIST 800-53 CP-10 |
//! | `OC-AWS-RDS-PUBLIC` | RDS instances are not publicly accessible | critical | mandatory | CIS AWS Foundations 2.3.3, NIST 800-53 AC-3, NIST 800-53 SC-7 |
//! | `OC-AWS-S3-ENCRYPTION` | S3 buckets declare default server-side encryption | high | mandatory | NIST 800-53 SC-28 |
//! | `OC-AWS-S3-LOGGING` | S3 buckets log access | medium | mandatory | NIST 800-53 AU-2, NIST 800-53 AU-12 |
//! | `OC-AWS-S3-PUBLIC-ACCESS` | S3 buckets block every kind of public access | critical | mandatory | CIS AWS Foundations 2.1.4, NIST 800-53 AC-3, NIST 800-53 SC-7 |
//! | `OC-AWS-SG-ADMIN-PORTS` | no security group lets the internet reach SSH or RDP | critical | mandatory | CIS AWS Foundations 5.2, CIS AWS Foundations 5.3, NIST 800-53 SC-7 |
//! | `OC-AWS-SG-DB-PORTS` | no security group lets the internet reach database ports | critical | mandatory | NIST 800-53 SC-7 |
//! | `OC-AWS-VPC-FLOW-LOGS` | each VPC has a flow log | medium | mandatory | CIS AWS Foundations 3.7, NIST 800-53 AU-12, NIST 800-53 SI-4 |
//! | `OC-CEPH-BUCKET-ENCRYPTION` | Ceph gateway buckets declare default server-side encryption | high | mandatory | NIST 800-53 SC-28 |
//! | `OC-GCP-ALERT` | each compute instance group is covered by an alert policy | low | advisory | NIST 800-53 SI-4 |
//! | `OC-GCP-FW-ADMIN-PORTS` | no firewall lets the internet reach SSH or RDP | critical | mandatory | CIS GCP Foundations 3.6, CIS GCP Foundations 3.7, NIST 800-53 SC-7 |
//! | `OC-GCP-FW-DB-PORTS` | no firewall lets the internet reach database ports | critical | mandatory | NIST 800-53 SC-7 |
//! | `OC-GCP-GCS-LOGGING` | Cloud Storage buckets log access | medium | mandatory | NIST 800-53 AU-2, NIST 800-53 AU-12 |
//! | `OC-GCP-GCS-PUBLIC` | Cloud Storage buckets enforce public access prevention | critical | mandatory | CIS GCP Foundations 5.1, NIST 800-53 AC-3, NIST 800-53 SC-7 |
//! | `OC-GCP-GCS-UNIFORM-ACCESS` | Cloud Storage buckets use uniform bucket-level access | high | mandatory | CIS GCP Foundations 5.2, NIST 800-53 AC-3 |
//! | `OC-GCP-LB-TLS-POLICY` | HTTPS and SSL proxies use a MODERN or RESTRICTED TLS 1.2 policy | high | mandatory | CIS GCP Foundations 3.9, NIST 800-53 SC-8, NIST 800-53 SC-13 |
//! | `OC-GCP-SQL-BACKUP` | Cloud SQL instances have automated backups | medium | mandatory | CIS GCP Foundations 6.7, NIST 800-53 CP-9 |
//! | `OC-GCP-SQL-HA` | production Cloud SQL instances are regional | medium | advisory | NIST 800-53 CP-10 |
//! | `OC-GCP-SQL-PUBLIC` | Cloud SQL instances do not authorize 0.0.0.0/0 | critical | mandatory | CIS GCP Foundations 6.5, NIST 800-53 AC-3, NIST 800-53 SC-7 |
//! | `OC-GCP-SQL-TLS` | Cloud SQL instances accept only encrypted connections | high | mandatory | CIS GCP Foundations 6.4, NIST 800-53 SC-8 |
//! | `OC-GCP-SUBNET-FLOW-LOGS` | each subnetwork has VPC flow logs | medium | mandatory | CIS GCP Foundations 3.8, NIST 800-53 AU-12, NIST 800-53 SI-4 |
//! | `OC-OS-SECGROUP-ADMIN-PORTS` | no OpenStack security group rule lets the internet reach SSH or RDP | critical | mandatory | NIST 800-53 SC-7 |
//! | `OC-OS-SECGROUP-DB-PORTS` | no OpenStack security group rule lets the internet reach database ports | critical | mandatory | NIST 800-53 SC-7 |
//! | `OC-PVE-DISK` | Proxmox VM disks are included in backups | low | advisory | NIST 800-53 CP-9 |
//! | `OC-SECRET-PLAINTEXT` | no secret is written as a literal value | critical | mandatory | NIST 800-53 IA-5, NIST 800-53 SC-28 |
//! | `OC-TAGS-REQUIRED` | resources carry the required tags or labels | low | advisory | NIST 800-53 CM-8 |
//!
//! `OC-TAGS-REQUIRED` is shown with the defaults of [`TagPolicy`]; its
//! keys and enforcement are configurable.

use onioncloud_core::policy::{Control, Enforcement, Framework, Pack, Rule};

mod aws;
mod common;
mod gcp;
mod private;
mod support;

pub use self::aws::*;
pub use self::common::*;
pub use self::gcp::*;
pub use self::private::*;

/// The AWS pack, `onioncloud-aws`: every `OC-AWS-*` rule.
pub fn aws() -> Pack {
    Pack::new("onioncloud-aws")
        .with(S3Encryption)
        .with(S3PublicAccess)
        .with(S3Logging)
        .with(RdsEncryption)
        .with(RdsPublic)
        .with(RdsBackup)
        .with(RdsMultiAz)
        .with(EbsEncryption)
        .with(LbHttps)
        .with(LbTlsPolicy)
        .with(LbLogs)
        .with(SgAdminPorts)
        .with(SgDbPorts)
        .with(VpcFlowLogs)
        .with(IamWildcard)
        .with(IamAccessKey)
        .with(InstanceAlarm)
}

/// The Google Cloud pack, `onioncloud-gcp`: every `OC-GCP-*` rule.
pub fn gcp() -> Pack {
    Pack::new("onioncloud-gcp")
        .with(GcsUniformAccess)
        .with(GcsPublic)
        .with(GcsLogging)
        .with(SqlPublic)
        .with(SqlTls)
        .with(SqlBackup)
        .with(SqlHa)
        .with(FirewallAdminPorts)
        .with(FirewallDbPorts)
        .with(SubnetFlowLogs)
        .with(LbTlsPolicyGcp)
        .with(GroupAlert)
}

/// The private cloud pack, `onioncloud-private`: Ceph, OpenStack and
/// Proxmox VE rules.
pub fn private() -> Pack {
    Pack::new("onioncloud-private")
        .with(CephBucketEncryption)
        .with(OsSecgroupAdminPorts)
        .with(OsSecgroupDbPorts)
        .with(PveDisk)
}

/// The cross-cloud pack, `onioncloud-common`: required tags (with
/// `tags`'s keys and enforcement) and plaintext secrets.
pub fn common(tags: TagPolicy) -> Pack {
    Pack::new("onioncloud-common")
        .with(tags)
        .with(SecretPlaintext)
}

/// The four built-in packs, the common one with [`TagPolicy::default`].
/// Check an environment against them all with
/// `policy::check(&env, &packs.iter().collect::<Vec<_>>())`.
pub fn all() -> Vec<Pack> {
    vec![aws(), gcp(), private(), common(TagPolicy::default())]
}

/// The rules of the built-in packs (the tag rule with its defaults),
/// sorted by id.
pub fn catalogue() -> Vec<Rule> {
    let mut rules: Vec<Rule> = all()
        .iter()
        .flat_map(|pack| pack.policies().iter().map(|p| p.rule()))
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules
}

/// The rule catalogue as a Markdown table (id, title, severity,
/// enforcement, controls), one row per rule of [`catalogue`], as in this
/// module's documentation.
pub fn catalogue_markdown() -> String {
    let mut out = String::from(
        "| Id | Title | Severity | Enforcement | Controls |\n\
         |----|-------|----------|-------------|----------|\n",
    );
    for rule in catalogue() {
        let enforcement = match rule.enforcement {
            Enforcement::Advisory => "advisory",
            Enforcement::Mandatory => "mandatory",
        };
        let controls: Vec<String> =
            rule.controls.iter().map(Control::to_string).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            rule.id,
            rule.title,
            rule.severity.word(),
            enforcement,
            controls.join(", "),
        ));
    }
    out
}

/// A rule with its controls: CIS AWS ids, CIS GCP ids and NIST families.
fn rule(
    id: &str,
    title: &str,
    cis_aws: &[&str],
    cis_gcp: &[&str],
    nist: &[&str],
) -> Rule {
    let mut rule = Rule::new(id, title);
    for control in cis_aws {
        rule = rule.control(Framework::CisAws, *control);
    }
    for control in cis_gcp {
        rule = rule.control(Framework::CisGcp, *control);
    }
    for control in nist {
        rule = rule.control(Framework::Nist80053, *control);
    }
    rule
}
