//! OpenStack: networks, security groups and compute instances through the
//! `terraform-provider-openstack/openstack` provider (version 3).
//!
//! Credentials never appear in the configuration: [`Provider::cloud`]
//! names an entry of `clouds.yaml`, and [`Provider::auth_url`] leaves the
//! rest to the `OS_*` environment variables (`OS_APPLICATION_CREDENTIAL_ID`
//! and `OS_APPLICATION_CREDENTIAL_SECRET`, or a user and password).
//!
//! ```
//! use onioncloud_core::Env;
//! use onioncloud_providers::private::openstack::*;
//!
//! let mut env = Env::new("dc1");
//! env.provider(Provider::cloud("dc1"));
//! let net = env.add("app", NetworkingNetworkV2::new().name("app"));
//! let subnet = env.add(
//!     "app",
//!     NetworkingSubnetV2::new(net.id())
//!         .cidr("10.20.0.0/24")
//!         .ip_version(4),
//! );
//! let sg = env.add("web", NetworkingSecgroupV2::new("web"));
//! env.add(
//!     "web_https",
//!     NetworkingSecgroupRuleV2::new("ingress", "IPv4", sg.id())
//!         .protocol("tcp")
//!         .port_range_min(443)
//!         .port_range_max(443)
//!         .remote_ip_prefix("0.0.0.0/0"),
//! );
//! let vm = env.add(
//!     "web_1",
//!     ComputeInstanceV2::new("web-1")
//!         .image_name("debian-12")
//!         .flavor_name("m1.small")
//!         .security_groups(vec![sg.name()])
//!         .network(InstanceNetwork::new().uuid(net.id())),
//! );
//! env.output::<String>("web_1_ip", vm.access_ip_v4());
//! let _ = subnet;
//! assert!(env.compile().is_ok());
//! ```

use std::collections::BTreeMap;

use onioncloud_core::{ProviderConfig, block, resource};

/// Configurations of the `terraform-provider-openstack/openstack`
/// provider.
pub struct Provider;

impl Provider {
    /// The local name of the provider.
    pub const NAME: &'static str = "openstack";
    /// The registry source.
    pub const SOURCE: &'static str = "terraform-provider-openstack/openstack";
    /// The version constraint.
    pub const VERSION: &'static str = "~> 3.0";

    /// The default configuration for an entry of `clouds.yaml`, which
    /// holds the endpoint, region and credentials.
    pub fn cloud(name: &str) -> ProviderConfig {
        ProviderConfig::new(Self::NAME, Self::SOURCE, Self::VERSION)
            .setting("cloud", name)
    }

    /// The default configuration for a Keystone endpoint and a region;
    /// credentials come from the `OS_*` environment variables.
    pub fn auth_url(url: &str, region: &str) -> ProviderConfig {
        ProviderConfig::new(Self::NAME, Self::SOURCE, Self::VERSION)
            .setting("auth_url", url)
            .setting("region", region)
    }
}

resource! {
    /// A Neutron network (`openstack_networking_network_v2`).
    pub struct NetworkingNetworkV2("openstack_networking_network_v2")
        -> NetworkingNetworkV2Outputs
    {
        required {}
        optional {
            /// The network's name.
            name: String,
            /// A description.
            description: String,
            /// Whether the network is up; `true` when unset.
            admin_state_up: bool,
            /// Whether other projects see the network (admin only).
            shared: bool,
            /// Whether it is an external network (admin only).
            external: bool,
            /// The MTU.
            mtu: i64,
            /// Whether ports get port security by default.
            port_security_enabled: bool,
            /// Tags.
            tags: Vec<String>,
            /// The region, when not the provider's.
            region: String,
        }
        blocks {}
        outputs {
            /// The network's id.
            id: String,
            /// The network's name.
            name: String,
        }
    }
}

block! {
    /// A range of addresses DHCP hands out (`allocation_pool`).
    pub struct AllocationPool {
        required {
            /// The first address.
            start: String,
            /// The last address.
            end: String,
        }
        optional {}
        blocks {}
    }
}

resource! {
    /// A subnet of a Neutron network (`openstack_networking_subnet_v2`).
    pub struct NetworkingSubnetV2("openstack_networking_subnet_v2")
        -> NetworkingSubnetV2Outputs
    {
        required {
            /// The network.
            network_id: String,
        }
        optional {
            /// The range, such as `10.20.0.0/24`; or use a subnet pool.
            cidr: String,
            /// 4 (the default) or 6.
            ip_version: i64,
            /// The subnet's name.
            name: String,
            /// A description.
            description: String,
            /// DNS servers handed out by DHCP.
            dns_nameservers: Vec<String>,
            /// The gateway; the first address when unset.
            gateway_ip: String,
            /// Whether the subnet has no gateway.
            no_gateway: bool,
            /// Whether DHCP is on; `true` when unset.
            enable_dhcp: bool,
            /// A subnet pool to take the range from.
            subnetpool_id: String,
            /// The prefix length, with a subnet pool.
            prefix_length: i64,
            /// Tags.
            tags: Vec<String>,
            /// The region, when not the provider's.
            region: String,
        }
        blocks {
            /// A DHCP allocation pool.
            allocation_pool: AllocationPool,
        }
        outputs {
            /// The subnet's id.
            id: String,
            /// The range.
            cidr: String,
            /// The gateway.
            gateway_ip: String,
        }
    }
}

