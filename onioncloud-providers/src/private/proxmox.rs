//! Proxmox VE: virtual machines through the `bpg/proxmox` provider
//! (version 0.66).
//!
//! The provider reaches the cluster's API at an endpoint; its API token is
//! never written into the configuration as text. Either the environment
//! supplies it (`PROXMOX_VE_API_TOKEN`, as `user@realm!token=uuid`), or
//! [`Provider::endpoint_with_api_token`] reads it from a secret store, so
//! that Terraform fetches it at plan time:
//!
//! ```
//! use onioncloud_core::{Env, SecretRef};
//! use onioncloud_providers::private::proxmox;
//!
//! let mut env = Env::new("lab");
//! env.provider(proxmox::Provider::endpoint_with_api_token(
//!     "https://pve.example.internal:8006/",
//!     SecretRef::vault("secret", "proxmox/terraform", "api_token"),
//! ));
//! let vm = env.add(
//!     "web_1",
//!     proxmox::VirtualEnvironmentVm::new("pve1")
//!         .name("web-1")
//!         .tags(["web"])
//!         .cloned_from(proxmox::VmClone::new(9000))
//!         .cpu(proxmox::VmCpu::new().cores(2).r#type("x86-64-v2-AES"))
//!         .memory(proxmox::VmMemory::new().dedicated(2048))
//!         .agent(proxmox::VmAgent::new().enabled(true))
//!         .network_device(proxmox::VmNetworkDevice::new().bridge("vmbr0"))
//!         .initialization(
//!             proxmox::VmInitialization::new()
//!                 .ip_config(proxmox::VmIpConfig::dhcp()),
//!         ),
//! );
//! env.output::<String>("web_1_ip", vm.ipv4_addresses().index(1).index(0));
//! assert!(env.compile().is_ok());
//! ```
//!
//! Some of the provider's operations (uploading snippets, importing disk
//! images by `file_id`) also need SSH to the node, configured through the
//! provider's `ssh` block or the `PROXMOX_VE_SSH_*` variables; cloning a
//! template and cloud-init through `initialization` need only the API.

use onioncloud_core::{Input, ProviderConfig, Secret, Value, block, resource};

/// Configurations of the `bpg/proxmox` provider.
pub struct Provider;

impl Provider {
    /// The local name of the provider.
    pub const NAME: &'static str = "proxmox";
    /// The registry source.
    pub const SOURCE: &'static str = "bpg/proxmox";
    /// The version constraint.
    pub const VERSION: &'static str = "~> 0.66";

    /// The default configuration for the API at `url`, such as
    /// `https://pve.example.internal:8006/`, with TLS verification on. The
    /// API token comes from the `PROXMOX_VE_API_TOKEN` environment
    /// variable.
    pub fn endpoint(url: &str) -> ProviderConfig {
        ProviderConfig::new(Self::NAME, Self::SOURCE, Self::VERSION)
            .setting("endpoint", url)
            .setting("insecure", false)
    }

    /// Like [`endpoint`](Self::endpoint), with the API token read from a
    /// secret store (a [`SecretRef`](onioncloud_core::SecretRef)); the
    /// configuration holds only the reference.
    pub fn endpoint_with_api_token(
        url: &str,
        api_token: impl Into<Input<Secret>>,
    ) -> ProviderConfig {
        let token: Value = api_token.into().into_value();
        Self::endpoint(url).setting("api_token", token)
    }
}

block! {
    /// The CPU of a VM (`cpu`).
    pub struct VmCpu {
        required {}
        optional {
            /// Cores per socket; 1 when unset.
            cores: i64,
            /// Sockets; 1 when unset.
            sockets: i64,
            /// The emulated CPU type, such as `x86-64-v2-AES` or `host`;
            /// `qemu64` when unset.
            r#type: String,
            /// `x86_64` or `aarch64`.
            architecture: String,
            /// CPU flags, such as `+aes`.
            flags: Vec<String>,
            /// Whether NUMA is on.
            numa: bool,
            /// The CPU weight; 1024 when unset.
            units: i64,
        }
        blocks {}
    }
}

block! {
    /// The memory of a VM (`memory`), in megabytes.
    pub struct VmMemory {
        required {}
        optional {
            /// Dedicated memory; 512 when unset.
            dedicated: i64,
            /// Ballooning memory; 0 (off) when unset.
            floating: i64,
            /// Shared memory.
            shared: i64,
        }
        blocks {}
    }
}

