//! Scopes as commercetools writes them: `permission:projectKey`, e.g. `view_payments:demo`.

use crate::domain::common::ResourceKey;
use std::fmt;

/// The permissions this service's endpoints ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    ManageProject,
    ManagePayments,
    ViewPayments,
    ManageTypes,
    ViewTypes,
    ManageStates,
    ViewStates,
    ManageCustomers,
    ViewCustomers,
    ViewMessages,
    ManageApiClients,
    ViewApiClients,
    IntrospectOauthTokens,
    ViewProjectSettings,
    ManageMyPayments,
    CreateAnonymousToken,
}

impl Permission {
    #[cfg(test)]
    const ALL: [Permission; 16] = [
        Self::ManageProject,
        Self::ManagePayments,
        Self::ViewPayments,
        Self::ManageTypes,
        Self::ViewTypes,
        Self::ManageStates,
        Self::ViewStates,
        Self::ManageCustomers,
        Self::ViewCustomers,
        Self::ViewMessages,
        Self::ManageApiClients,
        Self::ViewApiClients,
        Self::IntrospectOauthTokens,
        Self::ViewProjectSettings,
        Self::ManageMyPayments,
        Self::CreateAnonymousToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManageProject => "manage_project",
            Self::ManagePayments => "manage_payments",
            Self::ViewPayments => "view_payments",
            Self::ManageTypes => "manage_types",
            Self::ViewTypes => "view_types",
            Self::ManageStates => "manage_states",
            Self::ViewStates => "view_states",
            Self::ManageCustomers => "manage_customers",
            Self::ViewCustomers => "view_customers",
            Self::ViewMessages => "view_messages",
            Self::ManageApiClients => "manage_api_clients",
            Self::ViewApiClients => "view_api_clients",
            Self::IntrospectOauthTokens => "introspect_oauth_tokens",
            Self::ViewProjectSettings => "view_project_settings",
            Self::ManageMyPayments => "manage_my_payments",
            Self::CreateAnonymousToken => "create_anonymous_token",
        }
    }
}

/// Whether a permission name has commercetools' form: `manage_*` or `view_*` (commercetools
/// adds such scopes regularly, and clients hold lists copied from the Merchant Center), or one
/// of the two others. Names this service does not serve are held and granted, but open nothing.
fn is_permission_name(name: &str) -> bool {
    let resource = name.strip_prefix("manage_").or_else(|| name.strip_prefix("view_"));
    matches!(name, "create_anonymous_token" | "introspect_oauth_tokens")
        || resource.is_some_and(|r| {
            !r.is_empty() && r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') && !r.ends_with('_')
        })
}

/// Whether holding the permission `held` grants `wanted`: manage_project grants everything,
/// each manage permission its view permission, and the legacy `view_orders` (so also
/// `manage_orders`) still grants `view_messages`.
fn grants(held: &str, wanted: &str) -> bool {
    held == wanted
        || held == "manage_project"
        || held.strip_prefix("manage_").is_some_and(|r| wanted.strip_prefix("view_") == Some(r))
        || (wanted == Permission::ViewMessages.as_str() && matches!(held, "view_orders" | "manage_orders"))
}

/// One permission on one project, or on one Store of it (`manage_orders:shop:eu-store`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub permission: String,
    pub project_key: String,
    pub store_key: Option<String>,
}

impl Scope {
    pub fn new(permission: Permission, project_key: &str) -> Self {
        Self {
            permission: permission.as_str().to_owned(),
            project_key: project_key.to_owned(),
            store_key: None,
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("Invalid scope '{text}'.");
        let mut parts = text.split(':');
        let (Some(permission), Some(project_key)) = (parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let store_key = parts.next();
        let valid_store = store_key.is_none_or(|key| ResourceKey::parse(key.to_owned()).is_ok());
        if !is_permission_name(permission)
            || !is_project_key(project_key)
            || !valid_store
            || parts.next().is_some()
        {
            return Err(invalid());
        }
        Ok(Self {
            permission: permission.to_owned(),
            project_key: project_key.to_owned(),
            store_key: store_key.map(str::to_owned),
        })
    }

    /// Whether holding this scope grants `other`: a project-wide scope grants the same
    /// permission on every Store of its project, a Store's scope only that Store's.
    pub fn implies(&self, other: &Scope) -> bool {
        self.project_key == other.project_key
            && (self.store_key.is_none() || self.store_key == other.store_key)
            && grants(&self.permission, &other.permission)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.permission, self.project_key)?;
        match &self.store_key {
            Some(store_key) => write!(f, ":{store_key}"),
            None => Ok(()),
        }
    }
}

/// A project key: 2..36 characters of `[a-z0-9_-]`, as commercetools allows.
pub fn is_project_key(text: &str) -> bool {
    (2..=36).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The scopes of a client or token, in the order they were given; written space-separated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// Parses a space-separated list; empty lists and unknown scopes are refused.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut scopes: Vec<Scope> = Vec::new();
        for word in text.split_whitespace() {
            let scope = Scope::parse(word)?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err("At least one scope is required.".into());
        }
        Ok(Self(scopes))
    }

