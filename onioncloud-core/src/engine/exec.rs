//! The executor: applies a plan concurrently.
//!
//! [`execute`] turns a [`Plan`] into a graph of operations, runs them with
//! bounded parallelism, and journals each one so that a crash at any point
//! leaves a state from which the next plan can recover.
//!
//! # The operation graph
//!
//! Every change but a no-op gives one operation; a replacement gives two,
//! the creation of the new object and the destruction of the old one. An
//! operation that creates, updates, reads or imports is an *apply*; a
//! deletion or the destruction of a replaced object is a *destroy*. The
//! edges follow Terraform's rules:
//!
//! - the apply of X waits for the applies of everything in X's
//!   `depends_on`;
//! - the destroy of X comes before the destroys of everything X depended
//!   on (in the state, or for a replacement in its configuration too), so
//!   deletions go in reverse dependency order;
//! - a replacement without `create_before_destroy` destroys the old object
//!   before it creates the new one; one with it creates the new object
//!   first, then the applies of the resources that refer to it, and only
//!   then destroys the old one;
//! - the destroy of X waits, where that makes no cycle, for the apply of
//!   any Y that depended or depends on X, so that Y stops pointing at X
//!   first;
//! - forgetting X waits for the applies that read X's attributes.
//!
//! A plan whose required edges make a cycle (such as a
//! `create_before_destroy` resource that depends on one replaced without
//! it) is refused with [`ExecError::InvalidPlan`], naming the cycle,
//! before anything is written.
//!
//! # The journal
//!
//! The plan's `reconcile` entries are written first, then a
//! [`JournalEntry::Moved`] for every renamed resource. Each operation then
//! appends a [`JournalEntry::Intent`] before it calls its provider and a
//! [`JournalEntry::Done`] after; each append is durable before the
//! executor goes on. An operation that fails leaves its intent pending:
//! the next plan reconciles it through the provider (a create is found by
//! its idempotency token). Reading a data source and forgetting a
//! resource change nothing in the cloud and write only their `Done`.
//!
//! A replacement with `create_before_destroy` shares one address between
//! two live objects for a while. The old object is first moved, with a
//! [`JournalEntry::Moved`] written together with the new object's intent,
//! to a *deposed* key `<address>#deposed-<n>` (see [`deposed_key`]); the
//! new object is then created at the address, and the destruction of the
//! old one journals its intent and its `Done` under the deposed key. At
//! every point, each live object is in the state under exactly one key,
//! and a deposed object left by a failure is deleted by a later plan like
//! any resource no longer declared.
//!
//! # Scheduling
//!
//! One task owns the scheduling. An operation is ready when everything it
//! waits for has finished; its configuration is then resolved against the
//! state as it is. Ready operations start in order of their longest path
//! to the end of the graph, longest first, within a global limit
//! ([`ExecOptions::parallelism`]) and each provider's
//! [`ProviderLimits`]. An operation held back by a provider limit waits
//! aside, so it never keeps others from starting. Calls that fail with a
//! retryable error are retried with exponential backoff ([`RetryPolicy`]);
//! every attempt runs under [`ExecOptions::op_timeout`].
//!
//! When an operation fails, everything that waits for it, directly or
//! not, is skipped and the rest goes on (or, with
//! [`ExecOptions::fail_fast`], nothing new starts). After
//! [`Shutdown::request`], nothing new starts and the operations under way
//! finish.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt as _};
use serde::{Serialize, Serializer};
use serde_json::Value as Json;
use thiserror::Error;
use tokio::time::Instant;

use super::plan::{Action, Change, Plan, Resolved, idempotency_token, resolve};
use super::provider::{Provider, ProviderError, ProviderLimits, Providers};
use super::state::{
    Attrs, JournalEntry, PendingKind, PendingOp, ResourceState, StateDoc,
};
use super::store::{StateStore, StoreError, now_rfc3339};

/// How failed provider calls are retried: exponential backoff with full
/// jitter, for errors that are [`ProviderError::is_retryable`] only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 0 counts as 1.
    pub max_attempts: u32,
    /// The ceiling of the first wait; it doubles with every retry.
    pub base: Duration,
    /// The largest ceiling a wait can have. A `retry_after` the API asked
    /// for is honoured even when longer.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts, waits from up to one second growing to up to 30.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            base: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// The ceiling of the wait after failed attempt number `attempt`
    /// (from 1): `base * 2^(attempt - 1)`, at most `max_delay`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max_delay)
    }

    /// How long to wait after failed attempt number `attempt` (from 1)
    /// failed with `error`: a uniformly random duration up to
    /// [`RetryPolicy::ceiling`], and at least the error's `retry_after`.
    pub fn delay(&self, attempt: u32, error: &ProviderError) -> Duration {
        use rand::Rng as _;
        let ceiling = self.ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        let jitter = Duration::from_nanos(rand::rng().random_range(0..=nanos));
        match error.retry_after {
            Some(asked) => jitter.max(asked),
            None => jitter,
        }
    }
}

/// How [`execute`] runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOptions {
    /// At most this many operations at once; 0 for no limit.
    pub parallelism: usize,
    /// Start nothing new after the first failure.
    pub fail_fast: bool,
    /// How long one provider call may take before it counts as a
    /// transient failure (and is retried); zero for no limit.
    pub op_timeout: Duration,
    /// How failed calls are retried.
    pub retry: RetryPolicy,
}

impl Default for ExecOptions {
    /// Ten operations at once, as Terraform; 30 minutes per call; the
    /// default [`RetryPolicy`].
    fn default() -> Self {
        Self {
            parallelism: 10,
            fail_fast: false,
            op_timeout: Duration::from_secs(30 * 60),
            retry: RetryPolicy::default(),
        }
    }
}

/// One operation of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Creating a new object.
    Create,
    /// Changing an object in place.
    Update,
    /// Reading a data source.
    Read,
    /// Adopting an object by id, then updating it to the configuration.
    Import,
    /// Removing a resource from the state, leaving the object.
    Forget,
    /// Deleting an object.
    Delete,
    /// Creating the object that replaces another.
    CreateReplacement,
    /// Destroying the object a replacement replaced.
    DestroyReplaced,
}

