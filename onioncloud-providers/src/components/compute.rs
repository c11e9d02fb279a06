//! Compute: one virtual machine on EC2, Compute Engine, Proxmox VE or
//! OpenStack.

use std::collections::BTreeMap;

use onioncloud_core::{Component, Env, Handle, Input, Output, Secret};

use super::{Common, cloud_name, common_methods, main_resource};
use crate::private::{openstack, proxmox};
use crate::{aws, gcp};

/// A virtual machine, built for one cloud with [`Compute::aws`],
/// [`Compute::gcp`], [`Compute::proxmox`] or [`Compute::openstack`].
///
/// By default a machine has no public address, an encrypted disk where the
/// cloud offers it, and the cloud's metadata and login hardening on.
#[derive(Clone, Debug)]
pub struct Compute<C> {
    cloud: C,
    common: Common,
}

common_methods!(Compute);

impl<C> Compute<C> {
    fn with(cloud: C) -> Self {
        Self {
            cloud,
            common: Common::default(),
        }
    }
}

// ---------------------------------------------------------------- EC2 --

/// The EC2 settings of a [`Compute`]; see [`Compute::aws`].
#[derive(Clone, Debug)]
pub struct Ec2 {
    ami: Input<String>,
    instance_type: Input<String>,
    subnet_id: Option<Input<String>>,
    security_group_ids: Option<Input<Vec<String>>>,
    availability_zone: Option<Input<String>>,
    public_ip: bool,
    root_encrypted: bool,
    root_kms_key: Option<Input<String>>,
    root_volume_gb: Option<Input<i64>>,
    imdsv2: bool,
    detailed_monitoring: bool,
    deletion_protection: bool,
    key_name: Option<Input<String>>,
    user_data: Option<Input<String>>,
    iam_instance_profile: Option<Input<String>>,
}

impl Compute<Ec2> {
    /// An EC2 instance of `instance_type` (such as `t3.small`) booting
    /// `ami`.
    ///
    /// Defaults: no public IP, an encrypted `gp3` root volume, IMDSv2
    /// only (`http_tokens = "required"`), detailed monitoring.
    pub fn aws(
        ami: impl Into<Input<String>>,
        instance_type: impl Into<Input<String>>,
    ) -> Self {
        Self::with(Ec2 {
            ami: ami.into(),
            instance_type: instance_type.into(),
            subnet_id: None,
            security_group_ids: None,
            availability_zone: None,
            public_ip: false,
            root_encrypted: true,
            root_kms_key: None,
            root_volume_gb: None,
            imdsv2: true,
            detailed_monitoring: true,
            deletion_protection: false,
            key_name: None,
            user_data: None,
            iam_instance_profile: None,
        })
    }

    /// The subnet to launch in; the default VPC's when unset.
    pub fn subnet(mut self, subnet_id: impl Into<Input<String>>) -> Self {
        self.cloud.subnet_id = Some(subnet_id.into());
        self
    }

    /// The security groups, by id; the VPC's default group when unset.
    pub fn security_groups(
        mut self,
        ids: impl Into<Input<Vec<String>>>,
    ) -> Self {
        self.cloud.security_group_ids = Some(ids.into());
        self
    }

    /// The availability zone, when the subnet does not decide it.
    pub fn availability_zone(mut self, zone: impl Into<Input<String>>) -> Self {
        self.cloud.availability_zone = Some(zone.into());
        self
    }

    /// Whether the instance gets a public IPv4 address; `false` by
    /// default.
    pub fn public_ip(mut self, public: bool) -> Self {
        self.cloud.public_ip = public;
        self
    }

    /// Whether the root volume is encrypted; `true` by default.
    pub fn root_encrypted(mut self, encrypted: bool) -> Self {
        self.cloud.root_encrypted = encrypted;
        self
    }

    /// Encrypts the root volume with this KMS key instead of the AWS
    /// managed key.
    pub fn root_kms_key(mut self, key: impl Into<Input<String>>) -> Self {
        self.cloud.root_kms_key = Some(key.into());
        self
    }

    /// The root volume's size in GiB; the AMI's when unset.
    pub fn root_volume_gb(mut self, size: impl Into<Input<i64>>) -> Self {
        self.cloud.root_volume_gb = Some(size.into());
        self
    }

