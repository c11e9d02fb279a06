//! The executor's scheduler.
//!
//! 1. Efficiency, in virtual time: random DAGs (seeded) of 100, 1,000 and
//!    10,000 creates taking 10 to 100 ms each, at parallelism 10, 25 (where
//!    the two bounds are close for 1,000 ops) and unlimited, on tokio's paused clock so that the makespan is exact.
//!    Printed as ρ = makespan / max(critical path, total work /
//!    parallelism), the critical path computed with the real latencies;
//!    1 is optimal.
//! 2. Overhead, in wall time (criterion): a 1,000-operation plan against
//!    a provider that answers at once and an in-memory store; the time per
//!    operation is printed too.
//!
//! Run with `cargo bench -p onioncloud-core --bench scheduler`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use criterion::{BatchSize, Criterion};
use onioncloud_core::address::Address;
use onioncloud_core::engine::exec::{
    Event, ExecOptions, RetryPolicy, Shutdown, execute,
};
use onioncloud_core::engine::plan::{Action, Change, PLAN_FORMAT, Plan};
use onioncloud_core::engine::provider::{
    Created, Provider, ProviderError, Providers, TypeHints,
};
use onioncloud_core::engine::state::{Attrs, JournalEntry, StateDoc};
use onioncloud_core::engine::store::{LockInfo, StateStore, StoreError};
use onioncloud_core::value::{AttrRef, Value};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value as Json, json};

const TYPE: &str = "bench_thing";

/// Creates objects after the latency their configuration names.
#[derive(Default)]
struct LatencyProvider {
    next: AtomicU64,
}

#[async_trait]
impl Provider for LatencyProvider {
    fn hints(&self, _: &str) -> TypeHints {
        TypeHints::new()
    }

