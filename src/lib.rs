//! OnionCloud: typed multi-cloud infrastructure as code.
//!
//! Teams declare an environment in typed Rust, compile it into a dependency
//! graph, and synthesize Terraform JSON (one root module per cloud) and
//! SaltStack states from it, or plan it against a state file. This crate is
//! the facade: it re-exports the member crates and holds the command line
//! that environment crates run.
//!
//! ```
//! use onioncloud::prelude::*;
//!
//! let mut env = Env::new("demo");
//! let vpc = env.add("main", aws::Vpc::new("10.0.0.0/16"));
//! env.add("web", aws::Subnet::new(vpc.id(), "10.0.1.0/24"));
//! let env = env.compile().unwrap();
//! let files = onioncloud::synth::render(&env).unwrap();
//! assert!(files.keys().any(|p| p.ends_with("aws/main.tf.json")));
//! ```

pub use onioncloud_core as core;
pub use onioncloud_providers as providers;
pub use onioncloud_salt as salt;

pub mod cli;
pub mod configure;
pub mod engine_cli;
pub mod policies;
pub mod synth;

pub use onioncloud_providers::{aws, gcp, private};

/// What an environment crate needs in scope.
pub mod prelude {
    pub use onioncloud_core::{
        Backend, Env, GenericResource, Handle, Input, Meta, Output, SecretRef,
        Variable, concat,
    };
    pub use onioncloud_providers::components::{
        Compute, Database, LoadBalancer, ObjectStore,
    };
    pub use onioncloud_providers::{aws, gcp, private};
    pub use onioncloud_salt::{Machine, Role};
}
