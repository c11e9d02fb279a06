//! The executor against an in-test fake provider and an in-memory store:
//! operation order, failures, retries, timeouts, limits, shutdown and the
//! journal.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use onioncloud_core::address::Address;
use onioncloud_core::engine::exec::{
    Event, ExecError, ExecOptions, RetryPolicy, Shutdown, Step, Summary,
    deposed_key, deposed_of, execute,
};
use onioncloud_core::engine::plan::{Action, Change, PLAN_FORMAT, Plan};
use onioncloud_core::engine::provider::{
    Created, Provider, ProviderError, ProviderLimits, Providers, TypeHints,
};
use onioncloud_core::engine::state::{
    Attrs, JournalEntry, PendingKind, ResourceState, StateDoc,
};
use onioncloud_core::engine::store::{LockInfo, StateStore, StoreError};
use onioncloud_core::value::{AttrRef, Value};
use serde_json::{Value as Json, json};

const TYPE: &str = "fake_thing";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------
// A fake cloud.

/// What a scripted call does instead of succeeding.
enum Scripted {
    Fail(ProviderError),
    /// Never answers (until the executor's timeout drops the call).
    Hang,
    /// Succeeds after this long.
    Slow(Duration),
}

#[derive(Default)]
struct Concurrency {
    now: usize,
    max: usize,
    by_key: HashMap<String, (usize, usize)>,
}

#[derive(Default)]
struct Fake {
    /// Objects by id: name, attributes, token.
    objects: Mutex<BTreeMap<String, (String, Attrs, String)>>,
    next: AtomicU64,
    latency: Duration,
    limits: ProviderLimits,
    /// The attribute whose value is the concurrency key.
    key_attr: Option<&'static str>,
    /// Outcomes of the next calls on an object, by name.
    script: Mutex<HashMap<String, VecDeque<Scripted>>>,
    /// Calls made, as "create a".
    calls: Mutex<Vec<String>>,
    concurrency: Mutex<Concurrency>,
}

struct InFlight<'a> {
    fake: &'a Fake,
    key: Option<String>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut c = lock(&self.fake.concurrency);
        c.now -= 1;
        if let Some(key) = &self.key
            && let Some(entry) = c.by_key.get_mut(key)
        {
            entry.0 -= 1;
        }
    }
}

impl Fake {
    fn new() -> Self {
        Self::default()
    }

    fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    fn seed(&self, id: &str, name: &str, attrs: Attrs) {
        lock(&self.objects)
            .insert(id.to_owned(), (name.to_owned(), attrs, String::new()));
    }

    fn script(&self, name: &str, outcomes: Vec<Scripted>) {
        lock(&self.script)
            .entry(name.to_owned())
            .or_default()
            .extend(outcomes);
    }

    fn calls(&self) -> Vec<String> {
        lock(&self.calls).clone()
    }

    fn max_concurrency(&self) -> usize {
        lock(&self.concurrency).max
    }

    fn max_per_key(&self) -> usize {
        lock(&self.concurrency)
            .by_key
            .values()
            .map(|(_, max)| *max)
            .max()
            .unwrap_or(0)
    }

    fn has(&self, id: &str) -> bool {
        lock(&self.objects).contains_key(id)
    }

    fn name_of(&self, id: &str) -> String {
        lock(&self.objects)
            .get(id)
            .map(|(name, _, _)| name.clone())
            .unwrap_or_else(|| format!("(gone {id})"))
    }

    fn key_of(&self, attrs: &Attrs) -> Option<String> {
        let attr = self.key_attr?;
        attrs.get(attr).and_then(Json::as_str).map(str::to_owned)
    }

    /// Records the call, counts it in flight, waits the latency, then
    /// plays the script.
    async fn call(
        &self,
        what: &str,
        name: &str,
        key: Option<String>,
    ) -> Result<InFlight<'_>, ProviderError> {
        lock(&self.calls).push(format!("{what} {name}"));
        {
            let mut c = lock(&self.concurrency);
            c.now += 1;
            c.max = c.max.max(c.now);
            if let Some(key) = &key {
                let entry = c.by_key.entry(key.clone()).or_default();
                entry.0 += 1;
                entry.1 = entry.1.max(entry.0);
            }
        }
        let guard = InFlight { fake: self, key };
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let next = lock(&self.script)
            .get_mut(name)
            .and_then(VecDeque::pop_front);
        match next {
            Some(Scripted::Fail(error)) => Err(error),
            Some(Scripted::Hang) => {
                std::future::pending::<()>().await;
                Ok(guard)
            }
            Some(Scripted::Slow(wait)) => {
                tokio::time::sleep(wait).await;
                Ok(guard)
            }
            None => Ok(guard),
        }
    }
}

fn name_in(config: &Attrs) -> String {
    config
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or("?")
        .to_owned()
}

#[async_trait]
impl Provider for Fake {
    fn hints(&self, _: &str) -> TypeHints {
        TypeHints::new()
    }

    fn limits(&self) -> ProviderLimits {
        self.limits
    }

    fn concurrency_key(&self, _: &str, config: &Attrs) -> Option<String> {
        self.key_of(config)
    }

    async fn read(
        &self,
        _: &str,
        id: &str,
    ) -> Result<Option<Attrs>, ProviderError> {
        let name = self.name_of(id);
        let _f = self.call("read", &name, None).await?;
        Ok(lock(&self.objects).get(id).map(|(_, a, _)| a.clone()))
    }

    async fn read_data(
        &self,
        _: &str,
        config: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        let name = name_in(config);
        let _f = self.call("read_data", &name, None).await?;
        let mut attrs = config.clone();
        attrs.insert("id".into(), json!(format!("data-{name}")));
        attrs.insert("value".into(), json!(format!("value of {name}")));
        Ok(attrs)
    }

