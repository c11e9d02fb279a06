//! The lifecycle property test: a random prior state, made by really
//! applying a random environment A to a fresh simulated cloud and a local
//! state store, then a random desired environment B (additions, removals,
//! in-place changes, changes that force replacement, some
//! `create_before_destroy`, random dependencies), random provider faults,
//! and a random operation (apply B, destroy, refresh, apply interrupted
//! after some events, apply then refresh).
//!
//! After the operation, whatever happened:
//!
//! - the state reads back, of the same lineage, at a serial no lower;
//! - every live object is accounted for: in the state by id (deposed keys
//!   included), or named by a pending create whose token finds it; and
//!   after a follow-up reconcile every live object is in the state;
//! - with the faults gone, at most two applies of B converge: nothing
//!   pending, an empty plan, and exactly one live object per managed
//!   resource of B (no duplicates, no orphans).
//!
//! Two engine bugs it found, since fixed, are kept as regression tests at
//! the end.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use onioncloud::core::engine::diff::{PlanOptions, PlanSummary};
use onioncloud::core::engine::exec::{
    Event, ExecOptions, RetryPolicy, Shutdown,
};
use onioncloud::core::engine::provider::Providers;
use onioncloud::core::engine::session::{NoEvents, Session};
use onioncloud::core::engine::sim::{
    FaultKind, FaultRule, Operation, SimCloud, SimConfig,
};
use onioncloud::core::engine::state::{PendingKind, StateDoc};
use onioncloud::core::engine::store::StateStore as _;
use onioncloud::core::engine::store::local::LocalStore;
use onioncloud::core::{CompiledEnv, Env, GenericResource, Meta, Output};
use proptest::prelude::*;

/// The most resources an environment declares.
const SLOTS: usize = 15;

/// The provider configurations of the types below.
const CONFIGS: [&str; 2] = ["aws", "simx"];

/// One declared resource. Its address is `<type>.n<slot>`.
#[derive(Clone, Debug)]
struct Node {
    /// 0: `simx_node` (no attribute forces replacement); 1: `aws_vpc`
    /// (`cidr_block` does); 2: `aws_s3_bucket_policy` (`bucket`, set to
    /// its first parent's id when it has one, does).
    kind: usize,
    /// Changed in place.
    size: i64,
    /// Forces replacement when it changes (but for `simx_node`).
    force: u8,
    /// Earlier declared resources it refers to, picked among those
    /// present.
    parents: Vec<usize>,
    create_before_destroy: bool,
    ignore_size: bool,
}

fn node() -> impl Strategy<Value = Node> {
    (
        0..3usize,
        0..3i64,
        0..3u8,
        prop::collection::vec(any::<usize>(), 0..3),
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(kind, size, force, parents, create_before_destroy, ignore)| {
                Node {
                    kind,
                    size,
                    force,
                    parents,
                    create_before_destroy,
                    ignore_size: ignore,
                }
            },
        )
}

/// How B's slot differs from A's.
#[derive(Clone, Debug)]
enum Mutation {
    Keep,
    Remove,
    /// A new resource where there was none; the same as `Keep` otherwise.
    Add(Node),
    Resize(i64),
    /// Changes the attribute that forces replacement.
    Force(u8),
    ToggleCreateBeforeDestroy,
    Reparent(Vec<usize>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => Just(Mutation::Keep),
        2 => Just(Mutation::Remove),
        2 => node().prop_map(Mutation::Add),
        2 => (0..3i64).prop_map(Mutation::Resize),
        3 => (0..3u8).prop_map(Mutation::Force),
        1 => Just(Mutation::ToggleCreateBeforeDestroy),
        1 => prop::collection::vec(any::<usize>(), 0..3)
            .prop_map(Mutation::Reparent),
    ]
}

type Spec = Vec<Option<Node>>;

