//! One locked session on an environment's state: plan, apply, refresh,
//! state surgery, all under the store's lock.
//!
//! The [`Providers`] must serve every provider configuration the
//! environment uses ([`provider_config_of`](super::provider::provider_config_of)
//! of each declaration) and every one the state records, so that resources
//! of a configuration no longer declared can still be destroyed. With the
//! simulated cloud, `SimCloud::provider(config)` serves each.
//!
//! ```no_run
//! # async fn demo(
//! #     env: &onioncloud_core::CompiledEnv,
//! #     store: &dyn onioncloud_core::engine::store::StateStore,
//! #     providers: &onioncloud_core::engine::provider::Providers,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use onioncloud_core::engine::diff::PlanOptions;
//! use onioncloud_core::engine::exec::{ExecOptions, Shutdown};
//! use onioncloud_core::engine::session::{NoEvents, Session};
//!
//! let mut session = Session::open(store, providers, "apply").await?;
//! let plan = session.plan(env, &PlanOptions::default(), true).await?;
//! let summary = session
//!     .apply(&plan, &ExecOptions::default(), &NoEvents, &Shutdown::new())
//!     .await?;
//! session.close().await?;
//! assert!(summary.failed.is_empty());
//! # Ok(()) }
//! ```

use thiserror::Error;

use super::diff::{self, PlanError, PlanErrors, PlanOptions};
use super::exec::{self, Event, ExecError, ExecOptions, Observer, Shutdown};
use super::plan::{Action, Plan};
use super::provider::{ErrorKind, ProviderError, Providers};
use super::state::{JournalEntry, StateDoc};
use super::store::{LockInfo, StateStore, StoreError};
use crate::compile::CompiledEnv;

/// The hash a plan records when no state existed yet.
pub const NO_STATE: &str = "none";

/// What a session can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The state store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The environment cannot be planned.
    #[error(transparent)]
    Plan(#[from] PlanErrors),
    /// A provider failed while reconciling or refreshing.
    #[error("{address}: {error}")]
    Provider {
        /// The resource.
        address: String,
        /// The error, which names the operation and the cloud's code.
        error: ProviderError,
    },
    /// Applying failed on the state store.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// A saved plan does not fit the current state.
    #[error("{0}")]
    StalePlan(String),
}

impl From<diff::ProviderFailure> for SessionError {
    fn from(failure: diff::ProviderFailure) -> Self {
        SessionError::Provider {
            address: failure.address,
            error: failure.error,
        }
    }
}

/// An observer that ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvents;

impl Observer for NoEvents {
    fn event(&self, _: &Event) {}
}

/// A locked state, its providers, and what was read.
pub struct Session<'a> {
    store: &'a dyn StateStore,
    providers: &'a Providers,
    lock: Option<LockInfo>,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("store", &self.store.describe())
            .field("lock", &self.lock)
            .finish()
    }
}

