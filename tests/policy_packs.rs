//! The built-in policy packs on the multicloud example: every mandatory
//! rule passes, the deliberate exceptions are suppressed with a
//! justification, and no suppression is stale.

#[path = "../examples/multicloud/environment.rs"]
#[allow(dead_code)]
mod environment;

use onioncloud::core::policy::{self, Outcome, Report};
use onioncloud::core::{CompiledEnv, Env};
use onioncloud::providers::policies;

fn compiled(name: &str) -> CompiledEnv {
    let mut env = Env::new(name);
    environment::build(&mut env).expect("the example declares");
    env.compile().expect("the example compiles")
}

fn report(name: &str) -> Report {
    let packs = policies::all();
    policy::check(&compiled(name), &packs.iter().collect::<Vec<_>>())
}

#[test]
fn the_example_passes_every_mandatory_rule() {
    for name in ["multicloud", "production"] {
        let report = report(name);
        let failures: Vec<String> = report
            .mandatory_failures()
            .map(|f| {
                format!(
                    "{} {}: {}",
                    f.rule, f.violation.address, f.violation.message
                )
            })
            .collect();
        assert_eq!(failures, Vec::<String>::new(), "in {name}");
        assert!(report.is_clean());
        assert_eq!(report.unused_suppressions, [], "in {name}");
    }
}

#[test]
fn the_example_suppressions_are_justified() {
    let report = report("production");
    let suppressed: Vec<(String, String)> = report
        .findings
        .iter()
        .filter_map(|f| match &f.outcome {
            Outcome::Suppressed {
                justification,
                location,
            } => {
                assert!(
                    location
                        .file
                        .ends_with("examples/multicloud/environment.rs"),
                    "{location}"
                );
                assert!(justification.len() > 20, "{justification}");
                Some((f.rule.clone(), f.violation.address.to_string()))
            }
            Outcome::Failed => None,
        })
        .collect();
    // Only log sinks are exempt from access logging.
    for (rule, address) in &suppressed {
        assert!(
            rule.ends_with("-LOGGING"),
            "{rule} suppressed for {address}"
        );
    }
    assert_eq!(
        suppressed,
        [
            (
                "OC-AWS-S3-LOGGING".to_owned(),
                "aws_s3_bucket.logs".to_owned()
            ),
            (
                "OC-GCP-GCS-LOGGING".to_owned(),
                "google_storage_bucket.dr-logs".to_owned()
            ),
        ]
    );
}

#[test]
fn the_example_has_no_advisory_findings_either() {
    // Every cloud configuration gives its resources owner, cost centre
    // and environment as default tags or labels, and production rules
    // hold too when the environment is named for production.
    for name in ["multicloud", "production"] {
        let report = report(name);
        let standing: Vec<(&str, String)> = report
            .failures()
            .map(|f| (f.rule.as_str(), f.violation.address.to_string()))
            .collect();
        assert_eq!(standing, [], "{name}");
    }
}