fn mutate(a: &Spec, mutations: &[Mutation]) -> Spec {
    a.iter()
        .zip(mutations)
        .map(|(slot, m)| match (slot.clone(), m) {
            (None, Mutation::Add(n)) => Some(n.clone()),
            (None, _) => None,
            (Some(_), Mutation::Remove) => None,
            (Some(mut n), Mutation::Resize(s)) => {
                n.size = *s;
                Some(n)
            }
            (Some(mut n), Mutation::Force(f)) => {
                n.force = *f;
                Some(n)
            }
            (Some(mut n), Mutation::ToggleCreateBeforeDestroy) => {
                n.create_before_destroy = !n.create_before_destroy;
                Some(n)
            }
            (Some(mut n), Mutation::Reparent(p)) => {
                n.parents = p.clone();
                Some(n)
            }
            (Some(n), _) => Some(n),
        })
        .collect()
}

const TYPES: [&str; 3] = ["simx_node", "aws_vpc", "aws_s3_bucket_policy"];

/// The parents of each slot, resolved among the earlier present slots.
fn parents_of(spec: &Spec) -> Vec<Vec<usize>> {
    let mut out = Vec::with_capacity(spec.len());
    for (i, slot) in spec.iter().enumerate() {
        let earlier: Vec<usize> =
            (0..i).filter(|j| spec[*j].is_some()).collect();
        let mut parents: Vec<usize> = match slot {
            Some(n) if !earlier.is_empty() => n
                .parents
                .iter()
                .map(|choice| earlier[choice % earlier.len()])
                .collect(),
            _ => Vec::new(),
        };
        parents.sort_unstable();
        parents.dedup();
        out.push(parents);
    }
    out
}

/// Builds the environment of `spec`. `create_before_destroy` is set only
/// where the spec says: the planner extends it to the replaced resources
/// it depends on, in the environment and in the state.
fn compile(spec: &Spec) -> CompiledEnv {
    let parents = parents_of(spec);
    let cbd: Vec<bool> = spec
        .iter()
        .map(|s| s.as_ref().is_some_and(|n| n.create_before_destroy))
        .collect();
    let mut env = Env::new("lifecycle");
    let mut ids: Vec<Option<Output<String>>> = vec![None; spec.len()];
    for (i, slot) in spec.iter().enumerate() {
        let Some(n) = slot else { continue };
        let mut r = GenericResource::new(TYPES[n.kind]).set("size", n.size);
        match n.kind {
            0 => r = r.set("force", i64::from(n.force)),
            1 => r = r.set("cidr_block", format!("10.{}.0.0/16", n.force)),
            _ => {
                r = match parents[i].first() {
                    Some(p) => r.input::<String>(
                        "bucket",
                        ids[*p].clone().expect("a parent is declared first"),
                    ),
                    None => r.set("bucket", format!("bucket-{}", n.force)),
                };
                r = r.set("policy", format!("p{}", n.force));
            }
        }
        for (k, p) in parents[i].iter().enumerate() {
            let id = ids[*p].clone().expect("a parent is declared first");
            r = r.input::<String>(&format!("parent_{k}"), id);
        }
        let mut meta = Meta::new();
        if cbd[i] {
            meta = meta.create_before_destroy();
        }
        if n.ignore_size {
            meta = meta.ignore_changes("size");
        }
        let handle = env.add_with(format!("n{i:02}"), r, meta);
        ids[i] = Some(handle.id());
    }
    env.compile().expect("the environment compiles")
}

fn managed_count(spec: &Spec) -> usize {
    spec.iter().flatten().count()
}

fn fault_kind() -> impl Strategy<Value = FaultKind> {
    prop_oneof![
        Just(FaultKind::Fail),
        Just(FaultKind::FailAfterSuccess),
        (1..3u64).prop_map(|times| FaultKind::Throttle {
            times,
            retry_after_ms: 1
        }),
        (1..4u64).prop_map(|times| FaultKind::Transient { times }),
        (1..3u64).prop_map(|reads| FaultKind::EventualConsistency { reads }),
    ]
}

