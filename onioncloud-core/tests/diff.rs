//! The planner: every action, normalisation, lifecycle rules, renames,
//! secrets, determinism, reconciling and refreshing, and a property test
//! that an applied environment plans as all no-ops.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use onioncloud_core::engine::diff::{
    PlanError, PlanOptions, PlanSummary, plan, reconcile, refresh, render,
};
use onioncloud_core::engine::plan::{Action, Plan, PlanValue, secret_marker};
use onioncloud_core::engine::provider::{
    Created, Normalize, Provider, ProviderError, Providers, TypeHints,
};
use onioncloud_core::engine::state::{
    Attrs, JournalEntry, PendingKind, PendingOp, ResourceState, StateDoc,
};
use onioncloud_core::{
    Address, AttrRef, CompiledEnv, Env, GenericResource, Meta, SecretRef,
    Value, Variable, raw_expression,
};
use serde_json::{Value as Json, json};

/// A cloud of objects by id, each with the token it was created with; it
/// serves the type hints and the reads the planner needs.
#[derive(Default)]
struct FakeCloud {
    objects: Mutex<BTreeMap<String, (String, String, Attrs)>>,
}

impl FakeCloud {
    fn with(self, kind: &str, id: &str, token: &str, attrs: Json) -> Self {
        self.objects.lock().unwrap().insert(
            id.to_owned(),
            (kind.to_owned(), token.to_owned(), attrs_of(attrs)),
        );
        self
    }
}

#[async_trait]
impl Provider for FakeCloud {
    fn hints(&self, resource_type: &str) -> TypeHints {
        match resource_type {
            "test_net" => TypeHints::new()
                .force_new(["cidr_block"])
                .normalize("cidr_block", Normalize::Cidr)
                .normalize("ipv6_cidr", Normalize::Cidr)
                .normalize("policy", Normalize::JsonDocument)
                .normalize("name", Normalize::CaseInsensitive)
                .normalize("zones", Normalize::Set)
                .computed(["arn"]),
            "test_subnet" => TypeHints::new().force_new(["net_id", "cidr"]),
            "test_db" => TypeHints::new().force_new(["engine"]),
            _ => TypeHints::new(),
        }
    }

    async fn read(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Attrs>, ProviderError> {
        Ok(self
            .objects
            .lock()
            .unwrap()
            .get(id)
            .filter(|(kind, _, _)| kind == resource_type)
            .map(|(_, _, attrs)| attrs.clone()))
    }

    async fn read_data(
        &self,
        _: &str,
        _: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        Err(ProviderError::fatal("the planner never reads data sources"))
    }

    async fn create(
        &self,
        _: &str,
        _: &Attrs,
        _: &str,
    ) -> Result<Created, ProviderError> {
        Err(ProviderError::fatal("the planner never creates"))
    }

    async fn update(
        &self,
        _: &str,
        _: &str,
        _: &Attrs,
        _: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        Err(ProviderError::fatal("the planner never updates"))
    }

    async fn delete(&self, _: &str, _: &str) -> Result<(), ProviderError> {
        Err(ProviderError::fatal("the planner never deletes"))
    }

    async fn find_by_token(
        &self,
        resource_type: &str,
        token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        Ok(self
            .objects
            .lock()
            .unwrap()
            .iter()
            .find(|(_, (kind, t, _))| kind == resource_type && t == token)
            .map(|(id, (_, _, attrs))| Created {
                id: id.clone(),
                attributes: attrs.clone(),
            }))
    }
}

fn providers_with(cloud: FakeCloud) -> Providers {
    let mut providers = Providers::new();
    providers.insert("test", Arc::new(cloud));
    providers
}

fn providers() -> Providers {
    providers_with(FakeCloud::default())
}

fn attrs_of(json: Json) -> Attrs {
    match json {
        Json::Object(map) => map.into_iter().collect(),
        other => panic!("attributes must be an object, not {other}"),
    }
}

fn resource(kind: &str, id: &str, attrs: Json) -> ResourceState {
    ResourceState {
        kind: kind.to_owned(),
        provider: "test".to_owned(),
        id: id.to_owned(),
        attributes: attrs_of(attrs),
        dependencies: Vec::new(),
        create_before_destroy: false,
        sensitive_attributes: Vec::new(),
    }
}

fn state(entries: Vec<(&str, ResourceState)>) -> StateDoc {
    let mut state = StateDoc::new("lineage-1");
    state.serial = 7;
    for (address, r) in entries {
        state.resources.insert(address.to_owned(), r);
    }
    state
}

fn net() -> GenericResource {
    GenericResource::new("test_net")
        .set("cidr_block", "10.0.0.0/16")
        .set("name", "Main")
}

fn net_state() -> ResourceState {
    resource(
        "test_net",
        "net-1",
        json!({"cidr_block": "10.0.0.0/16", "name": "Main", "arn": "arn:1"}),
    )
}

fn plan_of(env: &CompiledEnv, state: &StateDoc) -> Plan {
    plan(
        env,
        state,
        "hash",
        Vec::new(),
        &providers(),
        &PlanOptions::default(),
    )
    .unwrap_or_else(|e| panic!("plan failed:\n{e}"))
}

fn plan_errors(env: &CompiledEnv, state: &StateDoc) -> Vec<String> {
    plan(
        env,
        state,
        "hash",
        Vec::new(),
        &providers(),
        &PlanOptions::default(),
    )
    .expect_err("the plan should fail")
    .0
    .iter()
    .map(ToString::to_string)
    .collect()
}

fn change<'p>(
    plan: &'p Plan,
    address: &str,
) -> &'p onioncloud_core::engine::plan::Change {
    plan.changes
        .iter()
        .find(|c| c.address == address)
        .unwrap_or_else(|| panic!("no change for {address}: {plan:#?}"))
}

