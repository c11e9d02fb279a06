//! Networking: VPCs, subnets, routing and security groups.

use std::collections::BTreeMap;

use onioncloud_core::{Input, Value};

use super::*;

resource! {
    /// A VPC (`aws_vpc`).
    pub struct Vpc("aws_vpc") -> VpcOutputs {
        required {
            /// The IPv4 CIDR block.
            cidr_block: String,
        }
        optional {
            /// Whether instances get public DNS hostnames.
            enable_dns_hostnames: bool,
            /// Whether the Amazon DNS server is on.
            enable_dns_support: bool,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The VPC's id.
            id: String,
            /// The VPC's ARN.
            arn: String,
            /// The id of the VPC's default security group.
            default_security_group_id: String,
            /// The id of the VPC's main route table.
            main_route_table_id: String,
        }
    }
}

resource! {
    /// A subnet of a VPC (`aws_subnet`).
    pub struct Subnet("aws_subnet") -> SubnetOutputs {
        required {
            /// The VPC.
            vpc_id: String,
            /// The IPv4 CIDR block.
            cidr_block: String,
        }
        optional {
            /// The availability zone, such as `eu-west-1a`.
            availability_zone: String,
            /// Whether instances launched here get a public IP address.
            map_public_ip_on_launch: bool,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The subnet's id.
            id: String,
            /// The subnet's ARN.
            arn: String,
        }
    }
}

/// An ingress or egress rule written inline in a security group
/// (`aws_security_group`'s `ingress` and `egress`).
///
/// In Terraform JSON these are attributes of type set of objects, not
/// blocks, so every field of every rule must be present: the constructor
/// fills the fields a rule leaves unset with empty values (`[]`, `""`,
/// `false`), which is also what the provider stores for them.
#[derive(Clone, Debug, PartialEq)]
pub struct SecurityGroupRule {
    attributes: onioncloud_core::Attributes,
}

impl SecurityGroupRule {
    /// A rule for ports `from_port` to `to_port` of `protocol` (`tcp`,
    /// `udp`, `icmp`, or `-1` for all, with ports `0`), allowing no source
    /// yet.
    pub fn new(
        from_port: impl Into<Input<i64>>,
        to_port: impl Into<Input<i64>>,
        protocol: impl Into<Input<String>>,
    ) -> Self {
        let empty = || Value::List(Vec::new());
        let attributes = onioncloud_core::Attributes::from([
            ("cidr_blocks".to_owned(), empty()),
            ("description".to_owned(), Value::from("")),
            ("from_port".to_owned(), from_port.into().into_value()),
            ("ipv6_cidr_blocks".to_owned(), empty()),
            ("prefix_list_ids".to_owned(), empty()),
            ("protocol".to_owned(), protocol.into().into_value()),
            ("security_groups".to_owned(), empty()),
            ("self".to_owned(), Value::Bool(false)),
            ("to_port".to_owned(), to_port.into().into_value()),
        ]);
        Self { attributes }
    }

    fn with(mut self, name: &str, value: Value) -> Self {
        self.attributes.insert(name.to_owned(), value);
        self
    }

    /// IPv4 CIDR blocks allowed (`cidr_blocks`).
    pub fn cidr_blocks(self, value: impl Into<Input<Vec<String>>>) -> Self {
        self.with("cidr_blocks", value.into().into_value())
    }

    /// IPv6 CIDR blocks allowed (`ipv6_cidr_blocks`).
    pub fn ipv6_cidr_blocks(
        self,
        value: impl Into<Input<Vec<String>>>,
    ) -> Self {
        self.with("ipv6_cidr_blocks", value.into().into_value())
    }

    /// Managed prefix list ids allowed (`prefix_list_ids`).
    pub fn prefix_list_ids(self, value: impl Into<Input<Vec<String>>>) -> Self {
        self.with("prefix_list_ids", value.into().into_value())
    }

    /// Security group ids allowed (`security_groups`).
    pub fn security_groups(self, value: impl Into<Input<Vec<String>>>) -> Self {
        self.with("security_groups", value.into().into_value())
    }

