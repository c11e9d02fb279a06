//! Renderings of a policy [`Report`]: text for people, JSON, SARIF 2.1.0
//! for code scanning, and JUnit XML for CI test reports.
//!
//! Every rendering is deterministic: rules in id order, findings in rule
//! then address order (the order of [`Report::findings`]), packs in name
//! order. None of them carries a time or a machine's name.
//!
//! ```
//! use onioncloud_core::policy::report::{self, Format};
//! use onioncloud_core::policy::{self, Pack, Policy, PolicyContext, Rule};
//! use onioncloud_core::policy::Violation;
//! use onioncloud_core::{Env, GenericResource};
//!
//! struct NoBuckets;
//!
//! impl Policy for NoBuckets {
//!     fn rule(&self) -> Rule {
//!         Rule::new("ACME-2", "no buckets").remediation("remove it")
//!     }
//!
//!     fn check(&self, env: &PolicyContext<'_>, out: &mut Vec<Violation>) {
//!         for bucket in env.resources_of("aws_s3_bucket") {
//!             out.push(bucket.violation("it is a bucket"));
//!         }
//!     }
//! }
//!
//! let mut env = Env::new("demo");
//! env.add("logs", GenericResource::new("aws_s3_bucket"));
//! let env = env.compile().unwrap();
//! let report = policy::check(&env, &[&Pack::new("acme").with(NoBuckets)]);
//! let text = report::render(&report, Format::Human).unwrap();
//! assert!(text.contains("ACME-2"));
//! assert!(text.contains("aws_s3_bucket.logs"));
//! let sarif = report::sarif(&report);
//! assert_eq!(sarif["version"], "2.1.0");
//! ```
//!
//! # The JSON shape
//!
//! [`json()`] returns one object, whose shape only grows (fields are added,
//! never renamed or removed, while `format_version` is 1):
//!
//! ```text
//! {
//!   "format_version": 1,
//!   "environment": "prod",
//!   "passed": false,                 // no mandatory rule fails
//!   "summary": {
//!     "rules": 12,                   // rules checked
//!     "failed": 3,                   // standing findings
//!     "mandatory_failed": 2,         // of which stop plan and apply
//!     "advisory_failed": 1,          // of which are warnings
//!     "suppressed": 1,
//!     "unused_suppressions": 0
//!   },
//!   "rules": [                       // by id
//!     { "id": "OC-AWS-S3-ENCRYPTION", "pack": "aws", "title": "...",
//!       "description": "...", "remediation": "...",
//!       "severity": "high",          // low | medium | high | critical
//!       "enforcement": "mandatory",  // advisory | mandatory
//!       "controls": [ { "framework": "CIS AWS Foundations",
//!                       "id": "2.1.1" } ] }
//!   ],
//!   "findings": [                    // by rule id, then address
//!     { "rule": "OC-AWS-S3-ENCRYPTION", "pack": "aws",
//!       "severity": "high", "enforcement": "mandatory",
//!       "address": "aws_s3_bucket.logs",
//!       "location": { "file": "src/main.rs", "line": 12 },
//!       "message": "...",
//!       "status": "failed",          // failed | suppressed
//!       "suppression": {             // only when suppressed
//!         "justification": "...",
//!         "location": { "file": "src/main.rs", "line": 30 } } }
//!   ],
//!   "unused_suppressions": [         // matched no finding
//!     { "rule": "...", "address": "...", "justification": "...",
//!       "location": { "file": "...", "line": 31 } }
//!   ]
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde_json::{Map, Value as Json, json};

use super::{Enforcement, Finding, Outcome, Report, Rule, Severity};
use crate::address::SourceLocation;

/// The version of the [`json()`] shape.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// The SARIF schema a [`sarif`] log names.
pub const SARIF_SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/\
                                v2.1.0/errata01/os/schemas/\
                                sarif-schema-2.1.0.json";

/// The tool name in SARIF and JUnit output.
pub const TOOL_NAME: &str = "onioncloud";

/// Errors rendering a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The JSON could not be serialized.
    #[error("serializing the policy report as JSON failed: {0}")]
    Json(#[from] serde_json::Error),
    /// The XML could not be written.
    #[error("writing the policy report as JUnit XML failed: {0}")]
    Xml(#[from] std::io::Error),
    /// An unknown format name.
    #[error(
        "unknown report format {0:?} (expected human, json, sarif or junit)"
    )]
    UnknownFormat(String),
}

