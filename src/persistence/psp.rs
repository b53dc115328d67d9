//! The provider outbox (`psp_operations`) and the map from provider objects to our payments.

use super::schema::{
    psp_accounts, psp_customer_generations, psp_customers, psp_events, psp_objects, psp_operations,
    psp_releases,
};
use super::{on_backend, Conn};
use diesel::prelude::*;
use diesel::result::QueryResult;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = psp_operations)]
pub struct OperationRow {
    pub transaction_id: String,
    pub payment_id: String,
    pub project_key: String,
    pub idempotency_key: String,
    pub done: bool,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub lease_until: i64,
    pub created_at: i64,
    /// Parameters decided before the first call (JSON), sent again by every retry.
    pub pinned: Option<String>,
}

/// Adds the operation unless its transaction already has one.
pub fn insert_if_absent(conn: &mut Conn, row: &OperationRow) -> QueryResult<()> {
    let existing: Option<String> = on_backend!(conn, |c| psp_operations::table
        .find(&row.transaction_id)
        .select(psp_operations::transaction_id)
        .first(c)
        .optional())?;
    if existing.is_none() {
        on_backend!(conn, |c| diesel::insert_into(psp_operations::table).values(row).execute(c))?;
    }
    Ok(())
}

/// Pins the parameters of the operation's calls while this process holds its lease
/// (`lease_until`) and nothing is pinned yet; returns whether it did.
pub fn pin(conn: &mut Conn, transaction_id: &str, pinned: &str, lease_until: i64) -> QueryResult<bool> {
    let target = psp_operations::table
        .find(transaction_id)
        .filter(psp_operations::lease_until.eq(lease_until))
        .filter(psp_operations::pinned.is_null());
    let updated =
        on_backend!(conn, |c| diesel::update(target).set(psp_operations::pinned.eq(pinned)).execute(c))?;
    Ok(updated == 1)
}

/// Makes an unfinished operation due at `now` (a webhook says its object changed).
pub fn due_now(conn: &mut Conn, transaction_id: &str, now: i64) -> QueryResult<()> {
    let target = psp_operations::table.find(transaction_id).filter(psp_operations::done.eq(false));
    on_backend!(conn, |c| diesel::update(target).set(psp_operations::next_attempt_at.eq(now)).execute(c))?;
    Ok(())
}

/// Closes the operations of transactions that will never be sent (they failed before their
/// call), unless a process holds one now (it closes it itself once it sees the Failure).
pub fn abandon(conn: &mut Conn, transaction_ids: &[String], now: i64) -> QueryResult<()> {
    let target = psp_operations::table
        .filter(psp_operations::transaction_id.eq_any(transaction_ids))
        .filter(psp_operations::done.eq(false))
        .filter(psp_operations::lease_until.lt(now));
    on_backend!(conn, |c| diesel::update(target).set(psp_operations::done.eq(true)).execute(c))?;
    Ok(())
}

/// Operations that are due and not leased, oldest first.
pub fn due(conn: &mut Conn, now: i64, limit: i64) -> QueryResult<Vec<String>> {
    on_backend!(conn, |c| psp_operations::table
        .filter(psp_operations::done.eq(false))
        .filter(psp_operations::next_attempt_at.le(now))
        .filter(psp_operations::lease_until.lt(now))
        .order(psp_operations::created_at.asc())
        .select(psp_operations::transaction_id)
        .limit(limit)
        .load(c))
}

/// Takes the lease of an operation (compare-and-set, so only one process gets it).
pub fn lease(
    conn: &mut Conn,
    transaction_id: &str,
    now: i64,
    until: i64,
) -> QueryResult<Option<OperationRow>> {
    let target = psp_operations::table
        .find(transaction_id)
        .filter(psp_operations::done.eq(false))
        .filter(psp_operations::lease_until.lt(now));
    let taken = on_backend!(conn, |c| diesel::update(target)
        .set((
            psp_operations::lease_until.eq(until),
            psp_operations::attempts.eq(psp_operations::attempts + 1)
        ))
        .execute(c))?;
    if taken == 0 {
        return Ok(None);
    }
    on_backend!(conn, |c| psp_operations::table.find(transaction_id).first(c).optional())
}

/// Marks the operation done, if this process still holds its lease (`lease_until`).
pub fn finish(conn: &mut Conn, transaction_id: &str, lease_until: i64) -> QueryResult<()> {
    let target =
        psp_operations::table.find(transaction_id).filter(psp_operations::lease_until.eq(lease_until));
    on_backend!(conn, |c| diesel::update(target)
        .set((psp_operations::done.eq(true), psp_operations::lease_until.eq(0_i64)))
        .execute(c))?;
    Ok(())
}

