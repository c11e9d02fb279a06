//! The PostgreSQL state store: one database shared by a team, one row of
//! state per environment.
//!
//! Three tables, created when missing (under an advisory lock, so that
//! two processes starting at once do not race):
//!
//! - `onioncloud_states(environment, lineage, serial, document,
//!   previous)`: the snapshot as JSON text, and the one before it;
//! - `onioncloud_journal(environment, seq, entry)`: the journal, one
//!   [`JournalEntry`] a row, in `seq` order;
//! - `onioncloud_locks(environment, info, backend_pid)`: the lock, with
//!   the holder's [`LockInfo`] and its connection's backend process.
//!
//! A write replaces the snapshot and deletes the environment's journal in
//! one transaction, after `SELECT … FOR UPDATE` of the snapshot row; an
//! append inserts its entries in one transaction; a read takes the
//! snapshot and the journal from one repeatable-read transaction.
//!
//! **Locks.** The holder keeps its connection open for as long as it
//! holds the lock, and holds a session-level advisory lock whose key is
//! derived from the lock's id. A lock row whose recorded backend no longer
//! holds that advisory lock belongs to a holder whose connection ended
//! (its process died, or its network went away): the next `lock` takes
//! it over. The advisory lock, unlike a process id alone, cannot be
//! mistaken for a new backend that happens to reuse the pid, and
//! `pg_locks` shows it to every user.
//!
//! **TLS.** [`PostgresStore::connect`] requires TLS over TCP, with the
//! server's certificate verified (chain and host name, by rustls) against
//! the Mozilla roots and the system's certificate store: `sslmode=prefer`,
//! libpq's default, would fall back to plain text, so it is taken as
//! `require`. The one opt-out is explicit: `sslmode=disable` in the
//! connection string, for a loopback server in a test, say. Over a Unix
//! socket, where libpq does not use TLS either, it connects without.
//! [`PostgresStore::connect_with`] takes any other TLS connector for
//! tokio-postgres (a private certificate authority, client certificates)
//! and honours `sslmode` as given. Passwords in the connection string
//! never appear in messages.
#![allow(
    clippy::result_large_err,
    reason = "StoreError is the StateStore trait's error, sized in store.rs"
)]

use async_trait::async_trait;
use tokio_postgres::config::SslMode;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Config, IsolationLevel, NoTls, Socket};

use super::local::parse_snapshot;
use super::{LockInfo, StateStore, StoreError};
use crate::engine::state::{JournalEntry, STATE_FORMAT, StateDoc};

/// The advisory lock key under which the tables are created.
const SCHEMA_LOCK_KEY: i64 = 0x6f6e_696f_6e63_6c64;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS onioncloud_states (
    environment text PRIMARY KEY,
    lineage text NOT NULL,
    serial bigint NOT NULL,
    document text NOT NULL,
    previous text
);
CREATE TABLE IF NOT EXISTS onioncloud_journal (
    environment text NOT NULL,
    seq bigserial NOT NULL,
    entry text NOT NULL,
    PRIMARY KEY (environment, seq)
);
CREATE TABLE IF NOT EXISTS onioncloud_locks (
    environment text PRIMARY KEY,
    info text NOT NULL,
    backend_pid integer NOT NULL
);
";

/// Whether backend `$1` holds the advisory lock `($2 << 32) | $3`.
const HOLDS: &str = "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype \
                     = 'advisory' AND granted AND pid = $1 AND \
                     classid::bigint = $2 AND objid::bigint = $3 AND \
                     objsubid = 1)";

/// State kept in a PostgreSQL database.
pub struct PostgresStore {
    session: tokio::sync::Mutex<Session>,
    environment: String,
    description: String,
}

/// The connection, and the lock it holds; one statement or transaction
/// at a time.
struct Session {
    client: Client,
    held: Option<LockInfo>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("store", &self.description)
            .finish_non_exhaustive()
    }
}

/// The advisory lock key of a lock id.
fn advisory_key(id: &str) -> i64 {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("onioncloud-lock:{id}"));
    i64::from_be_bytes(digest[..8].try_into().expect("eight bytes"))
}