fn fault() -> impl Strategy<Value = FaultRule> {
    (
        fault_kind(),
        prop_oneof![Just(None), Just(Some("aws_*")), Just(Some("simx_*"))],
        prop_oneof![
            Just(None),
            Just(Some(Operation::Create)),
            Just(Some(Operation::Update)),
            Just(Some(Operation::Delete)),
            Just(Some(Operation::Read)),
            Just(Some(Operation::FindByToken)),
        ],
        prop_oneof![Just(1.0), Just(0.5)],
        1..4u64,
    )
        .prop_map(|(kind, ty, op, p, limit)| {
            let eventual =
                matches!(kind, FaultKind::EventualConsistency { .. });
            let mut rule = FaultRule::new(kind).probability(p).limit(limit);
            if let Some(ty) = ty {
                rule = rule.resource_type(ty);
            }
            // Eventual consistency is triggered by creates only.
            if let Some(op) = op.filter(|_| !eventual) {
                rule = rule.operation(op);
            }
            rule
        })
}

/// What is done to the prior state under faults.
#[derive(Clone, Debug)]
enum Op {
    Apply,
    Destroy,
    Refresh,
    /// Apply B, asking to shut down after this many events.
    Interrupt(usize),
    /// Apply B, then refresh through the same (faulty) cloud.
    ApplyThenRefresh,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Apply),
        1 => Just(Op::Destroy),
        1 => Just(Op::Refresh),
        2 => (0..12usize).prop_map(Op::Interrupt),
        1 => Just(Op::ApplyThenRefresh),
    ]
}

#[derive(Clone, Debug)]
struct Case {
    a: Spec,
    b: Spec,
    faults: Vec<FaultRule>,
    seed: u64,
    op: Op,
    parallelism: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(prop::option::weighted(0.6, node()), SLOTS),
        prop::collection::vec(mutation(), SLOTS),
        prop::collection::vec(fault(), 0..4),
        any::<u64>(),
        op(),
        1..5usize,
    )
        .prop_map(|(a, mutations, faults, seed, op, parallelism)| {
            // A's slots keep their type in B.
            let mut b = mutate(&a, &mutations);
            for (slot, prior) in b.iter_mut().zip(&a) {
                if let (Some(n), Some(p)) = (slot.as_mut(), prior) {
                    n.kind = p.kind;
                }
            }
            Case {
                a,
                b,
                faults,
                seed,
                op,
                parallelism,
            }
        })
}

fn providers(cloud: &Arc<SimCloud>) -> Providers {
    let mut providers = Providers::new();
    for config in CONFIGS {
        providers.insert(config, cloud.provider(config));
    }
    providers
}

fn exec_options(parallelism: usize) -> ExecOptions {
    ExecOptions {
        parallelism,
        retry: RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
        },
        ..ExecOptions::default()
    }
}

/// Plans `env` (or its destruction) and applies the plan.
async fn apply(
    store: &LocalStore,
    providers: &Providers,
    env: &CompiledEnv,
    destroy: bool,
    options: &ExecOptions,
    observer: &dyn onioncloud::core::engine::exec::Observer,
    shutdown: &Shutdown,
) -> Result<bool, String> {
    let session = Session::open(store, providers, "apply")
        .await
        .map_err(|e| format!("lock: {e}"))?;
    let result = async {
        let plan_options = PlanOptions {
            destroy,
            ..PlanOptions::default()
        };
        let plan = session
            .plan(env, &plan_options, true)
            .await
            .map_err(|e| format!("plan: {e}"))?;
        let summary = session
            .apply(&plan, options, observer, shutdown)
            .await
            .map_err(|e| format!("apply: {e}"))?;
        Ok(summary.is_complete())
    }
    .await;
    session.close().await.map_err(|e| format!("unlock: {e}"))?;
    result
}

async fn refresh(
    store: &LocalStore,
    providers: &Providers,
) -> Result<(), String> {
    let session = Session::open(store, providers, "refresh")
        .await
        .map_err(|e| format!("lock: {e}"))?;
    let result = session
        .refresh()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    session.close().await.map_err(|e| format!("unlock: {e}"))?;
    result
}

async fn read(store: &LocalStore) -> StateDoc {
    store
        .read()
        .await
        .expect("the state reads back")
        .expect("a state exists")
}

