//! End-to-end tests of the multicloud example: golden files, the command
//! line, and the real tools as oracles (`terraform validate` with the AWS
//! provider mirror, the published Google schema, masterless `salt-call`).
//!
//! A test whose tool is missing prints a loud SKIPPED line and passes,
//! unless `ONIONCLOUD_REQUIRE_TOOLS=1` (as in CI), where it fails.

#[path = "../examples/multicloud/environment.rs"]
#[allow(dead_code)]
mod environment;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use onioncloud::cli::{Cli, run, run_with_packs};
use onioncloud::core::{CompiledEnv, Env};
use onioncloud::salt::runner::{SaltCall, locate_salt_call};
use onioncloud_providers::schema::{ProviderSchema, check_module};
use serde_json::Value as Json;

fn compiled() -> CompiledEnv {
    let mut env = Env::new("multicloud");
    environment::build(&mut env).expect("the example declares");
    env.compile().expect("the example compiles")
}

fn files() -> BTreeMap<PathBuf, String> {
    onioncloud::synth::render(&compiled()).expect("the example synthesizes")
}

fn skip(tool: &str) {
    let message = format!("SKIPPED: {tool} not found");
    if std::env::var("ONIONCLOUD_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{message} and ONIONCLOUD_REQUIRE_TOOLS=1");
    }
    eprintln!("\n{}\n{message}\n{}\n", "!".repeat(72), "!".repeat(72));
}

const GOLDEN: &str = "tests/golden/multicloud";

/// The example's synthesized files, committed; refresh them with
/// `UPDATE_GOLDENFILES=1`.
#[test]
fn golden_files() {
    let mut mint = goldenfile::Mint::new(GOLDEN);
    for (path, text) in files() {
        // The golden tree mirrors the output tree; the crate creates files,
        // not directories.
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(Path::new(GOLDEN).join(parent)).unwrap();
        }
        let mut file = mint.new_goldenfile(&path).unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    }
}

#[test]
fn synthesis_is_deterministic_and_round_trips_through_json() {
    assert_eq!(files(), files());
    let env = compiled();
    let json = serde_json::to_string(env.env()).unwrap();
    let back: Env = serde_json::from_str(&json).unwrap();
    let again = onioncloud::synth::render(&back.compile().unwrap()).unwrap();
    assert_eq!(again, files());
}

fn plugin_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ONIONCLOUD_TF_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tf-plugins"));
    dir.join("registry.terraform.io/hashicorp/aws")
        .is_dir()
        .then_some(dir)
}

