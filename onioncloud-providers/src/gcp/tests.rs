use std::collections::BTreeMap;

use onioncloud_core::{Env, SecretRef};
use serde_json::Value as Json;

use super::*;
use crate::schema::{ProviderSchema, check_module};

/// One of each type, wired together as a small web service would be.
fn declare(env: &mut Env) {
    env.provider(Provider::project_region("acme-prod", "europe-west1"));
    let labels = BTreeMap::from([("team", "shop")]);

    let vpc = env.add(
        "main",
        ComputeNetwork::new("main")
            .auto_create_subnetworks(false)
            .routing_mode("REGIONAL"),
    );
    let web = env.add(
        "web",
        ComputeSubnetwork::new("web", vpc.id())
            .ip_cidr_range("10.0.1.0/24")
            .region("europe-west1")
            .private_ip_google_access(true)
            .log_config(
                SubnetworkLogConfig::new()
                    .aggregation_interval("INTERVAL_5_SEC")
                    .flow_sampling(0.5)
                    .metadata("INCLUDE_ALL_METADATA"),
            )
            .secondary_ip_range(SubnetworkSecondaryRange::new(
                "pods",
                "10.4.0.0/14",
            )),
    );
    env.add(
        "https_in",
        ComputeFirewall::new("https-in", vpc.id())
            .direction("INGRESS")
            .source_ranges(["0.0.0.0/0"])
            .target_tags(["web"])
            .allow(FirewallRule::new("tcp").ports(["443"]))
            .log_config(FirewallLogConfig::new("INCLUDE_ALL_METADATA")),
    );
    env.add(
        "deny_ssh",
        ComputeFirewall::new("deny-ssh", vpc.id())
            .priority(100)
            .deny(FirewallRule::new("tcp").ports(["22"])),
    );

    let vm = env.add(
        "web_1",
        ComputeInstance::new(
            "web-1",
            "e2-small",
            BootDisk::new()
                .kms_key_self_link(
                    "projects/acme-prod/locations/europe-west1/keyRings/r/\
                     cryptoKeys/disks",
                )
                .initialize_params(
                    InitializeParams::new()
                        .image("debian-cloud/debian-12")
                        .size(20)
                        .r#type("pd-balanced"),
                ),
            NetworkInterface::new()
                .network(vpc.id())
                .subnetwork(web.id())
                .access_config(AccessConfig::new().network_tier("PREMIUM")),
        )
        .zone("europe-west1-b")
        .metadata([("enable-oslogin", "TRUE")])
        .labels(labels.clone())
        .tags(["web"])
        .shielded_instance_config(
            ShieldedInstanceConfig::new()
                .enable_secure_boot(true)
                .enable_vtpm(true)
                .enable_integrity_monitoring(true),
        )
        .service_account(ServiceAccount::new(["cloud-platform"])),
    );

    let logs = env.add(
        "logs",
        StorageBucket::new("acme-prod-logs", "EU")
            .uniform_bucket_level_access(true)
            .public_access_prevention("enforced"),
    );
    env.add(
        "assets",
        StorageBucket::new("acme-prod-assets", "EU")
            .uniform_bucket_level_access(true)
            .public_access_prevention("enforced")
            .force_destroy(false)
            .labels(labels.clone())
            .versioning(BucketVersioning::new(true))
            .encryption(BucketEncryption::new(
                "projects/acme-prod/locations/eu/keyRings/r/cryptoKeys/gcs",
            ))
            .logging(BucketLogging::new(logs.name()).log_object_prefix("a/"))
            .lifecycle_rule(LifecycleRule::new(
                LifecycleAction::new("Delete"),
                LifecycleCondition::new().age(365).with_state("ARCHIVED"),
            )),
    );

    env.add(
        "orders",
        SqlDatabaseInstance::new("POSTGRES_16")
            .name("orders")
            .region("europe-west1")
            .deletion_protection(true)
            .root_password(SecretRef::gcp("orders-db-root"))
            .settings(
                SqlSettings::new("db-custom-2-7680")
                    .availability_type("REGIONAL")
                    .user_labels(labels.clone())
                    .backup_configuration(
                        BackupConfiguration::new()
                            .enabled(true)
                            .point_in_time_recovery_enabled(true),
                    )
                    .ip_configuration(
                        IpConfiguration::new()
                            .ipv4_enabled(false)
                            .private_network(vpc.self_link())
                            .ssl_mode("ENCRYPTED_ONLY"),
                    )
                    .database_flags(DatabaseFlag::new("log_connections", "on"))
                    .maintenance_window(
                        MaintenanceWindow::new().day(7).hour(3),
                    ),
            ),
    );

    let check = env.add(
        "web",
        ComputeHealthCheck::new("web")
            .check_interval_sec(10)
            .http_health_check(
                HttpHealthCheck::new().port(80).request_path("/healthz"),
            )
            .log_config(HealthCheckLogConfig::new().enable(true)),
    );
    let group = env.add(
        "web",
        ComputeInstanceGroup::new("web")
            .zone("europe-west1-b")
            .instances(vec![vm.self_link()])
            .named_port(NamedPort::new("http", 80)),
    );
    let backend = env.add(
        "web",
        ComputeBackendService::new("web")
            .protocol("HTTP")
            .port_name("http")
            .load_balancing_scheme("EXTERNAL_MANAGED")
            .health_checks(vec![check.id()])
            .backend(
                Backend::new(group.self_link())
                    .balancing_mode("UTILIZATION")
                    .capacity_scaler(1.0),
            )
            .log_config(BackendLogConfig::new().enable(true).sample_rate(1.0)),
    );
    let map = env.add(
        "web",
        ComputeUrlMap::new("web")
            .default_service(backend.id())
            .host_rule(HostRule::new(["shop.example.com"], "shop"))
            .path_matcher(
                PathMatcher::new("shop")
                    .default_service(backend.id())
                    .path_rule(PathRule::new(["/api/*"]).service(backend.id())),
            ),
    );
    let cert = env.add(
        "web",
        ComputeManagedSslCertificate::new()
            .name("web")
            .managed(ManagedCertificate::new(["shop.example.com"])),
    );
    let proxy = env.add(
        "web",
        ComputeTargetHttpsProxy::new("web", map.id())
            .ssl_certificates(vec![cert.id()]),
    );
    let ip = env.add("web", ComputeGlobalAddress::new("web"));
    env.add(
        "web",
        ComputeGlobalForwardingRule::new("web", proxy.id())
            .ip_address(ip.address())
            .ip_protocol("TCP")
            .port_range("443")
            .load_balancing_scheme("EXTERNAL_MANAGED"),
    );

    env.add(
        "orders_db",
        SecretManagerSecret::new("orders-db-root", Replication::automatic())
            .labels(labels),
    );
    env.add(
        "cpu",
        MonitoringAlertPolicy::new(
            "High CPU",
            "OR",
            AlertCondition::new("CPU above 80%").condition_threshold(
                ConditionThreshold::new("COMPARISON_GT", "300s")
                    .filter(
                        "resource.type = \"gce_instance\" AND \
                         metric.type = \
                         \"compute.googleapis.com/instance/cpu/utilization\"",
                    )
                    .threshold_value(0.8)
                    .aggregations(
                        Aggregation::new()
                            .alignment_period("60s")
                            .per_series_aligner("ALIGN_MEAN"),
                    )
                    .trigger(Trigger::new().count(1)),
            ),
        )
        .documentation(
            AlertDocumentation::new()
                .content("CPU is high")
                .mime_type("text/markdown"),
        ),
    );

    env.output::<String>("ip", ip.address());
    env.output::<String>("vm_ip", vm.network_ip());
}