impl Step {
    /// What the step does to `address`, for messages: "creating
    /// aws_vpc.main".
    pub fn describe(self, address: &str) -> String {
        match self {
            Step::Create => format!("creating {address}"),
            Step::Update => format!("updating {address}"),
            Step::Read => format!("reading {address}"),
            Step::Import => format!("importing {address}"),
            Step::Forget => format!("forgetting {address}"),
            Step::Delete => format!("deleting {address}"),
            Step::CreateReplacement => {
                format!("creating the replacement of {address}")
            }
            Step::DestroyReplaced => {
                format!("destroying the replaced object of {address}")
            }
        }
    }

    fn is_apply(self) -> bool {
        matches!(
            self,
            Step::Create
                | Step::Update
                | Step::Read
                | Step::Import
                | Step::CreateReplacement
        )
    }

    fn is_destroy(self) -> bool {
        matches!(self, Step::Delete | Step::DestroyReplaced)
    }
}

/// What happened, as it happens. Serialised as one JSON object with an
/// `event` tag, durations in seconds, for a `--json` event stream.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// An operation started.
    Started {
        /// The resource.
        address: String,
        /// Its planned action.
        action: Action,
        /// The operation.
        step: Step,
    },
    /// A provider call failed with a retryable error and is retried after
    /// `delay`.
    Retrying {
        /// The resource.
        address: String,
        /// The operation.
        step: Step,
        /// The number of the attempt about to be made (2 for the first
        /// retry).
        attempt: u32,
        /// The wait before it.
        #[serde(serialize_with = "seconds")]
        delay: Duration,
        /// The error of the attempt that failed.
        error: String,
    },
    /// An operation finished and its result is in the state.
    Finished {
        /// The resource.
        address: String,
        /// Its planned action.
        action: Action,
        /// The operation.
        step: Step,
        /// How long it took, retries included.
        #[serde(serialize_with = "seconds")]
        elapsed: Duration,
    },
    /// An operation failed.
    Failed {
        /// The resource.
        address: String,
        /// Its planned action.
        action: Action,
        /// The operation.
        step: Step,
        /// What went wrong, naming the operation and the provider's error
        /// with its code.
        error: String,
    },
    /// A change was not made because an operation it waits for failed.
    Skipped {
        /// The resource.
        address: String,
        /// The address whose operation failed.
        because: String,
    },
    /// A shutdown was requested: nothing new starts.
    Interrupted,
}

fn seconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Receives [`Event`]s. Called from the executor's task: it should return
/// quickly.
pub trait Observer: Send + Sync {
    /// One event.
    fn event(&self, event: &Event);
}

impl<F: Fn(&Event) + Send + Sync> Observer for F {
    fn event(&self, event: &Event) {
        self(event);
    }
}

/// A handle to stop an apply gracefully; clones share one request.
#[derive(Clone, Debug)]
pub struct Shutdown {
    requested: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A handle on which nothing was requested yet.
    pub fn new() -> Self {
        Self {
            requested: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// Asks the apply to start nothing new; operations under way finish.
    /// (A second interrupt is the caller's to handle, by exiting.)
    pub fn request(&self) {
        self.requested.send_replace(true);
    }

    /// Whether a shutdown was requested.
    pub fn is_requested(&self) -> bool {
        *self.requested.borrow()
    }
}

/// What an apply did.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The changes made, in the order they finished.
    pub done: Vec<(String, Action)>,
    /// The changes that failed, in the order they failed, with the error
    /// (naming the operation and the provider's error with its code).
    pub failed: Vec<(String, String)>,
    /// The changes skipped because something they wait for failed, in plan
    /// order.
    pub skipped: Vec<String>,
    /// The changes not (or, for a replacement, not entirely) made because
    /// the apply stopped: after a shutdown request, or with
    /// [`ExecOptions::fail_fast`] after a failure. In plan order.
    pub not_started: Vec<String>,
    /// Whether a shutdown was requested during the apply.
    pub interrupted: bool,
    /// The state after the apply: the state given with every journal
    /// entry written applied, equal to what the store now reads.
    pub state: StateDoc,
}

impl Summary {
    /// Whether every change was made.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.not_started.is_empty()
    }
}

/// Why [`execute`] stopped without a [`Summary`]. Provider failures are
/// not errors here: they are in [`Summary::failed`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The journal could not be written. Nothing new was started after
    /// it; the operations under way were finished. The store holds every
    /// entry written before; operations left pending are reconciled by
    /// the next plan.
    #[error(
        "recording {what} in the state failed, so the apply stopped; the \
         next plan reconciles what was under way"
    )]
    Journal {
        /// The entry that was being written, such as "the intent of
        /// creating aws_vpc.main".
        what: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// The plan cannot be executed as it is; nothing was written.
    #[error("the plan cannot be applied: {reason}")]
    InvalidPlan {
        /// What is wrong with it.
        reason: String,
    },
}

/// What separates an address from the number of a deposed object in the
/// state's keys: `aws_instance.web#deposed-1`.
pub const DEPOSED_MARK: &str = "#deposed-";

/// The first free key `<address>#deposed-<n>` (n from 1) of `state`,
/// under which a replacement with `create_before_destroy` keeps the old
/// object until it is destroyed.
pub fn deposed_key(state: &StateDoc, address: &str) -> String {
    let mut n = 1u64;
    loop {
        let key = format!("{address}{DEPOSED_MARK}{n}");
        if !state.resources.contains_key(&key)
            && !state.pending.contains_key(&key)
        {
            return key;
        }
        n += 1;
    }
}

