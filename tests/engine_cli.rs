//! The engine from the command line, on the multicloud example and the
//! simulated cloud: plan, apply, drift, saved plans, state surgery,
//! imports, locks and destroy, each with its failure paths.

#[path = "../examples/multicloud/environment.rs"]
#[allow(dead_code)]
mod environment;

use std::path::PathBuf;

use clap::Parser;
use onioncloud::cli::{Cli, run};
use onioncloud::core::engine::sim::{SimCloud, SimConfig};
use onioncloud::core::engine::state::StateDoc;
use onioncloud::core::engine::store::StateStore as _;
use onioncloud::core::engine::store::local::LocalStore;
use serde_json::Value as Json;

const CERTIFICATE: &str =
    "certificate_arn=arn:aws:acm:eu-west-1:123456789012:certificate/abc";

/// A state directory and a simulated cloud in a temporary directory.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn cloud_dir(&self) -> PathBuf {
        self.dir.path().join("cloud")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The command line of `program` on this sandbox's state and
    /// simulated cloud, then `args`.
    fn argv(&self, program: &str, args: &[&str]) -> Vec<String> {
        let state = self.state_dir();
        let cloud = self.cloud_dir();
        [
            program,
            "--environment",
            program,
            "--provider",
            "sim",
            "--state-dir",
            state.to_str().unwrap(),
            "--sim-dir",
            cloud.to_str().unwrap(),
        ]
        .iter()
        .chain(args)
        .map(|s| s.to_string())
        .collect()
    }

    /// Runs the command line; commands that plan get the example's one
    /// required variable.
    fn cli(&self, args: &[&str]) -> (Result<u8, String>, String) {
        let mut argv = self.argv("multicloud", args);
        let plans = matches!(args.first(), Some(&"plan" | &"destroy"))
            || (args.first() == Some(&"apply")
                && !args.get(1).is_some_and(|a| a.ends_with(".json")));
        if plans {
            argv.extend(["--var".to_owned(), CERTIFICATE.to_owned()]);
        }
        let cli = Cli::try_parse_from(argv).unwrap();
        let mut out = Vec::new();
        let result =
            run(cli, environment::build, &mut out).map_err(|e| e.to_string());
        (result, String::from_utf8(out).unwrap())
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out) = self.cli(args);
        assert_eq!(code, Ok(0), "{args:?}:\n{out}");
        out
    }

    fn cloud(&self) -> std::sync::Arc<SimCloud> {
        SimCloud::open(self.cloud_dir(), SimConfig::default()).unwrap()
    }

    fn state(&self) -> StateDoc {
        let store = LocalStore::new(self.state_dir());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(store.read())
            .unwrap()
            .expect("a state")
    }
}

fn managed(state: &StateDoc) -> usize {
    state
        .resources
        .keys()
        .filter(|a| !a.starts_with("data."))
        .count()
}

