//! What the rules share: reading nested blocks, literal strings and
//! numbers, ports and ranges open to the world, companions found by
//! reference, and production environments.

use std::collections::BTreeMap;

use onioncloud_core::Value;
use onioncloud_core::policy::{PolicyContext, ResourceView, refers_to};

/// The administration ports: SSH and RDP.
pub(crate) const ADMIN_PORTS: &[(i64, &str)] = &[(22, "SSH"), (3389, "RDP")];

/// The database ports.
pub(crate) const DB_PORTS: &[(i64, &str)] = &[
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (6379, "Redis"),
    (9200, "Elasticsearch"),
    (27017, "MongoDB"),
];

/// The maps of a nested block: a list of maps, or one map.
pub(crate) fn blocks(value: Option<&Value>) -> Vec<&BTreeMap<String, Value>> {
    match value {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::Map(map) => Some(map),
                _ => None,
            })
            .collect(),
        Some(Value::Map(map)) => vec![map],
        _ => Vec::new(),
    }
}

/// The value at a dotted path inside a block, a block given once being
/// reachable without an index.
pub(crate) fn get<'a>(
    map: &'a BTreeMap<String, Value>,
    path: &str,
) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = map.get(parts.next()?)?;
    for part in parts {
        let map = match current {
            Value::Map(map) => map,
            Value::List(items) if items.len() == 1 => match &items[0] {
                Value::Map(map) => map,
                _ => return None,
            },
            _ => return None,
        };
        current = map.get(part)?;
    }
    Some(current)
}

/// The literal string a value is.
pub(crate) fn string(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// The literal boolean a value is.
pub(crate) fn boolean(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(flag) => Some(*flag),
        _ => None,
    }
}

