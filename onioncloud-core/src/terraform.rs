//! Terraform JSON synthesis.
//!
//! Each cloud becomes its own root module, one directory per provider
//! (`aws/main.tf.json`, `google/main.tf.json`, ...), so that planning one
//! cloud never needs another cloud's provider or credentials. A reference
//! from one cloud's resource to another's is therefore an error here: pass
//! such values through variables.
//!
//! The output follows Terraform's JSON configuration syntax exactly:
//!
//! - In resource and provider arguments, a literal `${` or `%{` is written
//!   `$${` or `%%{`, so Terraform does not read it as a template; a lone
//!   `$` stays. References are written `"${aws_vpc.main.id}"`.
//! - Variable defaults, descriptions and backend settings are literal:
//!   Terraform evaluates nothing there, so nothing is escaped, and their
//!   types cannot hold a reference.
//! - `depends_on`, `provider`, `lifecycle.ignore_changes` and `moved`
//!   addresses are bare traversals such as `"aws_vpc.main"`.
//! - Provider configurations use the array form, so that several
//!   configurations of one provider all survive.
//! - Repeated nested blocks are arrays of objects.
//! - Keys are sorted and the files end with a newline: the same environment
//!   always gives byte-identical files.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json, json};
use thiserror::Error;

use crate::address::{Address, ProviderName, sanitize_label};
use crate::compile::CompiledEnv;
use crate::env::Declaration;
use crate::value::{SecretRef, SecretStore, Value};

/// What can go wrong while synthesizing Terraform JSON.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum SynthError {
    /// A reference from one cloud's root module into another's.
    #[error(
        "{from} refers in `{argument}` to {target}, which belongs to the \
         {target_stack} configuration; {from} belongs to {stack}, and each \
         cloud is a separate Terraform root module: pass the value through \
         a variable"
    )]
    CrossStack {
        /// The referring resource or output.
        from: String,
        /// The argument.
        argument: String,
        /// The target address.
        target: String,
        /// The referring item's root module.
        stack: String,
        /// The target's root module.
        target_stack: String,
    },

    /// A value that is only known after apply, where configuration must be
    /// known.
    #[error(
        "{from} sets `{argument}` to a value unknown until apply; a \
         configuration can hold only literals and references"
    )]
    Unknown {
        /// The resource or output.
        from: String,
        /// The argument.
        argument: String,
    },
}

/// The registry source and version constraint for a provider that no
/// configuration declares.
fn default_source(name: &str) -> (String, String) {
    let (source, version) = match name {
        "aws" => ("hashicorp/aws", "~> 5.100"),
        "google" => ("hashicorp/google", "~> 6.50"),
        "proxmox" => ("bpg/proxmox", "~> 0.66"),
        "openstack" => ("terraform-provider-openstack/openstack", "~> 3.0"),
        "vault" => ("hashicorp/vault", "~> 4.0"),
        other => return (format!("hashicorp/{other}"), ">= 0".to_owned()),
    };
    (source.to_owned(), version.to_owned())
}

/// Synthesizes one `main.tf.json` per provider, keyed by relative path.
///
/// # Errors
///
/// Fails on a reference across root modules or a value unknown until
/// apply, naming the resource and the argument.
pub fn synth(
    env: &CompiledEnv,
) -> Result<BTreeMap<String, String>, SynthError> {
    let stacks = plan_stacks(env)?;
    let mut files = BTreeMap::new();
    for (name, stack) in stacks {
        let json = render_stack(env, &name, &stack)?;
        let mut text = serde_json::to_string_pretty(&json)
            .expect("serialising a JSON value cannot fail");
        text.push('\n');
        files.insert(format!("{name}/main.tf.json"), text);
    }
    Ok(files)
}

/// What one root module holds.
#[derive(Default)]
struct Stack {
    declarations: Vec<usize>,
    outputs: Vec<usize>,
    secrets: BTreeSet<SecretRef>,
}

fn stack_of(decl: &Declaration) -> ProviderName {
    decl.resource.provider_name()
}

