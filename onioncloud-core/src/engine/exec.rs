//! The executor: applies a plan concurrently.
