//! Compiling an environment: names checked, references resolved, the
//! dependency graph built and cycles rejected.
//!
//! The graph's nodes are resources, data sources and outputs. An edge runs
//! from a node to what it depends on and records why: the argument holding
//! the reference, or `depends_on`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;

use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use thiserror::Error;

use crate::address::{Address, Mode, Name, ProviderRef, SourceLocation};
use crate::env::{
    ConfigurationDecl, Declaration, Env, OutputDecl, ProviderConfig,
    VariableDecl,
};
use crate::value::{AttrRef, Value};

/// One problem found while compiling an environment.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CompileError {
    /// A name that Terraform would reject.
    #[error("invalid {what} name {name:?} at {location}: {reason}")]
    InvalidName {
        /// What carries the name: resource, output, variable, alias.
        what: &'static str,
        /// The name as written.
        name: String,
        /// What is wrong with it.
        reason: String,
        /// Where it was declared.
        location: Location,
    },

    /// Two declarations with one address or name.
    #[error(
        "{what} {name} is declared twice: at {first} and again at {second}"
    )]
    Duplicate {
        /// What is duplicated: resource, output, variable, provider.
        what: &'static str,
        /// The address or name.
        name: String,
        /// The first declaration.
        first: Location,
        /// The second declaration.
        second: Location,
    },

    /// A reference to something that is not in the environment.
    #[error(
        "{from} (declared at {location}) refers in `{argument}` to \
         {target}, but the environment declares no {missing}"
    )]
    MissingReference {
        /// The referring resource or output.
        from: String,
        /// The argument holding the reference.
        argument: String,
        /// The reference, as written.
        target: String,
        /// What is missing: an address or `variable NAME`.
        missing: String,
        /// Where the referring item was declared.
        location: Location,
    },

    /// A resource names a provider configuration that is not declared, or
    /// one of another provider.
    #[error(
        "{address} (declared at {location}) uses provider {provider}: {reason}"
    )]
    Provider {
        /// The resource.
        address: Address,
        /// The provider configuration it names.
        provider: ProviderRef,
        /// What is wrong.
        reason: String,
        /// Where the resource was declared.
        location: Location,
    },

    /// A rename whose old address is still in use.
    #[error("moved from {from} to {to} (at {location}): {reason}")]
    Moved {
        /// The old address.
        from: Address,
        /// The new address.
        to: Address,
        /// What is wrong.
        reason: String,
        /// Where the rename was declared.
        location: Location,
    },

    /// A dependency cycle, as one minimal cycle.
    #[error("dependency cycle:{}", display_cycle(.0))]
    Cycle(Vec<CycleStep>),

    /// A component refused one of its settings, reported with
    /// [`Env::report`](crate::Env::report).
    #[error("{component} (declared at {location}): {problem}")]
    Component {
        /// The component, as the component describes itself, such as
        /// `database "orders"`.
        component: String,
        /// What is wrong, naming the value at fault.
        problem: String,
        /// Where the component was declared.
        location: Location,
    },
}

/// A source location, or a note that the item was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location(pub Option<SourceLocation>);

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(location) => location.fmt(f),
            None => f.write_str("an unknown place"),
        }
    }
}

/// One step of a dependency cycle: `from` depends on `to` because of
/// `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleStep {
    /// The dependent resource.
    pub from: Address,
    /// Where it was declared.
    pub location: SourceLocation,
    /// Why it depends on the next one.
    pub reason: EdgeReason,
    /// The resource it depends on.
    pub to: Address,
}

fn display_cycle(steps: &[CycleStep]) -> String {
    let mut out = String::new();
    for step in steps {
        out.push_str(&format!(
            "\n  {} (at {}) depends on {} through {}",
            step.from, step.location, step.to, step.reason
        ));
    }
    out
}

/// Every problem found while compiling, in a stable order.
#[derive(Debug, Clone, PartialEq, Error)]
pub struct CompileErrors(pub Vec<CompileError>);

