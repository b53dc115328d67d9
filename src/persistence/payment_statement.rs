//! On PostgreSQL, Payment changes are written by one statement: the payment rows (inserted, or
//! replaced by compare-and-set on their versions), their lookup rows, their Messages and the
//! provider operations they made due. One statement is atomic without BEGIN and COMMIT, and it
//! writes every change of a batch (see [`super::payment_batch`]) in one round trip; the
//! statement text is fixed (rows travel as arrays), so each connection prepares it once.

use super::messages::NewMessage;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel::{PgConnection, QueryResult, RunQueryDsl};
use std::marker::PhantomData;
use tokio_postgres::types::ToSql;

/// One payment's change, owned so that another thread can write it in its batch.
#[derive(Debug, Clone)]
pub(super) struct PaymentWrite {
    pub id: String,
    pub project_key: String,
    pub version: i64,
    pub key: Option<String>,
    pub interface_id: Option<String>,
    pub payment_interface: Option<String>,
    pub customer_id: Option<String>,
    pub created_at: i64,
    pub last_modified_at: i64,
    pub last_message_sequence_number: i64,
    pub document: String,
    pub anonymous_id: Option<String>,
    /// None inserts the payment; Some(v) replaces it if it is still at version v.
    pub replaces: Option<i64>,
    /// (transaction id, interaction id) of the rows the lookup table keeps.
    pub transactions: Vec<(String, String)>,
    /// The ids of the resources the payment references.
    pub references: Vec<String>,
    pub messages: Vec<NewMessage>,
    /// (transaction id, idempotency key, created at) of the provider operations made due.
    pub operations: Vec<(String, String, i64)>,
}

/// The parameters by name: a row of arrays, one element per payment (`a`) or per child row,
/// typed in the text, so that a client which does not send their types can prepare it.
const PARAMETERS: &str = "WITH a AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[], $12::bigint[], $13::text[]) \
     AS a(id, project_key, version, key, interface_id, payment_interface, customer_id, created_at, \
     last_modified_at, last_message_sequence_number, document, expected_version, anonymous_id)), \
     t AS (SELECT * FROM unnest($14::text[], $15::text[], $16::text[]) AS t(payment_id, transaction_id, interaction_id)), \
     r AS (SELECT * FROM unnest($17::text[], $18::text[]) AS r(payment_id, target_id)), \
     m AS (SELECT * FROM unnest($19::text[], $20::text[], $21::bigint[], $22::bigint[], $23::text[], $24::bigint[], $25::text[]) \
        AS m(id, resource_id, sequence_number, resource_version, type, created_at, document)), \
     o AS (SELECT * FROM unnest($26::text[], $27::text[], $28::text[], $29::bigint[]) AS o(transaction_id, payment_id, idempotency_key, created_at))";

/// Writes new payments.
const INSERT_HEAD: &str = ", p AS (INSERT INTO payments (id, project_key, version, key, interface_id, \
     payment_interface, customer_id, created_at, last_modified_at, last_message_sequence_number, document, \
     anonymous_id) SELECT id, project_key, version, key, interface_id, payment_interface, customer_id, created_at, \
     last_modified_at, last_message_sequence_number, document, anonymous_id FROM a RETURNING id, project_key)";

/// Replaces each payment that is still at its expected version; the others are not in `p`,
/// and nothing below is written for them. A new payment has no rows to remove, so only a
/// replacement deletes the lookup and reference rows the payment no longer has. (PostgreSQL
/// runs the sub-statements against one snapshot, so they touch disjoint rows.)
const UPDATE_HEAD: &str = ", p AS (UPDATE payments SET version = a.version, key = a.key, \
     interface_id = a.interface_id, payment_interface = a.payment_interface, customer_id = a.customer_id, \
     last_modified_at = a.last_modified_at, last_message_sequence_number = a.last_message_sequence_number, \
     document = a.document, anonymous_id = a.anonymous_id FROM a WHERE payments.id = a.id AND payments.project_key = a.project_key \
     AND payments.version = a.expected_version RETURNING payments.id, payments.project_key), \
     stale_transactions AS (DELETE FROM payment_transactions s USING p WHERE s.payment_id = p.id \
        AND NOT EXISTS (SELECT 1 FROM t WHERE t.payment_id = s.payment_id AND t.transaction_id = s.transaction_id)), \
     stale_references AS (DELETE FROM payment_references s USING p WHERE s.payment_id = p.id \
        AND NOT EXISTS (SELECT 1 FROM r WHERE r.payment_id = s.payment_id AND r.target_id = s.target_id))";

