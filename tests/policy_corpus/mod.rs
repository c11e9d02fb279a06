//! A corpus of small environments, good and bad, for the AWS and GCP
//! rules of the policy catalogue that checkov has a counterpart for.
//!
//! Each case is a function building an [`Env`]; its table says which
//! catalogue rules the environment violates and on which resources (what
//! the rule's definition in the catalogue demands), and which checkov
//! checks fail on which resources (verified with the pinned checkov).
//! Resource names are unique across types within a case, so that a
//! checkov result names one resource.

use onioncloud::core::{Env, GenericResource, Output};
use serde_json::json;

/// One environment of the corpus with its expected verdicts.
pub struct Case {
    /// The case's name, also the environment's name (which matters to
    /// rules that apply to production environments only).
    pub name: &'static str,
    /// Declares the environment.
    pub build: fn(&mut Env),
    /// The catalogue rules the environment violates: (rule id, resource
    /// address).
    pub violations: &'static [(&'static str, &'static str)],
    /// The checkov checks of the mapping table that fail on it: (check
    /// id, resource address as checkov names it once resolved).
    pub checkov_failures: &'static [(&'static str, &'static str)],
}

impl Case {
    /// The environment, declared.
    pub fn env(&self) -> Env {
        let mut env = Env::new(self.name);
        (self.build)(&mut env);
        env
    }
}

