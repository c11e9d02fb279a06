//! checkov as an independent oracle for OnionCloud's policy rules.
//!
//! Every environment of the corpus (tests/policy_corpus) is synthesized to
//! Terraform JSON and scanned by the real, pinned checkov (installed by
//! scripts/install-tools.sh, found through `ONIONCLOUD_CHECKOV`), offline.
//! Then:
//!
//! - checkov's verdicts on the mapped checks must be the corpus table's;
//! - for each pair of the mapping table (OnionCloud rule, checkov check),
//!   OnionCloud and checkov must agree on each environment, except where
//!   the table documents a disagreement by design, which must then hold;
//! - the multicloud example must pass checkov with the repository's
//!   `.checkov.yaml`, and each check that file skips must still fail
//!   without it.
//!
//! A missing checkov prints a loud SKIPPED line and passes, unless
//! `ONIONCLOUD_REQUIRE_TOOLS=1` (as in CI), where it fails.

#[path = "../examples/multicloud/environment.rs"]
#[allow(dead_code)]
mod environment;
mod policy_corpus;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use onioncloud::core::policy::{self, Pack};
use onioncloud::core::{CompiledEnv, Env};
use policy_corpus::Case;
use serde_json::Value as Json;

/// Whether OnionCloud's rule and checkov's check reach the same verdict.
#[derive(Clone, Copy, Debug)]
enum Agreement {
    /// On every environment of the corpus.
    Agrees,
    /// Except on the named cases, for the given reason.
    Differs {
        cases: &'static [&'static str],
        reason: &'static str,
    },
}

/// One OnionCloud rule and a checkov check that covers the same ground.
#[derive(Clone, Copy, Debug)]
struct Pair {
    rule: &'static str,
    check: &'static str,
    agreement: Agreement,
}

const fn agrees(rule: &'static str, check: &'static str) -> Pair {
    Pair {
        rule,
        check,
        agreement: Agreement::Agrees,
    }
}

const fn differs(
    rule: &'static str,
    check: &'static str,
    cases: &'static [&'static str],
    reason: &'static str,
) -> Pair {
    Pair {
        rule,
        check,
        agreement: Agreement::Differs { cases, reason },
    }
}