    /// Whether the metadata service requires session tokens (IMDSv2);
    /// `true` by default.
    pub fn imdsv2(mut self, required: bool) -> Self {
        self.cloud.imdsv2 = required;
        self
    }

    /// Whether detailed (one-minute) CloudWatch monitoring is on; `true`
    /// by default.
    pub fn detailed_monitoring(mut self, on: bool) -> Self {
        self.cloud.detailed_monitoring = on;
        self
    }

    /// Whether termination through the API is refused; `false` by
    /// default, since machines are usually replaceable.
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.cloud.deletion_protection = on;
        self
    }

    /// The key pair for SSH.
    pub fn key_name(mut self, key: impl Into<Input<String>>) -> Self {
        self.cloud.key_name = Some(key.into());
        self
    }

    /// The user data (cloud-init), as text.
    pub fn user_data(mut self, data: impl Into<Input<String>>) -> Self {
        self.cloud.user_data = Some(data.into());
        self
    }

    /// The IAM instance profile, by name.
    pub fn iam_instance_profile(
        mut self,
        profile: impl Into<Input<String>>,
    ) -> Self {
        self.cloud.iam_instance_profile = Some(profile.into());
        self
    }
}

/// What declaring a [`Compute<Ec2>`] returns.
#[derive(Clone, Debug)]
pub struct Ec2Output {
    /// The instance, named after the component.
    pub instance: Handle<aws::Instance>,
}

main_resource!(Ec2Output, instance);

impl Ec2Output {
    /// The instance's id, such as a load balancer target.
    pub fn id(&self) -> Output<String> {
        self.instance.id()
    }

    /// The instance's private IPv4 address.
    pub fn private_ip(&self) -> Output<String> {
        self.instance.private_ip()
    }
}

impl Component for Compute<Ec2> {
    type Output = Ec2Output;

    fn declare(self, env: &mut Env, name: &str) -> Ec2Output {
        let c = self.cloud;
        let mut root = aws::RootBlockDevice::new()
            .encrypted(c.root_encrypted)
            .volume_type("gp3")
            .delete_on_termination(true);
        if let Some(key) = c.root_kms_key {
            root = root.kms_key_id(key);
        }
        if let Some(size) = c.root_volume_gb {
            root = root.volume_size(size);
        }
        let tokens = if c.imdsv2 { "required" } else { "optional" };
        let mut vm = aws::Instance::new(c.ami, c.instance_type)
            .associate_public_ip_address(c.public_ip)
            .monitoring(c.detailed_monitoring)
            .disable_api_termination(c.deletion_protection)
            .root_block_device(root)
            .metadata_options(
                aws::MetadataOptions::new()
                    .http_endpoint("enabled")
                    .http_tokens(tokens),
            );
        if let Some(subnet) = c.subnet_id {
            vm = vm.subnet_id(subnet);
        }
        if let Some(groups) = c.security_group_ids {
            vm = vm.vpc_security_group_ids(groups);
        }
        if let Some(zone) = c.availability_zone {
            vm = vm.availability_zone(zone);
        }
        if let Some(key) = c.key_name {
            vm = vm.key_name(key);
        }
        if let Some(data) = c.user_data {
            vm = vm.user_data(data);
        }
        if let Some(profile) = c.iam_instance_profile {
            vm = vm.iam_instance_profile(profile);
        }
        if !self.common.tags.is_empty() {
            vm = vm.tags(self.common.tags.clone());
        }
        let instance = env.add_with(name, vm, self.common.main_meta());
        Ec2Output { instance }
    }
}

// ------------------------------------------------------ Compute Engine --

/// The Compute Engine settings of a [`Compute`]; see [`Compute::gcp`].
#[derive(Clone, Debug)]
pub struct Gce {
    zone: Input<String>,
    machine_type: Input<String>,
    image: Input<String>,
    instance_name: Option<String>,
    network: Option<Input<String>>,
    subnetwork: Option<Input<String>>,
    public_ip: bool,
    disk_size_gb: Option<Input<i64>>,
    disk_type: Input<String>,
    kms_key: Option<Input<String>>,
    shielded_vm: bool,
    metadata: BTreeMap<String, String>,
    network_tags: Option<Input<Vec<String>>>,
    service_account: Option<gcp::ServiceAccount>,
    deletion_protection: bool,
    startup_script: Option<Input<String>>,
}

