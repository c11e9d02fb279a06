//! The cross-cloud rules: required tags and plaintext secrets.

use std::collections::BTreeMap;

use onioncloud_core::Value;
use onioncloud_core::policy::{
    Enforcement, Policy, PolicyContext, Rule, Severity, Violation,
};

use super::rule;
use super::support::provider_defaults;

/// AWS resource types that take `tags`: those of the committed schema
/// that have them, and other common ones. A resource of another type is
/// checked when it sets `tags`.
pub const AWS_TAGGABLE: &[&str] = &[
    "aws_alb",
    "aws_cloudwatch_log_group",
    "aws_cloudwatch_metric_alarm",
    "aws_db_instance",
    "aws_db_subnet_group",
    "aws_dynamodb_table",
    "aws_ebs_volume",
    "aws_ecr_repository",
    "aws_efs_file_system",
    "aws_eip",
    "aws_eks_cluster",
    "aws_elasticache_cluster",
    "aws_flow_log",
    "aws_iam_role",
    "aws_instance",
    "aws_internet_gateway",
    "aws_kms_key",
    "aws_lambda_function",
    "aws_launch_template",
    "aws_lb",
    "aws_lb_listener",
    "aws_lb_target_group",
    "aws_nat_gateway",
    "aws_rds_cluster",
    "aws_route_table",
    "aws_s3_bucket",
    "aws_secretsmanager_secret",
    "aws_security_group",
    "aws_sns_topic",
    "aws_sqs_queue",
    "aws_subnet",
    "aws_vpc",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
];

/// Google resource types that take labels, and where: `labels` for most,
/// `settings.user_labels` for Cloud SQL instances. A resource of another
/// type is checked when it sets `labels`.
pub const GCP_LABELLED: &[(&str, &str)] = &[
    ("google_bigquery_dataset", "labels"),
    ("google_compute_address", "labels"),
    ("google_compute_disk", "labels"),
    ("google_compute_global_address", "labels"),
    ("google_compute_global_forwarding_rule", "labels"),
    ("google_compute_instance", "labels"),
    ("google_kms_crypto_key", "labels"),
    ("google_pubsub_topic", "labels"),
    ("google_secret_manager_secret", "labels"),
    ("google_sql_database_instance", "settings.user_labels"),
    ("google_storage_bucket", "labels"),
];

/// `OC-TAGS-REQUIRED`, configurable: AWS resources carry the required
/// keys in `tags` (or their provider configuration's `default_tags`),
/// Google resources in `labels` (or the provider's `default_labels`).
/// Private cloud resources, whose tags are plain lists, are not checked.
/// Tags given as a whole by a variable or reference are accepted.
///
/// ```
/// use onioncloud_core::policy::Enforcement;
/// use onioncloud_providers::policies::{self, TagPolicy};
///
/// let tags = TagPolicy::new(["owner", "app"]).enforce(Enforcement::Mandatory);
/// let pack = policies::common(tags);
/// assert_eq!(pack.policies().len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagPolicy {
    keys: Vec<String>,
    enforcement: Enforcement,
}

impl Default for TagPolicy {
    /// `owner`, `environment` and `cost_centre`, advisory.
    fn default() -> Self {
        TagPolicy::new(["owner", "environment", "cost_centre"])
    }
}

impl TagPolicy {
    /// Requires `keys`, advisory.
    pub fn new<K: Into<String>>(keys: impl IntoIterator<Item = K>) -> Self {
        TagPolicy {
            keys: keys.into_iter().map(Into::into).collect(),
            enforcement: Enforcement::Advisory,
        }
    }

    /// Sets the enforcement: advisory by default.
    pub fn enforce(mut self, enforcement: Enforcement) -> Self {
        self.enforcement = enforcement;
        self
    }

    /// The required keys.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }
}

impl Policy for TagPolicy {
    fn rule(&self) -> Rule {
        let keys = self.keys.join(", ");
        rule(
            "OC-TAGS-REQUIRED",
            "resources carry the required tags or labels",
            &[],
            &[],
            &["CM-8"],
        )
        .description(format!(
            "Tags tell who owns a resource, which environment it belongs \
             to and who pays for it: inventory, cost and incident \
             response depend on them. Required here: {keys}."
        ))
        .remediation(format!(
            "Add {keys} to the resource's tags (AWS) or labels (Google), \
             or to the provider's default_tags or default_labels."
        ))
        .severity(Severity::Low)
        .enforcement(self.enforcement)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for resource in env.resources() {
            let kind = resource.kind();
            let (path, noun, provider, setting) = if kind.starts_with("aws_") {
                if !AWS_TAGGABLE.contains(&kind)
                    && resource.path("tags").is_none()
                {
                    continue;
                }
                ("tags", "tags", "aws", "default_tags")
            } else if kind.starts_with("google_") {
                let path = GCP_LABELLED
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, path)| *path);
                match path {
                    Some(path) => (path, "labels", "google", "default_labels"),
                    None if resource.path("labels").is_some() => {
                        ("labels", "labels", "google", "default_labels")
                    }
                    None => continue,
                }
            } else {
                continue;
            };
            let present: Vec<String> = match resource.path(path) {
                None => Vec::new(),
                Some(Value::Map(map)) => map.keys().cloned().collect(),
                Some(_) => continue,
            };
            let defaults: Vec<String> =
                provider_defaults(env, &resource, provider, setting)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
            let missing: Vec<&str> = self
                .keys
                .iter()
                .filter(|k| !present.contains(k) && !defaults.contains(k))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                out.push(resource.violation(format!(
                    "missing {noun}: {}",
                    missing.join(", ")
                )));
            }
        }
    }
}

