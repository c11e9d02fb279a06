//! The simulated cloud: objects on disk, idempotent creates, faults,
//! crash points across processes, and the computed attributes that
//! environments reference.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use onioncloud_core::engine::plan::attribute_path;
use onioncloud_core::engine::provider::{ErrorKind, Normalize};
use onioncloud_core::engine::sim::{
    CRASH_ENV, CrashPoint, FaultKind, FaultRule, Operation, SimCloud,
    SimConfig, SimError, simulated_types, type_hints,
};
use onioncloud_core::engine::state::Attrs;
use serde_json::{Value as Json, json};

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let unique = format!(
            "onioncloud-sim-{name}-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn attrs(value: Json) -> Attrs {
    serde_json::from_value(value).expect("an object")
}

fn cloud(dir: &TempDir, config: SimConfig) -> Arc<SimCloud> {
    SimCloud::open_with_crash(dir.path(), config, None).expect("open")
}

#[tokio::test]
async fn create_read_update_delete_round_trip() {
    let dir = TempDir::new("round-trip");
    let cloud = cloud(&dir, SimConfig::default());
    let aws = cloud.provider("aws");
    let config = attrs(json!({
        "cidr_block": "10.0.0.0/16",
        "tags": {"app": "orders"},
    }));

    let created = aws.create("aws_vpc", &config, "tok-1").await.unwrap();
    assert!(created.id.starts_with("vpc-"), "{}", created.id);
    assert_eq!(created.id.len(), "vpc-".len() + 16);
    assert_eq!(created.attributes["id"], json!(created.id));
    assert_eq!(created.attributes["cidr_block"], config["cidr_block"]);
    assert_eq!(created.attributes["tags"], config["tags"]);
    // The attributes are the configuration plus computed ones only.
    let hints = aws.hints("aws_vpc");
    for name in created.attributes.keys() {
        assert!(
            config.contains_key(name) || hints.computed.contains(name),
            "{name} is neither configured nor computed"
        );
    }
    assert!(!created.attributes.values().any(|v| v == "tok-1"));

    let read = aws.read("aws_vpc", &created.id).await.unwrap();
    assert_eq!(read.as_ref(), Some(&created.attributes));

    let object = cloud.object(&created.id).unwrap().unwrap();
    assert_eq!(object.token, "tok-1");
    assert_eq!(object.provider, "aws");
    assert_eq!(object.resource_type, "aws_vpc");
    assert_eq!(object.created_seq, 1);

    let mut changed = config.clone();
    changed.insert("tags".into(), json!({"app": "shop"}));
    let updated = aws
        .update("aws_vpc", &created.id, &created.attributes, &changed)
        .await
        .unwrap();
    assert_eq!(updated["tags"], json!({"app": "shop"}));
    assert_eq!(updated["arn"], created.attributes["arn"]);
    assert_eq!(updated["id"], json!(created.id));
    assert_eq!(
        aws.read("aws_vpc", &created.id).await.unwrap(),
        Some(updated.clone())
    );

    aws.delete("aws_vpc", &created.id).await.unwrap();
    assert_eq!(aws.read("aws_vpc", &created.id).await.unwrap(), None);
    assert_eq!(cloud.count().unwrap(), 0);
    // Deleting what is gone succeeds; updating it is NotFound.
    aws.delete("aws_vpc", &created.id).await.unwrap();
    let err = aws
        .update("aws_vpc", &created.id, &updated, &changed)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains(&created.id), "{err}");

    let calls = cloud.calls();
    assert_eq!(calls.create, 1);
    assert_eq!(calls.update, 2);
    assert_eq!(calls.delete, 2);
    assert_eq!(calls.read, 3);
    assert_eq!(calls.total(), 8);
}

