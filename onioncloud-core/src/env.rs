//! Environments: where a user declares resources, providers, variables and
//! outputs.
//!
//! An [`Env`] only collects declarations, as written. Nothing is checked
//! until [`Env::compile`] turns it into a
//! [`CompiledEnv`](crate::CompiledEnv), which reports every problem at once,
//! each with the line of the user's code that declared the culprit.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::address::{
    Address, Mode, Name, ProviderName, ProviderRef, SourceLocation,
};
use crate::resource::{Handle, HasAddress, Resource, TypedResource};
use crate::sensitive::SensitiveValue;
use crate::typed::{Input, Output};
use crate::value::{AttrRef, Value};

/// One environment (prod, staging, a DR site) being declared.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Env {
    pub(crate) name: String,
    pub(crate) declarations: Vec<Declaration>,
    pub(crate) providers: Vec<ProviderConfig>,
    pub(crate) variables: Vec<VariableDecl>,
    pub(crate) outputs: Vec<OutputDecl>,
    pub(crate) configurations: Vec<ConfigurationDecl>,
    pub(crate) moved: Vec<Moved>,
    #[serde(default)]
    pub(crate) removed: Vec<Removed>,
    #[serde(default)]
    pub(crate) imports: Vec<Import>,
    pub(crate) backend: Option<Backend>,
    #[serde(default)]
    pub(crate) problems: Vec<Reported>,
    #[serde(default)]
    pub(crate) suppressions: Vec<crate::policy::Suppression>,
}

/// A problem a component reported with [`Env::report`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Reported {
    pub(crate) component: String,
    pub(crate) problem: String,
    pub(crate) location: SourceLocation,
}

/// A declared resource or data source with its meta-arguments.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Declaration {
    /// Where it lives.
    pub address: Address,
    /// What it is.
    pub resource: Box<dyn Resource>,
    /// Meta-arguments: provider, `depends_on`, lifecycle.
    pub meta: Meta,
    /// Where the user declared it.
    pub location: SourceLocation,
}

/// The meta-arguments of a resource: which provider configuration manages
/// it, what it depends on beyond its references, and its lifecycle.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// The provider configuration; the default one of the type's provider
    /// when `None`.
    pub provider: Option<ProviderRef>,
    /// Extra dependencies.
    pub depends_on: Vec<Address>,
    /// Lifecycle settings.
    pub lifecycle: Lifecycle,
}

impl Meta {
    /// Meta-arguments with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Manages the resource with the given provider configuration.
    pub fn provider(mut self, provider: &ProviderRef) -> Self {
        self.provider = Some(provider.clone());
        self
    }

    /// Adds a dependency that no reference expresses.
    pub fn depends_on(mut self, target: &impl HasAddress) -> Self {
        self.depends_on.push(target.resource_address().clone());
        self
    }

    /// Creates the replacement before destroying the old object.
    pub fn create_before_destroy(mut self) -> Self {
        self.lifecycle.create_before_destroy = true;
        self
    }

    /// Refuses any plan that would destroy the resource.
    pub fn prevent_destroy(mut self) -> Self {
        self.lifecycle.prevent_destroy = true;
        self
    }

    /// Ignores changes to an attribute made outside OnionCloud.
    pub fn ignore_changes(mut self, attribute: impl Into<String>) -> Self {
        self.lifecycle.ignore_changes.push(attribute.into());
        self
    }
}

/// Lifecycle settings, as Terraform's `lifecycle` block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// Create the replacement before destroying the old object.
    pub create_before_destroy: bool,
    /// Refuse to destroy.
    pub prevent_destroy: bool,
    /// Attributes whose changes are ignored.
    pub ignore_changes: Vec<String>,
}

impl Lifecycle {
    /// Whether every setting is the default.
    pub fn is_default(&self) -> bool {
        self == &Self::default()
    }
}