/// A rendering of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Text for a terminal, in the style of Terraform's diagnostics.
    Human,
    /// The documented [`json()`] shape.
    Json,
    /// A SARIF 2.1.0 log.
    Sarif,
    /// JUnit XML.
    Junit,
}

impl Format {
    /// Every format, in the order of their names.
    pub const ALL: [Format; 4] =
        [Format::Human, Format::Json, Format::Junit, Format::Sarif];

    /// The format's name, like `sarif`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
        }
    }
}

impl FromStr for Format {
    type Err = ReportError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| ReportError::UnknownFormat(name.to_owned()))
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Renders `report` in `format`, ending with a newline.
///
/// # Errors
///
/// Fails only if serialization fails, which it does not for reports
/// [`check`](super::check) makes.
pub fn render(report: &Report, format: Format) -> Result<String, ReportError> {
    Ok(match format {
        Format::Human => human(report),
        Format::Json => pretty(&json(report))?,
        Format::Sarif => pretty(&sarif(report))?,
        Format::Junit => junit(report)?,
    })
}

fn pretty(value: &Json) -> Result<String, ReportError> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// Counts of a report's findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rules checked.
    pub rules: usize,
    /// Standing findings of mandatory rules.
    pub mandatory_failed: usize,
    /// Standing findings of advisory rules.
    pub advisory_failed: usize,
    /// Suppressed findings.
    pub suppressed: usize,
    /// Suppressions that matched no finding.
    pub unused_suppressions: usize,
}

impl Summary {
    /// The counts of `report`.
    pub fn of(report: &Report) -> Self {
        let mut summary = Summary {
            rules: report.rules.len(),
            unused_suppressions: report.unused_suppressions.len(),
            ..Summary::default()
        };
        for finding in &report.findings {
            match (&finding.outcome, enforcement(report, finding)) {
                (Outcome::Suppressed { .. }, _) => summary.suppressed += 1,
                (Outcome::Failed, Enforcement::Mandatory) => {
                    summary.mandatory_failed += 1;
                }
                (Outcome::Failed, Enforcement::Advisory) => {
                    summary.advisory_failed += 1;
                }
            }
        }
        summary
    }

    /// One line, like `Policy check failed: 2 mandatory failures, 1
    /// advisory warning, 1 suppressed, 12 rules checked.`
    pub fn line(&self) -> String {
        let verdict = if self.mandatory_failed == 0 {
            "passed"
        } else {
            "failed"
        };
        let mut line = format!(
            "Policy check {verdict}: {}, {}, {} suppressed, {} checked",
            plural(self.mandatory_failed, "mandatory failure"),
            plural(self.advisory_failed, "advisory warning"),
            self.suppressed,
            plural(self.rules, "rule"),
        );
        if self.unused_suppressions > 0 {
            let _ = write!(
                line,
                ", {}",
                plural(self.unused_suppressions, "unused suppression")
            );
        }
        line.push('.');
        line
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The enforcement of a finding's rule; a finding of a rule the report
/// does not know counts as mandatory.
fn enforcement(report: &Report, finding: &Finding) -> Enforcement {
    report
        .rule(&finding.rule)
        .map_or(Enforcement::Mandatory, |r| r.enforcement)
}

fn pack_of<'a>(report: &'a Report, rule: &str) -> &'a str {
    report.rules.get(rule).map_or("", |(pack, _)| pack.as_str())
}

/// One line naming a finding: its rule, resource and where the resource
/// is declared, like `OC-AWS-S3-ENCRYPTION: aws_s3_bucket.logs
/// (src/main.rs:12): it has no encryption configuration`.
pub fn finding_line(finding: &Finding) -> String {
    format!(
        "{}: {} ({}): {}",
        finding.rule,
        finding.violation.address,
        finding.violation.location,
        finding.violation.message
    )
}

