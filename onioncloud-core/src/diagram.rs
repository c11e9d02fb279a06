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

/// The graph as a Mermaid flowchart. Node ids are positions in address
/// order (`n0`, `n1`, ...), since addresses that differ only in `-` and
/// `_` must not merge.
pub fn mermaid(env: &CompiledEnv) -> String {
    let nodes = nodes(env);
    let ids: std::collections::HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut out = String::from("flowchart LR\n");
    for (i, node) in nodes.iter().enumerate() {
        let _ = writeln!(out, "  n{i}[\"{node}\"]");
    }
    for (from, to, reason) in edges(env) {
        let reason = reason.replace('"', "'").replace('|', "/");
        let _ = writeln!(
            out,
            "  n{} -->|\"{reason}\"| n{}",
            ids[from.as_str()],
            ids[to.as_str()]
        );
    }
    out
}