#[tokio::test]
async fn objects_are_scoped_to_type_and_configuration() {
    let dir = TempDir::new("scope");
    let cloud = cloud(&dir, SimConfig::default());
    let (east, west) = (cloud.provider("aws"), cloud.provider("aws.west"));
    let config = attrs(json!({"cidr_block": "10.0.0.0/16"}));
    let vpc = east.create("aws_vpc", &config, "tok").await.unwrap();

    assert_eq!(west.read("aws_vpc", &vpc.id).await.unwrap(), None);
    assert_eq!(east.read("aws_subnet", &vpc.id).await.unwrap(), None);
    assert_eq!(west.find_by_token("aws_vpc", "tok").await.unwrap(), None);
    // The same token in another configuration is another object.
    let other = west.create("aws_vpc", &config, "tok").await.unwrap();
    assert_ne!(other.id, vpc.id);
    assert_eq!(cloud.count().unwrap(), 2);
    // A delete through the wrong configuration leaves the object.
    west.delete("aws_vpc", &vpc.id).await.unwrap();
    assert!(east.read("aws_vpc", &vpc.id).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_token_creates_one_object() {
    let dir = TempDir::new("token");
    let cloud = cloud(&dir, SimConfig::default());
    let aws = cloud.provider("aws");
    let config = attrs(json!({"bucket": "logs"}));
    let first = aws.create("aws_s3_bucket", &config, "t").await.unwrap();
    let again = aws.create("aws_s3_bucket", &config, "t").await.unwrap();
    assert_eq!(first, again);
    assert_eq!(cloud.count().unwrap(), 1);

    let other = aws.create("aws_s3_bucket", &config, "u").await.unwrap();
    assert_ne!(other.id, first.id);
    assert_eq!(cloud.count().unwrap(), 2);

    // Concurrent creates under one token still make one object.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let aws = Arc::clone(&aws);
            let config = config.clone();
            tokio::spawn(async move {
                aws.create("aws_s3_bucket", &config, "v").await.unwrap().id
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(cloud.count().unwrap(), 3);
}

#[tokio::test]
async fn find_by_token_finds_the_object_until_it_is_deleted() {
    let dir = TempDir::new("find");
    let cloud = cloud(&dir, SimConfig::default());
    let gcp = cloud.provider("google");
    assert_eq!(
        gcp.find_by_token("google_compute_network", "t")
            .await
            .unwrap(),
        None
    );
    let config = attrs(json!({"name": "dr"}));
    let net = gcp
        .create("google_compute_network", &config, "t")
        .await
        .unwrap();
    let found = gcp
        .find_by_token("google_compute_network", "t")
        .await
        .unwrap();
    assert_eq!(found, Some(net.clone()));
    assert_eq!(
        gcp.find_by_token("google_compute_subnetwork", "t")
            .await
            .unwrap(),
        None
    );
    gcp.delete("google_compute_network", &net.id).await.unwrap();
    assert_eq!(
        gcp.find_by_token("google_compute_network", "t")
            .await
            .unwrap(),
        None
    );
    // After a delete, the token makes a new object.
    let again = gcp
        .create("google_compute_network", &config, "t")
        .await
        .unwrap();
    assert_ne!(again.id, net.id);
}

#[tokio::test]
async fn fail_changes_nothing() {
    let dir = TempDir::new("fail");
    let config = SimConfig {
        faults: vec![
            FaultRule::new(FaultKind::Fail)
                .resource_type("aws_db_*")
                .operation(Operation::Create),
        ],
        ..SimConfig::default()
    };
    let cloud = cloud(&dir, config);
    let aws = cloud.provider("aws");
    let err = aws
        .create(
            "aws_db_instance",
            &attrs(json!({"engine": "postgres"})),
            "t",
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Fatal);
    assert!(!err.is_retryable());
    assert!(err.message.contains("aws_db_instance"), "{err}");
    assert_eq!(cloud.count().unwrap(), 0);
    assert_eq!(cloud.calls().faults, 1);
    // Other types and operations are untouched.
    aws.create("aws_vpc", &attrs(json!({})), "t").await.unwrap();
    assert_eq!(cloud.count().unwrap(), 1);
}

#[tokio::test]
async fn fail_after_success_leaves_the_object() {
    let dir = TempDir::new("fail-after");
    let config = SimConfig {
        faults: vec![
            FaultRule::new(FaultKind::FailAfterSuccess)
                .operation(Operation::Create)
                .limit(1),
        ],
        ..SimConfig::default()
    };
    let cloud = cloud(&dir, config);
    let aws = cloud.provider("aws");
    let config = attrs(json!({"cidr_block": "10.1.0.0/16"}));
    let err = aws.create("aws_vpc", &config, "t").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Fatal);
    assert_eq!(err.code.as_deref(), Some("SimulatedFailureAfterSuccess"));
    let objects = cloud.live_objects().unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].token, "t");
    // The object is found by its token, and a retry adopts it.
    let found = aws.find_by_token("aws_vpc", "t").await.unwrap().unwrap();
    assert_eq!(found.id, objects[0].id);
    let retried = aws.create("aws_vpc", &config, "t").await.unwrap();
    assert_eq!(retried.id, objects[0].id);
    assert_eq!(cloud.count().unwrap(), 1);
}

#[tokio::test]
async fn fail_after_success_on_delete_deletes() {
    let dir = TempDir::new("fail-after-delete");
    let config = SimConfig {
        faults: vec![
            FaultRule::new(FaultKind::FailAfterSuccess)
                .operation(Operation::Delete),
        ],
        ..SimConfig::default()
    };
    let cloud = cloud(&dir, config);
    let aws = cloud.provider("aws");
    let vpc = aws.create("aws_vpc", &attrs(json!({})), "t").await.unwrap();
    assert!(aws.delete("aws_vpc", &vpc.id).await.is_err());
    assert_eq!(cloud.count().unwrap(), 0);
}

#[tokio::test]
async fn throttle_then_succeed_with_retry_after() {
    let dir = TempDir::new("throttle");
    let config = SimConfig {
        faults: vec![
            FaultRule::new(FaultKind::Throttle {
                times: 2,
                retry_after_ms: 1500,
            })
            .resource_type("aws_instance"),
        ],
        ..SimConfig::default()
    };
    let cloud = cloud(&dir, config);
    let aws = cloud.provider("aws");
    let config = attrs(json!({"ami": "ami-1", "instance_type": "t3.small"}));
    for _ in 0..2 {
        let err = aws.create("aws_instance", &config, "t").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Throttled);
        assert!(err.is_retryable());
        assert_eq!(err.retry_after, Some(Duration::from_millis(1500)));
        assert_eq!(cloud.count().unwrap(), 0);
    }
    aws.create("aws_instance", &config, "t").await.unwrap();
    assert_eq!(cloud.count().unwrap(), 1);
    assert_eq!(cloud.calls().faults, 2);
}