/// One configuration of a provider: `provider "aws" { region = ... }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// The local name, such as `aws`.
    pub name: ProviderName,
    /// The registry source, such as `hashicorp/aws`.
    pub source: String,
    /// The version constraint.
    pub version: String,
    /// The alias, for every configuration but the default one.
    pub alias: Option<Name>,
    /// The settings; they may reference variables and secrets.
    pub settings: BTreeMap<String, Value>,
    /// Where the user declared it.
    pub location: Option<SourceLocation>,
}

impl ProviderConfig {
    /// A configuration of the provider with the given local name, registry
    /// source and version constraint.
    pub fn new(
        name: impl Into<String>,
        source: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        Self {
            name: ProviderName::new(name),
            source: source.into(),
            version: version.into(),
            alias: None,
            settings: BTreeMap::new(),
            location: None,
        }
    }

    /// Names this configuration, so that it can live beside others of the
    /// same provider.
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(Name::new(alias));
        self
    }

    /// Sets a provider setting.
    pub fn setting(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.settings.insert(key.to_owned(), value.into());
        self
    }

    /// The reference resources use to pick this configuration.
    pub fn reference(&self) -> ProviderRef {
        ProviderRef {
            name: self.name.clone(),
            alias: self.alias.clone(),
        }
    }
}

/// A literal value: what Terraform reads without evaluating templates, as
/// in variable defaults and backend settings. It cannot hold a reference.
pub type Literal = serde_json::Value;

/// The Terraform type of an input variable.
pub trait VariableType {
    /// The type constraint, as Terraform writes it.
    const CONSTRAINT: &'static str;
}

impl VariableType for String {
    const CONSTRAINT: &'static str = "string";
}

impl VariableType for i64 {
    const CONSTRAINT: &'static str = "number";
}

impl VariableType for f64 {
    const CONSTRAINT: &'static str = "number";
}

impl VariableType for bool {
    const CONSTRAINT: &'static str = "bool";
}

impl VariableType for Vec<String> {
    const CONSTRAINT: &'static str = "list(string)";
}

/// An input variable of type `T`, before it is declared.
#[derive(Clone, Debug)]
pub struct Variable<T> {
    decl: VariableDecl,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T: VariableType> Variable<T> {
    /// A variable with no default: it must be given a value.
    pub fn new() -> Self {
        Self {
            decl: VariableDecl {
                name: Name::new(""),
                constraint: T::CONSTRAINT.to_owned(),
                default: None,
                sensitive_default: None,
                description: None,
                sensitive: false,
                location: None,
            },
            _type: std::marker::PhantomData,
        }
    }

    /// The value used when none is given. Literal: templates in it are
    /// not evaluated. The default of a sensitive variable is held as a
    /// [`SensitiveValue`] and never written: not in synthesized
    /// Terraform (which then needs the value given, as `TF_VAR_name`),
    /// plans or state.
    pub fn default_value(mut self, value: impl Into<Literal>) -> Self {
        let value = value.into();
        if self.decl.sensitive {
            self.decl.sensitive_default = Some(SensitiveValue::new(value));
        } else {
            self.decl.default = Some(value);
        }
        self
    }

    /// A description for people reading the configuration.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.decl.description = Some(text.into());
        self
    }

    /// Hides the value in plans and logs, and holds it (default
    /// included) as a [`SensitiveValue`]: it is used, never written.
    /// Outputs and resource attributes whose values come from it are
    /// sensitive too.
    pub fn sensitive(mut self) -> Self {
        self.decl.sensitive = true;
        if let Some(default) = self.decl.default.take() {
            self.decl.sensitive_default = Some(SensitiveValue::new(default));
        }
        self
    }
}

