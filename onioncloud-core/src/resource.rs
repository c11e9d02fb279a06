//! Resources: the `Resource` trait, handles, the generic resource and the
//! macros that declare typed resources and nested blocks.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::address::{Address, ProviderName, ResourceType};
use crate::typed::{Input, Output};
use crate::value::Value;

/// The arguments of a resource or nested block, keyed by the provider's
/// attribute names, kept sorted.
pub type Attributes = BTreeMap<String, Value>;

/// A resource or data source type, typed or generic.
///
/// Implementations are serialised with `typetag`, so a compiled
/// environment, and later state and plans, round-trip through JSON. Typed
/// resources are declared with [`resource!`](crate::resource!) rather than
/// implemented by hand.
#[typetag::serde]
pub trait Resource: fmt::Debug + Send + Sync + ResourceClone {
    /// The Terraform type name, such as `aws_vpc`.
    fn resource_type(&self) -> ResourceType;

    /// The arguments, with the provider's attribute names.
    fn attributes(&self) -> &Attributes;

    /// The provider that manages this type; by default the type name's
    /// prefix, as in Terraform.
    fn provider_name(&self) -> ProviderName {
        self.resource_type().provider_name()
    }
}

/// Cloning for boxed resources.
pub trait ResourceClone {
    /// Clones into a new box.
    fn clone_box(&self) -> Box<dyn Resource>;
}

impl<T: Resource + Clone + 'static> ResourceClone for T {
    fn clone_box(&self) -> Box<dyn Resource> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Resource> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A resource type with typed attribute accessors.
pub trait TypedResource: Resource + Sized + 'static {
    /// The accessors for the resource's attributes, reached through a
    /// [`Handle`].
    type Outputs: From<Address>;
}

/// What declaring a resource returns: its address, and through `Deref` its
/// typed attribute accessors (`vpc.id()`).
pub struct Handle<R: TypedResource> {
    address: Address,
    outputs: R::Outputs,
}

impl<R: TypedResource> Handle<R> {
    /// A handle for the resource at `address`.
    pub fn new(address: Address) -> Self {
        Self {
            outputs: R::Outputs::from(address.clone()),
            address,
        }
    }

    /// The resource's address.
    pub fn resource_address(&self) -> &Address {
        &self.address
    }

    /// Any attribute by name, for attributes the typed accessors lack.
    pub fn attr<T>(&self, name: &str) -> Output<T> {
        Output::attr(&self.address, name)
    }
}

impl<R: TypedResource> Clone for Handle<R> {
    fn clone(&self) -> Self {
        Self::new(self.address.clone())
    }
}

impl<R: TypedResource> fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({})", self.address)
    }
}

impl<R: TypedResource> Deref for Handle<R> {
    type Target = R::Outputs;

    fn deref(&self) -> &R::Outputs {
        &self.outputs
    }
}

/// Anything that names a resource: handles and addresses. Used by
/// `depends_on` and by configurations attached to machines.
pub trait HasAddress {
    /// The address.
    fn resource_address(&self) -> &Address;
}

impl<R: TypedResource> HasAddress for Handle<R> {
    fn resource_address(&self) -> &Address {
        &self.address
    }
}

impl HasAddress for Address {
    fn resource_address(&self) -> &Address {
        self
    }
}

/// Any Terraform resource or data source type with an untyped attribute
/// map, for what has no typed resource yet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenericResource {
    #[serde(rename = "type")]
    kind: ResourceType,
    attributes: Attributes,
}

impl GenericResource {
    /// A resource of the given Terraform type, with no arguments yet.
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: ResourceType::new(kind),
            attributes: Attributes::new(),
        }
    }

    /// Sets an argument.
    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.attributes.insert(name.to_owned(), value.into());
        self
    }

    /// Sets an argument from a typed input, such as another resource's
    /// output.
    pub fn input<T>(mut self, name: &str, value: impl Into<Input<T>>) -> Self {
        self.attributes
            .insert(name.to_owned(), value.into().into_value());
        self
    }
}

#[typetag::serde(name = "generic")]
impl Resource for GenericResource {
    fn resource_type(&self) -> ResourceType {
        self.kind.clone()
    }

    fn attributes(&self) -> &Attributes {
        &self.attributes
    }
}

/// The accessors of a generic resource: any attribute, by name.
#[derive(Clone, Debug)]
pub struct GenericOutputs {
    address: Address,
}

impl From<Address> for GenericOutputs {
    fn from(address: Address) -> Self {
        Self { address }
    }
}

impl GenericOutputs {
    /// The `id` attribute, which every Terraform resource has.
    pub fn id(&self) -> Output<String> {
        Output::attr(&self.address, "id")
    }
}

impl TypedResource for GenericResource {
    type Outputs = GenericOutputs;
}

/// The Terraform attribute name for a Rust field name: raw identifiers lose
/// their `r#`.
#[doc(hidden)]
pub fn attribute_name(field: &str) -> &str {
    field.strip_prefix("r#").unwrap_or(field)
}

