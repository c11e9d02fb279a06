//! Every typed AWS resource, declared once and checked against the
//! provider's schema.

use std::collections::BTreeSet;

use onioncloud_core::{Env, SecretRef, concat, terraform};
use serde_json::Value as Json;

use super::*;
use crate::schema::{ProviderSchema, check_module};

/// One of every typed resource, wired together through their outputs.
pub(super) fn every_type() -> Env {
    let mut env = Env::new("test");
    env.provider(Provider::region("eu-west-1"));
    let tags = [("team", "platform")];

    // Network.
    let vpc = env.add(
        "main",
        Vpc::new("10.0.0.0/16")
            .enable_dns_hostnames(true)
            .enable_dns_support(true)
            .tags(tags),
    );
    let public_a = env.add(
        "public_a",
        Subnet::new(vpc.id(), "10.0.1.0/24")
            .availability_zone("eu-west-1a")
            .map_public_ip_on_launch(false),
    );
    let public_b = env.add(
        "public_b",
        Subnet::new(vpc.id(), "10.0.2.0/24").availability_zone("eu-west-1b"),
    );
    let igw =
        env.add("main", InternetGateway::new().vpc_id(vpc.id()).tags(tags));
    let routes = env.add("public", RouteTable::new(vpc.id()).tags(tags));
    env.add(
        "default",
        Route::new(routes.id())
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(igw.id()),
    );
    env.add(
        "public_a",
        RouteTableAssociation::new(routes.id()).subnet_id(public_a.id()),
    );
    let lb_sg = env.add(
        "lb",
        SecurityGroup::new(vpc.id())
            .name("lb")
            .description("The load balancer")
            .ingress(
                SecurityGroupRule::new(443, 443, "tcp")
                    .cidr_blocks(["0.0.0.0/0"])
                    .description("HTTPS"),
            )
            .ingress(
                SecurityGroupRule::new(80, 80, "tcp")
                    .ipv6_cidr_blocks(["::/0"]),
            )
            .egress(SecurityGroupRule::new(0, 0, "-1").self_(true))
            .tags(tags),
    );
    let web_sg =
        env.add("web", SecurityGroup::new(vpc.id()).name_prefix("web-"));
    env.add(
        "web_from_lb",
        VpcSecurityGroupIngressRule::new(web_sg.id(), "tcp")
            .from_port(8080)
            .to_port(8080)
            .referenced_security_group_id(lb_sg.id())
            .description("From the load balancer"),
    );
    env.add(
        "web_out",
        VpcSecurityGroupEgressRule::new(web_sg.id(), "-1")
            .cidr_ipv4("0.0.0.0/0")
            .tags(tags),
    );

    // Monitoring.
    let flow_logs = env.add(
        "flow",
        CloudwatchLogGroup::new()
            .name("/vpc/main/flow")
            .retention_in_days(90)
            .kms_key_id("arn:aws:kms:eu-west-1:111122223333:key/logs")
            .tags(tags),
    );
    env.add(
        "main",
        FlowLog::new()
            .vpc_id(vpc.id())
            .traffic_type("ALL")
            .log_destination(flow_logs.arn())
            .iam_role_arn("arn:aws:iam::111122223333:role/flow-logs")
            .max_aggregation_interval(60),
    );

    // Storage.
    let logs = env.add(
        "logs",
        S3Bucket::new().bucket_prefix("logs-").force_destroy(false),
    );
    let assets = env.add(
        "assets",
        S3Bucket::new().bucket("onioncloud-test-assets").tags(tags),
    );
    env.add(
        "assets",
        S3BucketServerSideEncryptionConfiguration::kms(
            assets.bucket(),
            "alias/s3",
        ),
    );
    env.add(
        "logs",
        S3BucketServerSideEncryptionConfiguration::new(
            logs.id(),
            S3ServerSideEncryptionRule::new()
                .apply_server_side_encryption_by_default(
                    ApplyServerSideEncryptionByDefault::new("AES256"),
                ),
        ),
    );
    env.add("assets", S3BucketVersioning::enabled(assets.id()));
    env.add(
        "logs",
        S3BucketVersioning::new(
            logs.id(),
            VersioningConfiguration::new("Suspended"),
        ),
    );
    env.add("assets", S3BucketPublicAccessBlock::all(assets.id()));
    env.add(
        "logs",
        S3BucketPublicAccessBlock::new(logs.id()).block_public_acls(true),
    );
    env.add(
        "assets",
        S3BucketLogging::new(assets.id(), logs.id(), "s3/assets/"),
    );
    env.add(
        "logs",
        S3BucketLifecycleConfiguration::new(
            logs.id(),
            LifecycleRule::new("expire-logs", "Enabled")
                .filter(LifecycleFilter::new().prefix("alb/"))
                .transition(LifecycleTransition::new("STANDARD_IA").days(30))
                .expiration(
                    LifecycleExpiration::new()
                        .days(365)
                        .expired_object_delete_marker(false),
                )
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::new(30),
                )
                .abort_incomplete_multipart_upload(
                    AbortIncompleteMultipartUpload::new()
                        .days_after_initiation(7),
                ),
        )
        .rule(
            LifecycleRule::new("expire-delete-markers", "Enabled").expiration(
                LifecycleExpiration::new().expired_object_delete_marker(true),
            ),
        ),
    );

    // Compute.
    let web = env.add(
        "web",
        Instance::new("ami-0123456789abcdef0", "t3.small")
            .subnet_id(public_a.id())
            .vpc_security_group_ids(vec![web_sg.id()])
            .associate_public_ip_address(false)
            .key_name("ops")
            .user_data("#cloud-config\n")
            .user_data_replace_on_change(true)
            .iam_instance_profile("web")
            .monitoring(true)
            .tags(tags)
            .root_block_device(
                RootBlockDevice::new()
                    .encrypted(true)
                    .volume_size(20)
                    .volume_type("gp3"),
            )
            .ebs_block_device(
                EbsBlockDevice::new("/dev/sdf")
                    .encrypted(true)
                    .volume_size(50),
            )
            .metadata_options(
                MetadataOptions::new()
                    .http_tokens("required")
                    .http_endpoint("enabled"),
            ),
    );

    // Database.
    let subnets = env.add(
        "db",
        DbSubnetGroup::new(vec![public_a.id(), public_b.id()])
            .name("db")
            .tags(tags),
    );
    let db = env.add(
        "orders",
        DbInstance::new("postgres", "db.t4g.micro")
            .identifier("orders")
            .engine_version("16")
            .allocated_storage(20)
            .max_allocated_storage(100)
            .storage_encrypted(true)
            .db_name("orders")
            .username("orders")
            .password(SecretRef::aws("prod/orders-db"))
            .db_subnet_group_name(subnets.name())
            .vpc_security_group_ids(vec![web_sg.id()])
            .publicly_accessible(false)
            .multi_az(true)
            .backup_retention_period(7)
            .skip_final_snapshot(false)
            .final_snapshot_identifier("orders-final")
            .deletion_protection(true)
            .enabled_cloudwatch_logs_exports(["postgresql"])
            .tags(tags),
    );
    env.add(
        "managed",
        DbInstance::new("mysql", "db.t4g.micro")
            .allocated_storage(20)
            .username("admin")
            .manage_master_user_password(true)
            .db_subnet_group_name(subnets.id())
            .skip_final_snapshot(true),
    );

    // Secrets.
    env.add(
        "orders_db",
        SecretsmanagerSecret::new()
            .name("prod/orders-db")
            .description("The orders database's master password")
            .kms_key_id("alias/secrets")
            .recovery_window_in_days(30)
            .tags(tags),
    );

    // Load balancing.
    let lb = env.add(
        "front",
        Lb::new()
            .name("front")
            .load_balancer_type("application")
            .internal(false)
            .subnets(vec![public_a.id(), public_b.id()])
            .security_groups(vec![lb_sg.id()])
            .drop_invalid_header_fields(true)
            .access_logs(
                LbAccessLogs::new(logs.bucket()).enabled(true).prefix("lb"),
            )
            .tags(tags),
    );
    let tg = env.add(
        "web",
        LbTargetGroup::new()
            .name("web")
            .port(8080)
            .protocol("HTTP")
            .vpc_id(vpc.id())
            .deregistration_delay("30")
            .health_check(
                LbTargetGroupHealthCheck::new()
                    .path("/healthz")
                    .matcher("200")
                    .interval(15)
                    .port("traffic-port"),
            )
            .stickiness(
                LbTargetGroupStickiness::new("lb_cookie").enabled(false),
            ),
    );
    env.add(
        "web",
        LbTargetGroupAttachment::new(tg.arn(), web.id()).port(8080),
    );
    env.add(
        "https",
        LbListener::new(lb.arn(), LbListenerAction::forward_to(tg.arn()))
            .port(443)
            .protocol("HTTPS")
            .certificate_arn(
                "arn:aws:acm:eu-west-1:111122223333:certificate/front",
            )
            .ssl_policy("ELBSecurityPolicy-TLS13-1-2-2021-06"),
    );
    env.add(
        "http",
        LbListener::new(lb.arn(), LbListenerAction::redirect_to_https())
            .port(80)
            .protocol("HTTP"),
    );
    env.add(
        "weighted",
        LbListener::new(
            lb.arn(),
            LbListenerAction::new("forward").forward(
                LbListenerForward::new(
                    LbListenerForwardTargetGroup::new(tg.arn()).weight(90),
                )
                .target_group(
                    LbListenerForwardTargetGroup::new(tg.arn()).weight(10),
                )
                .stickiness(LbListenerForwardStickiness::new(60).enabled(true)),
            ),
        )
        .port(8443)
        .protocol("HTTPS")
        .certificate_arn("arn:aws:acm:eu-west-1:111122223333:certificate/x")
        .default_action(LbListenerAction::new("fixed-response").order(99)),
    );
    env.add(
        "maintenance",
        LbListener::new(
            lb.arn(),
            LbListenerAction::new("fixed-response").fixed_response(
                LbListenerFixedResponse::new("text/plain")
                    .message_body("down for maintenance")
                    .status_code("503"),
            ),
        )
        .port(8080)
        .protocol("HTTP"),
    );

    // Alarms.
    env.add(
        "web_cpu",
        CloudwatchMetricAlarm::new("web-cpu", "GreaterThanThreshold", 3)
            .namespace("AWS/EC2")
            .metric_name("CPUUtilization")
            .dimensions([("InstanceId", web.id())])
            .statistic("Average")
            .period(300)
            .threshold(80.5)
            .treat_missing_data("breaching")
            .alarm_actions(["arn:aws:sns:eu-west-1:111122223333:ops"])
            .tags(tags),
    );

    let url: [Input<String>; 2] = ["https://".into(), lb.dns_name().into()];
    env.output::<String>("url", concat(url));
    env.output::<String>("db", db.endpoint());
    env.output::<i64>("db_port", db.port());
    env.output::<String>("bucket", assets.bucket_regional_domain_name());
    env.output::<String>("web_ip", web.private_ip());
    env.output::<String>("lb_zone", lb.zone_id());
    env
}