/// Everything written for the payments in `p`.
const TAIL: &str = ", \
     transactions AS (INSERT INTO payment_transactions (payment_id, transaction_id, project_key, interaction_id) \
        SELECT p.id, t.transaction_id, p.project_key, t.interaction_id FROM p JOIN t ON t.payment_id = p.id \
        ON CONFLICT (payment_id, transaction_id) DO UPDATE SET interaction_id = EXCLUDED.interaction_id), \
     new_references AS (INSERT INTO payment_references (payment_id, target_id) \
        SELECT p.id, r.target_id FROM p JOIN r ON r.payment_id = p.id ON CONFLICT DO NOTHING), \
     new_messages AS (INSERT INTO messages (id, project_key, resource_type_id, resource_id, sequence_number, \
        resource_version, type, created_at, document) \
        SELECT m.id, p.project_key, 'payment', p.id, m.sequence_number, m.resource_version, m.type, m.created_at, \
        m.document FROM p JOIN m ON m.resource_id = p.id), \
     new_operations AS (INSERT INTO psp_operations (transaction_id, payment_id, project_key, idempotency_key, \
        done, attempts, next_attempt_at, lease_until, created_at) \
        SELECT o.transaction_id, p.id, p.project_key, o.idempotency_key, FALSE, 0, o.created_at, 0, o.created_at \
        FROM p JOIN o ON o.payment_id = p.id ON CONFLICT (transaction_id) DO NOTHING) \
     SELECT id FROM p";

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

/// The statement for a batch of changes of one mode, with no payment twice (an UPDATE changes
/// a row at most once per statement, so a second change of it would be reported as written).
pub(super) struct PaymentStatement<'a, M> {
    ids: Vec<&'a str>,
    project_keys: Vec<&'a str>,
    versions: Vec<i64>,
    keys: Vec<Option<&'a str>>,
    interface_ids: Vec<Option<&'a str>>,
    payment_interfaces: Vec<Option<&'a str>>,
    customer_ids: Vec<Option<&'a str>>,
    created_at: Vec<i64>,
    last_modified_at: Vec<i64>,
    last_message_sequence_numbers: Vec<i64>,
    documents: Vec<&'a str>,
    expected_versions: Vec<i64>,
    anonymous_ids: Vec<Option<&'a str>>,
    transaction_payment_ids: Vec<&'a str>,
    transaction_ids: Vec<&'a str>,
    interaction_ids: Vec<&'a str>,
    reference_payment_ids: Vec<&'a str>,
    reference_target_ids: Vec<&'a str>,
    message_ids: Vec<&'a str>,
    message_resource_ids: Vec<&'a str>,
    message_sequence_numbers: Vec<i64>,
    message_resource_versions: Vec<i64>,
    message_types: Vec<&'a str>,
    message_created_at: Vec<i64>,
    message_documents: Vec<&'a str>,
    operation_transaction_ids: Vec<&'a str>,
    operation_payment_ids: Vec<&'a str>,
    operation_idempotency_keys: Vec<&'a str>,
    operation_created_at: Vec<i64>,
    mode: PhantomData<M>,
}