impl<T: VariableType> Default for Variable<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A declared input variable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariableDecl {
    /// Its name.
    pub name: Name,
    /// Its Terraform type constraint.
    pub constraint: String,
    /// Its default, literal; always `None` for a sensitive variable,
    /// whose default is in `sensitive_default`.
    pub default: Option<Literal>,
    /// The default of a sensitive variable, in memory only: never
    /// serialized, synthesized or shown.
    #[serde(skip)]
    pub sensitive_default: Option<SensitiveValue>,
    /// Its description.
    pub description: Option<String>,
    /// Whether it is sensitive.
    pub sensitive: bool,
    /// Where the user declared it.
    pub location: Option<SourceLocation>,
}

impl VariableDecl {
    /// The default as a sensitive value: the sensitive default, or the
    /// plain one of a variable that is not sensitive.
    pub fn default_sensitive(&self) -> Option<SensitiveValue> {
        self.sensitive_default
            .clone()
            .or_else(|| self.default.clone().map(SensitiveValue::new))
    }
}

/// A declared output of the environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputDecl {
    /// Its name.
    pub name: Name,
    /// Its value.
    pub value: Value,
    /// Whether it is hidden in plans and logs. Outputs that carry a secret
    /// always are.
    pub sensitive: bool,
    /// Its description.
    pub description: Option<String>,
    /// Where the user declared it.
    pub location: SourceLocation,
}

/// An explicit rename: the resource at `from` now lives at `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    /// The old address.
    pub from: Address,
    /// The new address.
    pub to: Address,
    /// Where the user declared the rename.
    pub location: Option<SourceLocation>,
}

/// A resource to forget: removed from the state, left in the cloud.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Removed {
    /// Its address in the state.
    pub address: Address,
    /// Where the user declared it.
    pub location: SourceLocation,
}

/// An existing cloud object to adopt by id instead of creating one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Import {
    /// The declared resource that takes the object over.
    pub to: Address,
    /// The object's id in the cloud.
    pub id: String,
    /// Where the user declared it.
    pub location: SourceLocation,
}

/// Where Terraform keeps the state of the synthesized configuration.
/// Settings are literal: Terraform evaluates no references there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Backend {
    /// The backend type, such as `s3`, `pg` or `local`.
    pub kind: String,
    /// Its settings.
    pub settings: BTreeMap<String, Literal>,
}

impl Backend {
    /// A backend of the given type with no settings yet.
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            settings: BTreeMap::new(),
        }
    }

    /// Sets a literal setting.
    pub fn setting(mut self, key: &str, value: impl Into<Literal>) -> Self {
        self.settings.insert(key.to_owned(), value.into());
        self
    }
}

/// Configuration of a machine that the environment creates, such as a set
/// of Salt roles. The configuration crate implements this; the core only
/// needs to see its references, which become graph edges.
#[typetag::serde]
pub trait Configuration: fmt::Debug + Send + Sync + ConfigurationClone {
    /// The configuration system, such as `salt`.
    fn system(&self) -> &'static str;

    /// Every value that may hold a reference, by path, for the graph.
    fn values(&self) -> Vec<(String, &Value)>;

    /// For downcasting to the concrete type.
    fn as_any(&self) -> &dyn Any;
}

/// Cloning for boxed configurations.
pub trait ConfigurationClone {
    /// Clones into a new box.
    fn clone_box(&self) -> Box<dyn Configuration>;
}

impl<T: Configuration + Clone + 'static> ConfigurationClone for T {
    fn clone_box(&self) -> Box<dyn Configuration> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Configuration> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A configuration attached to a machine.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfigurationDecl {
    /// The machine: a compute resource of this environment.
    pub target: Address,
    /// The configuration.
    pub configuration: Box<dyn Configuration>,
    /// Where the user attached it.
    pub location: SourceLocation,
}

/// A cross-cloud building block that expands into several resources.
pub trait Component {
    /// What declaring the component returns, usually a struct of handles.
    type Output;

    /// Declares the component's resources in `env`, each named after
    /// `name`.
    #[track_caller]
    fn declare(self, env: &mut Env, name: &str) -> Self::Output;
}