fn id_ref(address: &Address, attr: &str) -> Value {
    Value::Ref(AttrRef {
        address: address.clone(),
        attr: attr.to_owned(),
    })
}

#[test]
fn creates_what_the_state_lacks() {
    let mut env = Env::new("t");
    let net = env.add("main", net());
    env.add(
        "web",
        GenericResource::new("test_subnet")
            .input::<String>("net_id", net.id())
            .set("cidr", "10.0.1.0/24"),
    );
    let env = env.compile().unwrap();
    let state = state(vec![]);
    let plan = plan_of(&env, &state);
    assert_eq!(plan.changes.len(), 2);
    let subnet = change(&plan, "test_subnet.web");
    assert_eq!(subnet.action, Action::Create);
    assert_eq!(subnet.depends_on, ["test_net.main"]);
    assert!(subnet.token.as_deref().unwrap().starts_with("oc-"));
    assert_eq!(
        subnet.attributes["net_id"].after,
        Some(PlanValue::Unknown(vec!["test_net.main.id".to_owned()]))
    );
    assert_eq!(subnet.config.len(), 2);
    assert_eq!(plan.lineage.as_deref(), Some("lineage-1"));
    assert_eq!(plan.serial, 7);
    assert_eq!(plan.state_hash, "hash");
    let text = render(&plan);
    assert!(text.contains("# test_subnet.web will be created"), "{text}");
    assert!(
        text.contains("  + resource \"test_subnet\" \"web\" {"),
        "{text}"
    );
    assert!(text.contains("+ net_id = (known after apply)"), "{text}");
    assert!(
        text.ends_with("Plan: 2 to add, 0 to change, 0 to destroy.\n"),
        "{text}"
    );
}

#[test]
fn equal_values_after_normalisation_are_no_change() {
    let mut env = Env::new("t");
    env.add(
        "main",
        GenericResource::new("test_net")
            .set("cidr_block", "10.0.0.1/16")
            .set("ipv6_cidr", "2001:DB8:0:0::/32")
            .set("policy", r#"{"b": [1, 2], "a": {"y": 1, "x": 2}}"#)
            .set("name", "MAIN")
            .set("zones", Value::from(json!(["b", "a", "b"])))
            .set("count", 1),
    );
    let env = env.compile().unwrap();
    let state = state(vec![(
        "test_net.main",
        resource(
            "test_net",
            "net-1",
            json!({
                "cidr_block": "10.0.0.0/16",
                "ipv6_cidr": "2001:db8::/32",
                "policy": "{\"a\":{\"x\":2,\"y\":1},\"b\":[1,2]}",
                "name": "main",
                "zones": ["a", "b"],
                "count": 1.0,
            }),
        ),
    )]);
    let plan = plan_of(&env, &state);
    assert_eq!(change(&plan, "test_net.main").action, Action::NoOp);
    assert!(!PlanSummary::of(&plan).has_changes());
    assert_eq!(
        render(&plan),
        "No changes. The infrastructure matches the configuration.\n"
    );
}

#[test]
fn normalisation_still_sees_real_differences() {
    let mut env = Env::new("t");
    env.add(
        "main",
        GenericResource::new("test_net")
            .set("cidr_block", "10.0.0.0/16")
            .set("policy", r#"{"b": [2, 1]}"#)
            .set("zones", Value::from(json!(["a", "c"]))),
    );
    let env = env.compile().unwrap();
    let state = state(vec![(
        "test_net.main",
        resource(
            "test_net",
            "net-1",
            json!({
                "cidr_block": "10.0.0.0/16",
                "policy": "{\"b\":[1,2]}",
                "zones": ["a", "b"],
            }),
        ),
    )]);
    let plan = plan_of(&env, &state);
    let c = change(&plan, "test_net.main");
    assert_eq!(c.action, Action::Update);
    assert_eq!(
        c.attributes.keys().collect::<Vec<_>>(),
        ["policy", "zones"],
        "{c:#?}"
    );
}

#[test]
fn a_changed_attribute_updates_in_place() {
    let mut env = Env::new("t");
    env.add(
        "main",
        net().set("tags", Value::from(json!({"env": "prod"}))),
    );
    let env = env.compile().unwrap();
    let mut prior = net_state();
    prior
        .attributes
        .insert("tags".into(), json!({"env": "staging"}));
    let state = state(vec![("test_net.main", prior)]);
    let plan = plan_of(&env, &state);
    let c = change(&plan, "test_net.main");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.id.as_deref(), Some("net-1"));
    assert_eq!(c.attributes.len(), 1);
    assert_eq!(
        c.attributes["tags"].before,
        Some(PlanValue::Known(json!({"env": "staging"})))
    );
    assert!(!c.config.is_empty());
    assert!(c.token.is_none());
    let text = render(&plan);
    assert!(text.contains("will be updated in-place"), "{text}");
    assert!(
        text.contains(r#"~ tags = {"env":"staging"} -> {"env":"prod"}"#),
        "{text}"
    );
    assert!(text.contains("Plan: 0 to add, 1 to change, 0 to destroy."));
}

#[test]
fn ignore_changes_and_computed_attributes_are_not_compared() {
    let mut env = Env::new("t");
    env.add_with(
        "main",
        net()
            .set("tags", Value::from(json!({"env": "prod"})))
            .set("arn", Value::Null),
        Meta::new().ignore_changes("tags"),
    );
    let env = env.compile().unwrap();
    let mut prior = net_state();
    prior
        .attributes
        .insert("tags".into(), json!({"by": "hand"}));
    prior.attributes.insert("arn".into(), json!("arn:computed"));
    let state = state(vec![("test_net.main", prior)]);
    let plan = plan_of(&env, &state);
    assert_eq!(change(&plan, "test_net.main").action, Action::NoOp);
}

/// An attribute the cloud computes when it is left out is compared like
/// any other when the configuration sets it.
#[test]
fn a_configured_computed_attribute_is_compared() {
    let mut env = Env::new("t");
    env.add("main", net().set("arn", "arn:desired"));
    let env = env.compile().unwrap();
    let mut prior = net_state();
    prior.attributes.insert("arn".into(), json!("arn:computed"));
    let state = state(vec![("test_net.main", prior)]);
    let plan = plan_of(&env, &state);
    let c = change(&plan, "test_net.main");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.attributes.keys().collect::<Vec<_>>(), ["arn"]);
}

#[test]
fn an_ignored_attribute_keeps_the_objects_value_in_an_update() {
    let mut env = Env::new("t");
    env.add_with(
        "main",
        net()
            .set("tags", Value::from(json!({"env": "prod"})))
            .set("size", 2),
        Meta::new().ignore_changes("tags"),
    );
    let env = env.compile().unwrap();
    let mut prior = net_state();
    prior
        .attributes
        .insert("tags".into(), json!({"by": "hand"}));
    prior.attributes.insert("size".into(), json!(1));
    let state = state(vec![("test_net.main", prior)]);
    let plan = plan_of(&env, &state);
    let c = change(&plan, "test_net.main");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.attributes.keys().collect::<Vec<_>>(), ["size"]);
    assert_eq!(c.config["tags"], Value::from(json!({"by": "hand"})));
}

