//! Policies: rules a compiled environment must satisfy before it is
//! synthesized, planned or applied.
//!
//! A [`Policy`] is one rule with an id, a description, a remediation, a
//! [`Severity`], an [`Enforcement`] level and the compliance controls it
//! maps to. It looks at a [`CompiledEnv`] (typed resources and generic
//! ones alike, by their Terraform attribute names) and reports a
//! [`Violation`] per resource at fault. Rules are grouped in a [`Pack`];
//! [`check`] runs packs over an environment and returns a [`Report`].
//!
//! A violation can be suppressed only in code, with a written
//! justification, by [`Env::suppress`](crate::Env::suppress); suppressed
//! violations stay in every report, marked as such, with the reason and
//! where the suppression was declared.
//!
//! [`report`] renders a report as text, JSON, SARIF 2.1.0 or JUnit XML.
//!
//! ```
//! use onioncloud_core::policy::{
//!     self, Enforcement, Pack, Policy, PolicyContext, Rule, Severity,
//!     Violation,
//! };
//! use onioncloud_core::{Env, GenericResource};
//!
//! /// Buckets must say who owns them.
//! struct OwnerTag;
//!
//! impl Policy for OwnerTag {
//!     fn rule(&self) -> Rule {
//!         Rule::new("ACME-1", "buckets carry an owner tag")
//!             .remediation("set tags = { owner = ... }")
//!             .severity(Severity::Low)
//!             .enforcement(Enforcement::Mandatory)
//!     }
//!
//!     fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
//!         for bucket in env.resources_of("aws_s3_bucket") {
//!             if bucket.path("tags.owner").is_none() {
//!                 out.push(bucket.violation("it has no `owner` tag"));
//!             }
//!         }
//!     }
//! }
//!
//! let mut env = Env::new("demo");
//! env.add("logs", GenericResource::new("aws_s3_bucket"));
//! let env = env.compile().unwrap();
//! let pack = Pack::new("acme").with(OwnerTag);
//! let report = policy::check(&env, &[&pack]);
//! assert!(!report.is_clean());
//! assert_eq!(report.failures().count(), 1);
//! ```

pub mod report;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::{Address, Mode, ProviderRef, SourceLocation};
use crate::compile::CompiledEnv;
use crate::engine::plan::split_indices;
use crate::env::Declaration;
use crate::value::Value;

/// How bad a violation is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Hygiene.
    Low,
    /// Weakens a control.
    Medium,
    /// Exposes data or systems.
    High,
    /// Exposes data or systems to anyone.
    Critical,
}

impl Severity {
    /// The word used in reports, like `high`.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// Whether a violation stops `plan` and `apply`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// Reported; does not stop anything.
    Advisory,
    /// Stops `plan` and `apply`, and makes `check` exit non-zero, unless
    /// suppressed with a justification.
    Mandatory,
}

/// A compliance framework a rule maps to.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
)]
pub enum Framework {
    /// CIS Amazon Web Services Foundations Benchmark.
    CisAws,
    /// CIS Google Cloud Platform Foundation Benchmark.
    CisGcp,
    /// NIST SP 800-53 Rev. 5 controls.
    Nist80053,
}

impl Framework {
    /// The framework's name, like `CIS AWS Foundations`.
    pub fn name(self) -> &'static str {
        match self {
            Framework::CisAws => "CIS AWS Foundations",
            Framework::CisGcp => "CIS GCP Foundations",
            Framework::Nist80053 => "NIST 800-53",
        }
    }
}

/// A control of a framework, like CIS AWS 2.1.1 or NIST SC-28.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Control {
    /// The framework.
    pub framework: Framework,
    /// The control's id in it.
    pub id: String,
}

impl std::fmt::Display for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.framework.name(), self.id)
    }
}

/// What a rule is: its id, what it checks, how to fix a violation, how
/// bad one is, whether it is enforced, and the controls it maps to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// A stable id, like `OC-AWS-S3-ENCRYPTION`.
    pub id: String,
    /// One line: what the rule requires.
    pub title: String,
    /// Why, in a few sentences.
    pub description: String,
    /// How to satisfy it.
    pub remediation: String,
    /// How bad a violation is.
    pub severity: Severity,
    /// Whether a violation stops plans and applies.
    pub enforcement: Enforcement,
    /// The controls the rule maps to.
    pub controls: Vec<Control>,
}

impl Rule {
    /// A rule with an id and a title; medium severity, mandatory, no
    /// description, remediation or controls yet.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Rule {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            remediation: String::new(),
            severity: Severity::Medium,
            enforcement: Enforcement::Mandatory,
            controls: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// Sets the remediation.
    pub fn remediation(mut self, text: impl Into<String>) -> Self {
        self.remediation = text.into();
        self
    }

    /// Sets the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Sets the enforcement level.
    pub fn enforcement(mut self, enforcement: Enforcement) -> Self {
        self.enforcement = enforcement;
        self
    }

