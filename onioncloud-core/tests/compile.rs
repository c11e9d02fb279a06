//! One test per compile error, asserting the message, and the escaping and
//! layout rules of the Terraform JSON synthesis.

use onioncloud_core::{
    Address, Backend, CompileError, Env, GenericResource, Meta, Output,
    ProviderConfig, SecretRef, Variable, terraform,
};
use serde_json::{Value as Json, json};

fn vpc() -> GenericResource {
    GenericResource::new("aws_vpc").set("cidr_block", "10.0.0.0/16")
}

fn errors(env: Env) -> Vec<String> {
    env.compile()
        .expect_err("the environment should not compile")
        .0
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn synth_aws(env: Env) -> Json {
    let compiled = env.compile().expect("compiles");
    let files = terraform::synth(&compiled).expect("synthesizes");
    serde_json::from_str(&files["aws/main.tf.json"]).unwrap()
}

#[test]
fn duplicate_address_names_both_lines() {
    let mut env = Env::new("t");
    env.add("main", vpc());
    let line = line!() + 1;
    env.add("main", vpc());
    let errors = errors(env);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let file = file!();
    assert_eq!(
        errors[0],
        format!(
            "resource aws_vpc.main is declared twice: at {file}:{} and \
             again at {file}:{line}",
            line - 2
        )
    );
}

#[test]
fn invalid_names_follow_terraform_label_rules() {
    let mut env = Env::new("t");
    env.add("1st", vpc());
    env.add("web.a", vpc());
    env.add("ok-name_1", vpc());
    let errors = errors(env);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("invalid resource name \"1st\" at ")
            && errors[0].ends_with(
                "a name must start with a letter or an underscore, not '1'"
            ),
        "{}",
        errors[0]
    );
    assert!(errors[1].contains("'.' is not allowed"), "{}", errors[1]);
}

#[test]
fn reference_to_an_undeclared_resource() {
    let mut env = Env::new("t");
    let ghost: Output<String> =
        Output::attr(&Address::managed("aws_vpc", "ghost"), "id");
    env.add(
        "web",
        GenericResource::new("aws_subnet").input("vpc_id", ghost),
    );
    let errors = errors(env);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("aws_subnet.web (declared at ")
            && errors[0].ends_with(
                "refers in `vpc_id` to aws_vpc.ghost.id, but the \
                 environment declares no aws_vpc.ghost"
            ),
        "{}",
        errors[0]
    );
}

#[test]
fn undeclared_variable_and_depends_on() {
    let mut env = Env::new("t");
    let missing: Output<String> = Output::from_value(
        onioncloud_core::Value::Variable(onioncloud_core::Name::new("nope")),
    );
    env.add_with(
        "main",
        vpc().input("tags_all", missing),
        Meta::new().depends_on(&Address::managed("aws_vpc", "other")),
    );
    let errors = errors(env);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("declares no variable nope"))
    );
    assert!(errors.iter().any(|e| e.contains(
        "refers in `depends_on` to aws_vpc.other, but the environment \
         declares no aws_vpc.other"
    )));
}

#[test]
fn unknown_provider_alias_and_wrong_provider() {
    let mut env = Env::new("t");
    let gcp = env.provider(
        ProviderConfig::new("google", "hashicorp/google", "~> 6.50")
            .alias("dr"),
    );
    let mut west = gcp.clone();
    west.name = onioncloud_core::ProviderName::new("aws");
    env.add_with("a", vpc(), Meta::new().provider(&west));
    env.add_with("b", vpc(), Meta::new().provider(&gcp));
    let errors = errors(env);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains(
            "uses provider aws.dr: no such provider configuration is declared"
        ),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains(
            "uses provider google.dr: a resource of type aws_vpc is managed by \
             the aws provider"
        ),
        "{}",
        errors[1]
    );
}

#[test]
fn two_default_configurations_of_one_provider() {
    let mut env = Env::new("t");
    env.provider(ProviderConfig::new("aws", "hashicorp/aws", "~> 5.100"));
    env.provider(ProviderConfig::new("aws", "hashicorp/aws", "~> 5.100"));
    let errors = errors(env);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with(
            "configuration of default provider aws (give one an alias) is \
             declared twice"
        ),
        "{}",
        errors[0]
    );
}

