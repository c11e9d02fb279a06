//! The built-in policy packs, rule by rule: an environment that passes and
//! one that fails, with the exact address and message of each violation.

use onioncloud_core::policy::{self, Enforcement};
use onioncloud_core::{Env, GenericResource, Meta, SecretRef, Variable};
use onioncloud_providers::policies::{self, TagPolicy};
use onioncloud_providers::private::ceph;
use onioncloud_providers::{aws, gcp};
use serde_json::json;

/// The standing violations of `rule` in `env`, checked against every
/// built-in pack, as (address, message).
fn violations(env: Env, rule: &str) -> Vec<(String, String)> {
    let env = env.compile().expect("the environment compiles");
    let packs = policies::all();
    let report = policy::check(&env, &packs.iter().collect::<Vec<_>>());
    assert!(report.rules.contains_key(rule), "{rule} is not checked");
    report
        .failures()
        .filter(|f| f.rule == rule)
        .map(|f| (f.violation.address.to_string(), f.violation.message.clone()))
        .collect()
}

fn tags(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn one(address: &str, message: &str) -> Vec<(String, String)> {
    vec![(address.to_owned(), message.to_owned())]
}

fn env() -> Env {
    Env::new("staging")
}

fn bucket(env: &mut Env, name: &str) -> onioncloud_core::Handle<aws::S3Bucket> {
    env.add(name, aws::S3Bucket::new().bucket(format!("acme-{name}")))
}

// ---------------------------------------------------------------- AWS --

#[test]
fn s3_encryption() {
    let mut good = env();
    let b = bucket(&mut good, "data");
    good.add(
        "data",
        aws::S3BucketServerSideEncryptionConfiguration::kms(
            b.id(),
            "alias/data",
        ),
    );
    // A configuration naming the bucket literally counts too.
    bucket(&mut good, "logs");
    good.add(
        "logs",
        GenericResource::new(
            "aws_s3_bucket_server_side_encryption_configuration",
        )
        .set("bucket", "acme-logs")
        .set(
            "rule",
            json!([{ "apply_server_side_encryption_by_default":
                    [{ "sse_algorithm": "AES256" }] }]),
        ),
    );
    assert_eq!(violations(good, "OC-AWS-S3-ENCRYPTION"), []);

    let mut bad = env();
    bucket(&mut bad, "data");
    let b = bucket(&mut bad, "odd");
    bad.add(
        "odd",
        GenericResource::new(
            "aws_s3_bucket_server_side_encryption_configuration",
        )
        .input::<String>("bucket", b.id())
        .set(
            "rule",
            json!([{ "apply_server_side_encryption_by_default":
                    [{ "sse_algorithm": "none" }] }]),
        ),
    );
    assert_eq!(
        violations(bad, "OC-AWS-S3-ENCRYPTION"),
        [
            (
                "aws_s3_bucket.data".to_owned(),
                "no aws_s3_bucket_server_side_encryption_configuration refers \
                 to the bucket"
                    .to_owned()
            ),
            (
                "aws_s3_bucket_server_side_encryption_configuration.odd"
                    .to_owned(),
                "`rule[0].apply_server_side_encryption_by_default.\
                 sse_algorithm` is \"none\", not AES256, aws:kms or \
                 aws:kms:dsse"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn s3_public_access() {
    let mut good = env();
    let b = bucket(&mut good, "data");
    good.add("data", aws::S3BucketPublicAccessBlock::all(b.id()));
    assert_eq!(violations(good, "OC-AWS-S3-PUBLIC-ACCESS"), []);

    let mut bad = env();
    bucket(&mut bad, "data");
    let b = bucket(&mut bad, "half");
    bad.add(
        "half",
        aws::S3BucketPublicAccessBlock::new(b.id())
            .block_public_acls(true)
            .block_public_policy(false)
            .ignore_public_acls(true),
    );
    assert_eq!(
        violations(bad, "OC-AWS-S3-PUBLIC-ACCESS"),
        [
            (
                "aws_s3_bucket.data".to_owned(),
                "no aws_s3_bucket_public_access_block refers to the bucket"
                    .to_owned()
            ),
            (
                "aws_s3_bucket_public_access_block.half".to_owned(),
                "`block_public_policy`, `restrict_public_buckets` are not true"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn s3_logging() {
    let mut good = env();
    let b = bucket(&mut good, "data");
    good.add(
        "data",
        aws::S3BucketLogging::new(b.id(), "acme-logs", "s3/"),
    );
    assert_eq!(violations(good, "OC-AWS-S3-LOGGING"), []);

    let mut bad = env();
    bucket(&mut bad, "data");
    assert_eq!(
        violations(bad, "OC-AWS-S3-LOGGING"),
        one(
            "aws_s3_bucket.data",
            "no aws_s3_bucket_logging refers to the bucket"
        )
    );
}

fn db(
    env: &mut Env,
    name: &str,
    f: impl FnOnce(aws::DbInstance) -> aws::DbInstance,
) {
    env.add(name, f(aws::DbInstance::new("postgres", "db.t4g.micro")));
}

#[test]
fn rds_encryption() {
    let mut good = env();
    db(&mut good, "a", |d| d.storage_encrypted(true));
    // A read replica inherits its source's encryption.
    good.add(
        "replica",
        GenericResource::new("aws_db_instance")
            .set("instance_class", "db.t4g.micro")
            .set("replicate_source_db", "a"),
    );
    assert_eq!(violations(good, "OC-AWS-RDS-ENCRYPTION"), []);

    let mut bad = env();
    db(&mut bad, "a", |d| d);
    db(&mut bad, "b", |d| d.storage_encrypted(false));
    assert_eq!(
        violations(bad, "OC-AWS-RDS-ENCRYPTION"),
        [
            (
                "aws_db_instance.a".to_owned(),
                "`storage_encrypted` is not set (it defaults to false)"
                    .to_owned()
            ),
            (
                "aws_db_instance.b".to_owned(),
                "`storage_encrypted` is false".to_owned()
            ),
        ]
    );
}

#[test]
fn rds_public() {
    let mut good = env();
    db(&mut good, "a", |d| d.publicly_accessible(false));
    db(&mut good, "b", |d| d);
    assert_eq!(violations(good, "OC-AWS-RDS-PUBLIC"), []);

    let mut bad = env();
    db(&mut bad, "a", |d| d.publicly_accessible(true));
    assert_eq!(
        violations(bad, "OC-AWS-RDS-PUBLIC"),
        one("aws_db_instance.a", "`publicly_accessible` is true")
    );

    // An Aurora cluster's instance has the setting of its own.
    let mut aurora = env();
    aurora.add(
        "writer",
        GenericResource::new("aws_rds_cluster_instance")
            .set("cluster_identifier", "orders")
            .set("instance_class", "db.r6g.large")
            .set("publicly_accessible", true),
    );
    assert_eq!(
        violations(aurora, "OC-AWS-RDS-PUBLIC"),
        one(
            "aws_rds_cluster_instance.writer",
            "`publicly_accessible` is true"
        )
    );
}

#[test]
fn rds_backup() {
    let mut good = env();
    db(&mut good, "a", |d| d.backup_retention_period(7));
    // A variable is not guessed.
    let days = good.variable("days", Variable::<i64>::new());
    db(&mut good, "b", |d| d.backup_retention_period(&days));
    assert_eq!(violations(good, "OC-AWS-RDS-BACKUP"), []);

    let mut bad = env();
    db(&mut bad, "a", |d| d.backup_retention_period(3));
    db(&mut bad, "b", |d| d);
    assert_eq!(
        violations(bad, "OC-AWS-RDS-BACKUP"),
        [
            (
                "aws_db_instance.a".to_owned(),
                "`backup_retention_period` is 3, fewer than 7".to_owned()
            ),
            (
                "aws_db_instance.b".to_owned(),
                "`backup_retention_period` is not set (the default keeps \
                 fewer than 7 days)"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn rds_multi_az_in_production_only() {
    let mut staging = env();
    db(&mut staging, "a", |d| d);
    assert_eq!(violations(staging, "OC-AWS-RDS-MULTI-AZ"), []);

    let mut good = Env::new("production");
    db(&mut good, "a", |d| d.multi_az(true));
    // The resource's own environment tag wins over the environment name.
    db(&mut good, "test", |d| {
        d.tags(tags(&[("environment", "test")]))
    });
    assert_eq!(violations(good, "OC-AWS-RDS-MULTI-AZ"), []);

    // The provider's default tags count as the resource's own.
    let mut tagged = env();
    tagged.provider(aws::Provider::region("eu-west-1").setting(
        "default_tags",
        aws::default_tags([("environment", "production")]),
    ));
    db(&mut tagged, "c", |d| d);
    assert_eq!(
        violations(tagged, "OC-AWS-RDS-MULTI-AZ"),
        [(
            "aws_db_instance.c".to_owned(),
            "`multi_az` is not set in a production environment".to_owned()
        )]
    );

    let mut bad = Env::new("prod-eu");
    db(&mut bad, "a", |d| d.multi_az(false));
    db(&mut bad, "b", |d| d);
    let env = bad;
    assert_eq!(
        violations(env, "OC-AWS-RDS-MULTI-AZ"),
        [
            (
                "aws_db_instance.a".to_owned(),
                "`multi_az` is false in a production environment".to_owned()
            ),
            (
                "aws_db_instance.b".to_owned(),
                "`multi_az` is not set in a production environment".to_owned()
            ),
        ]
    );
    let rule = policies::RdsMultiAz;
    use onioncloud_core::policy::Policy as _;
    assert_eq!(rule.rule().enforcement, Enforcement::Advisory);
}

#[test]
fn ebs_encryption() {
    let mut good = env();
    good.add(
        "web",
        aws::Instance::new("ami-1", "t3.small")
            .root_block_device(aws::RootBlockDevice::new().encrypted(true))
            .ebs_block_device(
                aws::EbsBlockDevice::new("/dev/sdf").encrypted(true),
            ),
    );
    good.add(
        "data",
        GenericResource::new("aws_ebs_volume").set("encrypted", true),
    );
    assert_eq!(violations(good, "OC-AWS-EBS-ENCRYPTION"), []);

    // Encryption by default for the account and region covers every volume.
    let mut by_default = env();
    by_default.add("web", aws::Instance::new("ami-1", "t3.small"));
    by_default.add("on", GenericResource::new("aws_ebs_encryption_by_default"));
    assert_eq!(violations(by_default, "OC-AWS-EBS-ENCRYPTION"), []);

    let mut bad = env();
    bad.add("bare", aws::Instance::new("ami-1", "t3.small"));
    bad.add(
        "web",
        aws::Instance::new("ami-1", "t3.small")
            .root_block_device(aws::RootBlockDevice::new().encrypted(false))
            .ebs_block_device(aws::EbsBlockDevice::new("/dev/sdf")),
    );
    bad.add(
        "data",
        GenericResource::new("aws_ebs_volume").set("size", 10),
    );
    assert_eq!(
        violations(bad, "OC-AWS-EBS-ENCRYPTION"),
        [
            (
                "aws_ebs_volume.data".to_owned(),
                "`encrypted` is not true".to_owned()
            ),
            (
                "aws_instance.bare".to_owned(),
                "the root volume is not encrypted (no `root_block_device` \
                 with `encrypted = true`)"
                    .to_owned()
            ),
            (
                "aws_instance.web".to_owned(),
                "`root_block_device.encrypted` is not true".to_owned()
            ),
            (
                "aws_instance.web".to_owned(),
                "`ebs_block_device[0].encrypted` is not true".to_owned()
            ),
        ]
    );
}

fn listener(protocol: &str, action: aws::LbListenerAction) -> aws::LbListener {
    aws::LbListener::new("arn:aws:elasticloadbalancing:lb", action)
        .protocol(protocol)
}

#[test]
fn lb_https() {
    let mut good = env();
    good.add(
        "https",
        listener("HTTPS", aws::LbListenerAction::forward_to("arn:tg"))
            .ssl_policy("ELBSecurityPolicy-TLS13-1-2-2021-06"),
    );
    good.add(
        "http",
        listener("HTTP", aws::LbListenerAction::redirect_to_https()),
    );
    good.add(
        "tcp",
        listener("TCP", aws::LbListenerAction::forward_to("arn:tg")),
    );
    assert_eq!(violations(good, "OC-AWS-LB-HTTPS"), []);

    let mut bad = env();
    bad.add(
        "http",
        listener("HTTP", aws::LbListenerAction::forward_to("arn:tg")),
    );
    bad.add(
        "default",
        aws::LbListener::new(
            "arn:lb",
            aws::LbListenerAction::forward_to("arn:tg"),
        ),
    );
    let message = "the listener serves plain HTTP and its default action does \
                   not redirect to HTTPS";
    assert_eq!(
        violations(bad, "OC-AWS-LB-HTTPS"),
        [
            ("aws_lb_listener.default".to_owned(), message.to_owned()),
            ("aws_lb_listener.http".to_owned(), message.to_owned()),
        ]
    );
}

#[test]
fn lb_tls_policy() {
    for policy in [
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    ] {
        assert!(policies::is_tls12_elb_policy(policy), "{policy}");
    }
    for policy in [
        "ELBSecurityPolicy-2016-08",
        "ELBSecurityPolicy-TLS-1-1-2017-01",
        "ELBSecurityPolicy-TLS13-1-0-2021-06",
        "ELBSecurityPolicy-FS-2018-06",
        "",
    ] {
        assert!(!policies::is_tls12_elb_policy(policy), "{policy}");
    }
    let mut good = env();
    good.add(
        "https",
        listener("HTTPS", aws::LbListenerAction::forward_to("arn:tg"))
            .ssl_policy("ELBSecurityPolicy-TLS13-1-2-2021-06"),
    );
    assert_eq!(violations(good, "OC-AWS-LB-TLS-POLICY"), []);

    let mut bad = env();
    bad.add(
        "old",
        listener("HTTPS", aws::LbListenerAction::forward_to("arn:tg"))
            .ssl_policy("ELBSecurityPolicy-2016-08"),
    );
    bad.add(
        "unset",
        listener("TLS", aws::LbListenerAction::forward_to("arn:tg")),
    );
    assert_eq!(
        violations(bad, "OC-AWS-LB-TLS-POLICY"),
        [
            (
                "aws_lb_listener.old".to_owned(),
                "`ssl_policy` is \"ELBSecurityPolicy-2016-08\", which allows \
                 TLS versions before 1.2"
                    .to_owned()
            ),
            (
                "aws_lb_listener.unset".to_owned(),
                "`ssl_policy` is not set (the default allows TLS 1.0)"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn lb_logs() {
    let mut good = env();
    good.add(
        "shop",
        aws::Lb::new()
            .access_logs(aws::LbAccessLogs::new("logs").enabled(true)),
    );
    good.add("gw", aws::Lb::new().load_balancer_type("gateway"));
    assert_eq!(violations(good, "OC-AWS-LB-LOGS"), []);

    let mut bad = env();
    bad.add("none", aws::Lb::new());
    bad.add(
        "off",
        aws::Lb::new().access_logs(aws::LbAccessLogs::new("logs")),
    );
    assert_eq!(
        violations(bad, "OC-AWS-LB-LOGS"),
        [
            (
                "aws_lb.none".to_owned(),
                "no `access_logs` block".to_owned()
            ),
            (
                "aws_lb.off".to_owned(),
                "`access_logs.enabled` is not true".to_owned()
            ),
        ]
    );
}

/// An environment with a security group open as given: a standalone
/// ingress rule, an inline one and an `aws_security_group_rule`.
fn open_groups(cidr: &str, from: i64, to: i64) -> Env {
    let mut env = env();
    let vpc = env.add("main", aws::Vpc::new("10.0.0.0/16"));
    let sg = env.add(
        "inline",
        aws::SecurityGroup::new(vpc.id()).ingress(
            aws::SecurityGroupRule::new(from, to, "tcp")
                .cidr_blocks(vec![cidr.to_owned()]),
        ),
    );
    env.add(
        "standalone",
        aws::VpcSecurityGroupIngressRule::new(sg.id(), "tcp")
            .from_port(from)
            .to_port(to)
            .cidr_ipv4(cidr),
    );
    env.add(
        "legacy",
        GenericResource::new("aws_security_group_rule")
            .set("type", "ingress")
            .set("protocol", "-1")
            .set("from_port", 0)
            .set("to_port", 0)
            .set("cidr_blocks", json!([cidr])),
    );
    env
}

#[test]
fn sg_admin_ports() {
    assert_eq!(
        violations(open_groups("10.0.0.0/8", 22, 22), "OC-AWS-SG-ADMIN-PORTS"),
        []
    );
    // HTTPS open to the world is fine for this rule, except the legacy
    // all-protocols rule.
    assert_eq!(
        violations(open_groups("0.0.0.0/0", 443, 443), "OC-AWS-SG-ADMIN-PORTS"),
        one(
            "aws_security_group_rule.legacy",
            "lets 0.0.0.0/0 in to ports 22 (SSH), 3389 (RDP)"
        )
    );
    assert_eq!(
        violations(open_groups("::/0", 20, 23), "OC-AWS-SG-ADMIN-PORTS"),
        [
            (
                "aws_security_group.inline".to_owned(),
                "`ingress[0]` lets ::/0 in to port 22 (SSH)".to_owned()
            ),
            (
                "aws_security_group_rule.legacy".to_owned(),
                "lets ::/0 in to ports 22 (SSH), 3389 (RDP)".to_owned()
            ),
            (
                "aws_vpc_security_group_ingress_rule.standalone".to_owned(),
                "lets ::/0 in to port 22 (SSH)".to_owned()
            ),
        ]
    );
}

#[test]
fn sg_db_ports() {
    let mut good = open_groups("10.0.0.0/8", 5432, 5432);
    // Egress to the world on a database port is not ingress.
    good.add(
        "out",
        GenericResource::new("aws_vpc_security_group_egress_rule")
            .set("security_group_id", "sg-1")
            .set("ip_protocol", "tcp")
            .set("from_port", 5432)
            .set("to_port", 5432)
            .set("cidr_ipv4", "0.0.0.0/0"),
    );
    assert_eq!(violations(good, "OC-AWS-SG-DB-PORTS"), []);
    let found =
        violations(open_groups("0.0.0.0/0", 3306, 5432), "OC-AWS-SG-DB-PORTS");
    assert_eq!(
        found,
        [
            (
                "aws_security_group.inline".to_owned(),
                "`ingress[0]` lets 0.0.0.0/0 in to ports 3306 (MySQL), 5432 \
                 (PostgreSQL)"
                    .to_owned()
            ),
            (
                "aws_security_group_rule.legacy".to_owned(),
                "lets 0.0.0.0/0 in to ports 1433 (SQL Server), 1521 (Oracle), \
                 3306 (MySQL), 5432 (PostgreSQL), 6379 (Redis), 9200 \
                 (Elasticsearch), 27017 (MongoDB)"
                    .to_owned()
            ),
            (
                "aws_vpc_security_group_ingress_rule.standalone".to_owned(),
                "lets 0.0.0.0/0 in to ports 3306 (MySQL), 5432 (PostgreSQL)"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn vpc_flow_logs() {
    let mut good = env();
    let vpc = good.add("main", aws::Vpc::new("10.0.0.0/16"));
    good.add(
        "main",
        aws::FlowLog::new()
            .vpc_id(vpc.id())
            .traffic_type("ALL")
            .log_destination_type("s3")
            .log_destination("arn:aws:s3:::acme-logs"),
    );
    assert_eq!(violations(good, "OC-AWS-VPC-FLOW-LOGS"), []);

    let mut bad = env();
    bad.add("main", aws::Vpc::new("10.0.0.0/16"));
    let other = bad.add("other", aws::Vpc::new("10.1.0.0/16"));
    bad.add("other", aws::FlowLog::new().vpc_id(other.id()));
    assert_eq!(
        violations(bad, "OC-AWS-VPC-FLOW-LOGS"),
        one("aws_vpc.main", "no aws_flow_log refers to the VPC")
    );
}

#[test]
fn iam_wildcard() {
    let admin = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let narrow = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}}"#;
    let deny =
        r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    let mut good = env();
    good.add(
        "narrow",
        GenericResource::new("aws_iam_policy").set("policy", narrow),
    );
    good.add(
        "deny",
        GenericResource::new("aws_iam_policy").set("policy", deny),
    );
    let doc = good.data(
        "read",
        GenericResource::new("aws_iam_policy_document").set(
            "statement",
            json!([{ "actions": ["s3:GetObject"], "resources": ["*"] }]),
        ),
    );
    good.add(
        "read",
        GenericResource::new("aws_iam_policy")
            .input::<String>("policy", doc.attr::<String>("json")),
    );
    assert_eq!(violations(good, "OC-AWS-IAM-WILDCARD"), []);

    let mut bad = env();
    bad.add(
        "admin",
        GenericResource::new("aws_iam_policy").set("policy", admin),
    );
    bad.add(
        "role",
        GenericResource::new("aws_iam_role")
            .set("assume_role_policy", "{}")
            .set("inline_policy", json!([{ "name": "all", "policy": admin }])),
    );
    let doc = bad.data(
        "all",
        GenericResource::new("aws_iam_policy_document").set(
            "statement",
            json!([{ "actions": ["*"], "resources": ["*"] }]),
        ),
    );
    bad.add(
        "all",
        GenericResource::new("aws_iam_role_policy")
            .set("role", "r")
            .input::<String>("policy", doc.attr::<String>("json")),
    );
    assert_eq!(
        violations(bad, "OC-AWS-IAM-WILDCARD"),
        [
            (
                "aws_iam_policy.admin".to_owned(),
                "`policy` allows every action (\"*\") on every resource (\"*\")"
                    .to_owned()
            ),
            (
                "aws_iam_role.role".to_owned(),
                "`inline_policy[0].policy` allows every action (\"*\") on \
                 every resource (\"*\")"
                    .to_owned()
            ),
            (
                "aws_iam_role_policy.all".to_owned(),
                "`policy` allows every action (\"*\") on every resource (\"*\") \
                 (from data.aws_iam_policy_document.all)"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn iam_access_key() {
    let mut good = env();
    good.add("ci", GenericResource::new("aws_iam_user").set("name", "ci"));
    assert_eq!(violations(good, "OC-AWS-IAM-ACCESS-KEY"), []);

    let mut bad = env();
    bad.add(
        "ci",
        GenericResource::new("aws_iam_access_key").set("user", "ci"),
    );
    assert_eq!(
        violations(bad, "OC-AWS-IAM-ACCESS-KEY"),
        one(
            "aws_iam_access_key.ci",
            "an IAM access key is a long-lived credential whose secret is kept \
             in the Terraform state"
        )
    );
}

#[test]
fn instance_alarm() {
    let mut good = env();
    let vm = good.add("web", aws::Instance::new("ami-1", "t3.small"));
    good.add(
        "web-cpu",
        aws::CloudwatchMetricAlarm::new("cpu", "GreaterThanThreshold", 3)
            .dimensions(
                [("InstanceId".to_owned(), vm.id())]
                    .into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>(),
            ),
    );
    assert_eq!(violations(good, "OC-AWS-ALARM"), []);

    let mut bad = env();
    bad.add("web", aws::Instance::new("ami-1", "t3.small"));
    assert_eq!(
        violations(bad, "OC-AWS-ALARM"),
        one(
            "aws_instance.web",
            "no aws_cloudwatch_metric_alarm names the instance in its \
             `dimensions`"
        )
    );
}

// ---------------------------------------------------------------- GCP --

fn gcs(name: &str) -> gcp::StorageBucket {
    gcp::StorageBucket::new(format!("acme-{name}"), "EU")
}

#[test]
fn gcs_uniform_access() {
    let mut good = env();
    good.add("a", gcs("a").uniform_bucket_level_access(true));
    assert_eq!(violations(good, "OC-GCP-GCS-UNIFORM-ACCESS"), []);

    let mut bad = env();
    bad.add("a", gcs("a"));
    bad.add("b", gcs("b").uniform_bucket_level_access(false));
    assert_eq!(
        violations(bad, "OC-GCP-GCS-UNIFORM-ACCESS"),
        [
            (
                "google_storage_bucket.a".to_owned(),
                "`uniform_bucket_level_access` is not set (it defaults to \
                 false)"
                    .to_owned()
            ),
            (
                "google_storage_bucket.b".to_owned(),
                "`uniform_bucket_level_access` is false".to_owned()
            ),
        ]
    );
}

#[test]
fn gcs_public() {
    let mut good = env();
    good.add("a", gcs("a").public_access_prevention("enforced"));
    good.add(
        "readers",
        GenericResource::new("google_storage_bucket_iam_member")
            .set("bucket", "acme-a")
            .set("role", "roles/storage.objectViewer")
            .set("member", "group:readers@example.com"),
    );
    assert_eq!(violations(good, "OC-GCP-GCS-PUBLIC"), []);

    let mut bad = env();
    bad.add("a", gcs("a"));
    bad.add("b", gcs("b").public_access_prevention("inherited"));
    bad.add(
        "world",
        GenericResource::new("google_storage_bucket_iam_binding")
            .set("bucket", "acme-b")
            .set("role", "roles/storage.objectViewer")
            .set("members", json!(["allUsers"])),
    );
    assert_eq!(
        violations(bad, "OC-GCP-GCS-PUBLIC"),
        [
            (
                "google_storage_bucket.a".to_owned(),
                "`public_access_prevention` is not set (it defaults to \
                 inherited)"
                    .to_owned()
            ),
            (
                "google_storage_bucket.b".to_owned(),
                "`public_access_prevention` is \"inherited\", not \"enforced\""
                    .to_owned()
            ),
            (
                "google_storage_bucket_iam_binding.world".to_owned(),
                "the bucket is granted to allUsers".to_owned()
            ),
        ]
    );
}

#[test]
fn gcs_logging() {
    let mut good = env();
    good.add("a", gcs("a").logging(gcp::BucketLogging::new("acme-logs")));
    assert_eq!(violations(good, "OC-GCP-GCS-LOGGING"), []);

    let mut bad = env();
    bad.add("a", gcs("a"));
    assert_eq!(
        violations(bad, "OC-GCP-GCS-LOGGING"),
        one("google_storage_bucket.a", "no `logging` block")
    );
}

/// A Cloud SQL instance with the given `settings`.
fn sql(settings: serde_json::Value) -> GenericResource {
    GenericResource::new("google_sql_database_instance")
        .set("database_version", "POSTGRES_16")
        .set("settings", json!([settings]))
}

#[test]
fn sql_public() {
    let mut good = env();
    good.add(
        "private",
        sql(json!({ "tier": "db-f1-micro", "ip_configuration": [{
            "ipv4_enabled": false,
            "authorized_networks": [{ "value": "0.0.0.0/0" }],
        }]})),
    );
    good.add(
        "office",
        sql(json!({ "tier": "db-f1-micro", "ip_configuration": [{
            "authorized_networks": [{ "value": "203.0.113.0/24" }],
        }]})),
    );
    assert_eq!(violations(good, "OC-GCP-SQL-PUBLIC"), []);

    let mut bad = env();
    bad.add(
        "open",
        sql(json!({ "tier": "db-f1-micro", "ip_configuration": [{
            "ipv4_enabled": true,
            "authorized_networks": [
                { "value": "203.0.113.0/24" },
                { "name": "all", "value": "0.0.0.0/0" },
            ],
        }]})),
    );
    assert_eq!(
        violations(bad, "OC-GCP-SQL-PUBLIC"),
        one(
            "google_sql_database_instance.open",
            "`settings.ip_configuration.authorized_networks[1]` authorizes \
             0.0.0.0/0"
        )
    );
}

#[test]
fn sql_tls() {
    let mut good = env();
    good.add(
        "a",
        sql(json!({ "tier": "t", "ip_configuration": [{ "ssl_mode": "ENCRYPTED_ONLY" }] })),
    );
    good.add(
        "b",
        sql(json!({ "tier": "t", "ip_configuration": [{
            "ssl_mode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED" }] })),
    );
    good.add(
        "c",
        sql(json!({ "tier": "t", "ip_configuration": [{ "require_ssl": true }] })),
    );
    assert_eq!(violations(good, "OC-GCP-SQL-TLS"), []);

    let mut bad = env();
    bad.add("a", sql(json!({ "tier": "t" })));
    bad.add(
        "b",
        sql(json!({ "tier": "t", "ip_configuration": [{
            "ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED" }] })),
    );
    assert_eq!(
        violations(bad, "OC-GCP-SQL-TLS"),
        [
            (
                "google_sql_database_instance.a".to_owned(),
                "`settings.ip_configuration.ssl_mode` is not set (the default \
                 accepts unencrypted connections)"
                    .to_owned()
            ),
            (
                "google_sql_database_instance.b".to_owned(),
                "`settings.ip_configuration.ssl_mode` is \
                 \"ALLOW_UNENCRYPTED_AND_ENCRYPTED\", which accepts \
                 unencrypted connections"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn sql_backup() {
    let mut good = env();
    good.add(
        "a",
        sql(json!({ "tier": "t", "backup_configuration": [{ "enabled": true }] })),
    );
    assert_eq!(violations(good, "OC-GCP-SQL-BACKUP"), []);

    let mut bad = env();
    bad.add("a", sql(json!({ "tier": "t" })));
    bad.add(
        "b",
        sql(json!({ "tier": "t", "backup_configuration": [{ "enabled": false }] })),
    );
    assert_eq!(
        violations(bad, "OC-GCP-SQL-BACKUP"),
        [
            (
                "google_sql_database_instance.a".to_owned(),
                "`settings.backup_configuration.enabled` is not set (it \
                 defaults to false)"
                    .to_owned()
            ),
            (
                "google_sql_database_instance.b".to_owned(),
                "`settings.backup_configuration.enabled` is false".to_owned()
            ),
        ]
    );
}

#[test]
fn sql_ha_in_production_only() {
    let mut staging = env();
    staging.add("a", sql(json!({ "tier": "t" })));
    assert_eq!(violations(staging, "OC-GCP-SQL-HA"), []);

    let mut good = Env::new("production");
    good.add(
        "a",
        sql(json!({ "tier": "t", "availability_type": "REGIONAL" })),
    );
    good.add(
        "dr",
        sql(json!({ "tier": "t", "user_labels": { "environment": "dr" } })),
    );
    assert_eq!(violations(good, "OC-GCP-SQL-HA"), []);

    let mut bad = Env::new("production");
    bad.add("a", sql(json!({ "tier": "t" })));
    bad.add(
        "b",
        sql(json!({ "tier": "t", "availability_type": "ZONAL" })),
    );
    assert_eq!(
        violations(bad, "OC-GCP-SQL-HA"),
        [
            (
                "google_sql_database_instance.a".to_owned(),
                "`settings.availability_type` is not set (it defaults to \
                 ZONAL) in a production environment"
                    .to_owned()
            ),
            (
                "google_sql_database_instance.b".to_owned(),
                "`settings.availability_type` is \"ZONAL\" in a production \
                 environment"
                    .to_owned()
            ),
        ]
    );
}

fn firewall(ranges: &[&str], allow: gcp::FirewallRule) -> gcp::ComputeFirewall {
    gcp::ComputeFirewall::new("fw", "default")
        .source_ranges(
            ranges.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>(),
        )
        .allow(allow)
}

#[test]
fn firewall_admin_ports() {
    let mut good = env();
    good.add(
        "iap",
        firewall(
            &["35.235.240.0/20"],
            gcp::FirewallRule::new("tcp").ports(["22"]),
        ),
    );
    good.add(
        "web",
        firewall(&["0.0.0.0/0"], gcp::FirewallRule::new("tcp").ports(["443"])),
    );
    good.add(
        "off",
        firewall(&["0.0.0.0/0"], gcp::FirewallRule::new("tcp").ports(["22"]))
            .disabled(true),
    );
    good.add(
        "out",
        firewall(&["0.0.0.0/0"], gcp::FirewallRule::new("tcp").ports(["22"]))
            .direction("EGRESS"),
    );
    assert_eq!(violations(good, "OC-GCP-FW-ADMIN-PORTS"), []);

    let mut bad = env();
    bad.add(
        "ssh",
        firewall(
            &["0.0.0.0/0"],
            gcp::FirewallRule::new("tcp").ports(["20-25"]),
        ),
    );
    bad.add("all", firewall(&["::/0"], gcp::FirewallRule::new("all")));
    assert_eq!(
        violations(bad, "OC-GCP-FW-ADMIN-PORTS"),
        [
            (
                "google_compute_firewall.all".to_owned(),
                "lets ::/0 in to ports 22 (SSH), 3389 (RDP)".to_owned()
            ),
            (
                "google_compute_firewall.ssh".to_owned(),
                "lets 0.0.0.0/0 in to port 22 (SSH)".to_owned()
            ),
        ]
    );
}

#[test]
fn firewall_db_ports() {
    let mut good = env();
    good.add(
        "db",
        firewall(
            &["10.0.0.0/8"],
            gcp::FirewallRule::new("tcp").ports(["5432"]),
        ),
    );
    assert_eq!(violations(good, "OC-GCP-FW-DB-PORTS"), []);

    let mut bad = env();
    bad.add(
        "db",
        firewall(
            &["0.0.0.0/0"],
            gcp::FirewallRule::new("tcp").ports(["5432", "6379"]),
        ),
    );
    assert_eq!(
        violations(bad, "OC-GCP-FW-DB-PORTS"),
        one(
            "google_compute_firewall.db",
            "lets 0.0.0.0/0 in to ports 5432 (PostgreSQL), 6379 (Redis)"
        )
    );
}

#[test]
fn subnet_flow_logs() {
    let mut good = env();
    good.add(
        "web",
        gcp::ComputeSubnetwork::new("web", "default")
            .log_config(gcp::SubnetworkLogConfig::new()),
    );
    good.add(
        "proxy",
        gcp::ComputeSubnetwork::new("proxy", "default")
            .purpose("REGIONAL_MANAGED_PROXY"),
    );
    assert_eq!(violations(good, "OC-GCP-SUBNET-FLOW-LOGS"), []);

    let mut bad = env();
    bad.add("web", gcp::ComputeSubnetwork::new("web", "default"));
    assert_eq!(
        violations(bad, "OC-GCP-SUBNET-FLOW-LOGS"),
        one("google_compute_subnetwork.web", "no `log_config` block")
    );
}

#[test]
fn gcp_lb_tls_policy() {
    let mut good = env();
    let policy = good.add(
        "modern",
        GenericResource::new("google_compute_ssl_policy")
            .set("name", "modern")
            .set("profile", "MODERN")
            .set("min_tls_version", "TLS_1_2"),
    );
    good.add(
        "shop",
        gcp::ComputeTargetHttpsProxy::new("shop", "map")
            .ssl_policy(policy.id()),
    );
    assert_eq!(violations(good, "OC-GCP-LB-TLS-POLICY"), []);

    let mut bad = env();
    bad.add(
        "compatible",
        GenericResource::new("google_compute_ssl_policy").set("name", "c"),
    );
    bad.add(
        "old",
        GenericResource::new("google_compute_ssl_policy")
            .set("name", "o")
            .set("profile", "RESTRICTED")
            .set("min_tls_version", "TLS_1_1"),
    );
    bad.add("shop", gcp::ComputeTargetHttpsProxy::new("shop", "map"));
    assert_eq!(
        violations(bad, "OC-GCP-LB-TLS-POLICY"),
        [
            (
                "google_compute_ssl_policy.compatible".to_owned(),
                "`profile` is COMPATIBLE and `min_tls_version` is TLS_1_0, \
                 not MODERN or RESTRICTED with TLS_1_2"
                    .to_owned()
            ),
            (
                "google_compute_ssl_policy.old".to_owned(),
                "`min_tls_version` is TLS_1_1, not MODERN or RESTRICTED with \
                 TLS_1_2"
                    .to_owned()
            ),
            (
                "google_compute_target_https_proxy.shop".to_owned(),
                "`ssl_policy` is not set (the default policy allows TLS 1.0)"
                    .to_owned()
            ),
        ]
    );
}

fn alert(filter: &str) -> gcp::MonitoringAlertPolicy {
    gcp::MonitoringAlertPolicy::new(
        "cpu",
        "OR",
        gcp::AlertCondition::new("cpu").condition_threshold(
            gcp::ConditionThreshold::new("COMPARISON_GT", "300s")
                .filter(filter),
        ),
    )
}

#[test]
fn group_alert() {
    let mut project_wide = env();
    project_wide.add("web", gcp::ComputeInstanceGroup::new("web"));
    project_wide.add(
        "cpu",
        alert("resource.type = \"gce_instance\" AND metric.type = \"x\""),
    );
    assert_eq!(violations(project_wide, "OC-GCP-ALERT"), []);

    let mut by_name = env();
    by_name.add("web", gcp::ComputeInstanceGroup::new("web-eu"));
    by_name.add(
        "cpu",
        alert("resource.type = \"instance_group\" AND resource.label.instance_group_name = \"web-eu\""),
    );
    assert_eq!(violations(by_name, "OC-GCP-ALERT"), []);

    let mut bad = env();
    bad.add("web", gcp::ComputeInstanceGroup::new("web"));
    bad.add(
        "cpu",
        alert(
            "resource.type = \"gce_instance\" AND resource.label.zone = \"x\"",
        ),
    );
    assert_eq!(
        violations(bad, "OC-GCP-ALERT"),
        one(
            "google_compute_instance_group.web",
            "no google_monitoring_alert_policy covers the group's instances"
        )
    );
}

// ------------------------------------------------------------ private --

#[test]
fn ceph_bucket_encryption() {
    let mut good = env();
    let rgw = good.provider(ceph::Provider::rgw("ceph", "https://rgw.example"));
    let b = good.add_with(
        "archive",
        aws::S3Bucket::new().bucket("archive"),
        Meta::new().provider(&rgw),
    );
    good.add_with(
        "archive",
        aws::S3BucketServerSideEncryptionConfiguration::new(
            b.id(),
            aws::S3ServerSideEncryptionRule::new()
                .apply_server_side_encryption_by_default(
                    aws::ApplyServerSideEncryptionByDefault::new("AES256"),
                ),
        ),
        Meta::new().provider(&rgw),
    );
    assert_eq!(violations(good, "OC-CEPH-BUCKET-ENCRYPTION"), []);

    let mut bad = env();
    let rgw = bad.provider(ceph::Provider::rgw("ceph", "https://rgw.example"));
    bad.add_with(
        "archive",
        aws::S3Bucket::new().bucket("archive"),
        Meta::new().provider(&rgw),
    );
    // An AWS bucket is left to the AWS rules.
    bucket(&mut bad, "aws");
    let env = bad;
    let compiled_violations = violations(env, "OC-CEPH-BUCKET-ENCRYPTION");
    assert_eq!(
        compiled_violations,
        one(
            "aws_s3_bucket.archive",
            "no aws_s3_bucket_server_side_encryption_configuration refers to \
             the bucket"
        )
    );

    // And the AWS rules leave the gateway's bucket alone.
    let mut gateway_only = Env::new("dc1");
    let rgw = gateway_only
        .provider(ceph::Provider::rgw("ceph", "https://rgw.example"));
    gateway_only.add_with(
        "archive",
        aws::S3Bucket::new().bucket("archive"),
        Meta::new().provider(&rgw),
    );
    assert_eq!(violations(gateway_only, "OC-AWS-S3-ENCRYPTION"), []);
}

fn os_rule(prefix: Option<&str>, from: i64, to: i64) -> GenericResource {
    let mut rule =
        GenericResource::new("openstack_networking_secgroup_rule_v2")
            .set("direction", "ingress")
            .set("ethertype", "IPv4")
            .set("security_group_id", "sg")
            .set("protocol", "tcp")
            .set("port_range_min", from)
            .set("port_range_max", to);
    if let Some(prefix) = prefix {
        rule = rule.set("remote_ip_prefix", prefix);
    }
    rule
}

#[test]
fn openstack_admin_ports() {
    let mut good = env();
    good.add("ssh", os_rule(Some("10.0.0.0/8"), 22, 22));
    good.add("web", os_rule(Some("0.0.0.0/0"), 443, 443));
    good.add(
        "bastion",
        os_rule(None, 22, 22).set("remote_group_id", "bastion"),
    );
    assert_eq!(violations(good, "OC-OS-SECGROUP-ADMIN-PORTS"), []);

    let mut bad = env();
    bad.add("ssh", os_rule(Some("0.0.0.0/0"), 22, 22));
    bad.add("any", os_rule(None, 3389, 3389));
    assert_eq!(
        violations(bad, "OC-OS-SECGROUP-ADMIN-PORTS"),
        [
            (
                "openstack_networking_secgroup_rule_v2.any".to_owned(),
                "lets any address in to port 3389 (RDP)".to_owned()
            ),
            (
                "openstack_networking_secgroup_rule_v2.ssh".to_owned(),
                "lets 0.0.0.0/0 in to port 22 (SSH)".to_owned()
            ),
        ]
    );
}

#[test]
fn openstack_db_ports() {
    let mut good = env();
    good.add("pg", os_rule(Some("10.0.0.0/8"), 5432, 5432));
    assert_eq!(violations(good, "OC-OS-SECGROUP-DB-PORTS"), []);

    let mut bad = env();
    bad.add("pg", os_rule(Some("::/0"), 5432, 5432));
    assert_eq!(
        violations(bad, "OC-OS-SECGROUP-DB-PORTS"),
        one(
            "openstack_networking_secgroup_rule_v2.pg",
            "lets ::/0 in to port 5432 (PostgreSQL)"
        )
    );
}

#[test]
fn proxmox_disk() {
    let vm = |backup: Option<bool>| {
        let mut disk = json!({ "interface": "scsi0", "size": 20 });
        if let Some(backup) = backup {
            disk["backup"] = json!(backup);
        }
        GenericResource::new("proxmox_virtual_environment_vm")
            .set("node_name", "pve")
            .set("disk", json!([disk]))
    };
    let mut good = env();
    good.add("a", vm(None));
    good.add("b", vm(Some(true)));
    assert_eq!(violations(good, "OC-PVE-DISK"), []);

    let mut bad = env();
    bad.add("a", vm(Some(false)));
    assert_eq!(
        violations(bad, "OC-PVE-DISK"),
        one(
            "proxmox_virtual_environment_vm.a",
            "`disk[0].backup` is false: the disk is left out of backups"
        )
    );
}

// ------------------------------------------------------------- common --

#[test]
fn tags_required() {
    let all = |env: &str| {
        [
            ("owner", "ops"),
            ("environment", env),
            ("cost_centre", "42"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect::<std::collections::BTreeMap<_, _>>()
    };
    let mut good = env();
    good.add("main", aws::Vpc::new("10.0.0.0/16").tags(all("staging")));
    good.add("a", gcs("a").labels(all("staging")));
    // Types without tags are not checked.
    good.add("r", aws::Route::new("rtb-1"));
    // Provider default tags count.
    good.provider(aws::Provider::region("eu-west-1").setting(
        "default_tags",
        onioncloud_core::Value::from(
            json!([{ "tags": { "owner": "ops", "cost_centre": "42" } }]),
        ),
    ));
    good.add(
        "other",
        aws::Vpc::new("10.1.0.0/16").tags(tags(&[("environment", "staging")])),
    );
    assert_eq!(violations(good, "OC-TAGS-REQUIRED"), []);

    let mut bad = env();
    bad.add(
        "main",
        aws::Vpc::new("10.0.0.0/16").tags(tags(&[("owner", "ops")])),
    );
    bad.add("a", gcs("a"));
    bad.add(
        "db",
        sql(json!({ "tier": "t", "user_labels": { "owner": "ops" } })),
    );
    assert_eq!(
        violations(bad, "OC-TAGS-REQUIRED"),
        [
            (
                "aws_vpc.main".to_owned(),
                "missing tags: environment, cost_centre".to_owned()
            ),
            (
                "google_sql_database_instance.db".to_owned(),
                "missing labels: environment, cost_centre".to_owned()
            ),
            (
                "google_storage_bucket.a".to_owned(),
                "missing labels: owner, environment, cost_centre".to_owned()
            ),
        ]
    );
}

#[test]
fn tag_policy_is_configurable() {
    let mut env = env();
    env.add(
        "main",
        aws::Vpc::new("10.0.0.0/16").tags(tags(&[("team", "web")])),
    );
    let env = env.compile().unwrap();
    let pack = policies::common(
        TagPolicy::new(["team", "app"]).enforce(Enforcement::Mandatory),
    );
    let report = policy::check(&env, &[&pack]);
    let failures: Vec<_> = report
        .mandatory_failures()
        .map(|f| (f.rule.as_str(), f.violation.message.as_str()))
        .collect();
    assert_eq!(failures, [("OC-TAGS-REQUIRED", "missing tags: app")]);
    let rule = report.rule("OC-TAGS-REQUIRED").unwrap();
    assert!(
        rule.description.contains("team, app"),
        "{}",
        rule.description
    );
    // By default the rule is advisory.
    assert_eq!(
        policies::catalogue()
            .iter()
            .find(|r| r.id == "OC-TAGS-REQUIRED")
            .unwrap()
            .enforcement,
        Enforcement::Advisory
    );
}

#[test]
fn secret_plaintext() {
    const VALUE: &str = "hunter2-correct-horse";
    let mut good = env();
    good.add(
        "db",
        aws::DbInstance::new("postgres", "db.t4g.micro")
            .password(SecretRef::aws("prod/db"))
            .manage_master_user_password(false),
    );
    good.add(
        "meta",
        GenericResource::new("aws_secretsmanager_secret_version")
            .set("secret_id", "prod/db")
            .set("secret_arn", "arn:aws:secretsmanager:eu-west-1:1:secret:x")
            .set("password_length", 32)
            .set("token", "")
            .set("api_key", "true")
            .set("credentials", "projects/acme/secrets/api/versions/latest")
            .set("private_key_file", "/etc/ssl/private/key.pem"),
    );
    good.add(
        "web",
        aws::Instance::new("ami-1", "t3.small").metadata_options(
            aws::MetadataOptions::new().http_tokens("required"),
        ),
    );
    // Settings about secrets, and endpoints, are not secrets.
    good.add(
        "client",
        GenericResource::new("aws_cognito_user_pool_client").set(
            "token_validity_units",
            json!({ "access_token": "hours", "id_token": "hours",
                    "refresh_token": "days" }),
        ),
    );
    good.add(
        "sql",
        GenericResource::new("google_sql_database_instance").set(
            "settings",
            json!([{ "password_validation_policy": [
                { "password_change_interval": "3600s" }] }]),
        ),
    );
    good.add(
        "oidc",
        GenericResource::new("aws_lb_listener_rule").set(
            "action",
            json!([{ "authenticate_oidc": [{
                "token_endpoint": "https://idp.example.com/oauth2/token",
                "client_secret_url": "https://idp.example.com/s" }] }]),
        ),
    );
    let token = good.variable("token", Variable::<String>::new());
    good.add(
        "hook",
        GenericResource::new("github_repository_webhook")
            .input::<String>("token", &token),
    );
    assert_eq!(violations(good, "OC-SECRET-PLAINTEXT"), []);

    let mut bad = env();
    bad.add(
        "db",
        GenericResource::new("aws_db_instance")
            .set("engine", "postgres")
            .set("password", VALUE),
    );
    bad.add(
        "vm",
        GenericResource::new("proxmox_virtual_environment_vm").set(
            "initialization",
            json!([{ "user_account": [{ "username": "ops", "password": VALUE }] }]),
        ),
    );
    bad.add(
        "provider",
        GenericResource::new("null_resource").set(
            "triggers",
            json!({ "Client-Secret": VALUE, "API_TOKEN": VALUE }),
        ),
    );
    bad.data(
        "remote",
        GenericResource::new("http")
            .set("request_headers", json!({ "access_key": VALUE })),
    );
    // A URL with credentials in it is still a secret.
    bad.add(
        "mirror",
        GenericResource::new("null_resource").set(
            "triggers",
            json!({ "token": format!("https://ops:{VALUE}@git.example.com/") }),
        ),
    );
    let found = violations(bad, "OC-SECRET-PLAINTEXT");
    let advice = "is a literal value; keep the secret in a secret store and \
                  pass a SecretRef";
    assert_eq!(
        found,
        [
            (
                "aws_db_instance.db".to_owned(),
                format!("`password` {advice}")
            ),
            (
                "null_resource.mirror".to_owned(),
                format!("`triggers.token` {advice}")
            ),
            (
                "null_resource.provider".to_owned(),
                format!("`triggers.API_TOKEN` {advice}")
            ),
            (
                "null_resource.provider".to_owned(),
                format!("`triggers.Client-Secret` {advice}")
            ),
            (
                "proxmox_virtual_environment_vm.vm".to_owned(),
                format!(
                    "`initialization[0].user_account[0].password` {advice}"
                )
            ),
            // Data sources come after managed resources.
            (
                "data.http.remote".to_owned(),
                format!("`request_headers.access_key` {advice}")
            ),
        ]
    );
    assert!(found.iter().all(|(_, message)| !message.contains(VALUE)));
}

// ---------------------------------------------------------- catalogue --

#[test]
fn every_catalogue_rule_is_implemented_once() {
    let ids: Vec<String> =
        policies::catalogue().into_iter().map(|r| r.id).collect();
    let expected = [
        "OC-AWS-ALARM",
        "OC-AWS-EBS-ENCRYPTION",
        "OC-AWS-IAM-ACCESS-KEY",
        "OC-AWS-IAM-WILDCARD",
        "OC-AWS-LB-HTTPS",
        "OC-AWS-LB-LOGS",
        "OC-AWS-LB-TLS-POLICY",
        "OC-AWS-RDS-BACKUP",
        "OC-AWS-RDS-ENCRYPTION",
        "OC-AWS-RDS-MULTI-AZ",
        "OC-AWS-RDS-PUBLIC",
        "OC-AWS-S3-ENCRYPTION",
        "OC-AWS-S3-LOGGING",
        "OC-AWS-S3-PUBLIC-ACCESS",
        "OC-AWS-SG-ADMIN-PORTS",
        "OC-AWS-SG-DB-PORTS",
        "OC-AWS-VPC-FLOW-LOGS",
        "OC-CEPH-BUCKET-ENCRYPTION",
        "OC-GCP-ALERT",
        "OC-GCP-FW-ADMIN-PORTS",
        "OC-GCP-FW-DB-PORTS",
        "OC-GCP-GCS-LOGGING",
        "OC-GCP-GCS-PUBLIC",
        "OC-GCP-GCS-UNIFORM-ACCESS",
        "OC-GCP-LB-TLS-POLICY",
        "OC-GCP-SQL-BACKUP",
        "OC-GCP-SQL-HA",
        "OC-GCP-SQL-PUBLIC",
        "OC-GCP-SQL-TLS",
        "OC-GCP-SUBNET-FLOW-LOGS",
        "OC-OS-SECGROUP-ADMIN-PORTS",
        "OC-OS-SECGROUP-DB-PORTS",
        "OC-PVE-DISK",
        "OC-SECRET-PLAINTEXT",
        "OC-TAGS-REQUIRED",
    ];
    assert_eq!(ids, expected);
    for rule in policies::catalogue() {
        assert!(!rule.description.is_empty(), "{}", rule.id);
        assert!(!rule.remediation.is_empty(), "{}", rule.id);
        assert!(!rule.controls.is_empty(), "{}", rule.id);
    }
}

#[test]
fn the_module_documentation_carries_the_catalogue_table() {
    let source = include_str!("../src/policies/mod.rs");
    let documented: String = source
        .lines()
        .filter_map(|line| line.strip_prefix("//! |"))
        .map(|rest| format!("|{rest}\n"))
        .collect();
    assert_eq!(documented, policies::catalogue_markdown());
}

#[test]
fn the_taggable_types_cover_the_committed_schemas() {
    for (schema, attribute, known) in [
        (
            include_str!("../schema/aws.json"),
            "tags",
            policies::AWS_TAGGABLE.to_vec(),
        ),
        (
            include_str!("../schema/google.json"),
            "labels",
            policies::GCP_LABELLED
                .iter()
                .map(|(kind, _)| *kind)
                .collect(),
        ),
    ] {
        let schema: serde_json::Value = serde_json::from_str(schema).unwrap();
        let resources = schema["resources"].as_object().unwrap();
        for (kind, block) in resources {
            if block["attributes"].get(attribute).is_some() {
                assert!(
                    known.contains(&kind.as_str()),
                    "{kind} has {attribute}"
                );
            }
        }
    }
}