/// The address a deposed key belongs to, or `None` when `key` is not a
/// deposed key.
pub fn deposed_of(key: &str) -> Option<&str> {
    let (base, n) = key.rsplit_once(DEPOSED_MARK)?;
    (!base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .then_some(base)
}

/// Applies `plan` to `state`, which must be the state the plan was made
/// against as read from `store` (checking that is the caller's part).
///
/// Writes the plan's reconciliation entries and moves, then runs the
/// operations as the [module documentation](self) describes, journalling
/// each in `store` and telling `observer` as they go.
///
/// # Errors
///
/// [`ExecError::InvalidPlan`] when the plan names an address twice or its
/// operations form a cycle, before anything is written;
/// [`ExecError::Journal`] when the store fails to append. Provider
/// failures are reported in [`Summary::failed`].
pub async fn execute(
    plan: &Plan,
    state: StateDoc,
    store: &dyn StateStore,
    providers: &Providers,
    options: &ExecOptions,
    observer: &dyn Observer,
    shutdown: &Shutdown,
) -> Result<Summary, ExecError> {
    let mut state = state;
    for entry in plan.reconcile.iter().chain(&plan.refreshed) {
        state.apply_entry(entry);
    }
    let moves: Vec<JournalEntry> = plan
        .changes
        .iter()
        .filter_map(|c| {
            c.moved_from.as_ref().map(|from| JournalEntry::Moved {
                from: from.clone(),
                to: c.address.clone(),
            })
        })
        .collect();
    for entry in &moves {
        state.apply_entry(entry);
    }
    let graph = Graph::build(plan, &state)
        .map_err(|reason| ExecError::InvalidPlan { reason })?;
    if !plan.reconcile.is_empty() {
        store.append(&plan.reconcile).await.map_err(|source| {
            ExecError::Journal {
                what: "the reconciliation of pending operations".to_owned(),
                source,
            }
        })?;
    }
    if !plan.refreshed.is_empty() {
        store.append(&plan.refreshed).await.map_err(|source| {
            ExecError::Journal {
                what: "what the refresh found".to_owned(),
                source,
            }
        })?;
    }
    if !moves.is_empty() {
        store
            .append(&moves)
            .await
            .map_err(|source| ExecError::Journal {
                what: "the moves of renamed resources".to_owned(),
                source,
            })?;
    }
    Run::new(plan, state, graph, providers, options, observer)
        .drive(store, shutdown)
        .await
}

// ---------------------------------------------------------------------
// The graph.

struct Node {
    change: u32,
    step: Step,
    succs: Vec<u32>,
    preds: u32,
    priority: u64,
}

struct Graph {
    nodes: Vec<Node>,
    /// The apply node of each change, if any, by change index.
    apply: Vec<Option<u32>>,
}

impl Graph {
    fn build(plan: &Plan, state: &StateDoc) -> Result<Self, String> {
        let changes = &plan.changes;
        let mut seen = HashSet::with_capacity(changes.len());
        for change in changes {
            if !seen.insert(change.address.as_str()) {
                return Err(format!(
                    "{} has more than one change",
                    change.address
                ));
            }
        }
        let mut nodes = Vec::new();
        let mut apply = vec![None; changes.len()];
        let mut apply_of: HashMap<&str, u32> = HashMap::new();
        let mut destroy_of: Vec<Option<u32>> = vec![None; changes.len()];
        // Destroy nodes by the address they destroy an object of, deposed
        // objects under their resource's address.
        let mut destroys_by_base: HashMap<&str, Vec<(u32, usize)>> =
            HashMap::new();
        let mut forget_of: HashMap<&str, u32> = HashMap::new();
        let mut change_of_address: HashMap<&str, usize> = HashMap::new();
        for (i, change) in changes.iter().enumerate() {
            change_of_address.insert(&change.address, i);
            let data = change.address.starts_with("data.");
            let steps: &[Step] = match change.action {
                Action::NoOp => &[],
                Action::Create => &[Step::Create],
                Action::Update => &[Step::Update],
                Action::Read => &[Step::Read],
                Action::Import => &[Step::Import],
                Action::Forget => &[Step::Forget],
                // A data source has no object to delete.
                Action::Delete if data => &[Step::Forget],
                Action::Delete => &[Step::Delete],
                Action::Replace => {
                    &[Step::CreateReplacement, Step::DestroyReplaced]
                }
            };
            for &step in steps {
                let id = u32::try_from(nodes.len()).map_err(|_| {
                    "the plan has more operations than the executor can \
                     count"
                        .to_owned()
                })?;
                let change_index = u32::try_from(i).map_err(|_| {
                    "the plan has more changes than the executor can count"
                        .to_owned()
                })?;
                nodes.push(Node {
                    change: change_index,
                    step,
                    succs: Vec::new(),
                    preds: 0,
                    priority: 0,
                });
                if step.is_apply() {
                    apply[i] = Some(id);
                    apply_of.insert(&change.address, id);
                } else if step.is_destroy() {
                    destroy_of[i] = Some(id);
                    let base =
                        deposed_of(&change.address).unwrap_or(&change.address);
                    destroys_by_base.entry(base).or_default().push((id, i));
                } else {
                    forget_of.insert(&change.address, id);
                }
            }
        }
        let mut succs: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
        let mut edge = |from: u32, to: u32| {
            if from != to {
                succs[from as usize].push(to);
            }
        };
        fn state_deps<'s>(
            state: &'s StateDoc,
            change: &Change,
        ) -> &'s [String] {
            state
                .resources
                .get(&change.address)
                .map(|r| r.dependencies.as_slice())
                .unwrap_or(&[])
        }
        // The configuration's dependencies; a deletion has none, its
        // `depends_on` are the state's.
        fn config_deps(change: &Change) -> &[String] {
            if change.action == Action::Delete {
                &[]
            } else {
                &change.depends_on
            }
        }
        let is_cbd_replace = |i: usize| {
            changes[i].action == Action::Replace
                && changes[i].create_before_destroy
        };
        let mut optional: Vec<(u32, u32)> = Vec::new();
        for (i, change) in changes.iter().enumerate() {
            if let Some(a) = apply[i] {
                for dep in config_deps(change) {
                    if let Some(&from) = apply_of.get(dep.as_str()) {
                        edge(from, a);
                    }
                    if let Some(&forget) = forget_of.get(dep.as_str()) {
                        edge(a, forget);
                    }
                    // The old object of a create_before_destroy
                    // replacement goes after its dependents' applies.
                    for &(d, j) in destroys_by_base
                        .get(dep.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                    {
                        if is_cbd_replace(j) && changes[j].address == *dep {
                            edge(a, d);
                        }
                    }
                }
                // Dependents stop pointing at what is destroyed first,
                // where that makes no cycle.
                for dep in
                    state_deps(state, change).iter().chain(config_deps(change))
                {
                    for &(d, j) in destroys_by_base
                        .get(dep.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                    {
                        if !(is_cbd_replace(j) && changes[j].address == *dep) {
                            optional.push((a, d));
                        }
                    }
                }
            }
            if let Some(d) = destroy_of[i] {
                let mut deps: Vec<&String> =
                    state_deps(state, change).iter().collect();
                if matches!(change.action, Action::Delete | Action::Replace) {
                    deps.extend(&change.depends_on);
                }
                for dep in deps {
                    for &(other, _) in destroys_by_base
                        .get(dep.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                    {
                        edge(d, other);
                    }
                }
                if let Some(a) = apply[i] {
                    if change.create_before_destroy {
                        edge(a, d);
                    } else {
                        edge(d, a);
                    }
                }
                // A deposed object goes after its resource's new object.
                if let Some(base) = deposed_of(&change.address)
                    && let Some(&a) = apply_of.get(base)
                {
                    optional.push((a, d));
                }
            }
        }
        for list in &mut succs {
            list.sort_unstable();
            list.dedup();
        }
        if let Err(cycle) = topological_order(&succs) {
            let named: Vec<String> = cycle
                .iter()
                .map(|&n| {
                    let node = &nodes[n as usize];
                    node.step.describe(&changes[node.change as usize].address)
                })
                .collect();
            return Err(format!(
                "its operations form a cycle: {} (then {} again); is a \
                 create_before_destroy resource depending on one replaced \
                 without it?",
                named.join(" before "),
                named.first().map(String::as_str).unwrap_or("the first"),
            ));
        }
        let mut marks = vec![0u32; nodes.len()];
        let mut stamp = 0u32;
        for (from, to) in optional {
            if from == to || succs[from as usize].contains(&to) {
                continue;
            }
            stamp += 1;
            if !reaches(&succs, to, from, &mut marks, stamp) {
                succs[from as usize].push(to);
            }
        }
        let order = topological_order(&succs).map_err(|_| {
            "the executor made a cycle of its own edges".to_owned()
        })?;
        for &n in order.iter().rev() {
            let n = n as usize;
            let longest = succs[n]
                .iter()
                .map(|&s| nodes[s as usize].priority)
                .max()
                .unwrap_or(0);
            nodes[n].priority = longest + 1;
        }
        for (n, list) in succs.into_iter().enumerate() {
            for &s in &list {
                nodes[s as usize].preds += 1;
            }
            nodes[n].succs = list;
        }
        Ok(Self { nodes, apply })
    }
}

/// Whether `to` can be reached from `from`.
fn reaches(
    succs: &[Vec<u32>],
    from: u32,
    to: u32,
    marks: &mut [u32],
    stamp: u32,
) -> bool {
    let mut stack = vec![from];
    marks[from as usize] = stamp;
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        for &s in &succs[n as usize] {
            if marks[s as usize] != stamp {
                marks[s as usize] = stamp;
                stack.push(s);
            }
        }
    }
    false
}

/// The nodes in an order where every edge goes forward, or a cycle.
fn topological_order(succs: &[Vec<u32>]) -> Result<Vec<u32>, Vec<u32>> {
    let mut indegree = vec![0u32; succs.len()];
    for list in succs {
        for &s in list {
            indegree[s as usize] += 1;
        }
    }
    let mut order: Vec<u32> = (0..succs.len())
        .filter(|&n| indegree[n] == 0)
        .filter_map(|n| u32::try_from(n).ok())
        .collect();
    let mut next = 0;
    while next < order.len() {
        let n = order[next] as usize;
        next += 1;
        for &s in &succs[n] {
            indegree[s as usize] -= 1;
            if indegree[s as usize] == 0 {
                order.push(s);
            }
        }
    }
    if order.len() == succs.len() {
        return Ok(order);
    }
    // Every node left has a predecessor that is left too: walk back along
    // them until one repeats.
    let mut pred = vec![u32::MAX; succs.len()];
    for (n, list) in succs.iter().enumerate() {
        if indegree[n] == 0 {
            continue;
        }
        for &s in list {
            if indegree[s as usize] > 0 {
                pred[s as usize] = u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
    }
    let Some(start) = (0..succs.len()).find(|&n| indegree[n] > 0) else {
        return Err(Vec::new());
    };
    let mut seen = vec![false; succs.len()];
    let mut walk = Vec::new();
    let mut n = start;
    while !seen[n] && pred[n] != u32::MAX {
        seen[n] = true;
        walk.push(n);
        n = pred[n] as usize;
    }
    let from = walk.iter().position(|&w| w == n).unwrap_or(0);
    let mut cycle: Vec<u32> = walk[from..]
        .iter()
        .filter_map(|&w| u32::try_from(w).ok())
        .collect();
    cycle.reverse();
    Err(cycle)
}

// ---------------------------------------------------------------------
// One operation.

struct Op<'a> {
    node: u32,
    step: Step,
    change: &'a Change,
    /// The key the operation journals under: the address, or the deposed
    /// key of a replaced object.
    key: String,
    provider: Option<Arc<dyn Provider>>,
    config: Attrs,
    prior: Option<ResourceState>,
    token: String,
    /// For a create_before_destroy replacement: where to move the old
    /// object first.
    depose_to: Option<String>,
    /// The attributes whose values are secret or sensitive.
    sensitive: Vec<String>,
    /// The salt of the markers recorded for them: the state's lineage.
    salt: String,
}

enum OpError {
    Provider(String),
    Journal { what: String, source: StoreError },
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpError::Provider(message) => f.write_str(message),
            OpError::Journal { what, source } => {
                write!(f, "recording {what} failed: {source}")
            }
        }
    }
}

