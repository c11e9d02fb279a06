//! Typed inputs and outputs.
//!
//! A resource's attribute accessor returns an [`Output<T>`]: a reference
//! whose type says what the attribute holds. An argument takes an
//! [`Input<T>`], which a literal of the right type or an output of the same
//! type converts into. Passing an output as an input is what creates an edge
//! in the dependency graph, so the compiler checks both the types and the
//! wiring:
//!
//! ```compile_fail
//! use onioncloud_core::{Input, Output};
//! fn wants_string(_: impl Into<Input<String>>) {}
//! let port: Output<i64> = Output::unknown();
//! wants_string(port); // a number where a string is expected
//! ```
//!
//! A secret is its own type, [`Secret`]; a plain string argument does not
//! take one:
//!
//! ```compile_fail
//! use onioncloud_core::{Input, SecretRef};
//! fn wants_string(_: impl Into<Input<String>>) {}
//! wants_string(SecretRef::aws("prod/db")); // a secret where text goes
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use crate::address::Address;
use crate::value::{AttrRef, SecretRef, Value};

/// The type of a value that is a secret. Its value is never known to
/// OnionCloud: only a [`SecretRef`] converts into `Input<Secret>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {}

/// A value of type `T` known after apply: an attribute of a resource, a
/// variable, or text built from them.
pub struct Output<T> {
    value: Value,
    _type: PhantomData<fn() -> T>,
}

impl<T> Output<T> {
    /// The output of attribute `attr` of the resource at `address`.
    pub fn attr(address: &Address, attr: impl Into<String>) -> Self {
        Self::from_value(Value::Ref(AttrRef {
            address: address.clone(),
            attr: attr.into(),
        }))
    }

    /// An output whose value is not known until apply and is not tied to
    /// any resource.
    pub fn unknown() -> Self {
        Self::from_value(Value::Unknown)
    }

    /// Wraps a value; the caller vouches for its type.
    pub fn from_value(value: Value) -> Self {
        Self {
            value,
            _type: PhantomData,
        }
    }

    /// The untyped value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Converts into the untyped value.
    pub fn into_value(self) -> Value {
        self.value
    }
}

impl<T> Output<Vec<T>> {
    /// The element at `index` of a list output.
    pub fn index(&self, index: usize) -> Output<T> {
        match &self.value {
            Value::Ref(r) => Output::from_value(Value::Ref(AttrRef {
                address: r.address.clone(),
                attr: format!("{}[{index}]", r.attr),
            })),
            _ => Output::from_value(Value::Expr(format!(
                "element({}, {index})",
                crate::terraform::expression(&self.value)
            ))),
        }
    }
}

impl<T> Clone for Output<T> {
    fn clone(&self) -> Self {
        Self::from_value(self.value.clone())
    }
}

impl<T> fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Output").field(&self.value).finish()
    }
}

impl<T> PartialEq for Output<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// A value accepted where an argument of type `T` is expected: a literal of
/// that type, or an [`Output<T>`].
pub struct Input<T> {
    value: Value,
    _type: PhantomData<fn() -> T>,
}

impl<T> Input<T> {
    /// Wraps a value; the caller vouches for its type. This bypasses the
    /// type check: wrapping a plain string as an `Input<Secret>` puts the
    /// text where a secret reference belongs, so use it only for values
    /// built from references.
    pub fn from_value(value: Value) -> Self {
        Self {
            value,
            _type: PhantomData,
        }
    }

    /// Converts into the untyped value.
    pub fn into_value(self) -> Value {
        self.value
    }
}

impl<T> fmt::Debug for Input<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Input").field(&self.value).finish()
    }
}

impl<T> Clone for Input<T> {
    fn clone(&self) -> Self {
        Self::from_value(self.value.clone())
    }
}

impl<T> From<Output<T>> for Input<T> {
    fn from(output: Output<T>) -> Self {
        Self::from_value(output.value)
    }
}

impl<T> From<&Output<T>> for Input<T> {
    fn from(output: &Output<T>) -> Self {
        Self::from_value(output.value.clone())
    }
}

impl From<&str> for Input<String> {
    fn from(text: &str) -> Self {
        Self::from_value(Value::from(text))
    }
}

impl From<String> for Input<String> {
    fn from(text: String) -> Self {
        Self::from_value(Value::String(text))
    }
}

impl From<&String> for Input<String> {
    fn from(text: &String) -> Self {
        Self::from_value(Value::String(text.clone()))
    }
}