/// Whether an attempt at the operation is under way (its lease is held and it is not done).
pub fn attempt_under_way(conn: &mut Conn, transaction_id: &str, now: i64) -> QueryResult<bool> {
    let held = psp_operations::table
        .find(transaction_id)
        .filter(psp_operations::done.eq(false))
        .filter(psp_operations::lease_until.ge(now))
        .select(psp_operations::transaction_id);
    on_backend!(conn, |c| held.first::<String>(c).optional()).map(|found| found.is_some())
}

/// Releases the lease (if this process still holds it) and schedules another attempt.
pub fn retry_at(conn: &mut Conn, transaction_id: &str, at: i64, lease_until: i64) -> QueryResult<()> {
    let target =
        psp_operations::table.find(transaction_id).filter(psp_operations::lease_until.eq(lease_until));
    on_backend!(conn, |c| diesel::update(target)
        .set((psp_operations::lease_until.eq(0_i64), psp_operations::next_attempt_at.eq(at)))
        .execute(c))?;
    Ok(())
}

/// The transactions of the payment whose provider operations are not done yet.
pub fn open_operations(conn: &mut Conn, payment_id: &str) -> QueryResult<Vec<String>> {
    on_backend!(conn, |c| psp_operations::table
        .filter(psp_operations::payment_id.eq(payment_id))
        .filter(psp_operations::done.eq(false))
        .select(psp_operations::transaction_id)
        .load(c))
}

/// Those of the transactions whose provider operation is still open.
pub fn open_among(conn: &mut Conn, transaction_ids: &[String]) -> QueryResult<Vec<String>> {
    on_backend!(conn, |c| psp_operations::table
        .filter(psp_operations::transaction_id.eq_any(transaction_ids))
        .filter(psp_operations::done.eq(false))
        .select(psp_operations::transaction_id)
        .load(c))
}

/// The pinned parameters (JSON) of those of the transactions whose operation has them.
pub fn pinned_among(conn: &mut Conn, transaction_ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    on_backend!(conn, |c| psp_operations::table
        .filter(psp_operations::transaction_id.eq_any(transaction_ids))
        .filter(psp_operations::pinned.is_not_null())
        .select((psp_operations::transaction_id, psp_operations::pinned.assume_not_null()))
        .load(c))
}

/// Those of the transactions that have a provider operation, open or done: the provider
/// executes them.
pub fn executed(conn: &mut Conn, transaction_ids: &[String]) -> QueryResult<Vec<String>> {
    on_backend!(conn, |c| psp_operations::table
        .filter(psp_operations::transaction_id.eq_any(transaction_ids))
        .select(psp_operations::transaction_id)
        .load(c))
}

/// Records which payment and transaction a provider object belongs to.
pub fn map_object(
    conn: &mut Conn,
    account: &str,
    object_id: &str,
    project_key: &str,
    payment_id: &str,
    transaction_id: &str,
) -> QueryResult<()> {
    let existing: Option<String> = on_backend!(conn, |c| psp_objects::table
        .find((account, object_id))
        .select(psp_objects::payment_id)
        .first(c)
        .optional())?;
    if existing.is_none() {
        let row = (
            psp_objects::provider_account.eq(account),
            psp_objects::object_id.eq(object_id),
            psp_objects::project_key.eq(project_key),
            psp_objects::payment_id.eq(payment_id),
            psp_objects::transaction_id.eq(transaction_id),
        );
        on_backend!(conn, |c| diesel::insert_into(psp_objects::table).values(row).execute(c))?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = psp_events)]
