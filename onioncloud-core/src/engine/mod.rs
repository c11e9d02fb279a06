//! The deployment engine: state, plans and a crash-safe concurrent apply.
//!
//! The flow of one `apply`:
//!
//! 1. a [`StateStore`](store::StateStore) is locked and read: the last
//!    snapshot plus the journal of changes written since;
//! 2. operations left pending by an interrupted apply are reconciled
//!    through the providers: an object created under a journalled
//!    idempotency token is adopted, never created twice;
//! 3. [`diff`] compares the compiled environment with that state (and,
//!    optionally, the live cloud) and gives a [`Plan`](plan::Plan);
//! 4. [`exec`] walks the plan's graph with bounded parallelism,
//!    journalling each operation's intent before it calls the provider
//!    and its result after;
//! 5. the journal is compacted into a new snapshot and the lock released.
//!
//! [`sim`] is an in-process simulated cloud for tests and for trying
//! OnionCloud without a cloud account.

pub mod diff;
pub mod exec;
pub mod plan;
pub mod provider;
pub mod session;
pub mod sim;
pub mod state;
pub mod store;