#[tokio::test]
async fn transient_then_succeed() {
    let dir = TempDir::new("transient");
    let config = SimConfig {
        faults: vec![
            FaultRule::new(FaultKind::Transient { times: 1 })
                .operation(Operation::Read)
                .provider("google"),
        ],
        ..SimConfig::default()
    };
    let cloud = cloud(&dir, config);
    let gcp = cloud.provider("google");
    let net = gcp
        .create("google_compute_network", &attrs(json!({"name": "n"})), "t")
        .await
        .unwrap();
    let err = gcp
        .read("google_compute_network", &net.id)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient);
    assert!(
        gcp.read("google_compute_network", &net.id)
            .await
            .unwrap()
            .is_some()
    );
    // The rule names only the google configuration.
    let aws = cloud.provider("aws");
    assert_eq!(aws.read("aws_vpc", "vpc-0").await.unwrap(), None);
}

#[tokio::test]
async fn eventual_consistency_hides_a_new_object_from_reads() {
    let dir = TempDir::new("eventual");
    let config = SimConfig {
        faults: vec![
            FaultRule::new(FaultKind::EventualConsistency { reads: 2 })
                .resource_type("aws_subnet"),
        ],
        ..SimConfig::default()
    };
    let cloud = cloud(&dir, config);
    let aws = cloud.provider("aws");
    let subnet = aws
        .create(
            "aws_subnet",
            &attrs(json!({"cidr_block": "10.0.1.0/24"})),
            "t",
        )
        .await
        .unwrap();
    assert_eq!(cloud.count().unwrap(), 1, "the object exists all along");
    assert_eq!(aws.read("aws_subnet", &subnet.id).await.unwrap(), None);
    assert_eq!(aws.find_by_token("aws_subnet", "t").await.unwrap(), None);
    assert!(aws.read("aws_subnet", &subnet.id).await.unwrap().is_some());
    assert!(
        aws.find_by_token("aws_subnet", "t")
            .await
            .unwrap()
            .is_some()
    );
    // Types the rule does not name are read at once.
    let vpc = aws.create("aws_vpc", &attrs(json!({})), "v").await.unwrap();
    assert!(aws.read("aws_vpc", &vpc.id).await.unwrap().is_some());
}

#[tokio::test]
async fn probabilities_follow_the_seed() {
    let outcomes = |seed: u64| async move {
        let dir = TempDir::new("seed");
        let config = SimConfig {
            seed: Some(seed),
            faults: vec![
                FaultRule::new(FaultKind::Fail)
                    .operation(Operation::Read)
                    .probability(0.5),
            ],
            ..SimConfig::default()
        };
        let cloud = cloud(&dir, config);
        let aws = cloud.provider("aws");
        let mut out = Vec::new();
        for _ in 0..64 {
            out.push(aws.read("aws_vpc", "vpc-1").await.is_err());
        }
        out
    };
    let a = outcomes(7).await;
    assert_eq!(a, outcomes(7).await);
    let failures = a.iter().filter(|f| **f).count();
    assert!(0 < failures && failures < 64, "{failures} of 64 failed");
}

#[tokio::test(start_paused = true)]
async fn latency_is_virtual_time() {
    let dir = TempDir::new("latency");
    let config = SimConfig {
        latency_ms: 250,
        ..SimConfig::default()
    };
    let cloud = cloud(&dir, config);
    let aws = cloud.provider("aws");
    let start = tokio::time::Instant::now();
    aws.read("aws_vpc", "vpc-1").await.unwrap();
    aws.read("aws_vpc", "vpc-1").await.unwrap();
    // With the clock paused, only the simulated latency moves it.
    assert_eq!(start.elapsed(), Duration::from_millis(500));
}

#[tokio::test]
async fn two_handles_on_one_directory_agree() {
    let dir = TempDir::new("handles");
    let a = cloud(&dir, SimConfig::default());
    let b = cloud(&dir, SimConfig::default());
    let config = attrs(json!({"cidr_block": "10.0.0.0/16"}));
    let vpc = a
        .provider("aws")
        .create("aws_vpc", &config, "t")
        .await
        .unwrap();
    assert_eq!(b.count().unwrap(), 1);
    assert_eq!(
        b.provider("aws").read("aws_vpc", &vpc.id).await.unwrap(),
        Some(vpc.attributes.clone())
    );
    // The token is shared too: b adopts a's object.
    let again = b
        .provider("aws")
        .create("aws_vpc", &config, "t")
        .await
        .unwrap();
    assert_eq!(again.id, vpc.id);
    let second = b
        .provider("aws")
        .create("aws_vpc", &config, "u")
        .await
        .unwrap();
    assert_eq!(b.object(&second.id).unwrap().unwrap().created_seq, 2);
    assert_eq!(a.live_objects().unwrap(), b.live_objects().unwrap());
    let ids: Vec<_> = a
        .live_objects()
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    b.provider("aws").delete("aws_vpc", &vpc.id).await.unwrap();
    assert_eq!(a.count().unwrap(), 1);
}