impl Compute<Gce> {
    /// A Compute Engine instance of `machine_type` (such as `e2-small`) in
    /// `zone`, booting `image` (such as `debian-cloud/debian-12`).
    ///
    /// Defaults: no external address, a `pd-balanced` boot disk (encrypted
    /// by Google), Shielded VM (Secure Boot, vTPM, integrity monitoring),
    /// OS Login on and project-wide SSH keys blocked, no service account.
    /// Without [`subnetwork`](Self::subnetwork) or
    /// [`network`](Self::network) it joins the project's `default`
    /// network.
    pub fn gcp(
        zone: impl Into<Input<String>>,
        machine_type: impl Into<Input<String>>,
        image: impl Into<Input<String>>,
    ) -> Self {
        let metadata = BTreeMap::from([
            ("block-project-ssh-keys".to_owned(), "TRUE".to_owned()),
            ("enable-oslogin".to_owned(), "TRUE".to_owned()),
        ]);
        Self::with(Gce {
            zone: zone.into(),
            machine_type: machine_type.into(),
            image: image.into(),
            instance_name: None,
            network: None,
            subnetwork: None,
            public_ip: false,
            disk_size_gb: None,
            disk_type: "pd-balanced".into(),
            kms_key: None,
            shielded_vm: true,
            metadata,
            network_tags: None,
            service_account: None,
            deletion_protection: false,
            startup_script: None,
        })
    }

    /// The instance's name in Google Cloud; by default the component's
    /// name, lowercased, with other characters than letters and digits
    /// turned into hyphens.
    pub fn instance_name(mut self, name: impl Into<String>) -> Self {
        self.cloud.instance_name = Some(name.into());
        self
    }

    /// The subnetwork, by id or self link.
    pub fn subnetwork(mut self, subnetwork: impl Into<Input<String>>) -> Self {
        self.cloud.subnetwork = Some(subnetwork.into());
        self
    }

    /// The network, by id or self link; needed only when the subnetwork
    /// alone does not say it.
    pub fn network(mut self, network: impl Into<Input<String>>) -> Self {
        self.cloud.network = Some(network.into());
        self
    }

    /// Whether the instance gets an ephemeral external IPv4 address;
    /// `false` by default.
    pub fn public_ip(mut self, public: bool) -> Self {
        self.cloud.public_ip = public;
        self
    }

    /// The boot disk's size in GB; the image's when unset.
    pub fn disk_size_gb(mut self, size: impl Into<Input<i64>>) -> Self {
        self.cloud.disk_size_gb = Some(size.into());
        self
    }

    /// The boot disk's type; `pd-balanced` by default.
    pub fn disk_type(mut self, kind: impl Into<Input<String>>) -> Self {
        self.cloud.disk_type = kind.into();
        self
    }

    /// Encrypts the boot disk with this Cloud KMS key (by self link)
    /// instead of a Google-managed key.
    pub fn kms_key(mut self, key: impl Into<Input<String>>) -> Self {
        self.cloud.kms_key = Some(key.into());
        self
    }

    /// Whether Shielded VM (Secure Boot, vTPM, integrity monitoring) is
    /// on; `true` by default. Images without UEFI support need `false`.
    pub fn shielded_vm(mut self, on: bool) -> Self {
        self.cloud.shielded_vm = on;
        self
    }

    /// Whether OS Login controls SSH access (`enable-oslogin`); `true` by
    /// default.
    pub fn os_login(mut self, on: bool) -> Self {
        let value = if on { "TRUE" } else { "FALSE" };
        self.cloud
            .metadata
            .insert("enable-oslogin".to_owned(), value.to_owned());
        self
    }

    /// Sets a metadata entry, replacing a default one of the same key.
    pub fn metadata(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.cloud.metadata.insert(key.into(), value.into());
        self
    }