/// OnionCloud rule id → checkov check id, as verified against checkov
/// 3.3.30 (scripts/checkov-requirements.txt).
const MAPPING: &[Pair] = &[
    differs(
        "OC-AWS-S3-ENCRYPTION",
        "CKV_AWS_145",
        &["prod-aws-sse-s3"],
        "checkov wants SSE-KMS; OnionCloud accepts SSE-S3 (AES256), which \
         encrypts at rest with keys AWS manages",
    ),
    agrees("OC-AWS-S3-LOGGING", "CKV_AWS_18"),
    agrees("OC-AWS-S3-PUBLIC-ACCESS", "CKV2_AWS_6"),
    agrees("OC-AWS-S3-PUBLIC-ACCESS", "CKV_AWS_53"),
    agrees("OC-AWS-S3-PUBLIC-ACCESS", "CKV_AWS_54"),
    agrees("OC-AWS-S3-PUBLIC-ACCESS", "CKV_AWS_55"),
    agrees("OC-AWS-S3-PUBLIC-ACCESS", "CKV_AWS_56"),
    agrees("OC-AWS-RDS-ENCRYPTION", "CKV_AWS_16"),
    agrees("OC-AWS-RDS-PUBLIC", "CKV_AWS_17"),
    differs(
        "OC-AWS-RDS-MULTI-AZ",
        "CKV_AWS_157",
        &["dev-aws-database"],
        "OnionCloud requires Multi-AZ in production environments only \
         (named prod*/production*); checkov everywhere",
    ),
    differs(
        "OC-AWS-RDS-BACKUP",
        "CKV_AWS_133",
        &["prod-aws-database"],
        "OnionCloud requires at least 7 days of backups; checkov any \
         retention above 0",
    ),
    agrees("OC-AWS-EBS-ENCRYPTION", "CKV_AWS_8"),
    agrees("OC-AWS-SG-ADMIN-PORTS", "CKV_AWS_24"),
    agrees("OC-AWS-SG-ADMIN-PORTS", "CKV_AWS_25"),
    agrees("OC-AWS-LB-HTTPS", "CKV_AWS_2"),
    agrees("OC-AWS-LB-TLS-POLICY", "CKV_AWS_103"),
    agrees("OC-AWS-LB-LOGS", "CKV_AWS_91"),
    agrees("OC-AWS-VPC-FLOW-LOGS", "CKV2_AWS_11"),
    agrees("OC-AWS-IAM-WILDCARD", "CKV_AWS_62"),
    agrees("OC-GCP-GCS-UNIFORM-ACCESS", "CKV_GCP_29"),
    agrees("OC-GCP-GCS-PUBLIC", "CKV_GCP_114"),
    agrees("OC-GCP-GCS-LOGGING", "CKV_GCP_62"),
    agrees("OC-GCP-SQL-PUBLIC", "CKV_GCP_11"),
    differs(
        "OC-GCP-SQL-TLS",
        "CKV_GCP_6",
        &["prod-gcp-sql-encrypted-only"],
        "checkov accepts only TRUSTED_CLIENT_CERTIFICATE_REQUIRED for \
         PostgreSQL and MySQL; OnionCloud also accepts ENCRYPTED_ONLY, \
         which refuses unencrypted connections without requiring client \
         certificates",
    ),
    agrees("OC-GCP-SQL-BACKUP", "CKV_GCP_14"),
    agrees("OC-GCP-FW-ADMIN-PORTS", "CKV_GCP_2"),
    agrees("OC-GCP-FW-ADMIN-PORTS", "CKV_GCP_3"),
    agrees("OC-GCP-SUBNET-FLOW-LOGS", "CKV_GCP_26"),
    agrees("OC-GCP-LB-TLS-POLICY", "CKV_GCP_4"),
];

/// Catalogue rules the corpus exercises that checkov 3.3.30 has no
/// counterpart for, with what checkov lacks.
const UNMAPPED: &[(&str, &str)] = &[(
    "OC-GCP-SQL-HA",
    "no check on google_sql_database_instance's availability_type",
)];

fn mapped_checks() -> BTreeSet<&'static str> {
    MAPPING.iter().map(|pair| pair.check).collect()
}

// ------------------------------------------------------------ OnionCloud --

/// OnionCloud's verdict on a corpus environment: the standing violations
/// it reports, as (rule id, resource address).
fn onioncloud_violations(
    case: &Case,
    env: &CompiledEnv,
) -> BTreeSet<(String, String)> {
    let _ = case;
    let packs = onioncloud_providers::policies::all();
    let packs: Vec<&Pack> = packs.iter().collect();
    policy::check(env, &packs)
        .failures()
        .map(|f| (f.rule.clone(), f.violation.address.to_string()))
        .collect()
}

// --------------------------------------------------------------- checkov --

fn skip(tool: &str) {
    let message = format!("SKIPPED: {tool} not found");
    if std::env::var("ONIONCLOUD_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{message} and ONIONCLOUD_REQUIRE_TOOLS=1");
    }
    eprintln!("\n{}\n{message}\n{}\n", "!".repeat(72), "!".repeat(72));
}

/// The checkov executable: `ONIONCLOUD_CHECKOV`, or where
/// install-tools.sh puts it.
fn checkov() -> Option<PathBuf> {
    let path = std::env::var_os("ONIONCLOUD_CHECKOV")
        .map(PathBuf::from)
        .or_else(|| {
            let tools = std::env::var_os("ONIONCLOUD_TOOLS_DIR")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|home| {
                        PathBuf::from(home).join(".cache/onioncloud/tools")
                    })
                })?;
            Some(tools.join("checkov-venv/bin/checkov"))
        })?;
    path.is_file().then_some(path)
}