impl fmt::Display for CompileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(
            f,
            "the environment has {count} error{}",
            if count == 1 { "" } else { "s" }
        )?;
        for error in &self.0 {
            write!(f, "\n- {error}")?;
        }
        Ok(())
    }
}

/// Why one node depends on another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeReason {
    /// An argument refers to an attribute of the other node.
    Reference {
        /// The argument, such as `vpc_id` or `ingress[0].cidr_blocks[0]`.
        argument: String,
        /// The attribute referred to.
        attr: String,
    },
    /// An explicit `depends_on`.
    DependsOn,
}

impl fmt::Display for EdgeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EdgeReason::Reference { argument, attr } => {
                write!(f, "`{argument}` = .{attr}")
            }
            EdgeReason::DependsOn => f.write_str("depends_on"),
        }
    }
}

/// A node of the dependency graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// A resource or data source: its index in [`CompiledEnv::declarations`].
    Resource(usize),
    /// An output: its index in [`CompiledEnv::outputs`].
    Output(usize),
}

/// A validated environment with its dependency graph. Only this type
/// reaches synthesis and planning.
#[derive(Debug, Clone)]
pub struct CompiledEnv {
    env: Env,
    graph: DiGraph<Node, Vec<EdgeReason>>,
    resource_nodes: Vec<NodeIndex>,
    /// Every declaration's index, by address.
    by_address: HashMap<Address, usize>,
    /// Per declaration, the attributes whose values are, or derive from,
    /// a secret or a sensitive variable.
    sensitive: Vec<BTreeSet<String>>,
}

impl Env {
    /// Checks the environment and builds its dependency graph.
    ///
    /// # Errors
    ///
    /// Returns every problem found: invalid or duplicate names, references
    /// to what is not declared, unknown provider configurations, and one
    /// minimal cycle per group of resources that depend on each other.
    pub fn compile(self) -> Result<CompiledEnv, CompileErrors> {
        let mut errors = Vec::new();

        // Names first: every later step keys on them.
        check_names(&self, &mut errors);
        errors.extend(self.problems.iter().map(|reported| {
            CompileError::Component {
                component: reported.component.clone(),
                problem: reported.problem.clone(),
                location: Location(Some(reported.location.clone())),
            }
        }));
        let by_address = index_declarations(&self.declarations, &mut errors);
        check_providers(&self, &mut errors);
        check_removed_and_imports(
            &self,
            &|a| by_address.contains_key(a),
            &mut errors,
        );

        // References become edges; a reference to nothing is an error here
        // rather than a missing edge later.
        let mut graph = DiGraph::with_capacity(
            self.declarations.len() + self.outputs.len(),
            self.declarations.len(),
        );
        let resource_nodes: Vec<NodeIndex> = (0..self.declarations.len())
            .map(|i| graph.add_node(Node::Resource(i)))
            .collect();
        let variables: HashMap<&Name, &VariableDecl> =
            self.variables.iter().map(|v| (&v.name, v)).collect();
        let resolver = Resolver {
            by_address: &by_address,
            variables: &variables,
            resource_nodes: &resource_nodes,
        };
        for (i, decl) in self.declarations.iter().enumerate() {
            let mut edges = BTreeMap::new();
            let from = decl.address.to_string();
            let location = Location(Some(decl.location.clone()));
            for (key, value) in decl.resource.attributes() {
                resolver.visit(
                    value,
                    key,
                    &from,
                    &location,
                    &mut edges,
                    &mut errors,
                );
            }
            for target in &decl.meta.depends_on {
                match by_address.get(target) {
                    Some(&j) => edges
                        .entry(resource_nodes[j])
                        .or_insert_with(Vec::new)
                        .push(EdgeReason::DependsOn),
                    None => errors.push(CompileError::MissingReference {
                        from: from.clone(),
                        argument: "depends_on".into(),
                        target: target.to_string(),
                        missing: target.to_string(),
                        location: location.clone(),
                    }),
                }
            }
            add_edges(&mut graph, resource_nodes[i], edges);
        }
        for (i, output) in self.outputs.iter().enumerate() {
            let node = graph.add_node(Node::Output(i));
            let mut edges = BTreeMap::new();
            let from = format!("output {}", output.name);
            let location = Location(Some(output.location.clone()));
            resolver.visit(
                &output.value,
                "value",
                &from,
                &location,
                &mut edges,
                &mut errors,
            );
            add_edges(&mut graph, node, edges);
        }
        check_side_references(&self, &resolver, &mut errors);

        // Cycles last: they are only meaningful once every edge exists.
        if errors.is_empty() {
            errors.extend(find_cycles(&self.declarations, &graph));
        }
        if errors.is_empty() {
            let by_address = by_address
                .into_iter()
                .map(|(address, i)| (address.clone(), i))
                .collect();
            let mut compiled = CompiledEnv {
                env: self,
                graph,
                resource_nodes,
                by_address,
                sensitive: Vec::new(),
            };
            compiled.mark_sensitive();
            Ok(compiled)
        } else {
            Err(CompileErrors(errors))
        }
    }
}