    /// Network tags, which firewall rules select.
    pub fn network_tags(mut self, tags: impl Into<Input<Vec<String>>>) -> Self {
        self.cloud.network_tags = Some(tags.into());
        self
    }

    /// Runs as this service account with these OAuth scopes; without it
    /// the instance has no service account at all.
    pub fn service_account(
        mut self,
        email: impl Into<Input<String>>,
        scopes: impl Into<Input<Vec<String>>>,
    ) -> Self {
        self.cloud.service_account =
            Some(gcp::ServiceAccount::new(scopes).email(email));
        self
    }

    /// Whether the API refuses to delete the instance; `false` by
    /// default, since machines are usually replaceable.
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.cloud.deletion_protection = on;
        self
    }

    /// A startup script, run on every boot.
    pub fn startup_script(mut self, script: impl Into<Input<String>>) -> Self {
        self.cloud.startup_script = Some(script.into());
        self
    }
}

/// What declaring a [`Compute<Gce>`] returns.
#[derive(Clone, Debug)]
pub struct GceOutput {
    /// The instance, named after the component.
    pub instance: Handle<gcp::ComputeInstance>,
}

main_resource!(GceOutput, instance);

impl GceOutput {
    /// The instance's id.
    pub fn id(&self) -> Output<String> {
        self.instance.id()
    }

    /// The instance's URI, as instance groups take it.
    pub fn self_link(&self) -> Output<String> {
        self.instance.self_link()
    }

    /// The internal IPv4 address.
    pub fn private_ip(&self) -> Output<String> {
        self.instance.network_ip()
    }
}

impl Component for Compute<Gce> {
    type Output = GceOutput;

    fn declare(self, env: &mut Env, name: &str) -> GceOutput {
        let c = self.cloud;
        let mut params = gcp::InitializeParams::new()
            .image(c.image)
            .r#type(c.disk_type);
        if let Some(size) = c.disk_size_gb {
            params = params.size(size);
        }
        let mut disk = gcp::BootDisk::new()
            .auto_delete(true)
            .initialize_params(params);
        if let Some(key) = c.kms_key {
            disk = disk.kms_key_self_link(key);
        }
        let mut nic = gcp::NetworkInterface::new();
        match (c.network, &c.subnetwork) {
            (Some(network), _) => nic = nic.network(network),
            (None, None) => nic = nic.network("default"),
            (None, Some(_)) => {}
        }
        if let Some(subnetwork) = c.subnetwork {
            nic = nic.subnetwork(subnetwork);
        }
        if c.public_ip {
            nic = nic.access_config(gcp::AccessConfig::new());
        }
        let instance_name =
            c.instance_name.unwrap_or_else(|| cloud_name(name, 63));
        let mut vm =
            gcp::ComputeInstance::new(instance_name, c.machine_type, disk, nic)
                .zone(c.zone)
                .metadata(c.metadata)
                .can_ip_forward(false)
                .deletion_protection(c.deletion_protection)
                .shielded_instance_config(
                    gcp::ShieldedInstanceConfig::new()
                        .enable_secure_boot(c.shielded_vm)
                        .enable_vtpm(c.shielded_vm)
                        .enable_integrity_monitoring(c.shielded_vm),
                );
        if let Some(tags) = c.network_tags {
            vm = vm.tags(tags);
        }
        if let Some(account) = c.service_account {
            vm = vm.service_account(account);
        }
        if let Some(script) = c.startup_script {
            vm = vm.metadata_startup_script(script);
        }
        if !self.common.tags.is_empty() {
            vm = vm.labels(self.common.tags.clone());
        }
        let instance = env.add_with(name, vm, self.common.main_meta());
        GceOutput { instance }
    }
}

// ---------------------------------------------------------- Proxmox VE --

/// How a Proxmox VM gets its IPv4 address.
#[derive(Clone, Debug)]
enum Ipv4 {
    Dhcp,
    Static(Input<String>, Input<String>),
}