struct Outcome {
    node: u32,
    entries: Vec<JournalEntry>,
    result: Result<(), OpError>,
}

type OpFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

async fn run_op<'a>(
    store: &'a dyn StateStore,
    observer: &'a dyn Observer,
    options: &'a ExecOptions,
    op: Op<'a>,
) -> Outcome {
    let started = Instant::now();
    observer.event(&Event::Started {
        address: op.change.address.clone(),
        action: op.change.action,
        step: op.step,
    });
    let mut entries = Vec::new();
    let result = perform(store, observer, options, &op, &mut entries).await;
    observer.event(&match &result {
        Ok(()) => Event::Finished {
            address: op.change.address.clone(),
            action: op.change.action,
            step: op.step,
            elapsed: started.elapsed(),
        },
        Err(error) => Event::Failed {
            address: op.change.address.clone(),
            action: op.change.action,
            step: op.step,
            error: error.to_string(),
        },
    });
    Outcome {
        node: op.node,
        entries,
        result,
    }
}

async fn journal(
    store: &dyn StateStore,
    batch: Vec<JournalEntry>,
    entries: &mut Vec<JournalEntry>,
    what: impl FnOnce() -> String,
) -> Result<(), OpError> {
    match store.append(&batch).await {
        Ok(()) => {
            entries.extend(batch);
            Ok(())
        }
        Err(source) => Err(OpError::Journal {
            what: what(),
            source,
        }),
    }
}

