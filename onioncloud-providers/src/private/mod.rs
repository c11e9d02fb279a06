//! The private cloud: Proxmox VE virtual machines through the
//! `bpg/proxmox` provider, OpenStack networks and instances through the
//! `terraform-provider-openstack/openstack` provider, and Ceph object
//! storage through the RADOS Gateway's S3-compatible API, driven by the
//! `hashicorp/aws` provider.
//!
//! Each has its own module, and each provider becomes its own Terraform
//! root module when synthesized (`proxmox/main.tf.json`,
//! `openstack/main.tf.json`); Ceph buckets are AWS resources, so they land
//! in `aws/main.tf.json` beside any real AWS resources, under their own
//! aliased provider configuration.
//!
//! - [`proxmox`]: [`proxmox::Provider`] and
//!   [`proxmox::VirtualEnvironmentVm`] with its nested blocks.
//! - [`openstack`]: [`openstack::Provider`], networks, subnets, security
//!   groups and their rules, and compute instances.
//! - [`ceph`]: [`ceph::Provider::rgw`], an aliased AWS provider
//!   configuration pointed at a RADOS Gateway.

pub mod ceph;
pub mod openstack;
pub mod proxmox;

#[cfg(test)]
mod tests;