#[tokio::test]
async fn out_of_band_changes_are_seen() {
    let dir = TempDir::new("drift");
    let cloud = cloud(&dir, SimConfig::default());
    let aws = cloud.provider("aws");
    let vpc = aws
        .create("aws_vpc", &attrs(json!({"cidr_block": "10.0.0.0/16"})), "t")
        .await
        .unwrap();
    cloud
        .set_object_attribute(&vpc.id, "cidr_block", json!("10.9.0.0/16"))
        .unwrap();
    let read = aws.read("aws_vpc", &vpc.id).await.unwrap().unwrap();
    assert_eq!(read["cidr_block"], json!("10.9.0.0/16"));
    assert!(matches!(
        cloud.set_object_attribute("vpc-missing", "a", json!(1)),
        Err(SimError::NoSuchObject(_))
    ));
    assert!(cloud.remove_object(&vpc.id).unwrap());
    assert!(!cloud.remove_object(&vpc.id).unwrap());
    assert_eq!(aws.read("aws_vpc", &vpc.id).await.unwrap(), None);
}

#[test]
fn configuration_loads_from_the_directory() {
    let dir = TempDir::new("config");
    assert_eq!(SimConfig::load(dir.path()).unwrap(), SimConfig::default());
    std::fs::write(
        dir.path().join("sim.json"),
        r#"{
          "latency_ms": 20, "jitter_ms": 5, "seed": 3,
          "per_config_limit": 4, "per_key_limit": 1,
          "faults": [
            {"resource_type": "aws_*", "operations": ["create"],
             "fault": {"throttle": {"times": 2, "retry_after_ms": 100}}},
            {"fault": "fail_after_success", "probability": 0.25},
            {"fault": {"eventual_consistency": {"reads": 1}}}
          ]
        }"#,
    )
    .unwrap();
    let config = SimConfig::load(dir.path()).unwrap();
    assert_eq!(config.latency_ms, 20);
    assert_eq!(config.per_key_limit, Some(1));
    assert_eq!(config.faults.len(), 3);
    assert_eq!(
        config.faults[0].fault,
        FaultKind::Throttle {
            times: 2,
            retry_after_ms: 100
        }
    );
    assert_eq!(config.faults[0].operations, vec![Operation::Create]);
    assert_eq!(config.faults[1].probability, 0.25);
    assert_eq!(config.faults[2].probability, 1.0);

    std::fs::write(
        dir.path().join("sim.json"),
        r#"{"faults": [{"fault": "fail", "probability": 2}]}"#,
    )
    .unwrap();
    let err = SimConfig::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("sim.json"), "{err}");
    assert!(err.contains("fault rule 0"), "{err}");

    std::fs::write(dir.path().join("sim.json"), r#"{"latency": 3}"#).unwrap();
    let err = SimConfig::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("sim.json") && err.contains("latency"), "{err}");
}

#[test]
fn crash_points_parse() {
    assert_eq!(
        CrashPoint::parse("after-create:3").unwrap(),
        CrashPoint::AfterCreate(3)
    );
    assert_eq!(
        CrashPoint::parse("before-create:1").unwrap(),
        CrashPoint::BeforeCreate(1)
    );
    assert_eq!(
        CrashPoint::parse("after-delete:2").unwrap(),
        CrashPoint::AfterDelete(2)
    );
    for bad in ["after-create", "after-create:0", "during-create:1", "x:y"] {
        let err = CrashPoint::parse(bad).unwrap_err().to_string();
        assert!(err.contains(CRASH_ENV) && err.contains(bad), "{err}");
    }
}

#[test]
fn limits_and_concurrency_keys() {
    let dir = TempDir::new("limits");
    let config = SimConfig {
        per_config_limit: Some(8),
        per_key_limit: Some(2),
        ..SimConfig::default()
    };
    let cloud = cloud(&dir, config);
    let pve = cloud.provider("proxmox");
    assert_eq!(pve.limits().per_config, Some(8));
    assert_eq!(pve.limits().per_key, Some(2));
    let vm = attrs(json!({"node_name": "pve-a"}));
    assert_eq!(
        pve.concurrency_key("proxmox_virtual_environment_vm", &vm),
        Some("pve-a".to_owned())
    );
    let other = attrs(json!({"node": "pve-b"}));
    assert_eq!(
        pve.concurrency_key("anything", &other),
        Some("pve-b".to_owned())
    );
    assert_eq!(pve.concurrency_key("aws_vpc", &attrs(json!({}))), None);
    let zero = SimConfig {
        per_key_limit: Some(0),
        ..SimConfig::default()
    };
    assert!(SimCloud::open_with_crash(dir.path(), zero, None).is_err());
}

