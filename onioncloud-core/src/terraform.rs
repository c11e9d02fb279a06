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

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use serde_json::{Map, Value as Json, json};
use thiserror::Error;

use crate::address::{
    Address, Name, ProviderName, SourceLocation, sanitize_label,
};
use crate::compile::CompiledEnv;
use crate::env::Declaration;
use crate::value::{SecretRef, SecretStore, Value};

/// What can go wrong while synthesizing Terraform JSON.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum SynthError {
    /// A reference from one cloud's root module into another's.
    #[error(transparent)]
    CrossStack(Box<CrossStack>),

    /// An output with no resource in the environment to keep it company:
    /// no module would hold it.
    #[error(
        "output {output} (declared at {location}) cannot be synthesized: \
         the environment declares no resource, so there is no Terraform \
         module to hold it"
    )]
    NoModule {
        /// The output.
        output: String,
        /// Where it was declared.
        location: crate::compile::Location,
    },

    /// A NaN or infinite number, which Terraform cannot hold.
    #[error(
        "{from} sets `{argument}` to {number}; Terraform numbers must be \
         finite"
    )]
    NonFinite {
        /// The resource or output.
        from: String,
        /// The argument.
        argument: String,
        /// The number, as text.
        number: String,
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

/// A reference from one cloud's root module into another's.
#[derive(Debug, Error, PartialEq)]
#[error(
    "{from} refers in `{argument}` to {target}, which belongs to the \
     {target_stack} configuration; {from} belongs to {stack}, and each \
     cloud is a separate Terraform root module: pass the value through a \
     variable ({from} is declared at {location})"
)]
pub struct CrossStack {
    /// Where the referring item was declared, as `file:line`.
    pub location: String,
    /// The referring resource or output.
    pub from: String,
    /// The argument.
    pub argument: String,
    /// The target address.
    pub target: String,
    /// The referring item's root module.
    pub stack: String,
    /// The target's root module.
    pub target_stack: String,
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
        let module = render_stack(env, &name, &stack);
        let mut text = serde_json::to_string_pretty(&module)
            .expect("serialising a module cannot fail");
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
    variables: BTreeSet<Name>,
}

fn stack_of(decl: &Declaration) -> ProviderName {
    decl.resource.provider_name()
}

fn plan_stacks(
    env: &CompiledEnv,
) -> Result<BTreeMap<String, Stack>, SynthError> {
    let declarations = env.declarations();
    let homes: Vec<ProviderName> = declarations.iter().map(stack_of).collect();
    let mut stacks: BTreeMap<String, Stack> = BTreeMap::new();

    // Resources go to their provider's module; their references must stay
    // inside it. The graph's edges already know every reference and the
    // argument behind it, so the values need not be searched again.
    for i in env.sorted_indices() {
        let decl = &declarations[i];
        let home = &homes[i];
        let crossing = env
            .dependency_indices(i)
            .filter(|(j, _)| homes[*j] != *home)
            .min_by_key(|(j, _)| &declarations[*j].address);
        if let Some((j, reasons)) = crossing {
            return Err(cross_stack(decl, home, &declarations[j], reasons));
        }
        let entry = stacks.entry(home.as_str().to_owned()).or_default();
        entry.declarations.push(i);
        for (key, value) in decl.resource.attributes() {
            let from =
                || format!("{} (declared at {})", decl.address, decl.location);
            scan_leaves(value, key, &from, entry)?;
        }
    }

    // An output goes where the resources it refers to are.
    let by_address: std::collections::HashMap<&Address, usize> = declarations
        .iter()
        .enumerate()
        .map(|(i, d)| (&d.address, i))
        .collect();
    for (i, output) in env.outputs().iter().enumerate() {
        let mut first_ref = None;
        output
            .value
            .for_each_ref(&mut String::new(), &mut |_, target| {
                if first_ref.is_none() {
                    first_ref = Some(by_address[&target.address]);
                }
            });
        let from = format!("output {}", output.name);
        let located = format!("{from} (declared at {})", output.location);

        // An output that refers to no resource is a constant: every
        // module gets it, as there is no better home.
        let homes_of_output: Vec<String> = match first_ref {
            Some(j) => vec![homes[j].as_str().to_owned()],
            None if stacks.is_empty() => {
                return Err(SynthError::NoModule {
                    output: output.name.to_string(),
                    location: crate::compile::Location(Some(
                        output.location.clone(),
                    )),
                });
            }
            None => stacks.keys().cloned().collect(),
        };
        for home in homes_of_output {
            check_refs(
                &output.value,
                &from,
                &output.location,
                &home,
                &homes,
                &by_address,
            )?;
            let entry = stacks.entry(home).or_default();
            entry.outputs.push(i);
            scan_leaves(&output.value, "value", &|| located.clone(), entry)?;
        }
    }
    for config in env.providers() {
        if let Some(stack) = stacks.get_mut(config.name.as_str()) {
            let from = || format!("provider {}", config.reference());
            for (key, value) in &config.settings {
                scan_leaves(value, key, &from, stack)?;
            }
        }
    }

    // A variable goes to every module that uses it; one that no module
    // uses goes to all, so that it can still be set.
    let used: BTreeSet<Name> = stacks
        .values()
        .flat_map(|s| s.variables.iter().cloned())
        .collect();
    for variable in env.variables() {
        if !used.contains(&variable.name) {
            for stack in stacks.values_mut() {
                stack.variables.insert(variable.name.clone());
            }
        }
    }
    Ok(stacks)
}

