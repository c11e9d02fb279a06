use onioncloud_core::{Env, Meta, SecretRef};
use serde_json::{Value as Json, json};

use super::{ceph, openstack, proxmox};
use crate::schema::{ProviderSchema, check_module};

/// One of each private-cloud type, with a Ceph bucket beside a real AWS
/// bucket.
fn declare(env: &mut Env) {
    env.provider(proxmox::Provider::endpoint_with_api_token(
        "https://pve.dc1.example.internal:8006/",
        SecretRef::vault("secret", "proxmox/terraform", "api_token"),
    ));
    let vm = env.add(
        "web_1",
        proxmox::VirtualEnvironmentVm::new("pve1")
            .name("web-1")
            .vm_id(4321)
            .tags(["terraform", "web"])
            .started(true)
            .on_boot(true)
            .cloned_from(proxmox::VmClone::new(9000).full(true))
            .cpu(proxmox::VmCpu::new().cores(2).r#type("x86-64-v2-AES"))
            .memory(proxmox::VmMemory::new().dedicated(2048))
            .disk(
                proxmox::VmDisk::new("scsi0")
                    .datastore_id("local-lvm")
                    .size(20)
                    .file_format("raw"),
            )
            .network_device(
                proxmox::VmNetworkDevice::new()
                    .bridge("vmbr0")
                    .model("virtio")
                    .vlan_id(20),
            )
            .initialization(
                proxmox::VmInitialization::new()
                    .ip_config(proxmox::VmIpConfig::static_ipv4(
                        "10.20.0.11/24",
                        "10.20.0.1",
                    ))
                    .user_account(
                        proxmox::VmUserAccount::new()
                            .username("ops")
                            .keys(["ssh-ed25519 AAAA ops@example"]),
                    ),
            )
            .agent(proxmox::VmAgent::new().enabled(true)),
    );
    env.output::<String>("web_1_ip", vm.ipv4_addresses().index(1).index(0));
    env.output::<i64>("web_1_vm_id", vm.vm_id());

    env.provider(openstack::Provider::cloud("dc1"));
    let net = env.add(
        "app",
        openstack::NetworkingNetworkV2::new()
            .name("app")
            .admin_state_up(true),
    );
    env.add(
        "app",
        openstack::NetworkingSubnetV2::new(net.id())
            .name("app")
            .cidr("10.30.0.0/24")
            .ip_version(4)
            .dns_nameservers(["10.30.0.2"])
            .allocation_pool(openstack::AllocationPool::new(
                "10.30.0.10",
                "10.30.0.200",
            )),
    );
    let sg = env.add(
        "web",
        openstack::NetworkingSecgroupV2::new("web")
            .description("web servers")
            .delete_default_rules(true),
    );
    env.add(
        "web_https",
        openstack::NetworkingSecgroupRuleV2::new("ingress", "IPv4", sg.id())
            .protocol("tcp")
            .port_range_min(443)
            .port_range_max(443)
            .remote_ip_prefix("0.0.0.0/0"),
    );
    let instance = env.add(
        "web_2",
        openstack::ComputeInstanceV2::new("web-2")
            .image_name("debian-12")
            .flavor_name("m1.small")
            .key_pair("ops")
            .security_groups(vec![sg.name()])
            .metadata([("role", "web")])
            .user_data("#cloud-config\n{}\n")
            .network(
                openstack::InstanceNetwork::new()
                    .uuid(net.id())
                    .fixed_ip_v4("10.30.0.20"),
            ),
    );
    env.output::<String>("web_2_ip", instance.access_ip_v4());

    env.provider(ceph::Provider::rgw(
        "ceph",
        "https://rgw.dc1.example.internal",
    ));
}

fn synth(env: Env) -> std::collections::BTreeMap<String, Json> {
    let compiled = env.compile().expect("the environment compiles");
    onioncloud_core::terraform::synth(&compiled)
        .expect("synth")
        .into_iter()
        .map(|(path, text)| {
            (path, serde_json::from_str(&text).expect("valid JSON"))
        })
        .collect()
}

#[test]
fn proxmox_vm_synthesizes_with_blocks_as_arrays() {
    let mut env = Env::new("private");
    declare(&mut env);
    let files = synth(env);
    let module = &files["proxmox/main.tf.json"];
    assert_eq!(
        module["terraform"]["required_providers"]["proxmox"],
        json!({ "source": "bpg/proxmox", "version": "~> 0.66" })
    );
    // The token is read from Vault, never written out.
    let provider = &module["provider"]["proxmox"][0];
    assert_eq!(
        provider["endpoint"],
        "https://pve.dc1.example.internal:8006/"
    );
    assert_eq!(provider["insecure"], false);
    assert_eq!(
        provider["api_token"],
        "${data.vault_kv_secret_v2.proxmox_terraform_api_token\
         .data[\"api_token\"]}"
    );
    assert!(module["data"]["vault_kv_secret_v2"].is_object());

    let vm = &module["resource"]["proxmox_virtual_environment_vm"]["web_1"];
    assert_eq!(vm["node_name"], "pve1");
    assert_eq!(vm["vm_id"], 4321);
    assert_eq!(vm["tags"], json!(["terraform", "web"]));
    assert_eq!(vm["started"], true);
    assert_eq!(vm["on_boot"], true);
    assert_eq!(vm["clone"], json!([{ "vm_id": 9000, "full": true }]));
    assert_eq!(vm["cpu"], json!([{ "cores": 2, "type": "x86-64-v2-AES" }]));
    assert_eq!(vm["memory"], json!([{ "dedicated": 2048 }]));
    assert_eq!(
        vm["disk"],
        json!([{
            "interface": "scsi0",
            "datastore_id": "local-lvm",
            "size": 20,
            "file_format": "raw",
        }])
    );
    assert_eq!(
        vm["network_device"],
        json!([{ "bridge": "vmbr0", "model": "virtio", "vlan_id": 20 }])
    );
    assert_eq!(
        vm["initialization"],
        json!([{
            "ip_config": [{
                "ipv4": [{
                    "address": "10.20.0.11/24",
                    "gateway": "10.20.0.1",
                }],
            }],
            "user_account": [{
                "username": "ops",
                "keys": ["ssh-ed25519 AAAA ops@example"],
            }],
        }])
    );
    assert_eq!(vm["agent"], json!([{ "enabled": true }]));
    assert_eq!(
        module["output"]["web_1_ip"]["value"],
        "${proxmox_virtual_environment_vm.web_1.ipv4_addresses[1][0]}"
    );
    assert_eq!(
        module["output"]["web_1_vm_id"]["value"],
        "${proxmox_virtual_environment_vm.web_1.vm_id}"
    );
}

#[test]
fn proxmox_endpoint_leaves_the_token_to_the_environment() {
    let config = proxmox::Provider::endpoint("https://pve:8006/");
    assert_eq!(config.name.as_str(), "proxmox");
    assert_eq!(config.source, "bpg/proxmox");
    assert!(!config.settings.contains_key("api_token"));
}

#[test]
fn openstack_resources_reference_each_other() {
    let mut env = Env::new("private");
    declare(&mut env);
    let files = synth(env);
    let module = &files["openstack/main.tf.json"];
    assert_eq!(
        module["terraform"]["required_providers"]["openstack"],
        json!({
            "source": "terraform-provider-openstack/openstack",
            "version": "~> 3.0",
        })
    );
    assert_eq!(module["provider"]["openstack"], json!([{ "cloud": "dc1" }]));
    let resources = &module["resource"];
    assert_eq!(
        resources["openstack_networking_network_v2"]["app"],
        json!({ "name": "app", "admin_state_up": true })
    );
    let subnet = &resources["openstack_networking_subnet_v2"]["app"];
    assert_eq!(
        subnet["network_id"],
        "${openstack_networking_network_v2.app.id}"
    );
    assert_eq!(subnet["ip_version"], 4);
    assert_eq!(subnet["dns_nameservers"], json!(["10.30.0.2"]));
    assert_eq!(
        subnet["allocation_pool"],
        json!([{ "start": "10.30.0.10", "end": "10.30.0.200" }])
    );
    let rule = &resources["openstack_networking_secgroup_rule_v2"]["web_https"];
    assert_eq!(
        rule["security_group_id"],
        "${openstack_networking_secgroup_v2.web.id}"
    );
    assert_eq!(rule["port_range_min"], 443);
    assert_eq!(rule["ethertype"], "IPv4");
    let instance = &resources["openstack_compute_instance_v2"]["web_2"];
    assert_eq!(
        instance["security_groups"],
        json!(["${openstack_networking_secgroup_v2.web.name}"])
    );
    assert_eq!(
        instance["network"],
        json!([{
            "uuid": "${openstack_networking_network_v2.app.id}",
            "fixed_ip_v4": "10.30.0.20",
        }])
    );
    assert_eq!(instance["metadata"], json!({ "role": "web" }));
    assert_eq!(
        module["output"]["web_2_ip"]["value"],
        "${openstack_compute_instance_v2.web_2.access_ip_v4}"
    );
}

/// Every OpenStack type with every setter and block, both provider
/// configurations and every typed output, synthesized.
fn openstack_module() -> Json {
    use openstack::*;

    let mut env = Env::new("openstack");
    env.provider(Provider::cloud("dc1"));
    env.provider(
        Provider::auth_url(
            "https://keystone.dc1.example.internal:5000/v3",
            "RegionOne",
        )
        .alias("keystone"),
    );
    let net = env.add(
        "app",
        NetworkingNetworkV2::new()
            .name("app")
            .description("application network")
            .admin_state_up(true)
            .shared(false)
            .external(false)
            .mtu(1450)
            .port_security_enabled(true)
            .tags(vec!["app".to_owned()])
            .region("RegionOne"),
    );
    let subnet = env.add(
        "app",
        NetworkingSubnetV2::new(net.id())
            .cidr("10.30.0.0/24")
            .ip_version(4)
            .name("app")
            .description("application subnet")
            .dns_nameservers(vec!["10.30.0.2".to_owned()])
            .gateway_ip("10.30.0.1")
            .enable_dhcp(true)
            .tags(vec!["app".to_owned()])
            .region("RegionOne")
            .allocation_pool(AllocationPool::new("10.30.0.10", "10.30.0.99"))
            .allocation_pool(AllocationPool::new("10.30.0.110", "10.30.0.199")),
    );
    let pooled = env.add(
        "pooled",
        NetworkingSubnetV2::new(net.id())
            .subnetpool_id("pool-1")
            .prefix_length(26)
            .no_gateway(true),
    );
    let sg = env.add(
        "web",
        NetworkingSecgroupV2::new("web")
            .description("web servers")
            .delete_default_rules(true)
            .stateful(true)
            .tags(vec!["web".to_owned()])
            .region("RegionOne"),
    );
    let https = env.add(
        "web_https",
        NetworkingSecgroupRuleV2::new("ingress", "IPv4", sg.id())
            .protocol("tcp")
            .port_range_min(443)
            .port_range_max(443)
            .remote_ip_prefix("0.0.0.0/0")
            .description("HTTPS from anywhere")
            .region("RegionOne"),
    );
    env.add(
        "web_peers",
        NetworkingSecgroupRuleV2::new("ingress", "IPv4", sg.id())
            .remote_group_id(sg.id()),
    );
    let web = env.add(
        "web",
        ComputeInstanceV2::new("web")
            .image_name("debian-12")
            .flavor_name("m1.small")
            .key_pair("ops")
            .security_groups(vec![sg.name()])
            .availability_zone("nova")
            .metadata([("role", "web")])
            .user_data("#cloud-config\n{}\n")
            .config_drive(true)
            .power_state("active")
            .stop_before_destroy(true)
            .tags(vec!["web".to_owned()])
            .region("RegionOne")
            .network(
                InstanceNetwork::new()
                    .uuid(net.id())
                    .fixed_ip_v4("10.30.0.20")
                    .access_network(true),
            )
            .network(InstanceNetwork::new().name("public").fixed_ip_v6("::20"))
            .network(InstanceNetwork::new().port("port-1")),
    );
    let db = env.add(
        "db",
        ComputeInstanceV2::new("db")
            .image_id("image-1")
            .flavor_id("flavor-1")
            .block_device(
                BlockDevice::new("image")
                    .uuid("image-1")
                    .destination_type("volume")
                    .volume_size(40)
                    .volume_type("ssd")
                    .boot_index(0)
                    .delete_on_termination(true),
            )
            .block_device(BlockDevice::new("blank").volume_size(100)),
    );
    env.output::<String>("net_id", net.id());
    env.output::<String>("net_name", net.name());
    env.output::<String>("subnet_id", subnet.id());
    env.output::<String>("subnet_cidr", pooled.cidr());
    env.output::<String>("subnet_gateway", subnet.gateway_ip());
    env.output::<String>("sg_name", sg.name());
    env.output::<String>("rule_id", https.id());
    env.output::<String>("web_id", web.id());
    env.output::<String>("web_ip_v4", web.access_ip_v4());
    env.output::<String>("web_ip_v6", web.access_ip_v6());
    env.output::<String>("web_fixed_ip", web.fixed_ip_v4());
    env.output::<String>("db_id", db.id());
    synth(env)
        .remove("openstack/main.tf.json")
        .expect("an openstack module")
}

/// Every problem the schema check finds in an OpenStack module.
fn openstack_problems(module: &Json) -> Vec<String> {
    check_module(module, ProviderSchema::openstack())
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn openstack_types_match_the_provider_schema() {
    let module = openstack_module();
    let declared: Vec<&str> = module["resource"]
        .as_object()
        .expect("resources")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        openstack::NetworkingNetworkV2::TYPE,
        openstack::NetworkingSubnetV2::TYPE,
        openstack::NetworkingSecgroupV2::TYPE,
        openstack::NetworkingSecgroupRuleV2::TYPE,
        openstack::ComputeInstanceV2::TYPE,
    ];
    expected.sort();
    assert_eq!(declared, expected);
    assert_eq!(
        module["provider"]["openstack"].as_array().map(Vec::len),
        Some(2)
    );
    let problems = openstack_problems(&module);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_schema_check_reports_what_the_provider_lacks() {
    let mut module = openstack_module();
    let resources = &mut module["resource"];
    let net = &mut resources["openstack_networking_network_v2"]["app"];
    net["bogus_key"] = json!(true);
    let subnet = &mut resources["openstack_networking_subnet_v2"]["app"];
    subnet["allocation_pool"][0]["bogus_pool_key"] = json!("x");
    subnet["all_tags"] = json!(["output-only"]);
    subnet.as_object_mut().unwrap().remove("network_id");
    let rule = &mut resources["openstack_networking_secgroup_rule_v2"];
    rule["web_https"]["depends_on"] = json!([]);
    resources["openstack_networking_bogus_v2"] = json!({ "x": {} });
    module["provider"]["openstack"][0]["bogus_setting"] = json!("x");
    module["output"]["bogus"] = json!({
        "value": "${openstack_compute_instance_v2.web.network[0].bogus_ip}",
    });

    let problems = openstack_problems(&module);
    let expected = [
        "openstack_networking_network_v2.app.bogus_key: not in the schema",
        "openstack_networking_subnet_v2.app.allocation_pool[0]\
         .bogus_pool_key: not in the schema",
        "openstack_networking_subnet_v2.app.all_tags: output-only",
        "openstack_networking_subnet_v2.app: required `network_id` missing",
        "openstack_networking_bogus_v2: no such resource type",
        "provider.openstack[0].bogus_setting: not in the schema",
        "${openstack_compute_instance_v2.web.network.bogus_ip}: \
         not in the schema",
    ];
    let mut sorted_problems = problems.clone();
    sorted_problems.sort();
    let mut sorted_expected = expected.map(str::to_owned).to_vec();
    sorted_expected.sort();
    assert_eq!(sorted_problems, sorted_expected);
}

#[test]
fn ceph_gateway_is_an_aliased_aws_provider() {
    let mut env = Env::new("private");
    declare(&mut env);
    env.provider(
        onioncloud_core::ProviderConfig::new(
            "aws",
            "hashicorp/aws",
            "~> 5.100",
        )
        .setting("region", "eu-west-1"),
    );
    let rgw = ceph::Provider::rgw("ceph", "https://rgw.dc1.example.internal")
        .reference();
    env.add_with(
        "backups",
        onioncloud_core::GenericResource::new("aws_s3_bucket")
            .set("bucket", "backups"),
        Meta::new().provider(&rgw),
    );
    env.add(
        "logs",
        onioncloud_core::GenericResource::new("aws_s3_bucket")
            .set("bucket", "acme-logs"),
    );
    let files = synth(env);
    let module = &files["aws/main.tf.json"];
    assert_eq!(
        module["provider"]["aws"],
        json!([
            { "region": "eu-west-1" },
            {
                "alias": "ceph",
                "region": "us-east-1",
                "endpoints": [{ "s3": "https://rgw.dc1.example.internal" }],
                "s3_use_path_style": true,
                "skip_credentials_validation": true,
                "skip_requesting_account_id": true,
                "skip_region_validation": true,
                "skip_metadata_api_check": "true",
            },
        ])
    );
    let buckets = &module["resource"]["aws_s3_bucket"];
    assert_eq!(buckets["backups"]["provider"], "aws.ceph");
    assert!(buckets["logs"].get("provider").is_none());
}

#[cfg(feature = "aws")]
#[test]
fn ceph_buckets_are_typed_s3_buckets() {
    let mut env = Env::new("ceph");
    let rgw = env.provider(ceph::Provider::rgw_with_keys(
        "ceph",
        "https://rgw.dc1.example.internal",
        SecretRef::vault("secret", "ceph/s3", "access_key"),
        SecretRef::vault("secret", "ceph/s3", "secret_key"),
    ));
    env.add_with(
        "backups",
        crate::aws::S3Bucket::new().bucket("backups"),
        Meta::new().provider(&rgw),
    );
    let files = synth(env);
    let module = &files["aws/main.tf.json"];
    let provider = &module["provider"]["aws"][0];
    assert_eq!(provider["alias"], "ceph");
    assert_eq!(
        provider["access_key"],
        "${data.vault_kv_secret_v2.ceph_s3_access_key.data[\"access_key\"]}"
    );
    assert_eq!(
        module["resource"]["aws_s3_bucket"]["backups"]["provider"],
        "aws.ceph"
    );
}