/// The key's halves as `pg_locks` shows them.
fn key_halves(key: i64) -> (i64, i64) {
    let key = key as u64;
    ((key >> 32) as i64, (key & 0xffff_ffff) as i64)
}

/// A description of the database without credentials.
fn describe(config: &Config, environment: &str) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => {
                path.display().to_string()
            }
        })
        .collect();
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!(
        "PostgreSQL database {database} on {}, environment {environment}",
        if hosts.is_empty() {
            "the default host".to_owned()
        } else {
            hosts.join(",")
        }
    )
}

fn parse_conninfo(
    conninfo: &str,
    environment: &str,
) -> Result<Config, StoreError> {
    conninfo.parse().map_err(|e| StoreError::Io {
        store: format!("PostgreSQL, environment {environment}"),
        action: "parsing the connection string".to_owned(),
        source: Box::new(e),
    })
}

/// How [`PostgresStore::connect`] secures a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsPolicy {
    /// No TLS: `sslmode=disable` was given, or every host is a Unix
    /// socket.
    Plain,
    /// TLS required, the server's certificate verified.
    Verified,
}

/// The TLS policy for a parsed connection string: [`TlsPolicy::Plain`]
/// only for an explicit `sslmode=disable` or Unix sockets alone.
pub fn tls_policy(config: &Config) -> TlsPolicy {
    let hosts = config.get_hosts();
    #[cfg(unix)]
    let only_sockets = !hosts.is_empty()
        && hosts
            .iter()
            .all(|h| matches!(h, tokio_postgres::config::Host::Unix(_)));
    #[cfg(not(unix))]
    let only_sockets = false;
    if config.get_ssl_mode() == SslMode::Disable || only_sockets {
        TlsPolicy::Plain
    } else {
        TlsPolicy::Verified
    }
}

/// A rustls connector that verifies the server's certificate against the
/// Mozilla roots and the system's certificate store.
fn verified_tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // A system store that cannot be read leaves the Mozilla roots.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    let provider =
        std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

impl PostgresStore {
    /// Connects, and creates the tables if missing. `conninfo` is a
    /// libpq connection string or URL; `environment` names the state in
    /// the tables. Over TCP the connection uses TLS with the server's
    /// certificate verified, unless the connection string says
    /// `sslmode=disable`; over a Unix socket it uses none (see the
    /// module's documentation).
    ///
    /// # Errors
    ///
    /// [`StoreError::Io`] when the connection string is not valid, the
    /// server cannot be reached, offers no TLS, presents a certificate
    /// that does not verify, or refuses the login, or the tables cannot be
    /// created.
    pub async fn connect(
        conninfo: &str,
        environment: &str,
    ) -> Result<Self, StoreError> {
        let mut config = parse_conninfo(conninfo, environment)?;
        match tls_policy(&config) {
            TlsPolicy::Plain => {
                Self::connect_config(config, environment, NoTls).await
            }
            TlsPolicy::Verified => {
                config.ssl_mode(SslMode::Require);
                let tls = verified_tls().map_err(|e| StoreError::Io {
                    store: describe(&config, environment),
                    action: "setting up TLS".to_owned(),
                    source: e.into(),
                })?;
                Self::connect_config(config, environment, tls).await
            }
        }
    }

    /// As [`PostgresStore::connect`], through a TLS connector for
    /// tokio-postgres.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::connect`].
    pub async fn connect_with<T>(
        conninfo: &str,
        environment: &str,
        tls: T,
    ) -> Result<Self, StoreError>
    where
        T: MakeTlsConnect<Socket>,
        T::Stream: Send + 'static,
    {
        let config = parse_conninfo(conninfo, environment)?;
        Self::connect_config(config, environment, tls).await
    }

