//! Databases: PostgreSQL on RDS or Cloud SQL.

use std::collections::BTreeMap;

use onioncloud_core::{
    Component, Env, Handle, Input, Output, Secret, Value, concat,
};

use super::{Common, cloud_name, common_methods, main_resource};
use crate::{aws, gcp};

/// A managed database, built for one cloud with
/// [`Database::aws_postgres`] or [`Database::gcp_postgres`].
///
/// By default a database is encrypted at rest, reachable only from
/// private networks, backed up daily with point-in-time recovery,
/// protected from deletion, and its password is a secret reference, never
/// text.
#[derive(Clone, Debug)]
pub struct Database<C> {
    pub(super) cloud: C,
    pub(super) common: Common,
}

common_methods!(Database);

// ---------------------------------------------------------------- RDS --

/// The RDS settings of a [`Database`]; see [`Database::aws_postgres`].
#[derive(Clone, Debug)]
pub struct Rds {
    engine: &'static str,
    version: Input<String>,
    subnet_ids: Input<Vec<String>>,
    identifier: Option<String>,
    instance_class: Input<String>,
    allocated_storage_gb: Input<i64>,
    max_allocated_storage_gb: Option<Input<i64>>,
    username: Input<String>,
    password: Option<Input<Secret>>,
    password_version: Input<i64>,
    db_name: Option<Input<String>>,
    security_group_ids: Option<Input<Vec<String>>>,
    public_ip: bool,
    storage_encrypted: bool,
    kms_key: Option<Input<String>>,
    backup_retention_days: Input<i64>,
    multi_az: bool,
    deletion_protection: bool,
    final_snapshot: bool,
    log_exports: Input<Vec<String>>,
    iam_authentication: bool,
    parameter_group: Option<Input<String>>,
}

impl Database<Rds> {
    /// An RDS PostgreSQL instance of engine version `version` (such as
    /// `16`), in a subnet group of `subnet_ids` (in at least two
    /// availability zones).
    ///
    /// Defaults: `db.t4g.micro` with 20 GiB of `gp3`, storage encrypted,
    /// not publicly accessible, seven days of backups, deletion
    /// protection and a final snapshot, the `postgresql` and `upgrade`
    /// logs exported to CloudWatch, IAM authentication, minor upgrades
    /// applied automatically. The master user is `postgres`; its password
    /// is RDS-managed in Secrets Manager unless
    /// [`password`](Self::password) gives a secret reference.
    pub fn aws_postgres(
        version: impl Into<Input<String>>,
        subnet_ids: impl Into<Input<Vec<String>>>,
    ) -> Self {
        Self {
            cloud: Rds {
                engine: "postgres",
                version: version.into(),
                subnet_ids: subnet_ids.into(),
                identifier: None,
                instance_class: "db.t4g.micro".into(),
                allocated_storage_gb: Input::from(20_i64),
                max_allocated_storage_gb: None,
                username: "postgres".into(),
                password: None,
                password_version: Input::from(1_i64),
                db_name: None,
                security_group_ids: None,
                public_ip: false,
                storage_encrypted: true,
                kms_key: None,
                backup_retention_days: Input::from(7_i64),
                multi_az: false,
                deletion_protection: true,
                final_snapshot: true,
                log_exports: vec!["postgresql", "upgrade"].into(),
                iam_authentication: true,
                parameter_group: None,
            },
            common: Common::default(),
        }
    }

    /// The instance's identifier in RDS; by default the component's name,
    /// lowercased, with other characters than letters and digits turned
    /// into hyphens.
    pub fn identifier(mut self, identifier: impl Into<String>) -> Self {
        self.cloud.identifier = Some(identifier.into());
        self
    }

    /// The instance class; `db.t4g.micro` by default.
    pub fn instance_class(mut self, class: impl Into<Input<String>>) -> Self {
        self.cloud.instance_class = class.into();
        self
    }

    /// Storage in GiB; 20 by default.
    pub fn allocated_storage_gb(mut self, size: impl Into<Input<i64>>) -> Self {
        self.cloud.allocated_storage_gb = size.into();
        self
    }

    /// The ceiling of storage autoscaling in GiB; no autoscaling when
    /// unset.
    pub fn max_allocated_storage_gb(
        mut self,
        size: impl Into<Input<i64>>,
    ) -> Self {
        self.cloud.max_allocated_storage_gb = Some(size.into());
        self
    }

