//! Scopes as commercetools writes them: `permission:projectKey`, e.g. `view_payments:demo`.

use std::fmt;

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
}

impl Permission {
    const ALL: [Permission; 13] = [
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
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// Whether holding `self` grants `other`: manage_project grants everything, and each
    /// manage permission grants its view permission.
    pub fn implies(self, other: Permission) -> bool {
        self == other
            || self == Self::ManageProject
            || matches!(
                (self, other),
                (Self::ManagePayments, Self::ViewPayments)
                    | (Self::ManageTypes, Self::ViewTypes)
                    | (Self::ManageStates, Self::ViewStates)
                    | (Self::ManageCustomers, Self::ViewCustomers)
                    | (Self::ManageApiClients, Self::ViewApiClients)
            )
    }
}

/// One permission on one project.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub permission: Permission,
    pub project_key: String,
}

impl Scope {
    pub fn new(permission: Permission, project_key: &str) -> Self {
        Self { permission, project_key: project_key.to_owned() }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("Invalid scope '{text}'.");
        let (permission, project_key) = text.split_once(':').ok_or_else(invalid)?;
        let permission = Permission::parse(permission).ok_or_else(invalid)?;
        if !is_project_key(project_key) {
            return Err(invalid());
        }
        Ok(Self { permission, project_key: project_key.to_owned() })
    }

    pub fn implies(&self, other: &Scope) -> bool {
        self.project_key == other.project_key && self.permission.implies(other.permission)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.permission.as_str(), self.project_key)
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
        self.0.iter().any(|s| s.project_key == project_key && s.permission.implies(permission))
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
        assert!(Permission::ManagePayments.implies(Permission::ViewPayments));
        assert!(!Permission::ViewPayments.implies(Permission::ManagePayments));
        assert!(!Permission::ManagePayments.implies(Permission::ManageTypes));
        for permission in Permission::ALL {
            assert!(Permission::ManageProject.implies(permission));
        }
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