fn cross_stack(
    from: &Declaration,
    stack: &ProviderName,
    target: &Declaration,
    reasons: &[crate::compile::EdgeReason],
) -> SynthError {
    let (argument, attr) = match reasons.first() {
        Some(crate::compile::EdgeReason::Reference { argument, attr }) => {
            (argument.clone(), format!(".{attr}"))
        }
        _ => ("depends_on".to_owned(), String::new()),
    };
    SynthError::CrossStack(Box::new(CrossStack {
        location: from.location.to_string(),
        from: from.address.to_string(),
        argument,
        target: format!("{}{attr}", target.address),
        stack: stack.to_string(),
        target_stack: stack_of(target).to_string(),
    }))
}

/// Refuses references from an output into another module than its own.
fn check_refs(
    value: &Value,
    from: &str,
    location: &SourceLocation,
    stack: &str,
    homes: &[ProviderName],
    by_address: &std::collections::HashMap<&Address, usize>,
) -> Result<(), SynthError> {
    let mut result = Ok(());
    let mut path = "value".to_owned();
    value.for_each_ref(&mut path, &mut |argument, target| {
        let target_stack = &homes[by_address[&target.address]];
        if result.is_ok() && target_stack.as_str() != stack {
            result = Err(SynthError::CrossStack(Box::new(CrossStack {
                location: location.to_string(),
                from: from.to_owned(),
                argument: argument.to_owned(),
                target: target.to_string(),
                stack: stack.to_owned(),
                target_stack: target_stack.to_string(),
            })));
        }
    });
    result
}

/// Collects the secrets and variables a value uses into its module, and
/// refuses values unknown until apply.
fn scan_leaves(
    value: &Value,
    argument: &str,
    from: &dyn Fn() -> String,
    stack: &mut Stack,
) -> Result<(), SynthError> {
    let mut unknown = false;
    let mut non_finite = None;
    value.for_each_leaf(&mut |leaf| match leaf {
        Value::Unknown => unknown = true,
        Value::NonFinite(text) => non_finite = Some(text.clone()),
        Value::Secret(secret) if !stack.secrets.contains(secret) => {
            stack.secrets.insert(secret.clone());
        }
        Value::Variable(name) if !stack.variables.contains(name) => {
            stack.variables.insert(name.clone());
        }
        _ => {}
    });
    if unknown {
        return Err(SynthError::Unknown {
            from: from(),
            argument: argument.to_owned(),
        });
    }
    if let Some(number) = non_finite {
        return Err(SynthError::NonFinite {
            from: from(),
            argument: argument.to_owned(),
            number,
        });
    }
    Ok(())
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
    let quote = |text: &str| {
        serde_json::to_string(&escape(text)).expect("a string serialises")
    };
    match value {
        Value::Ref(r) => r.to_string(),
        Value::Variable(name) => format!("var.{name}"),
        Value::Expr(expr) => format!("({expr})"),
        // Refused before rendering; no Terraform literal could hold them.
        Value::Null | Value::Unknown | Value::NonFinite(_) => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(text) => quote(text),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(expression).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", quote(k), expression(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Concat(parts) => {
            let parts: Vec<String> = parts.iter().map(expression).collect();
            format!("join(\"\", [{}])", parts.join(", "))
        }
        Value::Secret(secret) => {
            format!("(secret {})", quote(&secret.to_string()))
        }
    }
}

