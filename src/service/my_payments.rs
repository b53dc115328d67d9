//! The My Payments API: a shopper's own payments, through a token of their session. Each
//! function checks that the payment is the shopper's (another's is not found) and hands the
//! rest to [`super::payments`], so a shopper's payment is stored, versioned, messaged and sent
//! to the provider like any other.

use super::payments::{self, Written};
use super::{Actor, ListQuery, Page};
use crate::auth::Identity;
use crate::domain::my_payments::{self, MyPaymentDraft, MyPaymentUpdateAction};
use crate::domain::payment::Payment;
use crate::error::ApiError;
use crate::persistence::payments::{self as store, Locator};
use crate::persistence::Database;
use crate::query::schema::{Checked, Variables, PAYMENT_FIELDS};

/// The shopper a change is made for: the session of the actor's token.
fn shopper_of(actor: &Actor) -> Result<&Identity, ApiError> {
    actor.shopper.as_ref().ok_or_else(|| ApiError::internal("a My Payments change without a shopper"))
}

pub fn create(
    db: &Database,
    project_key: &str,
    draft: MyPaymentDraft,
    actor: &Actor,
    psp_interface: Option<&str>,
) -> Result<Written, ApiError> {
    let draft = draft.into_payment_draft(shopper_of(actor)?);
    payments::create(db, project_key, draft, actor, psp_interface)
}

/// The shopper's payment as stored; another's, like a missing one, is not found.
fn own(db: &Database, project_key: &str, shopper: &Identity, id: &str) -> Result<Payment, ApiError> {
    let locator = Locator::Id(id.to_owned());
    let stored = db.read(|conn| Ok::<_, ApiError>(store::find(conn, project_key, &locator)?))?;
    let payment = match stored {
        Some(stored) => Some(serde_json::from_str::<Payment>(&stored.document).map_err(ApiError::internal)?),
        None => None,
    };
    payment.filter(|payment| my_payments::owns(shopper, payment)).ok_or_else(|| ApiError::not_found_by_id(id))
}

pub fn get(db: &Database, project_key: &str, shopper: &Identity, id: &str) -> Result<String, ApiError> {
    own(db, project_key, shopper, id)?;
    payments::get(db, project_key, &Locator::Id(id.to_owned()))
}

pub fn exists(db: &Database, project_key: &str, shopper: &Identity, id: &str) -> Result<bool, ApiError> {
    match own(db, project_key, shopper, id) {
        Ok(_) => Ok(true),
        Err(ApiError::ResourceNotFound(_)) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Applies the shopper's actions while the payment has no transactions. The check reads the
/// payment at the version the shopper names; the update writes only that version, so a
/// transaction added in between makes it a 409, never a shopper's change of a payment on its
/// way to the provider.
pub fn update(
    db: &Database,
    project_key: &str,
    id: &str,
    version: i64,
    actions: Vec<MyPaymentUpdateAction>,
    actor: &Actor,
    psp_interface: Option<&str>,
) -> Result<Written, ApiError> {
    let payment = own(db, project_key, shopper_of(actor)?, id)?;
    if payment.version == version {
        my_payments::check_changeable(&payment, "updated")?;
    }
    let actions = actions.into_iter().map(Into::into).collect();
    let locator = Locator::Id(id.to_owned());
    payments::update(db, project_key, &locator, version, actions, actor, psp_interface)
}

/// Deletes the shopper's payment while it has no transactions (see [`update`]).
pub fn delete(
    db: &Database,
    project_key: &str,
    shopper: &Identity,
    id: &str,
    version: i64,
    psp_interface: Option<&str>,
) -> Result<String, ApiError> {
    let payment = own(db, project_key, shopper, id)?;
    if payment.version == version {
        my_payments::check_changeable(&payment, "deleted")?;
    }
    payments::delete(db, project_key, &Locator::Id(id.to_owned()), version, false, psp_interface)
}

/// The shopper's payments matching the query; the query is given back as asked, for the
/// page's `limit` and `offset`.
pub fn list(
    db: &Database,
    project_key: &str,
    shopper: &Identity,
    mut query: ListQuery,
) -> Result<(ListQuery, Page), ApiError> {
    let asked = query.predicate.take();
    query.predicate = Some(owned_by(shopper, asked)?);
    let page = payments::list(db, project_key, &query)?;
    Ok((query, page))
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

/// The predicate, limited to the shopper's payments (by the indexed customer id or
/// anonymousId; the id is a bound value, never query text).
fn owned_by(shopper: &Identity, predicate: Option<Checked>) -> Result<Checked, ApiError> {
    let (text, id) = match shopper {
        Identity::Customer(id) => ("customer(id = :shopper)", id),
        Identity::Anonymous(id) => ("anonymousId = :shopper", id),
    };
    let variables = Variables::from([("shopper".to_owned(), vec![id.clone()])]);
    let owned = crate::query::predicate(&[text], &PAYMENT_FIELDS, &variables)?
        .ok_or_else(|| ApiError::internal("the shopper's predicate is empty"))?;
    Ok(match predicate {
        Some(predicate) => Checked::And(Box::new(owned), Box::new(predicate)),
        None => owned,
    })
}
