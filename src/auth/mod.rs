//! OAuth2 clients and shopper sessions: typed scopes, identities, and the generation and
//! checking of secrets and tokens. Pure: the service stores what this module produces.

pub mod credentials;
pub mod identity;
pub mod scopes;

pub use identity::Identity;
pub use scopes::{Permission, Scope, ScopeSet};
