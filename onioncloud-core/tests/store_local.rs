//! The local state store: snapshots, the journal, crash safety and locks.
//!
//! Two tests run a child process (this test binary again, selecting an
//! ignored test through an environment variable) and kill it with
//! SIGKILL: one in the middle of writes, one while it holds the lock.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use onioncloud_core::engine::state::{
    JournalEntry, PendingKind, PendingOp, ResourceState, StateDoc,
};
use onioncloud_core::engine::store::local::{
    BACKUP_FILE, JOURNAL_FILE, LOCK_FILE, LocalStore, SNAPSHOT_FILE,
};
use onioncloud_core::engine::store::{LockInfo, StateStore, StoreError};
use rand::Rng as _;
use serde_json::json;

/// The child's directory; set only in child processes.
const CHILD_DIR: &str = "ONIONCLOUD_TEST_STORE_DIR";
/// What a child prints once it is ready to be killed.
const READY: &str = "ONIONCLOUD-CHILD-READY ";
/// What the writing child prints after each snapshot and append.
const WROTE: &str = "ONIONCLOUD-CHILD-WROTE ";

fn resource(kind: &str, id: &str, serial: u64) -> ResourceState {
    ResourceState {
        kind: kind.to_owned(),
        provider: "aws".to_owned(),
        id: id.to_owned(),
        attributes: [
            ("id".to_owned(), json!(id)),
            ("serial".to_owned(), json!(serial)),
        ]
        .into(),
        dependencies: Vec::new(),
        create_before_destroy: false,
        sensitive_attributes: Vec::new(),
    }
}

fn state(lineage: &str, serial: u64) -> StateDoc {
    let mut state = StateDoc::new(lineage);
    state.serial = serial;
    state.resources.insert(
        "aws_vpc.main".to_owned(),
        resource("aws_vpc", "vpc-1", serial),
    );
    state
}

fn done(address: &str, serial: u64) -> JournalEntry {
    JournalEntry::Done {
        address: address.to_owned(),
        resource: Some(resource("aws_subnet", address, serial)),
    }
}

fn intent(address: &str) -> JournalEntry {
    JournalEntry::Intent {
        address: address.to_owned(),
        op: PendingOp {
            kind: PendingKind::Create,
            resource_type: "aws_subnet".to_owned(),
            provider: "aws".to_owned(),
            token: "tok-1".to_owned(),
            id: None,
            started: "2024-01-01T00:00:00Z".to_owned(),
            sensitive_attributes: Vec::new(),
        },
    }
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn append_raw(path: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open")
        .write_all(bytes)
        .expect("append");
}

#[tokio::test]
async fn round_trip_with_private_modes() {
    let temp = temp();
    let dir = temp.path().join("env/prod");
    let store = LocalStore::new(&dir);
    assert_eq!(store.dir(), dir);
    assert_eq!(store.read().await.expect("read"), None);
    let mut written = state("l1", 1);
    written.pending.insert(
        "aws_subnet.a".to_owned(),
        match intent("aws_subnet.a") {
            JournalEntry::Intent { op, .. } => op,
            _ => unreachable!(),
        },
    );
    store.write(&written).await.expect("write");
    assert_eq!(store.read().await.expect("read"), Some(written.clone()));
    // Another store on the directory reads the same.
    let again = LocalStore::new(&dir);
    assert_eq!(again.read().await.expect("read"), Some(written.clone()));

    let text =
        std::fs::read_to_string(dir.join(SNAPSHOT_FILE)).expect("snapshot");
    assert!(text.ends_with("}\n"), "{text}");
    assert!(text.starts_with("{\n  \"version\": 2,\n"), "{text}");
    assert_eq!(mode(&dir.join(SNAPSHOT_FILE)), 0o600);
    assert_eq!(mode(&dir.join(JOURNAL_FILE)), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert!(
        store.describe().contains("env/prod"),
        "{}",
        store.describe()
    );
}

#[tokio::test]
async fn other_lineage_and_old_serials_are_refused() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    // Nothing stored: any serial starts the state.
    store.write(&state("l1", 5)).await.expect("first write");

    let error = store.write(&state("l2", 6)).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Lineage { stored, given, .. }
            if stored == "l1" && given == "l2"),
        "{error:?}"
    );
    assert!(error.to_string().contains("lineage l1"), "{error}");
    for serial in [5, 4, 0] {
        let error = store.write(&state("l1", serial)).await.unwrap_err();
        assert!(
            matches!(error, StoreError::Serial { stored: 5, given, .. }
                if given == serial),
            "{error:?}"
        );
    }
    let mut other = state("l1", 6);
    other.version = 3;
    let error = store.write(&other).await.unwrap_err();
    assert!(error.to_string().contains("format version 3"), "{error}");
    assert_eq!(store.read().await.unwrap(), Some(state("l1", 5)));
    store.write(&state("l1", 6)).await.expect("a higher serial");
    assert_eq!(store.read().await.unwrap(), Some(state("l1", 6)));
}