fn synthesized() -> Json {
    let mut env = Env::new("gcp-test");
    declare(&mut env);
    let compiled = env.compile().expect("the environment compiles");
    let files = onioncloud_core::terraform::synth(&compiled).expect("synth");
    let text = files.get("google/main.tf.json").expect("a google module");
    serde_json::from_str(text).expect("valid JSON")
}

#[test]
fn every_type_synthesizes_to_schema_valid_json() {
    let json = synthesized();
    let resources = json["resource"].as_object().expect("resources");
    let expected = [
        ComputeNetwork::TYPE,
        ComputeSubnetwork::TYPE,
        ComputeFirewall::TYPE,
        ComputeInstance::TYPE,
        StorageBucket::TYPE,
        SqlDatabaseInstance::TYPE,
        ComputeHealthCheck::TYPE,
        ComputeInstanceGroup::TYPE,
        ComputeBackendService::TYPE,
        ComputeUrlMap::TYPE,
        ComputeManagedSslCertificate::TYPE,
        ComputeTargetHttpsProxy::TYPE,
        ComputeGlobalAddress::TYPE,
        ComputeGlobalForwardingRule::TYPE,
        SecretManagerSecret::TYPE,
        MonitoringAlertPolicy::TYPE,
    ];
    let declared: Vec<&str> = resources.keys().map(String::as_str).collect();
    let mut sorted = expected.to_vec();
    sorted.sort();
    assert_eq!(declared, sorted);

    let problems: Vec<String> = check_module(&json, ProviderSchema::google())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn provider_and_shapes() {
    let json = synthesized();
    assert_eq!(
        json["terraform"]["required_providers"]["google"],
        serde_json::json!({
            "source": "hashicorp/google",
            "version": "~> 6.50",
        })
    );
    assert_eq!(
        json["provider"]["google"],
        serde_json::json!([{
            "project": "acme-prod",
            "region": "europe-west1",
        }])
    );
    let vm = &json["resource"]["google_compute_instance"]["web_1"];
    // Required blocks passed to the constructor are one-element arrays.
    assert_eq!(vm["boot_disk"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        vm["boot_disk"][0]["initialize_params"][0]["image"],
        "debian-cloud/debian-12"
    );
    assert_eq!(
        vm["network_interface"][0]["subnetwork"],
        "${google_compute_subnetwork.web.id}"
    );
    assert!(vm["network_interface"][0]["access_config"][0].is_object());

    // The root password is read from Secret Manager, never inlined.
    let sql = &json["resource"]["google_sql_database_instance"]["orders"];
    assert_eq!(
        sql["root_password"],
        "${data.google_secret_manager_secret_version.orders-db-root\
         .secret_data}"
    );
    assert_eq!(
        json["output"]["vm_ip"]["value"],
        "${google_compute_instance.web_1.network_interface[0].network_ip}"
    );
    let secret = &json["resource"]["google_secret_manager_secret"]["orders_db"];
    assert_eq!(secret["replication"], serde_json::json!([{ "auto": [{}] }]));
}

#[test]
fn further_network_interfaces_append() {
    let vm = ComputeInstance::new(
        "two-nics",
        "e2-small",
        BootDisk::new(),
        NetworkInterface::new().subnetwork("a"),
    )
    .network_interface(NetworkInterface::new().subnetwork("b"));
    let mut env = Env::new("nics");
    env.add("vm", vm);
    let compiled = env.compile().expect("compiles");
    let files = onioncloud_core::terraform::synth(&compiled).unwrap();
    let json: Json =
        serde_json::from_str(&files["google/main.tf.json"]).unwrap();
    let nics =
        &json["resource"]["google_compute_instance"]["vm"]["network_interface"];
    assert_eq!(nics[0]["subnetwork"], "a");
    assert_eq!(nics[1]["subnetwork"], "b");
}
