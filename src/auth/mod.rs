//! OAuth2 client credentials: typed scopes, and the generation and checking of secrets and
//! tokens. Pure: the service stores what this module produces.

pub mod credentials;
pub mod scopes;

pub use scopes::{Permission, Scope, ScopeSet};