#[tokio::test]
async fn the_previous_snapshot_is_kept_as_backup() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    store.write(&state("l1", 1)).await.unwrap();
    assert!(!temp.path().join(BACKUP_FILE).exists());
    store.write(&state("l1", 2)).await.unwrap();
    let backup = |serial| {
        let text = std::fs::read_to_string(temp.path().join(BACKUP_FILE))
            .expect("backup");
        let doc: StateDoc = serde_json::from_str(&text).expect("a state");
        assert_eq!(doc, state("l1", serial));
    };
    backup(1);
    store.write(&state("l1", 3)).await.unwrap();
    backup(2);
    assert_eq!(mode(&temp.path().join(BACKUP_FILE)), 0o600);
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, [JOURNAL_FILE, SNAPSHOT_FILE, BACKUP_FILE]);
}

#[tokio::test]
async fn the_journal_replays_to_the_entries_applied() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    let error = store.append(&[done("aws_subnet.a", 1)]).await.unwrap_err();
    assert!(
        error.to_string().contains("state.journal") && {
            let source = std::error::Error::source(&error).unwrap();
            source.to_string().contains("no state is stored yet")
        },
        "{error}"
    );

    let mut expected = state("l1", 1);
    store.write(&expected).await.unwrap();
    let journal = temp.path().join(JOURNAL_FILE);
    let batches = vec![
        vec![intent("aws_subnet.a")],
        vec![done("aws_subnet.a", 1), intent("aws_subnet.b")],
        vec![JournalEntry::Abandoned {
            address: "aws_subnet.b".to_owned(),
        }],
        vec![JournalEntry::Moved {
            from: "aws_subnet.a".to_owned(),
            to: "aws_subnet.c".to_owned(),
        }],
        vec![JournalEntry::Done {
            address: "aws_vpc.main".to_owned(),
            resource: None,
        }],
    ];
    let inode = || {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(&journal).unwrap().ino()
    };
    let first_inode = inode();
    for batch in &batches {
        let before = std::fs::read(&journal).unwrap();
        store.append(batch).await.unwrap();
        for entry in batch {
            expected.apply_entry(entry);
        }
        // Appended to, never rewritten.
        let after = std::fs::read(&journal).unwrap();
        assert!(after.starts_with(&before));
        assert_eq!(inode(), first_inode);
        assert_eq!(store.read().await.unwrap(), Some(expected.clone()));
    }
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.lines().count(), 1 + 6);
    assert_eq!(
        text.lines().next().unwrap(),
        r#"{"journal":{"lineage":"l1","serial":1}}"#
    );
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with(r#"{"entry":"intent""#),
        "{text}"
    );
    assert!(expected.resources.contains_key("aws_subnet.c"));
    assert!(expected.pending.is_empty());

    // A fresh store (another process) reads the same, and appends.
    let other = LocalStore::new(temp.path());
    assert_eq!(other.read().await.unwrap(), Some(expected.clone()));
    other.append(&[done("aws_subnet.d", 1)]).await.unwrap();
    expected.apply_entry(&done("aws_subnet.d", 1));
    // The first store notices the journal changed under it.
    store.append(&[done("aws_subnet.e", 1)]).await.unwrap();
    expected.apply_entry(&done("aws_subnet.e", 1));
    assert_eq!(store.read().await.unwrap(), Some(expected.clone()));

    // Compaction: the snapshot holds it all, the journal only a header.
    expected.serial = 2;
    store.write(&expected).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap(),
        "{\"journal\":{\"lineage\":\"l1\",\"serial\":2}}\n"
    );
    assert_eq!(other.read().await.unwrap(), Some(expected.clone()));
    other.append(&[done("aws_subnet.f", 2)]).await.unwrap();
    expected.apply_entry(&done("aws_subnet.f", 2));
    assert_eq!(store.read().await.unwrap(), Some(expected));
}

