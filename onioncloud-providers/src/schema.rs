//! Checks a synthesized Terraform module offline against a provider's
//! published schema.
//!
//! The schemas of `hashicorp/aws` 5.100, `hashicorp/google` 6.50 and the
//! OpenStack provider 3.0, trimmed to the types OnionCloud declares, are
//! embedded in the crate (the files under `onioncloud-providers/schema/`,
//! written by `scripts/extract-schemas.py`), so a check needs neither the
//! network, Terraform nor a provider binary:
//!
//! ```
//! use onioncloud_providers::schema::{ProviderSchema, check_module};
//!
//! let module = serde_json::json!({
//!     "provider": { "google": [{ "project": "acme" }] },
//!     "resource": {
//!         "google_compute_network": {
//!             "main": { "name": "main", "bogus": true },
//!         },
//!     },
//! });
//! let problems = check_module(&module, ProviderSchema::google());
//! let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
//! assert_eq!(
//!     shown,
//!     ["google_compute_network.main.bogus: not in the schema"],
//! );
//! ```
//!
//! [`check_module`] reports, each with the path where it is found:
//!
//! - resource and data source types the provider does not have;
//! - keys that are neither an attribute, a nested block nor a
//!   meta-argument (`provider`, `depends_on`, `lifecycle`, `count`,
//!   `for_each`, `connection`, `provisioner` on resources and data
//!   sources, `alias` on provider configurations);
//! - output-only (computed) attributes that are set;
//! - required attributes that are missing, nested blocks that are not
//!   lists, and too few or too many of a nested block;
//! - the same for the provider's own configuration blocks;
//! - references such as `${TYPE.NAME.ATTR}` or
//!   `${data.TYPE.NAME.BLOCK[0].ATTR}` to attributes the type lacks;
//! - literal values of the wrong type, where the schema gives attribute
//!   types: a string where a number is wanted, a list element of the wrong
//!   type, and object values missing a field or carrying an extra one.
//!   Strings holding a template (`${...}` or `%{...}`) are not checked, as
//!   their type is known only once Terraform evaluates them. The check is
//!   stricter than Terraform, which converts between strings, numbers and
//!   bools where it can.
//!
//! Types of other providers in the module (such as `vault_` data sources
//! beside a Proxmox module's resources) are left alone.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use serde_json::Value as Json;

/// A provider's schema: its configuration block and the blocks of its
/// resource and data source types, in the format of the files under
/// `onioncloud-providers/schema/`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderSchema {
    name: String,
    source: String,
    version: String,
    json: Json,
}

/// Why a text is not a provider schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError(String);

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a provider schema: {}", self.0)
    }
}

impl std::error::Error for SchemaError {}

/// Parses an embedded schema once.
fn embedded(
    cell: &'static OnceLock<ProviderSchema>,
    text: &str,
) -> &'static ProviderSchema {
    cell.get_or_init(|| {
        ProviderSchema::from_json(text).expect("the embedded schema is valid")
    })
}

