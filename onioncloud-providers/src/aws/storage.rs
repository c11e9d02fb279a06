//! Object storage: S3 buckets and their configuration resources.

use std::collections::BTreeMap;

use super::*;

resource! {
    /// An S3 bucket (`aws_s3_bucket`).
    ///
    /// Its encryption, versioning, public access and logging are separate
    /// resources: [`S3BucketServerSideEncryptionConfiguration`],
    /// [`S3BucketVersioning`], [`S3BucketPublicAccessBlock`] and
    /// [`S3BucketLogging`].
    pub struct S3Bucket("aws_s3_bucket") -> S3BucketOutputs {
        required {}
        optional {
            /// The bucket's globally unique name; Terraform picks one when
            /// unset.
            bucket: String,
            /// A prefix for a unique name Terraform picks.
            bucket_prefix: String,
            /// Whether destroying the bucket deletes its objects.
            force_destroy: bool,
            /// Whether S3 Object Lock is on; set at creation only.
            object_lock_enabled: bool,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The bucket's id, its name.
            id: String,
            /// The bucket's ARN.
            arn: String,
            /// The bucket's name.
            bucket: String,
            /// The bucket's domain name, `NAME.s3.amazonaws.com`.
            bucket_domain_name: String,
            /// The bucket's domain name in its region.
            bucket_regional_domain_name: String,
            /// The Route 53 hosted zone id of the bucket's region.
            hosted_zone_id: String,
            /// The bucket's region.
            region: String,
        }
    }
}

block! {
    /// The default encryption of new objects
    /// (`apply_server_side_encryption_by_default` of a bucket encryption
    /// rule).
    pub struct ApplyServerSideEncryptionByDefault {
        required {
            /// `aws:kms`, `aws:kms:dsse` or `AES256`.
            sse_algorithm: String,
        }
        optional {
            /// The KMS key, for the `aws:kms` algorithms; the AWS managed
            /// key when unset.
            kms_master_key_id: String,
        }
        blocks {}
    }
}

block! {
    /// A server-side encryption rule of a bucket
    /// (`aws_s3_bucket_server_side_encryption_configuration`'s `rule`).
    pub struct S3ServerSideEncryptionRule {
        required {}
        optional {
            /// Whether S3 Bucket Keys cut the KMS requests.
            bucket_key_enabled: bool,
        }
        blocks {
            /// The default encryption (at most one).
            apply_server_side_encryption_by_default:
                ApplyServerSideEncryptionByDefault,
        }
    }
}

required_block!(S3ServerSideEncryptionRule);

resource! {
    /// The default encryption of a bucket
    /// (`aws_s3_bucket_server_side_encryption_configuration`).
    pub struct S3BucketServerSideEncryptionConfiguration(
        "aws_s3_bucket_server_side_encryption_configuration"
    ) -> S3BucketServerSideEncryptionConfigurationOutputs {
        required {
            /// The bucket's name.
            bucket: String,
            /// The first encryption rule.
            rule: S3ServerSideEncryptionRule,
        }
        optional {
            /// The account expected to own the bucket.
            expected_bucket_owner: String,
        }
        blocks {
            /// Another encryption rule.
            rule: S3ServerSideEncryptionRule,
        }
        outputs {
            /// The configuration's id.
            id: String,
        }
    }
}

impl S3BucketServerSideEncryptionConfiguration {
    /// Encryption with a KMS key (`aws:kms`) and S3 Bucket Keys on.
    pub fn kms(
        bucket: impl Into<Input<String>>,
        kms_master_key_id: impl Into<Input<String>>,
    ) -> Self {
        Self::new(
            bucket,
            S3ServerSideEncryptionRule::new()
                .bucket_key_enabled(true)
                .apply_server_side_encryption_by_default(
                    ApplyServerSideEncryptionByDefault::new("aws:kms")
                        .kms_master_key_id(kms_master_key_id),
                ),
        )
    }
}

block! {
    /// The versioning state of a bucket (`aws_s3_bucket_versioning`'s
    /// `versioning_configuration`).
    pub struct VersioningConfiguration {
        required {
            /// `Enabled`, `Suspended`, or `Disabled` (only for a bucket
            /// never versioned).
            status: String,
        }
        optional {
            /// Whether deleting versions needs MFA: `Enabled` or
            /// `Disabled`.
            mfa_delete: String,
        }
        blocks {}
    }
}

required_block!(VersioningConfiguration);

resource! {
    /// The versioning of a bucket (`aws_s3_bucket_versioning`).
    pub struct S3BucketVersioning("aws_s3_bucket_versioning")
        -> S3BucketVersioningOutputs
    {
        required {
            /// The bucket's name.
            bucket: String,
            /// The versioning state.
            versioning_configuration: VersioningConfiguration,
        }
        optional {
            /// The account expected to own the bucket.
            expected_bucket_owner: String,
        }
        blocks {}
        outputs {
            /// The resource's id.
            id: String,
        }
    }
}

