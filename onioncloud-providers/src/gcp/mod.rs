//! Google Cloud: typed resources of the `hashicorp/google` provider
//! (version 6.50).
//!
//! Every type carries the provider's attribute names: a constructor takes
//! the arguments the provider requires, a setter per optional argument,
//! and one method per nested block. Blocks the provider allows only once
//! (`boot_disk`, `settings`, `versioning`) are still written as
//! one-element arrays, which Terraform's JSON syntax accepts for any
//! nested block.
//!
//! ```
//! use onioncloud_core::Env;
//! use onioncloud_providers::gcp;
//!
//! let mut env = Env::new("prod");
//! env.provider(gcp::Provider::project_region("acme-prod", "europe-west1"));
//! let vpc = env.add(
//!     "main",
//!     gcp::ComputeNetwork::new("main").auto_create_subnetworks(false),
//! );
//! let web = env.add(
//!     "web",
//!     gcp::ComputeSubnetwork::new("web", vpc.id())
//!         .ip_cidr_range("10.0.1.0/24")
//!         .private_ip_google_access(true),
//! );
//! env.output::<String>("subnet", web.self_link());
//! let compiled = env.compile().expect("valid environment");
//! let files = onioncloud_core::terraform::synth(&compiled).unwrap();
//! assert!(files.contains_key("google/main.tf.json"));
//! ```

use onioncloud_core::{ProviderConfig, block, resource};

mod compute;
mod loadbalancing;
mod monitoring;
mod network;
mod secrets;
mod sql;
mod storage;

pub use compute::*;
pub use loadbalancing::*;
pub use monitoring::*;
pub use network::*;
pub use secrets::*;
pub use sql::*;
pub use storage::*;

#[cfg(test)]
mod tests;

/// Configurations of the `hashicorp/google` provider.
pub struct Provider;

impl Provider {
    /// The local name of the provider.
    pub const NAME: &'static str = "google";
    /// The registry source.
    pub const SOURCE: &'static str = "hashicorp/google";
    /// The version constraint.
    pub const VERSION: &'static str = "~> 6.50";

    /// The default configuration for a project and a region. Credentials
    /// come from the environment (`GOOGLE_APPLICATION_CREDENTIALS` or
    /// application default credentials), never from the configuration.
    pub fn project_region(project: &str, region: &str) -> ProviderConfig {
        ProviderConfig::new(Self::NAME, Self::SOURCE, Self::VERSION)
            .setting("project", project)
            .setting("region", region)
    }
}

/// Lets a nested block the provider requires be a constructor argument:
/// the block is written as a one-element array, and the block's method
/// appends any further ones.
macro_rules! required_block {
    ($($block:ty),* $(,)?) => {
        $(
            impl From<$block> for onioncloud_core::Input<$block> {
                fn from(block: $block) -> Self {
                    onioncloud_core::Input::from_value(
                        onioncloud_core::Value::List(vec![block.into()]),
                    )
                }
            }
        )*
    };
}
use required_block;
