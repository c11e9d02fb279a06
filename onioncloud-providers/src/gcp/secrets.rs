//! Secret Manager secrets: the secret's metadata only. Its value is never
//! declared here; it is added out of band, and resources read it through
//! a [`SecretRef`](onioncloud_core::SecretRef) such as
//! `SecretRef::gcp("orders-db")`.

use std::collections::BTreeMap;

use super::*;

block! {
    /// A customer-managed key for a secret's replicas
    /// (`customer_managed_encryption`).
    pub struct CustomerManagedEncryption {
        required {
            /// The Cloud KMS key.
            kms_key_name: String,
        }
        optional {}
        blocks {}
    }
}

block! {
    /// Replication chosen by Google (`auto`).
    pub struct AutoReplication {
        required {}
        optional {}
        blocks {
            /// A customer-managed key.
            customer_managed_encryption: CustomerManagedEncryption,
        }
    }
}

block! {
    /// One location of user-managed replication (`replicas`).
    pub struct Replica {
        required {
            /// The location, such as `europe-west1`.
            location: String,
        }
        optional {}
        blocks {
            /// A customer-managed key for this replica.
            customer_managed_encryption: CustomerManagedEncryption,
        }
    }
}

block! {
    /// Replication in chosen locations (`user_managed`).
    pub struct UserManagedReplication {
        required {}
        optional {}
        blocks {
            /// A replica; at least one.
            replicas: Replica,
        }
    }
}

block! {
    /// Where a secret is replicated (`replication`): set exactly one of
    /// `auto` and `user_managed`.
    pub struct Replication {
        required {}
        optional {}
        blocks {
            /// Replication chosen by Google.
            auto: AutoReplication,
            /// Replication in chosen locations.
            user_managed: UserManagedReplication,
        }
    }
}

impl Replication {
    /// Automatic replication, the usual choice.
    pub fn automatic() -> Self {
        Self::new().auto(AutoReplication::new())
    }
}

required_block!(Replication);

resource! {
    /// A Secret Manager secret, without its value
    /// (`google_secret_manager_secret`).
    pub struct SecretManagerSecret("google_secret_manager_secret")
        -> SecretManagerSecretOutputs
    {
        required {
            /// The secret's id, unique in the project.
            secret_id: String,
            /// Where the secret is replicated, such as
            /// `Replication::automatic()`.
            replication: Replication,
        }
        optional {
            /// Labels.
            labels: BTreeMap<String, String>,
            /// Annotations.
            annotations: BTreeMap<String, String>,
            /// Whether Terraform refuses to destroy the secret.
            deletion_protection: bool,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {}
        outputs {
            /// The secret's id (`projects/P/secrets/S`).
            id: String,
            /// The secret's resource name.
            name: String,
        }
    }
}
