//! The local state store: one directory per environment.
//!
//! The directory holds:
//!
//! - `state.json`, the last snapshot: a pretty-printed [`StateDoc`], mode
//!   0600. It is replaced atomically (a temporary file in the same
//!   directory, written, synced, renamed over, then the directory synced),
//!   and the snapshot it replaces is kept as `state.json.backup`.
//! - `state.journal`, the changes since that snapshot, one JSON object a
//!   line. Its first line, `{"journal":{"lineage":…,"serial":…}}`, names
//!   the snapshot it continues; every other line is a [`JournalEntry`].
//!   [`StateStore::append`] adds lines with one write and one sync, so its
//!   cost grows with what it appends, never with the journal's length.
//! - `lock`, the lock: an advisory `flock` on that file, held as long as
//!   the store holds it open, so that the operating system releases it
//!   when the process dies however it dies. The file holds the holder's
//!   [`LockInfo`] for messages.
//!
//! A write ([`StateStore::write`]) first replaces the snapshot, then the
//! journal (with only a header naming the new snapshot). A crash between
//! the two leaves the old journal, whose header names the snapshot before:
//! it is recognised and ignored, since the new snapshot already holds its
//! entries. A crash in the middle of an append leaves a last line without
//! its newline, which readers ignore and the next append cuts off. A
//! reader therefore always sees the old state or the new one.
//!
//! Nothing can be appended to a store that holds no snapshot: the first
//! [`StateStore::write`] starts a state (any serial is accepted then), and
//! appends follow it.
//!
//! Writers are expected to hold the lock; the store keeps its own calls in
//! order, and the lock keeps other processes out.
#![allow(
    clippy::result_large_err,
    reason = "StoreError is the StateStore trait's error, sized in store.rs"
)]

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use fs4::TryLockError;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::{LockInfo, StateStore, StoreError};
use crate::engine::state::{
    Attrs, JournalEntry, ResourceState, STATE_FORMAT, StateDoc,
};

/// The snapshot's file name.
pub const SNAPSHOT_FILE: &str = "state.json";
/// The previous snapshot's file name.
pub const BACKUP_FILE: &str = "state.json.backup";
/// The journal's file name.
pub const JOURNAL_FILE: &str = "state.journal";
/// The lock file's name.
pub const LOCK_FILE: &str = "lock";

/// Prefix of the temporary files a write renames into place; leftovers
/// of a crash are removed when the lock is next taken.
const TEMP_PREFIX: &str = ".onioncloud-";
const TEMP_SUFFIX: &str = ".tmp";

/// How often, and how far apart, a contended lock is tried again while
/// the lock file does not yet say who holds it (the holder writes it just
/// after taking the lock).
const LOCK_INFO_TRIES: u32 = 25;
const LOCK_INFO_PAUSE: Duration = Duration::from_millis(20);
/// How often a lock whose holder is recorded is tried before giving up:
/// more than once, since [`StateStore::lock_holder`] of another process
/// takes it for an instant to see whether it is free.
const PROBE_TRIES: u32 = 3;

/// State kept in a directory of the local file system.
///
/// Cloning is cheap and shares the lock: clones are one store. The file
/// operations run on tokio's blocking threads, so the methods are called
/// within a tokio runtime.
#[derive(Clone)]
pub struct LocalStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

struct Inner {
    dir: PathBuf,
    /// Keeps this store's reads and writes in order, and remembers the
    /// journal as this store last left it.
    io: Mutex<Option<Known>>,
    /// The lock, while this store holds it.
    lock: Mutex<Option<Held>>,
}

struct Held {
    file: File,
    info: LockInfo,
}

/// The journal as this store last wrote or read it: when the file is
/// still that file at that length, an append needs no check.
#[derive(Clone, Debug, PartialEq)]
struct Known {
    identity: (u64, u64),
    len: u64,
}

/// The snapshot a journal continues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Binding {
    lineage: String,
    serial: u64,
}

/// A journal's first line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    journal: Binding,
}

/// A journal as read.
struct Journal {
    binding: Binding,
    entries: Vec<JournalEntry>,
    /// The length of the part that is whole; less than `len` after a
    /// crash in the middle of an append.
    valid_len: u64,
    len: u64,
    identity: Option<(u64, u64)>,
}

