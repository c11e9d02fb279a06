//! Support shared by the crate's integration tests: finding the tools
//! they need, and a throwaway SSH server.

#![allow(dead_code)]

pub mod sshd;

use std::path::PathBuf;

use onioncloud_salt::runner::locate_salt_call;

/// The `salt-call` to test with (`ONIONCLOUD_SALT_CALL`, the tools venv,
/// or `PATH`); without one, a loud SKIPPED line and `None`, or a panic
/// under `ONIONCLOUD_REQUIRE_TOOLS=1`.
pub fn salt_call_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(program) = locate_salt_call().filter(|path| path.is_file()) {
        return Some(program);
    }
    let missing = match std::env::var_os("ONIONCLOUD_SALT_CALL") {
        Some(path) => format!(
            "salt-call not found: ONIONCLOUD_SALT_CALL={} is not a file",
            PathBuf::from(path).display()
        ),
        None => "salt-call not found (ONIONCLOUD_SALT_CALL, the tools venv \
                 or PATH)"
            .to_owned(),
    };
    sshd::skip(test, &missing)
}
