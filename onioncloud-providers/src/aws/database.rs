//! Databases: RDS instances and their subnet groups.

use std::collections::BTreeMap;

use onioncloud_core::{Output, Secret};

use super::*;

resource! {
    /// An RDS database instance (`aws_db_instance`).
    ///
    /// The master password is a [`Secret`]: pass a
    /// [`SecretRef`](onioncloud_core::SecretRef), or let RDS keep it in
    /// Secrets Manager with `manage_master_user_password`.
    pub struct DbInstance("aws_db_instance") -> DbInstanceOutputs {
        required {
            /// The engine: `postgres`, `mysql`, `mariadb`, ...
            engine: String,
            /// The instance class, such as `db.t4g.micro`.
            instance_class: String,
        }
        optional {
            /// The instance's name; Terraform picks one when unset.
            identifier: String,
            /// A prefix for a unique name Terraform picks.
            identifier_prefix: String,
            /// The engine version, such as `16` or `16.4`.
            engine_version: String,
            /// Storage in GiB.
            allocated_storage: i64,
            /// The ceiling for storage autoscaling, in GiB.
            max_allocated_storage: i64,
            /// `gp3`, `gp2`, `io1`, `io2` or `standard`.
            storage_type: String,
            /// Provisioned IOPS.
            iops: i64,
            /// Whether the storage is encrypted.
            storage_encrypted: bool,
            /// The KMS key that encrypts the storage.
            kms_key_id: String,
            /// The name of the database created with the instance.
            db_name: String,
            /// The master user's name.
            username: String,
            /// The master user's password, kept in Terraform state.
            password: Secret,
            /// The master user's password as a write-only argument, never
            /// kept in state (Terraform 1.11 and later); bump
            /// `password_wo_version` to change it.
            password_wo: Secret,
            /// The version of `password_wo`; a new one updates the
            /// password.
            password_wo_version: i64,
            /// Whether RDS generates the master password and keeps it in
            /// Secrets Manager.
            manage_master_user_password: bool,
            /// The KMS key of the Secrets Manager secret RDS keeps.
            master_user_secret_kms_key_id: String,
            /// The port it listens on.
            port: i64,
            /// The DB subnet group, by name.
            db_subnet_group_name: String,
            /// The security groups, by id.
            vpc_security_group_ids: Vec<String>,
            /// Whether it has a public address.
            publicly_accessible: bool,
            /// Whether it has a standby in another availability zone.
            multi_az: bool,
            /// The availability zone (single-AZ instances).
            availability_zone: String,
            /// Days automated backups are kept, 0 to 35 (0: none).
            backup_retention_period: i64,
            /// The daily backup window, such as `03:00-04:00` (UTC).
            backup_window: String,
            /// The weekly maintenance window, such as
            /// `sun:05:00-sun:06:00` (UTC).
            maintenance_window: String,
            /// Whether deleting skips the final snapshot.
            skip_final_snapshot: bool,
            /// The name of the final snapshot taken on deletion.
            final_snapshot_identifier: String,
            /// Whether the instance is protected from deletion.
            deletion_protection: bool,
            /// Whether snapshots get the instance's tags.
            copy_tags_to_snapshot: bool,
            /// Whether minor engine upgrades apply automatically.
            auto_minor_version_upgrade: bool,
            /// Whether changes apply now rather than in the maintenance
            /// window.
            apply_immediately: bool,
            /// The DB parameter group, by name.
            parameter_group_name: String,
            /// The logs exported to CloudWatch Logs, such as
            /// `["postgresql", "upgrade"]`.
            enabled_cloudwatch_logs_exports: Vec<String>,
            /// Whether Performance Insights is on.
            performance_insights_enabled: bool,
            /// The KMS key of Performance Insights data.
            performance_insights_kms_key_id: String,
            /// Seconds between Enhanced Monitoring samples (0: off).
            monitoring_interval: i64,
            /// The role Enhanced Monitoring publishes with.
            monitoring_role_arn: String,
            /// Whether IAM users and roles can authenticate.
            iam_database_authentication_enabled: bool,
            /// The certificate authority of the server certificate.
            ca_cert_identifier: String,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The instance's id.
            id: String,
            /// The instance's ARN.
            arn: String,
            /// The instance's name.
            identifier: String,
            /// The host name clients connect to.
            address: String,
            /// The endpoint, `address:port`.
            endpoint: String,
            /// The port.
            port: i64,
            /// The Route 53 hosted zone id of the endpoint.
            hosted_zone_id: String,
            /// The region-unique, immutable resource id (`db-...`).
            resource_id: String,
            /// The master user's name.
            username: String,
        }
    }
}

impl DbInstanceOutputs {
    /// The ARN of the Secrets Manager secret holding the master password,
    /// with `manage_master_user_password`.
    pub fn master_user_secret_arn(&self) -> Output<String> {
        Output::attr(&self.address, "master_user_secret[0].secret_arn")
    }
}

resource! {
    /// The subnets an RDS instance may be placed in
    /// (`aws_db_subnet_group`).
    pub struct DbSubnetGroup("aws_db_subnet_group") -> DbSubnetGroupOutputs {
        required {
            /// The subnets, by id, in at least two availability zones.
            subnet_ids: Vec<String>,
        }
        optional {
            /// The group's name; Terraform picks one when unset.
            name: String,
            /// A prefix for a unique name Terraform picks.
            name_prefix: String,
            /// A description.
            description: String,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The group's id, its name.
            id: String,
            /// The group's ARN.
            arn: String,
            /// The group's name.
            name: String,
            /// The VPC of the subnets.
            vpc_id: String,
        }
    }
}