impl LocalStore {
    /// A store in `dir`, which is created (mode 0700) when first written.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            inner: Arc::new(Inner {
                dir: dir.into(),
                io: Mutex::new(None),
                lock: Mutex::new(None),
            }),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Runs `f` on a thread where blocking is allowed.
    async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        match tokio::task::spawn_blocking(move || f(&inner)).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(StoreError::Io {
                store: self.describe(),
                action: "running a file operation".to_owned(),
                source: Box::new(e),
            }),
        }
    }
}

#[async_trait]
impl StateStore for LocalStore {
    fn describe(&self) -> String {
        self.inner.store()
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StoreError> {
        let info = info.clone();
        self.blocking(move |inner| inner.lock(info)).await
    }

    async fn unlock(&self, info: &LockInfo) -> Result<(), StoreError> {
        let info = info.clone();
        self.blocking(move |inner| inner.unlock(&info)).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.blocking(move |inner| inner.force_unlock(&id)).await
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StoreError> {
        self.blocking(Inner::lock_holder).await
    }

    async fn read(&self) -> Result<Option<StateDoc>, StoreError> {
        self.blocking(Inner::read).await
    }

    async fn append(&self, entries: &[JournalEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut lines = Vec::new();
        for entry in entries {
            serde_json::to_writer(&mut lines, entry)
                .expect("a journal entry serialises");
            lines.push(b'\n');
        }
        self.blocking(move |inner| inner.append(&lines)).await
    }

    async fn write(&self, state: &StateDoc) -> Result<(), StoreError> {
        let state = state.clone();
        self.blocking(move |inner| inner.write(&state)).await
    }
}

impl Inner {
    fn store(&self) -> String {
        self.dir.display().to_string()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn io_error(
        &self,
        action: impl Into<String>,
        source: std::io::Error,
    ) -> StoreError {
        StoreError::Io {
            store: self.store(),
            action: action.into(),
            source: Box::new(source),
        }
    }

    fn corrupt(&self, reason: String) -> StoreError {
        StoreError::Corrupt {
            store: self.store(),
            reason,
        }
    }

    fn io_guard(&self) -> MutexGuard<'_, Option<Known>> {
        self.io.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    fn lock_guard(&self) -> MutexGuard<'_, Option<Held>> {
        self.lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    // ----- reading -----

    /// The snapshot, if there is one.
    fn read_snapshot(&self) -> Result<Option<StateDoc>, StoreError> {
        let path = self.path(SNAPSHOT_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => {
                return Err(
                    self.io_error(format!("reading {}", path.display()), e)
                );
            }
        };
        parse_snapshot(&text, &path.display().to_string())
            .map(Some)
            .map_err(|reason| self.corrupt(reason))
    }

    /// The journal, if there is one.
    fn read_journal(&self) -> Result<Option<Journal>, StoreError> {
        let path = self.path(JOURNAL_FILE);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => {
                return Err(
                    self.io_error(format!("opening {}", path.display()), e)
                );
            }
        };
        let identity = identity(&file);
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| {
            self.io_error(format!("reading {}", path.display()), e)
        })?;
        parse_journal(&bytes, &path.display().to_string())
            .map(|parsed| {
                parsed.map(|(binding, entries, valid_len)| Journal {
                    binding,
                    entries,
                    valid_len,
                    len: bytes.len() as u64,
                    identity,
                })
            })
            .map_err(|reason| self.corrupt(reason))
    }

    /// The journal's header only, without reading further.
    fn read_journal_header(&self) -> Result<Option<Binding>, StoreError> {
        let path = self.path(JOURNAL_FILE);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => {
                return Err(
                    self.io_error(format!("opening {}", path.display()), e)
                );
            }
        };
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(file),
            &mut line,
        )
        .map_err(|e| self.io_error(format!("reading {}", path.display()), e))?;
        if line.is_empty() {
            return Ok(None);
        }
        parse_header(line.trim_end_matches('\n'), &path.display().to_string())
            .map(Some)
            .map_err(|reason| self.corrupt(reason))
    }