#[tokio::test]
async fn a_torn_last_line_is_ignored_and_cut_by_the_next_append() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    let mut expected = state("l1", 1);
    store.write(&expected).await.unwrap();
    let entries = [done("aws_subnet.a", 1), done("aws_subnet.b", 1)];
    store.append(&entries).await.unwrap();
    for entry in &entries {
        expected.apply_entry(entry);
    }
    let journal = temp.path().join(JOURNAL_FILE);

    // No newline: cut short.
    append_raw(&journal, br#"{"entry":"done","address":"aws_sub"#);
    let reader = LocalStore::new(temp.path());
    assert_eq!(reader.read().await.unwrap(), Some(expected.clone()));
    store.append(&[done("aws_subnet.c", 1)]).await.unwrap();
    expected.apply_entry(&done("aws_subnet.c", 1));
    assert_eq!(reader.read().await.unwrap(), Some(expected.clone()));
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap().lines().count(),
        1 + 3
    );

    // A whole last line that is not valid is ignored too, and cut.
    append_raw(&journal, b"{\"entry\":\"do\0\0\0\n");
    assert_eq!(reader.read().await.unwrap(), Some(expected.clone()));
    let fresh = LocalStore::new(temp.path());
    fresh.append(&[done("aws_subnet.d", 1)]).await.unwrap();
    expected.apply_entry(&done("aws_subnet.d", 1));
    assert_eq!(reader.read().await.unwrap(), Some(expected));
}

#[tokio::test]
async fn an_invalid_line_before_the_last_names_file_and_line() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    store.write(&state("l1", 1)).await.unwrap();
    store.append(&[done("aws_subnet.a", 1)]).await.unwrap();
    let journal = temp.path().join(JOURNAL_FILE);
    append_raw(&journal, b"{\"entry\":\"exploded\"}\n");
    append_raw(
        &journal,
        (serde_json::to_string(&done("aws_subnet.c", 1)).unwrap() + "\n")
            .as_bytes(),
    );
    let error = LocalStore::new(temp.path()).read().await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(
        message.contains(&format!("{} line 3", journal.display())),
        "{message}"
    );
    assert!(message.contains("exploded"), "{message}");
}

#[tokio::test]
async fn a_journal_left_by_an_interrupted_compaction_is_ignored() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    let journal = temp.path().join(JOURNAL_FILE);
    let mut old = state("l1", 1);
    store.write(&old).await.unwrap();
    store.append(&[done("aws_subnet.a", 1)]).await.unwrap();
    old.apply_entry(&done("aws_subnet.a", 1));
    let old_journal = std::fs::read(&journal).unwrap();

    // The compaction wrote the new snapshot, then stopped before the
    // journal was reset.
    let mut new = old.clone();
    new.serial = 2;
    store.write(&new).await.unwrap();
    std::fs::write(&journal, &old_journal).unwrap();

    let reader = LocalStore::new(temp.path());
    assert_eq!(reader.read().await.unwrap(), Some(new.clone()));
    // The next append starts a journal for the new snapshot.
    reader.append(&[done("aws_subnet.b", 2)]).await.unwrap();
    new.apply_entry(&done("aws_subnet.b", 2));
    assert_eq!(store.read().await.unwrap(), Some(new.clone()));
    assert!(
        std::fs::read_to_string(&journal)
            .unwrap()
            .starts_with("{\"journal\":{\"lineage\":\"l1\",\"serial\":2}}\n")
    );

    // A journal of another lineage, or of a later snapshot, belongs to
    // some other state: an error, not silently dropped.
    for header in [
        "{\"journal\":{\"lineage\":\"l9\",\"serial\":2}}\n",
        "{\"journal\":{\"lineage\":\"l1\",\"serial\":7}}\n",
    ] {
        std::fs::write(&journal, header).unwrap();
        let error = reader.read().await.unwrap_err();
        assert!(
            error.to_string().contains("do not belong together"),
            "{error}"
        );
    }

    // A journal without its snapshot.
    std::fs::remove_file(temp.path().join(SNAPSHOT_FILE)).unwrap();
    let error = reader.read().await.unwrap_err();
    assert!(
        error.to_string().contains("state.json is missing")
            && error.to_string().contains(BACKUP_FILE),
        "{error}"
    );
    // Nor may a write of another lineage replace it unnoticed.
    let error = reader.write(&state("l2", 9)).await.unwrap_err();
    assert!(matches!(error, StoreError::Lineage { .. }), "{error:?}");
}