block! {
    /// A disk of a VM (`disk`).
    pub struct VmDisk {
        required {
            /// The interface with its index, such as `scsi0` or `virtio0`.
            interface: String,
        }
        optional {
            /// The datastore, such as `local-lvm`; `local-lvm` when unset.
            datastore_id: String,
            /// The size in gigabytes; 8 when unset.
            size: i64,
            /// `qcow2`, `raw` or `vmdk`.
            file_format: String,
            /// An image to import, such as
            /// `local:iso/debian-12-generic-amd64.img`.
            file_id: String,
            /// Whether the disk gets its own I/O thread.
            iothread: bool,
            /// `on` to pass discard (TRIM) requests down, or `ignore`.
            discard: String,
            /// Whether the disk presents itself as an SSD.
            ssd: bool,
            /// The cache mode: `none`, `writeback`, ...
            cache: String,
            /// Whether backups include the disk.
            backup: bool,
        }
        blocks {}
    }
}

block! {
    /// A network device of a VM (`network_device`).
    pub struct VmNetworkDevice {
        required {}
        optional {
            /// The bridge; `vmbr0` when unset.
            bridge: String,
            /// `virtio` (the default), `e1000`, `rtl8139` or `vmxnet3`.
            model: String,
            /// The VLAN tag.
            vlan_id: i64,
            /// A fixed MAC address.
            mac_address: String,
            /// Whether Proxmox's firewall applies to the device.
            firewall: bool,
            /// Whether the device is on.
            enabled: bool,
            /// The MTU; 1 means the bridge's.
            mtu: i64,
        }
        blocks {}
    }
}

block! {
    /// An address and gateway given by cloud-init (`ipv4`, `ipv6`).
    pub struct VmIpAddress {
        required {}
        optional {
            /// An address in CIDR notation, or `dhcp`.
            address: String,
            /// The gateway; omitted with `dhcp`.
            gateway: String,
        }
        blocks {}
    }
}

block! {
    /// The addresses of one network device, in device order
    /// (`ip_config`).
    pub struct VmIpConfig {
        required {}
        optional {}
        blocks {
            /// The IPv4 configuration.
            ipv4: VmIpAddress,
            /// The IPv6 configuration.
            ipv6: VmIpAddress,
        }
    }
}

impl VmIpConfig {
    /// IPv4 by DHCP.
    pub fn dhcp() -> Self {
        Self::new().ipv4(VmIpAddress::new().address("dhcp"))
    }

    /// A static IPv4 address in CIDR notation, and its gateway.
    pub fn static_ipv4(
        address: impl Into<Input<String>>,
        gateway: impl Into<Input<String>>,
    ) -> Self {
        Self::new().ipv4(VmIpAddress::new().address(address).gateway(gateway))
    }
}

block! {
    /// The user cloud-init creates (`user_account`).
    pub struct VmUserAccount {
        required {}
        optional {
            /// The user name.
            username: String,
            /// Authorized SSH public keys.
            keys: Vec<String>,
            /// A password, read from a secret store.
            password: Secret,
        }
        blocks {}
    }
}

block! {
    /// DNS settings cloud-init writes (`dns`).
    pub struct VmDns {
        required {}
        optional {
            /// The search domain.
            domain: String,
            /// The name servers.
            servers: Vec<String>,
        }
        blocks {}
    }
}

block! {
    /// Cloud-init (`initialization`).
    pub struct VmInitialization {
        required {}
        optional {
            /// The datastore of the cloud-init drive.
            datastore_id: String,
            /// The drive's interface, such as `ide2` or `scsi1`.
            interface: String,
            /// A snippet with user data; conflicts with `user_account`.
            user_data_file_id: String,
            /// A snippet with vendor data.
            vendor_data_file_id: String,
            /// A snippet with network data; conflicts with `ip_config`.
            network_data_file_id: String,
            /// A snippet with meta data.
            meta_data_file_id: String,
        }
        blocks {
            /// The addresses of the next network device.
            ip_config: VmIpConfig,
            /// The user.
            user_account: VmUserAccount,
            /// DNS settings.
            dns: VmDns,
        }
    }
}

block! {
    /// The QEMU guest agent (`agent`). The provider learns addresses only
    /// from a running agent.
    pub struct VmAgent {
        required {}
        optional {
            /// Whether the agent is expected in the guest; only set it when
            /// the image runs one, or shutdowns time out.
            enabled: bool,
            /// Whether the agent trims freed space.
            trim: bool,
            /// `virtio` (the default) or `isa`.
            r#type: String,
            /// How long to wait for the agent, such as `15m`.
            timeout: String,
        }
        blocks {}
    }
}

