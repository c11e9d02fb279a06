//! The seed's architecture as one environment: an AWS web tier in
//! eu-west-1, a disaster-recovery copy on Google Cloud, and a private
//! cloud of Proxmox VE, Ceph and OpenStack, with Salt roles for the
//! machines.
//!
//! The cross-cloud components ([`Compute`], [`ObjectStore`], [`Database`],
//! [`LoadBalancer`]) declare what they can with secure defaults; typed
//! resources declare the rest (networks, security groups, monitoring,
//! secrets' metadata).

use std::collections::BTreeMap;

use onioncloud::core::Value;
use onioncloud::prelude::*;
use onioncloud::providers::private::{ceph, openstack, proxmox};
use onioncloud::providers::{aws, gcp};
use onioncloud::salt::{
    CmdRun, FileDirectory, FileManaged, Machine, PkgInstalled, Role,
    ServiceRunning, UserPresent,
};

/// Debian 12 images, published by Debian's AWS account.
const DEBIAN_OWNER: &str = "136693071363";

/// The Elastic Load Balancing account of eu-west-1, which writes the
/// load balancer's access logs.
const ELB_ACCOUNT_EU_WEST_1: &str = "156460612806";

/// The Proxmox template (VM id) the private machines are cloned from: a
/// Debian 12 cloud image with cloud-init and the QEMU guest agent.
const PVE_TEMPLATE: i64 = 9000;

/// Who owns the environment, which cost centre pays for it, and which
/// environment (`prod`, `dr`) a cloud's resources belong to: the default
/// tags and labels of every cloud configuration, which the tag policy
/// counts.
fn ownership(environment: &'static str) -> [(&'static str, &'static str); 3] {
    [
        ("owner", "platform-team"),
        ("cost_centre", "cc-4711"),
        ("environment", environment),
    ]
}

/// [`ownership`] as Google labels.
fn ownership_labels(environment: &'static str) -> Value {
    Value::Map(
        ownership(environment)
            .iter()
            .map(|(key, value)| ((*key).to_owned(), Value::string(*value)))
            .collect(),
    )
}

const PRIVATE_DB_IP: &str = "10.30.0.10";

/// The Salt roles of the environment's machines.
pub struct Roles {
    /// Every machine: the Prometheus node exporter.
    pub base: Role,
    /// Web servers: nginx on port 8080 in front of the orders service.
    pub web: Role,
    /// The private cloud's PostgreSQL server.
    pub database: Role,
    /// The Prometheus server scraping the other machines.
    pub monitoring: Role,
}