    async fn read(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<Attrs>, ProviderError> {
        Ok(None)
    }

    async fn read_data(
        &self,
        _: &str,
        config: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        Ok(config.clone())
    }

    async fn create(
        &self,
        _: &str,
        config: &Attrs,
        _: &str,
    ) -> Result<Created, ProviderError> {
        let ms = config.get("latency_ms").and_then(Json::as_u64).unwrap_or(0);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let id = format!("obj-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let mut attributes = config.clone();
        attributes.insert("id".into(), json!(id));
        Ok(Created { id, attributes })
    }

    async fn update(
        &self,
        _: &str,
        _: &str,
        _: &Attrs,
        config: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        Ok(config.clone())
    }

    async fn delete(&self, _: &str, _: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn find_by_token(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<Created>, ProviderError> {
        Ok(None)
    }
}

/// Keeps the journal in memory.
#[derive(Default)]
struct MemStore {
    journal: Mutex<Vec<JournalEntry>>,
}

#[async_trait]
impl StateStore for MemStore {
    fn describe(&self) -> String {
        "memory".into()
    }
    async fn lock(&self, _: &LockInfo) -> Result<(), StoreError> {
        Ok(())
    }
    async fn unlock(&self, _: &LockInfo) -> Result<(), StoreError> {
        Ok(())
    }
    async fn force_unlock(&self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StoreError> {
        Ok(None)
    }
    async fn read(&self) -> Result<Option<StateDoc>, StoreError> {
        Ok(None)
    }
    async fn append(&self, entries: &[JournalEntry]) -> Result<(), StoreError> {
        self.journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(entries);
        Ok(())
    }
    async fn write(&self, _: &StateDoc) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A random DAG of `n` creates: each depends on up to three of the
/// `n / 10` (at least 10) operations before it, and takes 10 to 100 ms
/// (0 with `zero_latency`). Returns the plan and the critical path and
/// total work in milliseconds.
fn random_plan(n: usize, seed: u64, zero_latency: bool) -> (Plan, u64, u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let window = (n / 10).max(10);
    let mut finish = vec![0u64; n];
    let mut work = 0;
    let mut changes = Vec::with_capacity(n);
    for i in 0..n {
        let latency = if zero_latency {
            0
        } else {
            rng.random_range(10..=100u64)
        };
        let mut deps: Vec<usize> = Vec::new();
        if i > 0 {
            let low = i.saturating_sub(window);
            for _ in 0..rng.random_range(0..=3) {
                let d = rng.random_range(low..i);
                if !deps.contains(&d) {
                    deps.push(d);
                }
            }
        }
        deps.sort_unstable();
        let start = deps.iter().map(|&d| finish[d]).max().unwrap_or(0);
        finish[i] = start + latency;
        work += latency;
        let name = format!("r{i}");
        let mut config = BTreeMap::new();
        config.insert("name".into(), Value::string(&name));
        config.insert("latency_ms".into(), Value::Number(latency.into()));
        config.insert(
            "after".into(),
            Value::List(
                deps.iter()
                    .map(|d| {
                        Value::Ref(AttrRef {
                            address: Address::managed(TYPE, format!("r{d}")),
                            attr: "id".into(),
                        })
                    })
                    .collect(),
            ),
        );
        changes.push(Change {
            address: format!("{TYPE}.{name}"),
            resource_type: TYPE.into(),
            provider: "bench".into(),
            action: Action::Create,
            reasons: Vec::new(),
            id: None,
            moved_from: None,
            attributes: BTreeMap::new(),
            config,
            depends_on: deps.iter().map(|d| format!("{TYPE}.r{d}")).collect(),
            token: Some(format!("token-{i}")),
            create_before_destroy: false,
            sensitive_attributes: Vec::new(),
        });
    }
    let critical = finish.iter().copied().max().unwrap_or(0);
    let plan = Plan {
        format: PLAN_FORMAT,
        environment: "bench".into(),
        lineage: None,
        serial: 0,
        state_hash: String::new(),
        destroy: false,
        reconcile: Vec::new(),
        refreshed: Vec::new(),
        variables: BTreeMap::new(),
        sensitive_variables: Vec::new(),
        sensitive_values: BTreeMap::new(),
        changes,
    };
    (plan, critical, work)
}

fn providers() -> Providers {
    let mut providers = Providers::new();
    providers.insert("bench", std::sync::Arc::new(LatencyProvider::default()));
    providers
}

fn options(parallelism: usize) -> ExecOptions {
    ExecOptions {
        parallelism,
        fail_fast: false,
        op_timeout: Duration::ZERO,
        retry: RetryPolicy::none(),
    }
}

async fn apply(plan: &Plan, providers: &Providers, options: &ExecOptions) {
    let store = MemStore::default();
    let summary = execute(
        plan,
        StateDoc::new("bench"),
        &store,
        providers,
        options,
        &|_: &Event| {},
        &Shutdown::new(),
    )
    .await;
    match summary {
        Ok(summary) if summary.is_complete() => {}
        Ok(summary) => {
            panic!("the benchmark plan failed: {:?}", summary.failed)
        }
        Err(error) => panic!("the benchmark plan failed: {error}"),
    }
}

/// Prints ρ for every size and parallelism.
fn efficiency() {
    let providers = providers();
    eprintln!("scheduler efficiency, virtual time (ρ = 1 is optimal):");
    for n in [100, 1_000, 10_000] {
        let (plan, critical, work) = random_plan(n, 42, false);
        for parallelism in [10, 25, 0] {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("a tokio runtime");
            let options = options(parallelism);
            let wall = std::time::Instant::now();
            let makespan = runtime.block_on(async {
                let start = tokio::time::Instant::now();
                apply(&plan, &providers, &options).await;
                start.elapsed()
            });
            let bound = if parallelism == 0 {
                critical
            } else {
                critical.max(work.div_ceil(parallelism as u64))
            };
            let makespan_ms = makespan.as_secs_f64() * 1000.0;
            eprintln!(
                "  {n:>6} ops, parallelism {:>9}: makespan {makespan_ms:>9.0} \
                 ms, critical path {critical:>6} ms, work/parallelism \
                 {:>8} ms, ρ = {:.4} (computed in {:.2?})",
                if parallelism == 0 {
                    "unlimited".to_owned()
                } else {
                    parallelism.to_string()
                },
                if parallelism == 0 {
                    "-".to_owned()
                } else {
                    work.div_ceil(parallelism as u64).to_string()
                },
                makespan_ms / bound as f64,
                wall.elapsed(),
            );
        }
    }
}

/// Criterion: the engine's own time per operation.
fn overhead(c: &mut Criterion, benching: bool) {
    let providers = providers();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let (dag, _, _) = random_plan(1_000, 7, true);
    let options = options(10);
    let mut group = c.benchmark_group("exec overhead");
    group.sample_size(20);
    group.bench_function(
        "1000-op random DAG, zero latency, parallelism 10",
        |b| {
            b.iter_batched(
                || (),
                |()| runtime.block_on(apply(&dag, &providers, &options)),
                BatchSize::PerIteration,
            )
        },
    );
    group.finish();
    if !benching {
        return;
    }
    let runs = 20;
    let start = std::time::Instant::now();
    for _ in 0..runs {
        runtime.block_on(apply(&dag, &providers, &options));
    }
    let per_op = start.elapsed() / (runs * 1_000);
    eprintln!("engine overhead: {per_op:.2?} per operation (1,000-op plan)");
}

/// Prints the time per operation of applies that journal to a real local
/// store, at several sizes: constant if the journal's cost grows linearly
/// with the number of changes.
fn journal_cost() {
    let providers = providers();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    eprintln!("apply with the local store (two synced appends per op):");
    for n in [250, 500, 1_000, 2_000] {
        let (plan, _, _) = random_plan(n, 11, true);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = onioncloud_core::engine::store::local::LocalStore::new(
            dir.path().join("state"),
        );
        let start = std::time::Instant::now();
        runtime.block_on(async {
            let state = StateDoc::new("bench");
            store.write(&state).await.expect("the first snapshot");
            let summary = execute(
                &plan,
                state,
                &store,
                &providers,
                &options(10),
                &|_: &Event| {},
                &Shutdown::new(),
            )
            .await
            .expect("the apply runs");
            assert!(summary.is_complete(), "{:?}", summary.failed);
            let mut state = summary.state;
            state.serial += 1;
            store.write(&state).await.expect("the compaction");
        });
        let elapsed = start.elapsed();
        eprintln!(
            "  {n:>5} ops: {elapsed:>10.2?} in all, {:>8.2?} per operation",
            elapsed / n as u32
        );
    }
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    if benching {
        efficiency();
        journal_cost();
    }
    let mut criterion = Criterion::default().configure_from_args();
    overhead(&mut criterion, benching);
    criterion.final_summary();
}