impl Env {
    /// An empty environment with the given name (`prod`, `staging`).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// The environment's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Declares a resource and returns its handle.
    #[track_caller]
    pub fn add<R: TypedResource>(
        &mut self,
        name: impl Into<String>,
        resource: R,
    ) -> Handle<R> {
        let location = SourceLocation::caller();
        self.declare(
            Mode::Managed,
            name.into(),
            resource,
            Meta::new(),
            location,
        )
    }

    /// Declares a resource with meta-arguments (provider, `depends_on`,
    /// lifecycle).
    #[track_caller]
    pub fn add_with<R: TypedResource>(
        &mut self,
        name: impl Into<String>,
        resource: R,
        meta: Meta,
    ) -> Handle<R> {
        let location = SourceLocation::caller();
        self.declare(Mode::Managed, name.into(), resource, meta, location)
    }

    /// Declares a data source and returns its handle.
    #[track_caller]
    pub fn data<R: TypedResource>(
        &mut self,
        name: impl Into<String>,
        source: R,
    ) -> Handle<R> {
        let location = SourceLocation::caller();
        self.declare(Mode::Data, name.into(), source, Meta::new(), location)
    }

    /// Declares a data source read through a given provider configuration.
    #[track_caller]
    pub fn data_with<R: TypedResource>(
        &mut self,
        name: impl Into<String>,
        source: R,
        meta: Meta,
    ) -> Handle<R> {
        let location = SourceLocation::caller();
        self.declare(Mode::Data, name.into(), source, meta, location)
    }

    /// Declares an already boxed resource; for code that builds resources
    /// dynamically.
    pub fn add_boxed(
        &mut self,
        mode: Mode,
        name: impl Into<String>,
        resource: Box<dyn Resource>,
        meta: Meta,
        location: SourceLocation,
    ) -> Address {
        let address = Address {
            mode,
            kind: resource.resource_type(),
            name: Name::new(name),
        };
        self.declarations.push(Declaration {
            address: address.clone(),
            resource,
            meta,
            location,
        });
        address
    }

    fn declare<R: TypedResource>(
        &mut self,
        mode: Mode,
        name: String,
        resource: R,
        meta: Meta,
        location: SourceLocation,
    ) -> Handle<R> {
        let address =
            self.add_boxed(mode, name, Box::new(resource), meta, location);
        Handle::new(address)
    }

    /// Declares a provider configuration and returns the reference that
    /// resources use to pick it.
    #[track_caller]
    pub fn provider(&mut self, mut config: ProviderConfig) -> ProviderRef {
        config.location = Some(SourceLocation::caller());
        let reference = config.reference();
        self.providers.push(config);
        reference
    }

    /// Declares an input variable and returns its value.
    #[track_caller]
    pub fn variable<T: VariableType>(
        &mut self,
        name: impl Into<String>,
        variable: Variable<T>,
    ) -> Output<T> {
        let mut decl = variable.decl;
        decl.name = Name::new(name);
        decl.location = Some(SourceLocation::caller());
        let value = Value::Variable(decl.name.clone());
        self.variables.push(decl);
        Output::from_value(value)
    }

    /// Declares an output of the environment.
    #[track_caller]
    pub fn output<T>(
        &mut self,
        name: impl Into<String>,
        value: impl Into<Input<T>>,
    ) {
        self.push_output(name.into(), value.into().into_value(), false);
    }

    /// Declares an output that plans and logs hide.
    #[track_caller]
    pub fn sensitive_output<T>(
        &mut self,
        name: impl Into<String>,
        value: impl Into<Input<T>>,
    ) {
        self.push_output(name.into(), value.into().into_value(), true);
    }

    #[track_caller]
    fn push_output(&mut self, name: String, value: Value, sensitive: bool) {
        // Compiling looks again, once every variable and resource is
        // declared: a value derived from a secret is a secret.
        let sensitive = sensitive || value.contains_secret();
        self.outputs.push(OutputDecl {
            name: Name::new(name),
            value,
            sensitive,
            description: None,
            location: SourceLocation::caller(),
        });
    }