    /// The master user's name; `postgres` by default.
    pub fn username(mut self, name: impl Into<Input<String>>) -> Self {
        self.cloud.username = name.into();
        self
    }

    /// The master user's password, from a secret store such as
    /// `SecretRef::aws("prod/orders-db")`. It is passed as the write-only
    /// `password_wo`, so Terraform does not keep it in its state; bump
    /// [`password_version`](Self::password_version) after changing it.
    pub fn password(mut self, password: impl Into<Input<Secret>>) -> Self {
        self.cloud.password = Some(password.into());
        self
    }

    /// The version of the password (`password_wo_version`); 1 by default.
    pub fn password_version(mut self, version: impl Into<Input<i64>>) -> Self {
        self.cloud.password_version = version.into();
        self
    }

    /// The name of a database created with the instance.
    pub fn db_name(mut self, name: impl Into<Input<String>>) -> Self {
        self.cloud.db_name = Some(name.into());
        self
    }

    /// The security groups, by id; the VPC's default group when unset.
    pub fn security_groups(
        mut self,
        ids: impl Into<Input<Vec<String>>>,
    ) -> Self {
        self.cloud.security_group_ids = Some(ids.into());
        self
    }

    /// Whether the instance has a public address
    /// (`publicly_accessible`); `false` by default.
    pub fn public_ip(mut self, public: bool) -> Self {
        self.cloud.public_ip = public;
        self
    }

    /// Whether the storage is encrypted; `true` by default.
    pub fn storage_encrypted(mut self, on: bool) -> Self {
        self.cloud.storage_encrypted = on;
        self
    }

    /// Encrypts the storage with this KMS key instead of the AWS managed
    /// one.
    pub fn kms_key(mut self, key: impl Into<Input<String>>) -> Self {
        self.cloud.kms_key = Some(key.into());
        self
    }

    /// Days automated backups are kept, 0 to 35; 7 by default, 0 turns
    /// backups off.
    pub fn backup_retention_days(
        mut self,
        days: impl Into<Input<i64>>,
    ) -> Self {
        self.cloud.backup_retention_days = days.into();
        self
    }

    /// Whether a standby runs in another availability zone; `false` by
    /// default.
    pub fn multi_az(mut self, on: bool) -> Self {
        self.cloud.multi_az = on;
        self
    }

    /// Whether deletion is refused; `true` by default.
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.cloud.deletion_protection = on;
        self
    }

    /// Whether a final snapshot (`{identifier}-final`) is taken when the
    /// instance is deleted; `true` by default.
    pub fn final_snapshot(mut self, on: bool) -> Self {
        self.cloud.final_snapshot = on;
        self
    }

    /// The logs exported to CloudWatch Logs; `postgresql` and `upgrade` by
    /// default, none with an empty list.
    pub fn log_exports(mut self, logs: impl Into<Input<Vec<String>>>) -> Self {
        self.cloud.log_exports = logs.into();
        self
    }

    /// Whether IAM users and roles can authenticate; `true` by default.
    pub fn iam_authentication(mut self, on: bool) -> Self {
        self.cloud.iam_authentication = on;
        self
    }

    /// The DB parameter group, by name, such as one that turns on
    /// statement logging; the engine's default group when unset.
    pub fn parameter_group(mut self, name: impl Into<Input<String>>) -> Self {
        self.cloud.parameter_group = Some(name.into());
        self
    }
}

/// What declaring a [`Database<Rds>`] returns.
#[derive(Clone, Debug)]
pub struct RdsOutput {
    /// The instance, named after the component.
    pub instance: Handle<aws::DbInstance>,
    /// Its subnet group, `{name}-subnets`.
    pub subnet_group: Handle<aws::DbSubnetGroup>,
}

main_resource!(RdsOutput, instance);

impl RdsOutput {
    /// The host name clients connect to.
    pub fn host(&self) -> Output<String> {
        self.instance.address()
    }

    /// The port.
    pub fn port(&self) -> Output<i64> {
        self.instance.port()
    }

    /// The endpoint, `host:port`.
    pub fn endpoint(&self) -> Output<String> {
        self.instance.endpoint()
    }

