//! The PostgreSQL state store.