/// Words that make an argument's name look like a secret's.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
    "privatekey",
    "access_key",
    "accesskey",
    "credential",
];

/// Endings of names that hold something about a secret, not the secret:
/// ids, ARNs, names, versions, lengths, file paths, URLs.
const NOT_SECRET_ENDINGS: &[&str] = &[
    "_arn",
    "_arns",
    "_count",
    "_duration",
    "_endpoint",
    "_interval",
    "_period",
    "_units",
    "_validity",
    "_enabled",
    "_expiration",
    "_file",
    "_id",
    "_ids",
    "_length",
    "_location",
    "_name",
    "_names",
    "_path",
    "_prefix",
    "_rotation",
    "_ttl",
    "_type",
    "_uri",
    "_url",
    "_version",
    "_versions",
];

/// Whether an argument's name looks like a secret's: it contains one of
/// password, passwd, passphrase, secret, token, api_key, private_key,
/// access_key, credential (case and dashes aside), and does not end like
/// an id, ARN, name, version, length, path or URL (`secret_id`,
/// `password_wo_version`, `token_url` are not secrets), nor is EC2's
/// `metadata_options.http_tokens` (`required` or `optional`).
pub fn looks_like_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    SECRET_WORDS.iter().any(|w| name.contains(w))
        && !NOT_SECRET_ENDINGS.iter().any(|e| name.ends_with(e))
        && !matches!(name.as_str(), "secret_id" | "token_id" | "http_tokens")
}

/// Whether a literal value is obviously not a secret: empty, a boolean
/// word, an ARN, a secret store's resource name or reference.
pub fn is_obviously_not_secret(value: &str) -> bool {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    value.is_empty()
        || matches!(lower.as_str(), "true" | "false" | "yes" | "no")
        || value.starts_with("arn:")
        || (value.starts_with("projects/") && value.contains("/secrets/"))
        || lower.starts_with("sdb://")
        || lower.starts_with("vault:")
        || is_plain_url(&lower)
}

/// Whether `value` is an `http(s)` URL without credentials in it (no
/// `user:password@` before the host).
fn is_plain_url(value: &str) -> bool {
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !authority.contains('@')
}

/// Walks a value, reporting literal strings under secret-looking names.
fn find_plaintext(
    name: &str,
    value: &Value,
    path: &str,
    out: &mut Vec<String>,
) {
    match value {
        Value::String(text)
            if looks_like_secret_name(name)
                && !is_obviously_not_secret(text) =>
        {
            out.push(path.to_owned());
        }
        Value::Concat(parts) => {
            let all_literal =
                parts.iter().all(|p| matches!(p, Value::String(_)));
            if all_literal && looks_like_secret_name(name) {
                let text: String = parts
                    .iter()
                    .filter_map(|p| match p {
                        Value::String(t) => Some(t.as_str()),
                        _ => None,
                    })
                    .collect();
                if !is_obviously_not_secret(&text) {
                    out.push(path.to_owned());
                }
            }
        }
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                find_plaintext(name, item, &format!("{path}[{i}]"), out);
            }
        }
        // A map named like settings about secrets (token validity units,
        // say) holds settings, not secrets.
        Value::Map(map) if !names_settings(name) => walk_map(map, path, out),
        _ => {}
    }
}

/// Whether an argument named `name` holds settings rather than values:
/// its name ends like one of [`NOT_SECRET_ENDINGS`].
fn names_settings(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    NOT_SECRET_ENDINGS.iter().any(|e| name.ends_with(e))
}

fn walk_map(
    map: &BTreeMap<String, Value>,
    prefix: &str,
    out: &mut Vec<String>,
) {
    for (key, value) in map {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        find_plaintext(key, value, &path, out);
    }
}

/// `OC-SECRET-PLAINTEXT`: no argument whose name looks like a secret's
/// (see [`looks_like_secret_name`]) holds a literal string, in any
/// resource or data source, at any depth of nested blocks and maps.
/// Obvious non-secrets are left alone (see [`is_obviously_not_secret`]);
/// secret references, variables and references to other resources are
/// what the rule asks for. The message names the argument, never the
/// value.
#[derive(Clone, Copy, Debug, Default)]
pub struct SecretPlaintext;

impl Policy for SecretPlaintext {
    fn rule(&self) -> Rule {
        rule(
            "OC-SECRET-PLAINTEXT",
            "no secret is written as a literal value",
            &[],
            &[],
            &["IA-5", "SC-28"],
        )
        .description(
            "A literal password, token or key ends up in the source, the \
             Terraform JSON, the plan and the state, readable by everyone \
             who can read any of them.",
        )
        .remediation(
            "Keep the secret in a secret store and pass a SecretRef \
             (SecretRef::aws, SecretRef::gcp, SecretRef::vault), or let \
             the service generate it (manage_master_user_password).",
        )
        .severity(Severity::Critical)
        .enforcement(Enforcement::Mandatory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for decl in env.env().declarations() {
            let mut paths = Vec::new();
            walk_map(decl.resource.attributes(), "", &mut paths);
            for path in paths {
                out.push(Violation {
                    address: decl.address.clone(),
                    location: decl.location.clone(),
                    message: format!(
                        "`{path}` is a literal value; keep the secret in a \
                         secret store and pass a SecretRef"
                    ),
                });
            }
        }
    }
}