    /// The instance's ARN.
    pub fn arn(&self) -> Output<String> {
        self.instance.arn()
    }
}

impl Component for Database<Rds> {
    type Output = RdsOutput;

    fn declare(self, env: &mut Env, name: &str) -> RdsOutput {
        let c = self.cloud;
        let identifier = c.identifier.unwrap_or_else(|| cloud_name(name, 63));
        let tags = self.common.tags.clone();

        let mut group = aws::DbSubnetGroup::new(c.subnet_ids)
            .name(format!("{identifier}-subnets"))
            .description(format!("Subnets of the {identifier} database"));
        if !tags.is_empty() {
            group = group.tags(tags.clone());
        }
        let subnet_group = env.add_with(
            format!("{name}-subnets"),
            group,
            self.common.other_meta(),
        );

        let mut db = aws::DbInstance::new(c.engine, c.instance_class)
            .identifier(identifier.clone())
            .engine_version(c.version)
            .allocated_storage(c.allocated_storage_gb)
            .storage_type("gp3")
            .storage_encrypted(c.storage_encrypted)
            .username(c.username)
            .db_subnet_group_name(subnet_group.name())
            .publicly_accessible(c.public_ip)
            .multi_az(c.multi_az)
            .backup_retention_period(c.backup_retention_days)
            .deletion_protection(c.deletion_protection)
            .copy_tags_to_snapshot(true)
            .auto_minor_version_upgrade(true)
            .enabled_cloudwatch_logs_exports(c.log_exports)
            .iam_database_authentication_enabled(c.iam_authentication);
        db = match c.password {
            Some(password) => db
                .password_wo(password)
                .password_wo_version(c.password_version),
            None => db.manage_master_user_password(true),
        };
        db = if c.final_snapshot {
            db.skip_final_snapshot(false)
                .final_snapshot_identifier(format!("{identifier}-final"))
        } else {
            db.skip_final_snapshot(true)
        };
        if let Some(size) = c.max_allocated_storage_gb {
            db = db.max_allocated_storage(size);
        }
        if let Some(name) = c.db_name {
            db = db.db_name(name);
        }
        if let Some(groups) = c.security_group_ids {
            db = db.vpc_security_group_ids(groups);
        }
        if let Some(key) = c.kms_key {
            db = db.kms_key_id(key);
        }
        if let Some(group) = c.parameter_group {
            db = db.parameter_group_name(group);
        }
        if !tags.is_empty() {
            db = db.tags(tags);
        }
        let instance = env.add_with(name, db, self.common.main_meta());
        RdsOutput {
            instance,
            subnet_group,
        }
    }
}

// ---------------------------------------------------------- Cloud SQL --

/// The Cloud SQL settings of a [`Database`]; see
/// [`Database::gcp_postgres`].
#[derive(Clone, Debug)]
pub struct CloudSql {
    database_version: String,
    private_network: Input<String>,
    instance_name: Option<String>,
    region: Option<Input<String>>,
    tier: Input<String>,
    edition: Input<String>,
    high_availability: bool,
    disk_size_gb: Option<Input<i64>>,
    password: Option<Input<Secret>>,
    backup_retention_days: i64,
    deletion_protection: bool,
    public_ip: bool,
    kms_key: Option<Input<String>>,
    allocated_ip_range: Option<Input<String>>,
    flags: BTreeMap<String, String>,
}

/// The database flags a Cloud SQL PostgreSQL instance gets by default:
/// the audit logging of the CIS Google Cloud benchmark.
const DEFAULT_FLAGS: &[(&str, &str)] = &[
    ("cloudsql.enable_pgaudit", "on"),
    ("log_checkpoints", "on"),
    ("log_connections", "on"),
    ("log_disconnections", "on"),
    ("log_duration", "on"),
    ("log_hostname", "on"),
    ("log_min_error_statement", "error"),
    ("log_statement", "ddl"),
];