#[test]
fn a_changed_force_new_attribute_replaces() {
    let mut env = Env::new("t");
    env.add("main", net().set("cidr_block", "10.1.0.0/16"));
    let env = env.compile().unwrap();
    let state = state(vec![("test_net.main", net_state())]);
    let plan = plan_of(&env, &state);
    let c = change(&plan, "test_net.main");
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.reasons, ["cidr_block"]);
    assert!(c.attributes["cidr_block"].forces_replacement);
    assert!(c.token.is_some());
    assert!(!c.create_before_destroy);
    let text = render(&plan);
    assert!(
        text.contains(
            "# test_net.main will be replaced (because cidr_block forces \
             replacement)"
        ),
        "{text}"
    );
    assert!(
        text.contains("-/+ resource \"test_net\" \"main\""),
        "{text}"
    );
    assert!(
        text.contains(
            r#"~ cidr_block = "10.0.0.0/16" -> "10.1.0.0/16" # forces replacement"#
        ),
        "{text}"
    );
    assert!(text.contains("Plan: 1 to add, 0 to change, 1 to destroy."));
}

#[test]
fn an_unknown_value_on_a_force_new_attribute_replaces() {
    let mut env = Env::new("t");
    let net = env.add("main", net().set("cidr_block", "10.1.0.0/16"));
    env.add(
        "web",
        GenericResource::new("test_subnet")
            .input::<String>("net_id", net.id())
            .input::<String>("label", net.attr("name"))
            .set("cidr", "10.1.1.0/24"),
    );
    env.add(
        "tagged",
        GenericResource::new("test_tag").input::<String>("net", net.id()),
    );
    let env = env.compile().unwrap();
    let state = state(vec![
        ("test_net.main", net_state()),
        (
            "test_subnet.web",
            resource(
                "test_subnet",
                "sub-1",
                json!({"net_id": "net-1", "label": "Main", "cidr": "10.1.1.0/24"}),
            ),
        ),
        (
            "test_tag.tagged",
            resource("test_tag", "tag-1", json!({"net": "net-1"})),
        ),
    ]);
    let plan = plan_of(&env, &state);
    let subnet = change(&plan, "test_subnet.web");
    assert_eq!(subnet.action, Action::Replace);
    assert_eq!(
        subnet.reasons,
        ["net_id is known only after apply and forces replacement"]
    );
    assert_eq!(
        subnet.attributes["net_id"].after,
        Some(PlanValue::Unknown(vec!["test_net.main.id".to_owned()]))
    );
    // Not forcing replacement, an unknown value is an update.
    let tag = change(&plan, "test_tag.tagged");
    assert_eq!(tag.action, Action::Update);
    assert!(tag.reasons.is_empty());
    let text = render(&plan);
    assert!(
        text.contains(
            "will be replaced (because net_id is known only after apply \
             and forces replacement)"
        ),
        "{text}"
    );
}

#[test]
fn references_to_an_updated_resource_see_its_new_values() {
    let mut env = Env::new("t");
    let net = env.add("main", net().set("size", 2));
    env.add(
        "copy",
        GenericResource::new("test_tag").input::<i64>("size", net.attr("size")),
    );
    env.add(
        "id",
        GenericResource::new("test_tag").input::<String>("net", net.id()),
    );
    let env = env.compile().unwrap();
    let mut prior = net_state();
    prior.attributes.insert("size".into(), json!(1));
    let state = state(vec![
        ("test_net.main", prior),
        (
            "test_tag.copy",
            resource("test_tag", "t-1", json!({"size": 1})),
        ),
        (
            "test_tag.id",
            resource("test_tag", "t-2", json!({"net": "net-1"})),
        ),
    ]);
    let plan = plan_of(&env, &state);
    assert_eq!(change(&plan, "test_net.main").action, Action::Update);
    let copy = change(&plan, "test_tag.copy");
    assert_eq!(copy.action, Action::Update);
    assert_eq!(
        copy.attributes["size"].after,
        Some(PlanValue::Known(json!(2)))
    );
    // The id (not in the attributes) is known, and unchanged.
    assert_eq!(change(&plan, "test_tag.id").action, Action::NoOp);
}