/// Declares a typed nested block: a struct holding attributes, a
/// constructor taking the required arguments, and a setter per optional
/// argument.
///
/// ```
/// onioncloud_core::block! {
///     /// An ingress rule.
///     pub struct Ingress {
///         required {
///             /// First port.
///             from_port: i64,
///             /// Last port.
///             to_port: i64,
///         }
///         optional {
///             /// CIDR blocks allowed in.
///             cidr_blocks: Vec<String>,
///         }
///         blocks {}
///     }
/// }
/// let rule = Ingress::new(443, 443).cidr_blocks(["10.0.0.0/8"]);
/// ```
#[macro_export]
macro_rules! block {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            required { $( $(#[$rmeta:meta])* $rfield:ident : $rty:ty ),* $(,)? }
            optional { $( $(#[$ometa:meta])* $ofield:ident : $oty:ty ),* $(,)? }
            blocks { $( $(#[$bmeta:meta])* $bfield:ident : $bty:ty ),* $(,)? }
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        $vis struct $name {
            attributes: $crate::Attributes,
        }

        impl $name {
            /// Creates the block from its required arguments.
            #[allow(clippy::new_without_default, clippy::too_many_arguments)]
            pub fn new(
                $( $rfield: impl Into<$crate::Input<$rty>> ),*
            ) -> Self {
                #[allow(unused_mut)]
                let mut attributes = $crate::Attributes::new();
                $(
                    attributes.insert(
                        $crate::resource::attribute_name(
                            stringify!($rfield),
                        ).to_owned(),
                        $rfield.into().into_value(),
                    );
                )*
                Self { attributes }
            }

            $(
                $(#[$ometa])*
                pub fn $ofield(
                    mut self,
                    value: impl Into<$crate::Input<$oty>>,
                ) -> Self {
                    self.attributes.insert(
                        $crate::resource::attribute_name(
                            stringify!($ofield),
                        ).to_owned(),
                        value.into().into_value(),
                    );
                    self
                }
            )*

            $(
                $(#[$bmeta])*
                ///
                /// Repeatable: each call adds one more block.
                pub fn $bfield(mut self, block: $bty) -> Self {
                    $crate::resource::push_block(
                        &mut self.attributes,
                        stringify!($bfield),
                        block.into(),
                    );
                    self
                }
            )*

            /// Sets any argument by name, for arguments without a typed
            /// setter.
            pub fn set(
                mut self,
                name: &str,
                value: impl Into<$crate::Value>,
            ) -> Self {
                self.attributes.insert(name.to_owned(), value.into());
                self
            }
        }

        impl From<$name> for $crate::Value {
            fn from(block: $name) -> $crate::Value {
                $crate::Value::Map(block.attributes)
            }
        }
    };
}

/// Declares a typed resource or data source: the struct with its
/// constructor and setters (as [`block!`](crate::block!) does), its
/// `typetag` registration under the Terraform type name, and an outputs
/// type with one typed accessor per attribute.
///
/// ```
/// onioncloud_core::resource! {
///     /// A VPC.
///     pub struct Vpc("aws_vpc") -> VpcOutputs {
///         required {
///             /// The IPv4 CIDR block.
///             cidr_block: String,
///         }
///         optional {}
///         blocks {}
///         outputs {
///             /// The VPC's id.
///             id: String,
///         }
///     }
/// }
/// let mut env = onioncloud_core::Env::new("doc");
/// let vpc = env.add("main", Vpc::new("10.0.0.0/16"));
/// let id: onioncloud_core::Output<String> = vpc.id();
/// ```
#[macro_export]
macro_rules! resource {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($tf_type:literal) -> $outputs:ident {
            required { $( $(#[$rmeta:meta])* $rfield:ident : $rty:ty ),* $(,)? }
            optional { $( $(#[$ometa:meta])* $ofield:ident : $oty:ty ),* $(,)? }
            blocks { $( $(#[$bmeta:meta])* $bfield:ident : $bty:ty ),* $(,)? }
            outputs { $( $(#[$xmeta:meta])* $xfield:ident : $xty:ty ),* $(,)? }
        }
    ) => {
        $crate::block! {
            $(#[$meta])*
            #[derive(::serde::Serialize, ::serde::Deserialize)]
            $vis struct $name {
                required { $( $(#[$rmeta])* $rfield : $rty ),* }
                optional { $( $(#[$ometa])* $ofield : $oty ),* }
                blocks { $( $(#[$bmeta])* $bfield : $bty ),* }
            }
        }

        impl $name {
            /// The Terraform type name.
            pub const TYPE: &'static str = $tf_type;
        }

        #[::typetag::serde(name = $tf_type)]
        impl $crate::Resource for $name {
            fn resource_type(&self) -> $crate::ResourceType {
                $crate::ResourceType::new($tf_type)
            }

            fn attributes(&self) -> &$crate::Attributes {
                &self.attributes
            }
        }

        #[doc = concat!("The typed attributes of `", $tf_type, "`.")]
        #[derive(Clone, Debug)]
        $vis struct $outputs {
            address: $crate::Address,
        }

        impl From<$crate::Address> for $outputs {
            fn from(address: $crate::Address) -> Self {
                Self { address }
            }
        }

        impl $outputs {
            $(
                $(#[$xmeta])*
                pub fn $xfield(&self) -> $crate::Output<$xty> {
                    $crate::Output::attr(
                        &self.address,
                        $crate::resource::attribute_name(stringify!($xfield)),
                    )
                }
            )*
        }

        impl $crate::TypedResource for $name {
            type Outputs = $outputs;
        }
    };
}

/// Appends a block to a repeated nested block argument.
#[doc(hidden)]
pub fn push_block(attributes: &mut Attributes, field: &str, block: Value) {
    let entry = attributes
        .entry(attribute_name(field).to_owned())
        .or_insert_with(|| Value::List(Vec::new()));
    match entry {
        Value::List(items) => items.push(block),
        other => *other = Value::List(vec![block]),
    }
}
