use std::collections::{BTreeMap, BTreeSet};

use onioncloud_core::{Component, Env, Meta, SecretRef, terraform};
use serde_json::{Value as Json, json};

use super::*;
use crate::private::{ceph, openstack, proxmox};
use crate::schema::{self, ProviderSchema};
use crate::{aws, gcp};

/// Every root module of the environment, parsed.
fn synth(env: Env) -> BTreeMap<String, Json> {
    let compiled = env.compile().expect("the environment compiles");
    terraform::synth(&compiled)
        .expect("synth")
        .into_iter()
        .map(|(path, text)| {
            let module = path.trim_end_matches("/main.tf.json").to_owned();
            (module, serde_json::from_str(&text).expect("valid JSON"))
        })
        .collect()
}

/// The environment with one component declared as `name` after the
/// providers it needs.
fn one<C: Component>(name: &str, component: C) -> BTreeMap<String, Json> {
    let mut env = Env::new("components");
    env.provider(aws::Provider::region("eu-west-1"));
    env.provider(gcp::Provider::project_region("acme", "europe-west1"));
    env.component(name, component);
    synth(env)
}

/// The paths at which two JSON values differ, such as
/// `resource.aws_instance.web.associate_public_ip_address`.
fn differences(a: &Json, b: &Json) -> BTreeSet<String> {
    fn walk(a: &Json, b: &Json, path: &str, out: &mut BTreeSet<String>) {
        match (a, b) {
            (Json::Object(x), Json::Object(y)) => {
                let keys: BTreeSet<_> = x.keys().chain(y.keys()).collect();
                for key in keys {
                    let here = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    match (x.get(key), y.get(key)) {
                        (Some(x), Some(y)) => walk(x, y, &here, out),
                        _ => {
                            out.insert(here);
                        }
                    }
                }
            }
            (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    walk(x, y, &format!("{path}[{i}]"), out);
                }
            }
            _ if a == b => {}
            _ => {
                out.insert(path.to_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(a, b, "", &mut out);
    out
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| (*p).to_owned()).collect()
}

// ------------------------------------------------------------ schemas --

/// Every problem the published schema of `provider` finds in a module;
/// fails the test, listing them, if there is any.
fn check_module(module: &Json, provider: &str) -> Vec<String> {
    assert!(module["resource"].is_object(), "resources");
    let schema =
        ProviderSchema::for_provider(provider).expect("a published schema");
    let problems: Vec<String> = schema::check_module(module, schema)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    problems
}

// ------------------------------------------------------------ compute --

fn ec2() -> Compute<Ec2> {
    Compute::aws("ami-0123456789abcdef0", "t3.small").subnet("subnet-1")
}

#[test]
fn ec2_is_private_encrypted_and_imdsv2_only() {
    let files = one("web", ec2());
    let vm = &files["aws"]["resource"]["aws_instance"]["web"];
    assert_eq!(vm["ami"], "ami-0123456789abcdef0");
    assert_eq!(vm["subnet_id"], "subnet-1");
    assert_eq!(vm["associate_public_ip_address"], false);
    assert_eq!(vm["root_block_device"][0]["encrypted"], true);
    assert_eq!(vm["metadata_options"][0]["http_tokens"], "required");
    assert_eq!(vm["monitoring"], true);
    assert!(check_module(&files["aws"], "aws").is_empty());
}

#[test]
fn ec2_public_ip_changes_only_that() {
    let base = one("web", ec2());
    let public = one("web", ec2().public_ip(true));
    assert_eq!(
        differences(&base["aws"], &public["aws"]),
        set(&["resource.aws_instance.web.associate_public_ip_address"])
    );
    let vm = &public["aws"]["resource"]["aws_instance"]["web"];
    assert_eq!(vm["associate_public_ip_address"], true);
}

fn gce() -> Compute<Gce> {
    Compute::gcp("europe-west1-b", "e2-small", "debian-cloud/debian-12")
        .subnetwork("projects/acme/regions/europe-west1/subnetworks/web")
}

#[test]
fn gce_is_private_and_shielded() {
    let files = one("Web_1", gce());
    let vm = &files["google"]["resource"]["google_compute_instance"]["Web_1"];
    assert_eq!(vm["name"], "web-1");
    let nic = &vm["network_interface"][0];
    assert!(nic.get("access_config").is_none());
    assert!(nic.get("network").is_none());
    assert_eq!(
        vm["shielded_instance_config"][0]["enable_secure_boot"],
        true
    );
    assert_eq!(vm["metadata"]["enable-oslogin"], "TRUE");
    assert_eq!(vm["metadata"]["block-project-ssh-keys"], "TRUE");
    assert!(vm.get("service_account").is_none());
    assert!(check_module(&files["google"], "google").is_empty());
}

#[test]
fn gce_public_ip_changes_only_that() {
    let base = one("web", gce());
    let public = one("web", gce().public_ip(true));
    assert_eq!(
        differences(&base["google"], &public["google"]),
        set(
            &["resource.google_compute_instance.web.network_interface[0]\
             .access_config"]
        )
    );
}

#[test]
fn gce_without_a_subnetwork_joins_the_default_network() {
    let files = one(
        "web",
        Compute::gcp("europe-west1-b", "e2-small", "debian-cloud/debian-12"),
    );
    let vm = &files["google"]["resource"]["google_compute_instance"]["web"];
    assert_eq!(vm["network_interface"][0]["network"], "default");
}

fn pve() -> Compute<ProxmoxVm> {
    Compute::proxmox("pve-a", 9000)
        .user("ops")
        .password(SecretRef::vault("secret", "pve/ops", "password"))
}

#[test]
fn proxmox_clones_with_the_firewall_on_and_a_secret_password() {
    let files = one("db-1", pve());
    let vm =
        &files["proxmox"]["resource"]["proxmox_virtual_environment_vm"]["db-1"];
    assert_eq!(vm["node_name"], "pve-a");
    assert_eq!(vm["name"], "db-1");
    assert_eq!(vm["clone"][0], json!({ "vm_id": 9000, "full": true }));
    assert_eq!(vm["network_device"][0]["firewall"], true);
    let user = &vm["initialization"][0]["user_account"][0];
    assert_eq!(user["username"], "ops");
    assert_eq!(
        user["password"],
        "${data.vault_kv_secret_v2.pve_ops_password.data[\"password\"]}"
    );
    let base = one("db-1", pve());
    let open = one("db-1", pve().firewall(false));
    assert_eq!(
        differences(&base["proxmox"], &open["proxmox"]),
        set(&[
            "resource.proxmox_virtual_environment_vm.db-1.network_device[0]\
             .firewall"
        ])
    );
}

#[test]
fn openstack_instances_join_the_given_network() {
    let mut env = Env::new("os");
    env.provider(openstack::Provider::cloud("dc1"));
    let net = env.add("app", openstack::NetworkingNetworkV2::new().name("app"));
    let vm = env.component(
        "app-1",
        Compute::openstack("debian-12", "m1.small", net.id())
            .security_groups(vec!["web"]),
    );
    env.output::<String>("ip", vm.private_ip());
    let files = synth(env);
    let body = &files["openstack"]["resource"]["openstack_compute_instance_v2"]
        ["app-1"];
    assert_eq!(body["name"], "app-1");
    assert_eq!(
        body["network"][0]["uuid"],
        "${openstack_networking_network_v2.app.id}"
    );
    assert_eq!(body["security_groups"], json!(["web"]));
}

// ------------------------------------------------------- object store --

#[test]
fn s3_buckets_are_encrypted_versioned_and_closed() {
    let files = one(
        "orders",
        ObjectStore::s3("acme-orders").access_logs("acme-logs", "s3/orders/"),
    );
    let r = &files["aws"]["resource"];
    assert_eq!(r["aws_s3_bucket"]["orders"]["force_destroy"], false);
    let sse = &r["aws_s3_bucket_server_side_encryption_configuration"]["orders-encryption"]
        ["rule"][0];
    assert_eq!(
        sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"],
        "aws:kms"
    );
    assert_eq!(sse["bucket_key_enabled"], true);
    let block = &r["aws_s3_bucket_public_access_block"]["orders-public-access"];
    for key in [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ] {
        assert_eq!(block[key], true, "{key}");
    }
    assert_eq!(
        r["aws_s3_bucket_versioning"]["orders-versioning"]["versioning_configuration"]
            [0]["status"],
        "Enabled"
    );
    let logging = &r["aws_s3_bucket_logging"]["orders-logging"];
    assert_eq!(logging["bucket"], "${aws_s3_bucket.orders.id}");
    assert_eq!(logging["target_bucket"], "acme-logs");
    assert!(check_module(&files["aws"], "aws").is_empty());
}

#[test]
fn s3_overrides_change_only_what_they_name() {
    let base = one("orders", ObjectStore::s3("acme-orders"));
    let unversioned =
        one("orders", ObjectStore::s3("acme-orders").versioning(false));
    assert_eq!(
        differences(&base["aws"], &unversioned["aws"]),
        set(&["resource.aws_s3_bucket_versioning"])
    );
    let aes = one("orders", ObjectStore::s3("acme-orders").sse_s3());
    assert_eq!(
        differences(&base["aws"], &aes["aws"]),
        set(&[
            "resource.aws_s3_bucket_server_side_encryption_configuration\
             .orders-encryption.rule[0]\
             .apply_server_side_encryption_by_default[0].sse_algorithm",
            "resource.aws_s3_bucket_server_side_encryption_configuration\
             .orders-encryption.rule[0].bucket_key_enabled",
        ])
    );
}

#[test]
fn s3_lifecycle_is_declared_only_when_asked() {
    let base = one("orders", ObjectStore::s3("acme-orders"));
    assert!(
        base["aws"]["resource"]
            .get("aws_s3_bucket_lifecycle_configuration")
            .is_none()
    );
    let files = one(
        "orders",
        ObjectStore::s3("acme-orders")
            .transition_after_days(30, "STANDARD_IA")
            .transition_after_days(90, "GLACIER")
            .expire_after_days(365)
            .expire_noncurrent_after_days(30),
    );
    let lifecycle = &files["aws"]["resource"]["aws_s3_bucket_lifecycle_configuration"]
        ["orders-lifecycle"];
    assert_eq!(lifecycle["bucket"], "${aws_s3_bucket.orders.id}");
    assert_eq!(
        lifecycle["depends_on"],
        json!(["aws_s3_bucket_versioning.orders-versioning"])
    );
    let rules = lifecycle["rule"].as_array().expect("rules");
    assert_eq!(rules.len(), 1);
    let rule = &rules[0];
    assert_eq!(rule["status"], "Enabled");
    assert_eq!(rule["filter"], json!([{}]));
    assert_eq!(
        rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"],
        7
    );
    assert_eq!(
        rule["transition"],
        json!([
            { "days": 30, "storage_class": "STANDARD_IA" },
            { "days": 90, "storage_class": "GLACIER" },
        ])
    );
    assert_eq!(rule["expiration"][0]["days"], 365);
    assert_eq!(
        rule["noncurrent_version_expiration"][0]["noncurrent_days"],
        30
    );
    assert!(check_module(&files["aws"], "aws").is_empty());
}

#[test]
fn ceph_buckets_go_through_the_gateway_with_sse_s3() {
    let mut env = Env::new("dc1");
    env.provider(aws::Provider::region("eu-west-1"));
    let rgw = env.provider(ceph::Provider::rgw(
        "ceph",
        "https://rgw.dc1.example.internal",
    ));
    let store = env.component("backups", ObjectStore::ceph(&rgw, "backups"));
    env.output::<String>("bucket", store.name());
    let files = synth(env);
    let r = files["aws"]["resource"].as_object().expect("resources");
    let mut count = 0;
    for instances in r.values() {
        for body in instances.as_object().expect("instances").values() {
            assert_eq!(body["provider"], "aws.ceph");
            count += 1;
        }
    }
    assert_eq!(count, 4);
    assert_eq!(
        r["aws_s3_bucket_server_side_encryption_configuration"]["backups-encryption"]
            ["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"],
        "AES256"
    );
    assert!(check_module(&files["aws"], "aws").is_empty());
}

#[test]
fn gcs_buckets_are_uniform_enforced_and_versioned() {
    let files = one(
        "assets",
        ObjectStore::gcs("acme-assets", "EU")
            .access_logs("acme-logs", "assets/")
            .tag("team", "shop"),
    );
    let bucket =
        &files["google"]["resource"]["google_storage_bucket"]["assets"];
    assert_eq!(bucket["uniform_bucket_level_access"], true);
    assert_eq!(bucket["public_access_prevention"], "enforced");
    assert_eq!(bucket["versioning"][0]["enabled"], true);
    assert_eq!(bucket["force_destroy"], false);
    assert_eq!(bucket["logging"][0]["log_bucket"], "acme-logs");
    assert_eq!(bucket["labels"]["team"], "shop");
    assert!(check_module(&files["google"], "google").is_empty());

    let base = one("assets", ObjectStore::gcs("acme-assets", "EU"));
    let open = one(
        "assets",
        ObjectStore::gcs("acme-assets", "EU").block_public_access(false),
    );
    assert_eq!(
        differences(&base["google"], &open["google"]),
        set(&[
            "resource.google_storage_bucket.assets.public_access_prevention"
        ])
    );
}

// ----------------------------------------------------------- database --

fn rds() -> Database<Rds> {
    Database::aws_postgres("16", vec!["subnet-a", "subnet-b"])
        .password(SecretRef::aws("prod/orders-db"))
}

#[test]
fn rds_is_encrypted_private_backed_up_and_protected() {
    let files = one("orders", rds().security_groups(vec!["sg-1"]));
    let r = &files["aws"]["resource"];
    let db = &r["aws_db_instance"]["orders"];
    assert_eq!(db["engine"], "postgres");
    assert_eq!(db["engine_version"], "16");
    assert_eq!(db["identifier"], "orders");
    assert_eq!(db["storage_encrypted"], true);
    assert_eq!(db["publicly_accessible"], false);
    assert_eq!(db["backup_retention_period"], 7);
    assert_eq!(db["deletion_protection"], true);
    assert_eq!(db["skip_final_snapshot"], false);
    assert_eq!(db["final_snapshot_identifier"], "orders-final");
    assert_eq!(
        db["db_subnet_group_name"],
        "${aws_db_subnet_group.orders-subnets.name}"
    );
    assert_eq!(
        db["password_wo"],
        "${data.aws_secretsmanager_secret_version.prod_orders-db\
         .secret_string}"
    );
    assert!(db.get("password").is_none());
    assert_eq!(
        r["aws_db_subnet_group"]["orders-subnets"]["subnet_ids"],
        json!(["subnet-a", "subnet-b"])
    );
    assert!(check_module(&files["aws"], "aws").is_empty());
}

#[test]
fn rds_without_a_password_lets_rds_manage_it() {
    let files = one(
        "orders",
        Database::aws_postgres("16", vec!["subnet-a", "subnet-b"]),
    );
    let db = &files["aws"]["resource"]["aws_db_instance"]["orders"];
    assert_eq!(db["manage_master_user_password"], true);
    assert!(db.get("password_wo").is_none());
}

#[test]
fn rds_overrides_change_only_what_they_name() {
    let base = one("orders", rds());
    let no_backups = one("orders", rds().backup_retention_days(0));
    assert_eq!(
        differences(&base["aws"], &no_backups["aws"]),
        set(&["resource.aws_db_instance.orders.backup_retention_period"])
    );
    let public = one("orders", rds().public_ip(true));
    assert_eq!(
        differences(&base["aws"], &public["aws"]),
        set(&["resource.aws_db_instance.orders.publicly_accessible"])
    );
    let logged = one("orders", rds().parameter_group("orders-logging"));
    assert_eq!(
        differences(&base["aws"], &logged["aws"]),
        set(&["resource.aws_db_instance.orders.parameter_group_name"])
    );
    assert_eq!(
        logged["aws"]["resource"]["aws_db_instance"]["orders"]["parameter_group_name"],
        "orders-logging"
    );
}

#[test]
fn meta_applies_the_lifecycle_to_the_main_resource_only() {
    let files = one("orders", rds().meta(Meta::new().prevent_destroy()));
    let r = &files["aws"]["resource"];
    assert_eq!(
        r["aws_db_instance"]["orders"]["lifecycle"],
        json!({ "prevent_destroy": true })
    );
    assert!(
        r["aws_db_subnet_group"]["orders-subnets"]
            .get("lifecycle")
            .is_none()
    );
}

fn cloud_sql() -> Database<CloudSql> {
    Database::gcp_postgres("16", "projects/acme/global/networks/main")
        .password(SecretRef::gcp("orders-db"))
}

#[test]
fn cloud_sql_is_private_backed_up_and_protected() {
    let files = one("orders", cloud_sql());
    let db =
        &files["google"]["resource"]["google_sql_database_instance"]["orders"];
    assert_eq!(db["database_version"], "POSTGRES_16");
    assert_eq!(db["deletion_protection"], true);
    assert_eq!(
        db["root_password"],
        "${data.google_secret_manager_secret_version.orders-db.secret_data}"
    );
    let settings = &db["settings"][0];
    assert_eq!(settings["deletion_protection_enabled"], true);
    let backup = &settings["backup_configuration"][0];
    assert_eq!(backup["enabled"], true);
    assert_eq!(backup["point_in_time_recovery_enabled"], true);
    assert_eq!(
        backup["backup_retention_settings"][0]["retained_backups"],
        7
    );
    let ip = &settings["ip_configuration"][0];
    assert_eq!(ip["ipv4_enabled"], false);
    assert_eq!(ip["ssl_mode"], "ENCRYPTED_ONLY");
    assert!(check_module(&files["google"], "google").is_empty());

    let mut env = Env::new("endpoint");
    let db = env.component("orders", cloud_sql());
    env.output::<String>("db", db.endpoint());
    let files = synth(env);
    assert_eq!(
        files["google"]["output"]["db"]["value"],
        "${google_sql_database_instance.orders.private_ip_address}:5432"
    );
}

#[test]
fn cloud_sql_overrides_change_only_what_they_name() {
    let base = one("orders", cloud_sql());
    let public = one("orders", cloud_sql().public_ip(true));
    assert_eq!(
        differences(&base["google"], &public["google"]),
        set(&["resource.google_sql_database_instance.orders.settings[0]\
             .ip_configuration[0].ipv4_enabled"])
    );
    let no_backups = one("orders", cloud_sql().backup_retention_days(0));
    let prefix = "resource.google_sql_database_instance.orders.settings[0]\
                  .backup_configuration[0]";
    assert_eq!(
        differences(&base["google"], &no_backups["google"]),
        set(&[
            &format!("{prefix}.backup_retention_settings"),
            &format!("{prefix}.enabled"),
            &format!("{prefix}.point_in_time_recovery_enabled"),
            &format!("{prefix}.transaction_log_retention_days"),
        ])
    );
}

/// The database flags of a synthesized Cloud SQL instance, by name.
fn flags(files: &BTreeMap<String, Json>) -> BTreeMap<String, String> {
    files["google"]["resource"]["google_sql_database_instance"]["orders"]
        ["settings"][0]["database_flags"]
        .as_array()
        .expect("database flags")
        .iter()
        .map(|flag| {
            let text = |key: &str| flag[key].as_str().expect(key).to_owned();
            (text("name"), text("value"))
        })
        .collect()
}

#[test]
fn cloud_sql_audit_flags_are_defaults_that_can_change() {
    let base = flags(&one("orders", cloud_sql()));
    let want: BTreeMap<String, String> = [
        ("cloudsql.enable_pgaudit", "on"),
        ("log_checkpoints", "on"),
        ("log_connections", "on"),
        ("log_disconnections", "on"),
        ("log_duration", "on"),
        ("log_hostname", "on"),
        ("log_min_error_statement", "error"),
        ("log_statement", "ddl"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(base, want);

    let changed = flags(&one(
        "orders",
        cloud_sql()
            .database_flag("log_statement", "all")
            .database_flag("log_lock_waits", "on")
            .remove_database_flag("log_hostname"),
    ));
    let mut expected = want;
    expected.insert("log_statement".to_owned(), "all".to_owned());
    expected.insert("log_lock_waits".to_owned(), "on".to_owned());
    expected.remove("log_hostname");
    assert_eq!(changed, expected);
}

// ------------------------------------------------------ load balancer --

fn alb() -> LoadBalancer<Alb> {
    LoadBalancer::aws_https(
        "vpc-1",
        vec!["subnet-a", "subnet-b"],
        "arn:aws:acm:eu-west-1:123456789012:certificate/x",
    )
    .security_groups(vec!["sg-alb"])
    .targets(["i-1", "i-2"])
    .target_port(8080)
    .access_logs("acme-logs", "alb")
}

#[test]
fn alb_terminates_modern_tls_and_redirects_http() {
    let files = one("front", alb());
    let r = &files["aws"]["resource"];
    let lb = &r["aws_lb"]["front"];
    assert_eq!(lb["internal"], false);
    assert_eq!(lb["enable_deletion_protection"], true);
    assert_eq!(lb["drop_invalid_header_fields"], true);
    assert_eq!(lb["access_logs"][0]["enabled"], true);
    assert_eq!(lb["access_logs"][0]["bucket"], "acme-logs");
    let https = &r["aws_lb_listener"]["front-https"];
    assert_eq!(https["protocol"], "HTTPS");
    assert_eq!(https["port"], 443);
    assert_eq!(https["ssl_policy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert_eq!(
        https["default_action"][0]["target_group_arn"],
        "${aws_lb_target_group.front.arn}"
    );
    let http = &r["aws_lb_listener"]["front-http"];
    assert_eq!(http["port"], 80);
    assert_eq!(
        http["default_action"][0]["redirect"][0],
        json!({ "status_code": "HTTP_301", "protocol": "HTTPS", "port": "443" })
    );
    let attachments = r["aws_lb_target_group_attachment"]
        .as_object()
        .expect("attachments");
    assert_eq!(attachments.len(), 2);
    assert_eq!(attachments["front-target-1"]["target_id"], "i-2");
    assert_eq!(attachments["front-target-1"]["port"], 8080);
    assert!(check_module(&files["aws"], "aws").is_empty());
}

#[test]
fn alb_without_redirect_drops_only_the_http_listener() {
    let base = one("front", alb());
    let plain = one("front", alb().http_redirect(false));
    assert_eq!(
        differences(&base["aws"], &plain["aws"]),
        set(&["resource.aws_lb_listener.front-http"])
    );
}

fn gclb() -> LoadBalancer<GcpHttps> {
    LoadBalancer::gcp_https(vec!["shop.example.com"])
        .instance_group(
            "europe-west1-b",
            vec!["projects/acme/zones/europe-west1-b/instances/web-1"],
        )
        .target_port(8080)
}

#[test]
fn gcp_lb_has_a_modern_policy_a_redirect_and_logging() {
    let mut env = Env::new("lb");
    env.provider(gcp::Provider::project_region("acme", "europe-west1"));
    let lb = env.component("front", gclb());
    env.output::<String>("ip", lb.ip_address());
    let files = synth(env);
    let google = &files["google"];
    let r = &google["resource"];
    assert_eq!(
        r["google_compute_ssl_policy"]["front"],
        json!({
            "name": "front",
            "profile": "MODERN",
            "min_tls_version": "TLS_1_2",
        })
    );
    assert_eq!(
        r["google_compute_target_https_proxy"]["front"]["ssl_policy"],
        "${google_compute_ssl_policy.front.id}"
    );
    let backend = &r["google_compute_backend_service"]["front"];
    assert_eq!(backend["log_config"][0]["enable"], true);
    assert_eq!(backend["load_balancing_scheme"], "EXTERNAL_MANAGED");
    assert_eq!(
        r["google_compute_instance_group"]["front-group-0"]["named_port"][0],
        json!({ "name": "http", "port": 8080 })
    );
    assert_eq!(
        r["google_compute_url_map"]["front-redirect"]["default_url_redirect"]
            [0]["https_redirect"],
        true
    );
    let rules = r["google_compute_global_forwarding_rule"]
        .as_object()
        .expect("rules");
    assert_eq!(rules["front-https"]["port_range"], "443");
    assert_eq!(rules["front-http"]["port_range"], "80");
    assert_eq!(
        google["output"]["ip"]["value"],
        "${google_compute_global_address.front.address}"
    );
    assert!(check_module(google, "google").is_empty());
}

#[test]
fn gcp_lb_overrides_change_only_what_they_name() {
    let base = one("front", gclb());
    let plain = one("front", gclb().http_redirect(false));
    assert_eq!(
        differences(&base["google"], &plain["google"]),
        set(&[
            "resource.google_compute_global_forwarding_rule.front-http",
            "resource.google_compute_target_http_proxy",
            "resource.google_compute_url_map.front-redirect",
        ])
    );
    let unlogged = one("front", gclb().logging(false));
    assert_eq!(
        differences(&base["google"], &unlogged["google"]),
        set(&[
            "resource.google_compute_backend_service.front.log_config[0]\
             .enable",
            "resource.google_compute_backend_service.front.log_config[0]\
             .sample_rate",
        ])
    );
    let default_tls = one("front", gclb().modern_tls(false));
    assert_eq!(
        differences(&base["google"], &default_tls["google"]),
        set(&[
            "resource.google_compute_ssl_policy",
            "resource.google_compute_target_https_proxy.front.ssl_policy",
        ])
    );
}

// -------------------------------------------------------------- names --

#[test]
fn cloud_names_are_what_clouds_accept() {
    assert_eq!(cloud_name("Web_1", 63), "web-1");
    assert_eq!(cloud_name("--a__b--", 63), "a-b");
    assert_eq!(cloud_name("1st", 63), "x-1st");
    assert_eq!(cloud_name("", 63), "x");
    assert_eq!(
        cloud_name("a-very-long-load-balancer-name-indeed", 32).len(),
        32
    );
    assert_eq!(cloud_name("abcdefghij-klmnop", 11), "abcdefghij");
    assert_eq!(cloud_name("Ünïcode", 63), "n-code");
}

#[test]
fn an_invalid_component_name_is_a_compile_error() {
    let mut env = Env::new("bad");
    env.component("1 bad name", ec2());
    let errors = env.compile().expect_err("the name is invalid");
    assert!(errors.to_string().contains("1 bad name"), "{errors}");
}

#[test]
fn provider_and_depends_on_reach_every_resource() {
    let mut env = Env::new("eu");
    env.provider(aws::Provider::region("eu-west-1"));
    let other = env.provider(aws::Provider::region("us-east-1").alias("us"));
    let vpc = env.add_with(
        "main",
        aws::Vpc::new("10.0.0.0/16"),
        Meta::new().provider(&other),
    );
    env.component(
        "orders",
        Database::aws_postgres("16", vec!["subnet-a", "subnet-b"])
            .provider(&other)
            .depends_on(&vpc),
    );
    let files = synth(env);
    let r = &files["aws"]["resource"];
    for body in [
        &r["aws_db_instance"]["orders"],
        &r["aws_db_subnet_group"]["orders-subnets"],
    ] {
        assert_eq!(body["provider"], "aws.us");
        assert_eq!(body["depends_on"], json!(["aws_vpc.main"]));
    }
}

#[test]
fn proxmox_and_openstack_outputs_are_typed() {
    let mut env = Env::new("dc1");
    let vm = env.component("db-1", Compute::proxmox("pve-a", 9000));
    env.output::<String>("ip", vm.private_ip());
    env.output::<i64>("id", vm.vm_id());
    let files = synth(env);
    assert_eq!(
        files["proxmox"]["output"]["ip"]["value"],
        "${proxmox_virtual_environment_vm.db-1.ipv4_addresses[1][0]}"
    );
    let _ = proxmox::Provider::NAME;
}