#[test]
fn plan_apply_drift_replan_and_destroy() {
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(2), "{out}");
    let summary = out.lines().last().unwrap();
    assert!(summary.ends_with(" to add, 0 to change, 0 to destroy."));
    assert!(out.contains("(secret aws-secrets-manager:prod/orders-db)"));
    let planned: usize = summary
        .trim_start_matches("Plan: ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let out = sandbox.ok(&["apply", "--auto-approve"]);
    assert!(
        out.ends_with(&format!(
            "Apply complete! Resources: {planned} added, 0 changed, 0 \
             destroyed.\n"
        )),
        "{out}"
    );
    let state = sandbox.state();
    assert_eq!(managed(&state), planned);
    assert_eq!(sandbox.cloud().count().unwrap(), planned);
    assert!(state.pending.is_empty());

    // Idempotence: three plans in a row, all empty.
    for _ in 0..3 {
        let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
        assert_eq!(code, Ok(0), "{out}");
        assert!(out.starts_with("No changes."), "{out}");
    }

    // Drift out of band shows as exactly that change.
    let bucket = &state.resources["aws_s3_bucket.backups"];
    let cloud = sandbox.cloud();
    cloud
        .set_object_attribute(
            &bucket.id,
            "force_destroy",
            Json::Bool(!bucket.attributes["force_destroy"].as_bool().unwrap()),
        )
        .unwrap();
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(2), "{out}");
    assert!(
        out.contains("# aws_s3_bucket.backups will be updated in-place"),
        "{out}"
    );
    assert!(out.contains("~ force_destroy"), "{out}");
    assert!(out.ends_with("Plan: 0 to add, 1 to change, 0 to destroy.\n"));

    // An object deleted out of band is created again.
    let log = &state.resources["aws_cloudwatch_log_group.web"];
    assert!(cloud.remove_object(&log.id).unwrap());
    let out = sandbox.ok(&["apply", "--auto-approve"]);
    assert!(
        out.ends_with(
            "Apply complete! Resources: 1 added, 1 changed, 0 destroyed.\n"
        ),
        "{out}"
    );
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(0), "{out}");

    // A tag added in the cloud is drift too: a map is compared whole.
    let vpc = sandbox.state().resources["aws_vpc.prod"].clone();
    let mut tags = vpc.attributes["tags"].clone();
    tags["added-by"] = "console".into();
    cloud.set_object_attribute(&vpc.id, "tags", tags).unwrap();
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(2), "{out}");
    assert!(
        out.contains("# aws_vpc.prod will be updated in-place"),
        "{out}"
    );
    sandbox.ok(&["apply", "--auto-approve"]);

    // Destroy leaves nothing behind, not even the state of an object
    // deleted outside OnionCloud.
    let bucket = sandbox.state().resources["aws_s3_bucket.logs"].id.clone();
    assert!(cloud.remove_object(&bucket).unwrap());
    let out = sandbox.ok(&["destroy", "--auto-approve"]);
    assert!(
        out.contains("aws_s3_bucket.logs no longer exists; it will be removed"),
        "{out}"
    );
    assert!(
        out.ends_with(&format!(
            "Destroy complete! Resources: 0 added, 0 changed, {} \
             destroyed.\n",
            planned - 1
        )),
        "{out}"
    );
    assert_eq!(sandbox.cloud().count().unwrap(), 0);
    assert_eq!(managed(&sandbox.state()), 0);
}

#[test]
fn a_saved_plan_is_applied_exactly_or_refused() {
    let sandbox = Sandbox::new();
    let file = sandbox.path("plan.json");
    let file_arg = file.to_str().unwrap();
    let out = sandbox.ok(&["plan", "--out", file_arg]);
    assert!(out.contains("Saved the plan to"), "{out}");
    let plan: Json =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(plan["state_hash"], "none");
    // The saved plan holds references to secrets, never values.
    assert!(plan.to_string().contains("prod/orders-db"));

    // A plan file edited by hand is refused: here the database's
    // encryption is turned off in both its planned configuration and its
    // shown attributes, which would get past any check of the code.
    let tampered = sandbox.path("tampered.json");
    let mut edited = plan.clone();
    for change in edited["changes"].as_array_mut().unwrap() {
        if change["address"] == "aws_db_instance.orders" {
            change["config"]["storage_encrypted"] =
                serde_json::json!({"bool": false});
            change["config"]["publicly_accessible"] =
                serde_json::json!({"bool": true});
        }
    }
    std::fs::write(&tampered, edited.to_string()).unwrap();
    let err = sandbox
        .cli(&["apply", tampered.to_str().unwrap()])
        .0
        .unwrap_err();
    assert!(
        err.contains(
            "the plan file does not match what the environment's code plans \
             against the same state (first difference: \
             aws_db_instance.orders)"
        ),
        "{err}"
    );
    assert!(
        !sandbox.state_dir().join("state.json").exists()
            || managed(&sandbox.state()) == 0
    );

    // A second plan file made now, applied after the first: stale.
    let second = sandbox.path("second.json");
    sandbox.ok(&["plan", "--out", second.to_str().unwrap()]);
    sandbox.ok(&["apply", file_arg]);
    let (result, _) = sandbox.cli(&["apply", second.to_str().unwrap()]);
    let err = result.unwrap_err();
    assert!(err.contains("make a new plan"), "{err}");
    // Applying the first one again is refused as well.
    let err = sandbox.cli(&["apply", file_arg]).0.unwrap_err();
    assert!(err.contains("the state changed since the plan"), "{err}");

    // Broken plan files are named.
    std::fs::write(&file, "{\"format\": 1,\n \"changes\": [").unwrap();
    let err = sandbox.cli(&["apply", file_arg]).0.unwrap_err();
    assert!(err.contains("plan.json") && err.contains("line 2"), "{err}");
    std::fs::write(&file, r#"{"format": 9}"#).unwrap();
    let err = sandbox.cli(&["apply", file_arg]).0.unwrap_err();
    assert!(err.contains("format 9"), "{err}");
    std::fs::write(&file, r#"{"version": 4}"#).unwrap();
    let err = sandbox.cli(&["apply", file_arg]).0.unwrap_err();
    assert!(err.contains("not an OnionCloud plan"), "{err}");
    let err = sandbox
        .cli(&["apply", sandbox.path("missing.json").to_str().unwrap()])
        .0
        .unwrap_err();
    assert!(err.contains("missing.json: cannot read it"), "{err}");

    // A plan of another environment.
    let mut other = plan.clone();
    other["environment"] = "staging".into();
    std::fs::write(&file, other.to_string()).unwrap();
    let err = sandbox.cli(&["apply", file_arg]).0.unwrap_err();
    assert!(err.contains("for environment \"staging\""), "{err}");
}

#[test]
fn plan_json_is_machine_readable() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(&["plan", "--json"]);
    let plan: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["environment"], "multicloud");
    assert_eq!(plan["format"], 1);
    let create = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "aws_vpc.prod")
        .unwrap();
    assert_eq!(create["action"], "create");
    assert!(create["token"].as_str().unwrap().starts_with("oc-"));
}

