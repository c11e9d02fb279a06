//! Sensitive values: the values of sensitive variables, held so that they
//! cannot be written by mistake.
//!
//! A secret kept in a store is never held at all: OnionCloud knows only
//! its [`SecretRef`](crate::SecretRef). A sensitive variable's value,
//! given with `--var` or as a default, has to be held until it reaches the
//! cloud. [`SensitiveValue`] holds it in a
//! [`secrecy::SecretString`]: it has no `Display` and no `Serialize`, and
//! its `Debug` is redacted, so writing one into a plan file, a state, a
//! log line or a panic message does not compile (or shows nothing).
//! [`SensitiveValue::expose`] is the one way to the value, for the
//! provider call that needs it.
//!
//! Where a value derived from a sensitive one must be recorded (the state,
//! a plan), [`redact`] turns it into a marker holding a SHA-256 hash
//! salted for the environment, so that a change of the value is still
//! seen:
//!
//! ```
//! use onioncloud_core::sensitive::{
//!     SensitiveValue, is_redacted, matches_redacted, redact,
//! };
//! use serde_json::json;
//!
//! let password = SensitiveValue::new(json!("hunter2"));
//! assert_eq!(format!("{password:?}"), "SensitiveValue(REDACTED)");
//! // Salted with the state's lineage, random for each environment.
//! let marker = password.redacted("9f1c7a0e-lineage");
//! assert!(is_redacted(&marker));
//! assert!(!marker.to_string().contains("hunter2"));
//! assert!(matches_redacted(&json!("hunter2"), &marker));
//! assert!(!matches_redacted(&json!("hunter3"), &marker));
//! assert_ne!(marker, redact(&json!("hunter2"), "another-lineage"));
//! ```

use std::fmt;

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value as Json;

/// The key of the marker that stands for a redacted value:
/// `{"sensitive_sha256": "<hex>"}`.
pub const REDACTED_KEY: &str = "sensitive_sha256";

/// The key under which a provider receives a sensitive value:
/// `{"sensitive_value": <value>}`. A provider uses the value and never
/// records it: the simulated cloud keeps only [`redact`]'s marker, as a
/// cloud keeps a write-only argument.
pub const WRAPPED_KEY: &str = "sensitive_value";

/// The key of a marker's salt: `{"sensitive_sha256": "<hex>", "salt":
/// "<salt>"}`.
pub const SALT_KEY: &str = "salt";

/// The salt of markers made before markers carried their own.
const LEGACY_SALT: &str = "onioncloud-sensitive-value/1";

/// The value of a sensitive variable, in memory only.
///
/// It has no `Display` and no `Serialize`; `Debug` prints
/// `SensitiveValue(REDACTED)`. The value is wiped from memory when it is
/// dropped.
#[derive(Clone)]
pub struct SensitiveValue(SecretString);

impl SensitiveValue {
    /// Holds `value`.
    pub fn new(value: Json) -> Self {
        Self(SecretString::from(value.to_string()))
    }

    /// The value, for the one place that must use it (a provider call).
    /// Never write what this returns anywhere.
    pub fn expose(&self) -> Json {
        // The text was written by `new` from a JSON value.
        serde_json::from_str(self.0.expose_secret()).unwrap_or(Json::Null)
    }

    /// The marker that stands for this value where one is recorded,
    /// salted with `salt`.
    pub fn redacted(&self, salt: &str) -> Json {
        redact(&self.expose(), salt)
    }
}

impl fmt::Debug for SensitiveValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SensitiveValue(REDACTED)")
    }
}

