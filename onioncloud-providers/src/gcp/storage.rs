//! Cloud Storage buckets.

use std::collections::BTreeMap;

use super::*;

block! {
    /// Object versioning of a bucket (`versioning`).
    pub struct BucketVersioning {
        required {
            /// Whether old versions of objects are kept.
            enabled: bool,
        }
        optional {}
        blocks {}
    }
}

block! {
    /// The default customer-managed key of a bucket (`encryption`).
    pub struct BucketEncryption {
        required {
            /// The Cloud KMS key that encrypts new objects.
            default_kms_key_name: String,
        }
        optional {}
        blocks {}
    }
}

block! {
    /// Access logging of a bucket (`logging`).
    pub struct BucketLogging {
        required {
            /// The bucket that receives the logs.
            log_bucket: String,
        }
        optional {
            /// The prefix of the log objects; the bucket's name when
            /// unset.
            log_object_prefix: String,
        }
        blocks {}
    }
}

block! {
    /// What a lifecycle rule does (`action`).
    pub struct LifecycleAction {
        required {
            /// `Delete`, `SetStorageClass` or
            /// `AbortIncompleteMultipartUpload`.
            r#type: String,
        }
        optional {
            /// The target class, with `SetStorageClass`.
            storage_class: String,
        }
        blocks {}
    }
}

block! {
    /// When a lifecycle rule applies (`condition`).
    pub struct LifecycleCondition {
        required {}
        optional {
            /// The object's age in days.
            age: i64,
            /// `LIVE`, `ARCHIVED` or `ANY`.
            with_state: String,
            /// How many newer versions exist.
            num_newer_versions: i64,
            /// Object name prefixes.
            matches_prefix: Vec<String>,
        }
        blocks {}
    }
}

required_block!(LifecycleAction, LifecycleCondition);

block! {
    /// A lifecycle rule of a bucket (`lifecycle_rule`).
    pub struct LifecycleRule {
        required {
            /// What the rule does.
            action: LifecycleAction,
            /// When the rule applies.
            condition: LifecycleCondition,
        }
        optional {}
        blocks {}
    }
}

resource! {
    /// A Cloud Storage bucket (`google_storage_bucket`).
    pub struct StorageBucket("google_storage_bucket") -> StorageBucketOutputs {
        required {
            /// The bucket's globally unique name.
            name: String,
            /// The location: a region, a dual-region or a multi-region such
            /// as `EU`.
            location: String,
        }
        optional {
            /// Whether access is controlled by IAM alone, without object
            /// ACLs.
            uniform_bucket_level_access: bool,
            /// `enforced` to forbid public access, or `inherited`.
            public_access_prevention: String,
            /// Whether destroying the bucket deletes its objects first.
            force_destroy: bool,
            /// `STANDARD`, `NEARLINE`, `COLDLINE` or `ARCHIVE`.
            storage_class: String,
            /// Labels.
            labels: BTreeMap<String, String>,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// Object versioning.
            versioning: BucketVersioning,
            /// The default customer-managed encryption key.
            encryption: BucketEncryption,
            /// Access logging.
            logging: BucketLogging,
            /// A lifecycle rule.
            lifecycle_rule: LifecycleRule,
        }
        outputs {
            /// The bucket's id, its name.
            id: String,
            /// The bucket's name.
            name: String,
            /// The bucket's URI.
            self_link: String,
            /// The `gs://` URL.
            url: String,
        }
    }
}