impl<'a> Session<'a> {
    /// Locks the store for `operation`.
    ///
    /// # Errors
    ///
    /// Fails at once when someone else holds the lock, naming them.
    pub async fn open(
        store: &'a dyn StateStore,
        providers: &'a Providers,
        operation: &str,
    ) -> Result<Session<'a>, SessionError> {
        let lock = LockInfo::for_current_process(operation);
        store.lock(&lock).await?;
        tracing::debug!(store = %store.describe(), id = %lock.id, "locked");
        Ok(Self {
            store,
            providers,
            lock: Some(lock),
        })
    }

    /// Releases the lock.
    ///
    /// # Errors
    ///
    /// Fails when the store cannot release it.
    pub async fn close(mut self) -> Result<(), SessionError> {
        if let Some(lock) = self.lock.take() {
            self.store.unlock(&lock).await?;
        }
        Ok(())
    }

    /// The stored state and its hash; a new, empty state of a fresh
    /// lineage and [`NO_STATE`] when nothing was stored.
    ///
    /// # Errors
    ///
    /// Fails when the store cannot be read.
    pub async fn state(&self) -> Result<(StateDoc, String), SessionError> {
        Ok(match self.store.read().await? {
            Some(state) => {
                let hash = state.hash();
                (state, hash)
            }
            None => {
                (StateDoc::new(StateDoc::new_lineage()), NO_STATE.to_owned())
            }
        })
    }

    /// Plans the environment: settles pending operations, refreshes from
    /// the clouds when `refresh` is set, and compares.
    ///
    /// # Errors
    ///
    /// Fails when the state cannot be read, a provider fails, or the
    /// environment cannot be planned.
    pub async fn plan(
        &self,
        env: &CompiledEnv,
        options: &PlanOptions,
        refresh: bool,
    ) -> Result<Plan, SessionError> {
        let (mut state, hash) = self.state().await?;
        let reconcile = diff::reconcile(&state, self.providers).await?;
        for entry in &reconcile {
            state.apply_entry(entry);
        }
        let mut refreshed = Vec::new();
        if refresh {
            refreshed =
                diff::refresh(&state, self.providers, REFRESH_PARALLELISM)
                    .await?;
            for entry in &refreshed {
                state.apply_entry(entry);
            }
        }
        let mut plan =
            diff::plan(env, &state, &hash, reconcile, self.providers, options)?;
        plan.refreshed = refreshed;
        self.check_imports(env, &plan).await?;
        Ok(plan)
    }

    /// Reads every object an import names, so that an id the cloud does
    /// not have is an error now, at the line of the import, rather than a
    /// failed apply.
    async fn check_imports(
        &self,
        env: &CompiledEnv,
        plan: &Plan,
    ) -> Result<(), SessionError> {
        let mut missing = Vec::new();
        for change in &plan.changes {
            let (Action::Import, Some(id)) = (change.action, &change.id) else {
                continue;
            };
            let provider =
                self.providers.get(&change.provider).map_err(|error| {
                    SessionError::Provider {
                        address: change.address.clone(),
                        error,
                    }
                })?;
            let found = match provider.read(&change.resource_type, id).await {
                Ok(found) => found,
                Err(error) if error.kind == ErrorKind::NotFound => None,
                Err(error) => {
                    return Err(SessionError::Provider {
                        address: change.address.clone(),
                        error,
                    });
                }
            };
            if found.is_none() {
                let location = env
                    .imports()
                    .iter()
                    .find(|i| i.to.to_string() == change.address)
                    .map(|i| i.location.clone());
                if let Some(location) = location {
                    missing.push(PlanError::ImportNotFound {
                        address: change.address.clone(),
                        resource_type: change.resource_type.clone(),
                        id: id.clone(),
                        location,
                    });
                }
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(SessionError::Plan(PlanErrors(missing)))
        }
    }

    /// Checks that a saved `plan` is exactly what planning `env` gives
    /// against the state it was made against (with the refresh it
    /// recorded): a plan file edited by hand, or made from other code, is
    /// refused, so that what is applied is what the code, and the policy
    /// checks of it, say. A plan made against another state is left to
    /// [`Session::apply`], which refuses it.
    ///
    /// # Errors
    ///
    /// [`SessionError::StalePlan`] naming the first resource whose change
    /// differs; or the errors of planning.
    pub async fn verify(
        &self,
        env: &CompiledEnv,
        plan: &Plan,
    ) -> Result<(), SessionError> {
        let (mut state, hash) = self.state().await?;
        if hash != plan.state_hash {
            return Ok(());
        }
        // Without a stored state the lineage is new each time; the plan's
        // idempotency tokens were derived from the one it recorded.
        if let Some(lineage) = &plan.lineage {
            state.lineage.clone_from(lineage);
        }
        for entry in plan.reconcile.iter().chain(&plan.refreshed) {
            state.apply_entry(entry);
        }
        let options = PlanOptions {
            destroy: plan.destroy,
            variables: plan.variables.clone(),
            sensitive_variables: plan.sensitive_values.clone(),
        };
        let replanned = diff::plan(
            env,
            &state,
            &hash,
            plan.reconcile.clone(),
            self.providers,
            &options,
        )?;
        if replanned.changes == plan.changes {
            return Ok(());
        }

        let differing = replanned
            .changes
            .iter()
            .zip(&plan.changes)
            .find(|(ours, theirs)| ours != theirs)
            .map(|(ours, _)| ours.address.clone())
            .or_else(|| {
                let longer = if replanned.changes.len() > plan.changes.len() {
                    &replanned.changes
                } else {
                    &plan.changes
                };
                let shorter = replanned.changes.len().min(plan.changes.len());
                longer.get(shorter).map(|c| c.address.clone())
            })
            .unwrap_or_default();
        Err(SessionError::StalePlan(format!(
            "the plan file does not match what the environment's code plans \
             against the same state (first difference: {differing}): it \
             was edited, or made from other code; make the plan again"
        )))
    }

    /// Applies a plan made against the current state, then compacts the
    /// journal into a new snapshot.
    ///
    /// # Errors
    ///
    /// Fails when the state changed since the plan was made, or the store
    /// fails; provider failures are in the summary.
    pub async fn apply(
        &self,
        plan: &Plan,
        options: &ExecOptions,
        observer: &dyn Observer,
        shutdown: &Shutdown,
    ) -> Result<exec::Summary, SessionError> {
        let stored = self.store.read().await?;
        let state = match stored {
            Some(state) => {
                let hash = state.hash();
                if hash != plan.state_hash {
                    return Err(SessionError::StalePlan(format!(
                        "the state changed since the plan was made (it is \
                         now at serial {} of lineage {}; the plan was made \
                         at serial {}); make a new plan",
                        state.serial, state.lineage, plan.serial
                    )));
                }
                state
            }
            None => {
                if plan.state_hash != NO_STATE {
                    return Err(SessionError::StalePlan(
                        "the plan was made against a state that no longer \
                         exists; make a new plan"
                            .to_owned(),
                    ));
                }
                let lineage =
                    plan.lineage.clone().unwrap_or_else(StateDoc::new_lineage);
                let mut state = StateDoc::new(lineage);
                state.serial = plan.serial;
                self.store.write(&state).await?;
                state
            }
        };
        let serial = state.serial;
        let summary = exec::execute(
            plan,
            state,
            self.store,
            self.providers,
            options,
            observer,
            shutdown,
        )
        .await?;
        let mut compacted = summary.state.clone();
        compacted.serial = serial + 1;
        // Data sources are read, never destroyed: the state keeps those
        // the plan still reads, and forgets the rest (all of them after a
        // destroy).
        let read: std::collections::BTreeSet<&str> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Read)
            .map(|c| c.address.as_str())
            .collect();
        compacted.resources.retain(|address, _| {
            !address.starts_with("data.") || read.contains(address.as_str())
        });
        self.store.write(&compacted).await?;
        Ok(summary)
    }

    /// Reads every resource from its cloud and records what changed.
    /// Returns the entries written.
    ///
    /// # Errors
    ///
    /// Fails when a provider or the store fails.
    pub async fn refresh(&self) -> Result<Vec<JournalEntry>, SessionError> {
        let (mut state, _) = self.state().await?;
        let mut entries = diff::reconcile(&state, self.providers).await?;
        for entry in &entries {
            state.apply_entry(entry);
        }
        let changes =
            diff::refresh(&state, self.providers, REFRESH_PARALLELISM).await?;
        for entry in &changes {
            state.apply_entry(entry);
        }
        entries.extend(changes);
        self.commit(state).await?;
        Ok(entries)
    }

    /// Writes `state` as the next snapshot.
    ///
    /// # Errors
    ///
    /// Fails when the store refuses or fails.
    pub async fn commit(
        &self,
        mut state: StateDoc,
    ) -> Result<(), SessionError> {
        state.serial += 1;
        self.store.write(&state).await?;
        Ok(())
    }
}

/// How many resources a refresh reads at once.
const REFRESH_PARALLELISM: usize = 16;
