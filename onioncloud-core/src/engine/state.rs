//! The state document: what OnionCloud knows to exist.
//!
//! A state has a *lineage*, a random id fixed when it is first created,
//! and a *serial* that grows with every snapshot. Stores refuse a snapshot
//! of another lineage or of a serial not above the stored one, so two
//! histories never mix and an old copy never overwrites a newer one.
//!
//! Between snapshots, an apply appends [`JournalEntry`]s: an intent before
//! each operation and its outcome after. [`StateDoc::apply_entry`] replays
//! them, so reading a state is "snapshot, then journal".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// The format version of state documents this build writes and reads.
pub const STATE_FORMAT: u32 = 2;

/// A resource's attributes, by name.
pub type Attrs = BTreeMap<String, Json>;

/// The whole state of one environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDoc {
    /// The format version, [`STATE_FORMAT`].
    pub version: u32,
    /// The history this state belongs to.
    pub lineage: String,
    /// Grows with every snapshot.
    pub serial: u64,
    /// The resources, by address.
    pub resources: BTreeMap<String, ResourceState>,
    /// Operations started but not known to have finished, by address.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, PendingOp>,
}

/// One resource as last created, updated, read or imported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceState {
    /// The resource type, such as `aws_vpc`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The provider configuration, such as `aws` or `aws.west`.
    pub provider: String,
    /// The cloud's id for the object.
    pub id: String,
    /// Its attributes: the configuration as applied plus what the cloud
    /// computed. Secrets appear only as references.
    pub attributes: Attrs,
    /// The addresses it depended on when last applied, so that a deleted
    /// resource is destroyed in the right order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// The attributes whose values come from a secret or a sensitive
    /// variable: never shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_attributes: Vec<String>,
    /// Whether the object was created before a replacement destroyed its
    /// predecessor, which makes its dependents follow the same order.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
}

impl ResourceState {
    /// The same object with the values of its
    /// [`sensitive_attributes`](Self::sensitive_attributes) replaced by
    /// [`redact`](crate::sensitive::redact)'s marker: what a state
    /// records, so that no sensitive value is ever written while a change
    /// of one is still seen. `salt` is the state's lineage.
    pub fn redacted(mut self, salt: &str) -> Self {
        redact_attributes(
            &mut self.attributes,
            &self.sensitive_attributes,
            salt,
        );
        self
    }
}

/// Replaces the values of the attributes `names` (top-level names) in
/// `attrs` by their [`redact`](crate::sensitive::redact) markers, salted
/// with `salt` (the state's lineage).
pub fn redact_attributes(attrs: &mut Attrs, names: &[String], salt: &str) {
    for name in names {
        if let Some(value) = attrs.get_mut(name)
            && !value.is_null()
        {
            *value = crate::sensitive::redact(value, salt);
        }
    }
}

/// What a pending operation was doing.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PendingKind {
    /// Creating an object.
    Create,
    /// Updating one in place.
    Update,
    /// Deleting one.
    Delete,
}

/// An operation journalled before the provider was called.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingOp {
    /// What it was doing.
    pub kind: PendingKind,
    /// The resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The provider configuration.
    pub provider: String,
    /// The idempotency token the provider attaches to a created object.
    pub token: String,
    /// The object's id, for updates and deletes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When it started, RFC 3339.
    pub started: String,
    /// The attributes whose values are secret or sensitive, for the
    /// object adopted if the operation is interrupted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_attributes: Vec<String>,
}

/// One line of the journal written during an apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "entry")]
pub enum JournalEntry {
    /// An operation is about to start.
    Intent {
        /// The resource.
        address: String,
        /// The operation.
        op: PendingOp,
    },
    /// An operation finished: the resource now is `resource`, or is gone
    /// when it is `None`. Clears the pending operation.
    Done {
        /// The resource.
        address: String,
        /// What exists now.
        resource: Option<ResourceState>,
    },
    /// A pending operation was resolved without a change to the resource
    /// (it had not reached the cloud).
    Abandoned {
        /// The resource.
        address: String,
    },
    /// A resource moved to a new address.
    Moved {
        /// The old address.
        from: String,
        /// The new address.
        to: String,
    },
}

impl StateDoc {
    /// An empty state of a new lineage.
    pub fn new(lineage: impl Into<String>) -> Self {
        Self {
            version: STATE_FORMAT,
            lineage: lineage.into(),
            serial: 0,
            resources: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }

    /// A fresh random lineage id.
    pub fn new_lineage() -> String {
        use rand::RngCore as _;
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Replays one journal entry.
    pub fn apply_entry(&mut self, entry: &JournalEntry) {
        match entry {
            JournalEntry::Intent { address, op } => {
                self.pending.insert(address.clone(), op.clone());
            }
            JournalEntry::Done { address, resource } => {
                self.pending.remove(address);
                match resource {
                    Some(resource) => {
                        self.resources
                            .insert(address.clone(), resource.clone());
                    }
                    None => {
                        self.resources.remove(address);
                    }
                }
            }
            JournalEntry::Abandoned { address } => {
                self.pending.remove(address);
            }
            JournalEntry::Moved { from, to } => {
                if let Some(resource) = self.resources.remove(from) {
                    self.resources.insert(to.clone(), resource);
                }
                if let Some(op) = self.pending.remove(from) {
                    self.pending.insert(to.clone(), op);
                }
            }
        }
    }

    /// The SHA-256 of the document's canonical JSON, as hex: what a saved
    /// plan records to notice that the state changed since.
    pub fn hash(&self) -> String {
        use sha2::Digest as _;
        let bytes = serde_json::to_vec(self).expect("a state serialises");
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