    pub fn scopes(&self) -> &[Scope] {
        &self.0
    }

    /// Whether one of these scopes grants `permission` on `project_key`.
    pub fn allows(&self, permission: Permission, project_key: &str) -> bool {
        let wanted = Scope::new(permission, project_key);
        self.0.iter().any(|held| held.implies(&wanted))
    }

    /// Whether every scope of `requested` is held or implied by one of these.
    pub fn covers(&self, requested: &ScopeSet) -> bool {
        requested.0.iter().all(|wanted| self.0.iter().any(|held| held.implies(wanted)))
    }

    /// The projects these scopes are about.
    pub fn project_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.0.iter().map(|s| s.project_key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self.0.iter().map(Scope::to_string).collect();
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_their_canonical_form() {
        let scope = Scope::parse("view_payments:demo").unwrap();
        assert_eq!(scope, Scope::new(Permission::ViewPayments, "demo"));
        assert_eq!(scope.to_string(), "view_payments:demo");
        for bad in ["view_payments", "fly:demo", "view_payments:", "view_payments:Demo", "view_payments:a b"]
        {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn manage_implies_view_and_manage_project_implies_all() {
        let scope = |text: &str| Scope::parse(text).unwrap();
        assert!(scope("manage_payments:demo").implies(&scope("view_payments:demo")));
        assert!(!scope("view_payments:demo").implies(&scope("manage_payments:demo")));
        assert!(!scope("manage_payments:demo").implies(&scope("manage_types:demo")));
        assert!(!scope("manage_project_settings:demo").implies(&scope("view_payments:demo")));
        for permission in Permission::ALL {
            assert!(scope("manage_project:demo").implies(&Scope::new(permission, "demo")));
        }
        assert!(scope("manage_project:demo").implies(&scope("view_published_products:demo")));
    }

    #[test]
    fn every_commercetools_scope_is_accepted_and_the_legacy_orders_scope_reads_messages() {
        for text in [
            "view_orders:demo",
            "manage_my_payments:demo",
            "view_published_products:demo",
            "create_anonymous_token:demo",
            "manage_recurrence_policies:demo",
            "manage_orders:demo:eu-store",
        ] {
            assert_eq!(Scope::parse(text).unwrap().to_string(), text);
        }
        for bad in
            ["fly:demo", "view_:demo", "view_Orders:demo", "manage_orders:demo:", "view_orders:demo:a:b"]
        {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
        let set = ScopeSet::parse("view_orders:demo").unwrap();
        assert!(set.allows(Permission::ViewMessages, "demo"));
        assert!(!set.allows(Permission::ViewPayments, "demo"));
    }

    #[test]
    fn a_store_scope_grants_only_in_its_store() {
        let scope = |text: &str| Scope::parse(text).unwrap();
        assert!(scope("manage_orders:demo").implies(&scope("view_orders:demo:eu")));
        assert!(scope("manage_orders:demo:eu").implies(&scope("view_orders:demo:eu")));
        assert!(!scope("manage_orders:demo:eu").implies(&scope("view_orders:demo:us")));
        assert!(!scope("manage_orders:demo:eu").implies(&scope("view_orders:demo")));
        let set = ScopeSet::parse("manage_payments:demo:eu").unwrap();
        assert!(!set.allows(Permission::ViewPayments, "demo"));
    }

    #[test]
    fn scope_sets_allow_only_their_project() {
        let set = ScopeSet::parse("manage_payments:p-a view_types:p-b").unwrap();
        assert!(set.allows(Permission::ViewPayments, "p-a"));
        assert!(!set.allows(Permission::ViewPayments, "p-b"));
        assert!(set.allows(Permission::ViewTypes, "p-b"));
        assert!(!set.allows(Permission::ManageTypes, "p-b"));
    }

    #[test]
    fn a_set_covers_what_it_holds_or_implies() {
        let held = ScopeSet::parse("manage_project:demo").unwrap();
        assert!(held.covers(&ScopeSet::parse("view_payments:demo manage_types:demo").unwrap()));
        assert!(!held.covers(&ScopeSet::parse("view_payments:other").unwrap()));
        let narrow = ScopeSet::parse("view_payments:demo").unwrap();
        assert!(!narrow.covers(&ScopeSet::parse("manage_payments:demo").unwrap()));
    }

    #[test]
    fn sets_keep_order_drop_duplicates_and_need_one_scope() {
        let set = ScopeSet::parse(" view_payments:pa  manage_types:pa view_payments:pa").unwrap();
        assert_eq!(set.to_string(), "view_payments:pa manage_types:pa");
        assert!(ScopeSet::parse("  ").is_err());
    }
}