    async fn create(
        &self,
        _: &str,
        config: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let name = name_in(config);
        let _f = self.call("create", &name, self.key_of(config)).await?;
        let mut objects = lock(&self.objects);
        if let Some((id, (_, attrs, _))) =
            objects.iter().find(|(_, (_, _, t))| t == token)
        {
            return Ok(Created {
                id: id.clone(),
                attributes: attrs.clone(),
            });
        }
        let id = format!("{name}-{}", self.next.fetch_add(1, Ordering::SeqCst));
        let mut attrs = config.clone();
        attrs.insert("id".into(), json!(id));
        attrs.insert("arn".into(), json!(format!("arn:{id}")));
        objects.insert(id.clone(), (name, attrs.clone(), token.to_owned()));
        Ok(Created {
            id,
            attributes: attrs,
        })
    }

    async fn update(
        &self,
        _: &str,
        id: &str,
        _prior: &Attrs,
        config: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        let name = self.name_of(id);
        let _f = self.call("update", &name, self.key_of(config)).await?;
        let mut objects = lock(&self.objects);
        let Some(object) = objects.get_mut(id) else {
            return Err(ProviderError::not_found(format!("no object {id}")));
        };
        let mut attrs = config.clone();
        attrs.insert("id".into(), json!(id));
        object.1 = attrs.clone();
        Ok(attrs)
    }

    async fn delete(&self, _: &str, id: &str) -> Result<(), ProviderError> {
        let name = self.name_of(id);
        let key = lock(&self.objects)
            .get(id)
            .and_then(|(_, attrs, _)| self.key_of(attrs));
        let _f = self.call("delete", &name, key).await?;
        lock(&self.objects).remove(id);
        Ok(())
    }

    async fn find_by_token(
        &self,
        _: &str,
        token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        Ok(lock(&self.objects)
            .iter()
            .find(|(_, (_, _, t))| t == token)
            .map(|(id, (_, attrs, _))| Created {
                id: id.clone(),
                attributes: attrs.clone(),
            }))
    }
}

// ---------------------------------------------------------------------
// An in-memory store.

struct MemStore {
    initial: StateDoc,
    journal: Mutex<Vec<JournalEntry>>,
    /// Appends from this one on fail.
    fail_from: Option<usize>,
    appends: AtomicU64,
}

impl MemStore {
    fn new(initial: &StateDoc) -> Self {
        Self {
            initial: initial.clone(),
            journal: Mutex::new(Vec::new()),
            fail_from: None,
            appends: AtomicU64::new(0),
        }
    }

    fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.journal).clone()
    }

    fn replay(&self) -> StateDoc {
        let mut state = self.initial.clone();
        for entry in lock(&self.journal).iter() {
            state.apply_entry(entry);
        }
        state
    }
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
        Ok(Some(self.replay()))
    }
    async fn append(&self, entries: &[JournalEntry]) -> Result<(), StoreError> {
        let n = self.appends.fetch_add(1, Ordering::SeqCst) as usize;
        if self.fail_from.is_some_and(|from| n >= from) {
            return Err(StoreError::Io {
                store: "memory".into(),
                action: "appending to the journal".into(),
                source: "the disk is full".into(),
            });
        }
        lock(&self.journal).extend_from_slice(entries);
        Ok(())
    }
    async fn write(&self, _: &StateDoc) -> Result<(), StoreError> {
        Ok(())
    }
}

// ---------------------------------------------------------------------
// Plans and worlds.

/// The address of a resource of the fake type; a name with a dot is an
/// address already.
fn addr(name: &str) -> String {
    if name.contains('.') {
        name.to_owned()
    } else {
        format!("{TYPE}.{name}")
    }
}

fn id_ref(name: &str) -> Value {
    Value::Ref(AttrRef {
        address: Address::managed(TYPE, name),
        attr: "id".into(),
    })
}

/// A change whose configuration names itself and refers to the id of
/// each dependency.
fn change(name: &str, action: Action, deps: &[&str]) -> Change {
    let mut config = BTreeMap::new();
    if !matches!(action, Action::Delete | Action::Forget) {
        config.insert("name".into(), Value::string(name));
        config.insert(
            "refs".into(),
            Value::List(deps.iter().map(|d| id_ref(d)).collect()),
        );
    }
    Change {
        address: addr(name),
        resource_type: TYPE.into(),
        provider: "fake".into(),
        action,
        reasons: Vec::new(),
        id: None,
        moved_from: None,
        attributes: BTreeMap::new(),
        config,
        depends_on: deps.iter().map(|d| addr(d)).collect(),
        token: matches!(action, Action::Create | Action::Replace)
            .then(|| format!("token-{name}")),
        create_before_destroy: false,
        sensitive_attributes: Vec::new(),
    }
}

fn cbd(mut change: Change) -> Change {
    change.create_before_destroy = true;
    change
}

fn plan(changes: Vec<Change>) -> Plan {
    Plan {
        format: PLAN_FORMAT,
        environment: "test".into(),
        lineage: Some("lineage".into()),
        serial: 1,
        state_hash: String::new(),
        destroy: false,
        reconcile: Vec::new(),
        refreshed: Vec::new(),
        variables: BTreeMap::new(),
        sensitive_variables: Vec::new(),
        sensitive_values: BTreeMap::new(),
        changes,
    }
}

struct World {
    fake: Arc<Fake>,
    providers: Providers,
    state: StateDoc,
}

impl World {
    fn new(fake: Fake) -> Self {
        let fake = Arc::new(fake);
        let mut providers = Providers::new();
        providers.insert("fake", fake.clone());
        let mut state = StateDoc::new("lineage");
        state.serial = 1;
        Self {
            fake,
            providers,
            state,
        }
    }

    /// An object that exists, in the cloud and the state, with id
    /// `<name>-old`.
    fn existing(&mut self, name: &str, deps: &[&str]) -> String {
        let id = format!("{name}-old");
        let mut attrs = Attrs::new();
        attrs.insert("name".into(), json!(name));
        attrs.insert("id".into(), json!(id));
        self.fake.seed(&id, name, attrs.clone());
        self.state.resources.insert(
            addr(name),
            ResourceState {
                kind: TYPE.into(),
                provider: "fake".into(),
                id: id.clone(),
                attributes: attrs,
                dependencies: deps.iter().map(|d| addr(d)).collect(),
                create_before_destroy: false,
                sensitive_attributes: Vec::new(),
            },
        );
        id
    }