fn add_edges(
    graph: &mut DiGraph<Node, Vec<EdgeReason>>,
    from: NodeIndex,
    edges: BTreeMap<NodeIndex, Vec<EdgeReason>>,
) {
    for (to, mut reasons) in edges {
        reasons.sort();
        reasons.dedup();
        graph.add_edge(from, to, reasons);
    }
}

struct Resolver<'a> {
    by_address: &'a HashMap<&'a Address, usize>,
    variables: &'a HashMap<&'a Name, &'a VariableDecl>,
    resource_nodes: &'a [NodeIndex],
}

impl Resolver<'_> {
    fn visit(
        &self,
        value: &Value,
        argument: &str,
        from: &str,
        location: &Location,
        edges: &mut BTreeMap<NodeIndex, Vec<EdgeReason>>,
        errors: &mut Vec<CompileError>,
    ) {
        let mut path = argument.to_owned();
        value.for_each_ref(&mut path, &mut |argument, target| match self
            .by_address
            .get(&target.address)
        {
            Some(&j) => edges.entry(self.resource_nodes[j]).or_default().push(
                EdgeReason::Reference {
                    argument: argument.to_owned(),
                    attr: target.attr.clone(),
                },
            ),
            None => errors.push(missing(from, argument, target, location)),
        });
        value.for_each_leaf(&mut |leaf| {
            if let Value::Variable(name) = leaf
                && !self.variables.contains_key(name)
            {
                errors.push(CompileError::MissingReference {
                    from: from.to_owned(),
                    argument: argument.to_owned(),
                    target: format!("var.{name}"),
                    missing: format!("variable {name}"),
                    location: location.clone(),
                });
            }
        });
    }
}

fn missing(
    from: &str,
    argument: &str,
    target: &AttrRef,
    location: &Location,
) -> CompileError {
    CompileError::MissingReference {
        from: from.to_owned(),
        argument: argument.to_owned(),
        target: target.to_string(),
        missing: target.address.to_string(),
        location: location.clone(),
    }
}

/// Names Terraform does not allow for input variables.
const RESERVED_VARIABLE_NAMES: [&str; 8] = [
    "count",
    "depends_on",
    "for_each",
    "lifecycle",
    "locals",
    "providers",
    "source",
    "version",
];

