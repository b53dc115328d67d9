//! The My Payments API: a shopper's own payments, through a token of their session. Each
//! function checks that the payment is the shopper's (another's is not found) and hands the
//! rest to [`super::payments`], so a shopper's payment is stored, versioned, messaged and sent
//! to the provider like any other.

use super::payments::{self, Written};
use super::{conflict, Actor, ListQuery, Page};
use crate::auth::Identity;
use crate::domain::my_payments::{self, Change, MyPaymentDraft, MyPaymentUpdateAction};
use crate::domain::payment::Payment;
use crate::error::ApiError;
use crate::persistence::payments::{self as store, Locator};
use crate::persistence::Database;
use crate::query::schema::{Checked, Variables, MY_PAYMENT_FIELDS};

/// Creates the shopper's payment, as [`payments::create`] does.
pub async fn create(
    db: Database,
    project_key: String,
    shopper: &Identity,
    draft: MyPaymentDraft,
    actor: Actor,
    psp_interface: Option<String>,
) -> Result<Written, ApiError> {
    payments::create(db, project_key, draft.into_payment_draft(shopper)?, actor, psp_interface).await
}

/// The shopper's payment as stored, and its document; another's, like a missing one, is not
/// found.
fn own(
    db: &Database,
    project_key: &str,
    shopper: &Identity,
    id: &str,
) -> Result<(Payment, String), ApiError> {
    let locator = Locator::Id(id.to_owned());
    let stored = db.read(|conn| Ok::<_, ApiError>(store::find(conn, project_key, &locator)?));
    let stored = stored?.ok_or_else(|| ApiError::not_found_by_id(id))?;
    let payment: Payment = serde_json::from_str(&stored.document).map_err(ApiError::internal)?;
    if !my_payments::owns(shopper, &payment) {
        return Err(ApiError::not_found_by_id(id));
    }
    Ok((payment, stored.document))
}

/// The shopper's payment at `version`, if it may still be changed. The change that follows
/// writes only that version (compare-and-set), so the payment it changes is the one checked
/// here: a transaction added in between makes it a 409.
fn changeable(
    db: &Database,
    project_key: &str,
    shopper: &Identity,
    id: &str,
    version: i64,
    change: Change,
) -> Result<(), ApiError> {
    let (payment, _) = own(db, project_key, shopper, id)?;
    if payment.version != version {
        return Err(conflict(id, version, payment.version));
    }
    Ok(my_payments::check_changeable(&payment, change)?)
}

pub fn get(db: &Database, project_key: &str, shopper: &Identity, id: &str) -> Result<String, ApiError> {
    own(db, project_key, shopper, id).map(|(_, document)| document)
}

pub fn exists(db: &Database, project_key: &str, shopper: &Identity, id: &str) -> Result<bool, ApiError> {
    match own(db, project_key, shopper, id) {
        Ok(_) => Ok(true),
        Err(ApiError::ResourceNotFound(_)) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Applies the shopper's actions while the payment has no transactions.
pub fn update(
    db: &Database,
    project_key: &str,
    shopper: &Identity,
    (id, version): (&str, i64),
    actions: Vec<MyPaymentUpdateAction>,
    actor: &Actor,
    psp_interface: Option<&str>,
) -> Result<Written, ApiError> {
    changeable(db, project_key, shopper, id, version, Change::Update)?;
    let actions = actions.into_iter().map(Into::into).collect();
    let locator = Locator::Id(id.to_owned());
    payments::update(db, project_key, &locator, version, actions, actor, psp_interface)
}

/// Deletes the shopper's payment while it has no transactions.
pub fn delete(
    db: &Database,
    project_key: &str,
    shopper: &Identity,
    (id, version): (&str, i64),
    psp_interface: Option<&str>,
) -> Result<String, ApiError> {
    changeable(db, project_key, shopper, id, version, Change::Delete)?;
    payments::delete(db, project_key, &Locator::Id(id.to_owned()), version, false, psp_interface)
}

/// The shopper's payments matching the query (its predicate narrowed to them).
pub fn list(
    db: &Database,
    project_key: &str,
    shopper: &Identity,
    query: &mut ListQuery,
) -> Result<Page, ApiError> {
    let asked = query.predicate.take();
    query.predicate = Some(owned_by(shopper, asked)?);
    payments::list(db, project_key, query)
}

/// Whether any of the shopper's payments matches (HEAD with a predicate).
pub fn any_matches(
    db: &Database,
    project_key: &str,
    shopper: &Identity,
    predicate: Option<Checked>,
) -> Result<bool, ApiError> {
    let predicate = owned_by(shopper, predicate)?;
    super::any_matches(db, &crate::persistence::documents::PAYMENTS, project_key, Some(&predicate))
}

/// The predicate, limited to the shopper's payments (by the indexed customer id or anonymous
/// id; the id is a bound value, never query text).
fn owned_by(shopper: &Identity, predicate: Option<Checked>) -> Result<Checked, ApiError> {
    let (text, id) = my_payments::ownership_predicate(shopper);
    let variables = Variables::from([("shopper".to_owned(), vec![id.to_owned()])]);
    let owned = crate::query::predicate(&[text], &MY_PAYMENT_FIELDS, &variables)?
        .ok_or_else(|| ApiError::internal("the shopper's predicate is empty"))?;
    Ok(match predicate {
        Some(predicate) => Checked::And(Box::new(owned), Box::new(predicate)),
        None => owned,
    })
}
