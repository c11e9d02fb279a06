//! VPC networks, subnetworks and firewall rules.

use super::*;

resource! {
    /// A VPC network (`google_compute_network`).
    pub struct ComputeNetwork("google_compute_network")
        -> ComputeNetworkOutputs
    {
        required {
            /// The network's name.
            name: String,
        }
        optional {
            /// Whether Google creates a subnetwork in every region; `true`
            /// unless set. Custom-mode networks set it to `false`.
            auto_create_subnetworks: bool,
            /// A description.
            description: String,
            /// Whether the default route to the internet is deleted once
            /// the network exists.
            delete_default_routes_on_create: bool,
            /// The maximum transmission unit in bytes.
            mtu: i64,
            /// The routing mode: `REGIONAL` or `GLOBAL`.
            routing_mode: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {}
        outputs {
            /// The network's id (`projects/P/global/networks/N`).
            id: String,
            /// The network's name.
            name: String,
            /// The network's URI.
            self_link: String,
            /// The numeric id Google assigned.
            numeric_id: String,
        }
    }
}

block! {
    /// Flow logging of a subnetwork (`log_config`).
    pub struct SubnetworkLogConfig {
        required {}
        optional {
            /// How often flows are aggregated, such as `INTERVAL_5_SEC`.
            aggregation_interval: String,
            /// The fraction of flows logged, from 0 to 1.
            flow_sampling: f64,
            /// Which metadata is logged: `INCLUDE_ALL_METADATA`,
            /// `EXCLUDE_ALL_METADATA` or `CUSTOM_METADATA`.
            metadata: String,
            /// The metadata fields, with `CUSTOM_METADATA`.
            metadata_fields: Vec<String>,
            /// A filter expression for the logged flows.
            filter_expr: String,
        }
        blocks {}
    }
}

block! {
    /// A secondary IP range of a subnetwork (`secondary_ip_range`).
    pub struct SubnetworkSecondaryRange {
        required {
            /// The range's name, unique in the subnetwork.
            range_name: String,
            /// The range.
            ip_cidr_range: String,
        }
        optional {}
        blocks {}
    }
}

resource! {
    /// A subnetwork of a VPC network (`google_compute_subnetwork`).
    pub struct ComputeSubnetwork("google_compute_subnetwork")
        -> ComputeSubnetworkOutputs
    {
        required {
            /// The subnetwork's name.
            name: String,
            /// The network, by id or self link.
            network: String,
        }
        optional {
            /// The primary IPv4 range. The provider accepts it or a
            /// `reserved_internal_range`; one of them is needed.
            ip_cidr_range: String,
            /// The region, when not the provider's.
            region: String,
            /// Whether VMs without external addresses reach Google APIs.
            private_ip_google_access: bool,
            /// A description.
            description: String,
            /// `IPV4_ONLY` or `IPV4_IPV6`.
            stack_type: String,
            /// The purpose, such as `PRIVATE` or `REGIONAL_MANAGED_PROXY`.
            purpose: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// VPC flow logging.
            log_config: SubnetworkLogConfig,
            /// A secondary range.
            secondary_ip_range: SubnetworkSecondaryRange,
        }
        outputs {
            /// The subnetwork's id.
            id: String,
            /// The subnetwork's name.
            name: String,
            /// The subnetwork's URI.
            self_link: String,
            /// The gateway address.
            gateway_address: String,
            /// The primary IPv4 range.
            ip_cidr_range: String,
        }
    }
}

block! {
    /// What a firewall rule allows or denies (`allow` and `deny`).
    pub struct FirewallRule {
        required {
            /// The IP protocol: `tcp`, `udp`, `icmp`, `all`, or a number.
            protocol: String,
        }
        optional {
            /// Ports or port ranges such as `"443"` or `"8000-8080"`; all
            /// ports when unset.
            ports: Vec<String>,
        }
        blocks {}
    }
}

block! {
    /// Logging of a firewall rule (`log_config`).
    pub struct FirewallLogConfig {
        required {
            /// `INCLUDE_ALL_METADATA` or `EXCLUDE_ALL_METADATA`.
            metadata: String,
        }
        optional {}
        blocks {}
    }
}

resource! {
    /// A VPC firewall rule (`google_compute_firewall`).
    pub struct ComputeFirewall("google_compute_firewall")
        -> ComputeFirewallOutputs
    {
        required {
            /// The rule's name.
            name: String,
            /// The network, by id or self link.
            network: String,
        }
        optional {
            /// `INGRESS` (the default) or `EGRESS`.
            direction: String,
            /// The priority, 0 to 65535; lower wins.
            priority: i64,
            /// Source CIDR ranges, for ingress rules.
            source_ranges: Vec<String>,
            /// Source network tags, for ingress rules.
            source_tags: Vec<String>,
            /// Destination CIDR ranges, for egress rules.
            destination_ranges: Vec<String>,
            /// The network tags of the instances the rule applies to; all
            /// instances when unset.
            target_tags: Vec<String>,
            /// The service accounts of the instances the rule applies to.
            target_service_accounts: Vec<String>,
            /// A description.
            description: String,
            /// Whether the rule is disabled.
            disabled: bool,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// Traffic the rule allows.
            allow: FirewallRule,
            /// Traffic the rule denies.
            deny: FirewallRule,
            /// Firewall logging.
            log_config: FirewallLogConfig,
        }
        outputs {
            /// The rule's id.
            id: String,
            /// The rule's URI.
            self_link: String,
        }
    }
}