/// The report as text for a terminal: each standing finding as an error
/// (mandatory rules) or a warning (advisory rules) with its rule, severity,
/// enforcement, resource, location, message and remediation; then the
/// suppressed findings with their justifications and where they were
/// suppressed; then unused suppressions; then a summary line.
pub fn human(report: &Report) -> String {
    let mut text = String::new();
    let failed = |wanted: Enforcement| {
        report.findings.iter().filter(move |f| {
            matches!(f.outcome, Outcome::Failed)
                && enforcement(report, f) == wanted
        })
    };
    for (heading, wanted) in [
        ("Error", Enforcement::Mandatory),
        ("Warning", Enforcement::Advisory),
    ] {
        for finding in failed(wanted) {
            human_failure(&mut text, report, heading, finding);
        }
    }
    for finding in &report.findings {
        let Outcome::Suppressed {
            justification,
            location,
        } = &finding.outcome
        else {
            continue;
        };
        let title = report.rule(&finding.rule).map_or("", |r| &r.title);
        let _ = writeln!(
            text,
            "Suppressed: [{}] {title}\n\n  on {}, in {}:\n  {}\n\n  \
             Justification: {justification}\n  Suppressed at {location}\n",
            finding.rule,
            finding.violation.location,
            finding.violation.address,
            finding.violation.message,
        );
    }
    for unused in &report.unused_suppressions {
        let _ = writeln!(
            text,
            "Warning: unused suppression of {} for {}\n\n  at {}: it \
             matches no finding; remove it or fix the rule id or \
             resource.\n  Justification: {}\n",
            unused.rule, unused.address, unused.location, unused.justification,
        );
    }
    text.push_str(&Summary::of(report).line());
    text.push('\n');
    printable(&text)
}

fn human_failure(
    text: &mut String,
    report: &Report,
    heading: &str,
    finding: &Finding,
) {
    let rule = report.rule(&finding.rule);
    let title = rule.map_or("", |r| &r.title);
    let _ = writeln!(text, "{heading}: [{}] {title}\n", finding.rule);
    let _ = writeln!(
        text,
        "  on {}, in {}:",
        finding.violation.location, finding.violation.address
    );
    if let Some(rule) = rule {
        let _ = write!(
            text,
            "  severity {}, {}",
            rule.severity.word(),
            enforcement_word(rule.enforcement)
        );
        if !rule.controls.is_empty() {
            let controls: Vec<String> =
                rule.controls.iter().map(|c| c.to_string()).collect();
            let _ = write!(text, "; controls: {}", controls.join(", "));
        }
        text.push('\n');
    }
    let _ = writeln!(text, "\n  {}", finding.violation.message);
    if let Some(rule) = rule.filter(|r| !r.remediation.is_empty()) {
        let _ = writeln!(text, "\n  Remediation: {}", rule.remediation);
    }
    text.push('\n');
}

fn enforcement_word(enforcement: Enforcement) -> &'static str {
    match enforcement {
        Enforcement::Advisory => "advisory",
        Enforcement::Mandatory => "mandatory",
    }
}

fn location_json(location: &SourceLocation) -> Json {
    json!({ "file": location.file, "line": location.line })
}

fn controls_json(rule: &Rule) -> Json {
    rule.controls
        .iter()
        .map(|c| json!({ "framework": c.framework.name(), "id": c.id }))
        .collect()
}

/// The report in the documented JSON shape (see the [module
/// documentation](self)).
pub fn json(report: &Report) -> Json {
    let summary = Summary::of(report);
    let rules: Vec<Json> = report
        .rules
        .iter()
        .map(|(id, (pack, rule))| {
            json!({
                "id": id,
                "pack": pack,
                "title": rule.title,
                "description": rule.description,
                "remediation": rule.remediation,
                "severity": rule.severity.word(),
                "enforcement": enforcement_word(rule.enforcement),
                "controls": controls_json(rule),
            })
        })
        .collect();
    let findings: Vec<Json> = report
        .findings
        .iter()
        .map(|finding| {
            let rule = report.rule(&finding.rule);
            let mut entry = json!({
                "rule": finding.rule,
                "pack": pack_of(report, &finding.rule),
                "severity": rule.map(|r| r.severity.word()),
                "enforcement":
                    enforcement_word(enforcement(report, finding)),
                "address": finding.violation.address.to_string(),
                "location": location_json(&finding.violation.location),
                "message": finding.violation.message,
            });
            match &finding.outcome {
                Outcome::Failed => entry["status"] = json!("failed"),
                Outcome::Suppressed {
                    justification,
                    location,
                } => {
                    entry["status"] = json!("suppressed");
                    entry["suppression"] = json!({
                        "justification": justification,
                        "location": location_json(location),
                    });
                }
            }
            entry
        })
        .collect();
    let unused: Vec<Json> = report
        .unused_suppressions
        .iter()
        .map(|s| {
            json!({
                "rule": s.rule,
                "address": s.address.to_string(),
                "justification": s.justification,
                "location": location_json(&s.location),
            })
        })
        .collect();
    json!({
        "format_version": JSON_FORMAT_VERSION,
        "environment": report.environment,
        "passed": report.is_clean(),
        "summary": {
            "rules": summary.rules,
            "failed": summary.mandatory_failed + summary.advisory_failed,
            "mandatory_failed": summary.mandatory_failed,
            "advisory_failed": summary.advisory_failed,
            "suppressed": summary.suppressed,
            "unused_suppressions": summary.unused_suppressions,
        },
        "rules": rules,
        "findings": findings,
        "unused_suppressions": unused,
    })
}