async fn perform(
    store: &dyn StateStore,
    observer: &dyn Observer,
    options: &ExecOptions,
    op: &Op<'_>,
    entries: &mut Vec<JournalEntry>,
) -> Result<(), OpError> {
    let change = op.change;
    let address = change.address.as_str();
    let key = op.key.as_str();
    let ty = change.resource_type.as_str();
    let describe = || op.step.describe(address);
    let intent_of = || format!("the intent of {}", describe());
    let done_of = || format!("the result of {}", describe());
    let intent = |kind: PendingKind, id: Option<String>| JournalEntry::Intent {
        address: key.to_owned(),
        op: PendingOp {
            kind,
            resource_type: ty.to_owned(),
            provider: change.provider.clone(),
            token: op.token.clone(),
            id,
            started: now_rfc3339(),
            sensitive_attributes: op.sensitive.clone(),
        },
    };
    let sensitive = &op.sensitive;
    let resource = |id: String, attributes: Attrs| {
        ResourceState {
            kind: ty.to_owned(),
            provider: change.provider.clone(),
            id,
            attributes,
            dependencies: change.depends_on.clone(),
            create_before_destroy: change.create_before_destroy,
            sensitive_attributes: sensitive.clone(),
        }
        .redacted(&op.salt)
    };
    let failure = |error: ProviderError, attempts: u32| {
        let after = if attempts > 1 {
            format!(" after {attempts} attempts")
        } else {
            String::new()
        };
        OpError::Provider(format!("{} failed{after}: {error}", describe()))
    };
    let retry = Retry {
        observer,
        options,
        address,
        step: op.step,
    };
    if op.step == Step::Forget {
        let done = JournalEntry::Done {
            address: key.to_owned(),
            resource: None,
        };
        return journal(store, vec![done], entries, done_of).await;
    }
    let Some(provider) = op.provider.as_ref() else {
        return Err(OpError::Provider(format!(
            "{} failed: no provider serves the configuration {:?}",
            describe(),
            change.provider
        )));
    };
    let known_id = op
        .prior
        .as_ref()
        .map(|r| r.id.clone())
        .or_else(|| change.id.clone());
    let need_id = || {
        OpError::Provider(format!(
            "{} failed: the object's id is not known (it is not in the \
             state and the plan names none)",
            describe()
        ))
    };
    match op.step {
        Step::Create | Step::CreateReplacement => {
            let mut batch = Vec::with_capacity(2);
            if let Some(to) = &op.depose_to {
                batch.push(JournalEntry::Moved {
                    from: key.to_owned(),
                    to: to.clone(),
                });
            }
            batch.push(intent(PendingKind::Create, None));
            journal(store, batch, entries, intent_of).await?;
            let created = retry
                .call(|| provider.create(ty, &op.config, &op.token))
                .await
                .map_err(|(e, n)| failure(e, n))?;
            let done = JournalEntry::Done {
                address: key.to_owned(),
                resource: Some(resource(created.id, created.attributes)),
            };
            journal(store, vec![done], entries, done_of).await
        }
        Step::Update => {
            let id = known_id.ok_or_else(need_id)?;
            journal(
                store,
                vec![intent(PendingKind::Update, Some(id.clone()))],
                entries,
                intent_of,
            )
            .await?;
            let empty = Attrs::new();
            let prior =
                op.prior.as_ref().map(|r| &r.attributes).unwrap_or(&empty);
            let attributes = retry
                .call(|| provider.update(ty, &id, prior, &op.config))
                .await
                .map_err(|(e, n)| failure(e, n))?;
            let done = JournalEntry::Done {
                address: key.to_owned(),
                resource: Some(resource(id, attributes)),
            };
            journal(store, vec![done], entries, done_of).await
        }
        Step::Import => {
            let id = change.id.clone().ok_or_else(need_id)?;
            journal(
                store,
                vec![intent(PendingKind::Update, Some(id.clone()))],
                entries,
                intent_of,
            )
            .await?;
            let found = retry
                .call(|| provider.read(ty, &id))
                .await
                .map_err(|(e, n)| failure(e, n))?;
            let Some(prior) = found else {
                return Err(OpError::Provider(format!(
                    "{} failed: no {ty} with id {id:?} exists",
                    describe()
                )));
            };
            let attributes = retry
                .call(|| provider.update(ty, &id, &prior, &op.config))
                .await
                .map_err(|(e, n)| failure(e, n))?;
            let done = JournalEntry::Done {
                address: key.to_owned(),
                resource: Some(resource(id, attributes)),
            };
            journal(store, vec![done], entries, done_of).await
        }
        Step::Read => {
            let attributes = retry
                .call(|| provider.read_data(ty, &op.config))
                .await
                .map_err(|(e, n)| failure(e, n))?;
            let id = attributes
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or(address)
                .to_owned();
            let done = JournalEntry::Done {
                address: key.to_owned(),
                resource: Some(resource(id, attributes)),
            };
            journal(store, vec![done], entries, done_of).await
        }
        Step::Delete | Step::DestroyReplaced => {
            let id = known_id.ok_or_else(need_id)?;
            journal(
                store,
                vec![intent(PendingKind::Delete, Some(id.clone()))],
                entries,
                intent_of,
            )
            .await?;
            retry
                .call(|| provider.delete(ty, &id))
                .await
                .map_err(|(e, n)| failure(e, n))?;
            let done = JournalEntry::Done {
                address: key.to_owned(),
                resource: None,
            };
            journal(store, vec![done], entries, done_of).await
        }
        Step::Forget => Ok(()),
    }
}