#[test]
fn terraform_validates_the_aws_module() {
    let Some(plugins) = plugin_dir() else {
        return skip("the hashicorp/aws provider mirror");
    };
    if Command::new("terraform").arg("version").output().is_err() {
        return skip("terraform");
    }
    let dir = tempfile::tempdir().unwrap();
    let text = &files()[Path::new("terraform/aws/main.tf.json")];
    std::fs::write(dir.path().join("main.tf.json"), text).unwrap();
    let terraform = |args: &[&str]| {
        let out = Command::new("terraform")
            .args(args)
            .current_dir(dir.path())
            .env("TF_IN_AUTOMATION", "1")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let plugin_arg = format!("-plugin-dir={}", plugins.display());
    let (ok, out, err) = terraform(&[
        "init",
        "-backend=false",
        "-input=false",
        "-no-color",
        &plugin_arg,
    ]);
    assert!(ok, "terraform init failed:\n{out}\n{err}");
    let (_, out, err) = terraform(&["validate", "-json", "-no-color"]);
    let report: Json = serde_json::from_str(&out).unwrap_or_else(|e| {
        panic!("validate printed no JSON ({e}):\n{out}\n{err}")
    });
    assert_eq!(report["valid"], true, "{report:#}");
    assert_eq!(report["error_count"], 0, "{report:#}");
}

#[test]
fn the_google_module_matches_the_published_schema() {
    let schema = ProviderSchema::google();
    let text = &files()[Path::new("terraform/google/main.tf.json")];
    let module: Json = serde_json::from_str(text).unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (table, kinds) in [("resource", "resources"), ("data", "data_sources")]
    {
        let Some(types) = module[table].as_object() else {
            continue;
        };
        for (kind, instances) in types {
            let described = match kinds {
                "resources" => schema.has_resource(kind),
                _ => schema.has_data_source(kind),
            };
            if !described {
                problems.push(format!("{kind}: not in the google schema"));
                continue;
            }
            checked += instances.as_object().unwrap().len();
        }
    }
    assert!(checked >= 10, "only {checked} google resources checked");
    let found = check_module(&module, schema);
    problems.extend(found.iter().map(ToString::to_string));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn salt_accepts_every_role_and_machine() {
    let Some(salt_call) = locate_salt_call() else {
        return skip("salt-call");
    };
    let files = files();
    let salt: BTreeMap<PathBuf, String> = files
        .into_iter()
        .filter(|(p, _)| p.starts_with("salt") || p.starts_with("pillar"))
        .collect();
    let top = &salt[Path::new("salt/top.sls")];
    let minions: Vec<String> = top
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.trim().trim_end_matches(':').trim_matches('\'').to_owned())
        .collect();
    assert!(minions.len() >= 3, "{top}");
    let roles: Vec<String> = salt
        .keys()
        .filter_map(|p| p.strip_prefix("salt/roles").ok())
        .map(|p| format!("roles.{}", p.file_stem().unwrap().to_string_lossy()))
        .collect();
    let call = SaltCall::new(&salt_call, &salt, &minions[0]).unwrap();
    for role in &roles {
        call.show_sls(role)
            .unwrap_or_else(|e| panic!("state.show_sls {role}: {e}"));
    }
    for minion in &minions {
        let call = SaltCall::new(&salt_call, &salt, minion).unwrap();
        let results = call.apply_test(None).unwrap_or_else(|e| {
            panic!("state.apply test=True on {minion}: {e}")
        });
        assert!(!results.is_empty(), "{minion} got no states");
        for result in &results {
            assert_ne!(
                result.result,
                Some(false),
                "{minion}: state {} failed: {}",
                result.id,
                result.comment
            );
        }
    }
}

fn cli(args: &[&str]) -> (Result<u8, String>, String) {
    let cli = Cli::try_parse_from(
        ["multicloud", "--environment", "multicloud"]
            .into_iter()
            .chain(args.iter().copied()),
    )
    .unwrap();
    let mut out = Vec::new();
    let result =
        run(cli, environment::build, &mut out).map_err(|e| e.to_string());
    (result, String::from_utf8(out).unwrap())
}

#[test]
fn command_line_validate_plan_graph() {
    let (code, out) = cli(&["validate"]);
    assert_eq!(code, Ok(0));
    assert!(
        out.starts_with("Environment multicloud is valid: "),
        "{out}"
    );

    let (_, dot) = cli(&["graph"]);
    assert!(dot.starts_with("digraph onioncloud {"));
    let (_, mermaid) = cli(&["graph", "--format", "mermaid"]);
    assert!(mermaid.starts_with("flowchart LR\n"));
}

#[test]
fn synth_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_arg = out.to_str().unwrap();
    let (code, _) = cli(&["synth", "--out", out_arg]);
    assert_eq!(code, Ok(0));
    let aws = out.join("terraform/aws/main.tf.json");
    let before = std::fs::read_to_string(&aws).unwrap();
    assert_eq!(before, files()[Path::new("terraform/aws/main.tf.json")]);

    // An environment that compiles but cannot be synthesized: a reference
    // across clouds. The previous output must stay exactly as it was.
    let broken = |env: &mut Env| -> Result<(), String> {
        use onioncloud::prelude::*;
        let vpc = env.add("main", aws::Vpc::new("10.0.0.0/16"));
        env.add(
            "net",
            GenericResource::new("google_compute_network")
                .input::<String>("description", vpc.id()),
        );
        Ok(())
    };
    let cli = Cli::try_parse_from(["x", "synth", "--out", out_arg]).unwrap();
    // Without policy packs: this is about synthesis failing.
    let err = run_with_packs(cli, broken, &[], &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("google_compute_network.net refers in `description`"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&aws).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["out"]);
}