/// The SARIF level of a rule's findings: `error` for mandatory rules
/// (they stop plans), and for advisory ones `warning`, or `note` when
/// the severity is low.
pub fn sarif_level(rule: Option<&Rule>) -> &'static str {
    match rule {
        None => "error",
        Some(rule) => match (rule.enforcement, rule.severity) {
            (Enforcement::Mandatory, _) => "error",
            (Enforcement::Advisory, Severity::Low) => "note",
            (Enforcement::Advisory, _) => "warning",
        },
    }
}

/// The `security-severity` score code scanning sorts by (0.0 to 10.0).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Low => "3.0",
        Severity::Medium => "5.5",
        Severity::High => "8.0",
        Severity::Critical => "9.5",
    }
}

/// A source file as a SARIF artifact location: relative paths (as the
/// compiler records files of the workspace) against `%SRCROOT%`, absolute
/// ones as `file:` URIs.
fn artifact_location(file: &str) -> Json {
    let path = file.replace('\\', "/");
    let absolute = path.starts_with('/')
        || path.as_bytes().get(1) == Some(&b':')
            && path.as_bytes()[0].is_ascii_alphabetic();
    if absolute {
        let path = path.trim_start_matches('/');
        let uri = format!("file:///{}", encode_uri_path(path, true));
        json!({ "uri": uri })
    } else {
        let uri = encode_uri_path(&path, false);
        json!({ "uri": uri, "uriBaseId": "%SRCROOT%" })
    }
}

