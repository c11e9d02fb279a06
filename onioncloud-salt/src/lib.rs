//! Salt.
