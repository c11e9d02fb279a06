//! The policy packs from the command line: `check` in each format, to
//! stdout and to a file, its exit codes, and the refusal of `synth`,
//! `plan` and `apply` on a mandatory violation, on small environments, a
//! test pack and the simulated cloud.

use std::path::{Path, PathBuf};

use clap::Parser;
use onioncloud::cli::{Cli, run, run_with_packs};
use onioncloud::core::policy::{
    Enforcement, Framework, Pack, Policy, PolicyContext, Rule, Severity,
    Violation,
};
use onioncloud::core::{Env, GenericResource};
use onioncloud::prelude::aws;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::Value as Json;

/// Buckets are encrypted: mandatory.
struct Encrypted;

impl Policy for Encrypted {
    fn rule(&self) -> Rule {
        Rule::new("T-ENCRYPTION", "buckets are encrypted")
            .remediation("set `sse = true`")
            .severity(Severity::High)
            .control(Framework::Nist80053, "SC-28")
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for bucket in env.resources_of("aws_s3_bucket") {
            if bucket.bool("sse") != Some(true) {
                out.push(bucket.violation("`sse` is not true"));
            }
        }
    }
}

/// Buckets carry an owner tag: advisory.
struct Owner;

impl Policy for Owner {
    fn rule(&self) -> Rule {
        Rule::new("T-OWNER", "buckets carry an owner tag")
            .remediation("set tags.owner")
            .severity(Severity::Low)
            .enforcement(Enforcement::Advisory)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for bucket in env.resources_of("aws_s3_bucket") {
            if bucket.path("tags.owner").is_none() {
                out.push(bucket.violation("it has no `owner` tag"));
            }
        }
    }
}

fn packs() -> Vec<Pack> {
    vec![Pack::new("test").with(Encrypted).with(Owner)]
}

fn provider(env: &mut Env) {
    env.provider(aws::Provider::region("eu-west-1"));
}

fn bucket(sse: bool) -> GenericResource {
    GenericResource::new("aws_s3_bucket").set("sse", sse)
}

/// The line `insecure` declares its failing bucket on.
fn insecure_line() -> u32 {
    INSECURE_LINE.with(|l| l.get())
}

thread_local! {
    static INSECURE_LINE: std::cell::Cell<u32> = const {
        std::cell::Cell::new(0)
    };
    static SUPPRESS_LINE: std::cell::Cell<u32> = const {
        std::cell::Cell::new(0)
    };
    static SUPPRESSED_LINE: std::cell::Cell<u32> = const {
        std::cell::Cell::new(0)
    };
}

/// One unencrypted bucket (mandatory and advisory violations) and one
/// encrypted, tagged bucket.
fn insecure(env: &mut Env) -> Result<(), String> {
    provider(env);
    INSECURE_LINE.with(|l| l.set(line!() + 1));
    env.add("logs", bucket(false));
    env.add(
        "data",
        bucket(true).set("tags", serde_json::json!({ "owner": "ops" })),
    );
    Ok(())
}

/// Encrypted but untagged: only an advisory violation.
fn advisory_only(env: &mut Env) -> Result<(), String> {
    provider(env);
    env.add("data", bucket(true));
    Ok(())
}

/// The insecure bucket, its encryption violation suppressed.
fn suppressed(env: &mut Env) -> Result<(), String> {
    provider(env);
    SUPPRESSED_LINE.with(|l| l.set(line!() + 1));
    let logs = env.add(
        "logs",
        bucket(false).set("tags", serde_json::json!({ "owner": "ops" })),
    );
    SUPPRESS_LINE.with(|l| l.set(line!() + 1));
    env.suppress("T-ENCRYPTION", &logs, "public dataset, nothing secret");
    Ok(())
}

/// A suppression without a reason.
fn unjustified(env: &mut Env) -> Result<(), String> {
    provider(env);
    let logs = env.add("logs", bucket(false));
    SUPPRESS_LINE.with(|l| l.set(line!() + 1));
    env.suppress("T-ENCRYPTION", &logs, "  ");
    Ok(())
}