fn check_names(env: &Env, errors: &mut Vec<CompileError>) {
    let mut check = |what, name: &Name, location: Option<&SourceLocation>| {
        if let Err(reason) = name.check() {
            errors.push(CompileError::InvalidName {
                what,
                name: name.as_str().to_owned(),
                reason,
                location: Location(location.cloned()),
            });
        }
    };
    for decl in &env.declarations {
        let what = match decl.address.mode {
            Mode::Managed => "resource",
            Mode::Data => "data source",
        };
        check(what, &decl.address.name, Some(&decl.location));
        let kind = Name::new(decl.address.kind.as_str());
        check("resource type", &kind, Some(&decl.location));
    }
    for output in &env.outputs {
        check("output", &output.name, Some(&output.location));
    }
    for variable in &env.variables {
        check("variable", &variable.name, variable.location.as_ref());
    }
    for moved in &env.moved {
        for name in [&moved.from.name, &Name::new(moved.from.kind.as_str())] {
            check("moved-from", name, moved.location.as_ref());
        }
    }
    for provider in &env.providers {
        if let Some(alias) = &provider.alias {
            check("provider alias", alias, provider.location.as_ref());
        }
    }
    for variable in &env.variables {
        if RESERVED_VARIABLE_NAMES.contains(&variable.name.as_str()) {
            errors.push(CompileError::InvalidName {
                what: "variable",
                name: variable.name.to_string(),
                reason: "Terraform reserves this name".to_owned(),
                location: Location(variable.location.clone()),
            });
        }
    }

    let mut outputs = HashMap::new();
    for output in &env.outputs {
        if let Some(first) = outputs.insert(&output.name, &output.location) {
            errors.push(CompileError::Duplicate {
                what: "output",
                name: output.name.to_string(),
                first: Location(Some(first.clone())),
                second: Location(Some(output.location.clone())),
            });
        }
    }
    let mut variables = HashMap::new();
    for v in &env.variables {
        if let Some(first) = variables.insert(&v.name, &v.location) {
            errors.push(CompileError::Duplicate {
                what: "variable",
                name: v.name.to_string(),
                first: Location(first.clone()),
                second: Location(v.location.clone()),
            });
        }
    }
}

fn index_declarations<'a>(
    declarations: &'a [Declaration],
    errors: &mut Vec<CompileError>,
) -> HashMap<&'a Address, usize> {
    let mut by_address = HashMap::with_capacity(declarations.len());
    for (i, decl) in declarations.iter().enumerate() {
        if let Some(first) = by_address.insert(&decl.address, i) {
            errors.push(CompileError::Duplicate {
                what: "resource",
                name: decl.address.to_string(),
                first: Location(Some(declarations[first].location.clone())),
                second: Location(Some(decl.location.clone())),
            });
            by_address.insert(&decl.address, first);
        }
    }
    by_address
}

fn check_providers(env: &Env, errors: &mut Vec<CompileError>) {
    let mut configs: HashMap<ProviderRef, &ProviderConfig> = HashMap::new();
    for config in &env.providers {
        if let Some(first) = configs.insert(config.reference(), config) {
            let name = match &config.alias {
                Some(_) => format!("provider {}", config.reference()),
                None => format!(
                    "default provider {} (give one an alias)",
                    config.name
                ),
            };
            errors.push(CompileError::Duplicate {
                what: "configuration of",
                name,
                first: Location(first.location.clone()),
                second: Location(config.location.clone()),
            });
        }
    }
    for decl in &env.declarations {
        let Some(provider) = &decl.meta.provider else {
            continue;
        };
        let expected = decl.resource.provider_name();
        let reason = if provider.name != expected {
            format!(
                "a resource of type {} is managed by the {expected} \
                 provider",
                decl.address.kind
            )
        } else if provider.alias.is_some() && !configs.contains_key(provider) {
            "no such provider configuration is declared".to_owned()
        } else {
            continue;
        };
        errors.push(CompileError::Provider {
            address: decl.address.clone(),
            provider: provider.clone(),
            reason,
            location: Location(Some(decl.location.clone())),
        });
    }
}