#[test]
fn hints_are_realistic() {
    let h = type_hints("aws_subnet");
    for name in ["vpc_id", "cidr_block", "availability_zone"] {
        assert!(h.force_new.contains(name), "{name}");
    }
    assert!(!h.force_new.contains("tags"));
    assert_eq!(h.normalize.get("cidr_block"), Some(&Normalize::Cidr));
    assert!(h.computed.contains("id") && h.computed.contains("arn"));

    let db = type_hints("aws_db_instance");
    for name in ["engine", "identifier", "storage_encrypted"] {
        assert!(db.force_new.contains(name), "{name}");
    }
    assert_eq!(
        db.normalize.get("engine"),
        Some(&Normalize::CaseInsensitive)
    );
    assert!(db.computed.contains("endpoint"));

    let policy = type_hints("aws_s3_bucket_policy");
    assert_eq!(
        policy.normalize.get("policy"),
        Some(&Normalize::JsonDocument)
    );
    assert!(policy.force_new.contains("bucket"));

    let vm = type_hints("google_compute_instance");
    assert!(vm.force_new.contains("zone"));
    assert!(vm.computed.contains("network_interface[0].network_ip"));

    let sg = type_hints("aws_instance");
    assert_eq!(
        sg.normalize.get("vpc_security_group_ids"),
        Some(&Normalize::Set)
    );

    // Unknown types still get an id, and an arn or a self link.
    assert!(type_hints("aws_unknown_thing").computed.contains("arn"));
    assert!(type_hints("google_unknown").computed.contains("self_link"));
    assert!(type_hints("vault_mount").computed.contains("id"));
}

/// A minimal configuration of each type, with the blocks that computed
/// paths live in, as the typed resources and components write them.
fn minimal_config(resource_type: &str) -> Attrs {
    attrs(match resource_type {
        "aws_vpc" => json!({"cidr_block": "10.0.0.0/16"}),
        "aws_subnet" => json!({"vpc_id": "vpc-x", "cidr_block": "10.0.1.0/24"}),
        "aws_db_instance" => json!({
            "engine": "postgres",
            "instance_class": "db.t4g.small",
            "manage_master_user_password": true,
        }),
        "aws_instance" => json!({"ami": "ami-1", "instance_type": "t3.small"}),
        "google_compute_subnetwork" => json!({
            "name": "s", "network": "n", "ip_cidr_range": "10.10.1.0/24",
        }),
        "google_compute_instance" => json!({
            "name": "vm",
            "machine_type": "e2-small",
            "zone": "europe-west1-b",
            "network_interface": [{"subnetwork": "s", "access_config": [{}]}],
        }),
        "openstack_compute_instance_v2" => json!({
            "name": "app", "network": [{"uuid": "net"}],
        }),
        "proxmox_virtual_environment_vm" => json!({
            "node_name": "pve-a",
            "initialization": [{"ip_config": [{"ipv4": [{
                "address": "10.30.0.10/24", "gateway": "10.30.0.1",
            }]}]}],
        }),
        _ => json!({"name": "n"}),
    })
}

/// What environments reference after a create, by type: the outputs of
/// the typed resources, the paths their accessors follow, and what the
/// example environment's components use.
const REFERENCED: &[(&str, &[&str])] = &[
    (
        "aws_instance",
        &[
            "id",
            "arn",
            "private_ip",
            "public_ip",
            "private_dns",
            "public_dns",
            "availability_zone",
            "primary_network_interface_id",
        ],
    ),
    (
        "aws_db_instance",
        &[
            "id",
            "arn",
            "identifier",
            "address",
            "endpoint",
            "port",
            "hosted_zone_id",
            "resource_id",
            "username",
            "master_user_secret[0].secret_arn",
        ],
    ),
    ("aws_db_subnet_group", &["id", "arn", "name", "vpc_id"]),
    (
        "aws_lb",
        &["id", "arn", "arn_suffix", "dns_name", "zone_id", "vpc_id"],
    ),
    ("aws_lb_target_group", &["id", "arn", "arn_suffix", "name"]),
    ("aws_lb_target_group_attachment", &["id"]),
    ("aws_lb_listener", &["id", "arn"]),
    ("aws_cloudwatch_log_group", &["id", "arn", "name"]),
    ("aws_cloudwatch_metric_alarm", &["id", "arn"]),
    (
        "aws_vpc",
        &[
            "id",
            "arn",
            "default_security_group_id",
            "main_route_table_id",
        ],
    ),
    ("aws_subnet", &["id", "arn"]),
    ("aws_security_group", &["id", "arn", "name"]),
    (
        "aws_vpc_security_group_ingress_rule",
        &["id", "arn", "security_group_rule_id"],
    ),
    (
        "aws_vpc_security_group_egress_rule",
        &["id", "arn", "security_group_rule_id"],
    ),
    ("aws_internet_gateway", &["id", "arn"]),
    ("aws_route_table", &["id", "arn"]),
    ("aws_route", &["id"]),
    ("aws_route_table_association", &["id"]),
    ("aws_flow_log", &["id", "arn"]),
    ("aws_secretsmanager_secret", &["id", "arn", "name"]),
    (
        "aws_s3_bucket",
        &[
            "id",
            "arn",
            "bucket",
            "bucket_domain_name",
            "bucket_regional_domain_name",
            "hosted_zone_id",
            "region",
        ],
    ),
    (
        "aws_s3_bucket_server_side_encryption_configuration",
        &["id"],
    ),
    ("aws_s3_bucket_versioning", &["id"]),
    ("aws_s3_bucket_public_access_block", &["id"]),
    ("aws_s3_bucket_logging", &["id"]),
    ("aws_s3_bucket_policy", &["id"]),
    (
        "google_compute_instance",
        &[
            "id",
            "instance_id",
            "name",
            "self_link",
            "zone",
            "network_interface[0].network_ip",
            "network_interface[0].access_config[0].nat_ip",
        ],
    ),
    ("google_compute_health_check", &["id", "self_link"]),
    (
        "google_compute_instance_group",
        &["id", "self_link", "size"],
    ),
    ("google_compute_backend_service", &["id", "self_link"]),
    ("google_compute_url_map", &["id", "self_link"]),
    (
        "google_compute_managed_ssl_certificate",
        &["id", "self_link", "expire_time"],
    ),
    ("google_compute_ssl_policy", &["id", "self_link"]),
    ("google_compute_target_https_proxy", &["id", "self_link"]),
    ("google_compute_target_http_proxy", &["id", "self_link"]),
    (
        "google_compute_global_address",
        &["id", "address", "self_link"],
    ),
    (
        "google_compute_global_forwarding_rule",
        &["id", "self_link"],
    ),
    ("google_monitoring_alert_policy", &["id", "name"]),
    (
        "google_compute_network",
        &["id", "name", "self_link", "numeric_id"],
    ),
    (
        "google_compute_subnetwork",
        &[
            "id",
            "name",
            "self_link",
            "gateway_address",
            "ip_cidr_range",
        ],
    ),
    ("google_compute_firewall", &["id", "self_link"]),
    ("google_service_networking_connection", &["id"]),
    ("google_secret_manager_secret", &["id", "name"]),
    (
        "google_sql_database_instance",
        &[
            "id",
            "name",
            "connection_name",
            "first_ip_address",
            "private_ip_address",
            "public_ip_address",
            "self_link",
        ],
    ),
    ("google_storage_bucket", &["id", "name", "self_link", "url"]),
    ("openstack_networking_network_v2", &["id", "name"]),
    (
        "openstack_networking_subnet_v2",
        &["id", "cidr", "gateway_ip"],
    ),
    ("openstack_networking_secgroup_v2", &["id", "name"]),
    ("openstack_networking_secgroup_rule_v2", &["id"]),
    (
        "openstack_compute_instance_v2",
        &[
            "id",
            "access_ip_v4",
            "access_ip_v6",
            "network[0].fixed_ip_v4",
        ],
    ),
    (
        "proxmox_virtual_environment_vm",
        &[
            "id",
            "vm_id",
            "name",
            "node_name",
            "ipv4_addresses[1][0]",
            "ipv6_addresses",
            "mac_addresses",
            "network_interface_names",
        ],
    ),
];

