//! Object storage: an S3 bucket (on AWS or a Ceph RADOS Gateway) or a
//! Cloud Storage bucket.

use onioncloud_core::{Component, Env, Handle, Input, Output, ProviderRef};

use super::{Common, common_methods, main_resource};
use crate::{aws, gcp};

/// A bucket, built for one cloud with [`ObjectStore::s3`],
/// [`ObjectStore::ceph`] or [`ObjectStore::gcs`].
///
/// By default a bucket is encrypted, versioned, closed to the public and
/// kept when Terraform destroys it with objects inside.
#[derive(Clone, Debug)]
pub struct ObjectStore<C> {
    cloud: C,
    common: Common,
}

common_methods!(ObjectStore);

// ----------------------------------------------------------------- S3 --

/// How an S3 bucket encrypts new objects.
#[derive(Clone, Debug)]
enum S3Encryption {
    /// `aws:kms`, with the given key or the AWS managed one, and S3
    /// Bucket Keys.
    Kms(Option<Input<String>>),
    /// `AES256`: keys managed by S3 (SSE-S3).
    Aes256,
    /// No encryption configuration: what the service does by default.
    ServiceDefault,
}

/// The S3 settings of an [`ObjectStore`]; see [`ObjectStore::s3`] and
/// [`ObjectStore::ceph`].
#[derive(Clone, Debug)]
pub struct S3 {
    bucket: Input<String>,
    encryption: S3Encryption,
    versioning: bool,
    block_public_access: bool,
    force_destroy: bool,
    access_logs: Option<(Input<String>, Input<String>)>,
    lifecycle: S3Lifecycle,
}

/// The lifecycle of an S3 bucket's objects; see
/// [`ObjectStore::expire_after_days`].
#[derive(Clone, Debug, Default)]
struct S3Lifecycle {
    expire_days: Option<Input<i64>>,
    transitions: Vec<(Input<i64>, Input<String>)>,
    noncurrent_expire_days: Option<Input<i64>>,
}

impl S3Lifecycle {
    fn is_empty(&self) -> bool {
        self.expire_days.is_none()
            && self.transitions.is_empty()
            && self.noncurrent_expire_days.is_none()
    }
}

/// Days after which a lifecycle configuration aborts unfinished multipart
/// uploads, whose parts are otherwise stored, and billed, forever.
const ABORT_UPLOADS_DAYS: i64 = 7;

impl ObjectStore<S3> {
    /// An S3 bucket named `bucket` (globally unique).
    ///
    /// Defaults: SSE-KMS with the AWS managed key and S3 Bucket Keys, all
    /// four public access blocks on, versioning on, `force_destroy` off.
    /// Access logging is on once [`access_logs`](Self::access_logs) names
    /// a log bucket. Objects live forever unless a lifecycle is set with
    /// [`expire_after_days`](Self::expire_after_days),
    /// [`transition_after_days`](Self::transition_after_days) or
    /// [`expire_noncurrent_after_days`](Self::expire_noncurrent_after_days).
    pub fn s3(bucket: impl Into<Input<String>>) -> Self {
        Self {
            cloud: S3 {
                bucket: bucket.into(),
                encryption: S3Encryption::Kms(None),
                versioning: true,
                block_public_access: true,
                force_destroy: false,
                access_logs: None,
                lifecycle: S3Lifecycle::default(),
            },
            common: Common::default(),
        }
    }

    /// A bucket named `bucket` in a Ceph RADOS Gateway, managed through
    /// `rgw`, the aliased AWS configuration that
    /// [`ceph::Provider::rgw`](crate::private::ceph::Provider::rgw) builds.
    ///
    /// The same defaults as [`s3`](Self::s3), except the encryption:
    /// SSE-S3 (`AES256`), which the gateway implements when an SSE-S3
    /// backend is configured (`rgw_crypt_sse_s3_backend`). For a gateway
    /// without one, turn it off with [`encryption`](Self::encryption).
    pub fn ceph(rgw: &ProviderRef, bucket: impl Into<Input<String>>) -> Self {
        let mut store = Self::s3(bucket).provider(rgw);
        store.cloud.encryption = S3Encryption::Aes256;
        store
    }