struct Retry<'a> {
    observer: &'a dyn Observer,
    options: &'a ExecOptions,
    address: &'a str,
    step: Step,
}

impl Retry<'_> {
    /// Calls until success, a non-retryable error or the last attempt;
    /// the error comes with the number of attempts made.
    async fn call<T, F, Fut>(
        &self,
        mut call: F,
    ) -> Result<T, (ProviderError, u32)>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let policy = &self.options.retry;
        let attempts = policy.max_attempts.max(1);
        let limit = self.options.op_timeout;
        let mut attempt = 1;
        loop {
            let result = if limit.is_zero() {
                call().await
            } else {
                match tokio::time::timeout(limit, call()).await {
                    Ok(result) => result,
                    Err(_) => Err(ProviderError::transient(format!(
                        "no answer within {}",
                        humantime::format_duration(limit)
                    ))
                    .with_code("Timeout")),
                }
            };
            match result {
                Ok(value) => return Ok(value),
                Err(error) if error.is_retryable() && attempt < attempts => {
                    let delay = policy.delay(attempt, &error);
                    attempt += 1;
                    self.observer.event(&Event::Retrying {
                        address: self.address.to_owned(),
                        step: self.step,
                        attempt,
                        delay,
                        error: error.to_string(),
                    });
                    tokio::time::sleep(delay).await;
                }
                Err(error) => return Err((error, attempt)),
            }
        }
    }
}

// ---------------------------------------------------------------------
// The scheduler.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Waiting,
    Ready,
    Running,
    Done,
    Failed,
    Skipped,
}

/// What a ready operation needs to start.
struct Prepared {
    provider: Option<Arc<dyn Provider>>,
    limits: ProviderLimits,
    config: Attrs,
    key: Option<String>,
}

/// The provider slots a running operation holds.
#[derive(Clone)]
struct Held {
    config: String,
    key: Option<String>,
    limits: ProviderLimits,
}

/// A provider limit an operation can wait on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Slot {
    Config(String),
    Key(String, String),
}

struct Run<'a> {
    plan: &'a Plan,
    /// Every variable's value, sensitive ones included.
    variables: BTreeMap<String, Json>,
    providers: &'a Providers,
    options: &'a ExecOptions,
    observer: &'a dyn Observer,
    state: StateDoc,
    graph: Graph,
    status: Vec<Status>,
    waiting: Vec<u32>,
    prepared: Vec<Option<Prepared>>,
    /// The provider slots a running operation holds.
    held: Vec<Option<Held>>,
    ready: BinaryHeap<(u64, Reverse<u32>)>,
    /// Operations waiting for a provider slot, best first.
    blocked: HashMap<Slot, BinaryHeap<(u64, Reverse<u32>)>>,
    per_config: HashMap<String, usize>,
    per_key: HashMap<(String, String), usize>,
    running: usize,
    /// Addresses whose apply has not finished: their attributes are not
    /// known yet.
    unfinished: HashSet<&'a str>,
    /// For each change, the deposed key of its replaced object.
    deposed: Vec<Option<String>>,
    /// For each change, its operations not finished yet.
    remaining: Vec<u8>,
    change_failed: Vec<bool>,
    change_skipped: Vec<bool>,
    done: Vec<(String, Action)>,
    failed: Vec<(String, String)>,
    stopping: bool,
    interrupted: bool,
    journal_error: Option<(String, StoreError)>,
}

impl<'a> Run<'a> {
    fn new(
        plan: &'a Plan,
        state: StateDoc,
        graph: Graph,
        providers: &'a Providers,
        options: &'a ExecOptions,
        observer: &'a dyn Observer,
    ) -> Self {
        let n = graph.nodes.len();
        let changes = plan.changes.len();
        let mut remaining = vec![0u8; changes];
        for node in &graph.nodes {
            remaining[node.change as usize] += 1;
        }
        let unfinished = plan
            .changes
            .iter()
            .zip(&graph.apply)
            .filter(|(_, a)| a.is_some())
            .map(|(c, _)| c.address.as_str())
            .collect();
        Self {
            plan,
            variables: plan.all_variables(),
            providers,
            options,
            observer,
            state,
            status: vec![Status::Waiting; n],
            waiting: graph.nodes.iter().map(|node| node.preds).collect(),
            prepared: (0..n).map(|_| None).collect(),
            held: vec![None; n],
            graph,
            ready: BinaryHeap::new(),
            blocked: HashMap::new(),
            per_config: HashMap::new(),
            per_key: HashMap::new(),
            running: 0,
            unfinished,
            deposed: vec![None; changes],
            remaining,
            change_failed: vec![false; changes],
            change_skipped: vec![false; changes],
            done: Vec::new(),
            failed: Vec::new(),
            stopping: false,
            interrupted: false,
            journal_error: None,
        }
    }

    async fn drive(
        mut self,
        store: &'a dyn StateStore,
        shutdown: &Shutdown,
    ) -> Result<Summary, ExecError> {
        let mut requests = shutdown.requested.subscribe();
        let mut listening = true;
        let mut running: FuturesUnordered<OpFuture<'a>> =
            FuturesUnordered::new();
        for n in 0..self.graph.nodes.len() {
            if self.waiting[n] == 0 {
                self.make_ready(n as u32);
            }
        }
        loop {
            if !self.interrupted && shutdown.is_requested() {
                self.interrupt();
            }
            if !self.stopping {
                self.start(&mut running, store);
            }
            if running.is_empty() {
                break;
            }
            tokio::select! {
                outcome = running.next() => {
                    if let Some(outcome) = outcome {
                        self.finish(outcome);
                    }
                }
                changed = requests.changed(), if listening
                    && !self.interrupted => {
                    // The sender lives as long as `shutdown`; should it
                    // close anyway, stop listening rather than spin.
                    listening = changed.is_ok();
                }
            }
        }
        if let Some((what, source)) = self.journal_error {
            return Err(ExecError::Journal { what, source });
        }
        Ok(self.summary())
    }