    /// Whether the security group itself is a source (`self`).
    pub fn self_(self, value: impl Into<Input<bool>>) -> Self {
        self.with("self", value.into().into_value())
    }

    /// A description (`description`).
    pub fn description(self, value: impl Into<Input<String>>) -> Self {
        self.with("description", value.into().into_value())
    }
}

impl From<SecurityGroupRule> for Value {
    fn from(rule: SecurityGroupRule) -> Value {
        Value::Map(rule.attributes)
    }
}

resource! {
    /// A security group (`aws_security_group`).
    ///
    /// Its rules are either inline (`ingress`, `egress`) or separate
    /// [`VpcSecurityGroupIngressRule`] and [`VpcSecurityGroupEgressRule`]
    /// resources, never both: the two fight over the group's rules. With
    /// inline rules, the group holds exactly the rules given; without any,
    /// it leaves its rules to other resources.
    pub struct SecurityGroup("aws_security_group") -> SecurityGroupOutputs {
        required {
            /// The VPC.
            vpc_id: String,
        }
        optional {
            /// The name; Terraform picks a unique one when unset.
            name: String,
            /// A prefix for a unique name Terraform picks.
            name_prefix: String,
            /// A description; changing it replaces the group.
            description: String,
            /// Whether to remove the group's rules before deleting it, for
            /// groups that refer to each other.
            revoke_rules_on_delete: bool,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {
            /// An inbound rule.
            ingress: SecurityGroupRule,
            /// An outbound rule.
            egress: SecurityGroupRule,
        }
        outputs {
            /// The group's id.
            id: String,
            /// The group's ARN.
            arn: String,
            /// The group's name.
            name: String,
        }
    }
}

resource! {
    /// An inbound rule of a security group, as its own resource
    /// (`aws_vpc_security_group_ingress_rule`).
    pub struct VpcSecurityGroupIngressRule(
        "aws_vpc_security_group_ingress_rule"
    ) -> VpcSecurityGroupIngressRuleOutputs {
        required {
            /// The security group the rule belongs to.
            security_group_id: String,
            /// Protocol: `tcp`, `udp`, `icmp`, `icmpv6` or `-1` for all
            /// (then without ports).
            ip_protocol: String,
        }
        optional {
            /// First port (or ICMP type).
            from_port: i64,
            /// Last port (or ICMP code).
            to_port: i64,
            /// The IPv4 CIDR range allowed in.
            cidr_ipv4: String,
            /// The IPv6 CIDR range allowed in.
            cidr_ipv6: String,
            /// The managed prefix list allowed in.
            prefix_list_id: String,
            /// The security group allowed in.
            referenced_security_group_id: String,
            /// A description.
            description: String,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The rule's id.
            id: String,
            /// The rule's ARN.
            arn: String,
            /// The rule's id in EC2 (`sgr-...`).
            security_group_rule_id: String,
        }
    }
}

resource! {
    /// An outbound rule of a security group, as its own resource
    /// (`aws_vpc_security_group_egress_rule`).
    pub struct VpcSecurityGroupEgressRule(
        "aws_vpc_security_group_egress_rule"
    ) -> VpcSecurityGroupEgressRuleOutputs {
        required {
            /// The security group the rule belongs to.
            security_group_id: String,
            /// Protocol: `tcp`, `udp`, `icmp`, `icmpv6` or `-1` for all
            /// (then without ports).
            ip_protocol: String,
        }
        optional {
            /// First port (or ICMP type).
            from_port: i64,
            /// Last port (or ICMP code).
            to_port: i64,
            /// The IPv4 CIDR range allowed out to.
            cidr_ipv4: String,
            /// The IPv6 CIDR range allowed out to.
            cidr_ipv6: String,
            /// The managed prefix list allowed out to.
            prefix_list_id: String,
            /// The security group allowed out to.
            referenced_security_group_id: String,
            /// A description.
            description: String,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The rule's id.
            id: String,
            /// The rule's ARN.
            arn: String,
            /// The rule's id in EC2 (`sgr-...`).
            security_group_rule_id: String,
        }
    }
}

resource! {
    /// An internet gateway (`aws_internet_gateway`).
    pub struct InternetGateway("aws_internet_gateway")
        -> InternetGatewayOutputs
    {
        required {}
        optional {
            /// The VPC to attach it to.
            vpc_id: String,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The gateway's id.
            id: String,
            /// The gateway's ARN.
            arn: String,
        }
    }
}

resource! {
    /// A route table (`aws_route_table`), its routes declared as separate
    /// [`Route`] resources.
    pub struct RouteTable("aws_route_table") -> RouteTableOutputs {
        required {
            /// The VPC.
            vpc_id: String,
        }
        optional {
            /// Virtual private gateways whose routes propagate here.
            propagating_vgws: Vec<String>,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The table's id.
            id: String,
            /// The table's ARN.
            arn: String,
        }
    }
}

resource! {
    /// A route in a route table (`aws_route`): one destination
    /// (`destination_cidr_block`, `destination_ipv6_cidr_block` or
    /// `destination_prefix_list_id`) and one target.
    pub struct Route("aws_route") -> RouteOutputs {
        required {
            /// The route table.
            route_table_id: String,
        }
        optional {
            /// The IPv4 destination, such as `0.0.0.0/0`.
            destination_cidr_block: String,
            /// The IPv6 destination, such as `::/0`.
            destination_ipv6_cidr_block: String,
            /// The destination managed prefix list.
            destination_prefix_list_id: String,
            /// Target: an internet or virtual private gateway.
            gateway_id: String,
            /// Target: a NAT gateway.
            nat_gateway_id: String,
            /// Target: an egress-only internet gateway (IPv6).
            egress_only_gateway_id: String,
            /// Target: a transit gateway.
            transit_gateway_id: String,
            /// Target: a VPC peering connection.
            vpc_peering_connection_id: String,
            /// Target: a gateway load balancer VPC endpoint.
            vpc_endpoint_id: String,
            /// Target: a network interface.
            network_interface_id: String,
        }
        blocks {}
        outputs {
            /// The route's id.
            id: String,
        }
    }
}

resource! {
    /// The association of a route table with a subnet or a gateway
    /// (`aws_route_table_association`).
    pub struct RouteTableAssociation("aws_route_table_association")
        -> RouteTableAssociationOutputs
    {
        required {
            /// The route table.
            route_table_id: String,
        }
        optional {
            /// The subnet to associate.
            subnet_id: String,
            /// The internet or virtual private gateway to associate.
            gateway_id: String,
        }
        blocks {}
        outputs {
            /// The association's id.
            id: String,
        }
    }
}

block! {
    /// Where and how a flow log to S3 is stored
    /// (`aws_flow_log`'s `destination_options`).
    pub struct FlowLogDestinationOptions {
        required {}
        optional {
            /// `plain-text` or `parquet`.
            file_format: String,
            /// Whether to use Hive-compatible S3 prefixes.
            hive_compatible_partitions: bool,
            /// Whether to partition by hour rather than by day.
            per_hour_partition: bool,
        }
        blocks {}
    }
}

resource! {
    /// A VPC flow log (`aws_flow_log`): the traffic of one VPC, subnet,
    /// network interface or transit gateway, logged to CloudWatch Logs, S3
    /// or Firehose.
    pub struct FlowLog("aws_flow_log") -> FlowLogOutputs {
        required {}
        optional {
            /// The VPC to log.
            vpc_id: String,
            /// The subnet to log.
            subnet_id: String,
            /// The network interface to log.
            eni_id: String,
            /// `ACCEPT`, `REJECT` or `ALL`.
            traffic_type: String,
            /// The ARN of the destination log group, bucket or stream.
            log_destination: String,
            /// `cloud-watch-logs` (the default), `s3` or
            /// `kinesis-data-firehose`.
            log_destination_type: String,
            /// The role that publishes to CloudWatch Logs.
            iam_role_arn: String,
            /// The record format, in flow log field syntax.
            log_format: String,
            /// Seconds over which packets are aggregated: 60 or 600.
            max_aggregation_interval: i64,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {
            /// How records are stored in S3 (at most one).
            destination_options: FlowLogDestinationOptions,
        }
        outputs {
            /// The flow log's id.
            id: String,
            /// The flow log's ARN.
            arn: String,
        }
    }
}
