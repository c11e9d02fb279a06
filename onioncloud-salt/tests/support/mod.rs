//! Support shared by the crate's integration tests.

pub mod sshd;