/// Every case of the corpus.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "prod-aws-good",
            build: aws_good,
            violations: &[],
            checkov_failures: &[],
        },
        Case {
            name: "prod-aws-storage",
            build: aws_bad_storage,
            violations: &[
                ("OC-AWS-S3-ENCRYPTION", "aws_s3_bucket.plain"),
                ("OC-AWS-S3-LOGGING", "aws_s3_bucket.open"),
                ("OC-AWS-S3-LOGGING", "aws_s3_bucket.plain"),
                ("OC-AWS-S3-PUBLIC-ACCESS", "aws_s3_bucket.open"),
                ("OC-AWS-S3-PUBLIC-ACCESS", "aws_s3_bucket.plain"),
            ],
            checkov_failures: &[
                ("CKV_AWS_145", "aws_s3_bucket.plain"),
                ("CKV_AWS_18", "aws_s3_bucket.open"),
                ("CKV_AWS_18", "aws_s3_bucket.plain"),
                ("CKV2_AWS_6", "aws_s3_bucket.open"),
                ("CKV2_AWS_6", "aws_s3_bucket.plain"),
                ("CKV_AWS_53", "aws_s3_bucket_public_access_block.open-pab"),
                ("CKV_AWS_54", "aws_s3_bucket_public_access_block.open-pab"),
                ("CKV_AWS_55", "aws_s3_bucket_public_access_block.open-pab"),
                ("CKV_AWS_56", "aws_s3_bucket_public_access_block.open-pab"),
            ],
        },
        Case {
            name: "prod-aws-sse-s3",
            build: aws_sse_s3,
            violations: &[],
            checkov_failures: &[("CKV_AWS_145", "aws_s3_bucket.sse-s3")],
        },
        Case {
            name: "prod-aws-database",
            build: aws_bad_database,
            violations: &[
                ("OC-AWS-RDS-BACKUP", "aws_db_instance.ledger"),
                ("OC-AWS-RDS-ENCRYPTION", "aws_db_instance.ledger"),
                ("OC-AWS-RDS-MULTI-AZ", "aws_db_instance.ledger"),
                ("OC-AWS-RDS-PUBLIC", "aws_db_instance.ledger"),
            ],
            checkov_failures: &[
                ("CKV_AWS_157", "aws_db_instance.ledger"),
                ("CKV_AWS_16", "aws_db_instance.ledger"),
                ("CKV_AWS_17", "aws_db_instance.ledger"),
            ],
        },
        Case {
            name: "dev-aws-database",
            build: aws_dev_database,
            violations: &[],
            checkov_failures: &[("CKV_AWS_157", "aws_db_instance.scratch")],
        },
        Case {
            name: "prod-aws-compute",
            build: aws_bad_compute,
            violations: &[
                ("OC-AWS-EBS-ENCRYPTION", "aws_instance.worker"),
                ("OC-AWS-SG-ADMIN-PORTS", "aws_security_group.open-ssh"),
                (
                    "OC-AWS-SG-ADMIN-PORTS",
                    "aws_security_group_rule.ssh-from-v6",
                ),
                (
                    "OC-AWS-SG-ADMIN-PORTS",
                    "aws_vpc_security_group_ingress_rule.rdp",
                ),
            ],
            checkov_failures: &[
                ("CKV_AWS_24", "aws_security_group.open-ssh"),
                ("CKV_AWS_24", "aws_security_group_rule.ssh-from-v6"),
                ("CKV_AWS_25", "aws_vpc_security_group_ingress_rule.rdp"),
                ("CKV_AWS_8", "aws_instance.worker"),
            ],
        },
        Case {
            name: "prod-aws-edge",
            build: aws_bad_edge,
            violations: &[
                ("OC-AWS-LB-HTTPS", "aws_lb_listener.plain-http"),
                ("OC-AWS-LB-LOGS", "aws_lb.edge"),
                ("OC-AWS-LB-TLS-POLICY", "aws_lb_listener.old-tls"),
                ("OC-AWS-VPC-FLOW-LOGS", "aws_vpc.unlogged"),
            ],
            checkov_failures: &[
                ("CKV2_AWS_11", "aws_vpc.unlogged"),
                ("CKV_AWS_103", "aws_lb_listener.old-tls"),
                ("CKV_AWS_103", "aws_lb_listener.plain-http"),
                ("CKV_AWS_2", "aws_lb_listener.plain-http"),
                ("CKV_AWS_91", "aws_lb.edge"),
            ],
        },
        Case {
            name: "prod-aws-iam",
            build: aws_bad_iam,
            violations: &[("OC-AWS-IAM-WILDCARD", "aws_iam_policy.admin")],
            checkov_failures: &[("CKV_AWS_62", "aws_iam_policy.admin")],
        },
        Case {
            name: "prod-gcp-good",
            build: gcp_good,
            violations: &[],
            checkov_failures: &[],
        },
        Case {
            name: "prod-gcp-bad",
            build: gcp_bad,
            violations: &[
                ("OC-GCP-FW-ADMIN-PORTS", "google_compute_firewall.world-rdp"),
                ("OC-GCP-FW-ADMIN-PORTS", "google_compute_firewall.world-ssh"),
                ("OC-GCP-GCS-LOGGING", "google_storage_bucket.loose"),
                ("OC-GCP-GCS-PUBLIC", "google_storage_bucket.loose"),
                ("OC-GCP-GCS-UNIFORM-ACCESS", "google_storage_bucket.loose"),
                ("OC-GCP-LB-TLS-POLICY", "google_compute_ssl_policy.legacy"),
                ("OC-GCP-SQL-BACKUP", "google_sql_database_instance.open"),
                ("OC-GCP-SQL-HA", "google_sql_database_instance.open"),
                ("OC-GCP-SQL-PUBLIC", "google_sql_database_instance.open"),
                ("OC-GCP-SQL-TLS", "google_sql_database_instance.open"),
                (
                    "OC-GCP-SUBNET-FLOW-LOGS",
                    "google_compute_subnetwork.unlogged",
                ),
            ],
            checkov_failures: &[
                ("CKV_GCP_11", "google_sql_database_instance.open"),
                ("CKV_GCP_14", "google_sql_database_instance.open"),
                ("CKV_GCP_2", "google_compute_firewall.world-ssh"),
                ("CKV_GCP_26", "google_compute_subnetwork.unlogged"),
                ("CKV_GCP_29", "google_storage_bucket.loose"),
                ("CKV_GCP_3", "google_compute_firewall.world-rdp"),
                ("CKV_GCP_4", "google_compute_ssl_policy.legacy"),
                ("CKV_GCP_6", "google_sql_database_instance.open"),
                ("CKV_GCP_62", "google_storage_bucket.loose"),
                ("CKV_GCP_114", "google_storage_bucket.loose"),
            ],
        },
        Case {
            name: "prod-gcp-sql-encrypted-only",
            build: gcp_sql_encrypted_only,
            violations: &[],
            checkov_failures: &[(
                "CKV_GCP_6",
                "google_sql_database_instance.tls",
            )],
        },
    ]
}