impl From<bool> for Input<bool> {
    fn from(b: bool) -> Self {
        Self::from_value(Value::Bool(b))
    }
}

macro_rules! integer_inputs {
    ($($int:ty),*) => {$(
        impl From<$int> for Input<i64> {
            fn from(n: $int) -> Self {
                Self::from_value(Value::Number(n.into()))
            }
        }
    )*};
}

integer_inputs!(i64, i32, u32, u16, u8, usize);

impl From<f64> for Input<f64> {
    fn from(n: f64) -> Self {
        Self::from_value(
            serde_json::Number::from_f64(n)
                .map_or_else(|| Value::NonFinite(n.to_string()), Value::Number),
        )
    }
}

impl From<i64> for Input<f64> {
    fn from(n: i64) -> Self {
        Self::from_value(Value::Number(n.into()))
    }
}

impl From<SecretRef> for Input<Secret> {
    fn from(secret: SecretRef) -> Self {
        Self::from_value(Value::Secret(secret))
    }
}

impl From<&SecretRef> for Input<Secret> {
    fn from(secret: &SecretRef) -> Self {
        Self::from_value(Value::Secret(secret.clone()))
    }
}

impl<T, I: Into<Input<T>>> From<Vec<I>> for Input<Vec<T>> {
    fn from(items: Vec<I>) -> Self {
        Self::from_value(Value::List(
            items.into_iter().map(|i| i.into().value).collect(),
        ))
    }
}

impl<T, I: Into<Input<T>>, const N: usize> From<[I; N]> for Input<Vec<T>> {
    fn from(items: [I; N]) -> Self {
        Self::from_value(Value::List(
            items.into_iter().map(|i| i.into().value).collect(),
        ))
    }
}

impl<T, K: Into<String>, I: Into<Input<T>>> From<BTreeMap<K, I>>
    for Input<BTreeMap<String, T>>
{
    fn from(items: BTreeMap<K, I>) -> Self {
        Self::from_value(Value::Map(
            items
                .into_iter()
                .map(|(k, v)| (k.into(), v.into().value))
                .collect(),
        ))
    }
}

impl<T, K: Into<String>, I: Into<Input<T>>, const N: usize> From<[(K, I); N]>
    for Input<BTreeMap<String, T>>
{
    fn from(items: [(K, I); N]) -> Self {
        Self::from_value(Value::Map(
            items
                .into_iter()
                .map(|(k, v)| (k.into(), v.into().value))
                .collect(),
        ))
    }
}

/// Joins string inputs into one string output. Parts of different types
/// are converted with `into()`:
///
/// ```
/// use onioncloud_core::{Address, Input, Output, concat};
///
/// let db = Address::managed("aws_db_instance", "orders");
/// let endpoint: Output<String> = Output::attr(&db, "endpoint");
/// let url = concat::<Input<String>>([
///     "postgres://".into(),
///     endpoint.into(),
///     "/orders".into(),
/// ]);
/// ```
pub fn concat<I>(parts: impl IntoIterator<Item = I>) -> Output<String>
where
    I: Into<Input<String>>,
{
    Output::from_value(Value::Concat(
        parts.into_iter().map(|p| p.into().value).collect(),
    ))
}

/// A raw Terraform expression, written without `${}`, typed by the caller.
///
/// This is an explicit escape hatch: OnionCloud does not parse it, so any
/// dependency it implies must be added with `depends_on`.
pub fn raw_expression<T>(expression: impl Into<String>) -> Output<T> {
    Output::from_value(Value::Expr(expression.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn takes_string(input: impl Into<Input<String>>) -> Value {
        input.into().into_value()
    }

    #[test]
    fn outputs_convert_to_inputs_of_their_type() {
        let vpc = Address::managed("aws_vpc", "main");
        let id: Output<String> = Output::attr(&vpc, "id");
        assert_eq!(
            takes_string(&id),
            Value::Ref(AttrRef {
                address: vpc,
                attr: "id".into()
            })
        );
        assert_eq!(takes_string("x"), Value::from("x"));
    }

    #[test]
    fn list_outputs_index_into_elements() {
        let vm = Address::managed("google_compute_instance", "a");
        let ips: Output<Vec<String>> = Output::attr(&vm, "ips");
        assert_eq!(
            ips.index(1).value(),
            &Value::Ref(AttrRef {
                address: vm,
                attr: "ips[1]".into()
            })
        );
    }
}