    async fn connect_config<T>(
        mut config: Config,
        environment: &str,
        tls: T,
    ) -> Result<Self, StoreError>
    where
        T: MakeTlsConnect<Socket>,
        T::Stream: Send + 'static,
    {
        if config.get_application_name().is_none() {
            config.application_name("onioncloud");
        }
        let description = describe(&config, environment);
        let io = |action: &str| {
            let description = description.clone();
            let action = action.to_owned();
            move |e: tokio_postgres::Error| StoreError::Io {
                store: description,
                action,
                source: Box::new(e),
            }
        };
        let (mut client, connection) =
            config.connect(tls).await.map_err(io("connecting"))?;
        let store = description.clone();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(
                    %store,
                    error = %e,
                    "the connection to the state store ended"
                );
            }
        });
        let tx = client
            .transaction()
            .await
            .map_err(io("creating the tables"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK_KEY])
            .await
            .map_err(io("creating the tables"))?;
        tx.batch_execute(SCHEMA)
            .await
            .map_err(io("creating the tables"))?;
        tx.commit().await.map_err(io("creating the tables"))?;
        Ok(Self {
            session: tokio::sync::Mutex::new(Session { client, held: None }),
            environment: environment.to_owned(),
            description,
        })
    }

    /// The environment whose state this is.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The snapshot before the current one, kept by every write.
    ///
    /// # Errors
    ///
    /// [`StoreError::Io`] when the query fails, and
    /// [`StoreError::Corrupt`] when the document is not a state.
    pub async fn previous(&self) -> Result<Option<StateDoc>, StoreError> {
        let session = self.session.lock().await;
        let row = session
            .client
            .query_opt(
                "SELECT previous FROM onioncloud_states WHERE environment = $1",
                &[&self.environment],
            )
            .await
            .map_err(self.io("reading the previous snapshot"))?;
        let Some(text) = row.and_then(|row| row.get::<_, Option<String>>(0))
        else {
            return Ok(None);
        };
        let name = format!(
            "the previous snapshot of environment {}",
            self.environment
        );
        parse_snapshot(&text, &name)
            .map(Some)
            .map_err(|reason| self.corrupt(reason))
    }

    fn io(
        &self,
        action: &str,
    ) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
        let store = self.description.clone();
        let action = action.to_owned();
        move |e| StoreError::Io {
            store,
            action,
            source: Box::new(e),
        }
    }

    fn corrupt(&self, reason: String) -> StoreError {
        StoreError::Corrupt {
            store: self.description.clone(),
            reason,
        }
    }

    fn lock_row(&self) -> String {
        format!(
            "the onioncloud_locks row of environment {}",
            self.environment
        )
    }

    fn parse_info(&self, text: &str) -> Result<LockInfo, StoreError> {
        serde_json::from_str(text).map_err(|e| {
            self.corrupt(format!("{} is not valid: {e}", self.lock_row()))
        })
    }

    /// The recorded holder and whether its connection still holds the
    /// lock.
    /// Refuses to write for a lock this store took but no longer holds:
    /// someone forced it away, and another process may be writing now.
    async fn fence(
        &self,
        held: &Option<LockInfo>,
        client: &impl tokio_postgres::GenericClient,
    ) -> Result<(), StoreError> {
        let Some(held) = held else {
            return Ok(());
        };
        let recorded = self.recorded_holder(client, false).await?;
        match recorded {
            Some((info, _)) if info.id == held.id => Ok(()),
            other => Err(StoreError::NoSuchLock {
                store: self.description.clone(),
                id: held.id.clone(),
                held: other.map(|(info, _)| info),
            }),
        }
    }

    async fn recorded_holder(
        &self,
        client: &impl tokio_postgres::GenericClient,
        for_update: bool,
    ) -> Result<Option<(LockInfo, bool)>, StoreError> {
        let query = if for_update {
            "SELECT info, backend_pid FROM onioncloud_locks WHERE \
             environment = $1 FOR UPDATE"
        } else {
            "SELECT info, backend_pid FROM onioncloud_locks WHERE \
             environment = $1"
        };
        let Some(row) = client
            .query_opt(query, &[&self.environment])
            .await
            .map_err(self.io("reading the lock"))?
        else {
            return Ok(None);
        };
        let info = self.parse_info(row.get(0))?;
        let pid: i32 = row.get(1);
        let (high, low) = key_halves(advisory_key(&info.id));
        let alive: bool = client
            .query_one(HOLDS, &[&pid, &high, &low])
            .await
            .map_err(self.io("checking the lock's holder"))?
            .get(0);
        Ok(Some((info, alive)))
    }

    /// Records `info` as the holder, unless a live holder is recorded.
    async fn take_row(
        &self,
        session: &mut Session,
        info: &LockInfo,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(info).expect("lock info serialises");
        // Two attempts: a first lock taken by another at the same moment
        // shows as a conflicting insert, then as its row.
        for _ in 0..2 {
            let tx = session
                .client
                .transaction()
                .await
                .map_err(self.io("taking the lock"))?;
            match self.recorded_holder(&tx, true).await? {
                Some((holder, true)) => {
                    return Err(StoreError::Locked {
                        store: self.description.clone(),
                        holder,
                    });
                }
                Some((stale, false)) => {
                    tracing::warn!(
                        store = %self.description,
                        who = %stale.who,
                        pid = stale.pid,
                        since = %stale.since,
                        "taking over a lock whose holder's connection ended"
                    );
                    tx.execute(
                        "UPDATE onioncloud_locks SET info = $2, backend_pid \
                         = pg_backend_pid() WHERE environment = $1",
                        &[&self.environment, &text],
                    )
                    .await
                    .map_err(self.io("taking the lock"))?;
                }
                None => {
                    let inserted = tx
                        .execute(
                            "INSERT INTO onioncloud_locks (environment, info, \
                             backend_pid) VALUES ($1, $2, pg_backend_pid()) \
                             ON CONFLICT (environment) DO NOTHING",
                            &[&self.environment, &text],
                        )
                        .await
                        .map_err(self.io("taking the lock"))?;
                    if inserted == 0 {
                        continue;
                    }
                }
            }
            return tx.commit().await.map_err(self.io("taking the lock"));
        }
        Err(self.corrupt(format!(
            "{} keeps appearing and disappearing while the lock is taken",
            self.lock_row()
        )))
    }

    async fn advisory_unlock(&self, session: &Session, id: &str) {
        if let Err(e) = session
            .client
            .execute("SELECT pg_advisory_unlock($1)", &[&advisory_key(id)])
            .await
        {
            tracing::warn!(
                store = %self.description,
                error = %e,
                "could not release the advisory lock; it goes with the \
                 connection"
            );
        }
    }

    /// The live holder, if any.
    async fn live_holder(
        &self,
        session: &Session,
    ) -> Result<Option<LockInfo>, StoreError> {
        Ok(self
            .recorded_holder(&session.client, false)
            .await?
            .and_then(|(info, alive)| alive.then_some(info)))
    }

    fn serial(&self, serial: u64) -> Result<i64, StoreError> {
        i64::try_from(serial).map_err(|_| {
            self.corrupt(format!(
                "serial {serial} is beyond what the table holds"
            ))
        })
    }
}

