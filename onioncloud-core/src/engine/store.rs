//! Where state lives: the [`StateStore`] trait and its backends.
//!
//! - [`local::LocalStore`], the default: a directory per environment.
//! - [`postgres::PostgresStore`], for a team: one PostgreSQL database.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::state::{JournalEntry, StateDoc};

pub mod local;
#[cfg(feature = "postgres")]
pub mod postgres;

/// Who holds a lock, and since when. Never credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The lock's id, for `force-unlock`.
    pub id: String,
    /// The operation, such as `apply`.
    pub operation: String,
    /// `user@host`.
    pub who: String,
    /// The holder's process id.
    pub pid: u32,
    /// When it was taken, RFC 3339.
    pub since: String,
}

impl LockInfo {
    /// A new lock description for the current process and user.
    pub fn for_current_process(operation: &str) -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "localhost".to_owned());
        Self {
            id: StateDoc::new_lineage(),
            operation: operation.to_owned(),
            who: format!("{user}@{host}"),
            pid: std::process::id(),
            since: now_rfc3339(),
        }
    }
}

/// The current time, RFC 3339 in UTC, to the second.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// What a store can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Someone else holds the lock.
    #[error(
        "state {store} is locked by {} (process {}) since {}, for {}; lock \
         ID {}",
        .holder.who, .holder.pid, .holder.since, .holder.operation,
        .holder.id
    )]
    Locked {
        /// The store.
        store: String,
        /// Who holds it.
        holder: LockInfo,
    },
    /// `force-unlock` named a lock that is not the one held.
    #[error("state {store}: no lock with ID {id} is held{}", match .held {
        Some(h) => format!(" (the lock held has ID {})", h.id),
        None => String::new(),
    })]
    NoSuchLock {
        /// The store.
        store: String,
        /// The id given.
        id: String,
        /// The lock actually held, if any.
        held: Option<LockInfo>,
    },
    /// `force-unlock` named the lock of a holder that is still running,
    /// which the store cannot take a lock from.
    #[error(
        "state {store} is locked by {} (process {}) since {}, for {}, and \
         that process is still running; its lock cannot be forced while it \
         lives: stop it, or wait for it to finish",
        .holder.who, .holder.pid, .holder.since, .holder.operation
    )]
    HolderAlive {
        /// The store.
        store: String,
        /// Who holds it.
        holder: LockInfo,
    },
    /// A snapshot of another lineage.
    #[error(
        "state {store} belongs to lineage {stored}; refusing to write a \
         state of lineage {given}"
    )]
    Lineage {
        /// The store.
        store: String,
        /// The stored lineage.
        stored: String,
        /// The one written.
        given: String,
    },
    /// A snapshot whose serial is not above the stored one.
    #[error(
        "state {store} is at serial {stored}; refusing to write serial \
         {given}, which would lose newer changes"
    )]
    Serial {
        /// The store.
        store: String,
        /// The stored serial.
        stored: u64,
        /// The one written.
        given: u64,
    },
    /// The stored document is not a state this build reads.
    #[error("state {store} is not valid: {reason}")]
    Corrupt {
        /// The store.
        store: String,
        /// What is wrong, with the line where there is one.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("state {store}: {action} failed")]
    Io {
        /// The store.
        store: String,
        /// What was being done.
        action: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A place that keeps one environment's state, with a lock.
///
/// Every write is durable when the call returns, and atomic: a reader
/// sees the old version or the new one, never a mix.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// A short description for messages, such as the directory.
    fn describe(&self) -> String;

    /// Takes the lock, or fails at once with [`StoreError::Locked`]. A
    /// lock left by a process that died is taken over.
    async fn lock(&self, info: &LockInfo) -> Result<(), StoreError>;

    /// Releases a lock this process holds.
    async fn unlock(&self, info: &LockInfo) -> Result<(), StoreError>;

    /// Releases a lock by id, whoever holds it. Refused where the store
    /// can tell that the holder is alive and cannot be overridden.
    async fn force_unlock(&self, id: &str) -> Result<(), StoreError>;

    /// Who holds the lock, if anyone.
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StoreError>;

    /// The current state: the snapshot with the journal replayed, or
    /// `None` when nothing was ever written.
    async fn read(&self) -> Result<Option<StateDoc>, StoreError>;

    /// Appends journal entries durably, in order.
    async fn append(&self, entries: &[JournalEntry]) -> Result<(), StoreError>;

    /// Replaces the snapshot and clears the journal. Refuses another
    /// lineage, or a serial not above the stored one; the previous
    /// snapshot is kept as a backup where the store can.
    async fn write(&self, state: &StateDoc) -> Result<(), StoreError>;
}