/// The Salt roles. They use only states whose `test=True` run succeeds on
/// a fresh Debian machine: packages, files, services, users, and commands
/// guarded by `onchanges`.
pub fn roles() -> Roles {
    let mut base = Role::new("base");
    let exporter = base.add(PkgInstalled::new("prometheus-node-exporter"));
    base.add(
        ServiceRunning::new("prometheus-node-exporter")
            .id("node-exporter-service")
            .enable(true)
            .require(&exporter),
    );

    let mut web = Role::new("web");
    let nginx = web.add(PkgInstalled::new("nginx"));
    let user = web.add(
        UserPresent::new("orders")
            .system(true)
            .home("/srv/orders")
            .shell("/usr/sbin/nologin")
            .createhome(false),
    );
    web.add(
        FileDirectory::new("/srv/orders")
            .user("orders")
            .group("orders")
            .mode(0o750)
            .require(&user),
    );
    let site = web.add(
        FileManaged::new("/etc/nginx/conf.d/orders.conf")
            .contents(
                "server {\n    listen 8080;\n    server_tokens off;\n\n    \
                 location = /healthz {\n        return 200 \"ok\\n\";\n    \
                 }\n\n    location / {\n        \
                 proxy_pass http://127.0.0.1:9000;\n        \
                 proxy_set_header Host $host;\n        \
                 proxy_set_header X-Forwarded-For \
                 $proxy_add_x_forwarded_for;\n    }\n}\n",
            )
            .mode(0o644)
            .makedirs(true)
            .require(&nginx),
    );
    let check = web.add(
        CmdRun::new("nginx -t")
            .id("nginx-config-test")
            .onchanges(&site),
    );
    web.add(
        ServiceRunning::new("nginx")
            .id("nginx-service")
            .enable(true)
            .require(&check)
            .watch(&site),
    );

    let mut database = Role::new("database");
    let postgres = database.add(PkgInstalled::new("postgresql"));
    let config = database.add(
        FileManaged::new("/etc/postgresql/15/main/conf.d/onioncloud.conf")
            .contents(
                "listen_addresses = '*'\nssl = on\n\
                 password_encryption = scram-sha-256\n\
                 log_connections = on\nlog_disconnections = on\n",
            )
            .mode(0o644)
            .makedirs(true)
            .require(&postgres),
    );
    database.add(
        FileDirectory::new("/var/backups/orders")
            .user("root")
            .group("root")
            .mode(0o700)
            .makedirs(true),
    );
    database.add(
        ServiceRunning::new("postgresql")
            .id("postgresql-service")
            .enable(true)
            .watch(&config),
    );

    let mut monitoring = Role::new("monitoring");
    let prometheus = monitoring.add(PkgInstalled::new("prometheus"));
    let targets = monitoring.add(
        FileDirectory::new("/etc/prometheus/targets")
            .mode(0o755)
            .makedirs(true),
    );
    let scrape = monitoring.add(
        FileManaged::new("/etc/prometheus/prometheus.yml")
            .contents(
                "global:\n  scrape_interval: 30s\n\
                 scrape_configs:\n  - job_name: node\n    \
                 file_sd_configs:\n      - files:\n          \
                 - /etc/prometheus/targets/*.json\n",
            )
            .mode(0o644)
            .makedirs(true)
            .require(&prometheus)
            .require(&targets),
    );
    monitoring.add(
        ServiceRunning::new("prometheus")
            .id("prometheus-service")
            .enable(true)
            .watch(&scrape),
    );

    Roles {
        base,
        web,
        database,
        monitoring,
    }
}

/// Declares the whole environment.
///
/// # Errors
///
/// Never fails today; the signature leaves room for declarations that
/// read files or the environment.
pub fn build(env: &mut Env) -> anyhow::Result<()> {
    let roles = roles();
    aws_web_tier(env, &roles);
    gcp_disaster_recovery(env, &roles);
    private_cloud(env, &roles);
    Ok(())
}

/// The tags every AWS resource carries.
fn aws_tags() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([("app", "orders"), ("environment", "prod")])
}

/// A bucket policy that lets the load balancer's access logs, S3's
/// server access logs and the VPC's flow logs into the log bucket `arn`.
fn log_delivery_policy(arn: Output<String>) -> Output<String> {
    concat([
        Input::from(format!(
            "{{\"Version\":\"2012-10-17\",\"Statement\":[\
             {{\"Sid\":\"AlbAccessLogs\",\"Effect\":\"Allow\",\
             \"Principal\":{{\"AWS\":\
             \"arn:aws:iam::{ELB_ACCOUNT_EU_WEST_1}:root\"}},\
             \"Action\":\"s3:PutObject\",\"Resource\":\""
        )),
        Input::from(&arn),
        Input::from(
            "/alb/AWSLogs/*\"},\
             {\"Sid\":\"S3AccessLogs\",\"Effect\":\"Allow\",\
             \"Principal\":{\"Service\":\"logging.s3.amazonaws.com\"},\
             \"Action\":\"s3:PutObject\",\"Resource\":\"",
        ),
        Input::from(&arn),
        Input::from(
            "/s3/*\"},\
             {\"Sid\":\"FlowLogsWrite\",\"Effect\":\"Allow\",\
             \"Principal\":{\"Service\":\"delivery.logs.amazonaws.com\"},\
             \"Action\":\"s3:PutObject\",\"Resource\":\"",
        ),
        Input::from(&arn),
        Input::from(
            "/vpc/AWSLogs/*\",\"Condition\":{\"StringEquals\":\
             {\"s3:x-amz-acl\":\"bucket-owner-full-control\"}}},\
             {\"Sid\":\"FlowLogsAclCheck\",\"Effect\":\"Allow\",\
             \"Principal\":{\"Service\":\"delivery.logs.amazonaws.com\"},\
             \"Action\":\"s3:GetBucketAcl\",\"Resource\":\"",
        ),
        Input::from(&arn),
        Input::from("\"}]}"),
    ])
}