fn plan_stacks(
    env: &CompiledEnv,
) -> Result<BTreeMap<String, Stack>, SynthError> {
    let declarations = env.declarations();
    let by_address: std::collections::HashMap<&Address, usize> = declarations
        .iter()
        .enumerate()
        .map(|(i, d)| (&d.address, i))
        .collect();
    let mut stacks: BTreeMap<String, Stack> = BTreeMap::new();

    // Resources go to their provider's module; their references must stay
    // inside it.
    for i in env.sorted_indices() {
        let decl = &declarations[i];
        let stack = stack_of(decl).as_str().to_owned();
        let from = decl.address.to_string();
        let entry = stacks.entry(stack.clone()).or_default();
        entry.declarations.push(i);
        for (key, value) in decl.resource.attributes() {
            check_refs(value, key, &from, &stack, env, &by_address)?;
            collect_secrets(value, &mut entry.secrets);
        }
    }

    // An output goes where the resources it refers to are.
    for (i, output) in env.outputs().iter().enumerate() {
        let mut home = None;
        let mut path = "value".to_owned();
        let mut first_ref = None;
        output
            .value
            .for_each_ref(&mut path, &mut |argument, target| {
                if first_ref.is_none() {
                    first_ref = Some((argument.to_owned(), target.clone()));
                }
            });
        if let Some((_, target)) = &first_ref {
            let j = by_address[&target.address];
            home = Some(stack_of(&declarations[j]).as_str().to_owned());
        }
        let home = match home {
            Some(h) => h,
            None => match stacks.keys().next() {
                Some(first) => first.clone(),
                None => continue,
            },
        };
        let from = format!("output {}", output.name);
        check_refs(&output.value, "value", &from, &home, env, &by_address)?;
        let entry = stacks.entry(home).or_default();
        entry.outputs.push(i);
        collect_secrets(&output.value, &mut entry.secrets);
    }
    for config in env.providers() {
        if let Some(stack) = stacks.get_mut(config.name.as_str()) {
            for value in config.settings.values() {
                collect_secrets(value, &mut stack.secrets);
            }
        }
    }
    Ok(stacks)
}

fn check_refs(
    value: &Value,
    argument: &str,
    from: &str,
    stack: &str,
    env: &CompiledEnv,
    by_address: &std::collections::HashMap<&Address, usize>,
) -> Result<(), SynthError> {
    let mut result = Ok(());
    let mut path = argument.to_owned();
    value.for_each_ref(&mut path, &mut |argument, target| {
        let j = by_address[&target.address];
        let target_stack = stack_of(&env.declarations()[j]);
        if result.is_ok() && target_stack.as_str() != stack {
            result = Err(SynthError::CrossStack {
                from: from.to_owned(),
                argument: argument.to_owned(),
                target: target.to_string(),
                stack: stack.to_owned(),
                target_stack: target_stack.to_string(),
            });
        }
    });
    result?;
    let mut unknown = false;
    value.for_each_leaf(&mut |leaf| unknown |= matches!(leaf, Value::Unknown));
    if unknown {
        return Err(SynthError::Unknown {
            from: from.to_owned(),
            argument: argument.to_owned(),
        });
    }
    Ok(())
}

fn collect_secrets(value: &Value, secrets: &mut BTreeSet<SecretRef>) {
    value.for_each_leaf(&mut |leaf| {
        if let Value::Secret(secret) = leaf {
            secrets.insert(secret.clone());
        }
    });
}

/// The data source that reads a secret, with its label and the
/// expression for its value.
struct SecretSource {
    kind: &'static str,
    label: String,
    arguments: Json,
    expression: String,
}

fn secret_sources(
    secrets: &BTreeSet<SecretRef>,
) -> BTreeMap<&SecretRef, SecretSource> {
    let mut used = BTreeSet::new();
    let mut sources = BTreeMap::new();
    for secret in secrets {
        let base = sanitize_label(&match &secret.key {
            Some(key) => format!("{}_{key}", secret.name),
            None => secret.name.clone(),
        });
        let mut label = base.clone();
        let mut n = 2;
        while !used.insert(label.clone()) {
            label = format!("{base}_{n}");
            n += 1;
        }
        let (kind, arguments, attr) = match &secret.store {
            SecretStore::AwsSecretsManager => (
                "aws_secretsmanager_secret_version",
                json!({ "secret_id": secret.name }),
                "secret_string".to_owned(),
            ),
            SecretStore::GcpSecretManager { project } => {
                let mut args = json!({ "secret": secret.name });
                if let Some(project) = project {
                    args["project"] = json!(project);
                }
                (
                    "google_secret_manager_secret_version",
                    args,
                    "secret_data".into(),
                )
            }
            SecretStore::Vault { mount } => (
                "vault_kv_secret_v2",
                json!({ "mount": mount, "name": secret.name }),
                format!(
                    "data[{}]",
                    serde_json::to_string(secret.key.as_deref().unwrap_or(""))
                        .expect("string")
                ),
            ),
        };
        let expression = format!("data.{kind}.{label}.{attr}");
        sources.insert(
            secret,
            SecretSource {
                kind,
                label,
                arguments: escape_literals(arguments),
                expression,
            },
        );
    }
    sources
}