block! {
    /// The template or VM to clone (`clone`).
    pub struct VmClone {
        required {
            /// The source's VM id.
            vm_id: i64,
        }
        optional {
            /// The source's node, when not the VM's.
            node_name: String,
            /// The datastore for the clone's disks.
            datastore_id: String,
            /// A full clone (the default) or a linked one.
            full: bool,
            /// How often Proxmox retries a failed clone.
            retries: i64,
        }
        blocks {}
    }
}

block! {
    /// The guest OS type, for Proxmox's defaults (`operating_system`).
    pub struct VmOperatingSystem {
        required {}
        optional {
            /// `l26` (Linux), `win11`, `other`, ...
            r#type: String,
        }
        blocks {}
    }
}

block! {
    /// A serial device (`serial_device`).
    pub struct VmSerialDevice {
        required {}
        optional {
            /// `socket` (the default) or a host device such as
            /// `/dev/ttyS0`.
            device: String,
        }
        blocks {}
    }
}

block! {
    /// The EFI disk, needed with `bios = "ovmf"` (`efi_disk`).
    pub struct VmEfiDisk {
        required {}
        optional {
            /// The datastore.
            datastore_id: String,
            /// The file format.
            file_format: String,
            /// `4m` (needed for Secure Boot) or `2m`.
            r#type: String,
            /// Whether the distribution and Microsoft keys are enrolled.
            pre_enrolled_keys: bool,
        }
        blocks {}
    }
}

resource! {
    /// A Proxmox VE virtual machine (`proxmox_virtual_environment_vm`).
    pub struct VirtualEnvironmentVm("proxmox_virtual_environment_vm")
        -> VirtualEnvironmentVmOutputs
    {
        required {
            /// The node the VM runs on.
            node_name: String,
        }
        optional {
            /// The VM's name.
            name: String,
            /// The VM id; the next free one when unset.
            vm_id: i64,
            /// A description.
            description: String,
            /// Tags; Proxmox sorts them, so give them sorted.
            tags: Vec<String>,
            /// Whether the VM is running; `true` when unset.
            started: bool,
            /// Whether the VM starts when the node boots.
            on_boot: bool,
            /// Whether the VM is a template.
            template: bool,
            /// The resource pool.
            pool_id: String,
            /// `seabios` (the default) or `ovmf` (UEFI).
            bios: String,
            /// `pc` (the default) or `q35`.
            machine: String,
            /// The SCSI controller, such as `virtio-scsi-single`.
            scsi_hardware: String,
            /// Boot devices in order, such as `scsi0`.
            boot_order: Vec<String>,
            /// Whether the VM is stopped rather than shut down on destroy.
            stop_on_destroy: bool,
            /// Whether a change of node migrates the VM instead of
            /// recreating it.
            migrate: bool,
            /// Whether ACPI is on.
            acpi: bool,
            /// Whether the USB tablet device is on.
            tablet_device: bool,
            /// The keyboard layout, such as `en-us`.
            keyboard_layout: String,
        }
        blocks {
            /// The CPU.
            cpu: VmCpu,
            /// The memory.
            memory: VmMemory,
            /// A disk.
            disk: VmDisk,
            /// A network device.
            network_device: VmNetworkDevice,
            /// Cloud-init.
            initialization: VmInitialization,
            /// The QEMU guest agent.
            agent: VmAgent,
            /// The guest OS type.
            operating_system: VmOperatingSystem,
            /// A serial device.
            serial_device: VmSerialDevice,
            /// The EFI disk.
            efi_disk: VmEfiDisk,
        }
        outputs {
            /// The resource id, the VM id as text.
            id: String,
            /// The VM id.
            vm_id: i64,
            /// The VM's name.
            name: String,
            /// The node.
            node_name: String,
            /// The IPv4 addresses of each network interface, as the guest
            /// agent reports them (index 0 is usually loopback); empty
            /// without the agent.
            ipv4_addresses: Vec<Vec<String>>,
            /// The IPv6 addresses of each network interface.
            ipv6_addresses: Vec<Vec<String>>,
            /// The MAC addresses of the network devices.
            mac_addresses: Vec<String>,
            /// The guest's interface names, as the agent reports them.
            network_interface_names: Vec<String>,
        }
    }
}

impl VirtualEnvironmentVm {
    /// Creates the VM as a clone of a template or another VM (the `clone`
    /// block, under another name since `clone` is `Clone`'s).
    pub fn cloned_from(self, source: VmClone) -> Self {
        self.set("clone", Value::List(vec![source.into()]))
    }
}
