//! The provider trait: how the engine reads and changes one cloud.
//!
//! A provider works on one resource type at a time, with attributes as
//! JSON. Secrets reach it only as references (`{"secret_ref": "aws:db"}`
//! in place of a value), which it resolves against its own store.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::state::Attrs;

/// How an attribute's values are put in canonical form before they are
/// compared, so that equal values never show as a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalize {
    /// A CIDR block: `10.0.0.1/16` is `10.0.0.0/16`, IPv6 in RFC 5952
    /// form.
    Cidr,
    /// A JSON document held as a string: compared as a document, so key
    /// order and spacing do not matter.
    JsonDocument,
    /// Compared without regard to ASCII case.
    CaseInsensitive,
    /// A list compared as a set: order and duplicates do not matter.
    Set,
}

/// What the engine needs to know about one resource type to plan
/// honestly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeHints {
    /// Attributes whose change replaces the object.
    pub force_new: BTreeSet<String>,
    /// How attributes are normalised before comparison.
    pub normalize: BTreeMap<String, Normalize>,
    /// Attributes the cloud computes; a configuration never sets them and
    /// their drift is never a change.
    pub computed: BTreeSet<String>,
}

impl TypeHints {
    /// Hints with nothing forcing replacement and no normalisation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks attributes whose change replaces the object.
    pub fn force_new<'a>(
        mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        self.force_new.extend(names.into_iter().map(str::to_owned));
        self
    }

    /// Normalises an attribute before comparison.
    pub fn normalize(mut self, name: &str, how: Normalize) -> Self {
        self.normalize.insert(name.to_owned(), how);
        self
    }

    /// Marks attributes the cloud computes.
    pub fn computed<'a>(
        mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        self.computed.extend(names.into_iter().map(str::to_owned));
        self
    }
}

/// Limits a provider asks the executor to respect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProviderLimits {
    /// At most this many operations at once on this provider
    /// configuration.
    pub per_config: Option<usize>,
    /// At most this many at once per [`Provider::concurrency_key`].
    pub per_key: Option<usize>,
}

/// How a provider call failed, which decides whether it is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The API asked us to slow down; retried with backoff.
    Throttled,
    /// A transient failure (a timeout, a 5xx); retried with backoff.
    Transient,
    /// The object does not exist.
    NotFound,
    /// Anything else; not retried.
    Fatal,
}

/// An error from a provider call.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{message}{}", match .code {
    Some(code) => format!(" ({code})"),
    None => String::new(),
})]
pub struct ProviderError {
    /// Whether it is retried.
    pub kind: ErrorKind,
    /// The cloud's error code, such as `DependencyViolation`.
    pub code: Option<String>,
    /// What went wrong.
    pub message: String,
    /// How long the API asked us to wait before retrying.
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    /// A fatal error.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Fatal,
            code: None,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A throttling error, with the wait the API asked for.
    pub fn throttled(
        message: impl Into<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        Self {
            kind: ErrorKind::Throttled,
            code: Some("Throttling".to_owned()),
            message: message.into(),
            retry_after,
        }
    }

    /// A transient error.
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Transient,
            code: None,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The object does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::NotFound,
            code: Some("NotFound".to_owned()),
            message: message.into(),
            retry_after: None,
        }
    }

    /// Whether retrying may help.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }

    /// Sets the cloud's error code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
}

/// An object the cloud created.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    /// Its id.
    pub id: String,
    /// Its attributes: the configuration plus what the cloud computed.
    pub attributes: Attrs,
}

/// One cloud, through one provider configuration.
///
/// Calls may run concurrently. Each is one attempt: the executor retries
/// errors that are [`ProviderError::is_retryable`], with backoff.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The hints for a resource type.
    fn hints(&self, resource_type: &str) -> TypeHints;

    /// The limits the executor should respect.
    fn limits(&self) -> ProviderLimits {
        ProviderLimits::default()
    }

    /// The key whose operations share [`ProviderLimits::per_key`], such as
    /// the Proxmox node an object lives on, or `None`.
    fn concurrency_key(
        &self,
        resource_type: &str,
        config: &Attrs,
    ) -> Option<String> {
        let _ = (resource_type, config);
        None
    }

    /// Reads an object by id: `None` when it no longer exists.
    async fn read(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Attrs>, ProviderError>;

    /// Reads a data source.
    async fn read_data(
        &self,
        resource_type: &str,
        config: &Attrs,
    ) -> Result<Attrs, ProviderError>;

    /// Creates an object, attaching `token` to it (as a tag or a client
    /// token) so that [`Provider::find_by_token`] finds it after a crash.
    /// Creating twice with one token must not create two objects.
    async fn create(
        &self,
        resource_type: &str,
        config: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError>;

    /// Changes an object in place; returns its new attributes.
    async fn update(
        &self,
        resource_type: &str,
        id: &str,
        prior: &Attrs,
        config: &Attrs,
    ) -> Result<Attrs, ProviderError>;

    /// Deletes an object. Deleting one that is already gone succeeds.
    async fn delete(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<(), ProviderError>;

    /// Finds the object created with `token`, if any.
    async fn find_by_token(
        &self,
        resource_type: &str,
        token: &str,
    ) -> Result<Option<Created>, ProviderError>;
}

/// The providers of one run, by provider configuration (`aws`,
/// `aws.west`, `google`).
#[derive(Clone, Default)]
pub struct Providers {
    by_config: BTreeMap<String, std::sync::Arc<dyn Provider>>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.by_config.keys()).finish()
    }
}

impl Providers {
    /// No providers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves the provider configuration `config` with `provider`.
    pub fn insert(
        &mut self,
        config: impl Into<String>,
        provider: std::sync::Arc<dyn Provider>,
    ) {
        self.by_config.insert(config.into(), provider);
    }

    /// The provider of a configuration.
    ///
    /// # Errors
    ///
    /// Fails, naming the configuration, when none serves it.
    pub fn get(
        &self,
        config: &str,
    ) -> Result<&std::sync::Arc<dyn Provider>, ProviderError> {
        self.by_config.get(config).ok_or_else(|| {
            ProviderError::fatal(format!(
                "no provider serves the configuration {config:?}"
            ))
        })
    }

    /// The hints of a type under a configuration; none when no provider
    /// serves it.
    pub fn hints(&self, config: &str, resource_type: &str) -> TypeHints {
        self.by_config
            .get(config)
            .map(|p| p.hints(resource_type))
            .unwrap_or_default()
    }

    /// The configurations served, in order.
    pub fn configs(&self) -> impl Iterator<Item = &str> {
        self.by_config.keys().map(String::as_str)
    }
}

/// The provider configuration that manages a declaration: its explicit
/// `provider`, or the default configuration of its type's provider.
pub fn provider_config_of(decl: &crate::env::Declaration) -> String {
    match &decl.meta.provider {
        Some(p) => p.to_string(),
        None => decl.address.kind.provider_name().to_string(),
    }
}