#[test]
fn undeclared_resources_are_deleted_and_data_sources_dropped() {
    let mut env = Env::new("t");
    env.add("main", net());
    let env = env.compile().unwrap();
    let mut old =
        resource("test_subnet", "sub-1", json!({"cidr": "10.0.9.0/24"}));
    old.dependencies = vec!["test_net.main".into()];
    let state = state(vec![
        ("test_net.main", net_state()),
        ("test_subnet.old", old),
        (
            "data.test_image.ubuntu",
            resource("test_image", "img", json!({})),
        ),
    ]);
    let plan = plan_of(&env, &state);
    assert_eq!(plan.changes.len(), 2, "{:#?}", plan.changes);
    let c = change(&plan, "test_subnet.old");
    assert_eq!(c.action, Action::Delete);
    assert_eq!(c.depends_on, ["test_net.main"]);
    assert_eq!(c.id.as_deref(), Some("sub-1"));
    assert!(c.config.is_empty());
    assert_eq!(
        c.attributes["cidr"].before,
        Some(PlanValue::Known(json!("10.0.9.0/24")))
    );
    let text = render(&plan);
    assert!(
        text.contains("# test_subnet.old will be destroyed"),
        "{text}"
    );
    assert!(text.contains(r#"- cidr = "10.0.9.0/24""#), "{text}");
    assert!(text.contains("Plan: 0 to add, 0 to change, 1 to destroy."));
}

#[test]
fn data_sources_are_read_and_shown_only_when_deferred() {
    let mut env = Env::new("t");
    let image = env.data(
        "ubuntu",
        GenericResource::new("test_image").set("name", "ubuntu-24.04"),
    );
    env.add(
        "vm",
        GenericResource::new("test_vm").input::<String>("image", image.id()),
    );
    let env = env.compile().unwrap();
    // Read before: its values are known and nothing changes.
    let settled = state(vec![
        (
            "data.test_image.ubuntu",
            resource("test_image", "img-1", json!({"name": "ubuntu-24.04"})),
        ),
        (
            "test_vm.vm",
            resource("test_vm", "vm-1", json!({"image": "img-1"})),
        ),
    ]);
    let plan = plan_of(&env, &settled);
    let read = change(&plan, "data.test_image.ubuntu");
    assert_eq!(read.action, Action::Read);
    assert!(read.reasons.is_empty());
    assert_eq!(change(&plan, "test_vm.vm").action, Action::NoOp);
    assert_eq!(
        render(&plan),
        "No changes. The infrastructure matches the configuration.\n"
    );
    // Never read: read during apply, and what uses it waits.
    let fresh = state(vec![]);
    let plan = plan_of(&env, &fresh);
    let read = change(&plan, "data.test_image.ubuntu");
    assert_eq!(read.action, Action::Read);
    let text = render(&plan);
    assert!(
        text.contains("# data.test_image.ubuntu will be read during apply"),
        "{text}"
    );
    assert!(
        text.contains(" <= data \"test_image\" \"ubuntu\" {"),
        "{text}"
    );
}

#[test]
fn prevent_destroy_refuses_a_replacement_naming_the_line() {
    let mut env = Env::new("t");
    let line = line!() + 1;
    env.add_with(
        "main",
        net().set("cidr_block", "10.9.0.0/16"),
        Meta::new().prevent_destroy(),
    );
    let env = env.compile().unwrap();
    let state = state(vec![("test_net.main", net_state())]);
    let errors = plan_errors(&env, &state);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!(
            "test_net.main (declared at {}:{line}) has prevent_destroy set, \
             but this plan would replace it",
            file!()
        )),
        "{}",
        errors[0]
    );
}

#[test]
fn prevent_destroy_refuses_a_destroy_plan() {
    let mut env = Env::new("t");
    let line = line!() + 1;
    env.add_with("main", net(), Meta::new().prevent_destroy());
    let env = env.compile().unwrap();
    let state = state(vec![("test_net.main", net_state())]);
    let options = PlanOptions {
        destroy: true,
        ..PlanOptions::default()
    };
    let errors = plan(&env, &state, "h", Vec::new(), &providers(), &options)
        .unwrap_err()
        .to_string();
    assert!(
        errors.contains(&format!("{}:{line}) has prevent_destroy", file!()))
            && errors.contains("would destroy it"),
        "{errors}"
    );
}