impl S3BucketVersioning {
    /// Versioning on (`Enabled`).
    pub fn enabled(bucket: impl Into<Input<String>>) -> Self {
        Self::new(bucket, VersioningConfiguration::new("Enabled"))
    }
}

resource! {
    /// The public access block of a bucket
    /// (`aws_s3_bucket_public_access_block`).
    pub struct S3BucketPublicAccessBlock(
        "aws_s3_bucket_public_access_block"
    ) -> S3BucketPublicAccessBlockOutputs {
        required {
            /// The bucket's name.
            bucket: String,
        }
        optional {
            /// Whether new public ACLs are rejected.
            block_public_acls: bool,
            /// Whether public bucket policies are rejected.
            block_public_policy: bool,
            /// Whether existing public ACLs are ignored.
            ignore_public_acls: bool,
            /// Whether public policies only let AWS services and the
            /// owner's account in.
            restrict_public_buckets: bool,
        }
        blocks {}
        outputs {
            /// The resource's id, the bucket's name.
            id: String,
        }
    }
}

impl S3BucketPublicAccessBlock {
    /// All four protections on: no public access at all.
    pub fn all(bucket: impl Into<Input<String>>) -> Self {
        Self::new(bucket)
            .block_public_acls(true)
            .block_public_policy(true)
            .ignore_public_acls(true)
            .restrict_public_buckets(true)
    }
}

resource! {
    /// The server access logging of a bucket (`aws_s3_bucket_logging`).
    pub struct S3BucketLogging("aws_s3_bucket_logging")
        -> S3BucketLoggingOutputs
    {
        required {
            /// The bucket whose access is logged.
            bucket: String,
            /// The bucket the logs go to.
            target_bucket: String,
            /// The key prefix of the logs, such as `logs/`.
            target_prefix: String,
        }
        optional {
            /// The account expected to own the bucket.
            expected_bucket_owner: String,
        }
        blocks {}
        outputs {
            /// The resource's id.
            id: String,
        }
    }
}

block! {
    /// The objects a lifecycle rule applies to (a rule's `filter`).
    pub struct LifecycleFilter {
        required {}
        optional {
            /// The key prefix, such as `alb/`; every object when empty.
            prefix: String,
        }
        blocks {}
    }
}

block! {
    /// When current object versions expire (a rule's `expiration`).
    pub struct LifecycleExpiration {
        required {}
        optional {
            /// Days after creation.
            days: i64,
            /// Whether delete markers with no versions left are removed.
            expired_object_delete_marker: bool,
        }
        blocks {}
    }
}

block! {
    /// When current object versions move to another storage class (a
    /// rule's `transition`).
    pub struct LifecycleTransition {
        required {
            /// The storage class, such as `GLACIER` or `STANDARD_IA`.
            storage_class: String,
        }
        optional {
            /// Days after creation.
            days: i64,
        }
        blocks {}
    }
}

block! {
    /// When noncurrent object versions expire (a rule's
    /// `noncurrent_version_expiration`).
    pub struct NoncurrentVersionExpiration {
        required {
            /// Days after a version becomes noncurrent.
            noncurrent_days: i64,
        }
        optional {}
        blocks {}
    }
}

block! {
    /// When unfinished multipart uploads are aborted (a rule's
    /// `abort_incomplete_multipart_upload`).
    pub struct AbortIncompleteMultipartUpload {
        required {}
        optional {
            /// Days after the upload started.
            days_after_initiation: i64,
        }
        blocks {}
    }
}

block! {
    /// A lifecycle rule of a bucket
    /// (`aws_s3_bucket_lifecycle_configuration`'s `rule`).
    pub struct LifecycleRule {
        required {
            /// The rule's name, unique in the bucket.
            id: String,
            /// `Enabled` or `Disabled`.
            status: String,
        }
        optional {}
        blocks {
            /// The objects it applies to (at most one).
            filter: LifecycleFilter,
            /// The expiration of current versions (at most one).
            expiration: LifecycleExpiration,
            /// A transition of current versions.
            transition: LifecycleTransition,
            /// The expiration of noncurrent versions (at most one).
            noncurrent_version_expiration: NoncurrentVersionExpiration,
            /// The abort of unfinished multipart uploads (at most one).
            abort_incomplete_multipart_upload: AbortIncompleteMultipartUpload,
        }
    }
}

required_block!(LifecycleRule);

resource! {
    /// The lifecycle rules of a bucket
    /// (`aws_s3_bucket_lifecycle_configuration`).
    pub struct S3BucketLifecycleConfiguration(
        "aws_s3_bucket_lifecycle_configuration"
    ) -> S3BucketLifecycleConfigurationOutputs {
        required {
            /// The bucket's name.
            bucket: String,
            /// The first rule.
            rule: LifecycleRule,
        }
        optional {
            /// The account expected to own the bucket.
            expected_bucket_owner: String,
        }
        blocks {
            /// Another rule.
            rule: LifecycleRule,
        }
        outputs {
            /// The configuration's id.
            id: String,
        }
    }
}