struct Renderer<'a> {
    secrets: BTreeMap<&'a SecretRef, SecretSource>,
}

impl Renderer<'_> {
    /// A small argument as a JSON value, for the parts of a module that
    /// are not streamed.
    fn argument(&self, value: &Value) -> Json {
        serde_json::to_value(Arg {
            value,
            renderer: self,
        })
        .expect("an argument serialises")
    }

    /// A concatenation as one template string.
    fn concat(&self, parts: &[Value]) -> String {
        let mut out = String::new();
        for part in parts {
            match part {
                Value::String(s) => out.push_str(&escape(s)),
                other => {
                    let _ = write!(out, "{}", Template(other, self));
                }
            }
        }
        out
    }

    fn inner(&self, value: &Value, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match value {
            Value::Secret(secret) => {
                f.write_str(&self.secrets[secret].expression)
            }
            Value::Ref(r) => fmt::Display::fmt(r, f),
            Value::Variable(name) => write!(f, "var.{name}"),
            Value::Concat(parts) => {
                let text = self.concat(parts);
                f.write_str(&serde_json::to_string(&text).expect("string"))
            }
            other => f.write_str(&expression(other)),
        }
    }
}

/// A reference-like value written as a template: `${aws_vpc.main.id}`.
struct Template<'a>(&'a Value, &'a Renderer<'a>);

impl fmt::Display for Template<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("${")?;
        self.1.inner(self.0, f)?;
        f.write_str("}")
    }
}

/// A resource or provider argument, serialised straight into the output
/// without an intermediate JSON tree: literals escaped, references as
/// templates.
struct Arg<'a> {
    value: &'a Value,
    renderer: &'a Renderer<'a>,
}

impl Serialize for Arg<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let renderer = self.renderer;
        match self.value {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(text) => s.serialize_str(&escape(text)),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for value in items {
                    seq.serialize_element(&Arg { value, renderer })?;
                }
                seq.end()
            }
            Value::Map(map) => {
                let mut out = s.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    // Object keys are templates too.
                    let key = escape(key);
                    out.serialize_entry(&key, &Arg { value, renderer })?;
                }
                out.end()
            }
            Value::Concat(parts) => s.serialize_str(&renderer.concat(parts)),
            other => s.collect_str(&Template(other, renderer)),
        }
    }
}

/// One entry of a module's `resource` or `data` table.
struct Entry<'a> {
    kind: Cow<'a, str>,
    name: Cow<'a, str>,
    body: EntryBody<'a>,
}

enum EntryBody<'a> {
    /// A data source OnionCloud adds, such as a secret store's.
    Generated(Json),
    /// A declared resource or data source.
    Declared(&'a Declaration),
}

/// A whole root module, serialised in key order.
struct Module<'a> {
    head: BTreeMap<&'static str, Json>,
    data: Vec<Entry<'a>>,
    resources: Vec<Entry<'a>>,
    renderer: Renderer<'a>,
}

impl Serialize for Module<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut keys: Vec<&str> = self.head.keys().copied().collect();
        if !self.data.is_empty() {
            keys.push("data");
        }
        if !self.resources.is_empty() {
            keys.push("resource");
        }
        keys.sort_unstable();
        let mut map = s.serialize_map(Some(keys.len()))?;
        for key in keys {
            match key {
                "data" => map
                    .serialize_entry(key, &Table(&self.data, &self.renderer))?,
                "resource" => map.serialize_entry(
                    key,
                    &Table(&self.resources, &self.renderer),
                )?,
                _ => map.serialize_entry(key, &self.head[key])?,
            }
        }
        map.end()
    }
}

