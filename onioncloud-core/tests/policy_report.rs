//! The renderings of a policy report: SARIF validated against the
//! official SARIF 2.1.0 schema, JUnit XML parsed back and counted, the
//! JSON shape, the text, and that each is deterministic.

use std::collections::BTreeMap;

use onioncloud_core::policy::report::{self, Format, Summary};
use onioncloud_core::policy::{
    self, Enforcement, Framework, Pack, Policy, PolicyContext, Report, Rule,
    Severity, Violation,
};
use onioncloud_core::{Env, GenericResource};
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::Value as Json;

const SCHEMA: &str = include_str!("data/sarif/sarif-schema-2.1.0.json");

/// Buckets must be encrypted: mandatory, high, with controls.
struct Encrypted;

impl Policy for Encrypted {
    fn rule(&self) -> Rule {
        Rule::new("T-ENCRYPTION", "buckets are encrypted")
            .description("Data at rest must be encrypted.")
            .remediation("set `sse = true` <and> mean it")
            .severity(Severity::High)
            .control(Framework::CisAws, "2.1.1")
            .control(Framework::Nist80053, "SC-28")
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for bucket in env.resources_of("aws_s3_bucket") {
            if bucket.bool("sse") != Some(true) {
                out.push(bucket.violation("`sse` is not true & \"x\" <y>"));
            }
        }
    }
}

/// Buckets should carry an owner tag: advisory, low.
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

/// Finds nothing in these environments.
struct NoVpcs;

impl Policy for NoVpcs {
    fn rule(&self) -> Rule {
        Rule::new("T-NO-VPC", "no VPCs").severity(Severity::Critical)
    }

    fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
        for vpc in env.resources_of("aws_vpc") {
            out.push(vpc.violation("it is a VPC"));
        }
    }
}

struct Lines {
    logs: u32,
    archive: u32,
    suppress: u32,
    unused: u32,
}

/// Three buckets: `logs` fails both rules, `data` is encrypted but
/// untagged, `archive` fails encryption under a suppression; plus a
/// suppression that matches nothing.
fn report() -> (Report, Lines) {
    let mut env = Env::new("prod");
    let logs_line = line!() + 1;
    let logs = env.add("logs", GenericResource::new("aws_s3_bucket"));
    env.add(
        "data",
        GenericResource::new("aws_s3_bucket").set("sse", true),
    );
    let archive_line = line!() + 1;
    let archive = env.add(
        "archive",
        GenericResource::new("aws_s3_bucket")
            .set("tags", serde_json::json!({ "owner": "ops" })),
    );
    let suppress = line!() + 1;
    env.suppress("T-ENCRYPTION", &archive, "cold data; KMS in the <app>");
    let unused = line!() + 1;
    env.suppress("T-NO-VPC", &logs, "not a VPC");
    let env = env.compile().expect("compiles");
    let storage = Pack::new("storage").with(Encrypted).with(Owner);
    let network = Pack::new("network").with(NoVpcs);
    let report = policy::check(&env, &[&storage, &network]);
    (
        report,
        Lines {
            logs: logs_line,
            archive: archive_line,
            suppress,
            unused,
        },
    )
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let schema: Json = serde_json::from_str(SCHEMA).unwrap();
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/\
         sarif-schema-2.1.0.json"
    );
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles");
    let (report, _) = report();
    let log = report::sarif(&report);
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // And the validator does reject what the schema forbids.
    let mut broken = log.clone();
    broken["runs"][0]["results"][1]["level"] = "fatal".into();
    broken["runs"][0]["results"][0]["suppressions"][0] =
        serde_json::json!({ "kind": "inComment" });
    assert_eq!(validator.iter_errors(&broken).count(), 2);

    // An empty report is valid too.
    let empty = Env::new("empty").compile().unwrap();
    let log = report::sarif(&policy::check(&empty, &[]));
    assert!(validator.is_valid(&log));
}