/// The AWS web tier in eu-west-1: a VPC with public subnets for the load
/// balancer and private ones for the web servers and the database.
fn aws_web_tier(env: &mut Env, roles: &Roles) {
    // Who owns and pays for everything this configuration manages.
    env.provider(
        aws::Provider::region("eu-west-1")
            .setting("default_tags", aws::default_tags(ownership("prod"))),
    );
    let tags = aws_tags();
    let certificate_arn = env.variable(
        "certificate_arn",
        Variable::<String>::new()
            .description("The ACM certificate of the shop's HTTPS listener."),
    );

    // Network.
    let vpc = env.add(
        "prod",
        aws::Vpc::new("10.0.0.0/16")
            .enable_dns_support(true)
            .enable_dns_hostnames(true)
            .tags(tags.clone()),
    );
    let subnet = |env: &mut Env, name: &str, cidr: &str, zone: &str| {
        env.add(
            name,
            aws::Subnet::new(vpc.id(), cidr)
                .availability_zone(zone)
                .map_public_ip_on_launch(false)
                .tags(tags.clone()),
        )
    };
    // The VPC's default security group, which Terraform strips of its
    // allow-all rules: nothing declared may fall back on it.
    env.add(
        "prod",
        GenericResource::new("aws_default_security_group")
            .input::<String>("vpc_id", vpc.id())
            .set("tags", serde_json::json!(tags)),
    );
    let public_a = subnet(env, "public-a", "10.0.0.0/24", "eu-west-1a");
    let public_b = subnet(env, "public-b", "10.0.1.0/24", "eu-west-1b");
    let web_a = subnet(env, "web-a", "10.0.10.0/24", "eu-west-1a");
    let web_b = subnet(env, "web-b", "10.0.11.0/24", "eu-west-1b");
    let db_a = subnet(env, "db-a", "10.0.20.0/24", "eu-west-1a");
    let db_b = subnet(env, "db-b", "10.0.21.0/24", "eu-west-1b");

    let gateway = env.add(
        "prod",
        aws::InternetGateway::new()
            .vpc_id(vpc.id())
            .tags(tags.clone()),
    );
    let public =
        env.add("public", aws::RouteTable::new(vpc.id()).tags(tags.clone()));
    env.add(
        "public-default",
        aws::Route::new(public.id())
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(gateway.id()),
    );
    for (name, subnet) in [("public-a", &public_a), ("public-b", &public_b)] {
        env.add(
            name,
            aws::RouteTableAssociation::new(public.id()).subnet_id(subnet.id()),
        );
    }

    // Security groups, their rules as separate resources so that groups
    // can refer to each other without a cycle.
    let group = |env: &mut Env, name: &str, description: &str| {
        env.add(
            name,
            aws::SecurityGroup::new(vpc.id())
                .name(format!("prod-{name}"))
                .description(description)
                .tags(tags.clone()),
        )
    };
    let alb_sg = group(env, "alb", "The shop's load balancer");
    let web_sg = group(env, "web", "The shop's web servers");
    let db_sg = group(env, "db", "The orders database");
    for (name, port) in [("alb-https", 443), ("alb-http", 80)] {
        env.add(
            name,
            aws::VpcSecurityGroupIngressRule::new(alb_sg.id(), "tcp")
                .from_port(port)
                .to_port(port)
                .cidr_ipv4("0.0.0.0/0")
                .description("From the internet"),
        );
    }
    env.add(
        "alb-to-web",
        aws::VpcSecurityGroupEgressRule::new(alb_sg.id(), "tcp")
            .from_port(8080)
            .to_port(8080)
            .referenced_security_group_id(web_sg.id())
            .description("To the web servers"),
    );
    env.add(
        "web-from-alb",
        aws::VpcSecurityGroupIngressRule::new(web_sg.id(), "tcp")
            .from_port(8080)
            .to_port(8080)
            .referenced_security_group_id(alb_sg.id())
            .description("From the load balancer only"),
    );
    env.add(
        "web-to-db",
        aws::VpcSecurityGroupEgressRule::new(web_sg.id(), "tcp")
            .from_port(5432)
            .to_port(5432)
            .referenced_security_group_id(db_sg.id())
            .description("To the database"),
    );
    env.add(
        "web-https-out",
        aws::VpcSecurityGroupEgressRule::new(web_sg.id(), "tcp")
            .from_port(443)
            .to_port(443)
            .cidr_ipv4("0.0.0.0/0")
            .description("Package updates"),
    );
    env.add(
        "db-from-web",
        aws::VpcSecurityGroupIngressRule::new(db_sg.id(), "tcp")
            .from_port(5432)
            .to_port(5432)
            .referenced_security_group_id(web_sg.id())
            .description("From the web servers only"),
    );

    // Storage: a log bucket (SSE-S3, as load balancer logs need) and the
    // backups bucket, which logs its access into it.
    // Logs move to infrequent access after a month and go after a year.
    let logs = env.component(
        "logs",
        ObjectStore::s3("onioncloud-prod-logs")
            .sse_s3()
            .transition_after_days(30, "STANDARD_IA")
            .expire_after_days(365)
            .expire_noncurrent_after_days(30)
            .tag("app", "orders")
            .tag("environment", "prod"),
    );
    let log_policy = env.add(
        "logs",
        GenericResource::new("aws_s3_bucket_policy")
            .input::<String>("bucket", logs.bucket.id())
            .input::<String>("policy", log_delivery_policy(logs.arn())),
    );
    // The log bucket is where access logs go; logging its own access
    // into itself would log every log delivery, without end.
    env.suppress(
        "OC-AWS-S3-LOGGING",
        &logs,
        "the log bucket is the access logs' destination; logging its own \
         access into itself would loop",
    );
    // The VPC's traffic, accepted and rejected, into the log bucket.
    env.add_with(
        "prod",
        aws::FlowLog::new()
            .vpc_id(vpc.id())
            .traffic_type("ALL")
            .log_destination_type("s3")
            .log_destination(concat([
                Input::from(&logs.arn()),
                Input::from("/vpc/"),
            ]))
            .tags(tags.clone()),
        Meta::new().depends_on(&log_policy),
    );
    // Backups move to Glacier after a month; replaced or deleted ones are
    // kept 90 days more.
    let backups = env.component(
        "backups",
        ObjectStore::s3("onioncloud-prod-orders-backups")
            .access_logs(logs.name(), "s3/backups/")
            .transition_after_days(30, "GLACIER")
            .expire_noncurrent_after_days(90)
            .tag("app", "orders")
            .tag("environment", "prod"),
    );

    // Secrets: the metadata of the database password; its value is put in
    // Secrets Manager out of band, before the database is applied.
    env.add(
        "orders-db",
        aws::SecretsmanagerSecret::new()
            .name("prod/orders-db")
            .description("The master password of the orders database")
            .recovery_window_in_days(30)
            .tags(tags.clone()),
    );
    let db_password = SecretRef::aws("prod/orders-db");

    // Database. The production environment refuses to destroy it; other
    // environments built from this code (a trial run, a test copy) can be
    // torn down.
    let db_meta = if env.name() == "production" {
        Meta::new().prevent_destroy()
    } else {
        Meta::new()
    };
    // PostgreSQL logs schema changes and statements slower than a second,
    // and refuses connections without TLS.
    let db_parameters = env.add(
        "orders",
        GenericResource::new("aws_db_parameter_group")
            .set("name", "orders-postgres16")
            .set("family", "postgres16")
            .set("description", "The orders database: logging and TLS")
            .set(
                "parameter",
                serde_json::json!([
                    { "name": "log_statement", "value": "ddl" },
                    { "name": "log_min_duration_statement", "value": "1000" },
                    { "name": "rds.force_ssl", "value": "1" },
                ]),
            )
            .set("tags", serde_json::json!(tags)),
    );
    let db = env.component(
        "orders",
        Database::aws_postgres("16", vec![db_a.id(), db_b.id()])
            .parameter_group(db_parameters.attr::<String>("name"))
            .instance_class("db.t4g.small")
            .db_name("orders")
            .multi_az(true)
            .max_allocated_storage_gb(100)
            .security_groups(vec![db_sg.id()])
            .password(db_password.clone())
            .tag("app", "orders")
            .tag("environment", "prod")
            .meta(db_meta),
    );

    // Web servers.
    let debian = env.data(
        "debian-12",
        GenericResource::new("aws_ami")
            .set("most_recent", true)
            .set("owners", serde_json::json!([DEBIAN_OWNER]))
            .set(
                "filter",
                serde_json::json!([
                    { "name": "name", "values": ["debian-12-amd64-*"] },
                    { "name": "architecture", "values": ["x86_64"] },
                ]),
            ),
    );
    let servers: Vec<_> = [("web-a", &web_a), ("web-b", &web_b)]
        .into_iter()
        .map(|(name, subnet)| {
            let vm = env.component(
                name,
                Compute::aws(debian.id(), "t3.small")
                    .subnet(subnet.id())
                    .security_groups(vec![web_sg.id()])
                    .root_volume_gb(20)
                    .tag("app", "orders")
                    .tag("environment", "prod")
                    .tag("role", "web"),
            );
            env.configure(
                &vm,
                Machine::new()
                    .role(&roles.base)
                    .role(&roles.web)
                    .pillar("db_host", db.host())
                    .pillar("db_password", db_password.clone()),
            );
            vm
        })
        .collect();

    // The load balancer, after the log bucket lets it write.
    let alb = env.component(
        "shop",
        LoadBalancer::aws_https(
            vpc.id(),
            vec![public_a.id(), public_b.id()],
            &certificate_arn,
        )
        .security_groups(vec![alb_sg.id()])
        .targets(servers.iter().map(|vm| vm.id()))
        .target_port(8080)
        .health_check_path("/healthz")
        .access_logs(logs.name(), "alb")
        .depends_on(&log_policy)
        .tag("app", "orders")
        .tag("environment", "prod"),
    );

    // Monitoring.
    env.add(
        "web",
        aws::CloudwatchLogGroup::new()
            .name("/onioncloud/prod/web")
            .retention_in_days(90)
            .tags(tags.clone()),
    );
    for vm in &servers {
        let name = vm.instance.resource_address().name.to_string();
        env.add(
            format!("{name}-cpu"),
            aws::CloudwatchMetricAlarm::new(
                format!("prod-{name}-cpu-high"),
                "GreaterThanThreshold",
                3,
            )
            .namespace("AWS/EC2")
            .metric_name("CPUUtilization")
            .dimensions(BTreeMap::from([("InstanceId", vm.id())]))
            .statistic("Average")
            .period(300)
            .threshold(80.0)
            .treat_missing_data("breaching")
            .alarm_description("A web server's CPU is above 80%")
            .tags(tags.clone()),
        );
    }

    // A web application firewall in front of the load balancer: AWS's
    // rule sets for common attacks, known bad inputs (Log4Shell among
    // them) and anonymizing sources (Tor, proxies, hosting providers'
    // networks, where bots come from), its requests logged.
    let managed = |priority: i64, name: &str| {
        serde_json::json!({
            "name": name,
            "priority": priority,
            "override_action": [{ "none": [{}] }],
            "statement": [{
                "managed_rule_group_statement": [{
                    "name": name,
                    "vendor_name": "AWS",
                }],
            }],
            "visibility_config": [{
                "cloudwatch_metrics_enabled": true,
                "metric_name": name,
                "sampled_requests_enabled": true,
            }],
        })
    };
    let waf = env.add(
        "shop",
        GenericResource::new("aws_wafv2_web_acl")
            .set("name", "prod-shop")
            .set("description", "The shop's load balancer")
            .set("scope", "REGIONAL")
            .set("default_action", serde_json::json!([{ "allow": [{}] }]))
            .set(
                "rule",
                serde_json::json!([
                    managed(1, "AWSManagedRulesCommonRuleSet"),
                    managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
                    managed(3, "AWSManagedRulesAnonymousIpList"),
                ]),
            )
            .set(
                "visibility_config",
                serde_json::json!([{
                    "cloudwatch_metrics_enabled": true,
                    "metric_name": "prod-shop",
                    "sampled_requests_enabled": true,
                }]),
            )
            .set("tags", serde_json::json!(tags)),
    );
    let waf_arn = waf.attr::<String>("arn");
    env.add(
        "shop",
        GenericResource::new("aws_wafv2_web_acl_association")
            .input::<String>("resource_arn", alb.lb.arn())
            .input::<String>("web_acl_arn", waf_arn.clone()),
    );
    // WAF logs only to log groups named `aws-waf-logs-*`.
    let waf_logs = env.add(
        "waf",
        aws::CloudwatchLogGroup::new()
            .name("aws-waf-logs-prod-shop")
            .retention_in_days(90)
            .tags(tags.clone()),
    );
    env.add(
        "shop",
        GenericResource::new("aws_wafv2_web_acl_logging_configuration")
            .input::<String>("resource_arn", waf_arn)
            .input::<Vec<String>>(
                "log_destination_configs",
                vec![waf_logs.arn()],
            ),
    );

    env.output::<String>("alb_dns_name", alb.dns_name());
    env.output::<String>("db_endpoint", db.endpoint());
    env.output::<String>("backups_bucket", backups.name());
}

