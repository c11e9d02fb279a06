//! The core of OnionCloud: values, typed inputs and outputs, resources,
//! environments, the dependency graph and Terraform JSON synthesis.
//!
//! A user declares an [`Env`]: resources (typed ones from
//! `onioncloud-providers`, or [`GenericResource`] for any Terraform type),
//! provider configurations, variables and outputs. Declaring a resource
//! returns a [`Handle`] whose attribute accessors return typed
//! [`Output`]s; passing an output where an [`Input`] of the same type is
//! expected creates the dependency. [`Env::compile`] validates it all into
//! a [`CompiledEnv`], the only thing synthesis and planning accept.
//!
//! ```
//! use onioncloud_core::{Env, GenericResource, Output};
//!
//! let mut env = Env::new("demo");
//! let vpc = env.add(
//!     "main",
//!     GenericResource::new("aws_vpc").set("cidr_block", "10.0.0.0/16"),
//! );
//! let subnet = env.add(
//!     "web",
//!     GenericResource::new("aws_subnet")
//!         .input::<String>("vpc_id", vpc.id())
//!         .set("cidr_block", "10.0.1.0/24"),
//! );
//! env.output::<String>("subnet", subnet.id());
//! let compiled = env.compile().expect("valid environment");
//! let files = onioncloud_core::terraform::synth(&compiled).unwrap();
//! assert!(files.contains_key("aws/main.tf.json"));
//! ```

pub mod address;
pub mod compile;
pub mod diagram;
pub mod engine;
pub mod env;
pub mod policy;
pub mod resource;
pub mod sensitive;
pub mod terraform;
pub mod typed;
pub mod value;

pub use address::{
    Address, Mode, Name, ProviderName, ProviderRef, ResourceType,
    SourceLocation,
};
pub use compile::{CompileError, CompileErrors, CompiledEnv, EdgeReason};
pub use env::{
    Backend, Component, Configuration, Env, Import, Lifecycle, Meta,
    ProviderConfig, Removed, Variable,
};
pub use resource::{
    Attributes, GenericResource, Handle, HasAddress, Resource, TypedResource,
};
pub use typed::{Input, Output, Secret, concat, raw_expression};
pub use value::{AttrRef, SecretRef, SecretStore, Value};