    /// Adds a control the rule maps to.
    pub fn control(
        mut self,
        framework: Framework,
        id: impl Into<String>,
    ) -> Self {
        self.controls.push(Control {
            framework,
            id: id.into(),
        });
        self
    }
}

/// One resource at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The resource.
    pub address: Address,
    /// Where the user declared it.
    pub location: SourceLocation,
    /// What is wrong, naming the attribute, like "`acl` is
    /// `public-read`".
    pub message: String,
}

/// A rule over compiled environments.
pub trait Policy: Send + Sync {
    /// What the rule is.
    fn rule(&self) -> Rule;

    /// Adds a violation to `out` for every resource of `env` at fault.
    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>);
}

/// A named set of policies.
pub struct Pack {
    name: String,
    policies: Vec<Box<dyn Policy>>,
}

impl Pack {
    /// An empty pack.
    pub fn new(name: impl Into<String>) -> Self {
        Pack {
            name: name.into(),
            policies: Vec::new(),
        }
    }

    /// Adds a policy.
    pub fn with(mut self, policy: impl Policy + 'static) -> Self {
        self.policies.push(Box::new(policy));
        self
    }

    /// Adds a boxed policy.
    pub fn push(&mut self, policy: Box<dyn Policy>) {
        self.policies.push(policy);
    }

    /// The pack's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policies, in the order they were added.
    pub fn policies(&self) -> &[Box<dyn Policy>] {
        &self.policies
    }
}

impl std::fmt::Debug for Pack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rules: Vec<String> =
            self.policies.iter().map(|p| p.rule().id).collect();
        f.debug_struct("Pack")
            .field("name", &self.name)
            .field("rules", &rules)
            .finish()
    }
}

/// A suppression of one rule for one resource, declared in code with
/// [`Env::suppress`](crate::Env::suppress).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// The rule id.
    pub rule: String,
    /// The resource.
    pub address: Address,
    /// Why the violation is accepted.
    pub justification: String,
    /// Where the suppression was declared.
    pub location: SourceLocation,
}

/// The view of a compiled environment a policy checks.
#[derive(Clone, Copy, Debug)]
pub struct PolicyContext<'a> {
    env: &'a CompiledEnv,
}

impl<'a> PolicyContext<'a> {
    /// The view of `env`.
    pub fn new(env: &'a CompiledEnv) -> Self {
        PolicyContext { env }
    }

    /// The environment.
    pub fn env(&self) -> &'a CompiledEnv {
        self.env
    }

    /// Every managed resource (not data sources), in declaration order.
    pub fn resources(&self) -> impl Iterator<Item = ResourceView<'a>> + 'a {
        self.env
            .declarations()
            .iter()
            .filter(|decl| decl.address.mode == Mode::Managed)
            .map(|decl| ResourceView { decl })
    }

    /// The managed resources of one type, like `aws_s3_bucket`.
    pub fn resources_of(
        &self,
        kind: &'a str,
    ) -> impl Iterator<Item = ResourceView<'a>> + 'a {
        self.resources().filter(move |r| r.kind() == kind)
    }

    /// The resources of type `kind` whose attribute `attribute` refers to
    /// `target` (any attribute of it), like the encryption configuration
    /// of a bucket.
    pub fn referring(
        &self,
        kind: &'a str,
        attribute: &'a str,
        target: &'a Address,
    ) -> impl Iterator<Item = ResourceView<'a>> + 'a {
        self.resources_of(kind).filter(move |r| {
            r.path(attribute).is_some_and(|v| refers_to(v, target))
        })
    }
}

/// Whether `value` holds a reference to `target`.
pub fn refers_to(value: &Value, target: &Address) -> bool {
    match value {
        Value::Ref(reference) => reference.address == *target,
        Value::List(items) | Value::Concat(items) => {
            items.iter().any(|item| refers_to(item, target))
        }
        Value::Map(map) => map.values().any(|item| refers_to(item, target)),
        _ => false,
    }
}

/// One resource as a policy sees it.
#[derive(Clone, Copy, Debug)]
pub struct ResourceView<'a> {
    decl: &'a Declaration,
}