    fn interrupt(&mut self) {
        self.interrupted = true;
        self.stopping = true;
        self.observer.event(&Event::Interrupted);
    }

    fn change(&self, node: u32) -> (usize, &'a Change) {
        let c = self.graph.nodes[node as usize].change as usize;
        (c, &self.plan.changes[c])
    }

    /// Resolves a node whose predecessors all finished and queues it.
    fn make_ready(&mut self, node: u32) {
        match self.prepare(node) {
            Ok(prepared) => {
                self.prepared[node as usize] = Some(prepared);
                self.status[node as usize] = Status::Ready;
                self.ready.push((
                    self.graph.nodes[node as usize].priority,
                    Reverse(node),
                ));
            }
            Err(error) => {
                let (_, change) = self.change(node);
                self.observer.event(&Event::Failed {
                    address: change.address.clone(),
                    action: change.action,
                    step: self.graph.nodes[node as usize].step,
                    error: error.clone(),
                });
                self.fail(node, error);
            }
        }
    }

    fn prepare(&self, node: u32) -> Result<Prepared, String> {
        let step = self.graph.nodes[node as usize].step;
        let (c, change) = self.change(node);
        if step == Step::Forget {
            return Ok(Prepared {
                provider: None,
                limits: ProviderLimits::default(),
                config: Attrs::new(),
                key: None,
            });
        }
        let config = if step.is_apply() {
            self.resolve_config(change)?
        } else {
            let key = match step {
                Step::DestroyReplaced => self.deposed[c]
                    .as_deref()
                    .unwrap_or(change.address.as_str()),
                _ => change.address.as_str(),
            };
            self.state
                .resources
                .get(key)
                .map(|r| r.attributes.clone())
                .unwrap_or_default()
        };
        let provider = self
            .providers
            .get(&change.provider)
            .map_err(|e| {
                format!("{} failed: {e}", step.describe(&change.address))
            })?
            .clone();
        let limits = provider.limits();
        let key = if limits.per_key.is_some() {
            provider.concurrency_key(&change.resource_type, &config)
        } else {
            None
        };
        Ok(Prepared {
            provider: Some(provider),
            limits,
            config,
            key,
        })
    }

    fn resolve_config(&self, change: &Change) -> Result<Attrs, String> {
        let state = &self.state;
        let unfinished = &self.unfinished;
        let lookup = |address: &str| {
            if unfinished.contains(address) {
                None
            } else {
                state.resources.get(address).map(|r| &r.attributes)
            }
        };
        let sensitive = self.plan.sensitive_attributes(change);
        let mut config = Attrs::new();
        for (name, value) in &change.config {
            match resolve(value, &self.variables, &lookup) {
                Ok(Resolved::Known(json)) => {
                    // A sensitive value reaches the provider wrapped, so
                    // that it knows to use it and never record it; a
                    // secret's reference is no value and goes as it is.
                    let json = if sensitive.contains(name)
                        && !is_secret_marker(&json)
                        && !json.is_null()
                    {
                        crate::sensitive::wrap(json)
                    } else {
                        json
                    };
                    config.insert(name.clone(), json);
                }
                Ok(Resolved::Unknown(refs)) => {
                    return Err(format!(
                        "the attribute {name} of {} refers to {}, not known \
                         when it was to be applied: the plan does not make \
                         it wait for {}",
                        change.address,
                        refs.join(", "),
                        if refs.len() == 1 { "it" } else { "them" },
                    ));
                }
                Err(error) => {
                    return Err(format!(
                        "the attribute {name} of {} cannot be resolved: \
                         {error}",
                        change.address
                    ));
                }
            }
        }
        Ok(config)
    }

    /// Starts ready operations while the limits allow.
    fn start(
        &mut self,
        running: &mut FuturesUnordered<OpFuture<'a>>,
        store: &'a dyn StateStore,
    ) {
        let limit = self.options.parallelism;
        while let Some(&(_, Reverse(node))) = self.ready.peek() {
            if limit > 0 && self.running >= limit {
                return;
            }
            self.ready.pop();
            let Some(prepared) = self.prepared[node as usize].take() else {
                continue;
            };
            let (c, change) = self.change(node);
            let mut held = None;
            if prepared.provider.is_some() {
                let config = &change.provider;
                if let Some(max) = prepared.limits.per_config
                    && self.per_config.get(config).copied().unwrap_or(0)
                        >= max.max(1)
                {
                    self.block(Slot::Config(config.clone()), node, prepared);
                    continue;
                }
                if let (Some(max), Some(key)) =
                    (prepared.limits.per_key, &prepared.key)
                    && self
                        .per_key
                        .get(&(config.clone(), key.clone()))
                        .copied()
                        .unwrap_or(0)
                        >= max.max(1)
                {
                    let slot = Slot::Key(config.clone(), key.clone());
                    let limits = prepared.limits;
                    self.block(slot, node, prepared);
                    // It may have left the configuration's queue for this:
                    // the slot it did not take goes to the next in line.
                    self.release(
                        &Slot::Config(config.clone()),
                        limits.per_config,
                    );
                    continue;
                }
                *self.per_config.entry(config.clone()).or_default() += 1;
                if let Some(key) = &prepared.key {
                    *self
                        .per_key
                        .entry((config.clone(), key.clone()))
                        .or_default() += 1;
                }
                held = Some(Held {
                    config: config.clone(),
                    key: prepared.key.clone(),
                    limits: prepared.limits,
                });
            }
            self.held[node as usize] = held;
            self.running += 1;
            self.status[node as usize] = Status::Running;
            let op = self.op(node, c, change, prepared);
            running.push(Box::pin(run_op(
                store,
                self.observer,
                self.options,
                op,
            )));
        }
    }

    /// Sets an operation aside until `slot` has room.
    fn block(&mut self, slot: Slot, node: u32, prepared: Prepared) {
        self.prepared[node as usize] = Some(prepared);
        let priority = self.graph.nodes[node as usize].priority;
        self.blocked
            .entry(slot)
            .or_default()
            .push((priority, Reverse(node)));
    }

