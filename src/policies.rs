//! The policy packs the command line runs, and the gate that `synth`,
//! `plan` and `apply` pass before they do anything.
//!
//! `check` renders the whole report; the other commands run the same
//! packs first, refuse to go on while a mandatory rule has a standing
//! violation (naming each rule, resource and source line), and print the
//! findings of advisory rules as warnings.
//!
//! ```
//! use onioncloud::core::policy::{self, Pack};
//! use onioncloud::policies;
//! use onioncloud::prelude::*;
//!
//! let mut env = Env::new("demo");
//! env.add("main", aws::Vpc::new("10.0.0.0/16"));
//! let env = env.compile().unwrap();
//! let packs = policies::default_packs();
//! let report = policies::check(&env, &packs);
//! // A VPC without flow logs is refused.
//! let refusal = policies::gate("plan", &report).unwrap_err().to_string();
//! assert!(refusal.contains("OC-AWS-VPC-FLOW-LOGS: aws_vpc.main"));
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use onioncloud_core::CompiledEnv;
use onioncloud_core::policy::report::{self, Format, ReportError};
use onioncloud_core::policy::{self, Finding, Pack, Report};

/// The packs `check`, `synth`, `plan` and `apply` run when the
/// environment crate names none ([`cli::main`](crate::cli::main) and
/// [`cli::run`](crate::cli::run)).
///
/// These are the built-in packs, [`onioncloud_providers::policies::all`]:
/// every AWS, Google Cloud, private-cloud and common rule, with the
/// default tag policy. An environment crate that wants others passes its
/// own to [`cli::main_with_packs`](crate::cli::main_with_packs) or
/// [`cli::run_with_packs`](crate::cli::run_with_packs).
pub fn default_packs() -> Vec<Pack> {
    onioncloud_providers::policies::all()
}

/// Errors of the policy gate and of writing reports.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A mandatory rule has standing violations.
    #[error(
        "{command} refused: {what}:\n{details}\nfix each, or accept it in code with \
         `Env::suppress(rule, &resource, justification)`; `check` shows \
         the full report"
    )]
    Refused {
        /// The command refused, like `plan`.
        command: String,
        /// How many violations stand, like `2 violations of mandatory
        /// policy rules`.
        what: String,
        /// One line per violation: rule id, resource address, source
        /// location and message.
        details: String,
    },
    /// The report could not be rendered.
    #[error(transparent)]
    Render(#[from] ReportError),
    /// The report could not be written.
    #[error("cannot write the policy report to {}", path.display())]
    Write {
        /// The file, or `<stdout>`.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Checks `env` against `packs`.
pub fn check(env: &CompiledEnv, packs: &[Pack]) -> Report {
    let packs: Vec<&Pack> = packs.iter().collect();
    policy::check(env, &packs)
}

/// How many advisory findings of one rule are listed one by one before
/// they are summed up in one warning.
const GROUPED_AFTER: usize = 3;

/// Lets `command` go on when no mandatory rule has a standing violation,
/// returning one warning line per standing violation of an advisory rule
/// (and per unused suppression).
///
/// # Errors
///
/// [`PolicyError::Refused`] naming every standing violation of a
/// mandatory rule: its rule id, resource address, source location and
/// message.
pub fn gate(
    command: &str,
    report: &Report,
) -> Result<Vec<String>, PolicyError> {
    let mut details = String::new();
    let mut count = 0;
    for finding in report.mandatory_failures() {
        count += 1;
        let _ = writeln!(details, "  {}", report::finding_line(finding));
    }
    if count > 0 {
        return Err(PolicyError::Refused {
            command: command.to_owned(),
            what: if count == 1 {
                "1 violation of a mandatory policy rule".to_owned()
            } else {
                format!("{count} violations of mandatory policy rules")
            },
            details: details.trim_end().to_owned(),
        });
    }
    // One line per advisory finding, or one per rule for a rule that
    // flags many resources, so that warnings stay readable.
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in report.failures() {
        by_rule.entry(&finding.rule).or_default().push(finding);
    }
    let mut warnings = Vec::new();
    for (rule, findings) in by_rule {
        if findings.len() <= GROUPED_AFTER {
            warnings.extend(findings.iter().map(|f| {
                format!("Warning: advisory policy {}", report::finding_line(f))
            }));
        } else {
            warnings.push(format!(
                "Warning: advisory policy {rule}: {} resources, the first \
                 {}; `check` lists them all",
                findings.len(),
                report::finding_line(findings[0])
                    .trim_start_matches(&format!("{rule}: "))
            ));
        }
    }
    warnings.extend(report.unused_suppressions.iter().map(|s| {
        let why = if report.rules.contains_key(&s.rule) {
            "it matches no finding"
        } else {
            "no rule checked has that id"
        };
        format!(
            "Warning: unused suppression of {} for {} at {}: {why}",
            s.rule, s.address, s.location
        )
    }));
    Ok(warnings)
}

/// Renders `report` in `format` to `output`, or to `out` when there is
/// none. A file is written atomically: to a temporary file beside it,
/// then renamed over it, so a reader never sees half a report. After a
/// file is written, `out` gets a line naming it and the summary line.
///
/// # Errors
///
/// Fails when the file or `out` cannot be written.
pub fn write_report(
    report: &Report,
    format: Format,
    output: Option<&Path>,
    out: &mut dyn std::io::Write,
) -> Result<(), PolicyError> {
    let text = report::render(report, format)?;
    let Some(path) = output else {
        return out.write_all(text.as_bytes()).map_err(|source| {
            PolicyError::Write {
                path: PathBuf::from("<stdout>"),
                source,
            }
        });
    };
    let write_error = |source| PolicyError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    file.write_all(text.as_bytes()).map_err(write_error)?;
    file.as_file().sync_all().map_err(write_error)?;
    file.persist(path).map_err(|e| write_error(e.error))?;
    let summary = report::Summary::of(report).line();
    let line = format!(
        "Wrote the policy report ({format}) to {}.\n{summary}\n",
        path.display()
    );
    out.write_all(line.as_bytes())
        .map_err(|source| PolicyError::Write {
            path: PathBuf::from("<stdout>"),
            source,
        })
}
