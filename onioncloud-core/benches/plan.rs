//! Planning 100,000 generic resources against a state that matches them:
//! every plan is all no-ops, and every resource refers to two others, so
//! each reference is looked up in what is already planned.
//!
//! Measured: `plan()` alone, reading and parsing the state file alone, and
//! both together (what `onioncloud plan` does before it prints). Run with
//! `cargo bench -p onioncloud-core --bench plan`.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use onioncloud_core::engine::diff::{PlanOptions, plan};
use onioncloud_core::engine::plan::Action;
use onioncloud_core::engine::provider::{
    Created, Normalize, Provider, ProviderError, Providers, TypeHints,
};
use onioncloud_core::engine::state::{Attrs, ResourceState, StateDoc};
use onioncloud_core::{
    Address, AttrRef, CompiledEnv, Env, GenericResource, Value,
};
use serde_json::{Value as Json, json};

const RESOURCES: usize = 100_000;

/// Serves type hints only: planning calls nothing else.
struct HintsOnly;

#[async_trait]
impl Provider for HintsOnly {
    fn hints(&self, _: &str) -> TypeHints {
        TypeHints::new()
            .normalize("name", Normalize::CaseInsensitive)
            .normalize("cidr", Normalize::Cidr)
            .force_new(["cidr"])
            .computed(["arn"])
    }

    async fn read(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<Attrs>, ProviderError> {
        Err(ProviderError::fatal("not used by planning"))
    }

    async fn read_data(
        &self,
        _: &str,
        _: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        Err(ProviderError::fatal("not used by planning"))
    }

    async fn create(
        &self,
        _: &str,
        _: &Attrs,
        _: &str,
    ) -> Result<Created, ProviderError> {
        Err(ProviderError::fatal("not used by planning"))
    }

    async fn update(
        &self,
        _: &str,
        _: &str,
        _: &Attrs,
        _: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        Err(ProviderError::fatal("not used by planning"))
    }

    async fn delete(&self, _: &str, _: &str) -> Result<(), ProviderError> {
        Err(ProviderError::fatal("not used by planning"))
    }

    async fn find_by_token(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<Created>, ProviderError> {
        Err(ProviderError::fatal("not used by planning"))
    }
}

fn address(i: usize) -> Address {
    Address::managed("bench_item", format!("r{i}"))
}

fn reference(i: usize, attr: &str) -> Value {
    Value::Ref(AttrRef {
        address: address(i),
        attr: attr.to_owned(),
    })
}

/// The environment, and the state an apply of it leaves.
fn fixture() -> (CompiledEnv, StateDoc) {
    let mut env = Env::new("bench");
    let mut state = StateDoc::new("bench-lineage");
    state.serial = 1;
    for i in 0..RESOURCES {
        let name = format!("item-{i}");
        let cidr = format!("10.{}.{}.0/24", (i >> 8) & 0xff, i & 0xff);
        let mut resource = GenericResource::new("bench_item")
            .set("name", name.as_str())
            .set("size", (i % 7) as i64)
            .set("cidr", cidr.as_str())
            .set("tags", Value::from(json!({"team": "core", "tier": i % 3})));
        let mut attrs: BTreeMap<String, Json> = BTreeMap::from([
            ("name".to_owned(), json!(name)),
            ("size".to_owned(), json!(i % 7)),
            ("cidr".to_owned(), json!(cidr)),
            ("tags".to_owned(), json!({"team": "core", "tier": i % 3})),
            ("arn".to_owned(), json!(format!("arn:bench:{i}"))),
        ]);
        if i > 0 {
            resource = resource
                .set("previous", reference(i - 1, "id"))
                .set("group", reference(i / 2, "name"));
            attrs.insert("previous".into(), json!(format!("id-{}", i - 1)));
            attrs.insert("group".into(), json!(format!("item-{}", i / 2)));
        }
        env.add(format!("r{i}"), resource);
        state.resources.insert(
            address(i).to_string(),
            ResourceState {
                kind: "bench_item".into(),
                provider: "bench".into(),
                id: format!("id-{i}"),
                attributes: attrs,
                dependencies: if i > 0 {
                    vec![address(i - 1).to_string(), address(i / 2).to_string()]
                } else {
                    Vec::new()
                },
                create_before_destroy: false,
                sensitive_attributes: Vec::new(),
            },
        );
    }
    (
        env.compile().expect("the benchmark environment compiles"),
        state,
    )
}

fn no_op_plan(c: &mut Criterion) {
    let (env, state) = fixture();
    let mut providers = Providers::new();
    providers.insert("bench", Arc::new(HintsOnly));
    let options = PlanOptions::default();
    let path = std::env::temp_dir()
        .join(format!("onioncloud-plan-bench-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();

    let check = |state: &StateDoc| {
        let plan = plan(&env, state, "hash", Vec::new(), &providers, &options)
            .expect("the plan succeeds");
        assert!(plan.changes.iter().all(|c| c.action == Action::NoOp));
        plan
    };
    check(&state);

    let mut group = c.benchmark_group("plan_100k");
    group.sample_size(10);
    group.bench_function("plan", |b| b.iter(|| check(&state)));
    group.bench_function("read_state", |b| {
        b.iter(|| {
            let text = std::fs::read(&path).unwrap();
            serde_json::from_slice::<StateDoc>(&text).unwrap()
        })
    });
    group.bench_function("read_state_and_plan", |b| {
        b.iter(|| {
            let text = std::fs::read(&path).unwrap();
            let state: StateDoc = serde_json::from_slice(&text).unwrap();
            check(&state)
        })
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, no_op_plan);
criterion_main!(benches);