fn escape_literals(json: Json) -> Json {
    match json {
        Json::String(s) => Json::String(escape(&s)),
        Json::Array(items) => {
            Json::Array(items.into_iter().map(escape_literals).collect())
        }
        Json::Object(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| (k, escape_literals(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Escapes a literal string for a Terraform argument: `${` and `%{` start
/// templates, so they are doubled; a lone `$` or `%` stays.
pub fn escape(text: &str) -> String {
    if !text.contains("${") && !text.contains("%{") {
        return text.to_owned();
    }
    text.replace("${", "$${").replace("%{", "%%{")
}

/// The Terraform expression for a reference-like value, without `${}`:
/// `aws_vpc.main.id`, `var.region`. Literals become their JSON form, which
/// Terraform reads as the same literal.
pub fn expression(value: &Value) -> String {
    match value {
        Value::Ref(r) => r.to_string(),
        Value::Variable(name) => format!("var.{name}"),
        Value::Expr(expr) => format!("({expr})"),
        other => {
            let json = serde_json::to_value(other).unwrap_or(Json::Null);
            json.to_string()
        }
    }
}

struct Renderer<'a> {
    secrets: BTreeMap<&'a SecretRef, SecretSource>,
}

impl Renderer<'_> {
    fn argument(&self, value: &Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(escape(s)),
            Value::List(items) => {
                Json::Array(items.iter().map(|v| self.argument(v)).collect())
            }
            Value::Map(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.argument(v)))
                    .collect(),
            ),
            Value::Concat(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Value::String(s) => out.push_str(&escape(s)),
                        other => {
                            out.push_str("${");
                            out.push_str(&self.inner(other));
                            out.push('}');
                        }
                    }
                }
                Json::String(out)
            }
            other => Json::String(format!("${{{}}}", self.inner(other))),
        }
    }

    fn inner(&self, value: &Value) -> String {
        match value {
            Value::Secret(secret) => self.secrets[secret].expression.clone(),
            Value::Concat(_) => match self.argument(value) {
                Json::String(s) => serde_json::to_string(&s).expect("string"),
                _ => unreachable!("a concatenation renders as a string"),
            },
            other => expression(other),
        }
    }
}

