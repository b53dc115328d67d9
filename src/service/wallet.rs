//! A customer's payment methods saved with the provider: listed, saved and removed through the
//! customer's provider customer (the one their payments share). A provider customer deleted at
//! the provider is forgotten, as a payment that names it does: it has no saved methods any
//! more, and saving one creates a new provider customer.

use super::psp::{blocking, call_error, names_missing_customer, Executor};
use crate::domain::errors::DomainError;
use crate::error::ApiError;
use crate::persistence::{psp as store, resources};
use crate::psp::{CallError, SavedMethod, WalletCall};

impl Executor {
    /// The customer's saved payment methods (none before the customer has a provider customer).
    pub async fn saved_methods(
        &self,
        project_key: &str,
        customer_id: &str,
        account: Option<&str>,
    ) -> Result<Vec<SavedMethod>, ApiError> {
        let Some(customer) = self.known_provider_customer(project_key, customer_id, account).await? else {
            return Ok(vec![]);
        };
        let list = |customer| WalletCall::List { customer };
        let listed = self.customer_call(project_key, customer_id, account, &customer, list).await?;
        Ok(listed.unwrap_or_default())
    }

    /// Saves a payment method (e.g. `pm_…` from Stripe.js) for the customer, creating their
    /// provider customer on first use.
    pub async fn save_method(
        &self,
        project_key: &str,
        customer_id: &str,
        payment_method: String,
        account: Option<&str>,
    ) -> Result<SavedMethod, ApiError> {
        let known = self.known_provider_customer(project_key, customer_id, account).await?;
        let attach =
            |customer: String| WalletCall::Attach { customer, payment_method: payment_method.clone() };
        let saved = match known {
            Some(customer) => {
                self.customer_call(project_key, customer_id, account, &customer, attach).await?
            }
            None => None,
        };
        let saved = match saved {
            Some(saved) => saved,
            None => {
                let customer = self
                    .provider_customer_of(project_key, customer_id, account)
                    .await?
                    .ok_or_else(|| refused("The provider refused to create a customer for this customer."))?;
                self.wallet(account, attach(customer)).await.map_err(call_error)?
            }
        };
        saved.into_iter().next().ok_or_else(|| ApiError::internal("the provider saved no payment method"))
    }

    /// Removes one of the customer's saved payment methods; another customer's is not found.
    pub async fn remove_method(
        &self,
        project_key: &str,
        customer_id: &str,
        payment_method: &str,
        account: Option<&str>,
    ) -> Result<SavedMethod, ApiError> {
        let not_found =
            || ApiError::ResourceNotFound(format!("The payment method '{payment_method}' was not found."));
        let customer =
            self.known_provider_customer(project_key, customer_id, account).await?.ok_or_else(not_found)?;
        let list = |customer| WalletCall::List { customer };
        let saved = self
            .customer_call(project_key, customer_id, account, &customer, list)
            .await?
            .ok_or_else(not_found)?;
        if !saved.iter().any(|method| method.id == payment_method) {
            return Err(not_found());
        }
        let removed = self
            .wallet(account, WalletCall::Detach { payment_method: payment_method.to_owned() })
            .await
            .map_err(call_error)?;
        removed.into_iter().next().ok_or_else(|| ApiError::internal("the provider removed no payment method"))
    }

    /// A call on the customer's provider customer (List or Attach); None when the provider no
    /// longer has it, which is then forgotten (it has no saved methods any more).
    async fn customer_call(
        &self,
        project_key: &str,
        customer_id: &str,
        account: Option<&str>,
        customer: &str,
        call: impl FnOnce(String) -> WalletCall,
    ) -> Result<Option<Vec<SavedMethod>>, ApiError> {
        match self.wallet(account, call(customer.to_owned())).await {
            Err(error) if customer_gone(&error) => {
                let account = crate::psp::account_key(account);
                self.forget_provider_customer(project_key, customer_id, &account, customer).await?;
                Ok(None)
            }
            answer => answer.map(Some).map_err(call_error),
        }
    }

    /// The provider customer recorded for our customer, if any; 404 if our customer does not exist.
    async fn known_provider_customer(
        &self,
        project_key: &str,
        customer_id: &str,
        account: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        super::psp::check_account(account)?;
        let (db, project, id) = (self.db.clone(), project_key.to_owned(), customer_id.to_owned());
        let account = crate::psp::account_key(account);
        let (exists, known, owner) = blocking(move || {
            db.read(|conn| {
                let exists =
                    !resources::find_many(conn, &project, "customer", std::slice::from_ref(&id), &[])?
                        .is_empty();
                let owner = store::account_owner(conn, &account)?;
                Ok::<_, ApiError>((exists, store::find_customer(conn, &account, &project, &id)?, owner))
            })
        })
        .await?;
        if !exists {
            return Err(ApiError::ResourceNotFound(format!(
                "The Customer with ID '{customer_id}' was not found."
            )));
        }
        // A connected account another project created is not this project's to use.
        if owner.is_some_and(|owner| owner != project_key) {
            return Err(refused("The connected account belongs to another project."));
        }
        Ok(known)
    }

    async fn wallet(&self, account: Option<&str>, call: WalletCall) -> Result<Vec<SavedMethod>, CallError> {
        self.provider.wallet(account.map(str::to_owned), call).await
    }
}

/// Whether the provider refused because the customer no longer exists there.
fn customer_gone(error: &CallError) -> bool {
    matches!(error, CallError::Refused(message) if names_missing_customer(message))
}

fn refused(message: &str) -> ApiError {
    DomainError::InvalidOperation(message.to_owned()).into()
}
