//! Checks synthesized Terraform JSON against the trimmed provider schemas
//! in `schema/` (written by `scripts/extract-schemas.py`).

use serde_json::Value as Json;

/// Reads `schema/{provider}.json`.
pub(crate) fn schema(provider: &str) -> Json {
    let path = format!("{}/schema/{provider}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// The meta-arguments Terraform accepts on every resource.
pub(crate) const RESOURCE_META: &[&str] =
    &["provider", "depends_on", "lifecycle", "count", "for_each"];

/// The meta-argument Terraform accepts on every provider configuration.
pub(crate) const PROVIDER_META: &[&str] = &["alias"];

/// Checks a resource body, provider configuration or nested block against
/// its schema block: unknown keys, output-only attributes set, blocks that
/// are not arrays or exceed their maximum, missing required attributes and
/// too few blocks. `meta` lists the keys allowed at this level besides the
/// schema's. Every problem is collected with its path.
pub(crate) fn check_block(
    body: &Json,
    schema: &Json,
    path: &str,
    meta: &[&str],
    problems: &mut Vec<String>,
) {
    let Some(body) = body.as_object() else {
        problems.push(format!("{path}: not an object"));
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
                problems.push(format!("{here}: output-only"));
            }
            continue;
        }
        match blocks.and_then(|b| b.get(key)) {
            Some(block) => {
                let Some(items) = value.as_array() else {
                    problems.push(format!("{here}: a block must be a list"));
                    continue;
                };
                if let Some(max) = block["max_items"].as_u64()
                    && max > 0
                    && items.len() as u64 > max
                {
                    problems.push(format!("{here}: more than {max} blocks"));
                }
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{here}[{i}]");
                    check_block(item, block, &item_path, &[], problems);
                }
            }
            None => problems.push(format!("{here}: not in the schema")),
        }
    }
    for (name, attribute) in attributes.into_iter().flatten() {
        if attribute["required"] == Json::Bool(true) && !body.contains_key(name)
        {
            problems.push(format!("{path}: required `{name}` missing"));
        }
    }
    for (name, block) in blocks.into_iter().flatten() {
        let min = block["min_items"].as_u64().unwrap_or(0);
        let count = body.get(name).and_then(Json::as_array).map_or(0, Vec::len);
        if (count as u64) < min {
            problems.push(format!("{path}: block `{name}` needs {min}"));
        }
    }
}

/// Checks every resource of a synthesized module (`main.tf.json`) against
/// the schema; a resource type the schema does not describe is a problem.
pub(crate) fn check_resources(module: &Json, schema: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let resources = module["resource"].as_object().into_iter().flatten();
    for (kind, instances) in resources {
        let Some(type_schema) = schema["resources"].get(kind) else {
            problems.push(format!("{kind}: no such resource type"));
            continue;
        };
        for (name, body) in instances.as_object().into_iter().flatten() {
            let path = format!("{kind}.{name}");
            check_block(body, type_schema, &path, RESOURCE_META, &mut problems);
        }
    }
    problems
}

/// Checks every configuration of the provider `name` in a module against
/// the schema's `provider_schema`.
pub(crate) fn check_provider(
    module: &Json,
    name: &str,
    schema: &Json,
) -> Vec<String> {
    let mut problems = Vec::new();
    let configs = module["provider"][name].as_array().into_iter().flatten();
    for (i, config) in configs.enumerate() {
        let path = format!("provider.{name}[{i}]");
        check_block(
            config,
            &schema["provider_schema"],
            &path,
            PROVIDER_META,
            &mut problems,
        );
    }
    problems
}

/// Checks every reference in a module's strings, such as
/// `${TYPE.NAME.ATTR}` or `${data.TYPE.NAME.BLOCK[0].ATTR}`, to a type
/// the schema describes: the attribute path must exist in that type's
/// schema (followed through nested blocks; attribute values are not
/// looked into).
pub(crate) fn check_references(module: &Json, schema: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    visit_strings(module, &mut |text| {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let end = after.find('}').unwrap_or(after.len());
            check_expression(&after[..end], schema, &mut problems);
            rest = &after[end..];
        }
    });
    problems
}

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

fn check_expression(
    expression: &str,
    schema: &Json,
    problems: &mut Vec<String>,
) {
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
                    problems.push(format!("${{{path}}}: not in the schema"));
                    j += 2;
                    break;
                }
            }
            j += 2;
        }
        i = j.max(i + 1);
    }
}