#[tokio::test]
async fn snapshots_of_other_formats_are_named() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    let snapshot = temp.path().join(SNAPSHOT_FILE);
    let read_error = |text: &str| {
        std::fs::write(&snapshot, text).unwrap();
        let store = store.clone();
        async move {
            let error = store.read().await.unwrap_err();
            assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
            error.to_string()
        }
    };
    let message = read_error(r#"{"version": 4, "serial": 1}"#).await;
    assert!(
        message.contains("Terraform's own state format"),
        "{message}"
    );
    let message = read_error(r#"{"resources": {}}"#).await;
    assert!(message.contains("has no format version"), "{message}");
    let message = read_error(r#"{"version": 9}"#).await;
    assert!(message.contains("a newer OnionCloud wrote it"), "{message}");
    let message = read_error("{\n  \"version\": 2,\n  \"lineage\": 7\n}").await;
    assert!(
        message.contains(&format!("{}: line 3", snapshot.display())),
        "{message}"
    );
    let message = read_error("{\"version\": 1, \"resources\": []}").await;
    assert!(message.contains("earlier OnionCloud format"), "{message}");

    // Version 1 is read as a state of serial 0, the same each time.
    std::fs::write(
        &snapshot,
        r#"{"version": 1, "resources": {
            "aws_vpc.main": {"type": "aws_vpc",
                             "attributes": {"id": "vpc-1", "cidr": "10/8"}},
            "google_compute_network.n": {"type": "google_compute_network",
                                         "attributes": {}}
        }}"#,
    )
    .unwrap();
    let migrated = store.read().await.unwrap().expect("a state");
    assert_eq!(store.read().await.unwrap().as_ref(), Some(&migrated));
    assert_eq!(migrated.serial, 0);
    let vpc = &migrated.resources["aws_vpc.main"];
    assert_eq!((vpc.provider.as_str(), vpc.id.as_str()), ("aws", "vpc-1"));
    assert_eq!(vpc.attributes["cidr"], json!("10/8"));
    let network = &migrated.resources["google_compute_network.n"];
    assert_eq!(network.provider, "google");
    assert_eq!(network.id, "google_compute_network.n");
    // The next write stores it in the current format.
    let mut next = migrated.clone();
    next.serial = 1;
    store.write(&next).await.unwrap();
    assert_eq!(store.read().await.unwrap(), Some(next));
}

// ----- crashes -----

/// The lines a child prints.
type Lines = std::io::Lines<BufReader<std::process::ChildStdout>>;

