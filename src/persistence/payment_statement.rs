//! On PostgreSQL a Payment change is written by one statement: the payment row (inserted, or
//! replaced by compare-and-set on its version), its lookup rows, its Messages and the provider
//! operations it made due. One statement is atomic without BEGIN and COMMIT, so a create or
//! update costs one round trip instead of ten; the statement text is fixed (rows travel as
//! arrays) so each connection prepares it once.

use super::messages::NewMessage;
use super::payments::PaymentRow;
use super::psp::OperationRow;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel::{PgConnection, QueryResult, RunQueryDsl};
use std::marker::PhantomData;

/// Writes a new payment. (Every statement starts with `a`, the parameters by name: each is bound
/// once, in order, see `walk_ast`.)
const INSERT_HEAD: &str = ", p AS (INSERT INTO payments (id, project_key, version, key, interface_id, \
     payment_interface, customer_id, created_at, last_modified_at, last_message_sequence_number, document) \
     SELECT id, project_key, version, key, interface_id, payment_interface, customer_id, created_at, \
     last_modified_at, last_message_sequence_number, document FROM a RETURNING id)";

/// Replaces the payment if it is still at the expected version; otherwise `p` is empty and so
/// is everything below it.
const UPDATE_HEAD: &str = ", p AS (UPDATE payments SET version = a.version, key = a.key, \
     interface_id = a.interface_id, payment_interface = a.payment_interface, customer_id = a.customer_id, \
     last_modified_at = a.last_modified_at, last_message_sequence_number = a.last_message_sequence_number, \
     document = a.document FROM a WHERE payments.id = a.id AND payments.project_key = a.project_key \
     AND payments.version = a.expected_version RETURNING payments.id)";

/// Everything that depends on `p`. The sub-statements touch disjoint rows (PostgreSQL runs them
/// against one snapshot, so a row must not be deleted and inserted by the same statement).
const TAIL: &str = ", \
     stale_transactions AS (DELETE FROM payment_transactions USING p, a WHERE payment_id = p.id \
        AND transaction_id <> ALL(a.transaction_ids)), \
     transactions AS (INSERT INTO payment_transactions (payment_id, transaction_id, project_key, interaction_id) \
        SELECT p.id, t.transaction_id, a.project_key, t.interaction_id \
        FROM p, a, unnest(a.transaction_ids, a.interaction_ids) AS t(transaction_id, interaction_id) \
        ON CONFLICT (payment_id, transaction_id) DO UPDATE SET interaction_id = EXCLUDED.interaction_id), \
     stale_references AS (DELETE FROM payment_references USING p, a WHERE payment_id = p.id \
        AND target_id <> ALL(a.reference_ids)), \
     new_references AS (INSERT INTO payment_references (payment_id, target_id) \
        SELECT p.id, r.target_id FROM p, a, unnest(a.reference_ids) AS r(target_id) ON CONFLICT DO NOTHING), \
     new_messages AS (INSERT INTO messages (id, project_key, resource_type_id, resource_id, sequence_number, \
        resource_version, type, created_at, document) \
        SELECT m.id, a.project_key, 'payment', p.id, m.sequence_number, m.resource_version, m.type, m.created_at, \
        m.document FROM p, a, unnest(a.message_ids, a.message_sequence_numbers, a.message_resource_versions, \
        a.message_types, a.message_created_at, a.message_documents) \
        AS m(id, sequence_number, resource_version, type, created_at, document)), \
     new_operations AS (INSERT INTO psp_operations (transaction_id, payment_id, project_key, idempotency_key, \
        done, attempts, next_attempt_at, lease_until, created_at) \
        SELECT o.transaction_id, p.id, a.project_key, o.idempotency_key, FALSE, 0, o.created_at, 0, o.created_at \
        FROM p, a, unnest(a.operation_transaction_ids, a.operation_idempotency_keys, a.operation_created_at) \
        AS o(transaction_id, idempotency_key, created_at) ON CONFLICT (transaction_id) DO NOTHING) \
     SELECT count(*) FROM p";

/// Whether the statement inserts or replaces; each mode is its own prepared statement.
pub(super) trait Mode: 'static {
    const HEAD: &'static str;
}
pub(super) struct Insert;
pub(super) struct Replace;
impl Mode for Insert {
    const HEAD: &'static str = INSERT_HEAD;
}
impl Mode for Replace {
    const HEAD: &'static str = UPDATE_HEAD;
}

pub(super) struct PaymentStatement<'a, M> {
    row: PaymentRow<'a>,
    expected_version: i64,
    transaction_ids: Vec<&'a str>,
    interaction_ids: Vec<&'a str>,
    references: &'a [String],
    message_ids: Vec<&'a str>,
    message_sequence_numbers: Vec<i64>,
    message_resource_versions: Vec<i64>,
    message_types: Vec<&'a str>,
    message_created_at: Vec<i64>,
    message_documents: Vec<&'a str>,
    operation_transaction_ids: Vec<&'a str>,
    operation_idempotency_keys: Vec<&'a str>,
    operation_created_at: Vec<i64>,
    mode: PhantomData<M>,
}