#[test]
fn state_commands_list_show_move_and_forget() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["apply", "--auto-approve"]);
    let list = sandbox.ok(&["state", "list"]);
    assert!(list.lines().any(|l| l == "aws_vpc.prod"), "{list}");
    let show = sandbox.ok(&["state", "show", "aws_vpc.prod"]);
    assert!(show.contains("cidr_block = \"10.0.0.0/16\""), "{show}");

    let err = sandbox
        .cli(&["state", "show", "aws_vpc.nope"])
        .0
        .unwrap_err();
    assert_eq!(err, "aws_vpc.nope is not in the state");
    let err = sandbox
        .cli(&["state", "mv", "aws_vpc.prod", "aws_subnet.main"])
        .0
        .unwrap_err();
    assert!(err.contains("the types differ"), "{err}");
    let err = sandbox
        .cli(&["state", "mv", "aws_vpc.prod", "not an address"])
        .0
        .unwrap_err();
    assert!(err.contains("is not a resource address"), "{err}");

    // A move: the plan then sees the old address as new and the moved
    // one as undeclared: one create, one destroy.
    sandbox.ok(&["state", "mv", "aws_vpc.prod", "aws_vpc.renamed"]);
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(2));
    assert!(out.contains("# aws_vpc.renamed will be destroyed"), "{out}");
    sandbox.ok(&["state", "mv", "aws_vpc.renamed", "aws_vpc.prod"]);
    let (code, _) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(0));

    // Forget: the object stays in the cloud, the plan creates another;
    // then import adopts the old one back.
    let before = sandbox.cloud().count().unwrap();
    let id = sandbox.state().resources["aws_s3_bucket.backups"]
        .id
        .clone();
    sandbox.ok(&["state", "rm", "aws_s3_bucket.backups"]);
    assert_eq!(sandbox.cloud().count().unwrap(), before);
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(2));
    assert!(
        out.contains("# aws_s3_bucket.backups will be created"),
        "{out}"
    );
    let out = sandbox.ok(&["import", "aws_s3_bucket.backups", &id]);
    assert!(out.starts_with(&format!("Imported {id}")), "{out}");
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(0), "{out}");

    let err = sandbox
        .cli(&["import", "aws_s3_bucket.backups", &id])
        .0
        .unwrap_err();
    assert!(err.contains("already in the state"), "{err}");
    let err = sandbox
        .cli(&["import", "aws_s3_bucket.undeclared", &id])
        .0
        .unwrap_err();
    assert!(err.contains("is not declared"), "{err}");
    sandbox.ok(&["state", "rm", "aws_s3_bucket.backups"]);
    let err = sandbox
        .cli(&["import", "aws_s3_bucket.backups", "bucket-nope"])
        .0
        .unwrap_err();
    assert!(err.contains("no aws_s3_bucket with id"), "{err}");
}