/// The keys of resources sharing an id with another.
fn duplicate_ids(state: &StateDoc) -> Vec<String> {
    let mut by_id: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, r) in &state.resources {
        by_id.entry(&r.id).or_default().push(key);
    }
    by_id
        .into_values()
        .filter(|keys| keys.len() > 1)
        .flatten()
        .map(str::to_owned)
        .collect()
}

async fn run_case(case: Case) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let cloud_dir = dir.path().join("cloud");
    let store = LocalStore::new(dir.path().join("state"));
    let env_a = compile(&case.a);
    let env_b = compile(&case.b);
    let options = exec_options(case.parallelism);

    // The prior state: A, really applied.
    let clean = SimCloud::open(&cloud_dir, SimConfig::default()).unwrap();
    let clean_providers = providers(&clean);
    let complete = apply(
        &store,
        &clean_providers,
        &env_a,
        false,
        &options,
        &NoEvents,
        &Shutdown::new(),
    )
    .await
    .map_err(TestCaseError::fail)?;
    prop_assert!(complete, "applying A without faults was not complete");
    let before = read(&store).await;
    prop_assert_eq!(clean.count().unwrap(), managed_count(&case.a));

    // The operation, under faults.
    let faults = case.faults.clone();
    let faulty = SimCloud::open(
        &cloud_dir,
        SimConfig {
            seed: Some(case.seed),
            faults,
            ..SimConfig::default()
        },
    )
    .unwrap();
    let faulty_providers = providers(&faulty);
    let shutdown = Shutdown::new();
    let outcome = match case.op {
        Op::Apply | Op::ApplyThenRefresh => {
            let r = apply(
                &store,
                &faulty_providers,
                &env_b,
                false,
                &options,
                &NoEvents,
                &shutdown,
            )
            .await;
            if matches!(case.op, Op::ApplyThenRefresh) {
                let refreshed = refresh(&store, &faulty_providers).await;
                r.and_then(|c| refreshed.map(|()| c))
            } else {
                r
            }
        }
        Op::Destroy => {
            apply(
                &store,
                &faulty_providers,
                &env_b,
                true,
                &options,
                &NoEvents,
                &shutdown,
            )
            .await
        }
        Op::Refresh => refresh(&store, &faulty_providers).await.map(|()| true),
        Op::Interrupt(after) => {
            let seen = AtomicUsize::new(0);
            let stopper = shutdown.clone();
            let observer = move |_: &Event| {
                if seen.fetch_add(1, Ordering::SeqCst) + 1 >= after {
                    stopper.request();
                }
            };
            apply(
                &store,
                &faulty_providers,
                &env_b,
                false,
                &options,
                &observer,
                &shutdown,
            )
            .await
        }
    };
    drop(faulty_providers);
    drop(faulty);

    // The state reads back, same history, serial not lower, no lock left.
    let after = read(&store).await;
    prop_assert_eq!(&after.lineage, &before.lineage);
    prop_assert!(
        after.serial >= before.serial,
        "serial went from {} to {}",
        before.serial,
        after.serial
    );
    prop_assert_eq!(store.lock_holder().await.unwrap(), None);
    prop_assert!(
        duplicate_ids(&after).is_empty(),
        "one object under several keys: {:?} (outcome {:?})",
        duplicate_ids(&after),
        outcome
    );

    // Every live object is accounted for.
    let live = clean.live_objects().unwrap();
    let in_state: BTreeSet<&str> =
        after.resources.values().map(|r| r.id.as_str()).collect();
    for object in &live {
        if in_state.contains(object.id.as_str()) {
            continue;
        }
        let pending = after.pending.values().find(|p| {
            p.kind == PendingKind::Create
                && p.token == object.token
                && p.resource_type == object.resource_type
                && p.provider == object.provider
        });
        prop_assert!(
            pending.is_some(),
            "object {} ({}) is neither in the state nor named by a pending \
             create (outcome {:?}); state: {:#?}",
            object.id,
            object.resource_type,
            outcome,
            after
        );
        let found = clean_providers
            .get(&object.provider)
            .unwrap()
            .find_by_token(&object.resource_type, &object.token)
            .await
            .unwrap();
        prop_assert_eq!(
            found.map(|c| c.id),
            Some(object.id.clone()),
            "the pending create's token does not find its object"
        );
    }

    // A follow-up reconcile puts every live object in the state.
    let session = Session::open(&store, &clean_providers, "plan")
        .await
        .unwrap();
    let plan = session.plan(&env_b, &PlanOptions::default(), false).await;
    session.close().await.unwrap();
    let plan = plan.map_err(|e| {
        TestCaseError::fail(format!("the follow-up plan failed: {e}"))
    })?;
    let mut reconciled = after.clone();
    for entry in &plan.reconcile {
        reconciled.apply_entry(entry);
    }
    prop_assert!(reconciled.pending.is_empty());
    let in_state: BTreeSet<&str> = reconciled
        .resources
        .values()
        .map(|r| r.id.as_str())
        .collect();
    for object in &live {
        prop_assert!(
            in_state.contains(object.id.as_str()),
            "object {} ({}) is not in the reconciled state (outcome {:?})",
            object.id,
            object.resource_type,
            outcome
        );
    }

    // Without faults, B converges in at most two applies.
    let mut converged = false;
    let mut failures = Vec::new();
    for _ in 0..2 {
        match apply(
            &store,
            &clean_providers,
            &env_b,
            false,
            &options,
            &NoEvents,
            &Shutdown::new(),
        )
        .await
        {
            Ok(true) => {
                converged = true;
                break;
            }
            other => failures.push(other),
        }
    }
    prop_assert!(
        converged,
        "B did not converge in two applies: {:?} (outcome {:?})",
        failures,
        outcome
    );
    let state = read(&store).await;
    prop_assert!(state.pending.is_empty(), "pending: {:?}", state.pending);
    prop_assert_eq!(state.resources.len(), managed_count(&case.b));
    prop_assert!(
        state.resources.keys().all(|k| !k.contains("#deposed-")),
        "deposed objects left: {:?}",
        state.resources.keys()
    );
    let live: BTreeSet<String> = clean
        .live_objects()
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    let ids: BTreeSet<String> =
        state.resources.values().map(|r| r.id.clone()).collect();
    prop_assert_eq!(
        &live,
        &ids,
        "live objects differ from the state (outcome {:?})",
        outcome
    );
    prop_assert_eq!(live.len(), managed_count(&case.b), "duplicates");

    let session = Session::open(&store, &clean_providers, "plan")
        .await
        .unwrap();
    let plan = session.plan(&env_b, &PlanOptions::default(), true).await;
    session.close().await.unwrap();
    let plan = plan.map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(plan.reconcile.is_empty());
    prop_assert!(
        !PlanSummary::of(&plan).has_changes(),
        "the plan after convergence is not empty: {:?}",
        plan.changes
            .iter()
            .filter(|c| c.action
                != onioncloud::core::engine::plan::Action::NoOp)
            .map(|c| (&c.address, c.action))
            .collect::<Vec<_>>()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn lifecycle_property_test(case in case()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run_case(case))?;
    }
}