impl<'a, M: Mode> PaymentStatement<'a, M> {
    /// `transactions` are (transaction id, interaction id) of the rows the lookup table keeps.
    pub(super) fn new(
        row: PaymentRow<'a>,
        expected_version: i64,
        transactions: Vec<(&'a str, &'a str)>,
        references: &'a [String],
        messages: &'a [NewMessage],
        operations: &'a [OperationRow],
    ) -> Self {
        let (transaction_ids, interaction_ids) = transactions.into_iter().unzip();
        Self {
            row,
            expected_version,
            transaction_ids,
            interaction_ids,
            references,
            message_ids: messages.iter().map(|m| m.id.as_str()).collect(),
            message_sequence_numbers: messages.iter().map(|m| m.sequence_number).collect(),
            message_resource_versions: messages.iter().map(|m| m.resource_version).collect(),
            message_types: messages.iter().map(|m| m.message_type.as_str()).collect(),
            message_created_at: messages.iter().map(|m| m.created_at).collect(),
            message_documents: messages.iter().map(|m| m.document.as_str()).collect(),
            operation_transaction_ids: operations.iter().map(|o| o.transaction_id.as_str()).collect(),
            operation_idempotency_keys: operations.iter().map(|o| o.idempotency_key.as_str()).collect(),
            operation_created_at: operations.iter().map(|o| o.created_at).collect(),
            mode: PhantomData,
        }
    }

    /// Runs the statement; whether the payment was written (false: not at the expected version).
    pub(super) fn run(self, conn: &mut PgConnection) -> QueryResult<bool> {
        let written: i64 = self.get_result(conn)?;
        Ok(written == 1)
    }
}

impl<M: Mode> QueryId for PaymentStatement<'_, M> {
    type QueryId = M;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<M: Mode> Query for PaymentStatement<'_, M> {
    type SqlType = BigInt;
}

impl<M: Mode> RunQueryDsl<PgConnection> for PaymentStatement<'_, M> {}

impl<M: Mode> QueryFragment<Pg> for PaymentStatement<'_, M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let row = &self.row;
        out.push_sql("WITH a AS (SELECT ");
        bind::<Text, _>(&mut out, row.id, "id")?;
        bind::<Text, _>(&mut out, row.project_key, "project_key")?;
        bind::<BigInt, _>(&mut out, &row.version, "version")?;
        bind::<Nullable<Text>, _>(&mut out, &row.key, "key")?;
        bind::<Nullable<Text>, _>(&mut out, &row.interface_id, "interface_id")?;
        bind::<Nullable<Text>, _>(&mut out, &row.payment_interface, "payment_interface")?;
        bind::<Nullable<Text>, _>(&mut out, &row.customer_id, "customer_id")?;
        bind::<BigInt, _>(&mut out, &row.created_at, "created_at")?;
        bind::<BigInt, _>(&mut out, &row.last_modified_at, "last_modified_at")?;
        bind::<BigInt, _>(&mut out, &row.last_message_sequence_number, "last_message_sequence_number")?;
        bind::<Text, _>(&mut out, row.document, "document")?;
        bind::<BigInt, _>(&mut out, &self.expected_version, "expected_version")?;
        bind::<Array<Text>, _>(&mut out, &self.transaction_ids, "transaction_ids")?;
        bind::<Array<Text>, _>(&mut out, &self.interaction_ids, "interaction_ids")?;
        bind::<Array<Text>, _>(&mut out, self.references, "reference_ids")?;
        bind::<Array<Text>, _>(&mut out, &self.message_ids, "message_ids")?;
        bind::<Array<BigInt>, _>(&mut out, &self.message_sequence_numbers, "message_sequence_numbers")?;
        bind::<Array<BigInt>, _>(&mut out, &self.message_resource_versions, "message_resource_versions")?;
        bind::<Array<Text>, _>(&mut out, &self.message_types, "message_types")?;
        bind::<Array<BigInt>, _>(&mut out, &self.message_created_at, "message_created_at")?;
        bind::<Array<Text>, _>(&mut out, &self.message_documents, "message_documents")?;
        bind::<Array<Text>, _>(&mut out, &self.operation_transaction_ids, "operation_transaction_ids")?;
        bind::<Array<Text>, _>(&mut out, &self.operation_idempotency_keys, "operation_idempotency_keys")?;
        out.push_bind_param::<Array<BigInt>, _>(&self.operation_created_at)?;
        out.push_sql(" AS operation_created_at)");
        out.push_sql(M::HEAD);
        out.push_sql(TAIL);
        Ok(())
    }
}

/// Binds one parameter as a named column of `a`.
fn bind<'b, T, U>(out: &mut AstPass<'_, 'b, Pg>, value: &'b U, name: &str) -> QueryResult<()>
where
    Pg: diesel::sql_types::HasSqlType<T>,
    U: diesel::serialize::ToSql<T, Pg> + ?Sized,
{
    out.push_bind_param::<T, U>(value)?;
    out.push_sql(" AS ");
    out.push_sql(name);
    out.push_sql(", ");
    Ok(())
}