#[async_trait]
impl StateStore for PostgresStore {
    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StoreError> {
        let mut session = self.session.lock().await;
        if let Some(held) = &session.held {
            return Err(StoreError::Locked {
                store: self.description.clone(),
                holder: held.clone(),
            });
        }
        let taken: bool = session
            .client
            .query_one(
                "SELECT pg_try_advisory_lock($1)",
                &[&advisory_key(&info.id)],
            )
            .await
            .map_err(self.io("taking the lock"))?
            .get(0);
        if !taken {
            return Err(self.corrupt(format!(
                "the advisory lock of lock ID {} is held by another \
                 connection; lock IDs must be unique",
                info.id
            )));
        }
        match self.take_row(&mut session, info).await {
            Ok(()) => {
                session.held = Some(info.clone());
                Ok(())
            }
            Err(e) => {
                self.advisory_unlock(&session, &info.id).await;
                Err(e)
            }
        }
    }

    async fn unlock(&self, info: &LockInfo) -> Result<(), StoreError> {
        let mut session = self.session.lock().await;
        match session.held.take() {
            Some(mine) if mine.id == info.id => {
                let deleted = session
                    .client
                    .execute(
                        "DELETE FROM onioncloud_locks WHERE environment = $1 \
                         AND backend_pid = pg_backend_pid() AND \
                         (info::jsonb ->> 'id') = $2",
                        &[&self.environment, &info.id],
                    )
                    .await
                    .map_err(self.io("releasing the lock"));
                self.advisory_unlock(&session, &info.id).await;
                if deleted? == 0 {
                    // Forced open meanwhile.
                    return Err(StoreError::NoSuchLock {
                        store: self.description.clone(),
                        id: info.id.clone(),
                        held: self.live_holder(&session).await?,
                    });
                }
                Ok(())
            }
            Some(other) => {
                session.held = Some(other.clone());
                Err(StoreError::NoSuchLock {
                    store: self.description.clone(),
                    id: info.id.clone(),
                    held: Some(other),
                })
            }
            None => Err(StoreError::NoSuchLock {
                store: self.description.clone(),
                id: info.id.clone(),
                held: self.live_holder(&session).await?,
            }),
        }
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StoreError> {
        let mut session = self.session.lock().await;
        let tx = session
            .client
            .transaction()
            .await
            .map_err(self.io("forcing the lock open"))?;
        let held = match self.recorded_holder(&tx, true).await? {
            Some((holder, alive)) if holder.id == id => {
                if alive {
                    tracing::warn!(
                        store = %self.description,
                        who = %holder.who,
                        pid = holder.pid,
                        "forcing open the lock of a connected holder"
                    );
                }
                tx.execute(
                    "DELETE FROM onioncloud_locks WHERE environment = $1",
                    &[&self.environment],
                )
                .await
                .map_err(self.io("forcing the lock open"))?;
                tx.commit()
                    .await
                    .map_err(self.io("forcing the lock open"))?;
                if session.held.as_ref().is_some_and(|held| held.id == id) {
                    session.held = None;
                    self.advisory_unlock(&session, id).await;
                }
                return Ok(());
            }
            Some((holder, alive)) => alive.then_some(holder),
            None => None,
        };
        drop(tx);
        Err(StoreError::NoSuchLock {
            store: self.description.clone(),
            id: id.to_owned(),
            held,
        })
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StoreError> {
        let session = self.session.lock().await;
        if let Some(held) = &session.held {
            return Ok(Some(held.clone()));
        }
        self.live_holder(&session).await
    }

    async fn read(&self) -> Result<Option<StateDoc>, StoreError> {
        let mut session = self.session.lock().await;
        let tx = session
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(self.io("reading the state"))?;
        let snapshot = tx
            .query_opt(
                "SELECT lineage, serial, document FROM onioncloud_states \
                 WHERE environment = $1",
                &[&self.environment],
            )
            .await
            .map_err(self.io("reading the snapshot"))?;
        let journal = tx
            .query(
                "SELECT seq, entry FROM onioncloud_journal WHERE environment \
                 = $1 ORDER BY seq",
                &[&self.environment],
            )
            .await
            .map_err(self.io("reading the journal"))?;
        tx.commit().await.map_err(self.io("reading the state"))?;

        let Some(snapshot) = snapshot else {
            if journal.is_empty() {
                return Ok(None);
            }
            return Err(self.corrupt(format!(
                "onioncloud_journal has {} rows for environment {}, but \
                 onioncloud_states has no snapshot for it",
                journal.len(),
                self.environment
            )));
        };
        let name = format!(
            "the onioncloud_states row of environment {}",
            self.environment
        );
        let mut state = parse_snapshot(snapshot.get(2), &name)
            .map_err(|reason| self.corrupt(reason))?;
        let lineage: &str = snapshot.get(0);
        let serial: i64 = snapshot.get(1);
        if state.lineage != lineage || i64::try_from(state.serial) != Ok(serial)
        {
            return Err(self.corrupt(format!(
                "{name} says lineage {lineage} at serial {serial}, but its \
                 document is of lineage {} at serial {}",
                state.lineage, state.serial
            )));
        }
        for row in &journal {
            let seq: i64 = row.get(0);
            let entry: JournalEntry = serde_json::from_str(row.get(1))
                .map_err(|e| {
                    self.corrupt(format!(
                        "onioncloud_journal row {seq} of environment {}: {e}",
                        self.environment
                    ))
                })?;
            state.apply_entry(&entry);
        }
        Ok(Some(state))
    }

    async fn append(&self, entries: &[JournalEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = entries
            .iter()
            .map(|entry| {
                serde_json::to_string(entry)
                    .expect("a journal entry serialises")
            })
            .collect();
        let mut session = self.session.lock().await;
        let held = session.held.clone();
        let tx = session
            .client
            .transaction()
            .await
            .map_err(self.io("appending to the journal"))?;
        self.fence(&held, &tx).await?;
        // Shares the snapshot row, so a compaction waits, or is waited for.
        let snapshot = tx
            .query_opt(
                "SELECT 1 FROM onioncloud_states WHERE environment = $1 FOR \
                 SHARE",
                &[&self.environment],
            )
            .await
            .map_err(self.io("appending to the journal"))?;
        if snapshot.is_none() {
            return Err(StoreError::Io {
                store: self.description.clone(),
                action: "appending to the journal".to_owned(),
                source: "no state is stored yet: a first snapshot must be \
                         written before journal entries"
                    .into(),
            });
        }
        let insert = tx
            .prepare(
                "INSERT INTO onioncloud_journal (environment, entry) VALUES \
                 ($1, $2)",
            )
            .await
            .map_err(self.io("appending to the journal"))?;
        for line in &lines {
            tx.execute(&insert, &[&self.environment, line])
                .await
                .map_err(self.io("appending to the journal"))?;
        }
        tx.commit()
            .await
            .map_err(self.io("appending to the journal"))
    }

    async fn write(&self, state: &StateDoc) -> Result<(), StoreError> {
        if state.version != STATE_FORMAT {
            return Err(self.corrupt(format!(
                "refusing to write a state of format version {}; this \
                 build writes version {STATE_FORMAT}",
                state.version
            )));
        }
        let serial = self.serial(state.serial)?;
        let document =
            serde_json::to_string(state).expect("a state serialises");
        let mut session = self.session.lock().await;
        let held = session.held.clone();
        // Two attempts: a first write by another at the same moment shows
        // as a conflicting insert, then as its row.
        for _ in 0..2 {
            let tx = session
                .client
                .transaction()
                .await
                .map_err(self.io("writing the snapshot"))?;
            self.fence(&held, &tx).await?;
            let stored = tx
                .query_opt(
                    "SELECT lineage, serial FROM onioncloud_states WHERE \
                     environment = $1 FOR UPDATE",
                    &[&self.environment],
                )
                .await
                .map_err(self.io("writing the snapshot"))?;
            match stored {
                Some(row) => {
                    let lineage: String = row.get(0);
                    let stored_serial: i64 = row.get(1);
                    if lineage != state.lineage {
                        return Err(StoreError::Lineage {
                            store: self.description.clone(),
                            stored: lineage,
                            given: state.lineage.clone(),
                        });
                    }
                    if serial <= stored_serial {
                        return Err(StoreError::Serial {
                            store: self.description.clone(),
                            stored: u64::try_from(stored_serial).unwrap_or(0),
                            given: state.serial,
                        });
                    }
                    tx.execute(
                        "UPDATE onioncloud_states SET lineage = $2, serial = \
                         $3, previous = document, document = $4 WHERE \
                         environment = $1",
                        &[
                            &self.environment,
                            &state.lineage,
                            &serial,
                            &document,
                        ],
                    )
                    .await
                    .map_err(self.io("writing the snapshot"))?;
                }
                None => {
                    let inserted = tx
                        .execute(
                            "INSERT INTO onioncloud_states (environment, \
                             lineage, serial, document) VALUES ($1, $2, $3, \
                             $4) ON CONFLICT (environment) DO NOTHING",
                            &[
                                &self.environment,
                                &state.lineage,
                                &serial,
                                &document,
                            ],
                        )
                        .await
                        .map_err(self.io("writing the snapshot"))?;
                    if inserted == 0 {
                        continue;
                    }
                }
            }
            tx.execute(
                "DELETE FROM onioncloud_journal WHERE environment = $1",
                &[&self.environment],
            )
            .await
            .map_err(self.io("clearing the journal"))?;
            return tx.commit().await.map_err(self.io("writing the snapshot"));
        }
        Err(self.corrupt(format!(
            "the onioncloud_states row of environment {} keeps appearing \
             and disappearing while it is written",
            self.environment
        )))
    }
}