fn check_side_references(
    env: &Env,
    resolver: &Resolver<'_>,
    errors: &mut Vec<CompileError>,
) {
    let mut ignored = BTreeMap::new();
    for ConfigurationDecl {
        target,
        configuration,
        location,
    } in &env.configurations
    {
        let from =
            format!("the {} configuration of {target}", configuration.system());
        let location = Location(Some(location.clone()));
        if !resolver.by_address.contains_key(target) {
            errors.push(CompileError::MissingReference {
                from: from.clone(),
                argument: "target".into(),
                target: target.to_string(),
                missing: target.to_string(),
                location: location.clone(),
            });
        }
        for (path, value) in configuration.values() {
            resolver.visit(
                value,
                &path,
                &from,
                &location,
                &mut ignored,
                errors,
            );
        }
    }
    for config in &env.providers {
        let from = format!("provider {}", config.reference());
        let location = Location(config.location.clone());
        for (key, value) in &config.settings {
            resolver.visit(value, key, &from, &location, &mut ignored, errors);
        }
    }
    let mut sources = BTreeMap::new();
    for moved in &env.moved {
        let location = Location(moved.location.clone());
        let refuse = |reason: String| CompileError::Moved {
            from: moved.from.clone(),
            to: moved.to.clone(),
            reason,
            location: location.clone(),
        };
        if moved.from.kind != moved.to.kind {
            errors.push(refuse(format!(
                "the types differ ({} and {}); a resource keeps its type \
                 when it is renamed",
                moved.from.kind, moved.to.kind
            )));
        }
        if moved.from.mode != moved.to.mode {
            errors.push(refuse(
                "a managed resource and a data source are different things"
                    .to_owned(),
            ));
        }
        if let Some(first) = sources.insert(&moved.from, &moved.location) {
            let first = first
                .as_ref()
                .map_or_else(|| "elsewhere".to_owned(), |l| format!("at {l}"));
            errors.push(refuse(format!(
                "{} is already moved {first}; one address can move to one \
                 place only",
                moved.from
            )));
        }
        // The middle of a chain of renames need not be declared.
        let chained = env.moved.iter().any(|other| other.from == moved.to);
        if !resolver.by_address.contains_key(&moved.to) && !chained {
            errors.push(CompileError::MissingReference {
                from: format!("moved from {}", moved.from),
                argument: "to".into(),
                target: moved.to.to_string(),
                missing: moved.to.to_string(),
                location: location.clone(),
            });
        }
        if resolver.by_address.contains_key(&moved.from) {
            errors.push(CompileError::Moved {
                from: moved.from.clone(),
                to: moved.to.clone(),
                reason: "the old address is still declared".to_owned(),
                location,
            });
        }
    }
}