    /// Whether `journal` continues `snapshot`: `Ok(true)` when it does,
    /// `Ok(false)` when it is one a compaction left behind (it continues
    /// an older snapshot of the same lineage, whose entries the snapshot
    /// already holds), and an error when it belongs to neither.
    fn continues(
        &self,
        snapshot: &StateDoc,
        journal: &Binding,
    ) -> Result<bool, StoreError> {
        if journal.lineage == snapshot.lineage
            && journal.serial == snapshot.serial
        {
            return Ok(true);
        }
        if journal.lineage == snapshot.lineage
            && journal.serial < snapshot.serial
        {
            tracing::warn!(
                store = %self.store(),
                journal_serial = journal.serial,
                snapshot_serial = snapshot.serial,
                "ignoring a journal that continues an older snapshot: a \
                 write stopped after replacing the snapshot, which holds \
                 its entries"
            );
            return Ok(false);
        }
        Err(self.corrupt(format!(
            "{} continues the snapshot of lineage {} at serial {}, but {} \
             is of lineage {} at serial {}; the two files do not belong \
             together (was one of them restored or copied from elsewhere?)",
            self.path(JOURNAL_FILE).display(),
            journal.lineage,
            journal.serial,
            self.path(SNAPSHOT_FILE).display(),
            snapshot.lineage,
            snapshot.serial
        )))
    }

    fn missing_snapshot(&self, journal: &Binding) -> StoreError {
        self.corrupt(format!(
            "{} continues the snapshot of lineage {} at serial {}, but {} \
             is missing; restore it (the snapshot before it is kept as {}), \
             or remove the journal to start over",
            self.path(JOURNAL_FILE).display(),
            journal.lineage,
            journal.serial,
            self.path(SNAPSHOT_FILE).display(),
            self.path(BACKUP_FILE).display()
        ))
    }

    fn read(&self) -> Result<Option<StateDoc>, StoreError> {
        let mut known = self.io_guard();
        // The journal first: a write in between replaces the snapshot
        // before the journal, so the journal read is then one the new
        // snapshot already holds, and is recognised as such.
        let journal = self.read_journal()?;
        let snapshot = self.read_snapshot()?;
        match (snapshot, journal) {
            (None, None) => Ok(None),
            (None, Some(journal)) => {
                *known = None;
                Err(self.missing_snapshot(&journal.binding))
            }
            (Some(snapshot), None) => {
                *known = None;
                Ok(Some(snapshot))
            }
            (Some(mut state), Some(journal)) => {
                *known = None;
                if self.continues(&state, &journal.binding)? {
                    for entry in &journal.entries {
                        state.apply_entry(entry);
                    }
                    *known = match journal.identity {
                        Some(identity) if journal.valid_len == journal.len => {
                            Some(Known {
                                identity,
                                len: journal.len,
                            })
                        }
                        _ => None,
                    };
                }
                Ok(Some(state))
            }
        }
    }

    // ----- writing -----