#[test]
fn an_invalid_environment_names_the_resource_and_line() {
    let broken = |env: &mut Env| -> Result<(), String> {
        use onioncloud::prelude::*;
        env.add("9lives", aws::Vpc::new("10.0.0.0/16"));
        Ok(())
    };
    let cli = Cli::try_parse_from(["x", "validate"]).unwrap();
    // Without policy packs: this is about synthesis failing.
    let err = run_with_packs(cli, broken, &[], &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "invalid resource name \"9lives\" at tests/multicloud.rs:"
        ),
        "{err}"
    );
}

/// A mistyped `--out` must never delete a user's files: a directory that
/// `synth` did not write is refused, and so is a regular file.
#[test]
fn synth_refuses_targets_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("Cargo.toml"), "[package]\n").unwrap();
    let (result, _) = cli(&["synth", "--out", project.to_str().unwrap()]);
    let err = result.unwrap_err();
    assert!(
        err.ends_with(
            "holds files that synth did not write; choose a new or empty \
             directory"
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(project.join("Cargo.toml")).unwrap(),
        "[package]\n"
    );

    let file = dir.path().join("afile");
    std::fs::write(&file, "keep me").unwrap();
    let (result, _) = cli(&["synth", "--out", file.to_str().unwrap()]);
    let err = result.unwrap_err();
    assert!(err.ends_with("it exists and is not a directory"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");

    // Nothing left behind: no staging or old directories.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["afile", "project"]);

    // Its own previous output it replaces: a file it wrote before and
    // writes no more is gone.
    let out = dir.path().join("out");
    let out_arg = out.to_str().unwrap();
    assert_eq!(cli(&["synth", "--out", out_arg]).0, Ok(0));
    let manifest = out.join(onioncloud::synth::MARKER);
    std::fs::write(out.join("stale.txt"), "old").unwrap();
    let mut listed = std::fs::read_to_string(&manifest).unwrap();
    listed.push_str("stale.txt\n");
    std::fs::write(&manifest, listed).unwrap();
    assert_eq!(cli(&["synth", "--out", out_arg]).0, Ok(0));
    assert!(!out.join("stale.txt").exists());
    assert!(out.join(onioncloud::synth::MARKER).is_file());
}

/// Terraform works inside the synthesized modules: its lock file, local
/// state and `.terraform/` are not synth's, and survive the next synth.
#[test]
fn synth_keeps_the_files_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_arg = out.to_str().unwrap();
    assert_eq!(cli(&["synth", "--out", out_arg]).0, Ok(0));
    let aws = out.join("terraform/aws");
    std::fs::write(aws.join("terraform.tfstate"), "{\"serial\": 7}").unwrap();
    std::fs::create_dir_all(aws.join(".terraform/providers")).unwrap();
    std::fs::write(aws.join(".terraform/providers/p"), "bin").unwrap();
    std::os::unix::fs::symlink("p", aws.join(".terraform/providers/l"))
        .unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();

    assert_eq!(cli(&["synth", "--out", out_arg]).0, Ok(0));
    assert_eq!(
        std::fs::read_to_string(aws.join("terraform.tfstate")).unwrap(),
        "{\"serial\": 7}"
    );
    assert_eq!(
        std::fs::read_to_string(aws.join(".terraform/providers/l")).unwrap(),
        "bin"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(aws.join("main.tf.json")).unwrap(),
        files()[Path::new("terraform/aws/main.tf.json")]
    );

    // A file of the user's where synth would now write is not overwritten.
    let manifest = out.join(onioncloud::synth::MARKER);
    let listed = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        listed.replace("terraform/aws/main.tf.json\n", ""),
    )
    .unwrap();
    let err = cli(&["synth", "--out", out_arg]).0.unwrap_err();
    assert!(err.contains("synth would overwrite this file"), "{err}");
    assert_eq!(
        std::fs::read_to_string(aws.join("terraform.tfstate")).unwrap(),
        "{\"serial\": 7}"
    );
}

#[test]
fn the_environment_name_must_be_a_label() {
    let cli =
        Cli::try_parse_from(["x", "--environment", "", "validate"]).unwrap();
    let err = run(cli, environment::build, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert_eq!(err, "invalid environment name \"\": the name is empty");
}