impl ProviderSchema {
    /// The schema of `hashicorp/aws` 5.100.0, for the typed AWS resources.
    pub fn aws() -> &'static ProviderSchema {
        static CELL: OnceLock<ProviderSchema> = OnceLock::new();
        embedded(&CELL, include_str!("../schema/aws.json"))
    }

    /// The schema of `hashicorp/google` 6.50.0, for the typed Google Cloud
    /// resources.
    pub fn google() -> &'static ProviderSchema {
        static CELL: OnceLock<ProviderSchema> = OnceLock::new();
        embedded(&CELL, include_str!("../schema/google.json"))
    }

    /// The schema of `terraform-provider-openstack/openstack` 3.0.0, for
    /// the typed OpenStack resources.
    pub fn openstack() -> &'static ProviderSchema {
        static CELL: OnceLock<ProviderSchema> = OnceLock::new();
        embedded(&CELL, include_str!("../schema/openstack.json"))
    }

    /// The embedded schema of the provider with the local name `name`
    /// (`"aws"`, `"google"` or `"openstack"`), if there is one.
    pub fn for_provider(name: &str) -> Option<&'static ProviderSchema> {
        match name {
            "aws" => Some(Self::aws()),
            "google" => Some(Self::google()),
            "openstack" => Some(Self::openstack()),
            _ => None,
        }
    }

    /// Reads a schema in the format `scripts/extract-schemas.py` writes,
    /// for instance one extracted from another provider version.
    pub fn from_json(text: &str) -> Result<Self, SchemaError> {
        let json = serde_json::from_str(text)
            .map_err(|e| SchemaError(e.to_string()))?;
        Self::from_value(json)
    }

    /// Takes a parsed schema in the format `scripts/extract-schemas.py`
    /// writes: an object with the provider's source address as
    /// `"provider"` (such as `"hashicorp/aws"`), a `"resources"` object
    /// and optionally `"version"`, `"provider_schema"` and
    /// `"data_sources"`.
    pub fn from_value(json: Json) -> Result<Self, SchemaError> {
        let error = |what: &str| Err(SchemaError(what.to_owned()));
        let Some(source) = json["provider"].as_str() else {
            return error("`provider` is not a source address");
        };
        let source = source.to_owned();
        let name = source.rsplit('/').next().unwrap_or_default().to_owned();
        if name.is_empty() {
            return error("`provider` has no provider name");
        }
        if !json["resources"].is_object() {
            return error("`resources` is not an object");
        }
        for table in ["data_sources", "provider_schema"] {
            if !json[table].is_null() && !json[table].is_object() {
                return Err(SchemaError(format!("`{table}` is not an object")));
            }
        }
        let version = json["version"].as_str().unwrap_or_default().to_owned();
        Ok(Self {
            name,
            source,
            version,
            json,
        })
    }

    /// The provider's local name, such as `aws`: the key of its
    /// configurations under `provider` and the prefix of its types.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The provider's source address, such as `hashicorp/aws`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The provider version the schema was extracted from, such as
    /// `5.100.0` (empty if the schema does not say).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether the schema describes the resource type `kind`.
    pub fn has_resource(&self, kind: &str) -> bool {
        self.json["resources"].get(kind).is_some()
    }

    /// Whether the schema describes the data source type `kind`.
    pub fn has_data_source(&self, kind: &str) -> bool {
        self.json["data_sources"].get(kind).is_some()
    }

    /// Whether a type belongs to this provider: the schema describes it,
    /// or its name starts with the provider's name and an underscore (as
    /// Terraform infers a type's provider).
    fn owns(&self, kind: &str) -> bool {
        kind == self.name
            || kind
                .strip_prefix(self.name.as_str())
                .is_some_and(|rest| rest.starts_with('_'))
    }
}

/// One thing wrong with a module: where, and what.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Problem {
    /// Where: a type (`aws_foo`), a resource or data source and the path
    /// into it (`google_compute_instance.web.boot_disk[0]`,
    /// `data.aws_secretsmanager_secret_version.db.version_stage`), a
    /// provider configuration (`provider.google[0]`), or a reference as it
    /// is written (`${aws_vpc.main.bogus}`).
    pub path: String,
    /// What, such as `not in the schema`.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The meta-arguments Terraform accepts on every resource and data source.
const RESOURCE_META: &[&str] = &[
    "provider",
    "depends_on",
    "lifecycle",
    "count",
    "for_each",
    "connection",
    "provisioner",
];

/// The meta-argument Terraform accepts on every provider configuration.
const PROVIDER_META: &[&str] = &["alias"];

/// Checks a synthesized module (a `main.tf.json`, parsed) against the
/// schema of one provider: its resources, data sources, provider
/// configurations and references. Every problem is returned, in the order
/// resources, data sources, provider configurations, references; an empty
/// list means the module matches the schema.
pub fn check_module(module: &Json, schema: &ProviderSchema) -> Vec<Problem> {
    let mut checker = Checker {
        schema: &schema.json,
        problems: Vec::new(),
    };
    let tables = [
        ("resource", "resources", "", "resource type"),
        ("data", "data_sources", "data.", "data source type"),
    ];
    for (table, kinds, prefix, what) in tables {
        let types = module[table].as_object().into_iter().flatten();
        for (kind, instances) in types.filter(|(k, _)| schema.owns(k)) {
            let Some(type_schema) = schema.json[kinds].get(kind) else {
                checker
                    .push(format!("{prefix}{kind}"), format!("no such {what}"));
                continue;
            };
            let Some(instances) = instances.as_object() else {
                checker.push(format!("{prefix}{kind}"), "not an object");
                continue;
            };
            for (name, body) in instances {
                let path = format!("{prefix}{kind}.{name}");
                checker.block(body, type_schema, &path, RESOURCE_META);
            }
        }
    }
    let name = schema.name();
    let provider = &schema.json["provider_schema"];
    match &module["provider"][name] {
        Json::Array(configs) => {
            for (i, config) in configs.iter().enumerate() {
                let path = format!("provider.{name}[{i}]");
                checker.block(config, provider, &path, PROVIDER_META);
            }
        }
        Json::Null => {}
        config => {
            let path = format!("provider.{name}");
            checker.block(config, provider, &path, PROVIDER_META);
        }
    }
    visit_strings(module, &mut |text| checker.references(text));
    checker.problems
}

