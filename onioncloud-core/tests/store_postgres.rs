//! The PostgreSQL state store against a throwaway server: the contract of
//! the local store (snapshots, lineage and serial, the journal, locks),
//! plus locks whose holder's connection ended and tables created by
//! several processes at once.

#![cfg(feature = "postgres")]

mod support;

use std::time::{Duration, Instant};

use onioncloud_core::engine::state::{
    JournalEntry, PendingKind, PendingOp, ResourceState, StateDoc,
};
use onioncloud_core::engine::store::postgres::PostgresStore;
use onioncloud_core::engine::store::{LockInfo, StateStore, StoreError};
use serde_json::json;
use support::postgres::Server;

fn resource(id: &str) -> ResourceState {
    ResourceState {
        kind: "aws_subnet".to_owned(),
        provider: "aws".to_owned(),
        id: id.to_owned(),
        attributes: [("id".to_owned(), json!(id))].into(),
        dependencies: vec!["aws_vpc.main".to_owned()],
        create_before_destroy: false,
        sensitive_attributes: Vec::new(),
    }
}

fn state(lineage: &str, serial: u64) -> StateDoc {
    let mut state = StateDoc::new(lineage);
    state.serial = serial;
    state
        .resources
        .insert("aws_vpc.main".to_owned(), resource("vpc-1"));
    state
}