fn tags(name: &str) -> serde_json::Value {
    tags_in(name, "prod")
}

/// The required tags, in the environment `environment`.
fn tags_in(name: &str, environment: &str) -> serde_json::Value {
    json!({ "Name": name, "owner": "platform", "environment": environment,
            "cost_centre": "cc-1" })
}

/// A bucket with KMS encryption, a public access block and access logs
/// into a log bucket that is set up the same way.
fn aws_bucket(
    env: &mut Env,
    name: &str,
    log_target: Option<Output<String>>,
) -> Output<String> {
    aws_bucket_with(env, name, log_target, "aws:kms")
}

/// The default encryption rule of a bucket with `algorithm`.
fn sse(algorithm: &str) -> serde_json::Value {
    let mut default = json!({ "sse_algorithm": algorithm });
    if algorithm == "aws:kms" {
        default["kms_master_key_id"] = json!("alias/corpus-s3");
    }
    json!([{ "apply_server_side_encryption_by_default": [default] }])
}

fn aws_bucket_with(
    env: &mut Env,
    name: &str,
    log_target: Option<Output<String>>,
    algorithm: &str,
) -> Output<String> {
    let bucket = env.add(
        name,
        GenericResource::new("aws_s3_bucket")
            .set("bucket", format!("corpus-{name}"))
            .set("tags", tags(name)),
    );
    env.add(
        format!("{name}-sse"),
        GenericResource::new(
            "aws_s3_bucket_server_side_encryption_configuration",
        )
        .input("bucket", bucket.id())
        .set("rule", sse(algorithm)),
    );
    env.add(
        format!("{name}-pab"),
        GenericResource::new("aws_s3_bucket_public_access_block")
            .input("bucket", bucket.id())
            .set("block_public_acls", true)
            .set("block_public_policy", true)
            .set("ignore_public_acls", true)
            .set("restrict_public_buckets", true),
    );
    let target = log_target.unwrap_or_else(|| bucket.id());
    env.add(
        format!("{name}-logging"),
        GenericResource::new("aws_s3_bucket_logging")
            .input("bucket", bucket.id())
            .input("target_bucket", target)
            .set("target_prefix", format!("{name}/")),
    );
    bucket.id()
}

fn aws_vpc(env: &mut Env, name: &str, flow_logs: bool) {
    let vpc = env.add(
        name,
        GenericResource::new("aws_vpc")
            .set("cidr_block", "10.0.0.0/16")
            .set("tags", tags(name)),
    );
    if flow_logs {
        env.add(
            format!("{name}-flow"),
            GenericResource::new("aws_flow_log")
                .input("vpc_id", vpc.id())
                .set("traffic_type", "ALL")
                .set("log_destination_type", "s3")
                .set("log_destination", "arn:aws:s3:::corpus-flow-logs"),
        );
    }
}