    /// Moves as many of the operations waiting for `slot` as it has room
    /// for, best first, back to the ready queue.
    fn release(&mut self, slot: &Slot, limit: Option<usize>) {
        let in_use = match slot {
            Slot::Config(config) => self.per_config.get(config),
            Slot::Key(config, key) => {
                self.per_key.get(&(config.clone(), key.clone()))
            }
        }
        .copied()
        .unwrap_or(0);
        let free =
            limit.map_or(usize::MAX, |l| l.max(1).saturating_sub(in_use));
        let Some(queue) = self.blocked.get_mut(slot) else {
            return;
        };
        for _ in 0..free {
            let Some(entry) = queue.pop() else {
                break;
            };
            self.ready.push(entry);
        }
        if queue.is_empty() {
            self.blocked.remove(slot);
        }
    }

    fn op(
        &mut self,
        node: u32,
        c: usize,
        change: &'a Change,
        prepared: Prepared,
    ) -> Op<'a> {
        let step = self.graph.nodes[node as usize].step;
        let address = change.address.as_str();
        let mut depose_to = None;
        let key = match step {
            Step::CreateReplacement if change.create_before_destroy => {
                let deposed = deposed_key(&self.state, address);
                self.deposed[c] = Some(deposed.clone());
                if self.state.resources.contains_key(address)
                    || self.state.pending.contains_key(address)
                {
                    depose_to = Some(deposed);
                }
                address.to_owned()
            }
            Step::DestroyReplaced => self.deposed[c]
                .clone()
                .unwrap_or_else(|| address.to_owned()),
            _ => address.to_owned(),
        };
        let prior = match step {
            Step::Update
            | Step::Delete
            | Step::DestroyReplaced
            | Step::Forget => self.state.resources.get(&key).cloned(),
            _ => None,
        };
        let token = match (step, &change.token) {
            (Step::Create | Step::CreateReplacement, Some(token)) => {
                token.clone()
            }
            _ => idempotency_token(
                &self.state.lineage,
                &self.plan.state_hash,
                address,
            ),
        };
        Op {
            node,
            step,
            change,
            key,
            provider: prepared.provider,
            config: prepared.config,
            prior,
            token,
            depose_to,
            sensitive: self.plan.sensitive_attributes(change),
            salt: self.state.lineage.clone(),
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        let node = outcome.node;
        for entry in &outcome.entries {
            self.state.apply_entry(entry);
        }
        self.running = self.running.saturating_sub(1);
        if let Some(held) = self.held[node as usize].take() {
            if let Some(count) = self.per_config.get_mut(&held.config) {
                *count = count.saturating_sub(1);
            }
            if let Some(key) = held.key {
                let pair = (held.config.clone(), key);
                if let Some(count) = self.per_key.get_mut(&pair) {
                    *count = count.saturating_sub(1);
                }
                self.release(&Slot::Key(pair.0, pair.1), held.limits.per_key);
            }
            self.release(&Slot::Config(held.config), held.limits.per_config);
        }
        match outcome.result {
            Ok(()) => self.complete(node),
            Err(OpError::Provider(error)) => self.fail(node, error),
            Err(OpError::Journal { what, source }) => {
                self.status[node as usize] = Status::Failed;
                self.stopping = true;
                if self.journal_error.is_none() {
                    self.journal_error = Some((what, source));
                }
            }
        }
    }

    fn complete(&mut self, node: u32) {
        self.status[node as usize] = Status::Done;
        let (c, change) = self.change(node);
        if self.graph.nodes[node as usize].step.is_apply() {
            self.unfinished.remove(change.address.as_str());
        }
        self.remaining[c] = self.remaining[c].saturating_sub(1);
        if self.remaining[c] == 0
            && !self.change_failed[c]
            && !self.change_skipped[c]
        {
            self.done.push((change.address.clone(), change.action));
        }
        for i in 0..self.graph.nodes[node as usize].succs.len() {
            let succ = self.graph.nodes[node as usize].succs[i];
            let waiting = &mut self.waiting[succ as usize];
            *waiting = waiting.saturating_sub(1);
            if *waiting == 0
                && self.status[succ as usize] == Status::Waiting
                && !self.stopping
            {
                self.make_ready(succ);
            }
        }
    }

    fn fail(&mut self, node: u32, error: String) {
        self.status[node as usize] = Status::Failed;
        let (c, change) = self.change(node);
        if !self.change_failed[c] {
            self.change_failed[c] = true;
            self.failed.push((change.address.clone(), error));
        }
        if self.options.fail_fast {
            self.stopping = true;
        }
        let because = &change.address;
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            for i in 0..self.graph.nodes[n as usize].succs.len() {
                let succ = self.graph.nodes[n as usize].succs[i];
                if self.status[succ as usize] != Status::Waiting {
                    continue;
                }
                self.status[succ as usize] = Status::Skipped;
                let (sc, skipped) = self.change(succ);
                if !self.change_failed[sc] && !self.change_skipped[sc] {
                    self.change_skipped[sc] = true;
                    self.observer.event(&Event::Skipped {
                        address: skipped.address.clone(),
                        because: because.clone(),
                    });
                }
                stack.push(succ);
            }
        }
    }

    fn summary(self) -> Summary {
        let mut skipped = Vec::new();
        let mut not_started = Vec::new();
        for (c, change) in self.plan.changes.iter().enumerate() {
            if self.change_failed[c] {
                continue;
            }
            if self.change_skipped[c] {
                skipped.push(change.address.clone());
            } else if self.remaining[c] > 0 {
                not_started.push(change.address.clone());
            }
        }
        Summary {
            done: self.done,
            failed: self.failed,
            skipped,
            not_started,
            interrupted: self.interrupted,
            state: self.state,
        }
    }
}

/// Whether `json` is a secret's reference as providers receive it.
fn is_secret_marker(json: &Json) -> bool {
    json.as_object().is_some_and(|map| {
        map.len() == 1 && map.get("secret_ref").is_some_and(Json::is_string)
    })
}