impl<'a> ResourceView<'a> {
    /// The resource's address.
    pub fn address(&self) -> &'a Address {
        &self.decl.address
    }

    /// Its Terraform type, like `aws_s3_bucket`.
    pub fn kind(&self) -> &'a str {
        self.decl.address.kind.as_str()
    }

    /// Where the user declared it.
    pub fn location(&self) -> &'a SourceLocation {
        &self.decl.location
    }

    /// The provider configuration it names with
    /// [`Meta::provider`](crate::Meta::provider), like `aws.ceph`; `None`
    /// for the default configuration of its type's provider. Rules use it
    /// to tell apart resources of one type managed by different services,
    /// such as S3 buckets on AWS and on a Ceph gateway.
    pub fn provider(&self) -> Option<&'a ProviderRef> {
        self.decl.meta.provider.as_ref()
    }

    /// Its arguments, by Terraform attribute name.
    pub fn attributes(&self) -> &'a BTreeMap<String, Value> {
        self.decl.resource.attributes()
    }

    /// The value at an attribute path like `tags.owner`,
    /// `root_block_device[0].encrypted` or `rule.apply[0].algorithm`
    /// (`name[i]` indexes a list; a nested block given once may be
    /// reached without an index).
    pub fn path(&self, path: &str) -> Option<&'a Value> {
        value_at(self.attributes(), path)
    }

    /// The literal string at `path`, if it is one.
    pub fn string(&self, path: &str) -> Option<&'a str> {
        match self.path(path)? {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The literal boolean at `path`, if it is one.
    pub fn bool(&self, path: &str) -> Option<bool> {
        match self.path(path)? {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// The literal number at `path`, if it is one.
    pub fn number(&self, path: &str) -> Option<f64> {
        match self.path(path)? {
            Value::Number(number) => number.as_f64(),
            _ => None,
        }
    }

    /// A violation of this resource.
    pub fn violation(&self, message: impl Into<String>) -> Violation {
        Violation {
            address: self.address().clone(),
            location: self.location().clone(),
            message: message.into(),
        }
    }
}

/// Follows an attribute path through attributes and nested blocks.
fn value_at<'a>(
    attributes: &'a BTreeMap<String, Value>,
    path: &str,
) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let (name, indices) = split_indices(parts.next()?);
    let mut current = index_into(attributes.get(name)?, &indices)?;
    for part in parts {
        let (name, indices) = split_indices(part);
        // A block given once may be a list of one map.
        let map = match current {
            Value::Map(map) => map,
            Value::List(items) if items.len() == 1 => match &items[0] {
                Value::Map(map) => map,
                _ => return None,
            },
            _ => return None,
        };
        current = index_into(map.get(name)?, &indices)?;
    }
    Some(current)
}

fn index_into<'a>(value: &'a Value, indices: &[usize]) -> Option<&'a Value> {
    let mut current = value;
    for &index in indices {
        match current {
            Value::List(items) => current = items.get(index)?,
            _ => return None,
        }
    }
    Some(current)
}

/// What became of one violation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// It stands.
    Failed,
    /// It is accepted by a suppression in code.
    Suppressed {
        /// The justification.
        justification: String,
        /// Where the suppression was declared.
        location: SourceLocation,
    },
}

/// One violation with its rule and outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// The violation.
    pub violation: Violation,
    /// Whether it stands.
    pub outcome: Outcome,
}

/// The outcome of checking an environment against packs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The environment's name.
    pub environment: String,
    /// Every rule that was checked, by id, with the pack it came from.
    pub rules: BTreeMap<String, (String, Rule)>,
    /// Every violation, in rule id order, then address order.
    pub findings: Vec<Finding>,
    /// Suppressions that matched no violation: stale, or misspelt.
    pub unused_suppressions: Vec<Suppression>,
}

impl Report {
    /// The violations that stand (not suppressed).
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Failed))
    }

    /// The standing violations of mandatory rules: what stops a plan.
    pub fn mandatory_failures(&self) -> impl Iterator<Item = &Finding> {
        self.failures().filter(|f| {
            self.rules
                .get(&f.rule)
                .is_some_and(|(_, r)| r.enforcement == Enforcement::Mandatory)
        })
    }

    /// Whether no mandatory rule has a standing violation.
    pub fn is_clean(&self) -> bool {
        self.mandatory_failures().next().is_none()
    }

    /// The rule of a finding.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.get(id).map(|(_, rule)| rule)
    }
}

/// Checks `env` against every policy of `packs` and applies the
/// environment's suppressions.
pub fn check(env: &CompiledEnv, packs: &[&Pack]) -> Report {
    let context = PolicyContext::new(env);
    let suppressions = env.suppressions();
    let mut used = vec![false; suppressions.len()];
    let mut rules = BTreeMap::new();
    let mut findings = Vec::new();
    for pack in packs {
        for policy in pack.policies() {
            let rule = policy.rule();
            let mut violations = Vec::new();
            policy.check(&context, &mut violations);
            violations.sort_by(|a, b| a.address.cmp(&b.address));
            violations.dedup();
            for violation in violations {
                let matched = suppressions.iter().position(|s| {
                    s.rule == rule.id && s.address == violation.address
                });
                let outcome = match matched {
                    Some(index) => {
                        used[index] = true;
                        let suppression = &suppressions[index];
                        Outcome::Suppressed {
                            justification: suppression.justification.clone(),
                            location: suppression.location.clone(),
                        }
                    }
                    None => Outcome::Failed,
                };
                findings.push(Finding {
                    rule: rule.id.clone(),
                    violation,
                    outcome,
                });
            }
            rules.insert(rule.id.clone(), (pack.name().to_owned(), rule));
        }
    }
    findings.sort_by(|a, b| {
        (&a.rule, &a.violation.address).cmp(&(&b.rule, &b.violation.address))
    });
    let unused_suppressions = suppressions
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(s, _)| s.clone())
        .collect();
    Report {
        environment: env.name().to_owned(),
        rules,
        findings,
        unused_suppressions,
    }
}