/// Every Terraform type the AWS module declares.
const TYPES: &[&str] = &[
    Vpc::TYPE,
    Subnet::TYPE,
    InternetGateway::TYPE,
    RouteTable::TYPE,
    Route::TYPE,
    RouteTableAssociation::TYPE,
    SecurityGroup::TYPE,
    VpcSecurityGroupIngressRule::TYPE,
    VpcSecurityGroupEgressRule::TYPE,
    FlowLog::TYPE,
    Instance::TYPE,
    S3Bucket::TYPE,
    S3BucketServerSideEncryptionConfiguration::TYPE,
    S3BucketVersioning::TYPE,
    S3BucketPublicAccessBlock::TYPE,
    S3BucketLogging::TYPE,
    S3BucketLifecycleConfiguration::TYPE,
    DbInstance::TYPE,
    DbSubnetGroup::TYPE,
    Lb::TYPE,
    LbTargetGroup::TYPE,
    LbTargetGroupAttachment::TYPE,
    LbListener::TYPE,
    SecretsmanagerSecret::TYPE,
    CloudwatchLogGroup::TYPE,
    CloudwatchMetricAlarm::TYPE,
];

/// The synthesized `aws/main.tf.json` of [`every_type`].
fn synthesized() -> Json {
    let compiled = every_type().compile().expect("the environment compiles");
    let files = terraform::synth(&compiled).expect("it synthesizes");
    serde_json::from_str(&files["aws/main.tf.json"]).expect("valid JSON")
}