/// One result of one check on one resource.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Verdict {
    check: String,
    /// The resource's address, like `aws_s3_bucket.logs`.
    resource: String,
    /// The module's file, like `/aws/main.tf.json`.
    file: String,
    passed: bool,
}

/// Writes the Terraform JSON modules of `env` under `dir`, as
/// `<cloud>/main.tf.json`.
fn write_modules(env: &CompiledEnv, dir: &Path) {
    let files = onioncloud::synth::render(env).expect("the env synthesizes");
    let mut written = 0;
    for (path, text) in files {
        let Ok(relative) = path.strip_prefix("terraform") else {
            continue;
        };
        let target = dir.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, text).unwrap();
        written += 1;
    }
    assert!(written > 0, "no Terraform module synthesized");
}

/// Runs checkov over the modules under `dir`, offline, with the given
/// configuration file (or none: checkov then reads no `.checkov.yaml`,
/// because it runs in an empty directory).
fn run_checkov(
    checkov: &Path,
    dir: &Path,
    config: Option<&Path>,
) -> Vec<Verdict> {
    let cwd = tempfile::tempdir().unwrap();
    let mut command = Command::new(checkov);
    command
        .current_dir(cwd.path())
        .arg("--directory")
        .arg(dir)
        .args(["--framework", "terraform_json", "--output", "json"])
        .args(["--skip-download", "--skip-results-upload", "--compact"])
        // No platform: no API key, no guideline mapping, no version check.
        .env_remove("BC_API_KEY")
        .env_remove("PRISMA_API_URL")
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "True");
    if let Some(config) = config {
        command.arg("--config-file").arg(config);
    }
    let output = command.output().expect("checkov runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // 0: every check passed; 1: some failed; anything else is an error.
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "checkov failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
    );
    let json: Json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("checkov's output is not JSON: {e}\n{stdout}")
    });
    let reports = match json {
        Json::Array(reports) => reports,
        report => vec![report],
    };
    let mut verdicts = Vec::new();
    for report in reports {
        assert_eq!(
            report["check_type"], "terraform_json",
            "unexpected report: {report}"
        );
        for (key, passed) in [("passed_checks", true), ("failed_checks", false)]
        {
            let Some(records) = report["results"][key].as_array() else {
                continue;
            };
            for record in records {
                verdicts.push(verdict(record, dir, passed));
            }
        }
    }
    verdicts.sort();
    verdicts
}

fn verdict(record: &Json, dir: &Path, passed: bool) -> Verdict {
    let field = |name: &str| {
        record[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {record}"))
            .to_owned()
    };
    let file = field("file_path");
    let mut resource = field("resource");
    // checkov's terraform_json runner names the resources of its Python
    // checks `resource.<name>` (the block, not the type): the type is the
    // key enclosing the resource's first line.
    if let Some(name) = resource.strip_prefix("resource.") {
        let line = record["file_line_range"][0].as_u64().expect("a line range")
            as usize;
        let text =
            std::fs::read_to_string(dir.join(file.trim_start_matches('/')))
                .unwrap();
        let kind = enclosing_type(&text, line)
            .unwrap_or_else(|| panic!("no type above {file}:{line}"));
        resource = format!("{kind}.{name}");
    }
    Verdict {
        check: field("check_id"),
        resource,
        file,
        passed,
    }
}

/// The resource type whose object holds line `line` (1-based) of a
/// module pretty-printed by the synthesizer: the nearest key above it
/// at the second level of `"resource"`.
fn enclosing_type(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines[..line.saturating_sub(1)].iter().rev().find_map(|l| {
        let key = l.strip_prefix("    \"")?.strip_suffix("\": {")?;
        (!key.starts_with(' ')).then(|| key.to_owned())
    })
}

/// A corpus case, compiled, with checkov's verdicts on it.
struct Scan {
    case: Case,
    env: CompiledEnv,
    verdicts: Vec<Verdict>,
}

/// Every corpus case synthesized and scanned, once for all tests.
fn scans(checkov: &Path) -> &'static [Scan] {
    static SCANS: OnceLock<Vec<Scan>> = OnceLock::new();
    SCANS.get_or_init(|| {
        policy_corpus::cases()
            .into_iter()
            .map(|case| {
                let env = case.env().compile().expect("the case compiles");
                let dir = tempfile::tempdir().unwrap();
                write_modules(&env, dir.path());
                let verdicts = run_checkov(checkov, dir.path(), None);
                Scan {
                    case,
                    env,
                    verdicts,
                }
            })
            .collect()
    })
}