#[test]
fn sarif_rules_results_locations_and_suppressions() {
    let (report, lines) = report();
    let log = report::sarif(&report);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> =
        rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["T-ENCRYPTION", "T-NO-VPC", "T-OWNER"]);
    let encryption = &rules[0];
    assert_eq!(encryption["help"]["text"], "set `sse = true` <and> mean it");
    assert_eq!(
        encryption["fullDescription"]["text"],
        "Data at rest must be encrypted."
    );
    assert_eq!(encryption["properties"]["severity"], "high");
    assert_eq!(encryption["properties"]["enforcement"], "mandatory");
    assert_eq!(encryption["properties"]["security-severity"], "8.0");
    assert_eq!(
        encryption["properties"]["controls"],
        serde_json::json!(["CIS AWS Foundations 2.1.1", "NIST 800-53 SC-28"])
    );
    assert_eq!(encryption["defaultConfiguration"]["level"], "error");
    assert_eq!(rules[2]["defaultConfiguration"]["level"], "note");

    let results = run["results"].as_array().unwrap();
    let summary: Vec<(&str, &str, &str, bool)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .unwrap(),
                r["level"].as_str().unwrap(),
                r.get("suppressions").is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("T-ENCRYPTION", "aws_s3_bucket.archive", "error", true),
            ("T-ENCRYPTION", "aws_s3_bucket.logs", "error", false),
            ("T-OWNER", "aws_s3_bucket.data", "note", false),
            ("T-OWNER", "aws_s3_bucket.logs", "note", false),
        ]
    );
    let logs = &results[1];
    assert_eq!(logs["ruleIndex"], 0);
    let physical = &logs["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], file!());
    assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(physical["region"]["startLine"], lines.logs);
    assert!(
        logs["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("aws_s3_bucket.logs: `sse` is not true")
    );
    let suppression = &results[0]["suppressions"][0];
    assert_eq!(suppression["kind"], "inSource");
    assert_eq!(suppression["justification"], "cold data; KMS in the <app>");
    assert_eq!(
        suppression["location"]["physicalLocation"]["region"]["startLine"],
        lines.suppress
    );
    let notes = &run["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes.as_array().unwrap().len(), 1);
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("T-NO-VPC for aws_s3_bucket.logs")
    );
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        lines.unused
    );
}