fn slot(kind: usize, force: u8, parents: &[usize], cbd: bool) -> Option<Node> {
    Some(Node {
        kind,
        size: 0,
        force,
        // Picked among the earlier present slots; the tests below fill
        // every earlier slot, so a choice is the slot itself.
        parents: parents.to_vec(),
        create_before_destroy: cbd,
        ignore_size: false,
    })
}

/// A create under eventual consistency, then a refresh through the same
/// cloud: the refresh's read misses the new object, and the refresh
/// drops it from the state, leaving it orphaned; the next apply creates
/// a second one. (Found by the property test; reads that find nothing are
/// now confirmed before an object counts as gone.)
#[test]
fn a_refresh_right_after_a_create_keeps_the_object() {
    let mut b: Spec = vec![None; SLOTS];
    b[0] = slot(1, 0, &[], false);
    let faults =
        vec![FaultRule::new(FaultKind::EventualConsistency { reads: 1 })];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result: Result<(), TestCaseError> = rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("state"));
        let cloud = SimCloud::open(
            dir.path().join("cloud"),
            SimConfig {
                faults,
                ..SimConfig::default()
            },
        )
        .unwrap();
        let providers = providers(&cloud);
        let env = compile(&b);
        let complete = apply(
            &store,
            &providers,
            &env,
            false,
            &exec_options(1),
            &NoEvents,
            &Shutdown::new(),
        )
        .await
        .map_err(TestCaseError::fail)?;
        prop_assert!(complete);
        refresh(&store, &providers)
            .await
            .map_err(TestCaseError::fail)?;
        let state = read(&store).await;
        let live = cloud.live_objects().unwrap();
        prop_assert_eq!(live.len(), 1);
        prop_assert!(
            state.resources.values().any(|r| r.id == live[0].id),
            "the refresh dropped {} from the state: {:?}",
            live[0].id,
            state.resources.keys()
        );
        Ok(())
    });
    result.unwrap();
}