fn check_removed_and_imports(
    env: &Env,
    declared: &dyn Fn(&Address) -> bool,
    errors: &mut Vec<CompileError>,
) {
    for removed in &env.removed {
        if declared(&removed.address) {
            errors.push(CompileError::Component {
                component: format!("removed {}", removed.address),
                problem: "the address is still declared; remove the \
                          declaration, or drop the `removed`"
                    .to_owned(),
                location: Location(Some(removed.location.clone())),
            });
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    for import in &env.imports {
        let problem = if import.to.mode != crate::address::Mode::Managed {
            Some("only managed resources can be imported".to_owned())
        } else if !declared(&import.to) {
            Some("the target is not declared".to_owned())
        } else if import.id.is_empty() {
            Some("the id is empty".to_owned())
        } else {
            seen.insert(&import.to, &import.location).map(|first| {
                format!("the target is already imported at {first}")
            })
        };
        if let Some(problem) = problem {
            errors.push(CompileError::Component {
                component: format!("import into {}", import.to),
                problem,
                location: Location(Some(import.location.clone())),
            });
        }
    }
}

/// How many nodes of one strongly connected group are tried as the start
/// of a shortest cycle. Each try is a breadth-first search over the group,
/// so this bounds the work on a pathological group of many thousands of
/// mutually dependent resources; the cycle reported is then the shortest
/// through the first nodes in address order, still deterministic.
const CYCLE_START_LIMIT: usize = 64;

fn find_cycles(
    declarations: &[Declaration],
    graph: &DiGraph<Node, Vec<EdgeReason>>,
) -> Vec<CompileError> {
    let address = |n: NodeIndex| match graph[n] {
        Node::Resource(i) => Some(&declarations[i].address),
        Node::Output(_) => None,
    };
    let mut groups: Vec<Vec<NodeIndex>> = tarjan_scc(graph)
        .into_iter()
        .filter(|group| {
            group.len() > 1 || graph.find_edge(group[0], group[0]).is_some()
        })
        .map(|mut group| {
            group.sort_by_key(|n| address(*n));
            group
        })
        .collect();
    groups.sort_by_key(|group| address(group[0]));

    let mut errors = Vec::new();
    for group in groups {
        let members: std::collections::HashSet<NodeIndex> =
            group.iter().copied().collect();
        let mut best: Option<Vec<NodeIndex>> = None;
        for &start in group.iter().take(CYCLE_START_LIMIT) {
            let cycle = shortest_cycle(graph, start, &members, &address);
            if let Some(cycle) = cycle
                && best.as_ref().is_none_or(|b| cycle.len() < b.len())
            {
                best = Some(cycle);
            }
        }
        let Some(cycle) = best else { continue };
        let steps = cycle
            .iter()
            .enumerate()
            .map(|(k, &from)| {
                let to = cycle[(k + 1) % cycle.len()];
                let edge = graph.find_edge(from, to).expect("edge in cycle");
                let Node::Resource(i) = graph[from] else {
                    unreachable!("outputs have no dependents")
                };
                CycleStep {
                    from: declarations[i].address.clone(),
                    location: declarations[i].location.clone(),
                    reason: graph[edge][0].clone(),
                    to: address(to).expect("resource").clone(),
                }
            })
            .collect();
        errors.push(CompileError::Cycle(steps));
    }
    errors
}

/// The shortest cycle through `start` within `members`, visiting
/// neighbours in address order so that ties break the same way every run.
fn shortest_cycle<'a>(
    graph: &DiGraph<Node, Vec<EdgeReason>>,
    start: NodeIndex,
    members: &std::collections::HashSet<NodeIndex>,
    address: &dyn Fn(NodeIndex) -> Option<&'a Address>,
) -> Option<Vec<NodeIndex>> {
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph
            .neighbors_directed(node, Direction::Outgoing)
            .filter(|n| members.contains(n))
            .collect();
        next.sort_by_key(|n| address(*n));
        next.dedup();
        for n in next {
            if n == start {
                let mut cycle = vec![node];
                let mut at = node;
                while at != start {
                    at = parent[&at];
                    cycle.push(at);
                }
                cycle.reverse();
                return Some(cycle);
            }
            if let std::collections::hash_map::Entry::Vacant(e) =
                parent.entry(n)
            {
                e.insert(node);
                queue.push_back(n);
            }
        }
    }
    None
}

impl CompiledEnv {
    /// Finds what is derived from a secret: the attributes of each
    /// declaration (to a fixed point, through references), then the
    /// outputs, which become sensitive when their value is.
    fn mark_sensitive(&mut self) {
        self.sensitive = vec![BTreeSet::new(); self.env.declarations.len()];
        loop {
            let mut changed = false;
            for i in 0..self.env.declarations.len() {
                let found: Vec<String> = self.env.declarations[i]
                    .resource
                    .attributes()
                    .iter()
                    .filter(|(name, value)| {
                        !self.sensitive[i].contains(*name)
                            && self.is_sensitive(value)
                    })
                    .map(|(name, _)| name.clone())
                    .collect();
                changed |= !found.is_empty();
                self.sensitive[i].extend(found);
            }
            if !changed {
                break;
            }
        }
        let sensitive: Vec<bool> = self
            .env
            .outputs
            .iter()
            .map(|o| o.sensitive || self.is_sensitive(&o.value))
            .collect();
        for (output, sensitive) in self.env.outputs.iter_mut().zip(sensitive) {
            output.sensitive = sensitive;
        }
    }

    /// Whether a value is, or derives from, a secret: it holds a
    /// [`SecretRef`](crate::SecretRef), a sensitive variable, a reference
    /// to a resource attribute that is itself sensitive, or a reference to
    /// a data source attribute whose name says it holds a secret (such as
    /// a secret store's `secret_string`).
    pub fn is_sensitive(&self, value: &Value) -> bool {
        let mut leaves = Vec::new();
        value.for_each_leaf(&mut |leaf| leaves.push(leaf));
        leaves.into_iter().any(|leaf| match leaf {
            Value::Secret(_) => true,
            Value::Variable(name) => self
                .env
                .variables
                .iter()
                .any(|v| v.sensitive && &v.name == name),
            Value::Ref(r) => {
                let top = r.attr.split(['.', '[']).next().unwrap_or(&r.attr);
                self.by_address.get(&r.address).is_some_and(|&i| {
                    self.sensitive.get(i).is_some_and(|s| s.contains(top))
                }) || (r.address.mode == Mode::Data
                    && crate::engine::diff::looks_secret(&r.attr))
            }
            _ => false,
        })
    }