resource! {
    /// A security group (`openstack_networking_secgroup_v2`).
    pub struct NetworkingSecgroupV2("openstack_networking_secgroup_v2")
        -> NetworkingSecgroupV2Outputs
    {
        required {
            /// The group's name.
            name: String,
        }
        optional {
            /// A description.
            description: String,
            /// Whether the default rules (all egress) are deleted, leaving
            /// only the declared ones.
            delete_default_rules: bool,
            /// Whether the group is stateful; `true` when unset.
            stateful: bool,
            /// Tags.
            tags: Vec<String>,
            /// The region, when not the provider's.
            region: String,
        }
        blocks {}
        outputs {
            /// The group's id.
            id: String,
            /// The group's name, which instances refer to.
            name: String,
        }
    }
}

resource! {
    /// A rule of a security group
    /// (`openstack_networking_secgroup_rule_v2`).
    pub struct NetworkingSecgroupRuleV2(
        "openstack_networking_secgroup_rule_v2"
    ) -> NetworkingSecgroupRuleV2Outputs {
        required {
            /// `ingress` or `egress`.
            direction: String,
            /// `IPv4` or `IPv6`.
            ethertype: String,
            /// The group the rule belongs to.
            security_group_id: String,
        }
        optional {
            /// `tcp`, `udp`, `icmp`, ...; any protocol when unset.
            protocol: String,
            /// The first port.
            port_range_min: i64,
            /// The last port.
            port_range_max: i64,
            /// The remote CIDR.
            remote_ip_prefix: String,
            /// A remote security group, instead of a CIDR.
            remote_group_id: String,
            /// A description.
            description: String,
            /// The region, when not the provider's.
            region: String,
        }
        blocks {}
        outputs {
            /// The rule's id.
            id: String,
        }
    }
}

block! {
    /// A network an instance attaches to (`network`): set one of `uuid`,
    /// `name` and `port`.
    pub struct InstanceNetwork {
        required {}
        optional {
            /// The network's id.
            uuid: String,
            /// The network's name.
            name: String,
            /// A pre-created port.
            port: String,
            /// A fixed IPv4 address.
            fixed_ip_v4: String,
            /// A fixed IPv6 address.
            fixed_ip_v6: String,
            /// Whether this network gives the instance's access address.
            access_network: bool,
        }
        blocks {}
    }
}

block! {
    /// A volume or image attached at boot (`block_device`).
    pub struct BlockDevice {
        required {
            /// `blank`, `image`, `volume` or `snapshot`.
            source_type: String,
        }
        optional {
            /// The source's id.
            uuid: String,
            /// `volume` or `local`.
            destination_type: String,
            /// The volume's size in GB.
            volume_size: i64,
            /// The volume type.
            volume_type: String,
            /// The boot order; 0 is the boot disk.
            boot_index: i64,
            /// Whether the volume is deleted with the instance.
            delete_on_termination: bool,
        }
        blocks {}
    }
}

resource! {
    /// A Nova compute instance (`openstack_compute_instance_v2`).
    pub struct ComputeInstanceV2("openstack_compute_instance_v2")
        -> ComputeInstanceV2Outputs
    {
        required {
            /// The instance's name.
            name: String,
        }
        optional {
            /// The image, by id.
            image_id: String,
            /// The image, by name.
            image_name: String,
            /// The flavor, by id.
            flavor_id: String,
            /// The flavor, by name.
            flavor_name: String,
            /// The key pair for SSH.
            key_pair: String,
            /// Security groups, by name.
            security_groups: Vec<String>,
            /// The availability zone.
            availability_zone: String,
            /// Metadata.
            metadata: BTreeMap<String, String>,
            /// Cloud-init user data.
            user_data: String,
            /// Whether a config drive carries the metadata.
            config_drive: bool,
            /// `active` or `shutoff`.
            power_state: String,
            /// Whether the instance is stopped before it is destroyed.
            stop_before_destroy: bool,
            /// Tags.
            tags: Vec<String>,
            /// The region, when not the provider's.
            region: String,
        }
        blocks {
            /// A network.
            network: InstanceNetwork,
            /// A block device.
            block_device: BlockDevice,
        }
        outputs {
            /// The instance's id.
            id: String,
            /// The instance's IPv4 access address.
            access_ip_v4: String,
            /// The instance's IPv6 access address.
            access_ip_v6: String,
        }
    }
}

impl ComputeInstanceV2Outputs {
    /// The fixed IPv4 address on the instance's first network.
    pub fn fixed_ip_v4(&self) -> onioncloud_core::Output<String> {
        onioncloud_core::Output::attr(&self.address, "network[0].fixed_ip_v4")
    }
}