#[test]
fn locks_name_their_holder_and_force_unlock_checks_the_id() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["apply", "--auto-approve"]);
    let store = LocalStore::new(sandbox.state_dir());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let info =
        onioncloud::core::engine::store::LockInfo::for_current_process("test");
    runtime.block_on(store.lock(&info)).unwrap();
    let err = sandbox.cli(&["plan"]).0.unwrap_err();
    assert!(
        err.contains("is locked by") && err.contains(&info.since),
        "{err}"
    );
    assert!(err.contains(&info.id), "{err}");
    // The holder lives: force-unlock is refused, as is a wrong id.
    let err = sandbox.cli(&["force-unlock", "nope"]).0.unwrap_err();
    assert!(err.contains("nope"), "{err}");
    let err = sandbox.cli(&["force-unlock", &info.id]).0.unwrap_err();
    assert!(err.contains("still running"), "{err}");
    runtime.block_on(store.unlock(&info)).unwrap();
    sandbox.ok(&["plan"]);
}

#[test]
fn broken_state_is_a_clear_error_and_is_left_alone() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["apply", "--auto-approve"]);
    let path = sandbox.state_dir().join("state.json");
    let broken = "{\"version\": 2,\n \"lineage\": [";
    std::fs::write(&path, broken).unwrap();
    let err = sandbox.cli(&["plan"]).0.unwrap_err();
    assert!(
        err.contains("state.json") && err.contains("line 2"),
        "{err}"
    );
    let err = sandbox.cli(&["apply", "--auto-approve"]).0.unwrap_err();
    assert!(err.contains("state.json"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    std::fs::write(&path, r#"{"version": 4, "serial": 1}"#).unwrap();
    let err = sandbox.cli(&["plan"]).0.unwrap_err();
    assert!(err.contains("Terraform"), "{err}");
}

#[test]
fn without_the_simulated_cloud_the_missing_provider_is_named() {
    let cli = Cli::try_parse_from([
        "multicloud",
        "--environment",
        "multicloud",
        "--state-dir",
        "/nonexistent/onioncloud-test",
        "plan",
    ])
    .unwrap();
    let err = run(cli, environment::build, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no built-in provider manages"), "{err}");
    assert!(err.contains("--provider sim"), "{err}");
}

/// A state holds what the cloud returned; plans and `state show` never
/// print a value whose attribute is, or is named like, a secret.
#[test]
fn plans_and_state_show_hide_secrets_from_the_state() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["apply", "--auto-approve"]);
    let mut state = sandbox.state();
    let (address, resource) = state
        .resources
        .iter_mut()
        .find(|(a, _)| a.starts_with("aws_db_instance."))
        .unwrap();
    let address = address.clone();
    resource
        .attributes
        .insert("password".into(), "canary-declared-8c1f".into());
    resource
        .attributes
        .insert("master_token".into(), "canary-named-55d2".into());
    state.serial += 1;
    let store = LocalStore::new(sandbox.state_dir());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(store.write(&state))
        .unwrap();
    for args in [
        vec!["plan"],
        vec!["plan", "--json"],
        vec!["state", "show", &address],
    ] {
        let (code, out) = sandbox.cli(&args);
        assert_eq!(code, Ok(0), "{out}");
        assert!(!out.contains("canary-"), "a secret leaked:\n{out}");
    }
    let show = sandbox.ok(&["state", "show", &address]);
    assert!(show.contains("master_token = (sensitive value)"), "{show}");
}

#[test]
fn variables_are_checked() {
    let sandbox = Sandbox::new();
    let err = sandbox.cli(&["plan", "--var", "nonsense"]).0.unwrap_err();
    assert!(err.contains("is not NAME=VALUE"), "{err}");
    let err = sandbox.cli(&["plan", "--var", "nope=1"]).0.unwrap_err();
    assert!(err.contains("nope"), "{err}");
    // Without the required variable, the resource and line are named.
    let cli =
        Cli::try_parse_from(sandbox.argv("multicloud", &["plan"])).unwrap();
    let err = run(cli, environment::build, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("certificate_arn")
            && err.contains("examples/multicloud/environment.rs:"),
        "{err}"
    );
}

#[test]
fn state_surgery_refuses_what_would_lose_track_of_an_object() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["apply", "--auto-approve"]);
    let err = sandbox
        .cli(&["state", "mv", "aws_vpc.prod", "data.aws_vpc.prod"])
        .0
        .unwrap_err();
    assert!(
        err.contains("a managed resource and a data source"),
        "{err}"
    );

    // One object, one address: importing an id already managed elsewhere
    // is refused.
    let state = sandbox.state();
    let backups = state.resources["aws_s3_bucket.backups"].id.clone();
    sandbox.ok(&["state", "rm", "aws_s3_bucket.logs"]);
    let err = sandbox
        .cli(&["import", "aws_s3_bucket.logs", &backups])
        .0
        .unwrap_err();
    assert!(
        err.contains("already in the state as aws_s3_bucket.backups"),
        "{err}"
    );
}

