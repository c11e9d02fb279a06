//! Property: any acyclic environment compiles, and the dependencies read
//! back from its Terraform JSON (references and `depends_on`) are exactly
//! the graph's edges.

use std::collections::{BTreeMap, BTreeSet};

use onioncloud_core::{Env, GenericResource, Meta, Output, terraform};
use proptest::prelude::*;
use serde_json::Value as Json;

/// For each resource, which earlier ones it references and which it names
/// in `depends_on`.
fn environments() -> impl Strategy<Value = Vec<(Vec<usize>, Vec<usize>)>> {
    (1usize..40).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                let earlier = proptest::collection::vec(0..i.max(1), 0..4);
                (earlier.clone(), earlier).prop_map(move |(r, d)| {
                    if i == 0 { (vec![], vec![]) } else { (r, d) }
                })
            })
            .collect::<Vec<_>>()
    })
}

fn name(i: usize) -> String {
    format!("r{i}")
}

/// Every `type.name` that a `${...}` template in the JSON refers to.
fn referenced(json: &Json, out: &mut BTreeSet<String>) {
    match json {
        Json::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                let inner = &rest[start + 2..];
                let end = inner.find('}').expect("closed template");
                let parts: Vec<&str> = inner[..end].split('.').collect();
                out.insert(format!("{}.{}", parts[0], parts[1]));
                rest = &inner[end..];
            }
        }
        Json::Array(items) => items.iter().for_each(|i| referenced(i, out)),
        Json::Object(map) => map
            .iter()
            .filter(|(k, _)| k.as_str() != "depends_on")
            .for_each(|(_, v)| referenced(v, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn synthesized_dependencies_equal_graph_edges(spec in environments()) {
        let mut env = Env::new("prop");
        let mut handles = Vec::new();
        for (i, (refs, deps)) in spec.iter().enumerate() {
            let mut resource = GenericResource::new("null_resource")
                .set("index", i as i64);
            for (k, &j) in refs.iter().enumerate() {
                let target: &onioncloud_core::Handle<GenericResource> =
                    &handles[j];
                let id: Output<String> = target.id();
                resource = resource.input(&format!("ref{k}"), id);
            }
            let mut meta = Meta::new();
            for &j in deps {
                meta = meta.depends_on(&handles[j]);
            }
            handles.push(env.add_with(name(i), resource, meta));
        }

        let compiled = env.compile().expect("acyclic environments compile");
        let files = terraform::synth(&compiled).expect("synthesizes");
        let json: Json =
            serde_json::from_str(&files["null/main.tf.json"]).unwrap();

        let mut from_json = BTreeMap::new();
        for (label, body) in json["resource"]["null_resource"]
            .as_object()
            .unwrap()
        {
            let mut deps = BTreeSet::new();
            referenced(body, &mut deps);
            if let Some(list) = body["depends_on"].as_array() {
                deps.extend(
                    list.iter().map(|d| d.as_str().unwrap().to_owned()),
                );
            }
            from_json.insert(format!("null_resource.{label}"), deps);
        }
        let mut from_graph = BTreeMap::new();
        for (i, decl) in compiled.declarations().iter().enumerate() {
            let deps: BTreeSet<String> = compiled
                .dependencies(i)
                .into_iter()
                .map(|(a, _)| a.to_string())
                .collect();
            from_graph.insert(decl.address.to_string(), deps);
        }
        let mut from_spec = BTreeMap::new();
        for (i, (refs, deps)) in spec.iter().enumerate() {
            let all: BTreeSet<String> = refs
                .iter()
                .chain(deps)
                .map(|j| format!("null_resource.{}", name(*j)))
                .collect();
            from_spec.insert(format!("null_resource.{}", name(i)), all);
        }
        prop_assert_eq!(&from_json, &from_graph);
        prop_assert_eq!(&from_graph, &from_spec);
    }
}