/// Collects the problems of one module.
struct Checker<'a> {
    schema: &'a Json,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Checks a resource body, provider configuration or nested block
    /// against its schema block. `meta` lists the keys allowed at this
    /// level besides the schema's.
    fn block(&mut self, body: &Json, schema: &Json, path: &str, meta: &[&str]) {
        let Some(body) = body.as_object() else {
            self.push(path, "not an object");
            return;
        };
        let attributes = schema["attributes"].as_object();
        let blocks = schema["blocks"].as_object();
        for (key, value) in body {
            if meta.contains(&key.as_str()) {
                continue;
            }
            let here = format!("{path}.{key}");
            if let Some(attribute) = attributes.and_then(|a| a.get(key)) {
                if attribute["computed"] == Json::Bool(true)
                    && attribute["optional"] != Json::Bool(true)
                    && attribute["required"] != Json::Bool(true)
                {
                    self.push(&here, "output-only");
                }
                self.value(value, &attribute["type"], &here);
                continue;
            }
            let Some(block) = blocks.and_then(|b| b.get(key)) else {
                self.push(here, "not in the schema");
                continue;
            };
            let Some(items) = value.as_array() else {
                self.push(here, "a block must be a list");
                continue;
            };
            if let Some(max) = block["max_items"].as_u64()
                && max > 0
                && items.len() as u64 > max
            {
                self.push(&here, format!("more than {max} blocks"));
            }
            for (i, item) in items.iter().enumerate() {
                self.block(item, block, &format!("{here}[{i}]"), &[]);
            }
        }
        for (name, attribute) in attributes.into_iter().flatten() {
            if attribute["required"] == Json::Bool(true)
                && !body.contains_key(name)
            {
                self.push(path, format!("required `{name}` missing"));
            }
        }
        for (name, block) in blocks.into_iter().flatten() {
            let min = block["min_items"].as_u64().unwrap_or(0);
            let count =
                body.get(name).and_then(Json::as_array).map_or(0, Vec::len);
            if (count as u64) < min {
                self.push(path, format!("block `{name}` needs {min}"));
            }
        }
    }

    /// Checks a literal value against a Terraform type such as `"string"`
    /// or `["set", ["object", {...}]]`. A missing type, `"dynamic"`,
    /// `null` and templates pass.
    fn value(&mut self, value: &Json, ty: &Json, path: &str) {
        let is_template = value
            .as_str()
            .is_some_and(|s| s.contains("${") || s.contains("%{"));
        if is_template || value.is_null() {
            return;
        }
        let ok = match ty {
            Json::String(kind) => match kind.as_str() {
                "string" => value.is_string(),
                "number" => value.is_number(),
                "bool" => value.is_boolean(),
                _ => true,
            },
            Json::Array(parts) => match (parts[0].as_str(), &parts[1]) {
                (Some("list" | "set"), element) => match value.as_array() {
                    Some(items) => {
                        for (i, item) in items.iter().enumerate() {
                            self.value(item, element, &format!("{path}[{i}]"));
                        }
                        true
                    }
                    None => false,
                },
                (Some("map"), element) => match value.as_object() {
                    Some(map) => {
                        for (key, item) in map {
                            self.value(item, element, &format!("{path}.{key}"));
                        }
                        true
                    }
                    None => false,
                },
                (Some("tuple"), Json::Array(elements)) => {
                    match value.as_array() {
                        Some(items) if items.len() == elements.len() => {
                            for (i, (item, element)) in
                                items.iter().zip(elements).enumerate()
                            {
                                let here = format!("{path}[{i}]");
                                self.value(item, element, &here);
                            }
                            true
                        }
                        _ => false,
                    }
                }
                (Some("object"), Json::Object(fields)) => {
                    let optional = parts.get(2).and_then(Json::as_array);
                    match value.as_object() {
                        Some(object) => {
                            self.object(object, fields, optional, path);
                            true
                        }
                        None => false,
                    }
                }
                _ => true,
            },
            _ => true,
        };
        if !ok {
            self.push(path, format!("{value} is not of type {ty}"));
        }
    }

    /// Checks an object value against an object type's fields: every
    /// field not listed in `optional` is needed, and no other.
    fn object(
        &mut self,
        object: &serde_json::Map<String, Json>,
        fields: &serde_json::Map<String, Json>,
        optional: Option<&Vec<Json>>,
        path: &str,
    ) {
        let optional: BTreeSet<&str> = optional
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        for name in fields.keys() {
            if !object.contains_key(name) && !optional.contains(name.as_str()) {
                self.push(
                    path,
                    format!(
                        "object field `{name}` missing (an object \
                         attribute needs every field)"
                    ),
                );
            }
        }
        for (key, item) in object {
            match fields.get(key) {
                Some(field) => {
                    self.value(item, field, &format!("{path}.{key}"))
                }
                None => self
                    .push(path, format!("`{key}` is no field of the object")),
            }
        }
    }

    /// Checks every `${...}` in a string.
    fn references(&mut self, text: &str) {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let end = after.find('}').unwrap_or(after.len());
            self.expression(&after[..end]);
            rest = &after[end..];
        }
    }

    /// Checks the references of one expression to types the schema
    /// describes: the attribute path must exist in that type's schema
    /// (followed through nested blocks; attribute values are not looked
    /// into).
    fn expression(&mut self, expression: &str) {
        let schema = self.schema;
        let tokens = tokens(expression);
        let mut i = 0;
        while i < tokens.len() {
            let after_dot = i > 0 && tokens[i - 1] == ".";
            let (table, kind_at) = if tokens[i] == "data"
                && !after_dot
                && tokens.get(i + 1) == Some(&".")
            {
                ("data_sources", i + 2)
            } else if !after_dot {
                ("resources", i)
            } else {
                i += 1;
                continue;
            };
            let Some(kind) = tokens.get(kind_at) else {
                break;
            };
            let type_schema = &schema[table][*kind];
            // TYPE . NAME . ATTR ...
            if type_schema.is_null()
                || tokens.get(kind_at + 1) != Some(&".")
                || tokens.get(kind_at + 3) != Some(&".")
            {
                i += 1;
                continue;
            }
            let name = tokens[kind_at + 2];
            let mut path = format!("{kind}.{name}");
            if table == "data_sources" {
                path = format!("data.{path}");
            }
            let mut block = type_schema;
            let mut j = kind_at + 3;
            while tokens.get(j) == Some(&".") || tokens.get(j) == Some(&"[") {
                if tokens[j] == "[" {
                    // An index: skip to the closing bracket.
                    while j < tokens.len() && tokens[j] != "]" {
                        j += 1;
                    }
                    j += 1;
                    continue;
                }
                let Some(key) = tokens.get(j + 1) else { break };
                path = format!("{path}.{key}");
                if block["attributes"].get(*key).is_some() {
                    j += 2;
                    break;
                }
                match block["blocks"].get(*key) {
                    Some(nested) => block = nested,
                    None => {
                        self.push(format!("${{{path}}}"), "not in the schema");
                        j += 2;
                        break;
                    }
                }
                j += 2;
            }
            i = j.max(i + 1);
        }
    }
}

