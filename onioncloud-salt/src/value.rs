//! [`SaltValue`], the data carried by state arguments and pillar.

use std::collections::BTreeMap;

/// Errors converting foreign data into a [`SaltValue`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// A JSON number does not fit a 64-bit signed integer or a float.
    #[error("json number {number} at {path} does not fit a salt value")]
    NumberOutOfRange {
        /// The number as JSON text.
        number: String,
        /// Where in the document the number was, like `$.users[2].uid`.
        path: String,
    },
}

/// A value as Salt sees it after loading YAML: the argument of a state or a
/// pillar entry.
///
/// Maps are ordered by key so rendered output is deterministic. Strings are
/// always emitted so that Salt reads them back as the very same string, even
/// when they look like a number, a boolean or a date to YAML 1.1.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum SaltValue {
    /// YAML `null`, Python `None`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// A floating point number; NaN and infinities are allowed.
    Float(f64),
    /// A string, emitted quoted whenever YAML could misread it.
    String(String),
    /// An ordered list.
    List(Vec<SaltValue>),
    /// A map with string keys, in key order.
    Map(BTreeMap<String, SaltValue>),
}

impl SaltValue {
    /// Returns the string if this value is a [`SaltValue::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            SaltValue::String(text) => Some(text),
            _ => None,
        }
    }

    /// Converts JSON (as returned by `salt-call --out=json`) into a value.
    ///
    /// Fails only for integers beyond the range of `i64`, which Salt can hold
    /// but this type cannot represent exactly.
    pub fn from_json(json: &serde_json::Value) -> Result<Self, ValueError> {
        from_json_at(json, "$")
    }

    /// Converts the value into JSON. NaN and infinities, which JSON cannot
    /// carry, become `null`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            SaltValue::Null => Value::Null,
            SaltValue::Bool(flag) => Value::Bool(*flag),
            SaltValue::Int(number) => Value::from(*number),
            SaltValue::Float(number) => serde_json::Number::from_f64(*number)
                .map_or(Value::Null, Value::Number),
            SaltValue::String(text) => Value::String(text.clone()),
            SaltValue::List(items) => {
                Value::Array(items.iter().map(SaltValue::to_json).collect())
            }
            SaltValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| (key.clone(), value.to_json()))
                    .collect(),
            ),
        }
    }
}

fn from_json_at(
    json: &serde_json::Value,
    path: &str,
) -> Result<SaltValue, ValueError> {
    use serde_json::Value;
    Ok(match json {
        Value::Null => SaltValue::Null,
        Value::Bool(flag) => SaltValue::Bool(*flag),
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                SaltValue::Int(integer)
            } else if number.is_f64() {
                match number.as_f64() {
                    Some(float) => SaltValue::Float(float),
                    None => return Err(out_of_range(number, path)),
                }
            } else {
                return Err(out_of_range(number, path));
            }
        }
        Value::String(text) => SaltValue::String(text.clone()),
        Value::Array(items) => SaltValue::List(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    from_json_at(item, &format!("{path}[{index}]"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(entries) => SaltValue::Map(
            entries
                .iter()
                .map(|(key, value)| {
                    let value = from_json_at(value, &format!("{path}.{key}"))?;
                    Ok((key.clone(), value))
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn out_of_range(number: &serde_json::Number, path: &str) -> ValueError {
    ValueError::NumberOutOfRange {
        number: number.to_string(),
        path: path.to_owned(),
    }
}

impl From<bool> for SaltValue {
    fn from(flag: bool) -> Self {
        SaltValue::Bool(flag)
    }
}

macro_rules! from_integer {
    ($($integer:ty),*) => {
        $(
            impl From<$integer> for SaltValue {
                fn from(number: $integer) -> Self {
                    SaltValue::Int(i64::from(number))
                }
            }
        )*
    };
}

from_integer!(i8, i16, i32, i64, u8, u16, u32);

impl From<f64> for SaltValue {
    fn from(number: f64) -> Self {
        SaltValue::Float(number)
    }
}

impl From<f32> for SaltValue {
    fn from(number: f32) -> Self {
        SaltValue::Float(f64::from(number))
    }
}

impl From<&str> for SaltValue {
    fn from(text: &str) -> Self {
        SaltValue::String(text.to_owned())
    }
}

impl From<String> for SaltValue {
    fn from(text: String) -> Self {
        SaltValue::String(text)
    }
}

impl From<&String> for SaltValue {
    fn from(text: &String) -> Self {
        SaltValue::String(text.clone())
    }
}

impl<T: Into<SaltValue>> From<Option<T>> for SaltValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(SaltValue::Null, Into::into)
    }
}

impl<T: Into<SaltValue>> From<Vec<T>> for SaltValue {
    fn from(items: Vec<T>) -> Self {
        SaltValue::List(items.into_iter().map(Into::into).collect())
    }
}

impl<K: Into<String>, V: Into<SaltValue>> From<BTreeMap<K, V>> for SaltValue {
    fn from(entries: BTreeMap<K, V>) -> Self {
        entries.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<SaltValue>> FromIterator<(K, V)> for SaltValue {
    /// Collects key and value pairs into a [`SaltValue::Map`]; a later
    /// duplicate key replaces an earlier one.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        SaltValue::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_every_kind() {
        let value: SaltValue = [
            ("null", SaltValue::Null),
            ("flag", true.into()),
            ("count", (-3).into()),
            ("ratio", 0.5.into()),
            ("text", "0644".into()),
            ("list", vec!["a", "b"].into()),
        ]
        .into_iter()
        .collect();
        let back = SaltValue::from_json(&value.to_json());
        assert_eq!(back, Ok(value));
    }

    #[test]
    fn json_integer_beyond_i64_names_its_path() {
        let json = serde_json::json!({"users": [{"uid": u64::MAX}]});
        let error = SaltValue::from_json(&json).unwrap_err();
        assert_eq!(
            error.to_string(),
            "json number 18446744073709551615 at $.users[0].uid does not fit \
             a salt value"
        );
    }

    #[test]
    fn option_none_is_null() {
        assert_eq!(SaltValue::from(None::<i32>), SaltValue::Null);
        assert_eq!(SaltValue::from(Some("x")).as_str(), Some("x"));
    }
}