#[test]
fn create_before_destroy_spreads_to_replaced_dependencies() {
    let mut env = Env::new("t");
    let net = env.add("main", net().set("cidr_block", "10.1.0.0/16"));
    env.add_with(
        "web",
        GenericResource::new("test_subnet")
            .input::<String>("net_id", net.id())
            .set("cidr", "10.1.1.0/24"),
        Meta::new().create_before_destroy(),
    );
    let other = env.add(
        "other",
        GenericResource::new("test_db").set("engine", "pg16"),
    );
    env.add(
        "plain",
        GenericResource::new("test_subnet")
            .input::<String>("net_id", other.id())
            .set("cidr", "10.2.0.0/24"),
    );
    let env = env.compile().unwrap();
    let state = state(vec![
        ("test_net.main", net_state()),
        (
            "test_subnet.web",
            resource(
                "test_subnet",
                "s-1",
                json!({"net_id": "net-1", "cidr": "10.1.1.0/24"}),
            ),
        ),
        (
            "test_db.other",
            resource("test_db", "db-1", json!({"engine": "pg15"})),
        ),
        (
            "test_subnet.plain",
            resource(
                "test_subnet",
                "s-2",
                json!({"net_id": "db-1", "cidr": "10.2.0.0/24"}),
            ),
        ),
    ]);
    let plan = plan_of(&env, &state);
    let web = change(&plan, "test_subnet.web");
    assert_eq!(web.action, Action::Replace);
    assert!(web.create_before_destroy);
    let main = change(&plan, "test_net.main");
    assert_eq!(main.action, Action::Replace);
    assert!(main.create_before_destroy, "the rule spreads to main");
    // No create-before-destroy resource depends on these.
    assert_eq!(change(&plan, "test_db.other").action, Action::Replace);
    assert!(!change(&plan, "test_db.other").create_before_destroy);
    assert!(!change(&plan, "test_subnet.plain").create_before_destroy);
    let text = render(&plan);
    assert!(
        text.contains("+/- resource \"test_net\" \"main\""),
        "{text}"
    );
}

#[test]
fn moved_resources_keep_their_object() {
    let mut env = Env::new("t");
    let net = env.add("primary", net());
    env.moved(Address::managed("test_net", "main"), &net);
    let env = env.compile().unwrap();
    let state = state(vec![("test_net.main", net_state())]);
    let plan = plan_of(&env, &state);
    assert_eq!(plan.changes.len(), 1, "{:#?}", plan.changes);
    let c = change(&plan, "test_net.primary");
    assert_eq!(c.action, Action::NoOp);
    assert_eq!(c.moved_from.as_deref(), Some("test_net.main"));
    assert_eq!(c.id.as_deref(), Some("net-1"));
    let text = render(&plan);
    assert!(
        text.contains("# test_net.primary has moved from test_net.main"),
        "{text}"
    );
    assert!(PlanSummary::of(&plan).has_changes());
}

#[test]
fn a_move_onto_an_address_in_the_state_is_refused() {
    let mut env = Env::new("t");
    let net = env.add("primary", net());
    let line = line!() + 1;
    env.moved(Address::managed("test_net", "main"), &net);
    let env = env.compile().unwrap();
    let state = state(vec![
        ("test_net.main", net_state()),
        ("test_net.primary", net_state()),
    ]);
    let errors = plan_errors(&env, &state);
    assert_eq!(
        errors,
        [format!(
            "moved from test_net.main to test_net.primary (at {}:{line}): \
             the state holds both addresses, so the rename cannot be \
             applied; forget one of them (with `removed`) or drop the \
             `moved`",
            file!()
        )]
    );
}

/// A chain of renames kept as history (`main` to `middle`, then `middle`
/// to `primary`) moves a state at any point of it to the end.
#[test]
fn chained_renames_are_followed() {
    let mut env = Env::new("t");
    let net = env.add("primary", net());
    let middle = Address::managed("test_net", "middle");
    env.moved(middle.clone(), &net);
    env.moved(Address::managed("test_net", "main"), &middle);
    let env = env.compile().unwrap();
    for old in ["test_net.main", "test_net.middle"] {
        let plan = plan_of(&env, &state(vec![(old, net_state())]));
        assert_eq!(plan.changes.len(), 1, "{:#?}", plan.changes);
        let c = change(&plan, "test_net.primary");
        assert_eq!(c.action, Action::NoOp);
        assert_eq!(c.moved_from.as_deref(), Some(old));
    }
}

#[test]
fn removed_resources_are_forgotten() {
    let mut env = Env::new("t");
    env.removed(Address::managed("test_net", "main"));
    let env = env.compile().unwrap();
    let state = state(vec![("test_net.main", net_state())]);
    let plan = plan_of(&env, &state);
    let c = change(&plan, "test_net.main");
    assert_eq!(c.action, Action::Forget);
    let text = render(&plan);
    assert!(
        text.contains(
            "# test_net.main will be forgotten (removed from the state, the \
             object is kept)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "Plan: 0 to add, 0 to change, 0 to destroy, 1 to forget."
        ),
        "{text}"
    );
}

#[test]
fn imports_adopt_an_object_by_id() {
    let mut env = Env::new("t");
    let net = env.add("main", net());
    env.import(&net, "net-42");
    let env = env.compile().unwrap();
    let plan = plan_of(&env, &state(vec![]));
    let c = change(&plan, "test_net.main");
    assert_eq!(c.action, Action::Import);
    assert_eq!(c.id.as_deref(), Some("net-42"));
    assert!(c.token.is_none());
    assert_eq!(c.config.len(), 2);
    let text = render(&plan);
    assert!(text.contains("# test_net.main will be imported (id net-42)"));
    assert!(
        text.contains(
            "Plan: 0 to add, 0 to change, 0 to destroy, 1 to import."
        ),
        "{text}"
    );
    // Once in the state, the import does nothing.
    let plan = plan_of(&env, &state(vec![("test_net.main", net_state())]));
    assert_eq!(change(&plan, "test_net.main").action, Action::NoOp);
}