fn done(address: &str) -> JournalEntry {
    JournalEntry::Done {
        address: address.to_owned(),
        resource: Some(resource(address)),
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

async fn connect(server: &Server, environment: &str) -> PostgresStore {
    PostgresStore::connect(&server.conninfo(), environment)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}: {:?}", e))
}

/// A plain client, to do what the store would not.
async fn raw(server: &Server) -> tokio_postgres::Client {
    let (client, connection) =
        tokio_postgres::connect(&server.conninfo(), tokio_postgres::NoTls)
            .await
            .expect("connect");
    tokio::spawn(connection);
    client
}

#[tokio::test]
async fn snapshots_and_the_journal() {
    let Some(server) = Server::start() else {
        return;
    };
    let store = connect(&server, "prod").await;
    assert_eq!(store.environment(), "prod");
    assert!(store.describe().contains("environment prod"));
    assert!(!store.describe().contains("password"));
    assert_eq!(store.read().await.unwrap(), None);
    let error = store.append(&[done("aws_subnet.a")]).await.unwrap_err();
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("no state is stored yet"), "{source}");

    // Round trip; any serial starts a state.
    let mut expected = state("l1", 3);
    store.write(&expected).await.unwrap();
    assert_eq!(store.read().await.unwrap(), Some(expected.clone()));
    assert_eq!(store.previous().await.unwrap(), None);

    // Lineage and serial.
    let error = store.write(&state("l2", 4)).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Lineage { stored, given, .. }
            if stored == "l1" && given == "l2"),
        "{error:?}"
    );
    for serial in [3, 2] {
        let error = store.write(&state("l1", serial)).await.unwrap_err();
        assert!(
            matches!(error, StoreError::Serial { stored: 3, given, .. }
                if given == serial),
            "{error:?}"
        );
    }

    // The journal, read by this connection and another.
    let other = connect(&server, "prod").await;
    let batches = [
        vec![intent("aws_subnet.a"), intent("aws_subnet.b")],
        vec![done("aws_subnet.a")],
        vec![JournalEntry::Abandoned {
            address: "aws_subnet.b".to_owned(),
        }],
        vec![JournalEntry::Moved {
            from: "aws_subnet.a".to_owned(),
            to: "aws_subnet.c".to_owned(),
        }],
    ];
    for batch in &batches {
        store.append(batch).await.unwrap();
        for entry in batch {
            expected.apply_entry(entry);
        }
        assert_eq!(other.read().await.unwrap(), Some(expected.clone()));
    }
    assert!(expected.resources.contains_key("aws_subnet.c"));

    // Compaction clears the journal and keeps the previous snapshot.
    let before = state("l1", 3);
    expected.serial = 4;
    other.write(&expected).await.unwrap();
    assert_eq!(store.read().await.unwrap(), Some(expected.clone()));
    assert_eq!(store.previous().await.unwrap(), Some(before));
    let client = raw(&server).await;
    let rows: i64 = client
        .query_one(
            "SELECT count(*) FROM onioncloud_journal WHERE environment = \
             'prod'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);

    // Environments are apart.
    let staging = connect(&server, "staging").await;
    assert_eq!(staging.read().await.unwrap(), None);
    staging.write(&state("l9", 1)).await.unwrap();
    assert_eq!(store.read().await.unwrap(), Some(expected.clone()));

    // A journal row that is not an entry is named.
    store.append(&[done("aws_subnet.d")]).await.unwrap();
    let seq: i64 = client
        .query_one(
            "INSERT INTO onioncloud_journal (environment, entry) VALUES \
             ('prod', '{\"entry\":\"exploded\"}') RETURNING seq",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let error = store.read().await.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(
        error.to_string().contains(&format!(
            "onioncloud_journal row {seq} of environment prod"
        )),
        "{error}"
    );
    assert!(error.to_string().contains("exploded"), "{error}");

    // A snapshot of Terraform's format is named as such.
    client
        .execute(
            "UPDATE onioncloud_states SET document = '{\"version\": 4}' \
             WHERE environment = 'staging'",
            &[],
        )
        .await
        .unwrap();
    let error = staging.read().await.unwrap_err();
    assert!(
        error.to_string().contains("Terraform's own state format"),
        "{error}"
    );
}

fn info(operation: &str) -> LockInfo {
    LockInfo::for_current_process(operation)
}

/// Waits until `store` sees no live holder: the server notices a closed
/// connection a moment after the client closed it.
async fn until_free(store: &PostgresStore) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.lock_holder().await.unwrap().is_some() {
        assert!(
            Instant::now() < deadline,
            "the lock of a closed connection is still held"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn locks() {
    let Some(server) = Server::start() else {
        return;
    };
    let a = connect(&server, "prod").await;
    let b = connect(&server, "prod").await;
    assert_eq!(a.lock_holder().await.unwrap(), None);
    let first = info("apply");
    a.lock(&first).await.expect("lock");
    assert_eq!(b.lock_holder().await.unwrap(), Some(first.clone()));

    let error = b.lock(&info("plan")).await.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(&error, StoreError::Locked { holder, .. } if *holder == first),
        "{error:?}"
    );
    assert!(message.contains("locked by"), "{message}");
    assert!(message.contains("since"), "{message}");
    assert!(message.contains(&first.id), "{message}");
    assert!(matches!(
        a.lock(&info("apply")).await,
        Err(StoreError::Locked { .. })
    ));
    let error = b.force_unlock("nonsense").await.unwrap_err();
    assert!(
        matches!(&error, StoreError::NoSuchLock { held: Some(h), .. }
            if *h == first),
        "{error:?}"
    );
    let error = b.unlock(&info("plan")).await.unwrap_err();
    assert!(matches!(error, StoreError::NoSuchLock { .. }), "{error:?}");

    // Another environment is another lock.
    let staging = connect(&server, "staging").await;
    staging
        .lock(&info("apply"))
        .await
        .expect("another environment");

    a.unlock(&first).await.expect("unlock");
    assert_eq!(b.lock_holder().await.unwrap(), None);
    let second = info("apply");
    b.lock(&second).await.expect("free again");
    assert!(matches!(
        a.lock(&info("apply")).await,
        Err(StoreError::Locked { .. })
    ));

    // The holder's connection ends without unlocking: taken over.
    drop(b);
    until_free(&a).await;
    let third = info("apply");
    a.lock(&third).await.expect("taken over");
    assert_eq!(a.lock_holder().await.unwrap(), Some(third.clone()));

    // force-unlock, from another connection, of a connected holder.
    let c = connect(&server, "prod").await;
    c.force_unlock(&third.id).await.expect("forced");
    assert_eq!(c.lock_holder().await.unwrap(), None);
    let fourth = info("apply");
    c.lock(&fourth).await.expect("free after force-unlock");
    // The forced holder can no longer write: its writes are fenced off.
    let error = a.append(&[done("aws_vpc.fenced")]).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::NoSuchLock { held: Some(h), .. }
            if *h == fourth),
        "{error:?}"
    );
    let error = a.write(&state("fenced", 99)).await.unwrap_err();
    assert!(matches!(error, StoreError::NoSuchLock { .. }), "{error:?}");
    // The forced holder learns it lost the lock when it unlocks.
    let error = a.unlock(&third).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::NoSuchLock { held: Some(h), .. }
            if *h == fourth),
        "{error:?}"
    );
    // and can wait its turn again.
    c.unlock(&fourth).await.expect("unlock");
    a.lock(&info("apply")).await.expect("lock again");
}