    /// Declares a cross-cloud component.
    #[track_caller]
    pub fn component<C: Component>(
        &mut self,
        name: impl AsRef<str>,
        component: C,
    ) -> C::Output {
        component.declare(self, name.as_ref())
    }

    /// Reports a problem that a component found in its own settings, such
    /// as a value it cannot write safely: [`Env::compile`] then fails with
    /// it, at the line of the user's code that declared the component.
    /// `component` describes the component (`database "orders"`),
    /// `problem` names the value at fault. Call it from
    /// [`Component::declare`], whose caller location is the user's.
    #[track_caller]
    pub fn report(
        &mut self,
        component: impl Into<String>,
        problem: impl Into<String>,
    ) {
        self.problems.push(Reported {
            component: component.into(),
            problem: problem.into(),
            location: SourceLocation::caller(),
        });
    }

    /// Accepts a violation of the policy rule `rule` by `resource`, for
    /// the reason `justification`. The violation still shows in every
    /// report, marked suppressed, with the justification and this line;
    /// it no longer stops `plan` or `apply`. An empty justification is a
    /// compile error: a suppression must say why.
    #[track_caller]
    pub fn suppress(
        &mut self,
        rule: impl Into<String>,
        resource: &impl HasAddress,
        justification: impl Into<String>,
    ) {
        let rule = rule.into();
        let justification = justification.into();
        let address = resource.resource_address().clone();
        let location = SourceLocation::caller();
        if justification.trim().is_empty() {
            self.problems.push(Reported {
                component: format!("suppression of {rule} for {address}"),
                problem: "the justification is empty: say why the violation \
                          is accepted"
                    .to_owned(),
                location: location.clone(),
            });
        }
        self.suppressions.push(crate::policy::Suppression {
            rule,
            address,
            justification,
            location,
        });
    }

    /// Attaches a configuration (such as Salt roles) to a machine.
    #[track_caller]
    pub fn configure(
        &mut self,
        target: &impl HasAddress,
        configuration: impl Configuration + 'static,
    ) {
        self.configurations.push(ConfigurationDecl {
            target: target.resource_address().clone(),
            configuration: Box::new(configuration),
            location: SourceLocation::caller(),
        });
    }

    /// Records that the resource once at `from` is now at `to`.
    #[track_caller]
    pub fn moved(&mut self, from: Address, to: &impl HasAddress) {
        self.moved.push(Moved {
            from,
            to: to.resource_address().clone(),
            location: Some(SourceLocation::caller()),
        });
    }

    /// Forgets the resource once at `address`: the next apply removes it
    /// from the state without destroying the object.
    #[track_caller]
    pub fn removed(&mut self, address: Address) {
        self.removed.push(Removed {
            address,
            location: SourceLocation::caller(),
        });
    }

    /// Adopts the existing object `id` as the declared resource `to`,
    /// instead of creating a new one. Once adopted, the declaration may
    /// stay or go: an import of a resource already in the state does
    /// nothing.
    #[track_caller]
    pub fn import(&mut self, to: &impl HasAddress, id: impl Into<String>) {
        self.imports.push(Import {
            to: to.resource_address().clone(),
            id: id.into(),
            location: SourceLocation::caller(),
        });
    }

    /// Sets where Terraform keeps its state for the synthesized
    /// configuration.
    pub fn backend(&mut self, backend: Backend) {
        self.backend = Some(backend);
    }

    /// Every declared resource and data source, in declaration order.
    pub fn declarations(&self) -> &[Declaration] {
        &self.declarations
    }
}

/// A reference with the argument path it sits at, as the graph records it.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Reference {
    /// The argument of the referring resource, such as
    /// `ingress[0].security_groups[0]`.
    pub argument: String,
    /// What it refers to.
    pub target: AttrRef,
}