/// Percent-encodes what a URI path may not hold as is (a colon may stand
/// in an absolute path, not in the first segment of a relative one).
fn encode_uri_path(path: &str, colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/')
            || colon && byte == b':';
        if keep {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn sarif_location(location: &SourceLocation) -> Json {
    json!({
        "physicalLocation": {
            "artifactLocation": artifact_location(&location.file),
            "region": { "startLine": location.line.max(1) },
        }
    })
}

fn sarif_rule(pack: &str, rule: &Rule) -> Json {
    let controls: Vec<String> =
        rule.controls.iter().map(|c| c.to_string()).collect();
    let mut tags = vec!["security".to_owned(), format!("pack:{pack}")];
    tags.extend(controls.iter().cloned());
    let description = if rule.description.is_empty() {
        &rule.title
    } else {
        &rule.description
    };
    let mut entry = json!({
        "id": rule.id,
        "name": rule.id,
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": description },
        "defaultConfiguration": { "level": sarif_level(Some(rule)) },
        "properties": {
            "pack": pack,
            "severity": rule.severity.word(),
            "enforcement": enforcement_word(rule.enforcement),
            "security-severity": security_severity(rule.severity),
            "controls": controls,
            "tags": tags,
        },
    });
    if !rule.remediation.is_empty() {
        entry["help"] = json!({
            "text": rule.remediation,
            "markdown": format!("**Remediation:** {}", rule.remediation),
        });
    }
    entry
}

/// The report as a SARIF 2.1.0 log with one run: the rules as the tool
/// driver's rules, each finding as a result at the Rust source line that
/// declared the resource, with the resource's address as its logical
/// location; suppressed findings carry an in-source suppression with the
/// justification and where it was declared; unused suppressions are
/// warnings of the invocation.
pub fn sarif(report: &Report) -> Json {
    let index: BTreeMap<&str, usize> = report
        .rules
        .keys()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let rules: Vec<Json> = report
        .rules
        .values()
        .map(|(pack, rule)| sarif_rule(pack, rule))
        .collect();
    let results: Vec<Json> = report
        .findings
        .iter()
        .map(|finding| {
            let rule = report.rule(&finding.rule);
            let address = &finding.violation.address;
            let mut location = sarif_location(&finding.violation.location);
            location["logicalLocations"] = json!([{
                "name": address.name.as_str(),
                "fullyQualifiedName": address.to_string(),
                "kind": "resource",
            }]);
            let mut result = Map::new();
            result.insert("ruleId".into(), json!(finding.rule));
            if let Some(&i) = index.get(finding.rule.as_str()) {
                result.insert("ruleIndex".into(), json!(i));
            }
            result.insert("level".into(), json!(sarif_level(rule)));
            result.insert(
                "message".into(),
                json!({
                    "text": format!(
                        "{}: {}",
                        address, finding.violation.message
                    )
                }),
            );
            result.insert("locations".into(), json!([location]));
            if let Outcome::Suppressed {
                justification,
                location,
            } = &finding.outcome
            {
                result.insert(
                    "suppressions".into(),
                    json!([{
                        "kind": "inSource",
                        "status": "accepted",
                        "justification": justification,
                        "location": sarif_location(location),
                    }]),
                );
            }
            if let Some(rule) = rule {
                result.insert(
                    "properties".into(),
                    json!({
                        "severity": rule.severity.word(),
                        "enforcement": enforcement_word(rule.enforcement),
                    }),
                );
            }
            Json::Object(result)
        })
        .collect();
    let notifications: Vec<Json> = report
        .unused_suppressions
        .iter()
        .map(|s| {
            json!({
                "level": "warning",
                "message": {
                    "text": format!(
                        "unused suppression of {} for {}: it matches no \
                         finding",
                        s.rule, s.address
                    )
                },
                "locations": [sarif_location(&s.location)],
            })
        })
        .collect();
    let mut invocation = json!({ "executionSuccessful": true });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = json!(notifications);
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": TOOL_NAME,
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "automationDetails": {
                "id": format!("{TOOL_NAME}/policy/{}/", report.environment),
            },
            "originalUriBaseIds": {
                "%SRCROOT%": {
                    "description": {
                        "text": "The root of the environment's workspace."
                    }
                }
            },
            "invocations": [invocation],
            "results": results,
            "properties": { "environment": report.environment },
        }]
    })
}

