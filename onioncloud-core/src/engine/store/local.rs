//! The local state store.