#[tokio::test]
async fn every_referenced_attribute_is_produced() {
    let dir = TempDir::new("referenced");
    let cloud = cloud(&dir, SimConfig::default());
    let known = simulated_types();
    for (resource_type, paths) in REFERENCED {
        assert!(known.contains(resource_type), "{resource_type} not known");
        let provider = cloud.provider(resource_type.split('_').next().unwrap());
        let config = minimal_config(resource_type);
        let created = provider
            .create(resource_type, &config, &format!("tok-{resource_type}"))
            .await
            .unwrap();
        let hints = provider.hints(resource_type);
        for path in *paths {
            let value = attribute_path(&created.attributes, path);
            assert!(
                value.is_some_and(|v| !v.is_null()),
                "{resource_type}.{path} is missing after create: {:#?}",
                created.attributes
            );
            let top = path.split(['.', '[']).next().unwrap();
            assert!(
                config.contains_key(top)
                    || hints.computed.contains(*path)
                    || hints.computed.contains(top),
                "{resource_type}.{path} is computed but not in the hints"
            );
        }
        // Configured values come back as configured.
        for (name, value) in &config {
            if !hints.computed.iter().any(|c| c.starts_with(name.as_str())) {
                assert_eq!(&created.attributes[name], value, "{name}");
            }
        }
        // Values are derived from the id: reading gives the same.
        let read = provider.read(resource_type, &created.id).await.unwrap();
        assert_eq!(read, Some(created.attributes));
    }
}