/// The Proxmox VE settings of a [`Compute`]; see [`Compute::proxmox`].
#[derive(Clone, Debug)]
pub struct ProxmoxVm {
    node: Input<String>,
    template_vm_id: Input<i64>,
    template_node: Option<Input<String>>,
    vm_name: Option<String>,
    vm_id: Option<Input<i64>>,
    cores: Input<i64>,
    memory_mb: Input<i64>,
    disk_gb: Option<Input<i64>>,
    datastore: Option<Input<String>>,
    bridge: Input<String>,
    vlan: Option<Input<i64>>,
    firewall: bool,
    agent: bool,
    ipv4: Ipv4,
    username: Option<Input<String>>,
    ssh_keys: Option<Input<Vec<String>>>,
    password: Option<Input<Secret>>,
    on_boot: bool,
}

impl Compute<ProxmoxVm> {
    /// A Proxmox VE VM on `node`, a full clone of the template with VM id
    /// `template_vm_id`.
    ///
    /// Defaults: 2 cores, 2048 MB, one `virtio` device on `vmbr0` with
    /// Proxmox's firewall on, an address by DHCP through cloud-init, the
    /// QEMU guest agent expected (the template must run it), started on
    /// boot, and no password login unless
    /// [`password`](Self::password) gives one from a secret store.
    pub fn proxmox(
        node: impl Into<Input<String>>,
        template_vm_id: impl Into<Input<i64>>,
    ) -> Self {
        Self::with(ProxmoxVm {
            node: node.into(),
            template_vm_id: template_vm_id.into(),
            template_node: None,
            vm_name: None,
            vm_id: None,
            cores: 2.into(),
            memory_mb: 2048.into(),
            disk_gb: None,
            datastore: None,
            bridge: "vmbr0".into(),
            vlan: None,
            firewall: true,
            agent: true,
            ipv4: Ipv4::Dhcp,
            username: None,
            ssh_keys: None,
            password: None,
            on_boot: true,
        })
    }

    /// The VM's name in Proxmox; by default the component's name,
    /// lowercased, with other characters than letters and digits turned
    /// into hyphens.
    pub fn vm_name(mut self, name: impl Into<String>) -> Self {
        self.cloud.vm_name = Some(name.into());
        self
    }

    /// A fixed VM id; the next free one when unset.
    pub fn vm_id(mut self, id: impl Into<Input<i64>>) -> Self {
        self.cloud.vm_id = Some(id.into());
        self
    }

    /// The node holding the template, when not the VM's node.
    pub fn template_node(mut self, node: impl Into<Input<String>>) -> Self {
        self.cloud.template_node = Some(node.into());
        self
    }

    /// Cores; 2 by default.
    pub fn cores(mut self, cores: impl Into<Input<i64>>) -> Self {
        self.cloud.cores = cores.into();
        self
    }

    /// Dedicated memory in MB; 2048 by default.
    pub fn memory_mb(mut self, memory: impl Into<Input<i64>>) -> Self {
        self.cloud.memory_mb = memory.into();
        self
    }

    /// The size in GB of the first SCSI disk (`scsi0`); the template's
    /// when unset.
    pub fn disk_gb(mut self, size: impl Into<Input<i64>>) -> Self {
        self.cloud.disk_gb = Some(size.into());
        self
    }

    /// The datastore for the clone's disks, such as `local-lvm`.
    pub fn datastore(mut self, datastore: impl Into<Input<String>>) -> Self {
        self.cloud.datastore = Some(datastore.into());
        self
    }

    /// The bridge of the network device; `vmbr0` by default.
    pub fn bridge(mut self, bridge: impl Into<Input<String>>) -> Self {
        self.cloud.bridge = bridge.into();
        self
    }

    /// The VLAN tag of the network device.
    pub fn vlan(mut self, vlan: impl Into<Input<i64>>) -> Self {
        self.cloud.vlan = Some(vlan.into());
        self
    }

    /// Whether Proxmox's firewall filters the network device; `true` by
    /// default.
    pub fn firewall(mut self, on: bool) -> Self {
        self.cloud.firewall = on;
        self
    }

    /// Whether the QEMU guest agent is expected in the guest; `true` by
    /// default. The provider learns the VM's addresses only from it.
    pub fn agent(mut self, on: bool) -> Self {
        self.cloud.agent = on;
        self
    }

