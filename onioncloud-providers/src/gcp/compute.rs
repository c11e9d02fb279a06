//! Compute Engine virtual machines.

use std::collections::BTreeMap;

use onioncloud_core::Output;

use super::*;

block! {
    /// How a new boot disk is created (`initialize_params`).
    pub struct InitializeParams {
        required {}
        optional {
            /// The image, such as `debian-cloud/debian-12`.
            image: String,
            /// The size in GB; the image's size when unset.
            size: i64,
            /// The disk type, such as `pd-balanced` or `pd-ssd`.
            r#type: String,
            /// Labels of the disk.
            labels: BTreeMap<String, String>,
        }
        blocks {}
    }
}

block! {
    /// The boot disk of an instance (`boot_disk`).
    pub struct BootDisk {
        required {}
        optional {
            /// Whether the disk is deleted with the instance; `true` when
            /// unset.
            auto_delete: bool,
            /// The device name inside the guest.
            device_name: String,
            /// An existing disk to boot from, instead of
            /// `initialize_params`.
            source: String,
            /// `READ_WRITE` (the default) or `READ_ONLY`.
            mode: String,
            /// The Cloud KMS key that encrypts the disk (customer-managed
            /// encryption); Google-managed keys when unset.
            kms_key_self_link: String,
            /// The service account that uses the KMS key.
            disk_encryption_service_account: String,
        }
        blocks {
            /// How the disk is created.
            initialize_params: InitializeParams,
        }
    }
}

block! {
    /// An external IPv4 address of a network interface (`access_config`).
    /// An empty block gives an ephemeral public address.
    pub struct AccessConfig {
        required {}
        optional {
            /// A reserved static address; ephemeral when unset.
            nat_ip: String,
            /// `PREMIUM` or `STANDARD`.
            network_tier: String,
        }
        blocks {}
    }
}

block! {
    /// An alias IP range of a network interface (`alias_ip_range`).
    pub struct AliasIpRange {
        required {
            /// The range, such as `/24` or `10.1.2.0/24`.
            ip_cidr_range: String,
        }
        optional {
            /// The subnetwork's secondary range the alias comes from.
            subnetwork_range_name: String,
        }
        blocks {}
    }
}

block! {
    /// A network interface of an instance (`network_interface`). With no
    /// `access_config` the instance has no public address.
    pub struct NetworkInterface {
        required {}
        optional {
            /// The network, by name, id or self link.
            network: String,
            /// The subnetwork, by name, id or self link.
            subnetwork: String,
            /// The subnetwork's project, for Shared VPC.
            subnetwork_project: String,
            /// A fixed internal IPv4 address.
            network_ip: String,
            /// `IPV4_ONLY` or `IPV4_IPV6`.
            stack_type: String,
            /// `VIRTIO_NET` or `GVNIC`.
            nic_type: String,
        }
        blocks {
            /// An external address.
            access_config: AccessConfig,
            /// An alias IP range.
            alias_ip_range: AliasIpRange,
        }
    }
}

block! {
    /// Shielded VM options (`shielded_instance_config`).
    pub struct ShieldedInstanceConfig {
        required {}
        optional {
            /// Secure Boot.
            enable_secure_boot: bool,
            /// The virtual TPM.
            enable_vtpm: bool,
            /// Integrity monitoring.
            enable_integrity_monitoring: bool,
        }
        blocks {}
    }
}

block! {
    /// The service account an instance runs as (`service_account`).
    pub struct ServiceAccount {
        required {
            /// OAuth scopes, such as `cloud-platform`.
            scopes: Vec<String>,
        }
        optional {
            /// The account's email; the Compute Engine default account
            /// when unset.
            email: String,
        }
        blocks {}
    }
}

block! {
    /// Scheduling options (`scheduling`).
    pub struct Scheduling {
        required {}
        optional {
            /// Whether the instance restarts after a crash.
            automatic_restart: bool,
            /// `MIGRATE` or `TERMINATE`.
            on_host_maintenance: String,
            /// Whether the instance is preemptible.
            preemptible: bool,
            /// `STANDARD` or `SPOT`.
            provisioning_model: String,
        }
        blocks {}
    }
}

required_block!(BootDisk, NetworkInterface);

resource! {
    /// A Compute Engine virtual machine (`google_compute_instance`).
    ///
    /// The boot disk and the first network interface are constructor
    /// arguments, since the provider requires them;
    /// [`network_interface`](Self::network_interface) adds more.
    pub struct ComputeInstance("google_compute_instance")
        -> ComputeInstanceOutputs
    {
        required {
            /// The instance's name.
            name: String,
            /// The machine type, such as `e2-small`.
            machine_type: String,
            /// The boot disk.
            boot_disk: BootDisk,
            /// The first network interface.
            network_interface: NetworkInterface,
        }
        optional {
            /// The zone, when not the provider's.
            zone: String,
            /// Metadata key/value pairs, such as `enable-oslogin`.
            metadata: BTreeMap<String, String>,
            /// A startup script, run on every boot.
            metadata_startup_script: String,
            /// Labels.
            labels: BTreeMap<String, String>,
            /// Network tags, which firewall rules select.
            tags: Vec<String>,
            /// Whether Terraform may stop the instance to update it.
            allow_stopping_for_update: bool,
            /// Whether the instance may route packets not addressed to it.
            can_ip_forward: bool,
            /// Whether the API refuses to delete the instance.
            deletion_protection: bool,
            /// A description.
            description: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// Another network interface.
            network_interface: NetworkInterface,
            /// Shielded VM options.
            shielded_instance_config: ShieldedInstanceConfig,
            /// The service account.
            service_account: ServiceAccount,
            /// Scheduling options.
            scheduling: Scheduling,
        }
        outputs {
            /// The instance's id.
            id: String,
            /// The numeric id Google assigned.
            instance_id: String,
            /// The instance's name.
            name: String,
            /// The instance's URI.
            self_link: String,
            /// The zone.
            zone: String,
        }
    }
}

impl ComputeInstanceOutputs {
    /// The internal IPv4 address of the first network interface.
    pub fn network_ip(&self) -> Output<String> {
        Output::attr(&self.address, "network_interface[0].network_ip")
    }

    /// The external IPv4 address of the first network interface's first
    /// access config; unknown when it has none.
    pub fn nat_ip(&self) -> Output<String> {
        Output::attr(
            &self.address,
            "network_interface[0].access_config[0].nat_ip",
        )
    }
}