/// Every problem the published AWS schema finds in a module.
fn schema_problems(module: &Json, schema: &ProviderSchema) -> Vec<String> {
    check_module(module, schema)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn every_type_is_declared() {
    let json = synthesized();
    let resources = json["resource"].as_object().expect("resources");
    let declared: BTreeSet<&str> =
        resources.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = TYPES.iter().copied().collect();
    assert_eq!(declared, expected);
}

#[test]
fn every_type_matches_the_provider_schema() {
    let json = synthesized();
    assert!(json["resource"].is_object(), "resources");
    let errors = schema_problems(&json, ProviderSchema::aws());
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn inline_security_group_rules_set_every_field() {
    let json = synthesized();
    let rule = &json["resource"]["aws_security_group"]["lb"]["egress"][0];
    assert_eq!(
        rule,
        &serde_json::json!({
            "cidr_blocks": [],
            "description": "",
            "from_port": 0,
            "ipv6_cidr_blocks": [],
            "prefix_list_ids": [],
            "protocol": "-1",
            "security_groups": [],
            "self": true,
            "to_port": 0,
        })
    );
}

#[test]
fn required_blocks_are_one_element_lists() {
    let json = synthesized();
    let resources = &json["resource"];
    assert_eq!(
        resources["aws_s3_bucket_versioning"]["assets"]["versioning_configuration"],
        serde_json::json!([{ "status": "Enabled" }])
    );
    let weighted = &resources["aws_lb_listener"]["weighted"];
    assert_eq!(weighted["default_action"].as_array().unwrap().len(), 2);
    assert_eq!(
        weighted["default_action"][0]["forward"][0]["target_group"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn the_database_password_is_read_from_secrets_manager() {
    let json = synthesized();
    let password = &json["resource"]["aws_db_instance"]["orders"]["password"];
    let expression = password.as_str().expect("a string");
    assert!(
        expression.starts_with("${data.aws_secretsmanager_secret_version."),
        "{expression}"
    );
    assert!(json["data"]["aws_secretsmanager_secret_version"].is_object());
}

#[test]
fn the_schema_check_catches_mistakes() {
    let schema = serde_json::json!({
        "attributes": {
            "name": { "type": "string", "required": true },
            "arn": { "type": "string", "computed": true },
            "rules": {
                "type": ["set", ["object", { "a": "string", "b": "bool" }]],
                "optional": true,
            },
        },
        "blocks": {
            "part": {
                "nesting": "list",
                "min_items": 1,
                "max_items": 1,
                "attributes": {},
                "blocks": {},
            },
        },
    });
    let body = serde_json::json!({
        "arn": "x",
        "bogus": 1,
        "rules": [{ "a": "x" }],
    });
    let schema = ProviderSchema::from_value(serde_json::json!({
        "provider": "example/t",
        "resources": { "t": schema },
    }))
    .expect("a schema");
    let module = serde_json::json!({ "resource": { "t": { "n": body } } });
    let errors = schema_problems(&module, &schema);
    let expected = [
        "t.n.arn: output-only",
        "t.n.bogus: not in the schema",
        "t.n.rules[0]: object field `b` missing (an object attribute \
         needs every field)",
        "t.n: required `name` missing",
        "t.n: block `part` needs 1",
    ];
    assert_eq!(errors, expected);
}
