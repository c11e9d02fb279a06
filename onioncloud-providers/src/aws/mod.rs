//! Amazon Web Services: typed resources of the `hashicorp/aws` provider.

use onioncloud_core::{Input, ProviderConfig, block, resource};

/// Lets a nested block that the schema requires be a constructor argument
/// in `required {}`: it converts into a one-element list of blocks, and
/// the block's method in `blocks {}` appends more.
macro_rules! required_block {
    ($block:ty) => {
        impl From<$block> for Input<$block> {
            fn from(block: $block) -> Self {
                Input::from_value(onioncloud_core::Value::List(vec![
                    block.into(),
                ]))
            }
        }
    };
}

mod compute;
mod database;
mod loadbalancer;
mod monitoring;
mod network;
mod secrets;
mod storage;

#[cfg(test)]
mod tests;

pub use compute::*;
pub use database::*;
pub use loadbalancer::*;
pub use monitoring::*;
pub use network::*;
pub use secrets::*;
pub use storage::*;

/// Configurations of the `hashicorp/aws` provider.
pub struct Provider;

impl Provider {
    /// The default configuration for a region.
    pub fn region(region: &str) -> ProviderConfig {
        ProviderConfig::new("aws", "hashicorp/aws", "~> 5.100")
            .setting("region", region)
    }
}

/// The `default_tags` block of an AWS provider configuration: tags every
/// resource the configuration manages receives, and that the tag policy
/// counts.
///
/// ```
/// use onioncloud_providers::aws;
///
/// let config = aws::Provider::region("eu-west-1").setting(
///     "default_tags",
///     aws::default_tags([("owner", "platform"), ("cost_centre", "cc-1")]),
/// );
/// assert!(config.settings.contains_key("default_tags"));
/// ```
pub fn default_tags<K: Into<String>, V: Into<String>>(
    tags: impl IntoIterator<Item = (K, V)>,
) -> onioncloud_core::Value {
    use onioncloud_core::Value;
    let tags = tags
        .into_iter()
        .map(|(key, value)| (key.into(), Value::string(value.into())))
        .collect();
    Value::List(vec![Value::Map(std::collections::BTreeMap::from([(
        "tags".to_owned(),
        Value::Map(tags),
    )]))])
}
