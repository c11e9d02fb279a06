//! Typed resources for AWS, Google Cloud and the private cloud (Proxmox VE,
//! OpenStack, Ceph), and the cross-cloud components built from them.
//!
//! Each resource type is a struct named after the provider's resource, with
//! the provider's attribute names: a constructor takes the required
//! arguments, a setter per optional argument, one method per repeated
//! nested block, and the handle that [`Env::add`](onioncloud_core::Env::add)
//! returns gives typed attribute outputs.
//!
//! The [`policies`] module holds the built-in policy packs: the security
//! and compliance rules environments are checked against.
//!
//! Each cloud sits behind a cargo feature (`aws`, `gcp`, `private`), all on
//! by default. The `schema` feature, off by default, adds the `schema` module:
//! an offline check of a synthesized module against the provider's
//! published schema.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(all(feature = "aws", feature = "gcp", feature = "private"))]
pub mod components;
#[cfg(feature = "gcp")]
pub mod gcp;
pub mod policies;
#[cfg(feature = "private")]
pub mod private;
#[cfg(any(test, feature = "schema"))]
pub mod schema;

/// Tags or labels: string keys to string values.
pub type Tags = std::collections::BTreeMap<String, String>;