/// Runs the ignored test `name` of this binary in a child process on
/// `dir`, and waits until it says it is ready; returns what it said, and
/// what it says next.
fn spawn_child(name: &str, dir: &Path) -> (Child, String, Lines) {
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args(["--exact", name, "--include-ignored", "--nocapture"])
        .env(CHILD_DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child");
    let mut lines =
        BufReader::new(child.stdout.take().expect("stdout")).lines();
    for line in lines.by_ref() {
        let line = line.expect("the child's output");
        if let Some(said) = line.strip_prefix(READY) {
            return (child, said.to_owned(), lines);
        }
    }
    let status = child.wait().expect("wait");
    panic!("the child {name} ended ({status}) without getting ready");
}

fn child_dir() -> PathBuf {
    PathBuf::from(std::env::var_os(CHILD_DIR).unwrap_or_else(|| {
        panic!("run by the tests above, with {CHILD_DIR} set")
    }))
}

/// A state of `serial` whose every resource records that serial, large
/// enough that writing it takes a while.
fn big_state(lineage: &str, serial: u64) -> StateDoc {
    let mut state = StateDoc::new(lineage);
    state.serial = serial;
    let blob = "x".repeat(1000);
    for i in 0..200 {
        let mut r = resource("aws_instance", &format!("i-{i}"), serial);
        r.attributes.insert("user_data".to_owned(), json!(blob));
        state.resources.insert(format!("aws_instance.n{i}"), r);
    }
    state
}

#[test]
#[ignore = "a child process of writes_survive_sigkill_at_any_moment"]
fn child_writing_forever() {
    let dir = child_dir();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let store = LocalStore::new(&dir);
            store
                .lock(&LockInfo::for_current_process("apply"))
                .await
                .expect("the lock of a killed writer is taken over");
            let current = store.read().await.unwrap().expect("a state");
            println!("{READY}{}", current.serial);
            let mut serial = current.serial;
            loop {
                serial += 1;
                store
                    .write(&big_state(&current.lineage, serial))
                    .await
                    .unwrap();
                store
                    .append(&[done("aws_subnet.marker", serial)])
                    .await
                    .unwrap();
                println!("{WROTE}{serial}");
            }
        });
}

#[tokio::test]
async fn writes_survive_sigkill_at_any_moment() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    store.write(&big_state("l1", 1)).await.unwrap();
    let mut last = 1;
    let mut markers = 0;
    let mut rng = rand::rng();
    for round in 0..32 {
        let (mut child, said, mut lines) =
            spawn_child("child_writing_forever", temp.path());
        assert_eq!(said, last.to_string(), "round {round}");
        // Some whole writes, then a moment into the next one.
        let mut written = last;
        for _ in 0..rng.random_range(0..=2) {
            let line = lines.next().expect("progress").expect("output");
            written = line
                .strip_prefix(WROTE)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("round {round}: {line}"));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(0..80)));
        child.kill().expect("kill");
        child.wait().expect("wait");

        let state = store
            .read()
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"))
            .unwrap_or_else(|| panic!("round {round}: no state"));
        assert!(
            state.serial >= written,
            "round {round}: serial {} was read after {written} was written",
            state.serial
        );
        assert_eq!(state.lineage, "l1");
        assert!(state.resources.len() >= 200, "round {round}");
        // The marker comes from the journal, which must continue the
        // snapshot read and no other.
        if let Some(marker) = state.resources.get("aws_subnet.marker") {
            assert_eq!(marker.attributes["serial"], json!(state.serial));
            markers += 1;
        }
        for (address, resource) in &state.resources {
            assert_eq!(
                resource.attributes["serial"],
                json!(state.serial),
                "round {round}: {address} is of another snapshot"
            );
        }
        last = state.serial;
    }
    assert!(last > 1, "the children never wrote");
    assert!(markers > 0, "no journal entry was ever read");
    // The lock of the last child is free again, with its information.
    assert_eq!(store.lock_holder().await.unwrap(), None);
    store
        .lock(&LockInfo::for_current_process("apply"))
        .await
        .expect("taken over");
}

// ----- locks -----

fn info(operation: &str) -> LockInfo {
    LockInfo::for_current_process(operation)
}