    async fn run(
        &self,
        plan: &Plan,
        options: &ExecOptions,
    ) -> (Summary, Vec<Event>, MemStore) {
        let store = MemStore::new(&self.state);
        let events = Mutex::new(Vec::new());
        let observer = |e: &Event| lock(&events).push(e.clone());
        let summary = execute(
            plan,
            self.state.clone(),
            &store,
            &self.providers,
            options,
            &observer,
            &Shutdown::new(),
        )
        .await
        .expect("the store does not fail");
        check_journal(&store, &summary);
        let events = lock(&events).clone();
        (summary, events, store)
    }
}

fn quick() -> ExecOptions {
    ExecOptions {
        parallelism: 10,
        fail_fast: false,
        op_timeout: Duration::from_secs(60),
        retry: RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(1),
            max_delay: Duration::from_millis(10),
        },
    }
}

/// The store's journal replays to the summary's state, and every intent
/// is followed by a `Done` for its key unless its change failed.
fn check_journal(store: &MemStore, summary: &Summary) {
    assert_eq!(store.replay(), summary.state, "memory and store disagree");
    let journal = store.journal();
    let failed: Vec<&str> =
        summary.failed.iter().map(|(a, _)| a.as_str()).collect();
    for (i, entry) in journal.iter().enumerate() {
        let JournalEntry::Intent { address, .. } = entry else {
            continue;
        };
        let settled = journal[i + 1..].iter().any(|later| {
            matches!(later, JournalEntry::Done { address: a, .. } if a == address)
        });
        let base = deposed_of(address).unwrap_or(address);
        assert!(
            settled || failed.contains(&base),
            "the intent for {address} has no Done and {base} did not fail"
        );
        if !settled {
            assert!(summary.state.pending.contains_key(address));
        }
    }
}

/// The position of an event of `address` and `step`: its start or its
/// end.
fn at(events: &[Event], name: &str, step: Step, end: bool) -> usize {
    let address = addr(name);
    events
        .iter()
        .position(|e| match e {
            Event::Started {
                address: a,
                step: s,
                ..
            } if !end => *a == address && *s == step,
            Event::Finished {
                address: a,
                step: s,
                ..
            } if end => *a == address && *s == step,
            _ => false,
        })
        .unwrap_or_else(|| {
            panic!(
                "no {} of {step:?} {address}",
                if end { "end" } else { "start" }
            )
        })
}

/// Asserts that the first operation finished before the second started.
fn assert_before(events: &[Event], first: (&str, Step), then: (&str, Step)) {
    let end = at(events, first.0, first.1, true);
    let start = at(events, then.0, then.1, false);
    assert!(
        end < start,
        "{:?} {} should finish before {:?} {} starts; events: {events:#?}",
        first.1,
        first.0,
        then.1,
        then.0
    );
}