impl PartialEq for SensitiveValue {
    fn eq(&self, other: &Self) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl From<Json> for SensitiveValue {
    fn from(value: Json) -> Self {
        Self::new(value)
    }
}

/// The marker that stands for `value`: `{"sensitive_sha256": "<hex>",
/// "salt": salt}`, a SHA-256 of the salt and the value's canonical JSON.
/// A marker is returned as it is.
///
/// The engine salts with the state's lineage, random for each
/// environment, so that no table of hashes serves two environments; the
/// salt travels in the marker, so that a value can be compared with a
/// marker anywhere. A salt cannot make a low-entropy value safe from
/// guesses by whoever reads a state file, which is why state files are
/// private and real secrets belong in a secret store.
pub fn redact(value: &Json, salt: &str) -> Json {
    let value = unwrap(value);
    if is_redacted(value) {
        return value.clone();
    }
    serde_json::json!({ REDACTED_KEY: digest(value, salt), SALT_KEY: salt })
}

fn digest(value: &Json, salt: &str) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b"\n");
    hasher.update(value.to_string().as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `value` is a marker made by [`redact`].
pub fn is_redacted(value: &Json) -> bool {
    value.as_object().is_some_and(|map| {
        map.get(REDACTED_KEY).is_some_and(Json::is_string)
            && match map.len() {
                1 => true,
                2 => map.get(SALT_KEY).is_some_and(Json::is_string),
                _ => false,
            }
    })
}

/// `value` as a provider receives it when it is sensitive:
/// `{"sensitive_value": value}`.
pub fn wrap(value: Json) -> Json {
    serde_json::json!({ WRAPPED_KEY: value })
}

/// Whether `value` is wrapped by [`wrap`].
pub fn is_wrapped(value: &Json) -> bool {
    value
        .as_object()
        .is_some_and(|map| map.len() == 1 && map.contains_key(WRAPPED_KEY))
}

/// The value inside a [`wrap`], or `value` itself.
pub fn unwrap(value: &Json) -> &Json {
    match value.as_object() {
        Some(map) if map.len() == 1 => map.get(WRAPPED_KEY).unwrap_or(value),
        _ => value,
    }
}

/// Whether a desired value matches a recorded one that may be a marker:
/// equal markers, or a value whose marker is the recorded one.
pub fn matches_redacted(desired: &Json, recorded: &Json) -> bool {
    if !is_redacted(recorded) {
        return false;
    }
    let desired = unwrap(desired);
    if is_redacted(desired) {
        return desired == recorded;
    }
    let salt = recorded
        .get(SALT_KEY)
        .and_then(Json::as_str)
        .unwrap_or(LEGACY_SALT);
    recorded.get(REDACTED_KEY).and_then(Json::as_str)
        == Some(digest(desired, salt).as_str())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn markers_hide_the_value_and_see_its_changes() {
        let marker = redact(&json!("canary-1"), "lineage-a");
        assert!(is_redacted(&marker));
        assert!(!marker.to_string().contains("canary-1"));
        assert!(matches_redacted(&json!("canary-1"), &marker));
        assert!(!matches_redacted(&json!("canary-2"), &marker));
        // A wrapped value and a marker give the same marker.
        assert_eq!(redact(&wrap(json!("canary-1")), "lineage-a"), marker);
        assert_eq!(redact(&marker, "lineage-b"), marker);
        assert!(matches_redacted(&wrap(json!("canary-1")), &marker));
    }

    #[test]
    fn each_salt_gives_other_markers() {
        let a = redact(&json!("hunter2"), "lineage-a");
        let b = redact(&json!("hunter2"), "lineage-b");
        assert_ne!(a[REDACTED_KEY], b[REDACTED_KEY]);
        assert_eq!(a[SALT_KEY], "lineage-a");
        // Both still recognise the value.
        assert!(matches_redacted(&json!("hunter2"), &a));
        assert!(matches_redacted(&json!("hunter2"), &b));
        // A marker of the old form, without a salt of its own.
        let legacy = json!({ REDACTED_KEY: digest(&json!("x"), LEGACY_SALT) });
        assert!(is_redacted(&legacy));
        assert!(matches_redacted(&json!("x"), &legacy));
    }

    #[test]
    fn debug_shows_nothing() {
        let value = SensitiveValue::new(json!({"token": "canary-3"}));
        let shown = format!("{value:?} {:?}", vec![value.clone()]);
        assert!(!shown.contains("canary-3"), "{shown}");
        assert_eq!(value.expose(), json!({"token": "canary-3"}));
    }
}
