//! A customer's payment methods saved with the provider: listed, saved and removed through the
//! customer's provider customer (the one their payments share).

use super::psp::{blocking, call_error, Executor};
use crate::domain::errors::DomainError;
use crate::error::ApiError;
use crate::persistence::{psp as store, resources};
use crate::psp::{SavedMethod, WalletCall};

impl Executor {
    /// The customer's saved payment methods (none before the customer has a provider customer).
    pub async fn saved_methods(
        &self,
        project_key: &str,
        customer_id: &str,
        account: Option<&str>,
    ) -> Result<Vec<SavedMethod>, ApiError> {
        match self.known_provider_customer(project_key, customer_id, account).await? {
            Some(customer) => self.wallet(account, WalletCall::List { customer }).await,
            None => Ok(vec![]),
        }
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
        let customer = match self.known_provider_customer(project_key, customer_id, account).await? {
            Some(known) => known,
            None => self
                .provider_customer_of(project_key, customer_id, account)
                .await?
                .ok_or_else(|| refused("The provider refused to create a customer for this customer."))?,
        };
        let saved = self.wallet(account, WalletCall::Attach { customer, payment_method }).await?;
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
        let saved = self.wallet(account, WalletCall::List { customer }).await?;
        if !saved.iter().any(|method| method.id == payment_method) {
            return Err(not_found());
        }
        let removed =
            self.wallet(account, WalletCall::Detach { payment_method: payment_method.to_owned() }).await?;
        removed.into_iter().next().ok_or_else(|| ApiError::internal("the provider removed no payment method"))
    }

    /// The provider customer recorded for our customer, if any; 404 if our customer does not exist.
    async fn known_provider_customer(
        &self,
        project_key: &str,
        customer_id: &str,
        account: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
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

    async fn wallet(&self, account: Option<&str>, call: WalletCall) -> Result<Vec<SavedMethod>, ApiError> {
        self.provider.wallet(account.map(str::to_owned), call).await.map_err(call_error)
    }
}

fn refused(message: &str) -> ApiError {
    DomainError::InvalidOperation(message.to_owned()).into()
}
