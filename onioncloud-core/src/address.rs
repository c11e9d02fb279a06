//! Typed identities: resource types, names, addresses and provider
//! references.
//!
//! Names are collected as the user wrote them and checked when the
//! environment is compiled, so that every bad name is reported together with
//! the place it was declared.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Terraform resource or data source type name, such as `aws_vpc`.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct ResourceType(String);

impl ResourceType {
    /// Wraps a type name; it is checked at compile time.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The type name as Terraform spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The local provider name: the part before the first underscore
    /// (`aws` for `aws_vpc`), which is how Terraform picks a provider for a
    /// resource that names none.
    pub fn provider_name(&self) -> ProviderName {
        let head = self.0.split('_').next().unwrap_or(&self.0);
        ProviderName::new(head)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name a user gives a resource, data source, variable or output.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Wraps a name; [`Name::check`] tells whether Terraform accepts it.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks Terraform's rule for labels: a letter or an underscore first,
    /// then letters, digits, underscores and dashes.
    ///
    /// # Errors
    ///
    /// Returns a sentence saying what is wrong with the name.
    pub fn check(&self) -> Result<(), String> {
        let mut chars = self.0.chars();
        match chars.next() {
            None => return Err("the name is empty".to_owned()),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
            Some(c) => {
                return Err(format!(
                    "a name must start with a letter or an underscore, \
                     not {c:?}"
                ));
            }
        }
        match chars.find(|c| !is_label_char(*c)) {
            Some(c) => Err(format!(
                "{c:?} is not allowed in a name (letters, digits, \
                 underscores and dashes are)"
            )),
            None => Ok(()),
        }
    }
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Turns any text into a valid Terraform label, replacing what is not
/// allowed by underscores.
pub fn sanitize_label(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if is_label_char(c) { c } else { '_' })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether an address names a managed resource or a data source.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A resource OnionCloud creates and owns.
    Managed,
    /// A data source, read but never changed.
    Data,
}

/// The address of a resource or data source: `aws_vpc.main` or
/// `data.aws_ami.ubuntu`.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Address {
    /// Managed resource or data source.
    pub mode: Mode,
    /// The Terraform type.
    #[serde(rename = "type")]
    pub kind: ResourceType,
    /// The user's name for it.
    pub name: Name,
}

impl Address {
    /// The address of a managed resource.
    pub fn managed(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            mode: Mode::Managed,
            kind: ResourceType::new(kind),
            name: Name::new(name),
        }
    }

    /// The address of a data source.
    pub fn data(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            mode: Mode::Data,
            kind: ResourceType::new(kind),
            name: Name::new(name),
        }
    }

    /// Parses `type.name` or `data.type.name`.
    ///
    /// # Errors
    ///
    /// Returns a sentence naming what is wrong with the text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('.').collect();
        let address = match parts.as_slice() {
            ["data", kind, name] => Self::data(*kind, *name),
            [kind, name] => Self::managed(*kind, *name),
            _ => {
                return Err(format!(
                    "{text:?} is not an address: write type.name or \
                     data.type.name"
                ));
            }
        };
        address.name.check()?;
        Name::new(address.kind.as_str()).check()?;
        Ok(address)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.kind, self.name)
    }
}

/// A provider's local name, such as `aws`, `google` or `proxmox`.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct ProviderName(String);

impl ProviderName {
    /// Wraps a provider name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One configuration of a provider: its name and, for all but the default
/// configuration, an alias (`aws.west`).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct ProviderRef {
    /// The provider.
    pub name: ProviderName,
    /// The alias; `None` for the default configuration.
    pub alias: Option<Name>,
}

impl fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.alias {
            Some(alias) => write!(f, "{}.{}", self.name, alias),
            None => write!(f, "{}", self.name),
        }
    }
}

/// Where in the user's code something was declared.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SourceLocation {
    /// The source file, as the compiler saw it.
    pub file: String,
    /// The line, from 1.
    pub line: u32,
}

impl SourceLocation {
    /// The location of the caller of the `#[track_caller]` function that
    /// calls this.
    #[track_caller]
    pub fn caller() -> Self {
        let location = std::panic::Location::caller();
        Self {
            file: location.file().to_owned(),
            line: location.line(),
        }
    }
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_terraform_label_rules() {
        assert!(Name::new("web-0").check().is_ok());
        assert!(Name::new("_x9").check().is_ok());
        assert!(Name::new("").check().is_err());
        assert!(Name::new("0web").check().is_err());
        assert!(Name::new("-web").check().is_err());
        let err = Name::new("web.0").check().unwrap_err();
        assert!(err.contains("'.'"), "{err}");
    }

    #[test]
    fn addresses_display_and_parse() {
        let a = Address::data("aws_ami", "ubuntu");
        assert_eq!(a.to_string(), "data.aws_ami.ubuntu");
        assert_eq!(Address::parse("data.aws_ami.ubuntu").unwrap(), a);
        assert_eq!(
            Address::parse("aws_vpc.main").unwrap(),
            Address::managed("aws_vpc", "main")
        );
        assert!(Address::parse("aws_vpc").is_err());
        assert!(Address::parse("aws_vpc.9").is_err());
    }

    #[test]
    fn sanitized_labels_are_valid() {
        for text in ["prod/orders-db", "9lives", "", "a b"] {
            let label = sanitize_label(text);
            assert!(Name::new(label.clone()).check().is_ok(), "{label}");
        }
    }
}