fn done_names(summary: &Summary) -> Vec<String> {
    let mut names: Vec<String> =
        summary.done.iter().map(|(a, _)| a.clone()).collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------
// Order.

#[tokio::test]
async fn creates_follow_dependencies_and_resolve_references() {
    let world = World::new(Fake::new().with_latency(Duration::from_millis(1)));
    // a <- b <- d, a <- c <- d, e alone.
    let plan = plan(vec![
        change("d", Action::Create, &["b", "c"]),
        change("c", Action::Create, &["a"]),
        change("b", Action::Create, &["a"]),
        change("a", Action::Create, &[]),
        change("e", Action::Create, &[]),
    ]);
    let (summary, events, _) = world.run(&plan, &quick()).await;
    assert!(summary.is_complete(), "{summary:#?}");
    assert_eq!(done_names(&summary).len(), 5);
    assert_before(&events, ("a", Step::Create), ("b", Step::Create));
    assert_before(&events, ("a", Step::Create), ("c", Step::Create));
    assert_before(&events, ("b", Step::Create), ("d", Step::Create));
    assert_before(&events, ("c", Step::Create), ("d", Step::Create));
    let a_id = &summary.state.resources[&addr("a")].id;
    let b = &summary.state.resources[&addr("b")];
    assert_eq!(b.attributes["refs"], json!([a_id]));
    assert_eq!(b.dependencies, vec![addr("a")]);
    let d = &summary.state.resources[&addr("d")];
    let ids: Vec<&String> = ["b", "c"]
        .iter()
        .map(|n| &summary.state.resources[&addr(n)].id)
        .collect();
    assert_eq!(d.attributes["refs"], json!(ids));
}

#[tokio::test]
async fn deletes_go_in_reverse_dependency_order() {
    let mut world = World::new(Fake::new());
    world.existing("vpc", &[]);
    world.existing("subnet", &["vpc"]);
    world.existing("vm", &["subnet", "vpc"]);
    world.existing("other", &[]);
    let plan = plan(vec![
        change("vpc", Action::Delete, &[]),
        change("subnet", Action::Delete, &["vpc"]),
        change("vm", Action::Delete, &["subnet", "vpc"]),
        change("other", Action::Delete, &[]),
    ]);
    let (summary, events, _) = world.run(&plan, &quick()).await;
    assert!(summary.is_complete(), "{summary:#?}");
    assert!(summary.state.resources.is_empty());
    assert_before(&events, ("vm", Step::Delete), ("subnet", Step::Delete));
    assert_before(&events, ("subnet", Step::Delete), ("vpc", Step::Delete));
    for id in ["vpc-old", "subnet-old", "vm-old", "other-old"] {
        assert!(!world.fake.has(id), "{id} still exists");
    }
}

#[tokio::test]
async fn a_deletion_waits_for_dependents_to_stop_pointing_at_it() {
    let mut world = World::new(Fake::new());
    world.existing("old_sg", &[]);
    world.existing("vm", &["old_sg"]);
    // The vm moves to a new security group and the old one is deleted.
    let mut vm = change("vm", Action::Update, &["new_sg"]);
    vm.id = Some("vm-old".into());
    let plan = plan(vec![
        change("old_sg", Action::Delete, &[]),
        change("new_sg", Action::Create, &[]),
        vm,
    ]);
    let (summary, events, _) = world.run(&plan, &quick()).await;
    assert!(summary.is_complete(), "{summary:#?}");
    assert_before(&events, ("new_sg", Step::Create), ("vm", Step::Update));
    assert_before(&events, ("vm", Step::Update), ("old_sg", Step::Delete));
    let new_sg = &summary.state.resources[&addr("new_sg")].id;
    assert_eq!(
        summary.state.resources[&addr("vm")].attributes["refs"],
        json!([new_sg])
    );
}

#[tokio::test]
async fn a_replacement_destroys_first_and_its_dependents_before_it() {
    let mut world = World::new(Fake::new());
    world.existing("x", &[]);
    world.existing("y", &["x"]);
    let mut x = change("x", Action::Replace, &[]);
    x.id = Some("x-old".into());
    let mut y = change("y", Action::Replace, &["x"]);
    y.id = Some("y-old".into());
    let plan = plan(vec![x, y]);
    let (summary, events, store) = world.run(&plan, &quick()).await;
    assert!(summary.is_complete(), "{summary:#?}");
    let (c, d) = (Step::CreateReplacement, Step::DestroyReplaced);
    assert_before(&events, ("y", d), ("x", d));
    assert_before(&events, ("x", d), ("x", c));
    assert_before(&events, ("x", c), ("y", c));
    assert_before(&events, ("y", d), ("y", c));
    assert!(!world.fake.has("x-old") && !world.fake.has("y-old"));
    let x_new = &summary.state.resources[&addr("x")];
    assert_ne!(x_new.id, "x-old");
    assert!(world.fake.has(&x_new.id));
    assert_eq!(
        summary.state.resources[&addr("y")].attributes["refs"],
        json!([x_new.id])
    );
    // No deposed objects without create_before_destroy.
    assert!(
        store
            .journal()
            .iter()
            .all(|e| !matches!(e, JournalEntry::Moved { .. }))
    );
}

#[tokio::test(start_paused = true)]
async fn create_before_destroy_creates_then_updates_dependents_then_destroys() {
    let mut world = World::new(Fake::new());
    world.existing("x", &[]);
    world.existing("y", &["x"]);
    world.existing("z", &["x"]);
    // A slow dependent: the old x must wait for it all the same.
    world
        .fake
        .script("y", vec![Scripted::Slow(Duration::from_secs(60))]);
    let mut x = cbd(change("x", Action::Replace, &[]));
    x.id = Some("x-old".into());
    let mut y = change("y", Action::Update, &["x"]);
    y.id = Some("y-old".into());
    let mut z = cbd(change("z", Action::Replace, &["x"]));
    z.id = Some("z-old".into());
    let plan = plan(vec![x, y, z]);
    let (summary, events, store) = world.run(&plan, &quick()).await;
    assert!(summary.is_complete(), "{summary:#?}");
    let (c, d) = (Step::CreateReplacement, Step::DestroyReplaced);
    assert_before(&events, ("x", c), ("y", Step::Update));
    assert_before(&events, ("x", c), ("z", c));
    assert_before(&events, ("y", Step::Update), ("x", d));
    assert_before(&events, ("z", c), ("x", d));
    assert_before(&events, ("z", c), ("z", d));
    assert_before(&events, ("z", d), ("x", d));
    // The old object was deposed while the new one was created, then
    // destroyed under the deposed key.
    let deposed = format!("{}#deposed-1", addr("x"));
    let journal = store.journal();
    let moved = journal
        .iter()
        .position(|e| {
            matches!(e, JournalEntry::Moved { from, to }
                if *from == addr("x") && *to == deposed)
        })
        .expect("the old x is deposed");
    let created = journal
        .iter()
        .position(|e| {
            matches!(e, JournalEntry::Done { address, resource: Some(_) }
                if *address == addr("x"))
        })
        .expect("the new x is recorded");
    let destroyed = journal
        .iter()
        .position(|e| {
            matches!(e, JournalEntry::Done { address, resource: None }
                if *address == deposed)
        })
        .expect("the old x is destroyed under its deposed key");
    assert!(moved < created && created < destroyed);
    assert!(!summary.state.resources.contains_key(&deposed));
    assert!(!world.fake.has("x-old"));
    let x_new = &summary.state.resources[&addr("x")].id;
    assert_eq!(
        summary.state.resources[&addr("y")].attributes["refs"],
        json!([x_new])
    );
}

#[tokio::test]
async fn a_failed_create_before_destroy_keeps_the_old_object_deposed() {
    let mut world = World::new(Fake::new());
    world.existing("x", &[]);
    // The old object answers to its own name in the fake, so that its
    // deletion fails while the new object's creation succeeds.
    if let Some(object) = lock(&world.fake.objects).get_mut("x-old") {
        object.0 = "x-old".into();
    }
    world.fake.script(
        "x-old",
        vec![Scripted::Fail(
            ProviderError::fatal("it is in use").with_code("ResourceInUse"),
        )],
    );
    let mut x = cbd(change("x", Action::Replace, &[]));
    x.id = Some("x-old".into());
    let plan = plan(vec![x]);
    let (summary, _, _) = world.run(&plan, &quick()).await;
    assert_eq!(summary.failed.len(), 1, "{summary:#?}");
    let (address, error) = &summary.failed[0];
    assert_eq!(*address, addr("x"));
    assert!(
        error.contains("destroying the replaced object of"),
        "{error}"
    );
    assert!(error.contains("ResourceInUse"), "{error}");
    // Both live objects are tracked: the new one at the address, the old
    // one under its deposed key with the deletion pending.
    let deposed = format!("{}#deposed-1", addr("x"));
    assert_eq!(summary.state.resources[&deposed].id, "x-old");
    assert_eq!(summary.state.pending[&deposed].kind, PendingKind::Delete);
    let new = &summary.state.resources[&addr("x")];
    assert!(world.fake.has(&new.id) && world.fake.has("x-old"));
    // A second deposal of the same address takes the next key.
    assert_eq!(
        deposed_key(&summary.state, &addr("x")),
        format!("{}#deposed-2", addr("x"))
    );
}

#[tokio::test]
async fn a_plan_whose_operations_form_a_cycle_is_refused_before_writing() {
    let mut world = World::new(Fake::new());
    world.existing("d", &[]);
    world.existing("x", &["d"]);
    // x creates before destroying, but depends on d, replaced the other
    // way round: no order satisfies both.
    let mut d = change("d", Action::Replace, &[]);
    d.id = Some("d-old".into());
    let mut x = cbd(change("x", Action::Replace, &["d"]));
    x.id = Some("x-old".into());
    let plan = plan(vec![d, x]);
    let store = MemStore::new(&world.state);
    let error = execute(
        &plan,
        world.state.clone(),
        &store,
        &world.providers,
        &quick(),
        &|_: &Event| {},
        &Shutdown::new(),
    )
    .await
    .expect_err("a cycle is refused");
    let ExecError::InvalidPlan { reason } = &error else {
        panic!("{error}");
    };
    assert!(reason.contains("cycle"), "{reason}");
    assert!(reason.contains(&addr("x")) && reason.contains(&addr("d")));
    assert!(store.journal().is_empty());
    assert!(world.fake.calls().is_empty());
}

#[tokio::test]
async fn a_plan_naming_an_address_twice_is_refused() {
    let world = World::new(Fake::new());
    let plan = plan(vec![
        change("a", Action::Create, &[]),
        change("a", Action::Create, &[]),
    ]);
    let store = MemStore::new(&world.state);
    let error = execute(
        &plan,
        world.state.clone(),
        &store,
        &world.providers,
        &quick(),
        &|_: &Event| {},
        &Shutdown::new(),
    )
    .await
    .expect_err("refused");
    assert!(error.to_string().contains("fake_thing.a has more than one"));
}

// ---------------------------------------------------------------------
// Failures.

#[tokio::test]
async fn a_failure_skips_dependents_and_independent_branches_finish() {
    let world = World::new(Fake::new().with_latency(Duration::from_millis(1)));
    world.fake.script(
        "a",
        vec![Scripted::Fail(
            ProviderError::fatal("quota exceeded").with_code("QuotaExceeded"),
        )],
    );
    let plan = plan(vec![
        change("a", Action::Create, &[]),
        change("b", Action::Create, &["a"]),
        change("c", Action::Create, &["b"]),
        change("d", Action::Create, &[]),
        change("e", Action::Create, &["d"]),
    ]);
    let (summary, events, _) = world.run(&plan, &quick()).await;
    assert_eq!(summary.failed.len(), 1);
    let (address, error) = &summary.failed[0];
    assert_eq!(*address, addr("a"));
    assert_eq!(
        *error,
        "creating fake_thing.a failed: quota exceeded (QuotaExceeded)"
    );
    assert_eq!(summary.skipped, vec![addr("b"), addr("c")]);
    assert_eq!(done_names(&summary), vec![addr("d"), addr("e")]);
    assert!(summary.not_started.is_empty());
    assert!(!summary.interrupted);
    for name in ["b", "c"] {
        assert!(events.contains(&Event::Skipped {
            address: addr(name),
            because: addr("a"),
        }));
    }
    // The failed create's intent stays pending for the next plan.
    assert_eq!(summary.state.pending[&addr("a")].kind, PendingKind::Create);
    assert_eq!(summary.state.pending[&addr("a")].token, "token-a");
    assert!(!world.fake.calls().iter().any(|c| c.ends_with(" b")));
}

#[tokio::test]
async fn fail_fast_starts_nothing_new_after_a_failure() {
    let world = World::new(Fake::new().with_latency(Duration::from_millis(1)));
    world
        .fake
        .script("a", vec![Scripted::Fail(ProviderError::fatal("broken"))]);
    let plan = plan(vec![
        change("a", Action::Create, &[]),
        change("b", Action::Create, &["a"]),
        change("c", Action::Create, &[]),
        change("d", Action::Create, &[]),
    ]);
    let options = ExecOptions {
        parallelism: 1,
        fail_fast: true,
        ..quick()
    };
    let (summary, _, _) = world.run(&plan, &options).await;
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(summary.skipped, vec![addr("b")]);
    assert_eq!(summary.not_started, vec![addr("c"), addr("d")]);
    assert!(summary.done.is_empty());
    assert_eq!(world.fake.calls(), vec!["create a"]);
}

#[tokio::test]
async fn an_unknown_reference_at_apply_time_is_an_error_naming_it() {
    let world = World::new(Fake::new());
    // b refers to a's id without waiting for it.
    let mut b = change("b", Action::Create, &[]);
    b.config.insert("parent".into(), id_ref("a"));
    let plan = plan(vec![change("a", Action::Create, &[]), b]);
    let (summary, _, _) = world.run(&plan, &quick()).await;
    assert_eq!(summary.failed.len(), 1);
    let (address, error) = &summary.failed[0];
    assert_eq!(*address, addr("b"));
    assert!(error.contains("fake_thing.a.id"), "{error}");
    assert!(error.contains("parent"), "{error}");
}

// ---------------------------------------------------------------------
// Retries and timeouts, in virtual time.

#[tokio::test(start_paused = true)]
async fn retries_back_off_and_honour_retry_after() {
    let world = World::new(Fake::new());
    let throttled = || {
        Scripted::Fail(ProviderError::throttled(
            "Rate exceeded",
            Some(Duration::from_secs(7)),
        ))
    };
    world.fake.script("a", vec![throttled(), throttled()]);
    let plan = plan(vec![change("a", Action::Create, &[])]);
    let start = tokio::time::Instant::now();
    let (summary, events, _) = world.run(&plan, &quick()).await;
    assert!(summary.is_complete(), "{summary:#?}");
    assert!(start.elapsed() >= Duration::from_secs(14));
    let retries: Vec<(u32, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Retrying {
                attempt,
                delay,
                error,
                ..
            } => {
                assert!(error.contains("Throttling"), "{error}");
                Some((*attempt, *delay))
            }
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[0].0, 2);
    assert_eq!(retries[1].0, 3);
    assert!(retries.iter().all(|(_, d)| *d >= Duration::from_secs(7)));
    assert_eq!(world.fake.calls().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_max_attempts_and_skip_fatal_errors() {
    let world = World::new(Fake::new());
    let transient = || Scripted::Fail(ProviderError::transient("503"));
    world
        .fake
        .script("a", vec![transient(), transient(), transient()]);
    world
        .fake
        .script("b", vec![Scripted::Fail(ProviderError::fatal("invalid"))]);
    let plan = plan(vec![
        change("a", Action::Create, &[]),
        change("b", Action::Create, &[]),
    ]);
    let (summary, _, _) = world.run(&plan, &quick()).await;
    let failed: HashMap<_, _> = summary.failed.iter().cloned().collect();
    assert!(
        failed[&addr("a")].contains("after 3 attempts"),
        "{}",
        failed[&addr("a")]
    );
    assert!(!failed[&addr("b")].contains("attempts"));
    let calls = world.fake.calls();
    assert_eq!(calls.iter().filter(|c| *c == "create a").count(), 3);
    assert_eq!(calls.iter().filter(|c| *c == "create b").count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_call_past_the_timeout_is_retried_as_transient() {
    let world = World::new(Fake::new());
    world.fake.script("a", vec![Scripted::Hang]);
    world
        .fake
        .script("b", vec![Scripted::Hang, Scripted::Hang, Scripted::Hang]);
    let plan = plan(vec![
        change("a", Action::Create, &[]),
        change("b", Action::Create, &[]),
    ]);
    let options = ExecOptions {
        op_timeout: Duration::from_secs(5),
        ..quick()
    };
    let start = tokio::time::Instant::now();
    let (summary, events, _) = world.run(&plan, &options).await;
    assert!(start.elapsed() >= Duration::from_secs(15));
    assert_eq!(done_names(&summary), vec![addr("a")]);
    assert_eq!(summary.failed.len(), 1);
    let (address, error) = &summary.failed[0];
    assert_eq!(*address, addr("b"));
    assert!(error.contains("(Timeout)"), "{error}");
    assert!(error.contains("no answer within 5s"), "{error}");
    assert!(events.iter().any(|e| matches!(e,
        Event::Retrying { address, error, .. }
            if *address == addr("a") && error.contains("Timeout"))));
}

// ---------------------------------------------------------------------
// Limits.

#[tokio::test(start_paused = true)]
async fn the_global_limit_is_never_exceeded() {
    let world = World::new(Fake::new().with_latency(Duration::from_secs(1)));
    let changes = (0..30)
        .map(|i| change(&format!("r{i}"), Action::Create, &[]))
        .collect();
    let options = ExecOptions {
        parallelism: 4,
        ..quick()
    };
    let (summary, _, _) = world.run(&plan(changes), &options).await;
    assert_eq!(summary.done.len(), 30);
    assert_eq!(world.fake.max_concurrency(), 4);
}

#[tokio::test(start_paused = true)]
async fn unlimited_parallelism_runs_everything_ready_at_once() {
    let world = World::new(Fake::new().with_latency(Duration::from_secs(1)));
    let changes = (0..50)
        .map(|i| change(&format!("r{i}"), Action::Create, &[]))
        .collect();
    let options = ExecOptions {
        parallelism: 0,
        ..quick()
    };
    let (summary, _, _) = world.run(&plan(changes), &options).await;
    assert_eq!(summary.done.len(), 50);
    assert_eq!(world.fake.max_concurrency(), 50);
}

#[tokio::test(start_paused = true)]
async fn per_config_and_per_key_limits_are_respected() {
    let fake = Fake {
        latency: Duration::from_secs(1),
        limits: ProviderLimits {
            per_config: Some(3),
            per_key: Some(1),
        },
        key_attr: Some("node"),
        ..Fake::new()
    };
    let world = World::new(fake);
    let changes = (0..12)
        .map(|i| {
            let mut c = change(&format!("vm{i}"), Action::Create, &[]);
            c.config
                .insert("node".into(), Value::string(format!("n{}", i % 4)));
            c
        })
        .collect();
    let (summary, _, _) = world.run(&plan(changes), &quick()).await;
    assert_eq!(summary.done.len(), 12);
    assert_eq!(world.fake.max_concurrency(), 3);
    assert_eq!(world.fake.max_per_key(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_configuration_slot_is_not_left_idle_behind_a_busy_key() {
    let fake = Fake {
        latency: Duration::from_secs(1),
        limits: ProviderLimits {
            per_config: Some(2),
            per_key: Some(1),
        },
        key_attr: Some("node"),
        ..Fake::new()
    };
    let world = World::new(fake);
    world
        .fake
        .script("a", vec![Scripted::Slow(Duration::from_secs(100))]);
    let on = |name: &str, node: &str| {
        let mut c = change(name, Action::Create, &[]);
        c.config.insert("node".into(), Value::string(node));
        c
    };
    // a holds n1 for long; b finishes soon; c then waits for n1, and d,
    // on n3, must take the configuration slot b left rather than wait
    // for a.
    let plan = plan(vec![
        on("a", "n1"),
        on("b", "n2"),
        on("c", "n1"),
        on("d", "n3"),
    ]);
    let (summary, events, _) = world.run(&plan, &quick()).await;
    assert!(summary.is_complete(), "{summary:#?}");
    assert_eq!(world.fake.max_concurrency(), 2);
    assert_eq!(world.fake.max_per_key(), 1);
    assert!(
        at(&events, "d", Step::Create, false)
            < at(&events, "a", Step::Create, true)
    );
    assert_before(&events, ("a", Step::Create), ("c", Step::Create));
}

#[tokio::test(start_paused = true)]
async fn an_operation_held_by_a_provider_limit_does_not_block_others() {
    let slow = Arc::new(Fake {
        latency: Duration::from_secs(10),
        limits: ProviderLimits {
            per_config: Some(1),
            per_key: None,
        },
        ..Fake::new()
    });
    let other = Arc::new(Fake::new().with_latency(Duration::from_secs(10)));
    let mut providers = Providers::new();
    providers.insert("slow", slow.clone());
    providers.insert("other", other.clone());
    let mut changes = Vec::new();
    // The limited provider's operations come first in every tie.
    for i in 0..5 {
        let mut c = change(&format!("a{i}"), Action::Create, &[]);
        c.provider = "slow".into();
        changes.push(c);
    }
    for i in 0..5 {
        let mut c = change(&format!("b{i}"), Action::Create, &[]);
        c.provider = "other".into();
        changes.push(c);
    }
    let plan = plan(changes);
    let state = StateDoc::new("lineage");
    let store = MemStore::new(&state);
    let events = Mutex::new(Vec::new());
    let observer = |e: &Event| lock(&events).push(e.clone());
    let summary = execute(
        &plan,
        state,
        &store,
        &providers,
        &quick(),
        &observer,
        &Shutdown::new(),
    )
    .await
    .expect("no store failure");
    check_journal(&store, &summary);
    assert_eq!(summary.done.len(), 10);
    assert_eq!(slow.max_concurrency(), 1);
    assert_eq!(other.max_concurrency(), 5);
    let events = lock(&events).clone();
    let first_end = events
        .iter()
        .position(|e| matches!(e, Event::Finished { .. }))
        .expect("something finished");
    for i in 0..5 {
        assert!(at(&events, &format!("b{i}"), Step::Create, false) < first_end);
    }
}

// ---------------------------------------------------------------------
// Shutdown and the store.

#[tokio::test(start_paused = true)]
async fn a_shutdown_lets_operations_under_way_finish_and_starts_nothing() {
    let world = World::new(Fake::new().with_latency(Duration::from_secs(3)));
    let plan = plan(
        (0..6)
            .map(|i| change(&format!("r{i}"), Action::Create, &[]))
            .collect(),
    );
    let store = MemStore::new(&world.state);
    let shutdown = Shutdown::new();
    let events = Mutex::new(Vec::new());
    let observer = |e: &Event| {
        lock(&events).push(e.clone());
        if matches!(e, Event::Started { .. }) {
            shutdown.request();
        }
    };
    let options = ExecOptions {
        parallelism: 2,
        ..quick()
    };
    let summary = execute(
        &plan,
        world.state.clone(),
        &store,
        &world.providers,
        &options,
        &observer,
        &shutdown,
    )
    .await
    .expect("no store failure");
    check_journal(&store, &summary);
    assert!(summary.interrupted);
    assert!(shutdown.is_requested());
    // The two started before the request was seen finished.
    assert_eq!(done_names(&summary), vec![addr("r0"), addr("r1")]);
    assert_eq!(
        summary.not_started,
        (2..6).map(|i| addr(&format!("r{i}"))).collect::<Vec<_>>()
    );
    assert!(summary.state.pending.is_empty());
    let events = lock(&events).clone();
    assert_eq!(
        events.iter().filter(|e| **e == Event::Interrupted).count(),
        1
    );
    assert_eq!(world.fake.calls().len(), 2);
}

#[tokio::test]
async fn a_shutdown_requested_before_the_start_starts_nothing() {
    let world = World::new(Fake::new());
    let plan = plan(vec![change("a", Action::Create, &[])]);
    let store = MemStore::new(&world.state);
    let shutdown = Shutdown::new();
    shutdown.clone().request();
    let summary = execute(
        &plan,
        world.state.clone(),
        &store,
        &world.providers,
        &quick(),
        &|_: &Event| {},
        &shutdown,
    )
    .await
    .expect("no store failure");
    assert!(summary.interrupted);
    assert_eq!(summary.not_started, vec![addr("a")]);
    assert!(world.fake.calls().is_empty());
}

#[tokio::test]
async fn a_journal_failure_stops_everything_and_is_an_error() {
    let world = World::new(Fake::new());
    let plan = plan(vec![
        change("a", Action::Create, &[]),
        change("b", Action::Create, &[]),
        change("c", Action::Create, &[]),
    ]);
    let store = MemStore {
        // a's intent and result are written; b's intent is not.
        fail_from: Some(2),
        ..MemStore::new(&world.state)
    };
    let options = ExecOptions {
        parallelism: 1,
        ..quick()
    };
    let error = execute(
        &plan,
        world.state.clone(),
        &store,
        &world.providers,
        &options,
        &|_: &Event| {},
        &Shutdown::new(),
    )
    .await
    .expect_err("the store failed");
    let ExecError::Journal { what, source } = &error else {
        panic!("{error}");
    };
    assert_eq!(what, "the intent of creating fake_thing.b");
    assert!(source.to_string().contains("memory"));
    // b was never called (its intent was not recorded), c never started.
    assert_eq!(world.fake.calls(), vec!["create a"]);
    assert_eq!(store.journal().len(), 2);
}

// ---------------------------------------------------------------------
// Other actions and the prelude.

#[tokio::test]
async fn import_read_and_forget() {
    let mut world = World::new(Fake::new());
    // An object that exists but is not in the state, to import.
    let mut attrs = Attrs::new();
    attrs.insert("name".into(), json!("imp"));
    world.fake.seed("imp-7", "imp", attrs);
    world.existing("gone", &[]);
    let mut import = change("imp", Action::Import, &[]);
    import.id = Some("imp-7".into());
    let mut data = change("src", Action::Read, &[]);
    data.address = "data.fake_thing.src".into();
    let mut user = change("user", Action::Create, &[]);
    user.depends_on = vec!["data.fake_thing.src".into()];
    user.config.insert(
        "from".into(),
        Value::Ref(AttrRef {
            address: Address::data(TYPE, "src"),
            attr: "value".into(),
        }),
    );
    let plan = plan(vec![
        import,
        data,
        user,
        change("gone", Action::Forget, &[]),
    ]);
    let (summary, events, store) = world.run(&plan, &quick()).await;
    assert!(summary.is_complete(), "{summary:#?}");
    let imported = &summary.state.resources[&addr("imp")];
    assert_eq!(imported.id, "imp-7");
    assert_eq!(imported.attributes["name"], json!("imp"));
    assert_eq!(
        summary.state.resources["data.fake_thing.src"].id,
        "data-src"
    );
    assert_eq!(
        summary.state.resources[&addr("user")].attributes["from"],
        json!("value of src")
    );
    assert_before(
        &events,
        ("data.fake_thing.src", Step::Read),
        ("user", Step::Create),
    );
    // Forgetting leaves the object alone.
    assert!(!summary.state.resources.contains_key(&addr("gone")));
    assert!(world.fake.has("gone-old"));
    let calls = world.fake.calls();
    assert!(calls.contains(&"read imp".to_owned()));
    assert!(calls.contains(&"update imp".to_owned()));
    assert!(!calls.iter().any(|c| c.ends_with(" gone")));
    // Neither a read nor a forget journals an intent.
    assert!(!store.journal().iter().any(|e| matches!(e,
        JournalEntry::Intent { address, .. }
            if address.starts_with("data.") || *address == addr("gone"))));
}

#[tokio::test]
async fn reconcile_entries_and_moves_are_written_first() {
    let mut world = World::new(Fake::new());
    world.existing("old_name", &[]);
    world.state.pending.insert(
        addr("lost"),
        onioncloud_core::engine::state::PendingOp {
            kind: PendingKind::Create,
            resource_type: TYPE.into(),
            provider: "fake".into(),
            token: "t".into(),
            id: None,
            started: "2024-01-01T00:00:00Z".into(),
            sensitive_attributes: Vec::new(),
        },
    );
    let mut renamed = change("new_name", Action::Update, &[]);
    renamed.moved_from = Some(addr("old_name"));
    renamed.id = Some("old_name-old".into());
    // A rename alone is a no-op, and is journalled all the same.
    world.existing("was", &[]);
    let mut only_renamed = change("now", Action::NoOp, &[]);
    only_renamed.moved_from = Some(addr("was"));
    let mut plan = plan(vec![
        renamed,
        change("b", Action::Create, &[]),
        only_renamed,
    ]);
    plan.reconcile = vec![JournalEntry::Abandoned {
        address: addr("lost"),
    }];
    let (summary, _, store) = world.run(&plan, &quick()).await;
    assert!(summary.is_complete(), "{summary:#?}");
    let journal = store.journal();
    assert_eq!(
        journal[0],
        JournalEntry::Abandoned {
            address: addr("lost")
        }
    );
    assert_eq!(
        journal[1],
        JournalEntry::Moved {
            from: addr("old_name"),
            to: addr("new_name"),
        }
    );
    assert_eq!(
        journal[2],
        JournalEntry::Moved {
            from: addr("was"),
            to: addr("now"),
        }
    );
    assert_eq!(summary.state.resources[&addr("now")].id, "was-old");
    assert!(!summary.state.resources.contains_key(&addr("was")));
    assert!(summary.state.pending.is_empty());
    assert!(!summary.state.resources.contains_key(&addr("old_name")));
    assert_eq!(
        summary.state.resources[&addr("new_name")].id,
        "old_name-old"
    );
}

// ---------------------------------------------------------------------
// Small parts.

#[test]
fn events_serialise_as_tagged_json_with_seconds() {
    let event = Event::Finished {
        address: addr("a"),
        action: Action::Create,
        step: Step::Create,
        elapsed: Duration::from_millis(1500),
    };
    assert_eq!(
        serde_json::to_value(&event).expect("serialises"),
        json!({
            "event": "finished",
            "address": "fake_thing.a",
            "action": "create",
            "step": "create",
            "elapsed": 1.5,
        })
    );
    assert_eq!(
        serde_json::to_value(Event::Interrupted).expect("serialises"),
        json!({"event": "interrupted"})
    );
}

#[test]
fn backoff_delays_stay_under_the_ceiling_and_above_retry_after() {
    let policy = RetryPolicy {
        max_attempts: 10,
        base: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
    };
    assert_eq!(policy.ceiling(1), Duration::from_millis(100));
    assert_eq!(policy.ceiling(3), Duration::from_millis(400));
    assert_eq!(policy.ceiling(10), Duration::from_secs(2));
    assert_eq!(policy.ceiling(200), Duration::from_secs(2));
    let plain = ProviderError::transient("x");
    let waited = ProviderError::throttled("x", Some(Duration::from_secs(9)));
    for attempt in 1..12 {
        assert!(policy.delay(attempt, &plain) <= policy.ceiling(attempt));
        assert!(policy.delay(attempt, &waited) >= Duration::from_secs(9));
    }
}

#[test]
fn deposed_keys_name_their_resource() {
    assert_eq!(deposed_of("aws_vpc.a#deposed-3"), Some("aws_vpc.a"));
    assert_eq!(deposed_of("aws_vpc.a"), None);
    assert_eq!(deposed_of("aws_vpc.a#deposed-"), None);
    assert_eq!(deposed_of("aws_vpc.a#deposed-x"), None);
    let state = StateDoc::new("l");
    assert_eq!(deposed_key(&state, "aws_vpc.a"), "aws_vpc.a#deposed-1");
}

#[test]
fn the_execution_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let world = World::new(Fake::new());
    let plan = plan(Vec::new());
    let store = MemStore::new(&world.state);
    let options = ExecOptions::default();
    let shutdown = Shutdown::new();
    let observer = |_: &Event| {};
    let future = execute(
        &plan,
        world.state.clone(),
        &store,
        &world.providers,
        &options,
        &observer,
        &shutdown,
    );
    assert_send(&future);
}