/// The disaster-recovery copy on Google Cloud, project `onioncloud-dr`.
fn gcp_disaster_recovery(env: &mut Env, roles: &Roles) {
    env.provider(
        gcp::Provider::project_region("onioncloud-dr", "europe-west1")
            .setting("default_labels", ownership_labels("dr")),
    );
    let labels = BTreeMap::from([("app", "orders"), ("environment", "dr")]);

    let network = env.add(
        "dr",
        gcp::ComputeNetwork::new("dr")
            .auto_create_subnetworks(false)
            .routing_mode("REGIONAL"),
    );
    let subnetwork = env.add(
        "dr-web",
        gcp::ComputeSubnetwork::new("dr-web", network.id())
            .ip_cidr_range("10.10.1.0/24")
            .region("europe-west1")
            .private_ip_google_access(true)
            .log_config(
                gcp::SubnetworkLogConfig::new()
                    .aggregation_interval("INTERVAL_5_SEC")
                    .flow_sampling(0.5)
                    .metadata("INCLUDE_ALL_METADATA"),
            ),
    );
    env.add(
        "dr-lb-to-web",
        gcp::ComputeFirewall::new("dr-lb-to-web", network.id())
            .direction("INGRESS")
            .source_ranges(["130.211.0.0/22", "35.191.0.0/16"])
            .target_tags(["web"])
            .allow(gcp::FirewallRule::new("tcp").ports(["8080"]))
            .log_config(gcp::FirewallLogConfig::new("INCLUDE_ALL_METADATA"))
            .description("Google's load balancers and health checks"),
    );
    env.add(
        "dr-iap-ssh",
        gcp::ComputeFirewall::new("dr-iap-ssh", network.id())
            .direction("INGRESS")
            .source_ranges(["35.235.240.0/20"])
            .allow(gcp::FirewallRule::new("tcp").ports(["22"]))
            .log_config(gcp::FirewallLogConfig::new("INCLUDE_ALL_METADATA"))
            .description("SSH through Identity-Aware Proxy only"),
    );

    // Private services access, for Cloud SQL's private address.
    let range = env.add(
        "dr-sql-range",
        gcp::ComputeGlobalAddress::new("dr-sql-range")
            .purpose("VPC_PEERING")
            .address_type("INTERNAL")
            .prefix_length(16)
            .network(network.id()),
    );
    let peering = env.add(
        "dr-sql",
        GenericResource::new("google_service_networking_connection")
            .input::<String>("network", network.id())
            .set("service", "servicenetworking.googleapis.com")
            .input::<Vec<String>>(
                "reserved_peering_ranges",
                vec![range.attr::<String>("name")],
            ),
    );

    env.add(
        "orders-db",
        gcp::SecretManagerSecret::new(
            "orders-db",
            gcp::Replication::automatic(),
        )
        .labels(labels.clone()),
    );
    let db_password = SecretRef::gcp("orders-db");
    let db = env.component(
        "dr-orders",
        Database::gcp_postgres("16", network.self_link())
            .region("europe-west1")
            .password(db_password.clone())
            .depends_on(&peering)
            .tag("app", "orders")
            .tag("environment", "dr"),
    );

    let logs = env.component(
        "dr-logs",
        ObjectStore::gcs("onioncloud-dr-logs", "EU")
            .tag("app", "orders")
            .tag("environment", "dr"),
    );
    env.suppress(
        "OC-GCP-GCS-LOGGING",
        &logs,
        "the log bucket is the usage logs' destination; logging its own \
         access into itself would loop",
    );
    env.component(
        "dr-backups",
        ObjectStore::gcs("onioncloud-dr-orders-backups", "EU")
            .access_logs(logs.name(), "dr-backups/")
            .tag("app", "orders")
            .tag("environment", "dr"),
    );

    let servers: Vec<_> = ["europe-west1-b", "europe-west1-c"]
        .into_iter()
        .map(|zone| {
            let name = format!("dr-web-{}", &zone[zone.len() - 1..]);
            let vm = env.component(
                &name,
                Compute::gcp(zone, "e2-small", "debian-cloud/debian-12")
                    .subnetwork(subnetwork.id())
                    .network_tags(["web"])
                    .disk_size_gb(20)
                    .tag("app", "orders")
                    .tag("environment", "dr"),
            );
            env.configure(
                &vm,
                Machine::new()
                    .role(&roles.base)
                    .role(&roles.web)
                    .pillar("db_host", db.host())
                    .pillar("db_password", db_password.clone()),
            );
            (zone, vm)
        })
        .collect();

    let lb = servers.iter().fold(
        LoadBalancer::gcp_https(vec!["dr.shop.example.com"])
            .target_port(8080)
            .health_check_path("/healthz")
            .tag("app", "orders")
            .tag("environment", "dr"),
        |lb, (zone, vm)| lb.instance_group(*zone, vec![vm.self_link()]),
    );
    let lb = env.component("dr-shop", lb);

    env.add(
        "dr-web-cpu",
        gcp::MonitoringAlertPolicy::new(
            "DR web servers: CPU above 80%",
            "OR",
            gcp::AlertCondition::new("CPU above 80% for 5 minutes")
                .condition_threshold(
                    gcp::ConditionThreshold::new("COMPARISON_GT", "300s")
                        .filter(
                            "resource.type = \"gce_instance\" AND \
                             metric.type = \"compute.googleapis.com/\
                             instance/cpu/utilization\"",
                        )
                        .threshold_value(0.8)
                        .aggregations(
                            gcp::Aggregation::new()
                                .alignment_period("60s")
                                .per_series_aligner("ALIGN_MEAN"),
                        )
                        .trigger(gcp::Trigger::new().count(1)),
                ),
        )
        .severity("WARNING")
        .user_labels(labels)
        .documentation(
            gcp::AlertDocumentation::new()
                .content("A DR web server's CPU is above 80%.")
                .mime_type("text/markdown"),
        ),
    );

    env.output::<String>("gcp_lb_ip", lb.ip_address());
    env.output::<String>("gcp_db_connection_name", db.connection_name());
}