    /// Encrypts with SSE-KMS and this KMS key instead of the AWS managed
    /// one.
    pub fn kms_key(mut self, key: impl Into<Input<String>>) -> Self {
        self.cloud.encryption = S3Encryption::Kms(Some(key.into()));
        self
    }

    /// Encrypts with SSE-S3 (`AES256`) instead of SSE-KMS, as buckets that
    /// receive load balancer access logs need.
    pub fn sse_s3(mut self) -> Self {
        self.cloud.encryption = S3Encryption::Aes256;
        self
    }

    /// Whether a default encryption configuration is declared; `true` by
    /// default. With `false`, the service's own default applies (SSE-S3
    /// on AWS, none on most gateways).
    pub fn encryption(mut self, on: bool) -> Self {
        if !on {
            self.cloud.encryption = S3Encryption::ServiceDefault;
        } else if let S3Encryption::ServiceDefault = self.cloud.encryption {
            self.cloud.encryption = S3Encryption::Kms(None);
        }
        self
    }

    /// Whether object versioning is on; `true` by default.
    pub fn versioning(mut self, on: bool) -> Self {
        self.cloud.versioning = on;
        self
    }

    /// Whether the four public access blocks are declared on; `true` by
    /// default.
    pub fn block_public_access(mut self, on: bool) -> Self {
        self.cloud.block_public_access = on;
        self
    }

    /// Whether destroying the bucket deletes its objects; `false` by
    /// default.
    pub fn force_destroy(mut self, on: bool) -> Self {
        self.cloud.force_destroy = on;
        self
    }

    /// Logs access to the bucket into `target_bucket` (by name), under
    /// `prefix` such as `s3/orders/`.
    pub fn access_logs(
        mut self,
        target_bucket: impl Into<Input<String>>,
        prefix: impl Into<Input<String>>,
    ) -> Self {
        self.cloud.access_logs = Some((target_bucket.into(), prefix.into()));
        self
    }

    /// Expires objects `days` after their creation: they become
    /// noncurrent versions of a versioned bucket, and are deleted from an
    /// unversioned one.
    ///
    /// Any lifecycle setting declares a lifecycle configuration
    /// (`{name}-lifecycle`) with one rule for the whole bucket, which also
    /// aborts multipart uploads left unfinished for seven days.
    pub fn expire_after_days(mut self, days: impl Into<Input<i64>>) -> Self {
        self.cloud.lifecycle.expire_days = Some(days.into());
        self
    }

    /// Moves objects to `storage_class` (such as `STANDARD_IA` or
    /// `GLACIER`) `days` after their creation; call it again for further
    /// transitions.
    pub fn transition_after_days(
        mut self,
        days: impl Into<Input<i64>>,
        storage_class: impl Into<Input<String>>,
    ) -> Self {
        self.cloud
            .lifecycle
            .transitions
            .push((days.into(), storage_class.into()));
        self
    }

    /// Deletes noncurrent versions `days` after a newer version replaced
    /// them (or the object was deleted).
    pub fn expire_noncurrent_after_days(
        mut self,
        days: impl Into<Input<i64>>,
    ) -> Self {
        self.cloud.lifecycle.noncurrent_expire_days = Some(days.into());
        self
    }
}

/// What declaring an [`ObjectStore<S3>`] returns.
#[derive(Clone, Debug)]
pub struct S3Output {
    /// The bucket, named after the component.
    pub bucket: Handle<aws::S3Bucket>,
    /// The default encryption (`{name}-encryption`), unless turned off.
    pub encryption:
        Option<Handle<aws::S3BucketServerSideEncryptionConfiguration>>,
    /// The public access block (`{name}-public-access`), unless turned
    /// off.
    pub public_access_block: Option<Handle<aws::S3BucketPublicAccessBlock>>,
    /// The versioning (`{name}-versioning`), unless turned off.
    pub versioning: Option<Handle<aws::S3BucketVersioning>>,
    /// The access logging (`{name}-logging`), with a log bucket.
    pub logging: Option<Handle<aws::S3BucketLogging>>,
    /// The lifecycle configuration (`{name}-lifecycle`), with a lifecycle
    /// setting.
    pub lifecycle: Option<Handle<aws::S3BucketLifecycleConfiguration>>,
}

