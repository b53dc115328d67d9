//! The provider customers of our Customers: created at the provider on first use (one per
//! connected account), so that a customer's payments and saved cards share one; forgotten when
//! the provider no longer has one, so that the next payment creates a new one.

use super::{names_missing_customer, Executor};
use crate::domain::customers::Customer;
use crate::domain::payment::Payment;
use crate::error::ApiError;
use crate::persistence::psp as store;
use crate::psp::{account_key, Operation, Outcome, Report, Request};

impl Executor {
    /// A provider customer deleted at the provider fails the payment that names it; it is
    /// forgotten so that the customer's next payment creates a new one. Only the one the call
    /// named: a late failure of a call that named an older one leaves its successor alone.
    pub(super) async fn forget_missing_customer(
        &self,
        operation: &store::OperationRow,
        payment: &Payment,
        account: &str,
        provider_customer: Option<String>,
        outcome: &Outcome,
    ) -> Result<(), ApiError> {
        let Outcome::Failed(report) = outcome else { return Ok(()) };
        let missing = report.code.as_deref() == Some("resource_missing")
            && report.message.as_deref().is_some_and(names_missing_customer);
        let (Some(customer), Some(gone), true) = (payment.customer.as_ref(), provider_customer, missing)
        else {
            return Ok(());
        };
        self.forget_provider_customer(&operation.project_key, &customer.id, account, &gone).await
    }

    /// Forgets a provider customer the provider no longer has, if it is still the recorded one
    /// (see `store::forget_customer`); `account` is the account key.
    pub(in crate::service) async fn forget_provider_customer(
        &self,
        project_key: &str,
        customer_id: &str,
        account: &str,
        gone: &str,
    ) -> Result<(), ApiError> {
        log::warn!(
            "the Stripe customer of customer {customer_id} is gone at Stripe; a new one will be created"
        );
        let (account, project, id, gone) =
            (account.to_owned(), project_key.to_owned(), customer_id.to_owned(), gone.to_owned());
        self.write(move |conn| store::forget_customer(conn, &account, &project, &id, &gone)).await
    }

    /// The provider customer of the payment's customer, created at the provider on first use.
    /// None for a payment without customer, or when the provider refused to create one (the
    /// payment goes ahead without); Err when the provider's answer is unknown.
    pub(super) async fn provider_customer(
        &self,
        project_key: &str,
        payment: &Payment,
    ) -> Result<Option<String>, ApiError> {
        let Some(customer) = &payment.customer else { return Ok(None) };
        let interface_account = payment.payment_method_info.interface_account.as_deref();
        self.provider_customer_of(project_key, &customer.id, interface_account).await
    }

    /// The provider customer of one of our customers (for a connected account, or the
    /// platform), created at the provider on first use; None when our customer does not
    /// exist or the provider refused to create one.
    pub(in crate::service) async fn provider_customer_of(
        &self,
        project_key: &str,
        customer_id: &str,
        interface_account: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        let account = account_key(interface_account);
        let (project, customer_id) = (project_key.to_owned(), customer_id.to_owned());
        let lookup_account = account.clone();
        let (known, generation, ours) = self
            .read(move |conn| {
                let known = store::find_customer(conn, &lookup_account, &project, &customer_id)?;
                let generation = store::customer_generation(conn, &lookup_account, &project, &customer_id)?;
                let ours = crate::persistence::resources::find_many(
                    conn,
                    &project,
                    "customer",
                    &[customer_id],
                    &[],
                )?;
                Ok((known, generation, ours.into_iter().next()))
            })
            .await?;
        if known.is_some() {
            return Ok(known);
        }
        let Some(ours) = ours.and_then(|document| serde_json::from_str::<Customer>(&document).ok()) else {
            return Ok(None);
        };
        let name =
            [ours.first_name.as_deref(), ours.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>();
        let request = Request {
            operation: Operation::CreateCustomer {
                email: ours.email.as_str().to_owned(),
                name: (!name.is_empty()).then(|| name.join(" ")),
            },
            account: interface_account.map(str::to_owned),
            // Every process and retry creating this customer sends the same key; a new one
            // after the last was deleted at the provider (which would replay the deleted one).
            idempotency_key: match generation {
                0 => format!("ct-customer-{account}-{project_key}-{}", ours.id),
                n => format!("ct-customer-{account}-{project_key}-{}-{n}", ours.id),
            },
            metadata: vec![
                ("ct_project_key".into(), project_key.to_owned()),
                ("ct_customer_id".into(), ours.id.clone()),
            ],
        };
        match self.provider.execute(request).await {
            Outcome::Succeeded(Report { object_id: Some(created), .. }) => {
                let project = project_key.to_owned();
                let recorded = self
                    .write(move |conn| store::map_customer(conn, &account, &project, &ours.id, &created))
                    .await?;
                Ok(Some(recorded))
            }
            Outcome::Failed(report) => {
                log::warn!("the provider refused a customer for customer {}: {:?}", ours.id, report.code);
                Ok(None)
            }
            Outcome::Succeeded(_) | Outcome::Pending(_) => {
                Err(ApiError::internal("no customer id from the provider"))
            }
            Outcome::Unknown(reason) => Err(ApiError::ProviderUnavailable(reason)),
        }
    }
}