    /// A static IPv4 address in CIDR notation and its gateway, instead of
    /// DHCP.
    pub fn static_ipv4(
        mut self,
        address: impl Into<Input<String>>,
        gateway: impl Into<Input<String>>,
    ) -> Self {
        self.cloud.ipv4 = Ipv4::Static(address.into(), gateway.into());
        self
    }

    /// The user cloud-init creates.
    pub fn user(mut self, name: impl Into<Input<String>>) -> Self {
        self.cloud.username = Some(name.into());
        self
    }

    /// SSH public keys authorized for the user.
    pub fn ssh_keys(mut self, keys: impl Into<Input<Vec<String>>>) -> Self {
        self.cloud.ssh_keys = Some(keys.into());
        self
    }

    /// The user's password, from a secret store; without it the user has
    /// none.
    pub fn password(mut self, password: impl Into<Input<Secret>>) -> Self {
        self.cloud.password = Some(password.into());
        self
    }

    /// Whether the VM starts when its node boots; `true` by default.
    pub fn on_boot(mut self, on: bool) -> Self {
        self.cloud.on_boot = on;
        self
    }
}

/// What declaring a [`Compute<ProxmoxVm>`] returns.
#[derive(Clone, Debug)]
pub struct ProxmoxVmOutput {
    /// The VM, named after the component.
    pub vm: Handle<proxmox::VirtualEnvironmentVm>,
}

main_resource!(ProxmoxVmOutput, vm);

impl ProxmoxVmOutput {
    /// The VM id.
    pub fn vm_id(&self) -> Output<i64> {
        self.vm.vm_id()
    }

    /// The first IPv4 address of the first network interface after
    /// loopback, as the guest agent reports it.
    pub fn private_ip(&self) -> Output<String> {
        self.vm.ipv4_addresses().index(1).index(0)
    }
}

impl Component for Compute<ProxmoxVm> {
    type Output = ProxmoxVmOutput;

    fn declare(self, env: &mut Env, name: &str) -> ProxmoxVmOutput {
        let c = self.cloud;
        let mut clone = proxmox::VmClone::new(c.template_vm_id).full(true);
        if let Some(node) = c.template_node {
            clone = clone.node_name(node);
        }
        if let Some(datastore) = &c.datastore {
            clone = clone.datastore_id(datastore.clone());
        }
        let mut nic = proxmox::VmNetworkDevice::new()
            .bridge(c.bridge)
            .model("virtio")
            .firewall(c.firewall);
        if let Some(vlan) = c.vlan {
            nic = nic.vlan_id(vlan);
        }
        let ip = match c.ipv4 {
            Ipv4::Dhcp => proxmox::VmIpConfig::dhcp(),
            Ipv4::Static(address, gateway) => {
                proxmox::VmIpConfig::static_ipv4(address, gateway)
            }
        };
        let mut init = proxmox::VmInitialization::new().ip_config(ip);
        if c.username.is_some() || c.ssh_keys.is_some() || c.password.is_some()
        {
            let mut user = proxmox::VmUserAccount::new();
            if let Some(name) = c.username {
                user = user.username(name);
            }
            if let Some(keys) = c.ssh_keys {
                user = user.keys(keys);
            }
            if let Some(password) = c.password {
                user = user.password(password);
            }
            init = init.user_account(user);
        }
        let vm_name = c.vm_name.unwrap_or_else(|| cloud_name(name, 63));
        let mut vm = proxmox::VirtualEnvironmentVm::new(c.node)
            .name(vm_name)
            .on_boot(c.on_boot)
            .cloned_from(clone)
            .cpu(proxmox::VmCpu::new().cores(c.cores))
            .memory(proxmox::VmMemory::new().dedicated(c.memory_mb))
            .agent(proxmox::VmAgent::new().enabled(c.agent))
            .network_device(nic)
            .initialization(init);
        if let Some(id) = c.vm_id {
            vm = vm.vm_id(id);
        }
        if let Some(size) = c.disk_gb {
            let mut disk = proxmox::VmDisk::new("scsi0").size(size);
            if let Some(datastore) = c.datastore {
                disk = disk.datastore_id(datastore);
            }
            vm = vm.disk(disk);
        }
        let vm = env.add_with(name, vm, self.common.main_meta());
        ProxmoxVmOutput { vm }
    }
}