/// The private cloud: Proxmox VE VMs for the database and monitoring, a
/// Ceph bucket through the RADOS Gateway, and an OpenStack web server.
fn private_cloud(env: &mut Env, roles: &Roles) {
    let db_password = SecretRef::vault("secret", "prod/orders-db", "password");
    let ssh_keys = vec!["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnion ops"];

    // Proxmox VE, its API token read from Vault.
    env.provider(proxmox::Provider::endpoint_with_api_token(
        "https://pve.dc1.example.internal:8006/",
        SecretRef::vault("secret", "proxmox/terraform", "api_token"),
    ));
    let db = env.component(
        "pg-1",
        Compute::proxmox("pve-a", PVE_TEMPLATE)
            .cores(4)
            .memory_mb(8192)
            .disk_gb(100)
            .datastore("local-lvm")
            .vlan(30)
            .static_ipv4(format!("{PRIVATE_DB_IP}/24"), "10.30.0.1")
            .user("ops")
            .ssh_keys(ssh_keys.clone()),
    );
    env.configure(
        &db,
        Machine::new()
            .role(&roles.base)
            .role(&roles.database)
            .pillar("db_password", db_password.clone()),
    );
    let monitor = env.component(
        "mon-1",
        Compute::proxmox("pve-b", PVE_TEMPLATE)
            .template_node("pve-a")
            .vlan(30)
            .static_ipv4("10.30.0.20/24", "10.30.0.1")
            .user("ops")
            .ssh_keys(ssh_keys.clone()),
    );
    env.configure(
        &monitor,
        Machine::new().role(&roles.base).role(&roles.monitoring),
    );

    // Ceph: the archive bucket, through the gateway's S3 API. The
    // gateway's keys come from the `ceph` profile of the shared
    // credentials file, not from the AWS keys.
    let rgw = env.provider(
        ceph::Provider::rgw("ceph", "https://rgw.dc1.example.internal")
            .setting("profile", "ceph")
            .setting("default_tags", aws::default_tags(ownership("prod"))),
    );
    // The archive logs its access into a log bucket of the same gateway
    // (RGW's bucket logging). Archived orders stay; replaced or deleted
    // versions go after 90 days, access logs after a year.
    // OnionCloud's S3 rules leave gateway buckets to the private pack, so
    // the log bucket needs no suppression of OC-AWS-S3-LOGGING.
    let archive_logs = env.component(
        "orders-archive-logs",
        ObjectStore::ceph(&rgw, "orders-archive-logs")
            .expire_after_days(365)
            .expire_noncurrent_after_days(30),
    );
    env.component(
        "orders-archive",
        ObjectStore::ceph(&rgw, "orders-archive")
            .access_logs(archive_logs.name(), "orders-archive/")
            .expire_noncurrent_after_days(90),
    );

    // OpenStack: a network for the application and one web server.
    env.provider(openstack::Provider::cloud("dc1"));
    let net = env.add(
        "app",
        openstack::NetworkingNetworkV2::new()
            .name("app")
            .admin_state_up(true)
            .port_security_enabled(true),
    );
    let subnet = env.add(
        "app",
        openstack::NetworkingSubnetV2::new(net.id())
            .name("app")
            .cidr("10.40.0.0/24")
            .ip_version(4)
            .dns_nameservers(["10.30.0.2"]),
    );
    let sg = env.add(
        "app-web",
        openstack::NetworkingSecgroupV2::new("app-web")
            .description("The private web servers"),
    );
    env.add(
        "app-web-8080",
        openstack::NetworkingSecgroupRuleV2::new("ingress", "IPv4", sg.id())
            .protocol("tcp")
            .port_range_min(8080)
            .port_range_max(8080)
            .remote_ip_prefix("10.0.0.0/8")
            .description("From the internal networks"),
    );
    let app = env.component(
        "app-1",
        Compute::openstack("debian-12", "m1.small", net.id())
            .security_groups(vec![sg.name()])
            .key_pair("ops")
            .depends_on(&subnet),
    );
    env.configure(
        &app,
        Machine::new()
            .role(&roles.base)
            .role(&roles.web)
            .pillar("db_host", PRIVATE_DB_IP)
            .pillar("db_password", db_password),
    );
}
