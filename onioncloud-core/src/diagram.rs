//! The dependency graph as Graphviz DOT or Mermaid text, for reviews and
//! documentation. Both list nodes and edges in address order, so the text
//! is stable.

use std::fmt::Write as _;

use petgraph::visit::EdgeRef;

use crate::compile::{CompiledEnv, Node};

fn node_label(env: &CompiledEnv, node: Node) -> String {
    match node {
        Node::Resource(i) => env.declarations()[i].address.to_string(),
        Node::Output(i) => format!("output.{}", env.outputs()[i].name),
    }
}

/// Every edge as (dependent, dependency, reasons), sorted.
fn edges(env: &CompiledEnv) -> Vec<(String, String, String)> {
    let graph = env.graph();
    let mut edges: Vec<_> = graph
        .edge_references()
        .map(|e| {
            let reasons: Vec<String> =
                e.weight().iter().map(|r| r.to_string()).collect();
            (
                node_label(env, graph[e.source()]),
                node_label(env, graph[e.target()]),
                reasons.join(", "),
            )
        })
        .collect();
    edges.sort();
    edges
}

fn nodes(env: &CompiledEnv) -> Vec<String> {
    let graph = env.graph();
    let mut nodes: Vec<String> = graph
        .node_indices()
        .map(|n| node_label(env, graph[n]))
        .collect();
    nodes.sort();
    nodes
}

/// The graph in Graphviz DOT; an edge points from a resource to what it
/// depends on and is labelled with the reason.
pub fn dot(env: &CompiledEnv) -> String {
    let mut out = String::from("digraph onioncloud {\n  rankdir = \"LR\";\n");
    for node in nodes(env) {
        let shape = if node.starts_with("output.") {
            "note"
        } else if node.starts_with("data.") {
            "ellipse"
        } else {
            "box"
        };
        let _ = writeln!(out, "  {node:?} [shape = {shape}];");
    }
    for (from, to, reason) in edges(env) {
        let _ = writeln!(out, "  {from:?} -> {to:?} [label = {reason:?}];");
    }
    out.push_str("}\n");
    out
}

/// The graph as a Mermaid flowchart.
pub fn mermaid(env: &CompiledEnv) -> String {
    let id = |label: &str| {
        label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
    };
    let mut out = String::from("flowchart LR\n");
    for node in nodes(env) {
        let _ = writeln!(out, "  {}[\"{node}\"]", id(&node));
    }
    for (from, to, reason) in edges(env) {
        let reason = reason.replace('"', "'").replace('|', "/");
        let _ = writeln!(out, "  {} -->|\"{reason}\"| {}", id(&from), id(&to));
    }
    out
}