#[tokio::test]
async fn processes_starting_at_once_create_the_tables_once() {
    let Some(server) = Server::start() else {
        return;
    };
    let conninfo = server.conninfo();
    let connections = (0..6).map(|i| {
        let conninfo = conninfo.clone();
        tokio::spawn(async move {
            PostgresStore::connect(&conninfo, &format!("env{}", i % 2)).await
        })
    });
    let mut stores = Vec::new();
    for connection in connections {
        stores.push(connection.await.unwrap().expect("connect"));
    }

    // First writes at once: one wins, the others are refused.
    let writes = stores.into_iter().enumerate().map(|(i, store)| {
        tokio::spawn(async move {
            let result = store.write(&state(&format!("l{i}"), 1)).await;
            (store, result)
        })
    });
    let mut won = [0, 0];
    for write in writes {
        let (store, result) = write.await.unwrap();
        match result {
            Ok(()) => won[usize::from(store.environment() == "env1")] += 1,
            Err(StoreError::Lineage { .. } | StoreError::Serial { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won, [1, 1]);
}

/// Over TCP, TLS is required and verified by default: a server without
/// TLS is refused before any login. `sslmode=disable` is the explicit
/// opt-out; `sslmode=prefer` does not fall back to plain text.
#[tokio::test]
async fn tls_is_required_over_tcp_unless_disabled_explicitly() {
    use onioncloud_core::engine::store::postgres::{TlsPolicy, tls_policy};
    let Some(server) = Server::start() else {
        return;
    };
    let policy = |conninfo: &str| {
        tls_policy(&conninfo.parse::<tokio_postgres::Config>().unwrap())
    };
    assert_eq!(policy("host=db.example.com"), TlsPolicy::Verified);
    assert_eq!(
        policy("postgresql://db.example.com/x?sslmode=prefer"),
        TlsPolicy::Verified
    );
    assert_eq!(
        policy("host=db.example.com sslmode=require"),
        TlsPolicy::Verified
    );
    assert_eq!(
        policy("postgresql://127.0.0.1/x?sslmode=disable"),
        TlsPolicy::Plain
    );
    assert_eq!(policy(&server.conninfo()), TlsPolicy::Plain);

    let chain = |e: &dyn std::error::Error| {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        text
    };
    for extra in ["", "sslmode=prefer", "sslmode=require"] {
        let error = PostgresStore::connect(&server.tcp_conninfo(extra), "prod")
            .await
            .err()
            .unwrap_or_else(|| panic!("{extra:?}: connected without TLS"));
        let text = chain(&error);
        assert!(text.contains("TLS"), "{extra:?}: {text}");
    }
    // Opted out, the connection gets past TLS to the login, which this
    // server refuses over TCP.
    let Err(error) =
        PostgresStore::connect(&server.tcp_conninfo("sslmode=disable"), "prod")
            .await
    else {
        panic!("the server refuses TCP logins");
    };
    let text = chain(&error);
    assert!(!text.contains("TLS"), "{text}");
    assert!(text.contains("pg_hba.conf"), "{text}");
}