fn failures_of_mapped(verdicts: &[Verdict]) -> BTreeSet<(String, String)> {
    let mapped = mapped_checks();
    verdicts
        .iter()
        .filter(|v| !v.passed && mapped.contains(v.check.as_str()))
        .map(|v| (v.check.clone(), v.resource.clone()))
        .collect()
}

// ----------------------------------------------------------------- tests --

/// The corpus table is well formed: every resource it names is declared,
/// every rule is mapped, every check is in the mapping table, and every
/// documented disagreement names corpus cases.
#[test]
fn corpus_table_names_declared_resources_and_mapped_rules() {
    let cases = policy_corpus::cases();
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    let rules: BTreeSet<&str> = MAPPING
        .iter()
        .map(|p| p.rule)
        .chain(UNMAPPED.iter().map(|(rule, _)| *rule))
        .collect();
    let checks = mapped_checks();
    for case in &cases {
        let env = case.env().compile().expect("the case compiles");
        let declared: BTreeSet<String> = env
            .declarations()
            .iter()
            .map(|d| d.address.to_string())
            .collect();
        for (rule, address) in case.violations {
            assert!(
                rules.contains(rule),
                "{}: {rule} is not mapped",
                case.name
            );
            assert!(declared.contains(*address), "{}: no {address}", case.name);
        }
        for (check, address) in case.checkov_failures {
            assert!(checks.contains(check), "{}: {check} unmapped", case.name);
            assert!(declared.contains(*address), "{}: no {address}", case.name);
        }
    }
    for pair in MAPPING {
        if let Agreement::Differs { cases, reason } = pair.agreement {
            assert!(!reason.is_empty());
            for case in cases {
                assert!(names.contains(case), "{}: no case {case}", pair.rule);
            }
        }
    }
}