#[tokio::test]
async fn computed_values_are_plausible() {
    let dir = TempDir::new("plausible");
    let cloud = cloud(&dir, SimConfig::default());
    let aws = cloud.provider("aws");
    let vpc = aws
        .create("aws_vpc", &attrs(json!({"cidr_block": "10.0.0.0/16"})), "v")
        .await
        .unwrap();
    let subnet = aws
        .create(
            "aws_subnet",
            &attrs(json!({
                "vpc_id": vpc.id,
                "cidr_block": "10.0.10.0/24",
                "availability_zone": "eu-west-1b",
            })),
            "s",
        )
        .await
        .unwrap();
    let vm = aws
        .create(
            "aws_instance",
            &attrs(json!({"ami": "ami-1", "subnet_id": subnet.id})),
            "i",
        )
        .await
        .unwrap();
    let ip = vm.attributes["private_ip"].as_str().unwrap();
    assert!(ip.starts_with("10.0.10."), "{ip} is not in the subnet");
    assert_eq!(vm.attributes["availability_zone"], json!("eu-west-1b"));
    assert_eq!(vm.attributes["public_ip"], json!(""));
    let group = aws
        .create(
            "aws_db_subnet_group",
            &attrs(json!({"subnet_ids": [subnet.id]})),
            "g",
        )
        .await
        .unwrap();
    assert_eq!(group.attributes["vpc_id"], json!(vpc.id));

    let bucket = aws
        .create("aws_s3_bucket", &attrs(json!({"bucket": "logs"})), "b")
        .await
        .unwrap();
    assert_eq!(bucket.attributes["arn"], json!("arn:aws:s3:::logs"));

    let db = aws
        .create(
            "aws_db_instance",
            &attrs(json!({"engine": "postgres", "identifier": "orders"})),
            "d",
        )
        .await
        .unwrap();
    let address = db.attributes["address"].as_str().unwrap();
    assert!(address.starts_with("orders."), "{address}");
    assert_eq!(db.attributes["endpoint"], json!(format!("{address}:5432")));
    assert!(!db.attributes.contains_key("master_user_secret"));

    let pve = cloud.provider("proxmox");
    let config = minimal_config("proxmox_virtual_environment_vm");
    let vm = pve
        .create("proxmox_virtual_environment_vm", &config, "p")
        .await
        .unwrap();
    assert_eq!(
        attribute_path(&vm.attributes, "ipv4_addresses[1][0]"),
        Some(&json!("10.30.0.10"))
    );

    let gcp = cloud.provider("google");
    let sub = gcp
        .create(
            "google_compute_subnetwork",
            &attrs(json!({"name": "web", "ip_cidr_range": "10.10.1.0/24",
                          "region": "europe-west1"})),
            "s",
        )
        .await
        .unwrap();
    assert_eq!(sub.attributes["gateway_address"], json!("10.10.1.1"));
    let vm = gcp
        .create(
            "google_compute_instance",
            &attrs(json!({"name": "vm", "zone": "europe-west1-b",
                          "network_interface": [{"subnetwork": sub.id}]})),
            "i",
        )
        .await
        .unwrap();
    let ip = attribute_path(&vm.attributes, "network_interface[0].network_ip")
        .and_then(Json::as_str)
        .unwrap();
    assert!(ip.starts_with("10.10.1."), "{ip}");
    assert!(
        attribute_path(
            &vm.attributes,
            "network_interface[0].access_config[0].nat_ip"
        )
        .is_none(),
        "no access config, no public address"
    );
    let sql = gcp
        .create(
            "google_sql_database_instance",
            &attrs(json!({"name": "orders", "region": "europe-west1",
                          "project": "onioncloud-dr"})),
            "q",
        )
        .await
        .unwrap();
    assert_eq!(
        sql.attributes["connection_name"],
        json!("onioncloud-dr:europe-west1:orders")
    );
}

#[tokio::test]
async fn update_keeps_computed_values() {
    let dir = TempDir::new("update");
    let cloud = cloud(&dir, SimConfig::default());
    let gcp = cloud.provider("google");
    let config = minimal_config("google_compute_instance");
    let vm = gcp
        .create("google_compute_instance", &config, "t")
        .await
        .unwrap();
    let mut changed = config.clone();
    changed.insert("machine_type".into(), json!("e2-medium"));
    let updated = gcp
        .update("google_compute_instance", &vm.id, &vm.attributes, &changed)
        .await
        .unwrap();
    let mut expected = vm.attributes.clone();
    expected.insert("machine_type".into(), json!("e2-medium"));
    assert_eq!(updated, expected);
}

#[tokio::test]
async fn data_sources_are_deterministic_and_never_secret() {
    let dir = TempDir::new("data");
    let cloud = cloud(&dir, SimConfig::default());
    let aws = cloud.provider("aws");
    let config = attrs(json!({
        "most_recent": true,
        "owners": ["136693071363"],
    }));
    let ami = aws.read_data("aws_ami", &config).await.unwrap();
    assert!(ami["id"].as_str().unwrap().starts_with("ami-"));
    assert_eq!(ami["owner_id"], json!("136693071363"));
    assert_eq!(ami, aws.read_data("aws_ami", &config).await.unwrap());
    assert_eq!(ami["most_recent"], json!(true));

    let secret = aws
        .read_data(
            "aws_secretsmanager_secret_version",
            &attrs(json!({"secret_id": "prod/orders-db"})),
        )
        .await
        .unwrap();
    assert_eq!(
        secret["secret_string"],
        json!({"secret_ref": "aws:prod/orders-db"})
    );
    assert_eq!(cloud.count().unwrap(), 0, "data sources are not objects");
    assert_eq!(cloud.calls().read_data, 3);
}

// ------------------------------------------------------------ crashes --

/// Set in a child process: the cloud directory it works in.
const CHILD_DIR: &str = "ONIONCLOUD_SIM_TEST_CHILD_DIR";

/// Runs only as a child of the crash tests: creates three objects, then
/// deletes them, in the cloud named by [`CHILD_DIR`], with the crash
/// point of the environment. As an ordinary test it does nothing.
#[tokio::test]
async fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let cloud = SimCloud::open(dir, SimConfig::default()).unwrap();
    let aws = cloud.provider("aws");
    let mut ids = Vec::new();
    for i in 0..3 {
        let config = attrs(json!({"cidr_block": format!("10.{i}.0.0/16")}));
        let vpc = aws.create("aws_vpc", &config, &format!("tok-{i}")).await;
        ids.push(vpc.unwrap().id);
    }
    for id in ids {
        aws.delete("aws_vpc", &id).await.unwrap();
    }
}

