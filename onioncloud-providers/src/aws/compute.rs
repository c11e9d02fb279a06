//! Compute: EC2 instances.

use std::collections::BTreeMap;

use super::*;

block! {
    /// The root volume of an instance (`aws_instance`'s
    /// `root_block_device`).
    pub struct RootBlockDevice {
        required {}
        optional {
            /// Whether the volume is encrypted.
            encrypted: bool,
            /// The KMS key that encrypts the volume.
            kms_key_id: String,
            /// Size in GiB.
            volume_size: i64,
            /// `gp3`, `gp2`, `io1`, `io2`, `st1`, `sc1` or `standard`.
            volume_type: String,
            /// Provisioned IOPS (`io1`, `io2`, `gp3`).
            iops: i64,
            /// Throughput in MiB/s (`gp3`).
            throughput: i64,
            /// Whether the volume is deleted with the instance.
            delete_on_termination: bool,
            /// Tags of the volume.
            tags: BTreeMap<String, String>,
        }
        blocks {}
    }
}

block! {
    /// An extra EBS volume attached at launch (`aws_instance`'s
    /// `ebs_block_device`).
    pub struct EbsBlockDevice {
        required {
            /// The device name, such as `/dev/sdf`.
            device_name: String,
        }
        optional {
            /// Whether the volume is encrypted.
            encrypted: bool,
            /// The KMS key that encrypts the volume.
            kms_key_id: String,
            /// Size in GiB.
            volume_size: i64,
            /// `gp3`, `gp2`, `io1`, `io2`, `st1`, `sc1` or `standard`.
            volume_type: String,
            /// Provisioned IOPS (`io1`, `io2`, `gp3`).
            iops: i64,
            /// Throughput in MiB/s (`gp3`).
            throughput: i64,
            /// The snapshot to create the volume from.
            snapshot_id: String,
            /// Whether the volume is deleted with the instance.
            delete_on_termination: bool,
            /// Tags of the volume.
            tags: BTreeMap<String, String>,
        }
        blocks {}
    }
}

block! {
    /// The instance metadata service settings (`aws_instance`'s
    /// `metadata_options`).
    pub struct MetadataOptions {
        required {}
        optional {
            /// `required` for IMDSv2 only (recommended) or `optional`.
            http_tokens: String,
            /// `enabled` or `disabled`.
            http_endpoint: String,
            /// The hop limit of metadata responses, 1 to 64.
            http_put_response_hop_limit: i64,
            /// Whether instance tags are readable from metadata:
            /// `enabled` or `disabled`.
            instance_metadata_tags: String,
        }
        blocks {}
    }
}

resource! {
    /// An EC2 instance (`aws_instance`).
    pub struct Instance("aws_instance") -> InstanceOutputs {
        required {
            /// The AMI to boot.
            ami: String,
            /// The instance type, such as `t3.small`.
            instance_type: String,
        }
        optional {
            /// The subnet to launch in.
            subnet_id: String,
            /// The security groups, by id.
            vpc_security_group_ids: Vec<String>,
            /// Whether to give the instance a public IPv4 address.
            associate_public_ip_address: bool,
            /// A fixed private IPv4 address in the subnet.
            private_ip: String,
            /// The availability zone.
            availability_zone: String,
            /// The key pair for SSH.
            key_name: String,
            /// The user data (cloud-init), as text.
            user_data: String,
            /// The user data, base64-encoded (for binary or gzipped data).
            user_data_base64: String,
            /// Whether changing the user data replaces the instance rather
            /// than updating it in place.
            user_data_replace_on_change: bool,
            /// The IAM instance profile, by name.
            iam_instance_profile: String,
            /// Whether detailed (one-minute) monitoring is on.
            monitoring: bool,
            /// Whether the instance is EBS-optimised.
            ebs_optimized: bool,
            /// Whether API termination is disabled.
            disable_api_termination: bool,
            /// Whether the instance may route traffic not addressed to it
            /// (false for NAT instances).
            source_dest_check: bool,
            /// Tags.
            tags: BTreeMap<String, String>,
            /// Tags for the volumes created at launch.
            volume_tags: BTreeMap<String, String>,
        }
        blocks {
            /// The root volume (at most one).
            root_block_device: RootBlockDevice,
            /// An extra EBS volume.
            ebs_block_device: EbsBlockDevice,
            /// The metadata service settings (at most one).
            metadata_options: MetadataOptions,
        }
        outputs {
            /// The instance's id.
            id: String,
            /// The instance's ARN.
            arn: String,
            /// The private IPv4 address.
            private_ip: String,
            /// The public IPv4 address, if any.
            public_ip: String,
            /// The private DNS name.
            private_dns: String,
            /// The public DNS name, if any.
            public_dns: String,
            /// The availability zone.
            availability_zone: String,
            /// The id of the primary network interface.
            primary_network_interface_id: String,
        }
    }
}