/// Two security groups whose rules reference each other: the classic
/// cycle. The report is one minimal cycle, naming each edge's argument,
/// and identical on every run.
#[test]
fn security_groups_referencing_each_other_form_one_reported_cycle() {
    let build = || {
        let mut env = Env::new("t");
        let a = onioncloud_core::Address::managed("aws_security_group", "a");
        let b = onioncloud_core::Address::managed("aws_security_group", "b");
        let rule = |other: &Address| {
            let id: Output<String> = Output::attr(other, "id");
            onioncloud_core::Value::List(vec![onioncloud_core::Value::Map(
                [(
                    "security_groups".to_owned(),
                    onioncloud_core::Value::List(vec![id.into_value()]),
                )]
                .into(),
            )])
        };
        env.add(
            "a",
            GenericResource::new("aws_security_group").set("ingress", rule(&b)),
        );
        env.add(
            "b",
            GenericResource::new("aws_security_group").set("ingress", rule(&a)),
        );
        // A longer cycle through the same pair must not be the one shown.
        let c = env.add(
            "c",
            GenericResource::new("aws_security_group")
                .input::<String>("vpc_id", Output::attr(&a, "vpc_id")),
        );
        let _ = c;
        env
    };
    let first = build().compile().unwrap_err();
    let second = build().compile().unwrap_err();
    assert_eq!(first, second);
    assert_eq!(first.0.len(), 1);
    let CompileError::Cycle(steps) = &first.0[0] else {
        panic!("expected a cycle, got {first}");
    };
    assert_eq!(steps.len(), 2);
    let message = first.0[0].to_string();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines[0], "dependency cycle:");
    assert!(lines[1].starts_with("  aws_security_group.a (at "));
    assert!(lines[1].ends_with(
        "depends on aws_security_group.b through \
         `ingress[0].security_groups[0]` = .id"
    ));
    assert!(lines[2].starts_with("  aws_security_group.b (at "));
    assert!(lines[2].ends_with(
        "depends on aws_security_group.a through \
         `ingress[0].security_groups[0]` = .id"
    ));
}

#[test]
fn a_longer_cycle_is_reported_from_its_smallest_address() {
    let mut env = Env::new("t");
    let names = ["c", "a", "b"];
    for (i, name) in names.iter().enumerate() {
        let next = names[(i + 1) % names.len()];
        let target: Output<String> =
            Output::attr(&Address::managed("null_resource", next), "id");
        env.add(
            *name,
            GenericResource::new("null_resource").input("x", target),
        );
    }
    let err = env.compile().unwrap_err().to_string();
    let order: Vec<&str> = err
        .lines()
        .skip(2)
        .map(|l| l.trim().split(' ').next().unwrap())
        .collect();
    assert_eq!(
        order,
        ["null_resource.a", "null_resource.b", "null_resource.c"]
    );
}

#[test]
fn literals_are_escaped_in_arguments_only() {
    let mut env = Env::new("t");
    env.variable(
        "greeting",
        Variable::<String>::new()
            .default_value("${not} %{a} template")
            .description("costs $5 ${literally}"),
    );
    env.backend(Backend::new("local").setting("path", "state/${env}.tfstate"));
    env.add(
        "main",
        vpc().set("tags", json!({"Note": "${x} %{y} $z %w"})),
    );
    let json = synth_aws(env);
    assert_eq!(
        json["resource"]["aws_vpc"]["main"]["tags"]["Note"],
        "$${x} %%{y} $z %w"
    );
    let variable = &json["variable"]["greeting"];
    assert_eq!(variable["default"], "${not} %{a} template");
    assert_eq!(variable["description"], "costs $5 ${literally}");
    assert_eq!(
        json["terraform"]["backend"]["local"]["path"],
        "state/${env}.tfstate"
    );
}