#[tokio::test]
async fn a_second_store_is_refused_at_once() {
    let temp = temp();
    let first = LocalStore::new(temp.path());
    let second = LocalStore::new(temp.path());
    let mine = info("apply");
    first.lock(&mine).await.expect("lock");
    assert_eq!(mode(&temp.path().join(LOCK_FILE)), 0o600);

    let error = second.lock(&info("plan")).await.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(&error, StoreError::Locked { holder, .. } if *holder == mine),
        "{error:?}"
    );
    assert!(message.contains("locked by"), "{message}");
    assert!(message.contains("since"), "{message}");
    assert!(message.contains(&mine.id), "{message}");
    assert_eq!(second.lock_holder().await.unwrap(), Some(mine.clone()));
    assert_eq!(first.lock_holder().await.unwrap(), Some(mine.clone()));
    // Nor may the holder take it twice.
    assert!(matches!(
        first.lock(&info("apply")).await,
        Err(StoreError::Locked { .. })
    ));

    // force-unlock: a wrong id, then the live holder's.
    let error = second.force_unlock("nonsense").await.unwrap_err();
    assert!(
        matches!(&error, StoreError::NoSuchLock { held: Some(h), .. }
            if *h == mine),
        "{error:?}"
    );
    let error = second.force_unlock(&mine.id).await.unwrap_err();
    assert!(matches!(error, StoreError::HolderAlive { .. }), "{error:?}");
    assert!(error.to_string().contains("still running"), "{error}");
    // Unlocking another's lock is refused.
    let error = second.unlock(&info("plan")).await.unwrap_err();
    assert!(matches!(error, StoreError::NoSuchLock { .. }), "{error:?}");

    first.unlock(&mine).await.expect("unlock");
    assert_eq!(first.lock_holder().await.unwrap(), None);
    assert_eq!(
        std::fs::read_to_string(temp.path().join(LOCK_FILE)).unwrap(),
        ""
    );
    let theirs = info("plan");
    second.lock(&theirs).await.expect("free again");
    assert_eq!(first.lock_holder().await.unwrap(), Some(theirs.clone()));
    // The holder may force its own lock.
    second.force_unlock(&theirs.id).await.expect("own lock");
    first.lock(&info("apply")).await.expect("free again");
}

#[tokio::test]
async fn a_stale_lock_file_is_not_a_lock() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    let mut stale = info("apply");
    stale.pid = 999_999;
    std::fs::write(
        temp.path().join(LOCK_FILE),
        serde_json::to_string(&stale).unwrap(),
    )
    .unwrap();
    assert_eq!(store.lock_holder().await.unwrap(), None);
    let error = store.force_unlock("other").await.unwrap_err();
    assert!(
        matches!(error, StoreError::NoSuchLock { held: None, .. }),
        "{error:?}"
    );
    store
        .force_unlock(&stale.id)
        .await
        .expect("stale lock cleared");
    assert_eq!(
        std::fs::read_to_string(temp.path().join(LOCK_FILE)).unwrap(),
        ""
    );
    let error = store.force_unlock(&stale.id).await.unwrap_err();
    assert!(matches!(error, StoreError::NoSuchLock { .. }), "{error:?}");
}

#[test]
#[ignore = "a child process of a_killed_holders_lock_is_taken_over"]
fn child_holding_the_lock() {
    let dir = child_dir();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let store = LocalStore::new(&dir);
            let info = LockInfo::for_current_process("apply");
            store.lock(&info).await.expect("lock");
            println!("{READY}{}", serde_json::to_string(&info).unwrap());
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        });
}

#[tokio::test]
async fn a_killed_holders_lock_is_taken_over() {
    let temp = temp();
    let store = LocalStore::new(temp.path());
    let (mut child, said, _) =
        spawn_child("child_holding_the_lock", temp.path());
    let held: LockInfo = serde_json::from_str(&said).expect("lock info");
    assert_eq!(held.pid, child.id());

    let error = store.lock(&info("apply")).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("locked by"), "{message}");
    assert!(message.contains("since"), "{message}");
    assert!(
        message.contains(&format!("process {}", child.id())),
        "{message}"
    );
    assert_eq!(store.lock_holder().await.unwrap(), Some(held.clone()));
    let error = store.force_unlock(&held.id).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StoreError::HolderAlive { .. }), "{error:?}");
    assert!(
        message.contains(&format!("process {}", held.pid))
            && message.contains(&held.who),
        "{message}"
    );

    child.kill().expect("kill");
    child.wait().expect("wait");
    assert_eq!(store.lock_holder().await.unwrap(), None);
    let mine = info("apply");
    store.lock(&mine).await.expect("taken over");
    assert_eq!(store.lock_holder().await.unwrap(), Some(mine));
}
