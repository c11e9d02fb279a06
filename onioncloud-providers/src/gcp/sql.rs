//! Cloud SQL instances.

use std::collections::BTreeMap;

use onioncloud_core::Secret;

use super::*;

block! {
    /// Automated backups (`backup_configuration`).
    pub struct BackupConfiguration {
        required {}
        optional {
            /// Whether daily backups are taken.
            enabled: bool,
            /// Point-in-time recovery (PostgreSQL and SQL Server).
            point_in_time_recovery_enabled: bool,
            /// Binary logging (MySQL), needed for point-in-time recovery.
            binary_log_enabled: bool,
            /// When backups start, `HH:MM` in UTC.
            start_time: String,
            /// Where backups are kept, such as `eu`.
            location: String,
            /// Days of transaction logs kept.
            transaction_log_retention_days: i64,
        }
        blocks {}
    }
}

block! {
    /// A network allowed to connect over the public address
    /// (`authorized_networks`).
    pub struct AuthorizedNetwork {
        required {
            /// The CIDR range.
            value: String,
        }
        optional {
            /// A name for the entry.
            name: String,
        }
        blocks {}
    }
}

block! {
    /// The instance's addresses and TLS policy (`ip_configuration`).
    pub struct IpConfiguration {
        required {}
        optional {
            /// Whether the instance has a public IPv4 address.
            ipv4_enabled: bool,
            /// The VPC network that reaches the private address, by self
            /// link.
            private_network: String,
            /// `ALLOW_UNENCRYPTED_AND_ENCRYPTED`, `ENCRYPTED_ONLY` or
            /// `TRUSTED_CLIENT_CERTIFICATE_REQUIRED`.
            ssl_mode: String,
            /// The allocated range for the private address.
            allocated_ip_range: String,
        }
        blocks {
            /// A network allowed on the public address.
            authorized_networks: AuthorizedNetwork,
        }
    }
}

block! {
    /// A database flag (`database_flags`).
    pub struct DatabaseFlag {
        required {
            /// The flag's name.
            name: String,
            /// Its value.
            value: String,
        }
        optional {}
        blocks {}
    }
}

block! {
    /// The weekly maintenance window (`maintenance_window`).
    pub struct MaintenanceWindow {
        required {}
        optional {
            /// Day of week, 1 (Monday) to 7.
            day: i64,
            /// Hour of day in UTC, 0 to 23.
            hour: i64,
            /// `canary`, `stable` or `week5`.
            update_track: String,
        }
        blocks {}
    }
}

block! {
    /// The instance's settings (`settings`).
    pub struct SqlSettings {
        required {
            /// The machine tier, such as `db-custom-2-7680` or
            /// `db-f1-micro`.
            tier: String,
        }
        optional {
            /// `ZONAL` or `REGIONAL` (high availability).
            availability_type: String,
            /// `ENTERPRISE` or `ENTERPRISE_PLUS`.
            edition: String,
            /// The disk size in GB.
            disk_size: i64,
            /// `PD_SSD` or `PD_HDD`.
            disk_type: String,
            /// Whether the disk grows automatically.
            disk_autoresize: bool,
            /// Whether the API refuses to delete the instance (a Google
            /// setting, unlike the provider's `deletion_protection`).
            deletion_protection_enabled: bool,
            /// Labels.
            user_labels: BTreeMap<String, String>,
        }
        blocks {
            /// Automated backups.
            backup_configuration: BackupConfiguration,
            /// Addresses and TLS.
            ip_configuration: IpConfiguration,
            /// A database flag.
            database_flags: DatabaseFlag,
            /// The maintenance window.
            maintenance_window: MaintenanceWindow,
        }
    }
}

resource! {
    /// A Cloud SQL instance (`google_sql_database_instance`).
    pub struct SqlDatabaseInstance("google_sql_database_instance")
        -> SqlDatabaseInstanceOutputs
    {
        required {
            /// The engine and version, such as `POSTGRES_16` or
            /// `MYSQL_8_0`.
            database_version: String,
        }
        optional {
            /// The instance's name; generated when unset.
            name: String,
            /// The region, when not the provider's.
            region: String,
            /// Whether Terraform refuses to destroy the instance; `true`
            /// when unset.
            deletion_protection: bool,
            /// The root (or `postgres`) user's password, read from a secret
            /// store (SQL Server requires one).
            root_password: Secret,
            /// The Cloud KMS key for customer-managed encryption.
            encryption_key_name: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// The settings; the provider needs them unless the instance
            /// is a clone.
            settings: SqlSettings,
        }
        outputs {
            /// The instance's id.
            id: String,
            /// The instance's name.
            name: String,
            /// The connection name, `project:region:instance`.
            connection_name: String,
            /// The first IP address.
            first_ip_address: String,
            /// The private IP address.
            private_ip_address: String,
            /// The public IP address.
            public_ip_address: String,
            /// The instance's URI.
            self_link: String,
        }
    }
}