#[test]
fn an_import_of_an_object_managed_elsewhere_is_refused() {
    let mut env = Env::new("t");
    env.add("main", net());
    let other = env.add("other", net());
    env.import(&other, "net-1");
    let env = env.compile().unwrap();
    let state = state(vec![("test_net.main", net_state())]);
    let err = plan(
        &env,
        &state,
        "hash",
        Vec::new(),
        &providers(),
        &PlanOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "import into test_net.other (at onioncloud-core/tests/diff.rs:"
        ) && err.contains("already managed as test_net.main"),
        "{err}"
    );
}

#[test]
fn a_destroy_plan_deletes_every_managed_resource() {
    let mut env = Env::new("t");
    let net = env.add("main", net());
    env.add(
        "web",
        GenericResource::new("test_subnet").input::<String>("net_id", net.id()),
    );
    let image =
        env.data("img", GenericResource::new("test_image").set("name", "x"));
    env.add(
        "vm",
        GenericResource::new("test_vm").input::<String>("image", image.id()),
    );
    let env = env.compile().unwrap();
    let state = state(vec![
        ("test_net.main", net_state()),
        (
            "test_subnet.web",
            resource("test_subnet", "s-1", json!({"net_id": "net-1"})),
        ),
        (
            "data.test_image.img",
            resource("test_image", "i-1", json!({"name": "x"})),
        ),
        ("test_other.gone", resource("test_other", "o-1", json!({}))),
    ]);
    let options = PlanOptions {
        destroy: true,
        ..PlanOptions::default()
    };
    let plan =
        plan(&env, &state, "h", Vec::new(), &providers(), &options).unwrap();
    assert!(plan.destroy);
    let actions: Vec<(&str, Action)> = plan
        .changes
        .iter()
        .map(|c| (c.address.as_str(), c.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("test_net.main", Action::Delete),
            ("test_other.gone", Action::Delete),
            ("test_subnet.web", Action::Delete),
        ]
    );
    // The environment's order holds even though the state recorded none.
    assert_eq!(
        change(&plan, "test_subnet.web").depends_on,
        ["test_net.main"]
    );
    assert!(
        render(&plan).contains("Plan: 0 to add, 0 to change, 3 to destroy.")
    );
}

#[test]
fn secrets_never_reach_the_plan_or_its_text() {
    let mut env = Env::new("t");
    let secret = SecretRef::aws("prod/db");
    env.add(
        "main",
        GenericResource::new("test_db")
            .input("password", &secret)
            .set("engine", "pg16")
            .set("size", 2)
            .set("settings", Value::from(json!({"user": "app"}))),
    );
    let env = env.compile().unwrap();
    let state = state(vec![
        (
            "test_db.main",
            resource(
                "test_db",
                "db-1",
                json!({
                    "password": secret_marker(&secret),
                    "engine": "pg16",
                    "size": 1,
                    "settings": {"user": "root", "db_passphrase": "pa55-SECRET"},
                    "master_token": "tok-SECRET",
                }),
            ),
        ),
        (
            "test_db.old",
            resource(
                "test_db",
                "db-0",
                json!({"api_key": "key-SECRET", "engine": "pg15"}),
            ),
        ),
    ]);
    let plan = plan_of(&env, &state);
    let c = change(&plan, "test_db.main");
    assert_eq!(c.action, Action::Update);
    assert!(
        !c.attributes.contains_key("password"),
        "the marker in the state equals the desired one"
    );
    let json = serde_json::to_string(&plan).unwrap();
    let text = render(&plan);
    for leaked in ["pa55-SECRET", "tok-SECRET", "key-SECRET"] {
        assert!(!json.contains(leaked), "{leaked} in {json}");
        assert!(!text.contains(leaked), "{leaked} in {text}");
    }
    assert!(text.contains("- api_key = (sensitive value)"), "{text}");
    assert!(
        text.contains("\"db_passphrase\":\"(sensitive value)\""),
        "{text}"
    );

    // A new secret shows as its reference.
    let state = state_without_password(state);
    let plan = plan_of(&env, &state);
    let text = render(&plan);
    assert!(
        text.contains("+ password = (secret aws-secrets-manager:prod/db)"),
        "{text}"
    );
}

fn state_without_password(mut state: StateDoc) -> StateDoc {
    state
        .resources
        .get_mut("test_db.main")
        .unwrap()
        .attributes
        .remove("password");
    state
}

#[test]
fn unresolvable_values_name_the_resource_attribute_and_line() {
    let mut env = Env::new("t");
    let net = env.add("main", net());
    let zone = env.variable("zone", Variable::<String>::new());
    let line = line!() + 1;
    env.add(
        "web",
        GenericResource::new("test_subnet")
            .input::<String>("expr", raw_expression::<String>("upper(\"x\")"))
            .input::<String>("zone", zone)
            .input::<String>("missing", net.attr("nope")),
    );
    let env = env.compile().unwrap();
    let state = state(vec![("test_net.main", net_state())]);
    let errors = plan_errors(&env, &state);
    let at = format!("test_subnet.web (declared at {}:{line})", file!());
    assert_eq!(
        errors,
        [
            format!(
                "{at}: `expr`: the raw expression \"upper(\\\"x\\\")\" can \
                 only be evaluated by Terraform; the engine cannot apply it"
            ),
            format!(
                "{at}: `missing`: test_net.main.nope does not exist: the \
                 resource has no such attribute"
            ),
            format!("{at}: `zone`: variable zone has no value"),
        ]
    );
}