impl<'a, M: Mode> PaymentStatement<'a, M> {
    pub(super) fn new(batch: &[&'a PaymentWrite]) -> Self {
        let writes = batch.iter().copied();
        let each = |f: fn(&'a PaymentWrite) -> &'a str| writes.clone().map(f).collect();
        let each_optional =
            |f: fn(&'a PaymentWrite) -> &'a Option<String>| writes.clone().map(|w| f(w).as_deref()).collect();
        let each_number = |f: fn(&'a PaymentWrite) -> i64| writes.clone().map(f).collect();
        let transactions = || writes.clone().flat_map(|w| w.transactions.iter().map(move |t| (w, t)));
        let references = || writes.clone().flat_map(|w| w.references.iter().map(move |r| (w, r)));
        let messages = || writes.clone().flat_map(|w| w.messages.iter());
        let operations = || writes.clone().flat_map(|w| w.operations.iter().map(move |o| (w, o)));
        Self {
            ids: each(|w| &w.id),
            project_keys: each(|w| &w.project_key),
            versions: each_number(|w| w.version),
            keys: each_optional(|w| &w.key),
            interface_ids: each_optional(|w| &w.interface_id),
            payment_interfaces: each_optional(|w| &w.payment_interface),
            customer_ids: each_optional(|w| &w.customer_id),
            created_at: each_number(|w| w.created_at),
            last_modified_at: each_number(|w| w.last_modified_at),
            last_message_sequence_numbers: each_number(|w| w.last_message_sequence_number),
            documents: each(|w| &w.document),
            expected_versions: each_number(|w| w.replaces.unwrap_or(0)),
            anonymous_ids: each_optional(|w| &w.anonymous_id),
            transaction_payment_ids: transactions().map(|(w, _)| w.id.as_str()).collect(),
            transaction_ids: transactions().map(|(_, t)| t.0.as_str()).collect(),
            interaction_ids: transactions().map(|(_, t)| t.1.as_str()).collect(),
            reference_payment_ids: references().map(|(w, _)| w.id.as_str()).collect(),
            reference_target_ids: references().map(|(_, r)| r.as_str()).collect(),
            message_ids: messages().map(|m| m.id.as_str()).collect(),
            message_resource_ids: messages().map(|m| m.resource_id.as_str()).collect(),
            message_sequence_numbers: messages().map(|m| m.sequence_number).collect(),
            message_resource_versions: messages().map(|m| m.resource_version).collect(),
            message_types: messages().map(|m| m.message_type.as_str()).collect(),
            message_created_at: messages().map(|m| m.created_at).collect(),
            message_documents: messages().map(|m| m.document.as_str()).collect(),
            operation_transaction_ids: operations().map(|(_, o)| o.0.as_str()).collect(),
            operation_payment_ids: operations().map(|(w, _)| w.id.as_str()).collect(),
            operation_idempotency_keys: operations().map(|(_, o)| o.1.as_str()).collect(),
            operation_created_at: operations().map(|(_, o)| o.2).collect(),
            mode: PhantomData,
        }
    }

    /// The statement's text, with its parameters numbered.
    pub(super) fn sql() -> String {
        [PARAMETERS, M::HEAD, TAIL].concat()
    }

    /// The parameters for a client that binds them itself (see [`super::worker_postgres`]),
    /// in the order of their numbers.
    pub(super) fn parameters(&self) -> [&(dyn ToSql + Sync); 29] {
        [
            &self.ids,
            &self.project_keys,
            &self.versions,
            &self.keys,
            &self.interface_ids,
            &self.payment_interfaces,
            &self.customer_ids,
            &self.created_at,
            &self.last_modified_at,
            &self.last_message_sequence_numbers,
            &self.documents,
            &self.expected_versions,
            &self.anonymous_ids,
            &self.transaction_payment_ids,
            &self.transaction_ids,
            &self.interaction_ids,
            &self.reference_payment_ids,
            &self.reference_target_ids,
            &self.message_ids,
            &self.message_resource_ids,
            &self.message_sequence_numbers,
            &self.message_resource_versions,
            &self.message_types,
            &self.message_created_at,
            &self.message_documents,
            &self.operation_transaction_ids,
            &self.operation_payment_ids,
            &self.operation_idempotency_keys,
            &self.operation_created_at,
        ]
    }

    /// Runs the statement; the ids of the payments written (a replacement whose payment is no
    /// longer at the expected version is not).
    pub(super) fn run(self, conn: &mut PgConnection) -> QueryResult<Vec<String>> {
        self.load(conn)
    }
}

impl<M: Mode> QueryId for PaymentStatement<'_, M> {
    type QueryId = M;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<M: Mode> Query for PaymentStatement<'_, M> {
    type SqlType = Text;
}

impl<M: Mode> RunQueryDsl<PgConnection> for PaymentStatement<'_, M> {}

impl<M: Mode> QueryFragment<Pg> for PaymentStatement<'_, M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The parameters are bound in the order of their numbers in PARAMETERS.
        let mut sql = PARAMETERS.split('$');
        out.push_sql(sql.next().unwrap_or_default());
        let mut rest = |out: &mut AstPass<'_, 'b, Pg>| {
            let piece = sql.next().unwrap_or_default();
            out.push_sql(piece.trim_start_matches(|c: char| c.is_ascii_digit()));
        };
        macro_rules! bind {
            ($($sql_type:ty: $values:expr),* $(,)?) => {
                $( out.push_bind_param::<Array<$sql_type>, _>($values)?; rest(&mut out); )*
            };
        }
        bind!(
            Text: &self.ids,
            Text: &self.project_keys,
            BigInt: &self.versions,
            Nullable<Text>: &self.keys,
            Nullable<Text>: &self.interface_ids,
            Nullable<Text>: &self.payment_interfaces,
            Nullable<Text>: &self.customer_ids,
            BigInt: &self.created_at,
            BigInt: &self.last_modified_at,
            BigInt: &self.last_message_sequence_numbers,
            Text: &self.documents,
            BigInt: &self.expected_versions,
            Nullable<Text>: &self.anonymous_ids,
            Text: &self.transaction_payment_ids,
            Text: &self.transaction_ids,
            Text: &self.interaction_ids,
            Text: &self.reference_payment_ids,
            Text: &self.reference_target_ids,
            Text: &self.message_ids,
            Text: &self.message_resource_ids,
            BigInt: &self.message_sequence_numbers,
            BigInt: &self.message_resource_versions,
            Text: &self.message_types,
            BigInt: &self.message_created_at,
            Text: &self.message_documents,
            Text: &self.operation_transaction_ids,
            Text: &self.operation_payment_ids,
            Text: &self.operation_idempotency_keys,
            BigInt: &self.operation_created_at,
        );
        out.push_sql(M::HEAD);
        out.push_sql(TAIL);
        Ok(())
    }
}
