//! Secrets: Secrets Manager secrets, their metadata only.

use std::collections::BTreeMap;

use super::*;

resource! {
    /// A Secrets Manager secret (`aws_secretsmanager_secret`): its name,
    /// encryption and retention, never its value.
    ///
    /// OnionCloud does not handle secret values: put the value in the
    /// secret out of band, and refer to it with
    /// [`SecretRef::aws`](onioncloud_core::SecretRef::aws).
    pub struct SecretsmanagerSecret("aws_secretsmanager_secret")
        -> SecretsmanagerSecretOutputs
    {
        required {}
        optional {
            /// The secret's name, such as `prod/orders-db`.
            name: String,
            /// A prefix for a unique name Terraform picks.
            name_prefix: String,
            /// A description.
            description: String,
            /// The KMS key that encrypts the secret's values.
            kms_key_id: String,
            /// Days a deleted secret can be restored, 7 to 30, or 0 to
            /// delete at once.
            recovery_window_in_days: i64,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The secret's id, its ARN.
            id: String,
            /// The secret's ARN.
            arn: String,
            /// The secret's name.
            name: String,
        }
    }
}