/// A `create_before_destroy` resource that depended, in the state, on a
/// resource now replaced without `create_before_destroy`: the planner
/// does not carry `create_before_destroy` along the dependencies the
/// state records, and every plan of B is refused as a cycle, so B never
/// converges. (Found by the property test.)
#[test]
fn create_before_destroy_follows_the_dependencies_in_the_state() {
    // A: a VPC, a policy (create_before_destroy) on it, and a node on both.
    let mut a: Spec = vec![None; SLOTS];
    a[0] = slot(1, 0, &[], false);
    a[1] = slot(2, 0, &[0], true);
    a[2] = slot(0, 0, &[1, 0], false);
    // B: the VPC's CIDR changes (a replacement, without
    // create_before_destroy, since nothing declared with it depends on
    // the VPC any more); the policy no longer refers to the VPC (a
    // replacement, with create_before_destroy); the node still refers to
    // both.
    let mut b = a.clone();
    b[0] = slot(1, 1, &[], false);
    b[1] = slot(2, 1, &[], true);
    // The planner, not the test's closure, must decide: compile B on its
    // own dependencies only.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("state"));
        let cloud =
            SimCloud::open(dir.path().join("cloud"), SimConfig::default())
                .unwrap();
        let providers = providers(&cloud);
        let options = exec_options(1);
        for env in [compile(&a), compile(&b)] {
            let complete = apply(
                &store,
                &providers,
                &env,
                false,
                &options,
                &NoEvents,
                &Shutdown::new(),
            )
            .await?;
            if !complete {
                return Err("an apply was not complete".to_owned());
            }
        }
        Ok(cloud.count().unwrap())
    });
    assert_eq!(outcome, Ok(3));
}

/// A case the property test found: a create_before_destroy policy whose
/// old object depended, in the state, on a node now deleted, which
/// depended on a VPC replaced destroy-first; the new policy waits,
/// through an updated node, for the new VPC. Destroys chain through the
/// deleted node, so the planner must make the VPC create first too.
#[test]
fn create_before_destroy_follows_the_state_through_deleted_resources() {
    let case = Case {
        a: vec![
            None,
            None,
            None,
            None,
            Some(Node {
                kind: 0,
                size: 0,
                force: 0,
                parents: vec![],
                create_before_destroy: false,
                ignore_size: false,
            }),
            Some(Node {
                kind: 1,
                size: 0,
                force: 1,
                parents: vec![],
                create_before_destroy: false,
                ignore_size: false,
            }),
            Some(Node {
                kind: 0,
                size: 0,
                force: 0,
                parents: vec![],
                create_before_destroy: false,
                ignore_size: false,
            }),
            Some(Node {
                kind: 0,
                size: 0,
                force: 0,
                parents: vec![],
                create_before_destroy: false,
                ignore_size: false,
            }),
            Some(Node {
                kind: 0,
                size: 0,
                force: 0,
                parents: vec![12801092315988404473],
                create_before_destroy: false,
                ignore_size: false,
            }),
            None,
            None,
            Some(Node {
                kind: 0,
                size: 0,
                force: 0,
                parents: vec![11120787549424739946],
                create_before_destroy: false,
                ignore_size: false,
            }),
            Some(Node {
                kind: 0,
                size: 0,
                force: 0,
                parents: vec![],
                create_before_destroy: false,
                ignore_size: false,
            }),
            Some(Node {
                kind: 2,
                size: 0,
                force: 0,
                parents: vec![14029784588570429593],
                create_before_destroy: true,
                ignore_size: false,
            }),
            None,
        ],
        b: vec![
            None,
            None,
            None,
            None,
            Some(Node {
                kind: 0,
                size: 2,
                force: 0,
                parents: vec![],
                create_before_destroy: false,
                ignore_size: false,
            }),
            Some(Node {
                kind: 1,
                size: 0,
                force: 0,
                parents: vec![],
                create_before_destroy: false,
                ignore_size: false,
            }),
            Some(Node {
                kind: 0,
                size: 0,
                force: 0,
                parents: vec![],
                create_before_destroy: false,
                ignore_size: false,
            }),
            None,
            Some(Node {
                kind: 0,
                size: 0,
                force: 0,
                parents: vec![12801092315988404473],
                create_before_destroy: false,
                ignore_size: false,
            }),
            None,
            None,
            None,
            Some(Node {
                kind: 0,
                size: 0,
                force: 0,
                parents: vec![],
                create_before_destroy: false,
                ignore_size: false,
            }),
            Some(Node {
                kind: 2,
                size: 0,
                force: 1,
                parents: vec![14029784588570429593],
                create_before_destroy: true,
                ignore_size: false,
            }),
            None,
        ],
        faults: Vec::new(),
        seed: 16744598133672261261,
        op: Op::ApplyThenRefresh,
        parallelism: 3,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run_case(case))
        .unwrap();
}