/// What a JUnit document holds, read back with quick-xml.
#[derive(Debug, Default)]
struct Junit {
    /// (name, tests, failures, skipped) of `testsuites` then each suite.
    totals: Vec<(String, usize, usize, usize)>,
    /// (suite, testcase name, outcome, message) per testcase.
    cases: Vec<(String, String, &'static str, String)>,
    failure_texts: Vec<String>,
}

fn parse_junit(xml: &str) -> Junit {
    let mut reader = Reader::from_str(xml);
    let mut junit = Junit::default();
    let mut suite = String::new();
    let mut in_failure = false;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let attrs = |e: &quick_xml::events::BytesStart<'_>| {
            e.attributes()
                .map(|a| {
                    let a = a.unwrap();
                    (
                        a.key.as_ref().to_owned(),
                        a.normalized_value(XmlVersion::Explicit1_0)
                            .unwrap()
                            .into_owned(),
                    )
                })
                .collect::<BTreeMap<String, String>>()
        };
        let count = |a: &BTreeMap<String, String>, key: &str| -> usize {
            a[key].parse().unwrap()
        };
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let a = attrs(&e);
                match e.name().as_ref() {
                    "testsuites" | "testsuite" => {
                        if e.name().as_ref() == "testsuite" {
                            suite = a["name"].clone();
                        }
                        junit.totals.push((
                            a["name"].clone(),
                            count(&a, "tests"),
                            count(&a, "failures"),
                            count(&a, "skipped"),
                        ));
                    }
                    "testcase" => junit.cases.push((
                        suite.clone(),
                        a["name"].clone(),
                        "passed",
                        String::new(),
                    )),
                    "failure" | "skipped" => {
                        let case = junit.cases.last_mut().unwrap();
                        case.2 = if e.name().as_ref() == "failure" {
                            in_failure = true;
                            "failed"
                        } else {
                            "skipped"
                        };
                        case.3 = a["message"].clone();
                        if case.2 == "failed" {
                            junit.failure_texts.push(String::new());
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_failure => {
                let text = quick_xml::escape::unescape(&t).unwrap();
                junit.failure_texts.last_mut().unwrap().push_str(&text);
            }
            Event::GeneralRef(r) if in_failure => {
                let text = quick_xml::escape::unescape(&format!("&{};", &*r))
                    .unwrap()
                    .into_owned();
                junit.failure_texts.last_mut().unwrap().push_str(&text);
            }
            Event::End(e) if e.name().as_ref() == "failure" => {
                in_failure = false;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    junit
}

#[test]
fn junit_parses_back_with_one_suite_per_pack_and_the_right_counts() {
    let (report, lines) = report();
    let xml = report::junit(&report).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let junit = parse_junit(&xml);
    assert_eq!(
        junit.totals,
        [
            ("onioncloud policy check of prod".to_owned(), 5, 3, 1),
            ("network".to_owned(), 1, 0, 0),
            ("storage".to_owned(), 4, 3, 1),
        ]
    );
    let cases: Vec<(&str, &str, &str)> = junit
        .cases
        .iter()
        .map(|(s, n, o, _)| (s.as_str(), n.as_str(), *o))
        .collect();
    assert_eq!(
        cases,
        [
            ("network", "T-NO-VPC", "passed"),
            ("storage", "T-ENCRYPTION aws_s3_bucket.archive", "skipped"),
            ("storage", "T-ENCRYPTION aws_s3_bucket.logs", "failed"),
            ("storage", "T-OWNER aws_s3_bucket.data", "failed"),
            ("storage", "T-OWNER aws_s3_bucket.logs", "failed"),
        ]
    );
    let skipped = &junit.cases[1].3;
    assert_eq!(
        *skipped,
        format!(
            "suppressed at {}:{}: cold data; KMS in the <app>",
            file!(),
            lines.suppress
        )
    );
    assert_eq!(
        junit.cases[2].3,
        "aws_s3_bucket.logs: `sse` is not true & \"x\" <y>"
    );
    let text = &junit.failure_texts[0];
    assert!(
        text.contains("[T-ENCRYPTION] buckets are encrypted"),
        "{text}"
    );
    assert!(
        text.contains(&format!("location: {}:{}", file!(), lines.logs)),
        "{text}"
    );
    assert!(text.contains("severity: high, mandatory"), "{text}");
    assert!(
        text.contains("remediation: set `sse = true` <and> mean it"),
        "{text}"
    );
}

#[test]
fn json_has_the_documented_shape() {
    let (report, lines) = report();
    let doc = report::json(&report);
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["environment"], "prod");
    assert_eq!(doc["passed"], false);
    assert_eq!(
        doc["summary"],
        serde_json::json!({
            "rules": 3, "failed": 3, "mandatory_failed": 1,
            "advisory_failed": 2, "suppressed": 1, "unused_suppressions": 1,
        })
    );
    assert_eq!(doc["rules"][0]["id"], "T-ENCRYPTION");
    assert_eq!(doc["rules"][0]["pack"], "storage");
    assert_eq!(
        doc["rules"][0]["controls"][1],
        serde_json::json!({ "framework": "NIST 800-53", "id": "SC-28" })
    );
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 4);
    assert_eq!(
        findings[0],
        serde_json::json!({
            "rule": "T-ENCRYPTION",
            "pack": "storage",
            "severity": "high",
            "enforcement": "mandatory",
            "address": "aws_s3_bucket.archive",
            "location": { "file": file!(), "line": lines.archive },
            "message": "`sse` is not true & \"x\" <y>",
            "status": "suppressed",
            "suppression": {
                "justification": "cold data; KMS in the <app>",
                "location": { "file": file!(), "line": lines.suppress },
            },
        })
    );
    assert_eq!(findings[1]["status"], "failed");
    assert!(findings[1].get("suppression").is_none());
    assert_eq!(doc["unused_suppressions"][0]["rule"], "T-NO-VPC");
    assert_eq!(
        doc["unused_suppressions"][0]["location"]["line"],
        lines.unused
    );
}

#[test]
fn human_text_lists_failures_suppressions_and_a_summary() {
    let (report, lines) = report();
    let text = report::human(&report);
    let error = format!(
        "Error: [T-ENCRYPTION] buckets are encrypted\n\n  on {}:{}, in \
         aws_s3_bucket.logs:\n  severity high, mandatory; controls: CIS AWS \
         Foundations 2.1.1, NIST 800-53 SC-28\n\n  `sse` is not true & \
         \"x\" <y>\n\n  Remediation: set `sse = true` <and> mean it\n",
        file!(),
        lines.logs
    );
    assert!(text.starts_with(&error), "{text}");
    assert!(
        text.contains("Warning: [T-OWNER] buckets carry an owner tag\n\n  on ")
    );
    assert!(text.contains("  severity low, advisory\n"), "{text}");
    let suppressed = format!(
        "Suppressed: [T-ENCRYPTION] buckets are encrypted\n\n  on {}:{}, in \
         aws_s3_bucket.archive:\n  `sse` is not true & \"x\" <y>\n\n  \
         Justification: cold data; KMS in the <app>\n  Suppressed at {}:{}\n",
        file!(),
        lines.archive,
        file!(),
        lines.suppress
    );
    assert!(text.contains(&suppressed), "{text}");
    assert!(text.contains(&format!(
        "Warning: unused suppression of T-NO-VPC for aws_s3_bucket.logs\n\n  \
         at {}:{}",
        file!(),
        lines.unused
    )));
    // Errors come before warnings, warnings before suppressions.
    let at = |needle: &str| text.find(needle).unwrap();
    assert!(at("Error: ") < at("Warning: [T-OWNER]"));
    assert!(at("Warning: [T-OWNER]") < at("Suppressed: "));
    assert!(text.ends_with(
        "Policy check failed: 1 mandatory failure, 2 advisory warnings, 1 \
         suppressed, 3 rules checked, 1 unused suppression.\n"
    ));
    assert_eq!(
        Summary::of(&report),
        Summary {
            rules: 3,
            mandatory_failed: 1,
            advisory_failed: 2,
            suppressed: 1,
            unused_suppressions: 1,
        }
    );
}

#[test]
fn a_clean_report_passes() {
    let mut env = Env::new("ok");
    env.add(
        "data",
        GenericResource::new("aws_s3_bucket").set("sse", true),
    );
    let env = env.compile().unwrap();
    let report = policy::check(&env, &[&Pack::new("storage").with(Encrypted)]);
    assert!(report.is_clean());
    assert_eq!(
        report::human(&report),
        "Policy check passed: 0 mandatory failures, 0 advisory warnings, 0 \
         suppressed, 1 rule checked.\n"
    );
    assert_eq!(report::json(&report)["passed"], true);
    let junit = parse_junit(&report::junit(&report).unwrap());
    let (_, tests, failures, skipped) = &junit.totals[0];
    assert_eq!((*tests, *failures, *skipped), (1, 0, 0));
}

#[test]
fn every_format_is_deterministic_and_named() {
    for format in Format::ALL {
        let first = report::render(&report().0, format).unwrap();
        let second = report::render(&report().0, format).unwrap();
        assert_eq!(first, second, "{format}");
        assert!(first.ends_with('\n'), "{format}");
        assert_eq!(format.name().parse::<Format>().unwrap(), format);
    }
    let err = "xml".parse::<Format>().unwrap_err().to_string();
    assert_eq!(
        err,
        "unknown report format \"xml\" (expected human, json, sarif or junit)"
    );
}