/// A bucket's name is computed by the cloud when it is left out, but the
/// example sets it: renaming it must replace the bucket.
#[test]
fn a_configured_attribute_the_cloud_could_compute_is_compared() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["apply", "--auto-approve"]);
    let id = sandbox.state().resources["aws_s3_bucket.logs"].id.clone();
    sandbox
        .cloud()
        .set_object_attribute(&id, "bucket", "renamed-by-hand".into())
        .unwrap();
    let (code, out) = sandbox.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(2), "{out}");
    assert!(
        out.contains("# aws_s3_bucket.logs will be replaced"),
        "{out}"
    );
}

#[test]
fn variables_are_parsed_by_their_declared_type() {
    let sandbox = Sandbox::new();
    // A string variable takes the text as written, even when it looks
    // like JSON.
    let cli = Cli::try_parse_from(sandbox.argv(
        "multicloud",
        &["plan", "--json", "--var", "certificate_arn=123"],
    ))
    .unwrap();
    let mut out = Vec::new();
    assert_eq!(run(cli, environment::build, &mut out).unwrap(), 0);
    let plan: Json = serde_json::from_slice(&out).unwrap();
    assert_eq!(plan["variables"]["certificate_arn"], "123");
}

/// Sensitive variables are used, never written: not in plan files, not
/// shown by `state show`; applying a saved plan needs them again.
#[test]
fn sensitive_variables_stay_out_of_plan_files_and_state_show() {
    fn build(env: &mut onioncloud::core::Env) -> Result<(), String> {
        let token = env.variable(
            "api_token",
            onioncloud::core::Variable::<String>::new().sensitive(),
        );
        env.add(
            "hook",
            onioncloud::core::GenericResource::new("simx_hook")
                .input::<String>("token", token)
                .set("url", "https://hooks.example.com/a"),
        );
        Ok(())
    }
    let sandbox = Sandbox::new();
    let run_with = |args: &[&str]| {
        let cli = Cli::try_parse_from(sandbox.argv("hooks", args)).unwrap();
        let mut out = Vec::new();
        let result = run(cli, build, &mut out).map_err(|e| e.to_string());
        (result, String::from_utf8(out).unwrap())
    };
    let canary = "canary-token-7f3e";
    let var = format!("api_token={canary}");
    let file = sandbox.path("plan.json");
    let file = file.to_str().unwrap();
    let (code, out) = run_with(&["plan", "--var", &var, "--out", file]);
    assert_eq!(code, Ok(0), "{out}");
    assert!(!out.contains(canary), "{out}");
    let saved = std::fs::read_to_string(file).unwrap();
    assert!(!saved.contains(canary), "{saved}");
    assert!(saved.contains("\"api_token\""), "{saved}");
    let (code, out) = run_with(&["plan", "--json", "--var", &var]);
    assert_eq!(code, Ok(0));
    assert!(!out.contains(canary), "{out}");

    // Applying the saved plan asks for the value again.
    let err = run_with(&["apply", file]).0.unwrap_err();
    assert!(err.contains("variable api_token is sensitive"), "{err}");
    let err = run_with(&["apply", file, "--var", "nope=1"]).0.unwrap_err();
    assert!(err.contains("--var nope"), "{err}");
    let (code, out) = run_with(&["apply", file, "--var", &var]);
    assert_eq!(code, Ok(0), "{out}");

    // The cloud used the value as a write-only argument and keeps its
    // hash, as the state does; `state show` hides it.
    let cloud = sandbox.cloud();
    let objects = cloud.live_objects().unwrap();
    use onioncloud::core::sensitive::{is_redacted, matches_redacted};
    let kept = &objects[0].attributes["token"];
    assert!(is_redacted(kept) && matches_redacted(&Json::from(canary), kept));
    let state = sandbox.state();
    let recorded = &state.resources["simx_hook.hook"].attributes["token"];
    assert!(is_redacted(recorded), "{recorded}");
    assert!(matches_redacted(&Json::from(canary), recorded));
    assert!(!matches_redacted(&Json::from("another"), recorded));
    // The same value again is no change; another is.
    let (code, out) = run_with(&["plan", "--detailed-exitcode", "--var", &var]);
    assert_eq!(code, Ok(0), "{out}");
    let (code, out) = run_with(&[
        "plan",
        "--detailed-exitcode",
        "--var",
        "api_token=another",
    ]);
    assert_eq!(code, Ok(2), "{out}");
    assert!(out.contains("(sensitive value)"), "{out}");
    let (code, out) = run_with(&["state", "show", "simx_hook.hook"]);
    assert_eq!(code, Ok(0));
    assert!(!out.contains(canary), "{out}");
    assert!(out.contains("token = (sensitive value)"), "{out}");
}

