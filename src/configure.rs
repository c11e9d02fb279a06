//! Configuring the machines with Salt once their infrastructure exists.
//!
//! After the infrastructure part of `apply`, the pillar values that come
//! from it (addresses, endpoints, bucket names) are known: they are in the
//! state. [`configure`] synthesizes the Salt and pillar trees with those
//! values filled in and applies each machine's highstate through a
//! [`SaltRunner`]: `salt-ssh` for the machines the environment created,
//! or a masterless `salt-call --local` on this machine, for sandboxes and
//! tests. The outcome is a [`SaltReport`] per machine, rendered in the
//! apply summary.

use std::collections::BTreeMap;
use std::path::PathBuf;

use onioncloud_core::CompiledEnv;
use onioncloud_core::engine::state::StateDoc;
use onioncloud_salt::runner::{SaltRunner, StateResult};
use onioncloud_salt::ssh::{Roster, RosterEntry, SshRunner};
use onioncloud_salt::{Deployed, DeployedMinion, MachineError, synth_deployed};
use serde_json::Value as Json;

/// What Salt did on one machine.
#[derive(Debug, Clone, PartialEq)]
pub struct MinionReport {
    /// The minion id.
    pub minion: String,
    /// The machine's resource address.
    pub address: String,
    /// The results of its states, in the order Salt ran them, or why Salt
    /// could not run on it.
    pub outcome: Result<Vec<StateResult>, String>,
}

impl MinionReport {
    /// The states that failed.
    pub fn failed(&self) -> impl Iterator<Item = &StateResult> {
        self.outcome
            .iter()
            .flatten()
            .filter(|result| result.result == Some(false))
    }

    /// Whether Salt ran and no state failed.
    pub fn succeeded(&self) -> bool {
        self.outcome.is_ok() && self.failed().next().is_none()
    }
}

/// What Salt did on every machine of an environment.
#[derive(Debug, Clone, PartialEq)]
pub struct SaltReport {
    /// How Salt reached the machines, like `salt-call --local`.
    pub runner: String,
    /// Whether Salt only reported what it would change.
    pub test: bool,
    /// One report per machine, by minion id.
    pub minions: Vec<MinionReport>,
}

impl SaltReport {
    /// Whether every machine was configured without a failed state.
    pub fn succeeded(&self) -> bool {
        self.minions.iter().all(MinionReport::succeeded)
    }
}

/// How [`configure`] reaches the machines.
pub enum SaltVia<'a> {
    /// One runner for every machine, such as a
    /// [`LocalRunner`](onioncloud_salt::runner::LocalRunner).
    Runner(&'a dyn SaltRunner),
    /// `salt-ssh`, logging in to each machine at the host the state
    /// records for it.
    Ssh(&'a SshSettings),
}

/// What `salt-ssh` needs beyond what each machine says of its login.
#[derive(Debug, Clone)]
pub struct SshSettings {
    /// The `salt-ssh` program.
    pub program: PathBuf,
    /// The private key to log in with.
    pub private_key: PathBuf,
    /// The known_hosts file holding the machines' host keys: no other
    /// key is accepted.
    pub known_hosts: PathBuf,
    /// The user to log in as where a machine names none.
    pub user: String,
}

impl SshSettings {
    /// A runner for one machine, from its deployed login.
    fn runner(
        &self,
        minion: &str,
        machine: &DeployedMinion,
    ) -> Result<SshRunner, String> {
        let login = machine.ssh.as_ref().ok_or_else(|| {
            "no SSH host is known for it: give one with Machine::ssh_host"
                .to_owned()
        })?;
        let defaults = RosterEntry::new(&login.host, &self.private_key);
        let entry = RosterEntry {
            port: login.port.unwrap_or(defaults.port),
            user: login.user.clone().unwrap_or_else(|| self.user.clone()),
            sudo: login.sudo,
            set_path: login.path.clone(),
            ..defaults
        };
        let mut roster = Roster::new();
        roster
            .insert(minion, entry)
            .map_err(|error| error_chain(&error))?;
        Ok(SshRunner::new(&self.program, roster, &self.known_hosts))
    }
}

impl SaltVia<'_> {
    fn describe(&self) -> String {
        match self {
            SaltVia::Runner(runner) => runner.describe(),
            SaltVia::Ssh(settings) => {
                format!(
                    "{} with the machines' hosts",
                    settings.program.display()
                )
            }
        }
    }
}