/// The report as JUnit XML: one `testsuite` per pack (by name), one
/// `testcase` per rule that found nothing and per finding otherwise
/// (named `RULE address`); standing findings are `failure`s (of type
/// `mandatory` or `advisory`), suppressed ones are `skipped` with the
/// justification.
///
/// # Errors
///
/// Fails only if the XML writer fails, which it does not when writing to
/// memory.
pub fn junit(report: &Report) -> Result<String, ReportError> {
    let mut packs: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
    for (pack, rule) in report.rules.values() {
        packs.entry(pack).or_default().push(rule);
    }
    let findings = |id: &str| {
        report
            .findings
            .iter()
            .filter(move |f| f.rule == id)
            .collect::<Vec<_>>()
    };
    let count = |rules: &[&Rule]| {
        let mut counts = (0usize, 0usize, 0usize);
        for rule in rules {
            let found = findings(&rule.id);
            counts.0 += found.len().max(1);
            for finding in found {
                match finding.outcome {
                    Outcome::Failed => counts.1 += 1,
                    Outcome::Suppressed { .. } => counts.2 += 1,
                }
            }
        }
        counts
    };
    let all: Vec<&Rule> = packs.values().flatten().copied().collect();
    let (tests, failures, skipped) = count(&all);
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new(
        "1.0",
        Some("UTF-8"),
        None,
    )))?;
    let suites_name =
        format!("{TOOL_NAME} policy check of {}", report.environment);
    writer
        .create_element("testsuites")
        .with_attributes([
            ("name", suites_name.as_str()),
            ("tests", &tests.to_string()),
            ("failures", &failures.to_string()),
            ("errors", "0"),
            ("skipped", &skipped.to_string()),
        ])
        .write_inner_content(|w| {
            for (pack, rules) in &packs {
                let (tests, failures, skipped) = count(rules);
                w.create_element("testsuite")
                    .with_attributes([
                        ("name", *pack),
                        ("tests", &tests.to_string()),
                        ("failures", &failures.to_string()),
                        ("errors", "0"),
                        ("skipped", &skipped.to_string()),
                    ])
                    .write_inner_content(|w| {
                        w.create_element("properties").write_inner_content(
                            |w| {
                                w.create_element("property")
                                    .with_attributes([
                                        ("name", "environment"),
                                        ("value", &report.environment),
                                    ])
                                    .write_empty()?;
                                Ok(())
                            },
                        )?;
                        for rule in rules {
                            junit_rule(w, pack, rule, &findings(&rule.id))?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    let mut text = String::from_utf8(writer.into_inner())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    text.push('\n');
    Ok(printable(&text))
}

/// `text` with every control character but newline, tab and carriage
/// return replaced by U+FFFD: XML 1.0 cannot hold them, and a terminal
/// would obey escape sequences hidden in a message or a justification.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\t' | '\r') {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

fn junit_rule(
    w: &mut Writer<Vec<u8>>,
    pack: &str,
    rule: &Rule,
    findings: &[&Finding],
) -> std::io::Result<()> {
    let classname = format!("{pack}.{}", rule.id);
    if findings.is_empty() {
        w.create_element("testcase")
            .with_attributes([
                ("name", rule.id.as_str()),
                ("classname", &classname),
            ])
            .write_empty()?;
        return Ok(());
    }
    for finding in findings {
        let name = format!("{} {}", rule.id, finding.violation.address);
        let location = &finding.violation.location;
        let element = w.create_element("testcase").with_attributes([
            ("name", name.as_str()),
            ("classname", &classname),
            ("file", &location.file),
            ("line", &location.line.to_string()),
        ]);
        match &finding.outcome {
            Outcome::Failed => {
                let mut body = format!(
                    "[{}] {}\nresource: {}\nlocation: {}\nseverity: {}, {}\n",
                    rule.id,
                    rule.title,
                    finding.violation.address,
                    location,
                    rule.severity.word(),
                    enforcement_word(rule.enforcement),
                );
                if !rule.remediation.is_empty() {
                    let _ = writeln!(body, "remediation: {}", rule.remediation);
                }
                let message = format!(
                    "{}: {}",
                    finding.violation.address, finding.violation.message
                );
                element.write_inner_content(|w| {
                    w.create_element("failure")
                        .with_attributes([
                            ("message", message.as_str()),
                            ("type", enforcement_word(rule.enforcement)),
                        ])
                        .write_text_content(BytesText::new(&body))?;
                    Ok(())
                })?;
            }
            Outcome::Suppressed {
                justification,
                location,
            } => {
                let message =
                    format!("suppressed at {location}: {justification}");
                element.write_inner_content(|w| {
                    w.create_element("skipped")
                        .with_attribute(("message", message.as_str()))
                        .write_empty()?;
                    Ok(())
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_locations_are_uris() {
        assert_eq!(
            artifact_location("examples/my env/main.rs"),
            json!({
                "uri": "examples/my%20env/main.rs",
                "uriBaseId": "%SRCROOT%",
            })
        );
        assert_eq!(
            artifact_location("/home/me/.cargo/x#1.rs"),
            json!({ "uri": "file:///home/me/.cargo/x%231.rs" })
        );
        assert_eq!(
            artifact_location("C:\\src\\main.rs"),
            json!({ "uri": "file:///C:/src/main.rs" })
        );
    }

    #[test]
    fn levels_follow_enforcement_then_severity() {
        let rule = |e, s| Rule::new("X", "x").enforcement(e).severity(s);
        use Enforcement::{Advisory, Mandatory};
        assert_eq!(sarif_level(Some(&rule(Mandatory, Severity::Low))), "error");
        assert_eq!(sarif_level(Some(&rule(Advisory, Severity::Low))), "note");
        assert_eq!(
            sarif_level(Some(&rule(Advisory, Severity::Critical))),
            "warning"
        );
        assert_eq!(sarif_level(None), "error");
    }

    #[test]
    fn control_characters_never_reach_xml_or_a_terminal() {
        assert_eq!(
            printable("a \u{1} \u{1b}[31mred\n\tok"),
            "a \u{fffd} \u{fffd}[31mred\n\tok"
        );
    }
}