type Build = fn(&mut Env) -> Result<(), String>;

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

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn argv(&self, args: &[&str]) -> Vec<String> {
        let state = self.path("state");
        let cloud = self.path("cloud");
        [
            "policy-test",
            "--environment",
            "policytest",
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

    fn cli(&self, build: Build, args: &[&str]) -> (Result<u8, String>, String) {
        let cli = Cli::try_parse_from(self.argv(args)).unwrap();
        let mut out = Vec::new();
        let result = run_with_packs(cli, build, &packs(), &mut out)
            .map_err(|e| e.to_string());
        (result, String::from_utf8(out).unwrap())
    }
}

fn location() -> String {
    format!("{}:{}", file!(), insecure_line())
}

#[test]
fn check_exits_one_on_a_mandatory_failure_with_a_full_report() {
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(insecure, &["check"]);
    assert_eq!(code, Ok(1), "{out}");
    let expected = format!(
        "Error: [T-ENCRYPTION] buckets are encrypted\n\n  on {}, in \
         aws_s3_bucket.logs:\n  severity high, mandatory; controls: NIST \
         800-53 SC-28\n\n  `sse` is not true\n\n  Remediation: set `sse = \
         true`\n\nWarning: [T-OWNER] buckets carry an owner tag\n\n  on {}, \
         in aws_s3_bucket.logs:\n  severity low, advisory\n\n  it has no \
         `owner` tag\n\n  Remediation: set tags.owner\n\nPolicy check \
         failed: 1 mandatory failure, 1 advisory warning, 0 suppressed, 2 \
         rules checked.\n",
        location(),
        location()
    );
    assert_eq!(out, expected);
}

#[test]
fn check_exits_zero_when_only_advisory_rules_fail() {
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(advisory_only, &["check"]);
    assert_eq!(code, Ok(0), "{out}");
    assert!(out.contains("Warning: [T-OWNER]"), "{out}");
    assert!(out.ends_with(
        "Policy check passed: 0 mandatory failures, 1 advisory warning, 0 \
         suppressed, 2 rules checked.\n"
    ));
}

#[test]
fn check_in_json_and_sarif() {
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(insecure, &["check", "--format", "json"]);
    assert_eq!(code, Ok(1));
    let doc: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["environment"], "policytest");
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["summary"]["mandatory_failed"], 1);
    assert_eq!(doc["findings"][0]["rule"], "T-ENCRYPTION");
    assert_eq!(doc["findings"][0]["address"], "aws_s3_bucket.logs");
    assert_eq!(doc["findings"][0]["location"]["line"], insecure_line());

    let (code, out) = sandbox.cli(insecure, &["check", "--format", "sarif"]);
    assert_eq!(code, Ok(1));
    let log: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "T-ENCRYPTION");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        file!()
    );
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "aws_s3_bucket.logs"
    );
}