/// Entries sorted by type and name, as `{type: {name: body}}`.
struct Table<'a>(&'a [Entry<'a>], &'a Renderer<'a>);

impl Serialize for Table<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for group in self.0.chunk_by(|a, b| a.kind == b.kind) {
            map.serialize_entry(&group[0].kind, &Group(group, self.1))?;
        }
        map.end()
    }
}

struct Group<'a>(&'a [Entry<'a>], &'a Renderer<'a>);

impl Serialize for Group<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for entry in self.0 {
            match &entry.body {
                EntryBody::Generated(json) => {
                    map.serialize_entry(&entry.name, json)?
                }
                EntryBody::Declared(decl) => {
                    map.serialize_entry(&entry.name, &Body(decl, self.1))?
                }
            }
        }
        map.end()
    }
}

/// A declaration's body: its arguments and meta-arguments, in key order.
struct Body<'a>(&'a Declaration, &'a Renderer<'a>);

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let meta = meta_arguments(self.0);
        let mut entries: Vec<(&str, Option<&Value>, Option<&Json>)> = self
            .0
            .resource
            .attributes()
            .iter()
            .filter(|(key, _)| !meta.contains_key(key.as_str()))
            .map(|(key, value)| (key.as_str(), Some(value), None))
            .collect();
        if !meta.is_empty() {
            entries.extend(meta.iter().map(|(k, v)| (*k, None, Some(v))));
            entries.sort_by_key(|(key, _, _)| *key);
        }
        let mut map = s.serialize_map(Some(entries.len()))?;
        for (key, value, json) in entries {
            match (value, json) {
                (Some(value), _) => map.serialize_entry(
                    key,
                    &Arg {
                        value,
                        renderer: self.1,
                    },
                )?,
                (None, Some(json)) => map.serialize_entry(key, json)?,
                (None, None) => unreachable!("every entry has a value"),
            }
        }
        map.end()
    }
}

/// `provider`, `depends_on` and `lifecycle`, where set.
fn meta_arguments(decl: &Declaration) -> BTreeMap<&'static str, Json> {
    let mut meta = BTreeMap::new();
    if let Some(provider) = &decl.meta.provider
        && provider.alias.is_some()
    {
        meta.insert("provider", json!(provider.to_string()));
    }
    if !decl.meta.depends_on.is_empty() {
        let mut targets: Vec<String> =
            decl.meta.depends_on.iter().map(|a| a.to_string()).collect();
        targets.sort();
        targets.dedup();
        meta.insert("depends_on", json!(targets));
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
        meta.insert("lifecycle", Json::Object(block));
    }
    meta
}

fn render_stack<'a>(
    env: &'a CompiledEnv,
    name: &str,
    stack: &'a Stack,
) -> Module<'a> {
    let renderer = Renderer {
        secrets: secret_sources(&stack.secrets),
    };
    let declarations = env.declarations();
    let mut head = BTreeMap::new();

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
    head.insert("terraform", Json::Object(terraform));

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
        head.insert("provider", json!(providers));
    }

    // Variables are literal: no escaping.
    let mut variables = Map::new();
    for variable in env.variables() {
        if !stack.variables.contains(&variable.name) {
            continue;
        }
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
        head.insert("variable", Json::Object(variables));
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
        head.insert("output", Json::Object(outputs));
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
        head.insert("moved", Json::Array(moved));
    }

    // Resources and data sources, streamed when the module is written;
    // the secret stores' data sources join the declared ones.
    let mut data = Vec::new();
    let mut resources = Vec::with_capacity(stack.declarations.len());
    for source in renderer.secrets.values() {
        data.push(Entry {
            kind: Cow::Borrowed(source.kind),
            name: Cow::Owned(source.label.clone()),
            body: EntryBody::Generated(source.arguments.clone()),
        });
    }
    for &i in &stack.declarations {
        let decl = &declarations[i];
        let entry = Entry {
            kind: Cow::Borrowed(decl.address.kind.as_str()),
            name: Cow::Borrowed(decl.address.name.as_str()),
            body: EntryBody::Declared(decl),
        };
        match decl.address.mode {
            crate::address::Mode::Managed => resources.push(entry),
            crate::address::Mode::Data => data.push(entry),
        }
    }
    // Declarations come in address order already; the generated data
    // sources need merging in.
    data.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    resources.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));

    Module {
        head,
        data,
        resources,
        renderer,
    }
}