main_resource!(S3Output, bucket);

impl S3Output {
    /// The bucket's name.
    pub fn name(&self) -> Output<String> {
        self.bucket.bucket()
    }

    /// The bucket's ARN.
    pub fn arn(&self) -> Output<String> {
        self.bucket.arn()
    }

    /// The bucket's domain name in its region.
    pub fn regional_domain_name(&self) -> Output<String> {
        self.bucket.bucket_regional_domain_name()
    }
}

impl Component for ObjectStore<S3> {
    type Output = S3Output;

    fn declare(self, env: &mut Env, name: &str) -> S3Output {
        let c = self.cloud;
        let other = self.common.other_meta();
        let mut resource = aws::S3Bucket::new()
            .bucket(c.bucket)
            .force_destroy(c.force_destroy);
        if !self.common.tags.is_empty() {
            resource = resource.tags(self.common.tags.clone());
        }
        let bucket = env.add_with(name, resource, self.common.main_meta());

        let by_default = match c.encryption {
            S3Encryption::Kms(key) => {
                let mut default =
                    aws::ApplyServerSideEncryptionByDefault::new("aws:kms");
                if let Some(key) = key {
                    default = default.kms_master_key_id(key);
                }
                Some((default, true))
            }
            S3Encryption::Aes256 => Some((
                aws::ApplyServerSideEncryptionByDefault::new("AES256"),
                false,
            )),
            S3Encryption::ServiceDefault => None,
        };
        let encryption = by_default.map(|(default, bucket_key)| {
            let mut rule = aws::S3ServerSideEncryptionRule::new()
                .apply_server_side_encryption_by_default(default);
            if bucket_key {
                rule = rule.bucket_key_enabled(true);
            }
            env.add_with(
                format!("{name}-encryption"),
                aws::S3BucketServerSideEncryptionConfiguration::new(
                    bucket.id(),
                    rule,
                ),
                other.clone(),
            )
        });
        let public_access_block = c.block_public_access.then(|| {
            env.add_with(
                format!("{name}-public-access"),
                aws::S3BucketPublicAccessBlock::all(bucket.id()),
                other.clone(),
            )
        });
        let versioning = c.versioning.then(|| {
            env.add_with(
                format!("{name}-versioning"),
                aws::S3BucketVersioning::enabled(bucket.id()),
                other.clone(),
            )
        });
        let logging = c.access_logs.map(|(target, prefix)| {
            env.add_with(
                format!("{name}-logging"),
                aws::S3BucketLogging::new(bucket.id(), target, prefix),
                other.clone(),
            )
        });
        let lifecycle = (!c.lifecycle.is_empty()).then(|| {
            let l = c.lifecycle;
            let mut rule = aws::LifecycleRule::new("onioncloud", "Enabled")
                .filter(aws::LifecycleFilter::new())
                .abort_incomplete_multipart_upload(
                    aws::AbortIncompleteMultipartUpload::new()
                        .days_after_initiation(ABORT_UPLOADS_DAYS),
                );
            for (days, class) in l.transitions {
                rule = rule.transition(
                    aws::LifecycleTransition::new(class).days(days),
                );
            }
            if let Some(days) = l.expire_days {
                rule =
                    rule.expiration(aws::LifecycleExpiration::new().days(days));
            }
            if let Some(days) = l.noncurrent_expire_days {
                rule = rule.noncurrent_version_expiration(
                    aws::NoncurrentVersionExpiration::new(days),
                );
            }
            // After versioning: S3 refuses noncurrent-version rules on a
            // bucket that has never been versioned.
            let mut meta = other.clone();
            if let Some(versioning) = &versioning {
                meta = meta.depends_on(versioning);
            }
            env.add_with(
                format!("{name}-lifecycle"),
                aws::S3BucketLifecycleConfiguration::new(bucket.id(), rule),
                meta,
            )
        });
        S3Output {
            bucket,
            encryption,
            public_access_block,
            versioning,
            logging,
            lifecycle,
        }
    }
}

// ------------------------------------------------------- Cloud Storage --