/// Everything the AWS rules ask for, in a production environment.
fn aws_good(env: &mut Env) {
    aws_vpc(env, "main", true);
    let logs = aws_bucket(env, "access-logs", None);
    aws_bucket(env, "data", Some(logs));
    env.add(
        "orders",
        GenericResource::new("aws_db_instance")
            .set("engine", "postgres")
            .set("instance_class", "db.t3.micro")
            .set("allocated_storage", 20)
            .set("storage_encrypted", true)
            .set("publicly_accessible", false)
            .set("backup_retention_period", 7)
            .set("multi_az", true)
            .set("tags", tags("orders")),
    );
    env.add(
        "app",
        GenericResource::new("aws_instance")
            .set("ami", "ami-0123456789abcdef0")
            .set("instance_type", "t3.micro")
            .set("root_block_device", json!([{ "encrypted": true }]))
            .set(
                "ebs_block_device",
                json!([{ "device_name": "/dev/sdf", "encrypted": true }]),
            )
            .set("tags", tags("app")),
    );
    env.add(
        "app-sg",
        GenericResource::new("aws_security_group")
            .set("description", "app servers")
            .set(
                "ingress",
                json!([
                    { "description": "https", "from_port": 443,
                      "to_port": 443, "protocol": "tcp",
                      "cidr_blocks": ["0.0.0.0/0"] },
                    { "description": "ssh from the office",
                      "from_port": 22, "to_port": 22, "protocol": "tcp",
                      "cidr_blocks": ["10.0.0.0/8"] },
                ]),
            ),
    );
    env.add(
        "ssh-from-bastion",
        GenericResource::new("aws_vpc_security_group_ingress_rule")
            .set("security_group_id", "sg-0123456789abcdef0")
            .set("ip_protocol", "tcp")
            .set("from_port", 22)
            .set("to_port", 22)
            .set("cidr_ipv4", "10.1.0.0/24"),
    );
    let lb = env.add(
        "front",
        GenericResource::new("aws_lb")
            .set("load_balancer_type", "application")
            .set("drop_invalid_header_fields", true)
            .set(
                "access_logs",
                json!([{ "bucket": "corpus-access-logs", "enabled": true }]),
            ),
    );
    env.add(
        "front-https",
        GenericResource::new("aws_lb_listener")
            .input("load_balancer_arn", lb.attr::<String>("arn"))
            .set("port", 443)
            .set("protocol", "HTTPS")
            .set("ssl_policy", "ELBSecurityPolicy-TLS13-1-2-2021-06")
            .set("certificate_arn", "arn:aws:acm:eu-west-1:1:certificate/x")
            .set(
                "default_action",
                json!([{ "type": "fixed-response", "fixed_response": [{
                    "content_type": "text/plain", "status_code": "404" }] }]),
            ),
    );
    env.add(
        "front-http",
        GenericResource::new("aws_lb_listener")
            .input("load_balancer_arn", lb.attr::<String>("arn"))
            .set("port", 80)
            .set("protocol", "HTTP")
            .set(
                "default_action",
                json!([{ "type": "redirect", "redirect": [{
                    "port": "443", "protocol": "HTTPS",
                    "status_code": "HTTP_301" }] }]),
            ),
    );
    env.add(
        "read-orders",
        GenericResource::new("aws_iam_policy").set(
            "policy",
            json!({ "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "s3:*",
                "Resource": "arn:aws:s3:::corpus-data/*" }] })
            .to_string(),
        ),
    );
}

/// A bucket with nothing, and one with KMS encryption but no access logs
/// and a public access block whose flags are all off.
fn aws_bad_storage(env: &mut Env) {
    env.add(
        "plain",
        GenericResource::new("aws_s3_bucket")
            .set("bucket", "corpus-plain")
            .set("tags", tags("plain")),
    );
    let bucket = env.add(
        "open",
        GenericResource::new("aws_s3_bucket")
            .set("bucket", "corpus-open")
            .set("tags", tags("open")),
    );
    env.add(
        "open-sse",
        GenericResource::new(
            "aws_s3_bucket_server_side_encryption_configuration",
        )
        .input("bucket", bucket.id())
        .set("rule", sse("aws:kms")),
    );
    env.add(
        "open-pab",
        GenericResource::new("aws_s3_bucket_public_access_block")
            .input("bucket", bucket.id())
            .set("block_public_acls", false)
            .set("block_public_policy", false)
            .set("ignore_public_acls", false)
            .set("restrict_public_buckets", false),
    );
}

/// A bucket encrypted with SSE-S3 (AES256), otherwise sound.
fn aws_sse_s3(env: &mut Env) {
    aws_bucket_with(env, "sse-s3", None, "AES256");
}

fn db(
    encrypted: bool,
    public: bool,
    retention: i64,
    multi_az: bool,
) -> GenericResource {
    GenericResource::new("aws_db_instance")
        .set("engine", "postgres")
        .set("instance_class", "db.t3.micro")
        .set("allocated_storage", 20)
        .set("storage_encrypted", encrypted)
        .set("publicly_accessible", public)
        .set("backup_retention_period", retention)
        .set("multi_az", multi_az)
}

/// An unencrypted, public, single-AZ production database with three days
/// of backups.
fn aws_bad_database(env: &mut Env) {
    env.add(
        "ledger",
        db(false, true, 3, false).set("tags", tags("ledger")),
    );
}

/// A development database in one availability zone, otherwise sound.
fn aws_dev_database(env: &mut Env) {
    env.add(
        "scratch",
        db(true, false, 7, false).set("tags", tags_in("scratch", "dev")),
    );
}