/// Runs [`crash_child`] in a child process with `crash` in the
/// environment, and returns its exit status.
fn run_child(dir: &Path, crash: &str) -> std::process::ExitStatus {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CRASH_ENV, crash)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
}

#[cfg(unix)]
fn assert_aborted(status: std::process::ExitStatus) {
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(status.signal(), Some(6), "not killed by SIGABRT: {status}");
}

#[cfg(unix)]
#[tokio::test]
async fn after_create_crash_leaves_the_object_for_the_next_run() {
    let dir = TempDir::new("crash-after");
    assert_aborted(run_child(dir.path(), "after-create:2"));
    let cloud = cloud(&dir, SimConfig::default());
    let objects = cloud.live_objects().unwrap();
    let tokens: Vec<_> = objects.iter().map(|o| o.token.as_str()).collect();
    assert_eq!(objects.len(), 2, "{tokens:?}");
    assert!(tokens.contains(&"tok-0") && tokens.contains(&"tok-1"));
    // The next run finds the orphan by its token and adopts it.
    let aws = cloud.provider("aws");
    let found = aws
        .find_by_token("aws_vpc", "tok-1")
        .await
        .unwrap()
        .unwrap();
    let config = attrs(json!({"cidr_block": "10.1.0.0/16"}));
    let again = aws.create("aws_vpc", &config, "tok-1").await.unwrap();
    assert_eq!(again.id, found.id);
    assert_eq!(cloud.count().unwrap(), 2);

    // A run without a crash point finishes the job.
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .env_remove(CRASH_ENV)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(cloud.count().unwrap(), 0);
}

#[cfg(unix)]
#[test]
fn before_create_crash_leaves_nothing_new() {
    let dir = TempDir::new("crash-before");
    assert_aborted(run_child(dir.path(), "before-create:1"));
    let cloud = cloud(&dir, SimConfig::default());
    assert_eq!(cloud.count().unwrap(), 0);
}

#[cfg(unix)]
#[test]
fn after_delete_crash_has_deleted() {
    let dir = TempDir::new("crash-delete");
    assert_aborted(run_child(dir.path(), "after-delete:1"));
    let cloud = cloud(&dir, SimConfig::default());
    let tokens: BTreeMap<_, _> = cloud
        .live_objects()
        .unwrap()
        .into_iter()
        .map(|o| (o.token, o.id))
        .collect();
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    assert!(!tokens.contains_key("tok-0"));
}

#[cfg(unix)]
#[test]
fn an_invalid_crash_point_is_refused_when_opening() {
    use std::os::unix::process::ExitStatusExt as _;
    let dir = TempDir::new("crash-invalid");
    let status = run_child(dir.path(), "after-create:-1");
    // The child's open failed (its test panicked) before any create.
    assert!(!status.success(), "{status}");
    assert_eq!(status.signal(), None, "{status}");
    let cloud = cloud(&dir, SimConfig::default());
    assert_eq!(cloud.count().unwrap(), 0);
}

#[tokio::test]
async fn type_globs_match_as_documented() {
    let dir = TempDir::new("glob");
    let config = SimConfig {
        faults: vec![
            FaultRule::new(FaultKind::Fail)
                .resource_type("google_*_instance")
                .operation(Operation::Read),
        ],
        ..SimConfig::default()
    };
    let cloud = cloud(&dir, config);
    let gcp = cloud.provider("google");
    for (resource_type, fails) in [
        ("google_compute_instance", true),
        ("google_sql_database_instance", true),
        ("google_compute_instance_group", false),
        ("aws_instance", false),
        ("google_instance", false),
    ] {
        let result = gcp.read(resource_type, "x-1").await;
        assert_eq!(result.is_err(), fails, "{resource_type}");
    }
}

#[tokio::test]
async fn write_only_values_are_kept_as_markers_salted_per_cloud() {
    use onioncloud_core::sensitive::{is_redacted, matches_redacted, wrap};
    let config = attrs(json!({
        "engine": "postgres",
        "instance_class": "db.t4g.micro",
        "password": wrap(json!("hunter2")),
    }));
    let mut kept = Vec::new();
    for name in ["salt-a", "salt-b"] {
        let dir = TempDir::new(name);
        let first = cloud(&dir, SimConfig::default());
        let created = first
            .provider("aws")
            .create("aws_db_instance", &config, "tok-1")
            .await
            .unwrap();
        let marker = created.attributes["password"].clone();
        assert!(is_redacted(&marker), "{marker}");
        assert!(matches_redacted(&json!("hunter2"), &marker));
        assert!(!marker.to_string().contains("hunter2"));
        // Reopened, the directory keeps its salt.
        let again = cloud(&dir, SimConfig::default());
        let read = again
            .provider("aws")
            .read("aws_db_instance", &created.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read["password"], marker);
        kept.push(marker);
    }
    // Two clouds, two salts: one value, two hashes.
    assert_ne!(kept[0]["salt"], kept[1]["salt"]);
    assert_ne!(kept[0]["sensitive_sha256"], kept[1]["sensitive_sha256"]);
}
