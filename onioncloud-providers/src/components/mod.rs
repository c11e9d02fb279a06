//! Cross-cloud components: [`Compute`], [`ObjectStore`], [`Database`] and
//! [`LoadBalancer`], each built for one chosen cloud and expanding into
//! that cloud's typed resources when declared with
//! [`Env::component`](onioncloud_core::Env::component).
//!
//! A component starts from a constructor per cloud that takes what that
//! cloud requires (`Compute::aws(ami, instance_type)`,
//! `Database::gcp_postgres(version, private_network)`), so a missing
//! required argument is a compile error. The cloud is a type parameter:
//! `Compute<Ec2>` has the EC2 settings, `Compute<Gce>` those of Compute
//! Engine, and each declares into its own output struct of typed handles.
//!
//! # Secure defaults
//!
//! Every component starts secure, and every default is written out in the
//! synthesized configuration rather than left to the provider, so a plan
//! or a review of the Terraform JSON shows it:
//!
//! - encryption at rest: S3 default encryption with KMS, RDS storage
//!   encryption, encrypted EBS root volumes;
//! - private networking: no public IP on machines or databases, S3 public
//!   access blocked, Cloud Storage public access prevention enforced and
//!   uniform bucket-level access;
//! - backups: seven days of RDS backups, Cloud SQL backups with
//!   point-in-time recovery, object versioning;
//! - deletion protection on databases and load balancers, and a final
//!   snapshot before an RDS instance goes;
//! - logging: database logs exported, load balancer request logs, access
//!   logs of buckets when a log bucket is given, detailed EC2 monitoring;
//! - modern TLS: HTTPS listeners with `ELBSecurityPolicy-TLS13-1-2-2021-06`
//!   or a `MODERN` TLS 1.2 policy, and plain HTTP redirected to HTTPS;
//! - IMDSv2 only on EC2, Shielded VM and OS Login on Compute Engine;
//! - passwords only as secret references, never as text.
//!
//! Each default has a named method that overrides it explicitly, such as
//! `.public_ip(true)` or `.backup_retention_days(0)`, so that relaxing one
//! is visible in the code that does it.
//!
//! # Names
//!
//! Resources are named after the component: the main resource gets the
//! component's name, the others a suffix (`orders`, `orders-subnets`,
//! `orders-encryption`). The component's name must therefore be a valid
//! Terraform label (a letter or underscore, then letters, digits,
//! underscores and dashes); [`Env::compile`](onioncloud_core::Env::compile)
//! reports one that is not. Names inside the clouds (instance names,
//! database identifiers) are derived from it in the form each cloud
//! accepts, and can be set explicitly.
//!
//! # Example
//!
//! ```
//! use onioncloud_core::{Env, SecretRef};
//! use onioncloud_providers::aws;
//! use onioncloud_providers::components::*;
//!
//! let mut env = Env::new("shop");
//! env.provider(aws::Provider::region("eu-west-1"));
//! let vpc = env.add("main", aws::Vpc::new("10.0.0.0/16"));
//! let a = env.add(
//!     "a",
//!     aws::Subnet::new(vpc.id(), "10.0.1.0/24")
//!         .availability_zone("eu-west-1a"),
//! );
//! let b = env.add(
//!     "b",
//!     aws::Subnet::new(vpc.id(), "10.0.2.0/24")
//!         .availability_zone("eu-west-1b"),
//! );
//! let web = env.component(
//!     "web",
//!     Compute::aws("ami-0123456789abcdef0", "t3.small").subnet(a.id()),
//! );
//! let db = env.component(
//!     "orders",
//!     Database::aws_postgres("16", vec![a.id(), b.id()])
//!         .password(SecretRef::aws("prod/orders-db")),
//! );
//! env.output::<String>("db_host", db.host());
//! env.output::<String>("web_ip", web.private_ip());
//! assert!(env.compile().is_ok());
//! ```

use onioncloud_core::{HasAddress, Meta, ProviderRef};

use crate::Tags;

