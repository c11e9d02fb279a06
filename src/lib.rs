//! OnionCloud: typed multi-cloud infrastructure as code.
pub use onioncloud_core as core;
pub mod cli;