#[test]
fn variables_take_defaults_and_given_values() {
    let mut env = Env::new("t");
    let zone =
        env.variable("zone", Variable::<String>::new().default_value("a"));
    let size = env.variable("size", Variable::<i64>::new());
    env.add(
        "main",
        GenericResource::new("test_vm")
            .input::<String>("zone", zone)
            .input::<i64>("size", size),
    );
    let env = env.compile().unwrap();
    let state = state(vec![(
        "test_vm.main",
        resource("test_vm", "vm-1", json!({"zone": "a", "size": 3})),
    )]);
    let options = PlanOptions {
        destroy: false,
        variables: BTreeMap::from([("size".to_owned(), json!(3))]),
        ..PlanOptions::default()
    };
    let planned =
        plan(&env, &state, "h", Vec::new(), &providers(), &options).unwrap();
    assert_eq!(change(&planned, "test_vm.main").action, Action::NoOp);
    assert_eq!(planned.variables["zone"], json!("a"));
    assert_eq!(planned.variables["size"], json!(3));

    let options = PlanOptions {
        destroy: false,
        variables: BTreeMap::from([("sise".to_owned(), json!(3))]),
        ..PlanOptions::default()
    };
    let errors = plan(&env, &state, "h", Vec::new(), &providers(), &options)
        .unwrap_err();
    assert!(errors.0.contains(&PlanError::UndeclaredVariable {
        name: "sise".into()
    }));
}

#[test]
fn plans_are_deterministic() {
    let build = || {
        let mut env = Env::new("t");
        let net = env.add("main", net().set("cidr_block", "10.5.0.0/16"));
        for i in 0..20 {
            env.add(
                format!("s{i}"),
                GenericResource::new("test_subnet")
                    .input::<String>("net_id", net.id())
                    .set("cidr", format!("10.5.{i}.0/24")),
            );
        }
        env.compile().unwrap()
    };
    let state = state(vec![
        ("test_net.main", net_state()),
        ("test_old.a", resource("test_old", "a", json!({"x": 1}))),
    ]);
    let first = serde_json::to_string(&plan_of(&build(), &state)).unwrap();
    let second = serde_json::to_string(&plan_of(&build(), &state)).unwrap();
    assert_eq!(first, second);
}

fn pending(
    kind: PendingKind,
    resource_type: &str,
    id: Option<&str>,
) -> PendingOp {
    PendingOp {
        kind,
        resource_type: resource_type.to_owned(),
        provider: "test".to_owned(),
        token: format!("tok-{resource_type}"),
        id: id.map(str::to_owned),
        started: "2026-01-01T00:00:00Z".to_owned(),
        sensitive_attributes: Vec::new(),
    }
}

#[tokio::test]
async fn reconcile_adopts_reads_and_abandons() {
    let cloud = FakeCloud::default()
        .with("test_net", "net-9", "tok-test_net", json!({"name": "n"}))
        .with("test_vm", "vm-1", "other", json!({"size": 4}))
        .with("test_db", "db-1", "other", json!({}));
    let providers = providers_with(cloud);
    let mut state = state(vec![
        ("test_vm.a", resource("test_vm", "vm-1", json!({"size": 2}))),
        ("test_db.gone", resource("test_db", "db-0", json!({}))),
    ]);
    state.pending.insert(
        "test_net.adopt".into(),
        pending(PendingKind::Create, "test_net", None),
    );
    state.pending.insert(
        "test_subnet.never".into(),
        pending(PendingKind::Create, "test_subnet", None),
    );
    state.pending.insert(
        "test_vm.a".into(),
        pending(PendingKind::Update, "test_vm", Some("vm-1")),
    );
    state.pending.insert(
        "test_db.gone".into(),
        pending(PendingKind::Delete, "test_db", Some("db-0")),
    );
    state.pending.insert(
        "test_db.kept".into(),
        pending(PendingKind::Delete, "test_db", Some("db-1")),
    );
    let entries = reconcile(&state, &providers).await.unwrap();
    let adopted = resource("test_net", "net-9", json!({"name": "n"}));
    assert_eq!(
        entries,
        [
            JournalEntry::Done {
                address: "test_db.gone".into(),
                resource: None
            },
            JournalEntry::Abandoned {
                address: "test_db.kept".into()
            },
            JournalEntry::Done {
                address: "test_net.adopt".into(),
                resource: Some(adopted)
            },
            JournalEntry::Abandoned {
                address: "test_subnet.never".into()
            },
            JournalEntry::Done {
                address: "test_vm.a".into(),
                resource: Some(resource("test_vm", "vm-1", json!({"size": 4})))
            },
        ]
    );
    for entry in &entries {
        state.apply_entry(entry);
    }
    assert!(state.pending.is_empty());

    // The plan carries the entries and shows them.
    let mut env = Env::new("t");
    env.add("adopt", GenericResource::new("test_net").set("name", "n"));
    env.add("a", GenericResource::new("test_vm").set("size", 4));
    let env = env.compile().unwrap();
    let plan = plan(
        &env,
        &state,
        "h",
        entries,
        &providers,
        &PlanOptions::default(),
    )
    .unwrap();
    assert!(plan.changes.iter().all(|c| c.action == Action::NoOp));
    let text = render(&plan);
    assert!(
        text.contains(
            "adopting test_net.adopt (object net-9 created or changed by an \
             earlier apply that did not record it)"
        ),
        "{text}"
    );
    assert!(text.contains("No changes."), "{text}");
}

#[test]
fn a_state_with_pending_operations_is_not_planned() {
    let mut env = Env::new("t");
    env.add("main", net());
    let env = env.compile().unwrap();
    let mut state = state(vec![]);
    state.pending.insert(
        "test_net.main".into(),
        pending(PendingKind::Create, "test_net", None),
    );
    assert_eq!(
        plan_errors(&env, &state),
        [
            "the state has operations pending from an interrupted apply on \
          test_net.main; settle them with reconcile before planning"
        ]
    );
}