mod compute;
mod database;
mod load_balancer;
mod object_store;
mod private_database;
mod private_load_balancer;

#[cfg(test)]
mod private_tests;
#[cfg(test)]
mod tests;

pub use compute::*;
pub use database::*;
pub use load_balancer::*;
pub use object_store::*;
pub use private_database::*;
pub use private_load_balancer::*;

/// What every component carries besides its cloud's settings: the
/// meta-arguments and the tags.
#[derive(Clone, Debug, Default)]
struct Common {
    meta: Meta,
    tags: Tags,
}

impl Common {
    /// The meta-arguments of the component's main resource: all of them.
    fn main_meta(&self) -> Meta {
        self.meta.clone()
    }

    /// The meta-arguments of the component's other resources: the
    /// provider and the extra dependencies, without the lifecycle, whose
    /// `ignore_changes` names attributes of the main resource.
    fn other_meta(&self) -> Meta {
        Meta {
            provider: self.meta.provider.clone(),
            depends_on: self.meta.depends_on.clone(),
            lifecycle: Default::default(),
        }
    }

    fn set_provider(&mut self, provider: &ProviderRef) {
        self.meta.provider = Some(provider.clone());
    }

    fn merge_meta(&mut self, meta: Meta) {
        if meta.provider.is_some() {
            self.meta.provider = meta.provider;
        }
        self.meta.depends_on.extend(meta.depends_on);
        self.meta.lifecycle = meta.lifecycle;
    }

    fn add_dependency(&mut self, target: &impl HasAddress) {
        self.meta.depends_on.push(target.resource_address().clone());
    }

    fn add_tag(&mut self, key: String, value: String) {
        self.tags.insert(key, value);
    }
}

/// The methods every component has, whatever its cloud.
macro_rules! common_methods {
    ($component:ident) => {
        impl<C> $component<C> {
            /// Manages every resource of the component with the given
            /// provider configuration, such as an aliased one for another
            /// region or account.
            pub fn provider(
                mut self,
                provider: &onioncloud_core::ProviderRef,
            ) -> Self {
                self.common.set_provider(provider);
                self
            }

            /// Applies meta-arguments: the main resource gets them all
            /// (such as `Meta::new().prevent_destroy()`), the others its
            /// provider and dependencies. A provider set here replaces
            /// one set with [`provider`](Self::provider); dependencies add
            /// up.
            pub fn meta(mut self, meta: onioncloud_core::Meta) -> Self {
                self.common.merge_meta(meta);
                self
            }

            /// Makes every resource of the component depend on `target`,
            /// beyond what references express.
            pub fn depends_on(
                mut self,
                target: &impl onioncloud_core::HasAddress,
            ) -> Self {
                self.common.add_dependency(target);
                self
            }

            /// Adds a tag (AWS) or label (Google Cloud) to every resource
            /// of the component that takes them. Google Cloud labels
            /// accept lowercase letters, digits, `_` and `-` only.
            pub fn tag(
                mut self,
                key: impl Into<String>,
                value: impl Into<String>,
            ) -> Self {
                self.common.add_tag(key.into(), value.into());
                self
            }
        }
    };
}
use common_methods;

/// Implements [`HasAddress`] for a component's output, pointing at its
/// main resource, so that the output itself can be configured or depended
/// on: `env.configure(&web, ...)`.
macro_rules! main_resource {
    ($output:ty, $field:ident) => {
        impl onioncloud_core::HasAddress for $output {
            fn resource_address(&self) -> &onioncloud_core::Address {
                self.$field.resource_address()
            }
        }
    };
}
use main_resource;

/// A name in the form most clouds accept for their own resource names
/// (Compute Engine instances, Cloud SQL instances, RDS identifiers, load
/// balancer names): lowercase letters, digits and single hyphens, starting
/// with a letter, not ending with a hyphen, at most `max` characters.
fn cloud_name(name: &str, max: usize) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "x-");
    }
    out.truncate(max);
    while out.ends_with('-') {
        out.pop();
    }
    out
}