impl Database<CloudSql> {
    /// A Cloud SQL PostgreSQL instance of major version `version` (such as
    /// `16`, or a full `POSTGRES_16`), with a private address in
    /// `private_network` (a network's self link or id). The network needs
    /// private services access (a `VPC_PEERING` global address and a
    /// `google_service_networking_connection`); make the database
    /// [`depends_on`](Self::depends_on) the connection.
    ///
    /// Defaults: edition `ENTERPRISE`, tier `db-custom-2-7680`, a zonal
    /// instance with an autoresizing SSD, no public IPv4 address, TLS
    /// required (`ENCRYPTED_ONLY`), daily backups with point-in-time
    /// recovery kept seven days, deletion protection both in Terraform and
    /// in the API, and audit logging through database flags:
    /// `cloudsql.enable_pgaudit`, `log_checkpoints`, `log_connections`,
    /// `log_disconnections`, `log_duration` and `log_hostname` `on`,
    /// `log_min_error_statement` `error` and `log_statement` `ddl` (change
    /// or remove them with [`database_flag`](Self::database_flag) and
    /// [`remove_database_flag`](Self::remove_database_flag)).
    pub fn gcp_postgres(
        version: impl AsRef<str>,
        private_network: impl Into<Input<String>>,
    ) -> Self {
        let version = version.as_ref();
        let database_version = if version.starts_with("POSTGRES_") {
            version.to_owned()
        } else {
            format!("POSTGRES_{}", version.replace('.', "_"))
        };
        Self {
            cloud: CloudSql {
                database_version,
                private_network: private_network.into(),
                instance_name: None,
                region: None,
                tier: "db-custom-2-7680".into(),
                edition: "ENTERPRISE".into(),
                high_availability: false,
                disk_size_gb: None,
                password: None,
                backup_retention_days: 7,
                deletion_protection: true,
                public_ip: false,
                kms_key: None,
                allocated_ip_range: None,
                flags: DEFAULT_FLAGS
                    .iter()
                    .map(|(name, value)| {
                        ((*name).to_owned(), (*value).to_owned())
                    })
                    .collect(),
            },
            common: Common::default(),
        }
    }

    /// The instance's name in Google Cloud; by default the component's
    /// name, lowercased, with other characters than letters and digits
    /// turned into hyphens.
    pub fn instance_name(mut self, name: impl Into<String>) -> Self {
        self.cloud.instance_name = Some(name.into());
        self
    }

    /// The region, when not the provider's.
    pub fn region(mut self, region: impl Into<Input<String>>) -> Self {
        self.cloud.region = Some(region.into());
        self
    }

    /// The machine tier; `db-custom-2-7680` by default.
    pub fn tier(mut self, tier: impl Into<Input<String>>) -> Self {
        self.cloud.tier = tier.into();
        self
    }

    /// `ENTERPRISE` (the default) or `ENTERPRISE_PLUS`, whose tiers are
    /// `db-perf-optimized-*`.
    pub fn edition(mut self, edition: impl Into<Input<String>>) -> Self {
        self.cloud.edition = edition.into();
        self
    }

    /// Whether the instance is regional, with a standby in another zone;
    /// `false` by default.
    pub fn high_availability(mut self, on: bool) -> Self {
        self.cloud.high_availability = on;
        self
    }

    /// The disk size in GB; it grows automatically from there.
    pub fn disk_size_gb(mut self, size: impl Into<Input<i64>>) -> Self {
        self.cloud.disk_size_gb = Some(size.into());
        self
    }

    /// The `postgres` user's password, from a secret store such as
    /// `SecretRef::gcp("orders-db")`.
    pub fn password(mut self, password: impl Into<Input<Secret>>) -> Self {
        self.cloud.password = Some(password.into());
        self
    }

    /// Days of backups and of transaction logs for point-in-time recovery
    /// kept, 1 to 7 for the logs (backups keep as many daily copies); 7 by
    /// default. 0 turns backups and point-in-time recovery off.
    pub fn backup_retention_days(mut self, days: u8) -> Self {
        self.cloud.backup_retention_days = i64::from(days);
        self
    }