/// An instance with an unencrypted root volume; SSH and RDP open to the
/// world, in the three ways AWS lets one write an ingress rule.
fn aws_bad_compute(env: &mut Env) {
    env.add(
        "worker",
        GenericResource::new("aws_instance")
            .set("ami", "ami-0123456789abcdef0")
            .set("instance_type", "t3.micro")
            .set("root_block_device", json!([{ "encrypted": false }]))
            .set("tags", tags("worker")),
    );
    env.add(
        "open-ssh",
        GenericResource::new("aws_security_group")
            .set("description", "ssh from anywhere")
            .set(
                "ingress",
                json!([{ "description": "ssh", "from_port": 22,
                         "to_port": 22, "protocol": "tcp",
                         "cidr_blocks": ["0.0.0.0/0"] }]),
            ),
    );
    env.add(
        "ssh-from-v6",
        GenericResource::new("aws_security_group_rule")
            .set("type", "ingress")
            .set("security_group_id", "sg-0123456789abcdef0")
            .set("protocol", "tcp")
            .set("from_port", 22)
            .set("to_port", 22)
            .set("ipv6_cidr_blocks", json!(["::/0"])),
    );
    env.add(
        "rdp",
        GenericResource::new("aws_vpc_security_group_ingress_rule")
            .set("security_group_id", "sg-0123456789abcdef0")
            .set("ip_protocol", "tcp")
            .set("from_port", 3389)
            .set("to_port", 3389)
            .set("cidr_ipv4", "0.0.0.0/0"),
    );
}

/// A VPC without flow logs; a load balancer without access logs, with a
/// plain HTTP listener and an HTTPS listener allowing TLS 1.0.
fn aws_bad_edge(env: &mut Env) {
    aws_vpc(env, "unlogged", false);
    let lb = env.add(
        "edge",
        GenericResource::new("aws_lb")
            .set("load_balancer_type", "application")
            .set("drop_invalid_header_fields", true),
    );
    let forward = json!([{ "type": "forward",
                           "target_group_arn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/1" }]);
    env.add(
        "plain-http",
        GenericResource::new("aws_lb_listener")
            .input("load_balancer_arn", lb.attr::<String>("arn"))
            .set("port", 80)
            .set("protocol", "HTTP")
            .set("default_action", forward.clone()),
    );
    env.add(
        "old-tls",
        GenericResource::new("aws_lb_listener")
            .input("load_balancer_arn", lb.attr::<String>("arn"))
            .set("port", 443)
            .set("protocol", "HTTPS")
            .set("ssl_policy", "ELBSecurityPolicy-2016-08")
            .set("certificate_arn", "arn:aws:acm:eu-west-1:1:certificate/x")
            .set("default_action", forward),
    );
}