/// (testcase name, outcome, message) of each testcase.
fn junit_cases(xml: &str) -> Vec<(String, String, String)> {
    let mut reader = Reader::from_str(xml);
    let mut cases: Vec<(String, String, String)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |key: &str| {
                    e.try_get_attribute(key)
                        .unwrap()
                        .map(|a| {
                            a.normalized_value(
                                quick_xml::XmlVersion::Explicit1_0,
                            )
                            .unwrap()
                            .into_owned()
                        })
                        .unwrap_or_default()
                };
                match e.name().as_ref() {
                    "testcase" => cases.push((
                        attr("name"),
                        "passed".into(),
                        String::new(),
                    )),
                    kind @ ("failure" | "skipped") => {
                        let case = cases.last_mut().unwrap();
                        case.1 = kind.to_owned();
                        case.2 = attr("message");
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

#[test]
fn check_in_junit_with_suppressed_findings_skipped() {
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(insecure, &["check", "--format", "junit"]);
    assert_eq!(code, Ok(1));
    assert_eq!(
        junit_cases(&out),
        [
            (
                "T-ENCRYPTION aws_s3_bucket.logs".to_owned(),
                "failure".to_owned(),
                "aws_s3_bucket.logs: `sse` is not true".to_owned()
            ),
            (
                "T-OWNER aws_s3_bucket.logs".to_owned(),
                "failure".to_owned(),
                "aws_s3_bucket.logs: it has no `owner` tag".to_owned()
            ),
        ]
    );
    let (code, out) = sandbox.cli(suppressed, &["check", "--format", "junit"]);
    assert_eq!(code, Ok(0), "{out}");
    let line = SUPPRESS_LINE.with(|l| l.get());
    assert_eq!(
        junit_cases(&out),
        [
            (
                "T-ENCRYPTION aws_s3_bucket.logs".to_owned(),
                "skipped".to_owned(),
                format!(
                    "suppressed at {}:{line}: public dataset, nothing secret",
                    file!()
                )
            ),
            ("T-OWNER".to_owned(), "passed".to_owned(), String::new()),
        ]
    );
}

#[test]
fn suppressed_findings_show_their_justification_and_do_not_fail() {
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(suppressed, &["check"]);
    assert_eq!(code, Ok(0), "{out}");
    let line = SUPPRESS_LINE.with(|l| l.get());
    assert!(
        out.contains(&format!(
            "Suppressed: [T-ENCRYPTION] buckets are encrypted\n\n  on {}:{}, \
             in aws_s3_bucket.logs:\n  `sse` is not true\n\n  \
             Justification: public dataset, nothing secret\n  Suppressed at \
             {}:{line}\n",
            file!(),
            SUPPRESSED_LINE.with(|l| l.get()),
            file!()
        )),
        "{out}"
    );
    assert!(out.ends_with(
        "Policy check passed: 0 mandatory failures, 0 advisory warnings, 1 \
         suppressed, 2 rules checked.\n"
    ));
    let (code, out) = sandbox.cli(suppressed, &["check", "--format", "sarif"]);
    assert_eq!(code, Ok(0));
    let log: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(
        log["runs"][0]["results"][0]["suppressions"][0],
        serde_json::json!({
            "kind": "inSource",
            "status": "accepted",
            "justification": "public dataset, nothing secret",
            "location": { "physicalLocation": {
                "artifactLocation": {
                    "uri": file!(), "uriBaseId": "%SRCROOT%"
                },
                "region": { "startLine": line },
            }},
        })
    );
    // A suppressed violation does not stop a plan.
    let (code, out) = sandbox.cli(suppressed, &["plan"]);
    assert_eq!(code, Ok(0), "{out}");
    assert!(out.contains("Plan: 1 to add"), "{out}");
}

#[test]
fn an_empty_justification_is_a_compile_error() {
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(unjustified, &["check"]);
    let err = code.unwrap_err();
    let line = SUPPRESS_LINE.with(|l| l.get());
    assert!(
        err.contains("suppression of T-ENCRYPTION for aws_s3_bucket.logs"),
        "{err}"
    );
    assert!(err.contains("the justification is empty"), "{err}");
    assert!(err.contains(&format!("{}:{line}", file!())), "{err}");
    assert!(out.is_empty());
}

#[test]
fn check_writes_a_report_file_atomically() {
    let sandbox = Sandbox::new();
    let file = sandbox.path("report.sarif");
    std::fs::write(&file, "old").unwrap();
    let (code, out) = sandbox.cli(
        insecure,
        &[
            "check",
            "--format",
            "sarif",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Ok(1));
    assert_eq!(
        out,
        format!(
            "Wrote the policy report (sarif) to {}.\nPolicy check failed: 1 \
             mandatory failure, 1 advisory warning, 0 suppressed, 2 rules \
             checked.\n",
            file.display()
        )
    );
    let (_, stdout) = sandbox.cli(insecure, &["check", "--format", "sarif"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.sarif"]);

    // A directory that does not exist is an error naming the file.
    let missing = sandbox.path("missing/report.xml");
    let (code, out) = sandbox.cli(
        insecure,
        &[
            "check",
            "--format",
            "junit",
            "--output",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(
        code,
        Err(format!(
            "cannot write the policy report to {}",
            missing.display()
        ))
    );
    assert!(out.is_empty());
    assert!(!missing.exists());
}

#[test]
fn an_unknown_format_is_refused() {
    let sandbox = Sandbox::new();
    let err = Cli::try_parse_from(sandbox.argv(&["check", "--format", "xml"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid value 'xml' for '--format"), "{err}");
    assert!(err.contains("human, json, sarif, junit"), "{err}");
}

fn assert_refused(command: &str, err: &str) {
    assert_eq!(
        err,
        format!(
            "{command} refused: 1 violation of a mandatory policy rule:\n  \
             T-ENCRYPTION: aws_s3_bucket.logs ({}): `sse` is not true\nfix \
             each, or accept it in code with `Env::suppress(rule, &resource, \
             justification)`; `check` shows the full report",
            location()
        )
    );
}

#[test]
fn plan_apply_and_synth_refuse_a_mandatory_violation() {
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.cli(insecure, &["plan"]);
    assert_refused("plan", &code.unwrap_err());
    assert!(out.is_empty(), "{out}");
    let (code, out) = sandbox.cli(insecure, &["apply", "--auto-approve"]);
    assert_refused("apply", &code.unwrap_err());
    assert!(out.is_empty(), "{out}");
    let dir = sandbox.path("out");
    let (code, _) =
        sandbox.cli(insecure, &["synth", "--out", dir.to_str().unwrap()]);
    assert_refused("synth", &code.unwrap_err());
    assert!(!dir.exists());
    // Nothing was planned or applied: no state, no cloud objects.
    assert!(!sandbox.path("state").exists() || empty(&sandbox.path("state")));
    assert!(!sandbox.path("cloud").exists() || empty(&sandbox.path("cloud")));
    // Destroying is never refused.
    let (code, out) = sandbox.cli(insecure, &["plan", "--destroy"]);
    assert_eq!(code, Ok(0), "{out}");
}

fn empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

#[test]
fn advisory_violations_are_warnings_that_stay_off_stdout() {
    let sandbox = Sandbox::new();
    // Warnings go to standard error, like a compiler's: standard output
    // is the plan alone.
    let (code, out) = sandbox.cli(advisory_only, &["plan"]);
    assert_eq!(code, Ok(0), "{out}");
    assert!(!out.contains("Warning:"), "{out}");
    assert!(out.contains("Plan: 1 to add, 0 to change, 0 to destroy."));
    let (code, out) = sandbox.cli(advisory_only, &["plan", "--json"]);
    assert_eq!(code, Ok(0));
    serde_json::from_str::<Json>(&out).expect("stdout is JSON");
    let (code, out) = sandbox.cli(advisory_only, &["apply", "--auto-approve"]);
    assert_eq!(code, Ok(0), "{out}");
    assert!(out.contains("Apply complete! Resources: 1 added"), "{out}");

    // What the gate prints: one line per finding.
    let mut env = Env::new("t");
    advisory_only(&mut env).unwrap();
    let env = env.compile().unwrap();
    let report = onioncloud::policies::check(&env, &packs());
    let warnings = onioncloud::policies::gate("plan", &report).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "Warning: advisory policy T-OWNER: aws_s3_bucket.data ("
        ) && warnings[0].ends_with("): it has no `owner` tag"),
        "{warnings:?}"
    );
}

#[test]
fn run_uses_the_default_packs() {
    let sandbox = Sandbox::new();
    let cli = Cli::try_parse_from(sandbox.argv(&["check", "--format", "json"]))
        .unwrap();
    let mut out = Vec::new();
    let code = run(cli, insecure, &mut out).unwrap();
    let doc: Json = serde_json::from_slice(&out).unwrap();
    let defaults = onioncloud::policies::default_packs();
    let rules: usize = defaults.iter().map(|p| p.policies().len()).sum();
    assert_eq!(doc["summary"]["rules"], rules);
    assert_eq!(code, u8::from(doc["passed"] == false));
}

/// Two unencrypted buckets.
fn two_insecure(env: &mut Env) -> Result<(), String> {
    provider(env);
    env.add("b", bucket(false));
    env.add("a", bucket(false));
    Ok(())
}

#[test]
fn a_refusal_names_every_violation_in_address_order() {
    let sandbox = Sandbox::new();
    let (code, _) = sandbox.cli(two_insecure, &["apply", "--auto-approve"]);
    let err = code.unwrap_err();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        "apply refused: 2 violations of mandatory policy rules:"
    );
    assert!(lines[1].starts_with("  T-ENCRYPTION: aws_s3_bucket.a ("));
    assert!(lines[2].starts_with("  T-ENCRYPTION: aws_s3_bucket.b ("));
    assert!(lines[1].contains(&format!("{}:", file!())), "{err}");
    assert_eq!(lines.len(), 4, "{err}");
}

#[test]
fn unused_suppressions_say_whether_the_rule_exists() {
    let mut env = Env::new("t");
    provider(&mut env);
    let data = env.add(
        "data",
        bucket(true).set("tags", serde_json::json!({ "owner": "ops" })),
    );
    env.suppress("T-ENCRYPTION", &data, "nothing to suppress here");
    env.suppress("T-NO-SUCH-RULE", &data, "a misspelt rule id");
    let env = env.compile().unwrap();
    let report = onioncloud::policies::check(&env, &packs());
    let warnings = onioncloud::policies::gate("plan", &report).unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "Warning: unused suppression of T-ENCRYPTION for \
             aws_s3_bucket.data at "
        ) && warnings[0].ends_with(": it matches no finding"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].ends_with(": no rule checked has that id"),
        "{warnings:?}"
    );
}