/// Synthesizes the Salt trees from the deployed `state` and applies every
/// machine's highstate through `via`; with `test`, Salt only reports what
/// would change. Machines are configured one after the other, in minion
/// id order; a machine whose pillar still waits for values, or on which
/// Salt cannot run, is reported as failed and the others still run.
///
/// # Errors
///
/// Fails when the trees cannot be synthesized: see
/// [`synth_deployed`].
pub fn configure(
    env: &CompiledEnv,
    state: &StateDoc,
    variables: &BTreeMap<String, Json>,
    via: &SaltVia<'_>,
    test: bool,
) -> Result<SaltReport, MachineError> {
    let deployed = Deployed { state, variables };
    let salt = synth_deployed(env, deployed)?;
    let mut minions = Vec::new();
    for (minion, machine) in &salt.minions {
        let outcome = if machine.pending.is_empty() {
            let span = tracing::info_span!("salt", minion = %minion,
                machine = %machine.address);
            let _entered = span.enter();
            tracing::info!(runner = %via.describe(), test,
                "applying the highstate");
            match via {
                SaltVia::Runner(runner) => {
                    runner.apply_highstate(&salt.files, minion, test)
                }
                SaltVia::Ssh(settings) => {
                    match settings.runner(minion, machine) {
                        Ok(runner) => {
                            runner.apply_highstate(&salt.files, minion, test)
                        }
                        Err(reason) => {
                            minions.push(MinionReport {
                                minion: minion.clone(),
                                address: machine.address.clone(),
                                outcome: Err(reason),
                            });
                            continue;
                        }
                    }
                }
            }
            .map_err(|error| error_chain(&error))
            .and_then(|results| delivered(results, machine))
        } else {
            Err(format!(
                "pillar keys still unknown after apply: {}",
                machine.pending.join(", ")
            ))
        };
        minions.push(MinionReport {
            minion: minion.clone(),
            address: machine.address.clone(),
            outcome,
        });
    }
    Ok(SaltReport {
        runner: via.describe(),
        test,
        minions,
    })
}

/// The results, unless Salt reported none although the machine's roles
/// hold states: then the runner did not deliver them (salt-ssh reports an
/// empty success when it cannot copy the states over, for instance), and
/// claiming the machine configured would be false.
fn delivered(
    results: Vec<StateResult>,
    machine: &DeployedMinion,
) -> Result<Vec<StateResult>, String> {
    if results.is_empty() && machine.states > 0 {
        return Err(format!(
            "Salt reported no result for any of the {} states of its roles: \
             they did not reach the machine (over SSH, check that its SSH \
             server allows scp, which needs the sftp subsystem)",
            machine.states
        ));
    }
    Ok(results)
}

/// An error and its causes, joined with `: `.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// The comment Salt gives an `onchanges` state it skipped because none of
/// its targets changed.
const ONCHANGES_SKIPPED: &str = "none of the onchanges reqs changed";

/// Whether a state changed (or, in test mode, would change) and did not
/// fail.
fn changed_state(result: &StateResult) -> bool {
    result.result != Some(false)
        && (result.has_changes() || result.result.is_none())
}

/// The report as text for the apply summary: a line per machine, a line
/// per changed state, one per failed state with its id, function and
/// Salt's comment, and in test mode a note on states Salt skipped for
/// want of changes.
pub fn render_report(report: &SaltReport) -> String {
    let mode = if report.test { ", test mode" } else { "" };
    let mut text = format!("\nSalt ({}{mode}):\n", report.runner);
    let mut skipped_in_test = 0;
    for minion in &report.minions {
        let results = match &minion.outcome {
            Ok(results) => results,
            Err(reason) => {
                text.push_str(&format!(
                    "  {} ({}): not configured: {reason}\n",
                    minion.minion, minion.address
                ));
                continue;
            }
        };
        let failed = minion.failed().count();
        let changed = results.iter().filter(|r| changed_state(r)).count();
        let verb = if report.test {
            "would change"
        } else {
            "changed"
        };
        text.push_str(&format!(
            "  {} ({}): {} states, {changed} {verb}, {failed} failed\n",
            minion.minion,
            minion.address,
            results.len(),
        ));
        for result in results.iter().filter(|r| changed_state(r)) {
            text.push_str(&format!(
                "    {verb}: {} ({})\n",
                result.id, result.function
            ));
        }
        for result in minion.failed() {
            text.push_str(&format!(
                "    failed: {} ({}): {}\n",
                result.id,
                result.function,
                result.comment.replace('\n', "\n            ")
            ));
        }
        // The quirk shows as a state that would run but reports no
        // changes; only then can a skipped onchanges state be its victim.
        let quirk = results
            .iter()
            .any(|r| r.result.is_none() && !r.has_changes());
        if report.test && quirk {
            skipped_in_test += results
                .iter()
                .filter(|r| r.comment.contains(ONCHANGES_SKIPPED))
                .count();
        }
    }
    if skipped_in_test > 0 {
        text.push_str(&format!(
            "  note: in test mode some states report no changes even \
             though a real run would make them, so {skipped_in_test} \
             state(s) with `onchanges` requisites show as not run; a real \
             apply may run them.\n"
        ));
    }
    let failed = report.minions.iter().filter(|m| !m.succeeded()).count();
    let total = report.minions.len();
    let done = if report.test { "checked" } else { "configured" };
    if failed == 0 {
        text.push_str(&format!(
            "Salt complete! Machines: {total} {done}, 0 failed.\n"
        ));
    } else {
        text.push_str(&format!(
            "Salt failed. Machines: {} {done}, {failed} failed.\n",
            total - failed
        ));
    }
    text
}