    /// Whether deletion is refused, by Terraform and by the API; `true`
    /// by default.
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.cloud.deletion_protection = on;
        self
    }

    /// Whether the instance has a public IPv4 address (`ipv4_enabled`);
    /// `false` by default.
    pub fn public_ip(mut self, public: bool) -> Self {
        self.cloud.public_ip = public;
        self
    }

    /// Encrypts the instance with this Cloud KMS key instead of a
    /// Google-managed one.
    pub fn kms_key(mut self, key: impl Into<Input<String>>) -> Self {
        self.cloud.kms_key = Some(key.into());
        self
    }

    /// The name of the allocated range for the private address, when the
    /// network has several.
    pub fn allocated_ip_range(
        mut self,
        range: impl Into<Input<String>>,
    ) -> Self {
        self.cloud.allocated_ip_range = Some(range.into());
        self
    }

    /// Sets the database flag `name` to `value`, replacing its default if
    /// it has one, such as `database_flag("log_statement", "all")`.
    pub fn database_flag(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.cloud.flags.insert(name.into(), value.into());
        self
    }

    /// Leaves the database flag `name` out, to the service's default,
    /// such as `remove_database_flag("log_hostname")`.
    pub fn remove_database_flag(mut self, name: &str) -> Self {
        self.cloud.flags.remove(name);
        self
    }
}

/// What declaring a [`Database<CloudSql>`] returns.
#[derive(Clone, Debug)]
pub struct CloudSqlOutput {
    /// The instance, named after the component.
    pub instance: Handle<gcp::SqlDatabaseInstance>,
}

main_resource!(CloudSqlOutput, instance);

impl CloudSqlOutput {
    /// The private IP address clients connect to.
    pub fn host(&self) -> Output<String> {
        self.instance.private_ip_address()
    }

    /// The endpoint, `host:5432`.
    pub fn endpoint(&self) -> Output<String> {
        concat([Input::from(self.host()), Input::from(":5432")])
    }

    /// The connection name, `project:region:instance`, for the Cloud SQL
    /// Auth Proxy.
    pub fn connection_name(&self) -> Output<String> {
        self.instance.connection_name()
    }

    /// The instance's name.
    pub fn name(&self) -> Output<String> {
        self.instance.name()
    }
}

impl Component for Database<CloudSql> {
    type Output = CloudSqlOutput;

    fn declare(self, env: &mut Env, name: &str) -> CloudSqlOutput {
        let c = self.cloud;
        let backups = c.backup_retention_days > 0;
        let mut backup = gcp::BackupConfiguration::new()
            .enabled(backups)
            .point_in_time_recovery_enabled(backups);
        if backups {
            backup = backup
                .transaction_log_retention_days(c.backup_retention_days.min(7))
                .set(
                    "backup_retention_settings",
                    Value::List(vec![Value::Map(
                        [
                            (
                                "retained_backups".to_owned(),
                                Value::from(c.backup_retention_days),
                            ),
                            ("retention_unit".to_owned(), Value::from("COUNT")),
                        ]
                        .into(),
                    )]),
                );
        }
        let mut ip = gcp::IpConfiguration::new()
            .ipv4_enabled(c.public_ip)
            .private_network(c.private_network)
            .ssl_mode("ENCRYPTED_ONLY");
        if let Some(range) = c.allocated_ip_range {
            ip = ip.allocated_ip_range(range);
        }
        let availability = if c.high_availability {
            "REGIONAL"
        } else {
            "ZONAL"
        };
        let mut settings = gcp::SqlSettings::new(c.tier)
            .edition(c.edition)
            .availability_type(availability)
            .disk_type("PD_SSD")
            .disk_autoresize(true)
            .deletion_protection_enabled(c.deletion_protection)
            .backup_configuration(backup)
            .ip_configuration(ip);
        for (flag, value) in c.flags {
            settings =
                settings.database_flags(gcp::DatabaseFlag::new(flag, value));
        }
        if let Some(size) = c.disk_size_gb {
            settings = settings.disk_size(size);
        }
        if !self.common.tags.is_empty() {
            settings = settings.user_labels(self.common.tags.clone());
        }
        let instance_name =
            c.instance_name.unwrap_or_else(|| cloud_name(name, 63));
        let mut db = gcp::SqlDatabaseInstance::new(c.database_version)
            .name(instance_name)
            .deletion_protection(c.deletion_protection)
            .settings(settings);
        if let Some(region) = c.region {
            db = db.region(region);
        }
        if let Some(password) = c.password {
            db = db.root_password(password);
        }
        if let Some(key) = c.kms_key {
            db = db.encryption_key_name(key);
        }
        let instance = env.add_with(name, db, self.common.main_meta());
        CloudSqlOutput { instance }
    }
}