    fn ensure_dir(&self) -> Result<(), StoreError> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.dir).map_err(|e| {
            self.io_error(format!("creating {}", self.dir.display()), e)
        })
    }

    fn sync_dir(&self) -> Result<(), StoreError> {
        #[cfg(unix)]
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| {
                self.io_error(format!("syncing {}", self.dir.display()), e)
            })?;
        Ok(())
    }

    /// Replaces `name` atomically with `bytes`, mode 0600.
    fn replace(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path(name);
        let action = |what: &str| format!("{what} {}", path.display());
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
        #[cfg(unix)]
        builder
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
        let mut temp = builder.tempfile_in(&self.dir).map_err(|e| {
            self.io_error(action("creating a file to replace"), e)
        })?;
        if name == SNAPSHOT_FILE && crash_point::reached("state-write") {
            let _ = temp.write_all(&bytes[..bytes.len() / 2]);
            let _ = temp.as_file().sync_all();
            std::process::abort();
        }
        temp.write_all(bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| self.io_error(action("writing the new"), e))?;
        temp.persist(&path).map_err(|e| {
            self.io_error(action("renaming into place"), e.error)
        })?;
        self.sync_dir()
    }

    /// Keeps the current snapshot as the backup, atomically: a hard link
    /// (or, where links are not supported, a synced copy) under a
    /// temporary name, renamed over the old backup.
    fn keep_backup(&self) -> Result<(), StoreError> {
        let snapshot = self.path(SNAPSHOT_FILE);
        let backup = self.path(BACKUP_FILE);
        let staging = self.path(&format!("{TEMP_PREFIX}backup{TEMP_SUFFIX}"));
        match std::fs::remove_file(&staging) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(
                    self.io_error(format!("removing {}", staging.display()), e)
                );
            }
        }
        if let Err(link_error) = std::fs::hard_link(&snapshot, &staging) {
            if link_error.kind() == std::io::ErrorKind::NotFound {
                return Ok(());
            }
            let copied = std::fs::copy(&snapshot, &staging).and_then(|_| {
                OpenOptions::new()
                    .write(true)
                    .open(&staging)
                    .and_then(|file| file.sync_all())
            });
            if let Err(e) = copied {
                return Err(self.io_error(
                    format!(
                        "copying {} to {}",
                        snapshot.display(),
                        staging.display()
                    ),
                    e,
                ));
            }
        }
        std::fs::rename(&staging, &backup).map_err(|e| {
            self.io_error(
                format!(
                    "renaming {} to {}",
                    staging.display(),
                    backup.display()
                ),
                e,
            )
        })
    }

    /// Starts an empty journal continuing `binding`, replacing any.
    fn reset_journal(
        &self,
        binding: &Binding,
        known: &mut Option<Known>,
    ) -> Result<(), StoreError> {
        *known = None;
        let mut line = serde_json::to_vec(&Header {
            journal: binding.clone(),
        })
        .expect("a journal header serialises");
        line.push(b'\n');
        self.replace(JOURNAL_FILE, &line)?;
        let path = self.path(JOURNAL_FILE);
        let file = File::open(&path).map_err(|e| {
            self.io_error(format!("opening {}", path.display()), e)
        })?;
        if let Some(identity) = identity(&file) {
            *known = Some(Known {
                identity,
                len: line.len() as u64,
            });
        }
        Ok(())
    }

    fn write(&self, state: &StateDoc) -> Result<(), StoreError> {
        if state.version != STATE_FORMAT {
            return Err(self.corrupt(format!(
                "refusing to write a state of format version {}; this \
                 build writes version {STATE_FORMAT}",
                state.version
            )));
        }
        let mut known = self.io_guard();
        let stored = match self.read_snapshot()? {
            Some(snapshot) => Some(Binding {
                lineage: snapshot.lineage,
                serial: snapshot.serial,
            }),
            None => self.read_journal_header()?,
        };
        if let Some(stored) = stored {
            if stored.lineage != state.lineage {
                return Err(StoreError::Lineage {
                    store: self.store(),
                    stored: stored.lineage,
                    given: state.lineage.clone(),
                });
            }
            if state.serial <= stored.serial {
                return Err(StoreError::Serial {
                    store: self.store(),
                    stored: stored.serial,
                    given: state.serial,
                });
            }
        }
        self.ensure_dir()?;
        let mut text =
            serde_json::to_string_pretty(state).expect("a state serialises");
        text.push('\n');
        self.keep_backup()?;
        self.replace(SNAPSHOT_FILE, text.as_bytes())?;
        self.reset_journal(
            &Binding {
                lineage: state.lineage.clone(),
                serial: state.serial,
            },
            &mut known,
        )
    }

    fn append(&self, lines: &[u8]) -> Result<(), StoreError> {
        let mut known = self.io_guard();
        let path = self.path(JOURNAL_FILE);
        let open = || {
            OpenOptions::new()
                .read(true)
                .append(true)
                .open(&path)
                .map_err(|e| {
                    self.io_error(format!("opening {}", path.display()), e)
                })
        };
        let mut file =
            match OpenOptions::new().read(true).append(true).open(&path) {
                Ok(file) => Some(file),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(
                        self.io_error(format!("opening {}", path.display()), e)
                    );
                }
            };
        let fast = match (&file, &*known) {
            (Some(file), Some(k)) => {
                let len = file.metadata().map(|m| m.len()).map_err(|e| {
                    self.io_error(format!("inspecting {}", path.display()), e)
                })?;
                identity(file) == Some(k.identity) && len == k.len
            }
            _ => false,
        };
        if !fast {
            drop(file.take());
            self.prepare_journal(&mut known)?;
            file = Some(open()?);
        }
        let mut file = file.expect("the journal is open");
        if crash_point::reached("journal-append") {
            let _ = file.write_all(&lines[..lines.len() / 2]);
            let _ = file.sync_data();
            std::process::abort();
        }
        file.write_all(lines)
            .and_then(|()| file.sync_data())
            .map_err(|e| {
                *known = None;
                self.io_error(format!("appending to {}", path.display()), e)
            })?;
        if let Some(k) = known.as_mut() {
            k.len += lines.len() as u64;
        }
        Ok(())
    }

    /// Makes the journal ready for appends: continuing the snapshot and
    /// ending with a whole line.
    fn prepare_journal(
        &self,
        known: &mut Option<Known>,
    ) -> Result<(), StoreError> {
        *known = None;
        let path = self.path(JOURNAL_FILE);
        let snapshot = self.read_snapshot()?;
        let journal = self.read_journal()?;
        let snapshot = match (snapshot, &journal) {
            (Some(snapshot), _) => snapshot,
            (None, Some(journal)) => {
                return Err(self.missing_snapshot(&journal.binding));
            }
            (None, None) => {
                return Err(self.io_error(
                    format!("appending to {}", path.display()),
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no state is stored yet: a first snapshot must be \
                         written before journal entries",
                    ),
                ));
            }
        };
        let binding = Binding {
            lineage: snapshot.lineage.clone(),
            serial: snapshot.serial,
        };
        let journal = match journal {
            Some(journal) if self.continues(&snapshot, &journal.binding)? => {
                journal
            }
            _ => return self.reset_journal(&binding, known),
        };
        if journal.valid_len < journal.len {
            tracing::warn!(
                store = %self.store(),
                bytes = journal.len - journal.valid_len,
                "cutting off the end of the journal that an interrupted \
                 append left"
            );
            let file =
                OpenOptions::new().write(true).open(&path).map_err(|e| {
                    self.io_error(format!("opening {}", path.display()), e)
                })?;
            file.set_len(journal.valid_len)
                .and_then(|()| file.sync_all())
                .map_err(|e| {
                    self.io_error(format!("truncating {}", path.display()), e)
                })?;
        }
        if let Some(identity) = journal.identity {
            *known = Some(Known {
                identity,
                len: journal.valid_len,
            });
        }
        Ok(())
    }

    // ----- locking -----

    fn lock_path(&self) -> PathBuf {
        self.path(LOCK_FILE)
    }

    fn open_lock_file(&self, create: bool) -> Result<Option<File>, StoreError> {
        let path = self.lock_path();
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(create);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(None)
            }
            Err(e) => {
                Err(self.io_error(format!("opening {}", path.display()), e))
            }
        }
    }

    /// The lock information recorded in the lock file, if any parses.
    fn recorded(&self, file: &File) -> Result<Option<LockInfo>, StoreError> {
        let path = self.lock_path();
        let mut text = String::new();
        let mut reader = file;
        reader
            .seek(SeekFrom::Start(0))
            .and_then(|_| reader.read_to_string(&mut text))
            .map_err(|e| {
                self.io_error(format!("reading {}", path.display()), e)
            })?;
        Ok(serde_json::from_str(&text).ok())
    }

    fn record(
        &self,
        file: &File,
        info: Option<&LockInfo>,
    ) -> Result<(), StoreError> {
        let path = self.lock_path();
        let mut writer = file;
        let text = info.map(|info| {
            let mut text =
                serde_json::to_string(info).expect("lock info serialises");
            text.push('\n');
            text
        });
        file.set_len(0)
            .and_then(|()| writer.seek(SeekFrom::Start(0)))
            .and_then(|_| match &text {
                Some(text) => writer.write_all(text.as_bytes()),
                None => Ok(()),
            })
            .and_then(|()| file.sync_all())
            .map_err(|e| {
                self.io_error(format!("writing {}", path.display()), e)
            })
    }

    /// Tries the flock on `file`: `Ok(true)` when taken.
    fn try_flock(&self, file: &File) -> Result<bool, StoreError> {
        match fs4::FileExt::try_lock(file) {
            Ok(()) => Ok(true),
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(e)) => Err(self.io_error(
                format!("locking {}", self.lock_path().display()),
                e,
            )),
        }
    }

    fn release(&self, file: &File) -> Result<(), StoreError> {
        fs4::FileExt::unlock(file).map_err(|e| {
            self.io_error(
                format!("unlocking {}", self.lock_path().display()),
                e,
            )
        })
    }

    /// Who holds the lock another open file holds: the recorded
    /// information, waiting briefly for the holder to write it.
    fn holder_of_contended(&self, file: &File) -> Result<LockInfo, StoreError> {
        for _ in 0..LOCK_INFO_TRIES {
            if let Some(info) = self.recorded(file)? {
                return Ok(info);
            }
            std::thread::sleep(LOCK_INFO_PAUSE);
        }
        Ok(LockInfo {
            id: String::new(),
            operation: "an unknown operation".to_owned(),
            who: "another process, which did not record who it is,".to_owned(),
            pid: 0,
            since: "an unknown time".to_owned(),
        })
    }

    fn lock(&self, info: LockInfo) -> Result<(), StoreError> {
        let mut held = self.lock_guard();
        if let Some(held) = held.as_ref() {
            return Err(StoreError::Locked {
                store: self.store(),
                holder: held.info.clone(),
            });
        }
        self.ensure_dir()?;
        let file = self.open_lock_file(true)?.expect("created");
        let mut tries = 0;
        while !self.try_flock(&file)? {
            // Someone holds it; a `lock_holder` probe holds it for a
            // moment only, with no information recorded by it.
            let recorded = self.recorded(&file)?;
            tries += 1;
            if (recorded.is_some() && tries >= PROBE_TRIES)
                || tries >= LOCK_INFO_TRIES
            {
                return Err(StoreError::Locked {
                    store: self.store(),
                    holder: match recorded {
                        Some(info) => info,
                        None => self.holder_of_contended(&file)?,
                    },
                });
            }
            std::thread::sleep(LOCK_INFO_PAUSE);
        }
        if let Some(stale) = self.recorded(&file)? {
            tracing::warn!(
                store = %self.store(),
                who = %stale.who,
                pid = stale.pid,
                since = %stale.since,
                "taking over a lock whose holder is gone"
            );
        }
        if let Err(e) = self.record(&file, Some(&info)) {
            let _ = self.release(&file);
            return Err(e);
        }
        self.remove_leftovers();
        // What this store knew of the journal may be from before another
        // holder's time: the first append checks it again.
        *self.io_guard() = None;
        *held = Some(Held { file, info });
        Ok(())
    }

    /// Removes temporary files an interrupted write left; only while the
    /// lock is held, when no one else writes.
    fn remove_leftovers(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TEMP_PREFIX)
                && name.ends_with(TEMP_SUFFIX)
                && let Err(e) = std::fs::remove_file(entry.path())
            {
                tracing::warn!(
                    file = %entry.path().display(),
                    error = %e,
                    "could not remove a temporary file an interrupted \
                     write left"
                );
            }
        }
    }

    fn unlock(&self, info: &LockInfo) -> Result<(), StoreError> {
        let mut held = self.lock_guard();
        match held.take() {
            Some(mine) if mine.info.id == info.id => {
                let cleared = self.record(&mine.file, None);
                let released = self.release(&mine.file);
                cleared.and(released)
            }
            Some(other) => {
                let error = StoreError::NoSuchLock {
                    store: self.store(),
                    id: info.id.clone(),
                    held: Some(other.info.clone()),
                };
                *held = Some(other);
                Err(error)
            }
            None => {
                drop(held);
                Err(StoreError::NoSuchLock {
                    store: self.store(),
                    id: info.id.clone(),
                    held: self.lock_holder()?,
                })
            }
        }
    }

    fn lock_holder(&self) -> Result<Option<LockInfo>, StoreError> {
        if let Some(held) = self.lock_guard().as_ref() {
            return Ok(Some(held.info.clone()));
        }
        let Some(file) = self.open_lock_file(false)? else {
            return Ok(None);
        };
        if self.try_flock(&file)? {
            self.release(&file)?;
            return Ok(None);
        }
        self.holder_of_contended(&file).map(Some)
    }

    fn force_unlock(&self, id: &str) -> Result<(), StoreError> {
        {
            let held = self.lock_guard();
            if held.as_ref().is_some_and(|held| held.info.id == id) {
                let info = held.as_ref().expect("held").info.clone();
                drop(held);
                return self.unlock(&info);
            }
        }
        let no_such = |held: Option<LockInfo>| StoreError::NoSuchLock {
            store: self.store(),
            id: id.to_owned(),
            held,
        };
        let Some(file) = self.open_lock_file(false)? else {
            return Err(no_such(None));
        };
        if !self.try_flock(&file)? {
            let holder = self.holder_of_contended(&file)?;
            if holder.id == id {
                return Err(StoreError::HolderAlive {
                    store: self.store(),
                    holder,
                });
            }
            return Err(no_such(Some(holder)));
        }
        let result = match self.recorded(&file)? {
            Some(stale) if stale.id == id => {
                tracing::warn!(
                    store = %self.store(),
                    who = %stale.who,
                    pid = stale.pid,
                    "clearing a lock whose holder is gone"
                );
                self.record(&file, None)
            }
            _ => Err(no_such(None)),
        };
        self.release(&file)?;
        result
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A store dropped with the lock held leaves no stale information:
        // the lock itself goes with the file.
        let held = self.lock.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(held) = held.take() {
            let _ = held.file.set_len(0);
        }
    }
}