fn render_stack(
    env: &CompiledEnv,
    name: &str,
    stack: &Stack,
) -> Result<Json, SynthError> {
    let renderer = Renderer {
        secrets: secret_sources(&stack.secrets),
    };
    let declarations = env.declarations();
    let mut root = Map::new();

    // Which providers the module needs: its own, and those of the secret
    // stores it reads.
    let mut needed: BTreeSet<String> = BTreeSet::from([name.to_owned()]);
    for source in renderer.secrets.values() {
        if let Some(provider) = source.kind.split('_').next() {
            needed.insert(provider.to_owned());
        }
    }
    let mut required = Map::new();
    for provider in &needed {
        let declared = env
            .providers()
            .iter()
            .find(|p| p.name.as_str() == provider.as_str());
        let (source, version) = match declared {
            Some(p) => (p.source.clone(), p.version.clone()),
            None => default_source(provider),
        };
        required.insert(
            provider.clone(),
            json!({ "source": source, "version": version }),
        );
    }
    let mut terraform = Map::new();
    terraform.insert("required_providers".into(), Json::Object(required));
    if let Some(backend) = env.backend() {
        let settings: Map<String, Json> = backend
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        terraform.insert(
            "backend".into(),
            json!({ backend.kind.clone(): settings }),
        );
    }
    root.insert("terraform".into(), Json::Object(terraform));

    // Provider configurations, in the array form.
    let mut providers: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    let mut configs: Vec<_> = env
        .providers()
        .iter()
        .filter(|p| needed.contains(p.name.as_str()))
        .collect();
    configs.sort_by(|a, b| (&a.name, &a.alias).cmp(&(&b.name, &b.alias)));
    for config in configs {
        let mut body = Map::new();
        if let Some(alias) = &config.alias {
            body.insert("alias".into(), json!(alias.as_str()));
        }
        for (key, value) in &config.settings {
            body.insert(key.clone(), renderer.argument(value));
        }
        providers
            .entry(config.name.to_string())
            .or_default()
            .push(Json::Object(body));
    }
    if !providers.is_empty() {
        root.insert("provider".into(), json!(providers));
    }

    // Variables are literal: no escaping.
    let mut variables = Map::new();
    for variable in env.variables() {
        let mut body = Map::new();
        body.insert("type".into(), json!(variable.constraint));
        if let Some(default) = &variable.default {
            body.insert("default".into(), default.clone());
        }
        if let Some(description) = &variable.description {
            body.insert("description".into(), json!(description));
        }
        if variable.sensitive {
            body.insert("sensitive".into(), json!(true));
        }
        variables.insert(variable.name.to_string(), Json::Object(body));
    }
    if !variables.is_empty() {
        root.insert("variable".into(), Json::Object(variables));
    }

    // Resources and data sources, the secret stores' data sources among
    // them.
    let mut resources: BTreeMap<String, Map<String, Json>> = BTreeMap::new();
    let mut data: BTreeMap<String, Map<String, Json>> = BTreeMap::new();
    for source in renderer.secrets.values() {
        data.entry(source.kind.to_owned())
            .or_default()
            .insert(source.label.clone(), source.arguments.clone());
    }
    for &i in &stack.declarations {
        let decl = &declarations[i];
        let body = render_declaration(decl, &renderer);
        let table = match decl.address.mode {
            crate::address::Mode::Managed => &mut resources,
            crate::address::Mode::Data => &mut data,
        };
        table
            .entry(decl.address.kind.to_string())
            .or_default()
            .insert(decl.address.name.to_string(), Json::Object(body));
    }
    if !data.is_empty() {
        root.insert("data".into(), json!(data));
    }
    if !resources.is_empty() {
        root.insert("resource".into(), json!(resources));
    }

    let mut outputs = Map::new();
    for &i in &stack.outputs {
        let output = &env.outputs()[i];
        let mut body = Map::new();
        body.insert("value".into(), renderer.argument(&output.value));
        if output.sensitive {
            body.insert("sensitive".into(), json!(true));
        }
        if let Some(description) = &output.description {
            body.insert("description".into(), json!(description));
        }
        outputs.insert(output.name.to_string(), Json::Object(body));
    }
    if !outputs.is_empty() {
        root.insert("output".into(), Json::Object(outputs));
    }

    let moved: Vec<Json> = env
        .moved()
        .iter()
        .filter(|m| {
            declarations
                .iter()
                .any(|d| d.address == m.to && stack_of(d).as_str() == name)
        })
        .map(|m| json!({ "from": m.from.to_string(), "to": m.to.to_string() }))
        .collect();
    if !moved.is_empty() {
        root.insert("moved".into(), Json::Array(moved));
    }
    Ok(Json::Object(root))
}

fn render_declaration(
    decl: &Declaration,
    renderer: &Renderer<'_>,
) -> Map<String, Json> {
    let mut body: Map<String, Json> = decl
        .resource
        .attributes()
        .iter()
        .map(|(k, v)| (k.clone(), renderer.argument(v)))
        .collect();
    if let Some(provider) = &decl.meta.provider
        && provider.alias.is_some()
    {
        body.insert("provider".into(), json!(provider.to_string()));
    }
    if !decl.meta.depends_on.is_empty() {
        let mut targets: Vec<String> =
            decl.meta.depends_on.iter().map(|a| a.to_string()).collect();
        targets.sort();
        targets.dedup();
        body.insert("depends_on".into(), json!(targets));
    }
    let lifecycle = &decl.meta.lifecycle;
    if !lifecycle.is_default() {
        let mut block = Map::new();
        if lifecycle.create_before_destroy {
            block.insert("create_before_destroy".into(), json!(true));
        }
        if lifecycle.prevent_destroy {
            block.insert("prevent_destroy".into(), json!(true));
        }
        if !lifecycle.ignore_changes.is_empty() {
            block.insert(
                "ignore_changes".into(),
                json!(lifecycle.ignore_changes),
            );
        }
        body.insert("lifecycle".into(), Json::Object(block));
    }
    body
}
