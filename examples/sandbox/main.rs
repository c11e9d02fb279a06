//! A small environment whose machine is configured by real Salt on this
//! machine, inside a sandbox directory: infrastructure on the simulated
//! cloud, configuration with a masterless `salt-call`.
//!
//! An instance's role writes its application's configuration, made from
//! the pillar, under the sandbox, and records a reload whenever that file
//! changes. The pillar carries the database's address and the instance's
//! own private address, which exist only once the infrastructure is
//! applied, and the database password as a secret reference, never a
//! value:
//!
//! ```text
//! export ONIONCLOUD_SANDBOX=$PWD/.onioncloud/sandbox-files
//! cargo run --example sandbox -- --provider sim apply --auto-approve --salt local
//! cat $ONIONCLOUD_SANDBOX/etc/app.conf
//! cargo run --example sandbox -- --provider sim apply --auto-approve --salt local
//! ```
//!
//! The second apply reports no changes, from the clouds or from Salt.
//! `--salt-test` only reports what Salt would change. The sandbox is
//! `ONIONCLOUD_SANDBOX`, or `/tmp/onioncloud-sandbox` when unset; every
//! state of the role stays inside it.

mod environment;

fn main() -> std::process::ExitCode {
    onioncloud::cli::main(environment::build)
}