/// checkov's verdicts on the mapped checks are exactly the corpus
/// table's, and each mapped check passes somewhere (so that a pass is not
/// a check that never ran).
#[test]
fn checkov_verdicts_match_the_corpus_table() {
    let Some(checkov) = checkov() else {
        return skip("checkov (ONIONCLOUD_CHECKOV)");
    };
    let mut passed_somewhere = BTreeSet::new();
    let mut mismatches = Vec::new();
    for Scan { case, verdicts, .. } in scans(&checkov) {
        let got = failures_of_mapped(verdicts);
        let want: BTreeSet<(String, String)> = case
            .checkov_failures
            .iter()
            .map(|(c, r)| (c.to_string(), r.to_string()))
            .collect();
        if got != want {
            mismatches.push(format!(
                "{}:\n  unexpected failures: {:?}\n  missing failures: {:?}",
                case.name,
                got.difference(&want).collect::<Vec<_>>(),
                want.difference(&got).collect::<Vec<_>>(),
            ));
        }
        passed_somewhere.extend(
            verdicts
                .iter()
                .filter(|v| v.passed)
                .map(|v| v.check.clone()),
        );
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let never: Vec<&str> = mapped_checks()
        .into_iter()
        .filter(|c| !passed_somewhere.contains(*c))
        .collect();
    assert!(
        never.is_empty(),
        "mapped checks that never passed: {never:?}"
    );
}

/// For each mapped pair and each corpus environment, OnionCloud fails
/// the rule exactly when checkov fails the check, except where the
/// mapping table documents a disagreement, which must still hold.
#[test]
fn onioncloud_and_checkov_agree_per_mapped_pair() {
    let Some(checkov) = checkov() else {
        return skip("checkov (ONIONCLOUD_CHECKOV)");
    };
    let mut problems = Vec::new();
    for Scan {
        case,
        env,
        verdicts,
    } in scans(&checkov)
    {
        let ours = onioncloud_violations(case, env);
        let theirs = failures_of_mapped(verdicts);
        for pair in MAPPING {
            let oc = ours.iter().any(|(rule, _)| rule == pair.rule);
            let ck = theirs.iter().any(|(check, _)| check == pair.check);
            let expect_differ = match pair.agreement {
                Agreement::Agrees => false,
                Agreement::Differs { cases, .. } => cases.contains(&case.name),
            };
            if (oc != ck) != expect_differ {
                problems.push(format!(
                    "{}: {} {} / {} {} ({})",
                    case.name,
                    pair.rule,
                    if oc { "fails" } else { "passes" },
                    pair.check,
                    if ck { "fails" } else { "passes" },
                    match pair.agreement {
                        Agreement::Agrees => "they should agree".to_owned(),
                        Agreement::Differs { reason, .. } => format!(
                            "documented: {}; {reason}",
                            if expect_differ {
                                "they differ here"
                            } else {
                                "they agree here"
                            }
                        ),
                    },
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check ids `.checkov.yaml` skips.
fn skipped_checks(config: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(config).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    docs[0]["skip-check"]
        .as_vec()
        .expect("a skip-check list")
        .iter()
        .map(|id| id.as_str().expect("a check id").to_owned())
        .collect()
}

fn example() -> CompiledEnv {
    let mut env = Env::new("multicloud");
    environment::build(&mut env).expect("the example declares");
    env.compile().expect("the example compiles")
}

/// Real weaknesses of the example that checkov finds with `.checkov.yaml`:
/// (check id, resource). None is left: the example passes checkov with
/// zero failed checks. A new finding is to be fixed in the example, or
/// skipped in `.checkov.yaml` with its reason when it is a deliberate
/// choice, not listed here.
const EXAMPLE_WEAKNESSES: &[(&str, &str)] = &[];

/// With `.checkov.yaml`, checkov fails the example on its known weaknesses
/// only (zero failed checks once they are fixed); each check the file
/// skips fails without it (no stale skips).
#[test]
fn example_passes_checkov_with_the_repository_config() {
    let Some(checkov) = checkov() else {
        return skip("checkov (ONIONCLOUD_CHECKOV)");
    };
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join(".checkov.yaml");
    let dir = tempfile::tempdir().unwrap();
    write_modules(&example(), dir.path());

    let without = run_checkov(&checkov, dir.path(), None);
    let mut by_check: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for v in without.iter().filter(|v| !v.passed) {
        by_check.entry(&v.check).or_default().push(&v.resource);
    }
    eprintln!("checkov's failures on the example without .checkov.yaml:");
    for (check, resources) in &by_check {
        eprintln!("  {check}: {}", resources.join(", "));
    }
    let stale: Vec<String> = skipped_checks(&config)
        .into_iter()
        .filter(|check| !by_check.contains_key(check.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        ".checkov.yaml skips passing checks: {stale:?}"
    );

    let with = run_checkov(&checkov, dir.path(), Some(&config));
    let failed: BTreeSet<(String, String)> = with
        .iter()
        .filter(|v| !v.passed)
        .map(|v| (v.check.clone(), v.resource.clone()))
        .collect();
    let known: BTreeSet<(String, String)> = EXAMPLE_WEAKNESSES
        .iter()
        .map(|(c, r)| (c.to_string(), r.to_string()))
        .collect();
    assert_eq!(
        failed, known,
        "checkov's failures on the example with .checkov.yaml are its \
         known weaknesses"
    );
    assert!(with.iter().filter(|v| v.passed).count() > 100);
}