#[test]
fn meta_arguments_are_bare_traversals() {
    let mut env = Env::new("t");
    env.provider(
        onioncloud_core::ProviderConfig::new(
            "aws",
            "hashicorp/aws",
            "~> 5.100",
        )
        .setting("region", "eu-west-1"),
    );
    let west = env.provider(
        ProviderConfig::new("aws", "hashicorp/aws", "~> 5.100")
            .alias("west")
            .setting("region", "us-west-2"),
    );
    let main = env.add("main", vpc());
    env.add_with(
        "dr",
        vpc(),
        Meta::new()
            .provider(&west)
            .depends_on(&main)
            .create_before_destroy()
            .prevent_destroy()
            .ignore_changes("tags"),
    );
    env.moved(Address::managed("aws_vpc", "old"), &main);
    let json = synth_aws(env);
    let dr = &json["resource"]["aws_vpc"]["dr"];
    assert_eq!(dr["provider"], "aws.west");
    assert_eq!(dr["depends_on"], json!(["aws_vpc.main"]));
    assert_eq!(
        dr["lifecycle"],
        json!({
            "create_before_destroy": true,
            "prevent_destroy": true,
            "ignore_changes": ["tags"]
        })
    );
    assert_eq!(
        json["moved"],
        json!([{"from": "aws_vpc.old", "to": "aws_vpc.main"}])
    );
    assert_eq!(
        json["provider"]["aws"],
        json!([{"region": "eu-west-1"}, {"alias": "west", "region": "us-west-2"}])
    );
}

#[test]
fn references_secrets_and_outputs() {
    let mut env = Env::new("t");
    let main = env.add("main", vpc());
    let db = env.add(
        "db",
        GenericResource::new("aws_db_instance")
            .input::<String>("db_subnet_group_name", main.id())
            .input::<onioncloud_core::Secret>(
                "password",
                SecretRef::aws("prod/orders-db"),
            ),
    );
    env.output::<String>(
        "url",
        onioncloud_core::concat::<onioncloud_core::Input<String>>([
            "postgres://${user}@".into(),
            db.id().into(),
        ]),
    );
    env.output::<onioncloud_core::Secret>(
        "pw",
        SecretRef::aws("prod/orders-db"),
    );
    let json = synth_aws(env);
    let db = &json["resource"]["aws_db_instance"]["db"];
    assert_eq!(db["db_subnet_group_name"], "${aws_vpc.main.id}");
    assert_eq!(
        db["password"],
        "${data.aws_secretsmanager_secret_version.prod_orders-db.secret_string}"
    );
    assert_eq!(
        json["data"]["aws_secretsmanager_secret_version"]["prod_orders-db"],
        json!({"secret_id": "prod/orders-db"})
    );
    assert_eq!(
        json["output"]["url"]["value"],
        "postgres://$${user}@${aws_db_instance.db.id}"
    );
    assert_eq!(json["output"]["pw"]["sensitive"], true);
}

#[test]
fn a_reference_across_clouds_is_refused() {
    let mut env = Env::new("t");
    let main = env.add("main", vpc());
    env.add(
        "net",
        GenericResource::new("google_compute_network")
            .input::<String>("description", main.id()),
    );
    let compiled = env.compile().unwrap();
    let err = terraform::synth(&compiled).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "google_compute_network.net refers in `description` to \
             aws_vpc.main.id, which belongs to the aws configuration"
        ),
        "{err}"
    );
}

#[test]
fn synthesis_is_byte_identical_across_runs() {
    let build = || {
        let mut env = Env::new("t");
        for i in 0..50 {
            let v = env.add(format!("v{i}"), vpc());
            env.add(
                format!("s{i}"),
                GenericResource::new("aws_subnet")
                    .input::<String>("vpc_id", v.id()),
            );
        }
        terraform::synth(&env.compile().unwrap()).unwrap()
    };
    assert_eq!(build(), build());
}

/// Object keys are templates in Terraform JSON too, so a literal `${` in
/// a tag key is escaped like one in a value.
#[test]
fn map_keys_are_escaped_like_values() {
    let mut env = Env::new("t");
    env.add("main", vpc().set("tags", json!({"${key}": "%{v}"})));
    let json = synth_aws(env);
    assert_eq!(
        json["resource"]["aws_vpc"]["main"]["tags"],
        json!({"$${key}": "%%{v}"})
    );
}