/// Calls `f` on every string in a JSON value.
fn visit_strings(value: &Json, f: &mut impl FnMut(&str)) {
    match value {
        Json::String(s) => f(s),
        Json::Array(items) => items.iter().for_each(|v| visit_strings(v, f)),
        Json::Object(map) => map.values().for_each(|v| visit_strings(v, f)),
        _ => {}
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Splits an expression into name tokens (`a`, `b_c`) and the
/// punctuation between them, dropping spaces.
fn tokens(expression: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = expression.trim_start();
    while let Some(c) = rest.chars().next() {
        let len = if is_name_char(c) {
            rest.find(|c| !is_name_char(c)).unwrap_or(rest.len())
        } else {
            c.len_utf8()
        };
        out.push(&rest[..len]);
        rest = rest[len..].trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A one-type schema of the provider `t`.
    fn schema(block: Json) -> ProviderSchema {
        ProviderSchema::from_value(json!({
            "provider": "example/t",
            "version": "1.0.0",
            "provider_schema": {
                "attributes": {
                    "region": { "type": "string", "required": true },
                },
            },
            "resources": { "t_thing": block },
            "data_sources": { "t_lookup": { "attributes": {
                "id": { "type": "string", "computed": true },
                "key": { "type": "string", "optional": true },
            } } },
        }))
        .expect("a schema")
    }

    fn problems(module: &Json, schema: &ProviderSchema) -> Vec<String> {
        check_module(module, schema)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_embedded_schemas_load() {
        for name in ["aws", "google", "openstack"] {
            let schema = ProviderSchema::for_provider(name).expect(name);
            assert_eq!(schema.name(), name);
            assert!(schema.source().ends_with(&format!("/{name}")));
            assert!(!schema.version().is_empty());
        }
        assert_eq!(ProviderSchema::aws().source(), "hashicorp/aws");
        assert!(ProviderSchema::aws().has_resource("aws_vpc"));
        assert!(!ProviderSchema::aws().has_resource("aws_bogus"));
        assert!(
            ProviderSchema::google()
                .has_data_source("google_secret_manager_secret_version")
        );
        assert!(ProviderSchema::for_provider("proxmox").is_none());
    }

    #[test]
    fn a_schema_needs_a_provider_and_resources() {
        let err = ProviderSchema::from_json("{}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a provider schema: `provider` is not a source address"
        );
        let err = ProviderSchema::from_value(json!({ "provider": "a/b" }))
            .unwrap_err();
        assert_eq!(err.0, "`resources` is not an object");
        assert!(ProviderSchema::from_json("not json").is_err());
    }

    #[test]
    fn problems_show_their_path() {
        let problem = Problem {
            path: "google_compute_instance.web.boot_disk[0]".into(),
            message: "required `x` missing".into(),
        };
        assert_eq!(
            problem.to_string(),
            "google_compute_instance.web.boot_disk[0]: required `x` missing"
        );
    }

    #[test]
    fn literal_values_are_checked_against_attribute_types() {
        let schema = schema(json!({
            "attributes": {
                "port": { "type": "number", "optional": true },
                "names": { "type": ["list", "string"], "optional": true },
                "labels": { "type": ["map", "bool"], "optional": true },
                "pair": {
                    "type": ["tuple", ["string", "number"]],
                    "optional": true,
                },
                "rule": {
                    "type": ["object", { "a": "string", "b": "number" }, ["b"]],
                    "optional": true,
                },
                "any": { "type": "dynamic", "optional": true },
            },
        }));
        let module = json!({ "resource": { "t_thing": { "x": {
            "port": "443",
            "names": ["a", 1, "${var.name}"],
            "labels": { "on": true, "off": "no" },
            "pair": ["a", 1, 2],
            "rule": { "b": "x", "c": 1 },
            "any": [1, "two"],
        } } } });
        assert_eq!(
            problems(&module, &schema),
            [
                "t_thing.x.labels.off: \"no\" is not of type \"bool\"",
                "t_thing.x.names[1]: 1 is not of type \"string\"",
                "t_thing.x.pair: [\"a\",1,2] is not of type \
                 [\"tuple\",[\"string\",\"number\"]]",
                "t_thing.x.port: \"443\" is not of type \"number\"",
                "t_thing.x.rule: object field `a` missing (an object \
                 attribute needs every field)",
                "t_thing.x.rule.b: \"x\" is not of type \"number\"",
                "t_thing.x.rule: `c` is no field of the object",
            ]
        );
    }

    #[test]
    fn data_sources_providers_and_references_are_checked() {
        let schema = schema(json!({
            "attributes": {
                "id": { "type": "string", "computed": true },
                "key": { "type": "string", "optional": true },
            },
            "blocks": {
                "part": {
                    "attributes": {
                        "size": { "type": "number", "optional": true },
                    },
                    "max_items": 1,
                },
            },
        }));
        let module = json!({
            "provider": { "t": [{ "alias": "b", "bogus": 1 }] },
            "data": {
                "t_lookup": { "l": { "key": "k", "id": "x", "count": 1 } },
                "t_gone": { "g": {} },
                "vault_kv_secret_v2": { "s": { "anything": 1 } },
            },
            "resource": {
                "t_thing": { "x": {
                    "key": "${data.t_lookup.l.id}",
                    "part": [
                        { "size": "${t_thing.y.part[0].size}" },
                        { "size": "${t_thing.y.part[0].bogus}" },
                    ],
                    "depends_on": ["t_thing.y"],
                } },
                "other_thing": { "o": { "anything": 1 } },
            },
            "output": { "o": { "value": "${data.t_lookup.l.nope}" } },
        });
        assert_eq!(
            problems(&module, &schema),
            [
                "t_thing.x.part: more than 1 blocks",
                "data.t_gone: no such data source type",
                "data.t_lookup.l.id: output-only",
                "provider.t[0].bogus: not in the schema",
                "provider.t[0]: required `region` missing",
                "${data.t_lookup.l.nope}: not in the schema",
                "${t_thing.y.part.bogus}: not in the schema",
            ]
        );
    }

    #[test]
    fn a_provider_configuration_may_be_one_object() {
        let schema = schema(json!({ "attributes": {} }));
        let module = json!({ "provider": { "t": { "bogus": 1 } } });
        assert_eq!(
            problems(&module, &schema),
            [
                "provider.t.bogus: not in the schema",
                "provider.t: required `region` missing",
            ]
        );
    }
}