/// The file's device and inode, to tell a replaced file from the same one.
#[cfg(unix)]
fn identity(file: &File) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    file.metadata().ok().map(|m| (m.dev(), m.ino()))
}

/// Without inodes, every append checks the journal.
#[cfg(not(unix))]
fn identity(_file: &File) -> Option<(u64, u64)> {
    None
}

/// A serde error's message without its position, which the caller states.
fn message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// Parses a snapshot named `name` (a path or a table) in messages.
///
/// Reads [`STATE_FORMAT`], and migrates the earlier OnionCloud format,
/// version 1 (`{"version": 1, "resources": {address: {type,
/// attributes}}}`), to a state of serial 0 whose lineage is derived from
/// the document, so that every read of it gives the same lineage.
pub(super) fn parse_snapshot(
    text: &str,
    name: &str,
) -> Result<StateDoc, String> {
    let located = |e: serde_json::Error| {
        format!(
            "{name}: line {}, column {}: {}",
            e.line(),
            e.column(),
            message(&e)
        )
    };
    let document: Json = serde_json::from_str(text).map_err(located)?;
    let Some(version) = document.get("version").and_then(Json::as_u64) else {
        return Err(format!(
            "{name} has no format version: an OnionCloud state is a JSON \
             object with a \"version\" number"
        ));
    };
    match version {
        v if v == u64::from(STATE_FORMAT) => {
            serde_json::from_str(text).map_err(located)
        }
        1 => migrate_v1(document, text, name),
        4 => Err(format!(
            "{name} has format version 4, which is Terraform's own state \
             format, not OnionCloud's (version {STATE_FORMAT}); OnionCloud \
             does not read Terraform state"
        )),
        v => Err(format!(
            "{name} has format version {v}, but this build of OnionCloud \
             reads version {STATE_FORMAT}{}",
            if v > u64::from(STATE_FORMAT) {
                " (a newer OnionCloud wrote it)"
            } else {
                ""
            }
        )),
    }
}