/// The report as one JSON event for `--json`.
pub fn report_json(report: &SaltReport) -> Json {
    let minions: Vec<Json> = report
        .minions
        .iter()
        .map(|minion| {
            let (states, error) = match &minion.outcome {
                Ok(results) => (
                    results
                        .iter()
                        .map(|r| {
                            serde_json::json!({
                                "id": r.id,
                                "function": r.function,
                                "name": r.name,
                                "result": r.result,
                                "changed": r.has_changes(),
                                "comment": r.comment,
                            })
                        })
                        .collect::<Vec<_>>(),
                    None,
                ),
                Err(reason) => (Vec::new(), Some(reason.clone())),
            };
            serde_json::json!({
                "minion": minion.minion,
                "address": minion.address,
                "succeeded": minion.succeeded(),
                "error": error,
                "states": states,
            })
        })
        .collect();
    serde_json::json!({
        "event": "salt",
        "runner": report.runner,
        "test": report.test,
        "succeeded": report.succeeded(),
        "minions": minions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, result: Option<bool>, changes: Json) -> StateResult {
        StateResult {
            id: id.to_owned(),
            function: "cmd.run".to_owned(),
            name: id.to_owned(),
            sls: Some("roles.app".to_owned()),
            run_num: 0,
            result,
            changes,
            comment: String::new(),
        }
    }

    fn machine(states: usize) -> DeployedMinion {
        DeployedMinion {
            address: "aws_instance.app".to_owned(),
            ssh: None,
            states,
            pending: Vec::new(),
        }
    }

    fn report(results: Vec<StateResult>, test: bool) -> SaltReport {
        SaltReport {
            runner: "salt-call --local".to_owned(),
            test,
            minions: vec![MinionReport {
                minion: "app".to_owned(),
                address: "aws_instance.app".to_owned(),
                outcome: Ok(results),
            }],
        }
    }

    #[test]
    fn no_results_for_a_machine_with_states_is_a_failure() {
        let error = delivered(Vec::new(), &machine(14)).unwrap_err();
        assert!(
            error.starts_with(
                "Salt reported no result for any of the 14 states of its roles"
            ),
            "{error}"
        );
        assert!(delivered(Vec::new(), &machine(0)).unwrap().is_empty());
        let one = vec![result("a", Some(true), Json::Null)];
        assert_eq!(delivered(one.clone(), &machine(1)).unwrap(), one);
    }

    #[test]
    fn the_test_mode_note_needs_a_state_that_hid_its_changes() {
        let mut skipped = result("reload", Some(true), Json::Null);
        skipped.comment =
            "State was not run because none of the onchanges reqs changed"
                .to_owned();
        let unchanged = result("config", Some(true), Json::Null);
        let text =
            render_report(&report(vec![unchanged, skipped.clone()], true));
        assert!(!text.contains("note:"), "{text}");

        // A command in test mode: would run, reports no changes.
        let hiding = result("migrate", None, serde_json::json!({}));
        let text = render_report(&report(vec![hiding, skipped], true));
        assert!(text.contains("note: in test mode"), "{text}");
        assert!(text.contains("1 state(s) with `onchanges`"), "{text}");
        assert!(text.ends_with("Machines: 1 checked, 0 failed.\n"), "{text}");
    }
}