#[tokio::test]
async fn reconcile_names_a_missing_provider() {
    let mut state = state(vec![]);
    let mut op = pending(PendingKind::Create, "aws_vpc", None);
    op.provider = "aws".into();
    state.pending.insert("aws_vpc.main".into(), op);
    let error = reconcile(&state, &providers()).await.unwrap_err();
    assert_eq!(error.address, "aws_vpc.main");
    assert!(error.to_string().contains("\"aws\""), "{error}");
}

#[tokio::test]
async fn refresh_reports_drift_and_gone_objects() {
    let cloud = FakeCloud::default()
        .with("test_vm", "vm-1", "t", json!({"size": 2}))
        .with("test_vm", "vm-2", "t", json!({"size": 8}));
    let providers = providers_with(cloud);
    let state = state(vec![
        (
            "test_vm.same",
            resource("test_vm", "vm-1", json!({"size": 2})),
        ),
        (
            "test_vm.drift",
            resource("test_vm", "vm-2", json!({"size": 4})),
        ),
        (
            "test_vm.gone",
            resource("test_vm", "vm-3", json!({"size": 1})),
        ),
        ("data.test_image.x", resource("test_image", "i", json!({}))),
    ]);
    for parallelism in [0, 1, 3] {
        let entries = refresh(&state, &providers, parallelism).await.unwrap();
        assert_eq!(
            entries,
            [
                JournalEntry::Done {
                    address: "test_vm.drift".into(),
                    resource: Some(resource(
                        "test_vm",
                        "vm-2",
                        json!({"size": 8})
                    )),
                },
                JournalEntry::Done {
                    address: "test_vm.gone".into(),
                    resource: None
                },
            ]
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// One generated resource: a name, a size, and maybe a reference to an
    /// earlier resource's id or name.
    #[derive(Clone, Debug)]
    struct Item {
        name: String,
        size: i64,
        parent: Option<(usize, bool)>,
    }

    fn items() -> impl Strategy<Value = Vec<Item>> {
        prop::collection::vec(
            ("[a-z]{1,6}", 0i64..100, any::<Option<(usize, bool)>>()),
            1..12,
        )
        .prop_map(|raw| {
            raw.into_iter()
                .enumerate()
                .map(|(i, (name, size, parent))| Item {
                    name,
                    size,
                    parent: parent
                        .filter(|_| i > 0)
                        .map(|(j, by_id)| (j % i, by_id)),
                })
                .collect()
        })
    }

    fn address(i: usize) -> Address {
        Address::managed("test_item", format!("r{i}"))
    }

    fn environment(items: &[Item]) -> CompiledEnv {
        let mut env = Env::new("p");
        for (i, item) in items.iter().enumerate() {
            let mut r = GenericResource::new("test_item")
                .set("name", item.name.as_str())
                .set("size", item.size);
            if let Some((j, by_id)) = item.parent {
                r = r.set(
                    "parent",
                    id_ref(&address(j), if by_id { "id" } else { "name" }),
                );
            }
            env.add(format!("r{i}"), r);
        }
        env.compile().unwrap()
    }

    /// The state an apply of the environment leaves.
    fn applied(items: &[Item]) -> StateDoc {
        let mut state = StateDoc::new("prop");
        for (i, item) in items.iter().enumerate() {
            let mut attrs = attrs_of(json!({
                "name": item.name, "size": item.size, "id": format!("id-{i}")
            }));
            if let Some((j, by_id)) = item.parent {
                let parent = &state.resources[&address(j).to_string()];
                let key = if by_id { "id" } else { "name" };
                attrs.insert("parent".into(), parent.attributes[key].clone());
            }
            state.resources.insert(
                address(i).to_string(),
                ResourceState {
                    kind: "test_item".into(),
                    provider: "test".into(),
                    id: format!("id-{i}"),
                    attributes: attrs,
                    dependencies: Vec::new(),
                    create_before_destroy: false,
                    sensitive_attributes: Vec::new(),
                },
            );
        }
        state
    }

    proptest! {
        #[test]
        fn an_applied_environment_plans_no_change(
            items in items(),
            pick in any::<prop::sample::Index>(),
            attribute in 0usize..3,
        ) {
            let env = environment(&items);
            let state = applied(&items);
            let plan = plan_of(&env, &state);
            prop_assert_eq!(plan.changes.len(), items.len());
            prop_assert!(plan.changes.iter().all(|c| c.action == Action::NoOp));

            // Drift on one attribute is exactly one change.
            let k = pick.index(items.len());
            let key = match attribute {
                0 => "name",
                1 => "size",
                _ if items[k].parent.is_some() => "parent",
                _ => "size",
            };
            let mut drifted = state.clone();
            drifted
                .resources
                .get_mut(&address(k).to_string())
                .unwrap()
                .attributes
                .insert(key.to_owned(), json!("drifted"));
            let plan = plan_of(&env, &drifted);
            let changed: Vec<_> = plan
                .changes
                .iter()
                .filter(|c| c.action != Action::NoOp)
                .collect();
            prop_assert_eq!(changed.len(), 1);
            prop_assert_eq!(&changed[0].address, &address(k).to_string());
            prop_assert_eq!(changed[0].action, Action::Update);
            prop_assert_eq!(
                changed[0].attributes.keys().collect::<Vec<_>>(),
                vec![key]
            );
        }
    }
}