// ----------------------------------------------------------- OpenStack --

/// The OpenStack settings of a [`Compute`]; see [`Compute::openstack`].
#[derive(Clone, Debug)]
pub struct OpenStackVm {
    image_name: Input<String>,
    flavor_name: Input<String>,
    network_id: Input<String>,
    instance_name: Option<String>,
    security_groups: Option<Input<Vec<String>>>,
    key_pair: Option<Input<String>>,
    availability_zone: Option<Input<String>>,
    user_data: Option<Input<String>>,
}

impl Compute<OpenStackVm> {
    /// A Nova instance of flavor `flavor_name` booting the image
    /// `image_name`, on the network `network_id`.
    ///
    /// Defaults: no floating IP (none is created), only the network
    /// given, and the project's `default` security group unless
    /// [`security_groups`](Self::security_groups) names others.
    pub fn openstack(
        image_name: impl Into<Input<String>>,
        flavor_name: impl Into<Input<String>>,
        network_id: impl Into<Input<String>>,
    ) -> Self {
        Self::with(OpenStackVm {
            image_name: image_name.into(),
            flavor_name: flavor_name.into(),
            network_id: network_id.into(),
            instance_name: None,
            security_groups: None,
            key_pair: None,
            availability_zone: None,
            user_data: None,
        })
    }

    /// The instance's name in OpenStack; by default the component's name,
    /// lowercased, with other characters than letters and digits turned
    /// into hyphens.
    pub fn instance_name(mut self, name: impl Into<String>) -> Self {
        self.cloud.instance_name = Some(name.into());
        self
    }

    /// The security groups, by name.
    pub fn security_groups(
        mut self,
        names: impl Into<Input<Vec<String>>>,
    ) -> Self {
        self.cloud.security_groups = Some(names.into());
        self
    }

    /// The key pair for SSH.
    pub fn key_pair(mut self, key: impl Into<Input<String>>) -> Self {
        self.cloud.key_pair = Some(key.into());
        self
    }

    /// The availability zone.
    pub fn availability_zone(mut self, zone: impl Into<Input<String>>) -> Self {
        self.cloud.availability_zone = Some(zone.into());
        self
    }

    /// Cloud-init user data.
    pub fn user_data(mut self, data: impl Into<Input<String>>) -> Self {
        self.cloud.user_data = Some(data.into());
        self
    }
}

/// What declaring a [`Compute<OpenStackVm>`] returns.
#[derive(Clone, Debug)]
pub struct OpenStackVmOutput {
    /// The instance, named after the component.
    pub instance: Handle<openstack::ComputeInstanceV2>,
}

main_resource!(OpenStackVmOutput, instance);

impl OpenStackVmOutput {
    /// The instance's id.
    pub fn id(&self) -> Output<String> {
        self.instance.id()
    }

    /// The fixed IPv4 address on the instance's network.
    pub fn private_ip(&self) -> Output<String> {
        self.instance.fixed_ip_v4()
    }
}

impl Component for Compute<OpenStackVm> {
    type Output = OpenStackVmOutput;

    fn declare(self, env: &mut Env, name: &str) -> OpenStackVmOutput {
        let c = self.cloud;
        let instance_name =
            c.instance_name.unwrap_or_else(|| cloud_name(name, 63));
        let mut vm = openstack::ComputeInstanceV2::new(instance_name)
            .image_name(c.image_name)
            .flavor_name(c.flavor_name)
            .network(openstack::InstanceNetwork::new().uuid(c.network_id));
        if let Some(groups) = c.security_groups {
            vm = vm.security_groups(groups);
        }
        if let Some(key) = c.key_pair {
            vm = vm.key_pair(key);
        }
        if let Some(zone) = c.availability_zone {
            vm = vm.availability_zone(zone);
        }
        if let Some(data) = c.user_data {
            vm = vm.user_data(data);
        }
        if !self.common.tags.is_empty() {
            vm = vm.metadata(self.common.tags.clone());
        }
        let instance = env.add_with(name, vm, self.common.main_meta());
        OpenStackVmOutput { instance }
    }
}