/// The literal integer a value is, from a number or a numeric string.
pub(crate) fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|f| f as i64)),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// The literal strings of a string or a list.
pub(crate) fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(text)) => vec![text.as_str()],
        Some(Value::List(items)) => {
            items.iter().filter_map(|v| string(Some(v))).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether a literal range is the whole internet.
pub(crate) fn is_world(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0")
}

/// The world ranges among `ranges`, joined with "and", if any.
pub(crate) fn world_ranges(ranges: &[&str]) -> Option<String> {
    let world: Vec<&str> = ranges
        .iter()
        .map(|r| r.trim())
        .filter(|r| is_world(r))
        .collect();
    if world.is_empty() {
        None
    } else {
        let mut world = world;
        world.dedup();
        Some(world.join(" and "))
    }
}

/// The ports of `watched` inside `from..=to`.
pub(crate) fn ports_in(
    watched: &[(i64, &'static str)],
    from: i64,
    to: i64,
) -> Vec<(i64, &'static str)> {
    watched
        .iter()
        .copied()
        .filter(|(port, _)| (from..=to).contains(port))
        .collect()
}

/// "port 22 (SSH)" or "ports 22 (SSH), 3389 (RDP)".
pub(crate) fn describe_ports(ports: &[(i64, &str)]) -> String {
    let list: Vec<String> = ports
        .iter()
        .map(|(port, name)| format!("{port} ({name})"))
        .collect();
    let noun = if list.len() == 1 { "port" } else { "ports" };
    format!("{noun} {}", list.join(", "))
}

/// The watched ports an AWS-style rule opens: protocol `-1` or `all` is
/// every port; `tcp` (or `6`) the literal range `from..=to`. `None` when
/// the protocol or a port is not a literal, or the protocol carries no
/// watched service.
pub(crate) fn aws_rule_ports(
    watched: &[(i64, &'static str)],
    protocol: Option<&Value>,
    from: Option<&Value>,
    to: Option<&Value>,
) -> Vec<(i64, &'static str)> {
    let Some(protocol) = string(protocol) else {
        return Vec::new();
    };
    match protocol.to_ascii_lowercase().as_str() {
        "-1" | "all" => watched.to_vec(),
        "tcp" | "6" => match (integer(from), integer(to)) {
            (Some(from), Some(to)) => ports_in(watched, from, to),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Whether `value` designates `target`: a reference to any of its
/// attributes, or a literal equal to its literal `name_attribute`.
pub(crate) fn designates(
    value: Option<&Value>,
    target: &ResourceView<'_>,
    name_attribute: &str,
) -> bool {
    let Some(value) = value else {
        return false;
    };
    if refers_to(value, target.address()) {
        return true;
    }
    match (string(Some(value)), target.string(name_attribute)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The resources of `kind` whose `attribute` designates `target` (see
/// [`designates`]).
pub(crate) fn companions<'a>(
    env: &PolicyContext<'a>,
    kind: &'a str,
    attribute: &str,
    target: &ResourceView<'_>,
    name_attribute: &str,
) -> Vec<ResourceView<'a>> {
    env.resources_of(kind)
        .filter(|r| designates(r.path(attribute), target, name_attribute))
        .collect()
}

/// Whether a resource belongs to a production environment: its literal
/// `environment` tag or label, or else the environment's name, starts
/// with `prod`.
pub(crate) fn is_production(
    env: &PolicyContext<'_>,
    resource: &ResourceView<'_>,
) -> bool {
    let tag = [
        "tags.environment",
        "labels.environment",
        "settings.user_labels.environment",
        "user_labels.environment",
    ]
    .iter()
    .find_map(|path| resource.string(path));
    // Then the provider configuration's default tags or labels.
    let default = || {
        let (provider, setting) = if resource.kind().starts_with("google_") {
            ("google", "default_labels")
        } else {
            ("aws", "default_tags")
        };
        match provider_defaults(env, resource, provider, setting)?
            .get("environment")?
        {
            Value::String(text) => Some(text.as_str()),
            _ => None,
        }
    };
    let name = tag.or_else(default).unwrap_or_else(|| env.env().name());
    name.to_ascii_lowercase().starts_with("prod")
}

/// The default tags (`default_tags.tags`, AWS) or labels
/// (`default_labels`, Google) of the provider configuration that manages
/// `resource`: `provider` is the provider's name for resources that name
/// no configuration.
pub(crate) fn provider_defaults<'a>(
    env: &PolicyContext<'a>,
    resource: &ResourceView<'_>,
    provider: &str,
    setting: &str,
) -> Option<&'a BTreeMap<String, Value>> {
    let reference = resource.provider();
    let config = env.env().providers().iter().find(|c| match reference {
        Some(r) => c.name == r.name && c.alias == r.alias,
        None => c.name.as_str() == provider && c.alias.is_none(),
    })?;
    let value = config.settings.get(setting);
    if setting == "default_tags" {
        blocks(value)
            .into_iter()
            .next()
            .and_then(|b| match b.get("tags") {
                Some(Value::Map(map)) => Some(map),
                _ => None,
            })
    } else {
        match value {
            Some(Value::Map(map)) => Some(map),
            _ => None,
        }
    }
}

/// Whether an S3 bucket is managed through a Ceph RADOS Gateway (or any
/// S3-compatible endpoint): its provider configuration sets
/// `endpoints.s3`.
pub(crate) fn on_s3_gateway(
    env: &PolicyContext<'_>,
    resource: &ResourceView<'_>,
) -> bool {
    let Some(reference) = resource.provider() else {
        return false;
    };
    env.env().providers().iter().any(|config| {
        config.name == reference.name
            && config.alias == reference.alias
            && blocks(config.settings.get("endpoints"))
                .iter()
                .any(|endpoints| endpoints.contains_key("s3"))
    })
}

/// The text of a policy document: a literal string, or a concatenation
/// whose non-literal parts become a placeholder (they usually sit inside
/// JSON strings, such as a bucket's ARN).
pub(crate) fn document_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Concat(parts) => Some(
            parts
                .iter()
                .map(|part| match part {
                    Value::String(text) => text.clone(),
                    _ => "__onioncloud_reference__".to_owned(),
                })
                .collect(),
        ),
        _ => None,
    }
}