/// The Cloud Storage settings of an [`ObjectStore`]; see
/// [`ObjectStore::gcs`].
#[derive(Clone, Debug)]
pub struct Gcs {
    bucket: Input<String>,
    location: Input<String>,
    kms_key: Option<Input<String>>,
    versioning: bool,
    uniform_access: bool,
    block_public_access: bool,
    force_destroy: bool,
    access_logs: Option<(Input<String>, Input<String>)>,
}

impl ObjectStore<Gcs> {
    /// A Cloud Storage bucket named `bucket` (globally unique) in
    /// `location`, such as `EU` or `europe-west1`.
    ///
    /// Defaults: uniform bucket-level access, public access prevention
    /// `enforced`, versioning on, `force_destroy` off, Google-managed
    /// encryption. Access logging is on once
    /// [`access_logs`](Self::access_logs) names a log bucket.
    pub fn gcs(
        bucket: impl Into<Input<String>>,
        location: impl Into<Input<String>>,
    ) -> Self {
        Self {
            cloud: Gcs {
                bucket: bucket.into(),
                location: location.into(),
                kms_key: None,
                versioning: true,
                uniform_access: true,
                block_public_access: true,
                force_destroy: false,
                access_logs: None,
            },
            common: Common::default(),
        }
    }

    /// Encrypts new objects with this Cloud KMS key instead of a
    /// Google-managed one.
    pub fn kms_key(mut self, key: impl Into<Input<String>>) -> Self {
        self.cloud.kms_key = Some(key.into());
        self
    }

    /// Whether object versioning is on; `true` by default.
    pub fn versioning(mut self, on: bool) -> Self {
        self.cloud.versioning = on;
        self
    }

    /// Whether access is controlled by IAM alone, without object ACLs;
    /// `true` by default.
    pub fn uniform_access(mut self, on: bool) -> Self {
        self.cloud.uniform_access = on;
        self
    }

    /// Whether public access prevention is `enforced` (`true`, the
    /// default) or `inherited` from the project.
    pub fn block_public_access(mut self, on: bool) -> Self {
        self.cloud.block_public_access = on;
        self
    }

    /// Whether destroying the bucket deletes its objects; `false` by
    /// default.
    pub fn force_destroy(mut self, on: bool) -> Self {
        self.cloud.force_destroy = on;
        self
    }

    /// Logs access to the bucket into `log_bucket` (by name), with object
    /// names starting with `prefix`.
    pub fn access_logs(
        mut self,
        log_bucket: impl Into<Input<String>>,
        prefix: impl Into<Input<String>>,
    ) -> Self {
        self.cloud.access_logs = Some((log_bucket.into(), prefix.into()));
        self
    }
}

/// What declaring an [`ObjectStore<Gcs>`] returns.
#[derive(Clone, Debug)]
pub struct GcsOutput {
    /// The bucket, named after the component.
    pub bucket: Handle<gcp::StorageBucket>,
}

main_resource!(GcsOutput, bucket);

impl GcsOutput {
    /// The bucket's name.
    pub fn name(&self) -> Output<String> {
        self.bucket.name()
    }

    /// The bucket's `gs://` URL.
    pub fn url(&self) -> Output<String> {
        self.bucket.url()
    }
}

impl Component for ObjectStore<Gcs> {
    type Output = GcsOutput;

    fn declare(self, env: &mut Env, name: &str) -> GcsOutput {
        let c = self.cloud;
        let prevention = if c.block_public_access {
            "enforced"
        } else {
            "inherited"
        };
        let mut resource = gcp::StorageBucket::new(c.bucket, c.location)
            .uniform_bucket_level_access(c.uniform_access)
            .public_access_prevention(prevention)
            .force_destroy(c.force_destroy)
            .versioning(gcp::BucketVersioning::new(c.versioning));
        if let Some(key) = c.kms_key {
            resource = resource.encryption(gcp::BucketEncryption::new(key));
        }
        if let Some((log_bucket, prefix)) = c.access_logs {
            resource = resource.logging(
                gcp::BucketLogging::new(log_bucket).log_object_prefix(prefix),
            );
        }
        if !self.common.tags.is_empty() {
            resource = resource.labels(self.common.tags.clone());
        }
        let bucket = env.add_with(name, resource, self.common.main_meta());
        GcsOutput { bucket }
    }
}