/// A policy granting every action on every resource.
fn aws_bad_iam(env: &mut Env) {
    env.add(
        "admin",
        GenericResource::new("aws_iam_policy").set(
            "policy",
            json!({ "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "*", "Resource": "*" }] })
            .to_string(),
        ),
    );
}

fn labels() -> serde_json::Value {
    json!({ "owner": "platform", "environment": "prod",
            "cost_centre": "cc-1" })
}

fn sql(settings: serde_json::Value) -> GenericResource {
    GenericResource::new("google_sql_database_instance")
        .set("database_version", "POSTGRES_16")
        .set("region", "europe-west1")
        .set("deletion_protection", true)
        .set("settings", settings)
}

/// Everything the GCP rules ask for, in a production environment.
fn gcp_good(env: &mut Env) {
    env.add(
        "gcs-logs",
        GenericResource::new("google_storage_bucket")
            .set("name", "corpus-gcs-logs")
            .set("location", "EU")
            .set("uniform_bucket_level_access", true)
            .set("public_access_prevention", "enforced")
            .set("logging", json!([{ "log_bucket": "corpus-gcs-logs" }]))
            .set("labels", labels()),
    );
    env.add(
        "assets",
        GenericResource::new("google_storage_bucket")
            .set("name", "corpus-assets")
            .set("location", "EU")
            .set("uniform_bucket_level_access", true)
            .set("public_access_prevention", "enforced")
            .set("logging", json!([{ "log_bucket": "corpus-gcs-logs" }]))
            .set("labels", labels()),
    );
    env.add(
        "orders-sql",
        sql(json!([{
            "tier": "db-custom-2-7680",
            "availability_type": "REGIONAL",
            "backup_configuration": [{ "enabled": true }],
            "ip_configuration": [{
                "ipv4_enabled": false,
                "private_network": "projects/p/global/networks/n",
                "ssl_mode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
            }],
            "user_labels": labels(),
        }])),
    );
    env.add(
        "iap-ssh",
        GenericResource::new("google_compute_firewall")
            .set("network", "default")
            .set("direction", "INGRESS")
            .set("allow", json!([{ "protocol": "tcp", "ports": ["22"] }]))
            .set("source_ranges", json!(["35.235.240.0/20"])),
    );
    env.add(
        "app-subnet",
        GenericResource::new("google_compute_subnetwork")
            .set("network", "default")
            .set("region", "europe-west1")
            .set("ip_cidr_range", "10.10.0.0/24")
            .set("private_ip_google_access", true)
            .set(
                "log_config",
                json!([{ "aggregation_interval": "INTERVAL_5_SEC",
                         "flow_sampling": 0.5,
                         "metadata": "INCLUDE_ALL_METADATA" }]),
            ),
    );
    env.add(
        "modern",
        GenericResource::new("google_compute_ssl_policy")
            .set("profile", "MODERN")
            .set("min_tls_version", "TLS_1_2"),
    );
}

/// A bucket without uniform access, public access prevention or logs; a
/// zonal production database open to the world without TLS or backups;
/// SSH and RDP open to the world; a subnet without flow logs; a TLS 1.0
/// SSL policy.
fn gcp_bad(env: &mut Env) {
    env.add(
        "loose",
        GenericResource::new("google_storage_bucket")
            .set("name", "corpus-loose")
            .set("location", "EU")
            .set("uniform_bucket_level_access", false)
            .set("public_access_prevention", "inherited")
            .set("labels", labels()),
    );
    env.add(
        "open",
        sql(json!([{
            "tier": "db-custom-2-7680",
            "availability_type": "ZONAL",
            "backup_configuration": [{ "enabled": false }],
            "ip_configuration": [{
                "ipv4_enabled": true,
                "ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
                "authorized_networks": [{
                    "name": "anyone", "value": "0.0.0.0/0" }],
            }],
            "user_labels": labels(),
        }])),
    );
    env.add(
        "world-ssh",
        GenericResource::new("google_compute_firewall")
            .set("network", "default")
            .set("direction", "INGRESS")
            .set("allow", json!([{ "protocol": "tcp", "ports": ["22"] }]))
            .set("source_ranges", json!(["0.0.0.0/0"])),
    );
    env.add(
        "world-rdp",
        GenericResource::new("google_compute_firewall")
            .set("network", "default")
            .set("direction", "INGRESS")
            .set(
                "allow",
                json!([{ "protocol": "tcp", "ports": ["3000-4000"] }]),
            )
            .set("source_ranges", json!(["0.0.0.0/0"])),
    );
    env.add(
        "unlogged",
        GenericResource::new("google_compute_subnetwork")
            .set("network", "default")
            .set("region", "europe-west1")
            .set("ip_cidr_range", "10.20.0.0/24")
            .set("private_ip_google_access", true),
    );
    env.add(
        "legacy",
        GenericResource::new("google_compute_ssl_policy")
            .set("profile", "COMPATIBLE")
            .set("min_tls_version", "TLS_1_0"),
    );
}

/// A production database that requires TLS (`ENCRYPTED_ONLY`) but not
/// client certificates.
fn gcp_sql_encrypted_only(env: &mut Env) {
    env.add(
        "tls",
        sql(json!([{
            "tier": "db-custom-2-7680",
            "availability_type": "REGIONAL",
            "backup_configuration": [{ "enabled": true }],
            "ip_configuration": [{
                "ipv4_enabled": false,
                "private_network": "projects/p/global/networks/n",
                "ssl_mode": "ENCRYPTED_ONLY",
            }],
            "user_labels": labels(),
        }])),
    );
}