/// The earlier OnionCloud state format.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateV1 {
    #[allow(dead_code)]
    version: u32,
    resources: std::collections::BTreeMap<String, ResourceV1>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceV1 {
    #[serde(rename = "type")]
    kind: String,
    attributes: Attrs,
}

fn migrate_v1(
    document: Json,
    text: &str,
    name: &str,
) -> Result<StateDoc, String> {
    let old: StateV1 = serde_json::from_value(document).map_err(|e| {
        format!(
            "{name} has format version 1, the earlier OnionCloud format \
             {{version, resources}}, but is not valid in it: {}",
            message(&e)
        )
    })?;
    let lineage = {
        use sha2::Digest as _;
        sha2::Sha256::digest(text.as_bytes())[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    tracing::info!(
        state = name,
        "reading a state of the earlier OnionCloud format, version 1; the \
         next write stores it as version {STATE_FORMAT}"
    );
    let mut state = StateDoc::new(lineage);
    for (address, resource) in old.resources {
        let provider = resource
            .kind
            .split_once('_')
            .map_or(resource.kind.as_str(), |(prefix, _)| prefix)
            .to_owned();
        let id = match resource.attributes.get("id") {
            Some(Json::String(id)) => id.clone(),
            Some(Json::Number(id)) => id.to_string(),
            _ => address.clone(),
        };
        state.resources.insert(
            address,
            ResourceState {
                kind: resource.kind,
                provider,
                id,
                attributes: resource.attributes,
                dependencies: Vec::new(),
                create_before_destroy: false,
                sensitive_attributes: Vec::new(),
            },
        );
    }
    Ok(state)
}

fn parse_header(line: &str, name: &str) -> Result<Binding, String> {
    serde_json::from_str::<Header>(line)
        .map(|header| header.journal)
        .map_err(|e| {
            format!(
                "{name} line 1: not a journal header \
                 ({{\"journal\":{{\"lineage\":…,\"serial\":…}}}}): {}",
                message(&e)
            )
        })
}

/// Parses a journal: its header, its entries, and the length of its
/// whole part. A last line cut short (no newline, or not valid) is left
/// out; an invalid line before the last is an error naming it.
fn parse_journal(
    bytes: &[u8],
    name: &str,
) -> Result<Option<(Binding, Vec<JournalEntry>, u64)>, String> {
    if bytes.is_empty() {
        return Ok(None);
    }
    // Whole lines, each with the offset just past its newline.
    let mut lines = Vec::new();
    let mut start = 0;
    while let Some(n) = bytes[start..].iter().position(|&b| b == b'\n') {
        lines.push((&bytes[start..start + n], start, start + n + 1));
        start += n + 1;
    }
    if start < bytes.len() {
        tracing::warn!(
            journal = name,
            bytes = bytes.len() - start,
            "ignoring the end of the journal, cut short by an interrupted \
             append"
        );
    }
    let Some(&(first, _, header_end)) = lines.first() else {
        // Not even the header is whole; it is written by a rename, so
        // this is no journal of ours.
        return Err(format!("{name} line 1: the journal header is cut short"));
    };
    let first = std::str::from_utf8(first)
        .map_err(|_| format!("{name} line 1: not UTF-8"))?;
    let binding = parse_header(first, name)?;
    let mut entries = Vec::with_capacity(lines.len() - 1);
    let mut valid_len = header_end as u64;
    let count = lines.len();
    for (index, &(line, line_start, end)) in lines.iter().enumerate().skip(1) {
        let number = index + 1;
        let last = index + 1 == count && start == bytes.len();
        match serde_json::from_slice::<JournalEntry>(line) {
            Ok(entry) => {
                entries.push(entry);
                valid_len = end as u64;
            }
            Err(_) if last => {
                tracing::warn!(
                    journal = name,
                    line = number,
                    offset = line_start,
                    "ignoring the journal's last line, which is not valid: \
                     an interrupted append"
                );
            }
            Err(e) => {
                return Err(format!(
                    "{name} line {number}, column {}: {}",
                    e.column(),
                    message(&e)
                ));
            }
        }
    }
    Ok(Some((binding, entries, valid_len)))
}

/// Fault injection for the reliability tests. With
/// `ONIONCLOUD_CRASH_POINT=journal-append:N` the process aborts in the
/// middle of its Nth journal append (half the bytes written and synced);
/// with `state-write:N`, in the middle of its Nth snapshot write (half the
/// new snapshot in its temporary file). An abort is, for the files, the
/// same as `kill -9`. Unset, nothing happens.
mod crash_point {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// The variable that selects a crash point.
    const VARIABLE: &str = "ONIONCLOUD_CRASH_POINT";

    static POINT: OnceLock<Option<(String, u64)>> = OnceLock::new();
    static JOURNAL: AtomicU64 = AtomicU64::new(0);
    static SNAPSHOT: AtomicU64 = AtomicU64::new(0);

    /// Counts one pass through `kind` and says whether to crash now.
    pub(super) fn reached(kind: &str) -> bool {
        let point = POINT.get_or_init(|| {
            let value = std::env::var(VARIABLE).ok()?;
            let (name, n) = value.split_once(':')?;
            Some((name.to_owned(), n.parse().ok()?))
        });
        let Some((name, n)) = point else {
            return false;
        };
        let counter = match kind {
            "journal-append" => &JOURNAL,
            _ => &SNAPSHOT,
        };
        let count = counter.fetch_add(1, Ordering::SeqCst) + 1;
        name == kind && count == *n
    }
}