/// An apply killed after it finished its operations but before it
/// compacted the journal leaves the serial where it was. A second
/// replacement of the same resource must not reuse the first one's
/// idempotency token: the cloud would hand back the object just made
/// (or refuse), and destroying "the old object" would then destroy it.
/// (Found by a review: the token used to derive from the serial.)
#[test]
fn a_replacement_after_a_killed_apply_gets_a_fresh_token() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome: Result<(), String> = rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("state"));
        let cloud =
            SimCloud::open(dir.path().join("cloud"), SimConfig::default())
                .unwrap();
        let providers = providers(&cloud);
        let options = exec_options(1);
        let vpc = |force: u8| {
            let mut spec: Spec = vec![None; SLOTS];
            spec[0] = slot(1, force, &[], true);
            compile(&spec)
        };
        let applied = apply(
            &store,
            &providers,
            &vpc(0),
            false,
            &options,
            &NoEvents,
            &Shutdown::new(),
        )
        .await?;
        assert!(applied);

        // A replacement applied in full, but "killed" before the journal
        // was compacted: execute without the session's compaction.
        let session = Session::open(&store, &providers, "apply")
            .await
            .map_err(|e| e.to_string())?;
        let plan = session
            .plan(&vpc(1), &PlanOptions::default(), true)
            .await
            .map_err(|e| e.to_string())?;
        let (state, _) = session.state().await.map_err(|e| e.to_string())?;
        let serial = state.serial;
        let summary = onioncloud::core::engine::exec::execute(
            &plan,
            state,
            &store,
            &providers,
            &options,
            &NoEvents,
            &Shutdown::new(),
        )
        .await
        .map_err(|e| e.to_string())?;
        assert!(summary.is_complete(), "{:?}", summary.failed);
        session.close().await.map_err(|e| e.to_string())?;
        let after = read(&store).await;
        assert_eq!(after.serial, serial, "the journal was not compacted");

        // The next replacement, at the same serial.
        let applied = apply(
            &store,
            &providers,
            &vpc(2),
            false,
            &options,
            &NoEvents,
            &Shutdown::new(),
        )
        .await?;
        assert!(applied);
        let state = read(&store).await;
        let live = cloud.live_objects().unwrap();
        assert_eq!(live.len(), 1, "{live:?}");
        let vpc = &state.resources["aws_vpc.n00"];
        assert_eq!(vpc.id, live[0].id);
        assert_eq!(live[0].attributes["cidr_block"], "10.2.0.0/16");
        Ok(())
    });
    outcome.unwrap();
}
