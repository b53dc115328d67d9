//! The platform's connected accounts (marketplace sellers): created, read, deleted and
//! onboarded through the provider. A project sees only the accounts it created, although all
//! projects share the platform's provider key.

use super::psp::{blocking, call_error, Executor};
use super::{new_id, now};
use crate::error::ApiError;
use crate::persistence::psp as store;
use crate::psp::{AccountAnswer, AccountCall, ConnectedAccount};

/// The kinds of connected account that need no more than this API offers (Custom accounts
/// need capabilities and the owner's details up front).
const ACCOUNT_KINDS: [&str; 2] = ["express", "standard"];

/// What creating an account takes.
pub struct AccountDraft {
    pub kind: String,
    pub email: Option<String>,
    pub country: Option<String>,
    /// The client's key for retrying the creation safely (scoped to the project here).
    pub idempotency_key: Option<String>,
}

/// A link for an account's owner: onboarding, or the dashboard.
pub struct AccountLink {
    pub url: String,
    pub expires_at: Option<i64>,
}

impl Executor {
    pub async fn create_account(
        &self,
        project_key: &str,
        draft: AccountDraft,
    ) -> Result<ConnectedAccount, ApiError> {
        if !ACCOUNT_KINDS.contains(&draft.kind.as_str()) {
            return Err(ApiError::invalid_input(format!(
                "type must be one of {}, not '{}'.",
                ACCOUNT_KINDS.join(", "),
                draft.kind
            )));
        }
        let call = AccountCall::Create {
            kind: draft.kind,
            email: draft.email,
            country: draft.country,
            idempotency_key: match draft.idempotency_key {
                // A project key has no colon, so no two projects share a key.
                Some(key) => format!("ct-account:{project_key}:{key}"),
                None => format!("ct-account-{}", new_id()),
            },
            project_key: project_key.to_owned(),
        };
        let AccountAnswer::Account(account) = self.account_call(call).await? else {
            return Err(ApiError::internal("the provider answered an account creation with something else"));
        };
        let (db, project, id) = (self.db.clone(), project_key.to_owned(), account.id.clone());
        blocking(move || {
            db.write(|conn| Ok::<_, ApiError>(store::add_account(conn, &project, &id, now().millis())?))
        })
        .await?;
        Ok(account)
    }

    pub async fn account(&self, project_key: &str, account_id: &str) -> Result<ConnectedAccount, ApiError> {
        self.own_account(project_key, account_id).await?;
        match self.account_call(AccountCall::Retrieve { account: account_id.to_owned() }).await? {
            AccountAnswer::Account(account) => Ok(account),
            _ => Err(ApiError::internal("the provider answered an account lookup with something else")),
        }
    }

    pub async fn delete_account(&self, project_key: &str, account_id: &str) -> Result<(), ApiError> {
        self.own_account(project_key, account_id).await?;
        self.account_call(AccountCall::Delete { account: account_id.to_owned() }).await?;
        let (db, id) = (self.db.clone(), account_id.to_owned());
        blocking(move || db.write(|conn| Ok::<_, ApiError>(store::remove_account(conn, &id)?))).await
    }

    /// A link that takes the account's owner through the provider's onboarding; `refresh_url`
    /// is where an expired link leads, `return_url` where a finished one does.
    pub async fn onboarding_link(
        &self,
        project_key: &str,
        account_id: &str,
        refresh_url: String,
        return_url: String,
    ) -> Result<AccountLink, ApiError> {
        self.own_account(project_key, account_id).await?;
        let call = AccountCall::OnboardingLink { account: account_id.to_owned(), refresh_url, return_url };
        self.link(call).await
    }

    /// A link to the account's dashboard at the provider (Express accounts).
    pub async fn login_link(&self, project_key: &str, account_id: &str) -> Result<AccountLink, ApiError> {
        self.own_account(project_key, account_id).await?;
        self.link(AccountCall::LoginLink { account: account_id.to_owned() }).await
    }

    async fn link(&self, call: AccountCall) -> Result<AccountLink, ApiError> {
        match self.account_call(call).await? {
            AccountAnswer::Link { url, expires_at } => Ok(AccountLink { url, expires_at }),
            _ => Err(ApiError::internal("the provider answered a link request with something else")),
        }
    }

    /// 404 unless the project created the account.
    async fn own_account(&self, project_key: &str, account_id: &str) -> Result<(), ApiError> {
        let (db, id) = (self.db.clone(), account_id.to_owned());
        let owner =
            blocking(move || db.read(|conn| Ok::<_, ApiError>(store::account_owner(conn, &id)?))).await?;
        if owner.as_deref() == Some(project_key) {
            Ok(())
        } else {
            Err(ApiError::ResourceNotFound(format!("The connected account '{account_id}' was not found.")))
        }
    }

    async fn account_call(&self, call: AccountCall) -> Result<AccountAnswer, ApiError> {
        self.provider.accounts(call).await.map_err(call_error)
    }
}