#[test]
fn reserved_variable_names_and_bad_renames_are_refused() {
    let mut env = Env::new("t");
    env.variable("count", Variable::<String>::new());
    let main = env.add("main", vpc());
    env.moved(Address::managed("aws_vpc", "bad name"), &main);
    env.moved(Address::managed("aws_vpc", "main"), &main);
    let errors = errors(env);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("invalid variable name \"count\"")
                && e.ends_with("Terraform reserves this name")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("invalid moved-from name \"bad name\"")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e
            .starts_with("moved from aws_vpc.main to aws_vpc.main (at ")
            && e.ends_with("the old address is still declared")),
        "{errors:?}"
    );
}

#[test]
fn renames_keep_the_type_and_mode_and_move_one_address_once() {
    let mut env = Env::new("t");
    let main = env.add("main", vpc());
    let other = env.add("other", vpc());
    env.moved(Address::managed("aws_subnet", "old"), &main);
    env.moved(Address::data("aws_vpc", "old"), &main);
    env.moved(Address::managed("aws_vpc", "gone"), &main);
    env.moved(Address::managed("aws_vpc", "gone"), &other);
    let errors = errors(env);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("the types differ")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("a managed resource and a data source")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e
            .starts_with("moved from aws_vpc.gone to aws_vpc.other (at ")
            && e.contains("aws_vpc.gone is already moved at ")),
        "{errors:?}"
    );
}

#[test]
fn a_cross_cloud_reference_names_the_line() {
    let mut env = Env::new("t");
    let main = env.add("main", vpc());
    let line = line!() + 1;
    env.add(
        "net",
        GenericResource::new("google_compute_network")
            .input::<String>("description", main.id()),
    );
    let err = terraform::synth(&env.compile().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with(&format!(
            "(google_compute_network.net is declared at {}:{line})",
            file!()
        )),
        "{err}"
    );
}

#[test]
fn outputs_without_references_go_to_every_module() {
    let mut env = Env::new("t");
    env.add("main", vpc());
    env.add("net", GenericResource::new("google_compute_network"));
    env.output::<String>("owner", "platform-team");
    let files = terraform::synth(&env.compile().unwrap()).unwrap();
    for module in ["aws/main.tf.json", "google/main.tf.json"] {
        let json: Json = serde_json::from_str(&files[module]).unwrap();
        assert_eq!(json["output"]["owner"]["value"], "platform-team");
    }

    let mut env = Env::new("t");
    env.output::<String>("owner", "platform-team");
    let err = terraform::synth(&env.compile().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("output owner (declared at ")
            && err.ends_with("there is no Terraform module to hold it"),
        "{err}"
    );
}

#[test]
fn indexing_a_literal_list_is_a_terraform_expression() {
    let list: Output<Vec<String>> =
        Output::from_value(onioncloud_core::Value::List(vec![
            "a${b}".into(),
            "c".into(),
        ]));
    let mut env = Env::new("t");
    env.add("main", vpc().input::<String>("cidr_block", list.index(1)));
    let json = synth_aws(env);
    assert_eq!(
        json["resource"]["aws_vpc"]["main"]["cidr_block"],
        "${(element([\"a$${b}\", \"c\"], 1))}"
    );
}

#[test]
fn mermaid_keeps_addresses_that_differ_only_in_dashes_apart() {
    let mut env = Env::new("t");
    let a = env.add("web-a", vpc());
    env.add("web_a", vpc().input::<String>("x", a.id()));
    let text = onioncloud_core::diagram::mermaid(&env.compile().unwrap());
    assert_eq!(
        text,
        "flowchart LR\n  n0[\"aws_vpc.web-a\"]\n  n1[\"aws_vpc.web_a\"]\n  \
         n1 -->|\"`x` = .id\"| n0\n"
    );
}

#[test]
fn a_non_finite_number_is_refused_where_it_lands() {
    let mut env = Env::new("t");
    let line = line!() + 1;
    env.add(
        "alarm",
        GenericResource::new("aws_cloudwatch_metric_alarm")
            .input::<f64>("threshold", f64::NAN),
    );
    let err = terraform::synth(&env.compile().unwrap())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "aws_cloudwatch_metric_alarm.alarm (declared at {}:{line}) sets \
             `threshold` to NaN; Terraform numbers must be finite",
            file!()
        )
    );
}