pub struct EventRow {
    pub event_id: String,
    pub project_key: String,
    pub event_type: String,
    pub payload: String,
    pub received_at: i64,
    pub processed: bool,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// Stores the event unless it was received before; returns whether it is new. (Two processes
/// receiving the same event at once both get an answer: the second inserts nothing.)
pub fn store_event(conn: &mut Conn, row: &EventRow) -> QueryResult<bool> {
    let inserted = on_backend!(conn, |c| diesel::insert_into(psp_events::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// A PaymentIntent of a failed transaction that is to be cancelled at the provider.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = psp_releases)]
pub struct ReleaseRow {
    pub transaction_id: String,
    pub project_key: String,
    pub payment_id: String,
    pub intent_id: String,
    /// The account key the PaymentIntent lives in (see `crate::psp::account_key`).
    pub account: String,
    pub attempts: i64,
    /// When it is due; while a process tries it, until when that process holds it.
    pub next_attempt_at: i64,
    pub created_at: i64,
}

impl ReleaseRow {
    /// A new release of the transaction's PaymentIntent, due at `due_at`.
    pub fn new(
        project_key: &str,
        payment_id: &str,
        transaction_id: &str,
        intent_id: &str,
        account: String,
        now: i64,
        due_at: i64,
    ) -> Self {
        Self {
            transaction_id: transaction_id.to_owned(),
            project_key: project_key.to_owned(),
            payment_id: payment_id.to_owned(),
            intent_id: intent_id.to_owned(),
            account,
            attempts: 0,
            next_attempt_at: due_at,
            created_at: now,
        }
    }
}

/// Keeps a new release (the transaction's first is kept, later ones change nothing); whether
/// it was new.
pub fn schedule_release(conn: &mut Conn, row: &ReleaseRow) -> QueryResult<bool> {
    let inserted = on_backend!(conn, |c| diesel::insert_into(psp_releases::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Makes a release this process holds (until `held_until`) due again at `next_attempt_at`,
/// after `attempts`; nothing if another process has taken it since.
pub fn reschedule_release(
    conn: &mut Conn,
    transaction_id: &str,
    held_until: i64,
    attempts: i64,
    next_attempt_at: i64,
) -> QueryResult<()> {
    let target =
        psp_releases::table.find(transaction_id).filter(psp_releases::next_attempt_at.eq(held_until));
    on_backend!(conn, |c| diesel::update(target)
        .set((psp_releases::attempts.eq(attempts), psp_releases::next_attempt_at.eq(next_attempt_at)))
        .execute(c))?;
    Ok(())
}

pub fn drop_release(conn: &mut Conn, transaction_id: &str) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::delete(psp_releases::table.find(transaction_id)).execute(c))?;
    Ok(())
}

/// The ids of the releases that are due, oldest first.
pub fn due_releases(conn: &mut Conn, now: i64, limit: i64) -> QueryResult<Vec<String>> {
    on_backend!(conn, |c| psp_releases::table
        .filter(psp_releases::next_attempt_at.le(now))
        .order(psp_releases::next_attempt_at.asc())
        .select(psp_releases::transaction_id)
        .limit(limit)
        .load(c))
}

/// Takes the release if it is due, holding it until `until` (compare-and-set on its due time,
/// so that one process at a time tries it); the release as taken.
pub fn take_release(
    conn: &mut Conn,
    transaction_id: &str,
    now: i64,
    until: i64,
) -> QueryResult<Option<ReleaseRow>> {
    let target = psp_releases::table.find(transaction_id).filter(psp_releases::next_attempt_at.le(now));
    let taken = on_backend!(conn, |c| diesel::update(target)
        .set(psp_releases::next_attempt_at.eq(until))
        .execute(c))?;
    if taken == 0 {
        return Ok(None);
    }
    on_backend!(conn, |c| psp_releases::table.find(transaction_id).first(c).optional())
}

/// Unprocessed events that are due, oldest first.
pub fn due_events(conn: &mut Conn, now: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    on_backend!(conn, |c| psp_events::table
        .filter(psp_events::processed.eq(false))
        .filter(psp_events::next_attempt_at.le(now))
        .order(psp_events::received_at.asc())
        .limit(limit)
        .load(c))
}

/// Takes the event until `until` (compare-and-set on its due time, so that one process at a
/// time applies it; one that dies leaves it due again at `until`). False when it is processed,
/// not due, or taken.
pub fn claim_event(conn: &mut Conn, event_id: &str, now: i64, until: i64) -> QueryResult<bool> {
    let target = psp_events::table
        .find(event_id)
        .filter(psp_events::processed.eq(false))
        .filter(psp_events::next_attempt_at.le(now));
    let taken =
        on_backend!(conn, |c| diesel::update(target).set(psp_events::next_attempt_at.eq(until)).execute(c))?;
    Ok(taken == 1)
}

pub fn event(conn: &mut Conn, event_id: &str) -> QueryResult<Option<EventRow>> {
    on_backend!(conn, |c| psp_events::table.find(event_id).first(c).optional())
}

pub fn mark_event(conn: &mut Conn, event_id: &str, processed: bool, next_attempt_at: i64) -> QueryResult<()> {
    let target = psp_events::table.find(event_id);
    on_backend!(conn, |c| diesel::update(target)
        .set((
            psp_events::processed.eq(processed),
            psp_events::next_attempt_at.eq(next_attempt_at),
            psp_events::attempts.eq(psp_events::attempts + 1),
        ))
        .execute(c))?;
    Ok(())
}

/// The (project, payment, transaction) of a provider object.
pub fn find_object(
    conn: &mut Conn,
    account: &str,
    object_id: &str,
) -> QueryResult<Option<(String, String, String)>> {
    on_backend!(conn, |c| psp_objects::table
        .find((account, object_id))
        .select((psp_objects::project_key, psp_objects::payment_id, psp_objects::transaction_id))
        .first(c)
        .optional())
}

/// Whether this service created the provider object (under the account) for the payment.
pub fn created_for(
    conn: &mut Conn,
    account: &str,
    object_id: &str,
    project_key: &str,
    payment_id: &str,
) -> QueryResult<bool> {
    let owner = find_object(conn, account, object_id)?;
    Ok(owner.is_some_and(|(project, payment, _)| project == project_key && payment == payment_id))
}

/// The provider customer of one of our customers, if one was created.
pub fn find_customer(
    conn: &mut Conn,
    account: &str,
    project_key: &str,
    customer_id: &str,
) -> QueryResult<Option<String>> {
    on_backend!(conn, |c| psp_customers::table
        .find((account, project_key, customer_id))
        .select(psp_customers::provider_customer_id)
        .first(c)
        .optional())
}

/// Forgets the provider customer of one of our customers if it is still the recorded one (it
/// is gone at the provider), and counts the loss, so that the next one is created under a new
/// idempotency key.
pub fn forget_customer(
    conn: &mut Conn,
    account: &str,
    project_key: &str,
    customer_id: &str,
    provider_customer_id: &str,
) -> QueryResult<()> {
    on_backend!(conn, |c| {
        let forgotten = diesel::delete(
            psp_customers::table
                .find((account, project_key, customer_id))
                .filter(psp_customers::provider_customer_id.eq(provider_customer_id)),
        )
        .execute(c)?;
        if forgotten == 0 {
            return Ok(());
        }
        diesel::insert_into(psp_customer_generations::table)
            .values((
                psp_customer_generations::provider_account.eq(account),
                psp_customer_generations::project_key.eq(project_key),
                psp_customer_generations::customer_id.eq(customer_id),
                psp_customer_generations::generation.eq(1_i64),
            ))
            .on_conflict((
                psp_customer_generations::provider_account,
                psp_customer_generations::project_key,
                psp_customer_generations::customer_id,
            ))
            .do_update()
            .set(psp_customer_generations::generation.eq(psp_customer_generations::generation + 1))
            .execute(c)
    })?;
    Ok(())
}

/// How often the customer's provider customer was forgotten (0 if never).
pub fn customer_generation(
    conn: &mut Conn,
    account: &str,
    project_key: &str,
    customer_id: &str,
) -> QueryResult<i64> {
    let found: Option<i64> = on_backend!(conn, |c| psp_customer_generations::table
        .find((account, project_key, customer_id))
        .select(psp_customer_generations::generation)
        .first(c)
        .optional())?;
    Ok(found.unwrap_or(0))
}

/// Records the provider customer unless one is recorded already (by a process that got there
/// first); returns the recorded one.
pub fn map_customer(
    conn: &mut Conn,
    account: &str,
    project_key: &str,
    customer_id: &str,
    provider_customer_id: &str,
) -> QueryResult<String> {
    let row = (
        psp_customers::provider_account.eq(account),
        psp_customers::project_key.eq(project_key),
        psp_customers::customer_id.eq(customer_id),
        psp_customers::provider_customer_id.eq(provider_customer_id),
    );
    on_backend!(conn, |c| diesel::insert_into(psp_customers::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    let recorded = find_customer(conn, account, project_key, customer_id)?;
    Ok(recorded.unwrap_or_else(|| provider_customer_id.to_owned()))
}

/// Records that the project created the connected account.
pub fn add_account(conn: &mut Conn, project_key: &str, account_id: &str, now: i64) -> QueryResult<()> {
    let row = (
        psp_accounts::account_id.eq(account_id),
        psp_accounts::project_key.eq(project_key),
        psp_accounts::created_at.eq(now),
    );
    on_backend!(conn, |c| diesel::insert_into(psp_accounts::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// The project that created the connected account, if one did.
pub fn account_owner(conn: &mut Conn, account_id: &str) -> QueryResult<Option<String>> {
    on_backend!(conn, |c| psp_accounts::table
        .find(account_id)
        .select(psp_accounts::project_key)
        .first(c)
        .optional())
}

pub fn remove_account(conn: &mut Conn, account_id: &str) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::delete(psp_accounts::table.find(account_id)).execute(c))?;
    Ok(())
}
