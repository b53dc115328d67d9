//! Update-action enums. commercetools writes an action as `{"action": "name", ...fields}`, which
//! serde reads as an internally tagged enum; but serde buffers such an enum before reading it,
//! so an error inside loses its place (`actions` instead of commercetools' `actions ->
//! customerId`). [`update_actions!`] therefore declares each enum together with an externally
//! tagged twin (`{"name": {...fields}}`) that a request's actions are read through, where every
//! field keeps its path.

use serde::de::DeserializeOwned;

/// An update-action enum declared by [`update_actions!`].
pub trait UpdateAction: Sized {
    /// The externally tagged twin: the same variants and fields, keyed by the action's name.
    type Named: DeserializeOwned;

    fn from_named(named: Self::Named) -> Self;
}

/// Declares `pub enum $name` (read from `{"action": ...}`, camelCase names and fields) and its
/// twin `$named`, with the same variants, fields and attributes. Every variant has named fields.
macro_rules! update_actions {
    (
        $(#[$meta:meta])*
        pub enum $name:ident / $named:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident {
                    $( $(#[$field_meta:meta])* $field:ident : $field_type:ty ),* $(,)?
                }
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, ::serde::Deserialize)]
        #[serde(tag = "action", rename_all = "camelCase", rename_all_fields = "camelCase")]
        pub enum $name {
            $( $(#[$variant_meta])* $variant { $( $(#[$field_meta])* $field: $field_type ),* } ),*
        }

        #[doc = concat!("[`", stringify!($name), "`] keyed by the action's name, see [`crate::domain::update_actions`].")]
        #[derive(Debug, ::serde::Deserialize)]
        #[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
        pub enum $named {
            $( $(#[$variant_meta])* $variant { $( $(#[$field_meta])* $field: $field_type ),* } ),*
        }

        impl $crate::domain::update_actions::UpdateAction for $name {
            type Named = $named;

            fn from_named(named: $named) -> Self {
                match named {
                    $( $named::$variant { $($field),* } => Self::$variant { $($field),* } ),*
                }
            }
        }
    };
}

pub(crate) use update_actions;