/// `env.import` adopts an existing object; an id the cloud does not have
/// is an error at plan time, at the line of the import.
#[test]
fn imports_declared_in_code_are_checked_when_planning() {
    use onioncloud::core::{Env, GenericResource};
    let sandbox = Sandbox::new();
    let run_with = |import: Option<String>, args: &[&str]| {
        let build = move |env: &mut Env| -> Result<(), String> {
            let hook = env.add(
                "hook",
                GenericResource::new("simx_hook")
                    .set("url", "https://hooks.example.com/a"),
            );
            if let Some(id) = import {
                env.import(&hook, id);
            }
            Ok(())
        };
        let cli = Cli::try_parse_from(sandbox.argv("hooks", args)).unwrap();
        let mut out = Vec::new();
        let result = run(cli, build, &mut out).map_err(|e| e.to_string());
        (result, String::from_utf8(out).unwrap())
    };
    let (code, _) = run_with(None, &["apply", "--auto-approve"]);
    assert_eq!(code, Ok(0));
    let id = sandbox.state().resources["simx_hook.hook"].id.clone();
    let (code, _) = run_with(None, &["state", "rm", "simx_hook.hook"]);
    assert_eq!(code, Ok(0));

    let err = run_with(Some("hook-nope".into()), &["plan"]).0.unwrap_err();
    assert!(
        err.contains("import into simx_hook.hook (at tests/engine_cli.rs:")
            && err.contains("no simx_hook with id \"hook-nope\" exists"),
        "{err}"
    );
    let (code, out) =
        run_with(Some(id.clone()), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(2), "{out}");
    assert!(out.contains("will be imported"), "{out}");
    let (code, _) = run_with(Some(id.clone()), &["apply", "--auto-approve"]);
    assert_eq!(code, Ok(0));
    assert_eq!(sandbox.state().resources["simx_hook.hook"].id, id);
    assert_eq!(sandbox.cloud().count().unwrap(), 1);
    let (code, out) = run_with(Some(id), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Ok(0), "{out}");
}
