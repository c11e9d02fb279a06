//! Ceph object storage through the RADOS Gateway (RGW), which speaks the
//! S3 API.
//!
//! There is no Ceph resource type: a bucket in Ceph is an `aws_s3_bucket`
//! managed by an aliased configuration of the `hashicorp/aws` provider
//! whose S3 endpoint is the gateway. [`Provider::rgw`] builds that
//! configuration: path-style addressing (RGW rarely has wildcard DNS for
//! virtual-hosted buckets), and no call to AWS's STS, IAM, metadata or
//! region services, which a gateway does not have. Declare buckets as
//! usual, typically with the typed `aws::S3Bucket`, and hand the gateway's
//! configuration to [`Meta::provider`](onioncloud_core::Meta::provider):
//!
//! ```
//! use onioncloud_core::{Env, GenericResource, Meta};
//! use onioncloud_providers::private::ceph;
//!
//! let mut env = Env::new("dc1");
//! let rgw = env.provider(ceph::Provider::rgw(
//!     "ceph",
//!     "https://rgw.dc1.example.internal",
//! ));
//! // With the `aws` feature, `aws::S3Bucket::new().bucket("backups")`.
//! let bucket = GenericResource::new("aws_s3_bucket").set("bucket", "backups");
//! env.add_with("backups", bucket, Meta::new().provider(&rgw));
//! let compiled = env.compile().expect("valid environment");
//! let files = onioncloud_core::terraform::synth(&compiled).unwrap();
//! // The bucket lands in the AWS root module, managed by `aws.ceph`.
//! assert!(files["aws/main.tf.json"].contains("\"provider\": \"aws.ceph\""));
//! ```
//!
//! Every resource meant for the gateway must name it: one without
//! `Meta::provider` goes to the default `aws` configuration, which is AWS
//! itself. Only the S3 resources the gateway implements work (buckets,
//! versioning, lifecycle, policies); the gateway's own features (quotas,
//! users) are administered outside Terraform.
//!
//! Credentials: the gateway's S3 keys are not AWS keys, and the AWS
//! provider reads `AWS_ACCESS_KEY_ID` for every configuration in the
//! module that sets none. So when the same environment also targets AWS,
//! give the gateway its keys explicitly with [`Provider::rgw_with_keys`]
//! (from a secret store, such as Vault), or a shared-credentials profile
//! with `.setting("profile", "ceph")`.

use std::collections::BTreeMap;

use onioncloud_core::{Input, ProviderConfig, Secret, Value};

/// Configurations of the `hashicorp/aws` provider aimed at a Ceph RADOS
/// Gateway.
pub struct Provider;

impl Provider {
    /// The region the configuration claims; RGW ignores it unless its
    /// zonegroup names one, and the AWS provider requires some region.
    pub const REGION: &'static str = "us-east-1";

    /// An aliased `aws` configuration whose S3 endpoint is the gateway at
    /// `endpoint_url`, such as `https://rgw.dc1.example.internal`.
    /// Resources choose it with `Meta::new().provider(&handle)`, where
    /// `handle` is what [`Env::provider`](onioncloud_core::Env::provider)
    /// returned.
    pub fn rgw(alias: &str, endpoint_url: &str) -> ProviderConfig {
        let endpoints = Value::List(vec![Value::Map(BTreeMap::from([(
            "s3".to_owned(),
            Value::string(endpoint_url),
        )]))]);
        ProviderConfig::new("aws", "hashicorp/aws", "~> 5.100")
            .alias(alias)
            .setting("region", Self::REGION)
            .setting("endpoints", endpoints)
            .setting("s3_use_path_style", true)
            .setting("skip_credentials_validation", true)
            .setting("skip_requesting_account_id", true)
            .setting("skip_region_validation", true)
            // A string in the AWS provider's schema, not a bool.
            .setting("skip_metadata_api_check", "true")
    }

    /// Like [`rgw`](Self::rgw), with the gateway's S3 access key and
    /// secret key read from a secret store; the configuration holds only
    /// the references.
    pub fn rgw_with_keys(
        alias: &str,
        endpoint_url: &str,
        access_key: impl Into<Input<Secret>>,
        secret_key: impl Into<Input<Secret>>,
    ) -> ProviderConfig {
        Self::rgw(alias, endpoint_url)
            .setting("access_key", access_key.into().into_value())
            .setting("secret_key", secret_key.into().into_value())
    }
}