    /// The attributes of the declaration at `address` whose values are,
    /// or derive from, a secret or a sensitive variable.
    pub fn sensitive_attributes(&self, address: &Address) -> Vec<String> {
        self.by_address
            .get(address)
            .and_then(|&i| self.sensitive.get(i))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The environment's name.
    pub fn name(&self) -> &str {
        &self.env.name
    }

    /// Every resource and data source, in declaration order.
    pub fn declarations(&self) -> &[Declaration] {
        &self.env.declarations
    }

    /// The declared outputs.
    pub fn outputs(&self) -> &[OutputDecl] {
        &self.env.outputs
    }

    /// The declared input variables.
    pub fn variables(&self) -> &[VariableDecl] {
        &self.env.variables
    }

    /// The declared provider configurations.
    pub fn providers(&self) -> &[ProviderConfig] {
        &self.env.providers
    }

    /// The configurations attached to machines.
    pub fn configurations(&self) -> &[ConfigurationDecl] {
        &self.env.configurations
    }

    /// The policy suppressions declared with [`Env::suppress`], in order.
    pub fn suppressions(&self) -> &[crate::policy::Suppression] {
        &self.env.suppressions
    }

    /// The declared renames.
    pub fn moved(&self) -> &[crate::env::Moved] {
        &self.env.moved
    }

    /// The resources to forget without destroying them.
    pub fn removed(&self) -> &[crate::env::Removed] {
        &self.env.removed
    }

    /// The existing objects to adopt.
    pub fn imports(&self) -> &[crate::env::Import] {
        &self.env.imports
    }

    /// The Terraform backend, if one is set.
    pub fn backend(&self) -> Option<&crate::env::Backend> {
        self.env.backend.as_ref()
    }

    /// The dependency graph: an edge runs from a node to what it depends
    /// on.
    pub fn graph(&self) -> &DiGraph<Node, Vec<EdgeReason>> {
        &self.graph
    }

    /// What the declaration at `index` depends on, each with its reasons,
    /// in address order.
    pub fn dependencies(&self, index: usize) -> Vec<(&Address, &[EdgeReason])> {
        let node = self.resource_nodes[index];
        let mut deps: Vec<_> = self
            .graph
            .edges_directed(node, Direction::Outgoing)
            .filter_map(|edge| {
                match self.graph[petgraph::visit::EdgeRef::target(&edge)] {
                    Node::Resource(j) => Some((
                        &self.env.declarations[j].address,
                        edge.weight().as_slice(),
                    )),
                    Node::Output(_) => None,
                }
            })
            .collect();
        deps.sort_by_key(|(address, _)| *address);
        deps
    }

    /// The indices of the declarations that the declaration at `index`
    /// depends on, each with its reasons, in no particular order.
    pub fn dependency_indices(
        &self,
        index: usize,
    ) -> impl Iterator<Item = (usize, &[EdgeReason])> {
        self.graph
            .edges_directed(self.resource_nodes[index], Direction::Outgoing)
            .filter_map(|edge| {
                match self.graph[petgraph::visit::EdgeRef::target(&edge)] {
                    Node::Resource(j) => Some((j, edge.weight().as_slice())),
                    Node::Output(_) => None,
                }
            })
    }

    /// The declarations' indices in address order, which every synthesized
    /// file and plan follows.
    pub fn sorted_indices(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.env.declarations.len()).collect();
        order.sort_by(|a, b| {
            self.env.declarations[*a]
                .address
                .cmp(&self.env.declarations[*b].address)
        });
        order
    }

    /// The environment as declared.
    pub fn env(&self) -> &Env {
        &self.env
    }
}
