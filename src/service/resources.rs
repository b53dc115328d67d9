//! Types, States and Customers: one generic life cycle (create, get, update with versions,
//! delete, list) over the resources table; each kind says how its documents are made and
//! changed.

use super::messages::{envelope, Subject};
use super::{conflict, new_id, not_found, now, Actor};
use crate::domain::common::ReferenceTypeId;
use crate::domain::common::{ClientLogging, IdOrKey, Timestamp};
use crate::domain::context::References;
use crate::domain::customer_messages::CustomerMessage;
use crate::domain::customers::{self, Customer, CustomerChangePassword, CustomerDraft, CustomerUpdateAction};
use crate::domain::errors::DomainError;
use crate::domain::messages::{MessagePayload, NoMessage};
use crate::domain::references::{Known, LoadedReferences};
use crate::domain::states::{self, State, StateDraft, StateUpdateAction};
use crate::domain::types::{self, Type, TypeDraft, TypeUpdateAction};
use crate::domain::versioning::{apply_all, Versioned};
use crate::error::ApiError;
use crate::persistence::documents::Collection;
use crate::persistence::messages::NewMessage;
use crate::persistence::payments::Locator;
use crate::persistence::resource_cache::ResourceCache;
use crate::persistence::resources::{self as store, ResourceRow};
use crate::persistence::{unique_violation, Conn, Database, UniqueField};
use crate::query::schema::Field;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

/// The columns of a stored resource besides its document.
pub struct Row {
    pub id: String,
    pub key: Option<String>,
    pub unique_value: Option<String>,
    pub customer_number: Option<String>,
    pub created_at: Timestamp,
    pub last_modified_at: Timestamp,
}

/// A kind of resource kept in the resources table.
pub trait ResourceKind: 'static {
    /// The reference type id, also the `type_id` column.
    const TYPE_ID: ReferenceTypeId;
    /// Whether payments (and customers) may reference it, so that deleting it is refused while
    /// they do.
    const KEPT_WHILE_REFERENCED: bool;
    type Resource: Versioned + Serialize + DeserializeOwned + Send;
    type Draft: DeserializeOwned + Send + 'static;
    type Action: crate::domain::update_actions::UpdateAction + Send + 'static;
    /// The payloads of the Messages commercetools writes for the kind (none for some).
    type Message: MessagePayload;

    fn fields() -> &'static [Field];
    fn create(
        id: String,
        draft: Self::Draft,
        references: &dyn References,
        now: Timestamp,
        actor: Option<ClientLogging>,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Self::Resource, DomainError>;
    /// `new_id` gives ids to what an action adds inside the resource (a customer's addresses).
    /// Applies an action, answering its Messages.
    fn apply(
        resource: &mut Self::Resource,
        action: Self::Action,
        references: &dyn References,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Vec<Self::Message>, DomainError>;
    /// The Messages of a creation and of a deletion.
    fn created(_resource: &Self::Resource) -> Vec<Self::Message> {
        vec![]
    }
    fn deleted(_resource: &Self::Resource) -> Vec<Self::Message> {
        vec![]
    }
    /// What a Message says its resource is.
    fn subject(resource: &Self::Resource) -> Subject<'_>;
    /// Records the `sequenceNumber` of the resource's latest Message on it, where commercetools
    /// writes `lastMessageSequenceNumber` (the kinds with Messages).
    fn record_last_message(_resource: &mut Self::Resource, _sequence_number: i64) {}
    fn row(resource: &Self::Resource) -> Row;
    /// The resources a draft or action names, for loading before it is applied.
    fn draft_identifiers(_draft: &Self::Draft) -> Vec<(ReferenceTypeId, IdOrKey)> {
        vec![]
    }
    fn action_identifiers(_action: &Self::Action) -> Vec<(ReferenceTypeId, IdOrKey)> {
        vec![]
    }
    /// The resources a stored resource names, which its update actions may need (the Type of
    /// its custom fields).
    fn resource_identifiers(_resource: &Self::Resource) -> Vec<(ReferenceTypeId, IdOrKey)> {
        vec![]
    }
    /// Records what the resource references, after it is written (in the same transaction).
    fn write_references(_conn: &mut Conn, _resource: &Self::Resource) -> Result<(), ApiError> {
        Ok(())
    }
    /// Checks the resource against the project's other resources of its kind before it is
    /// written (in the same database transaction).
    fn check_among(_conn: &mut Conn, _project_key: &str, _resource: &Self::Resource) -> Result<(), ApiError> {
        Ok(())
    }
    /// The kind of another resource of the project that names resource `id` (besides payments
    /// and customers, which reference tables record), so that deleting it is refused.
    fn referenced_among(
        _conn: &mut Conn,
        _project_key: &str,
        _id: &str,
    ) -> Result<Option<&'static str>, ApiError> {
        Ok(None)
    }
    /// The password a new resource signs in with (customers), kept hashed apart from it.
    fn password_of(_draft: &Self::Draft) -> Option<&str> {
        None
    }
    /// How a request's actions change that password (see [`customers::password_change`]).
    fn password_change(_actions: &[Self::Action]) -> Option<Option<&str>> {
        None
    }
    /// The field a broken `unique_value` constraint is reported on.
    fn unique_value_field() -> &'static str {
        "uniqueValue"
    }
    /// The error for a value another resource of the kind has already.
    fn duplicate(field: &str, value: serde_json::Value) -> DomainError {
        DomainError::DuplicateField { field: field.into(), duplicate_value: value }
    }

    fn collection() -> Collection {
        Collection { table: "resources", type_id: Some(Self::TYPE_ID.as_str()) }
    }
}

pub struct Types;
pub struct States;
pub struct Customers;

impl ResourceKind for Types {
    const TYPE_ID: ReferenceTypeId = ReferenceTypeId::Type;
    const KEPT_WHILE_REFERENCED: bool = true;
    type Resource = Type;
    type Draft = TypeDraft;
    type Action = TypeUpdateAction;
    type Message = NoMessage;

    fn fields() -> &'static [Field] {
        &crate::query::schema::TYPE_FIELDS
    }
    fn create(
        id: String,
        draft: TypeDraft,
        _: &dyn References,
        now: Timestamp,
        actor: Option<ClientLogging>,
        _: &mut dyn FnMut() -> String,
    ) -> Result<Type, DomainError> {
        Type::create(id, draft, now, actor)
    }
    fn apply(
        resource: &mut Type,
        action: TypeUpdateAction,
        _: &dyn References,
        _: &mut dyn FnMut() -> String,
    ) -> Result<Vec<NoMessage>, DomainError> {
        types::apply(resource, action).map(|()| vec![])
    }
    fn subject(t: &Type) -> Subject<'_> {
        Subject {
            type_id: "type",
            id: &t.id,
            key: Some(t.key.as_str()),
            customer_number: None,
            external_id: None,
        }
    }
    /// A field name means one field type for a resource, whichever Type defines it.
    fn check_among(conn: &mut Conn, project_key: &str, resource: &Type) -> Result<(), ApiError> {
        let others = store::all_of_type(conn, project_key, Self::TYPE_ID.as_str())?;
        let others: Vec<Type> = others.iter().map(|document| parse(document)).collect::<Result<_, _>>()?;
        Ok(types::check_field_types_agree(resource, others.iter().filter(|other| other.id != resource.id))?)
    }
    fn row(t: &Type) -> Row {
        Row {
            id: t.id.clone(),
            key: Some(t.key.as_str().to_owned()),
            unique_value: None,
            customer_number: None,
            created_at: t.created_at,
            last_modified_at: t.last_modified_at,
        }
    }
}

impl ResourceKind for States {
    const TYPE_ID: ReferenceTypeId = ReferenceTypeId::State;
    const KEPT_WHILE_REFERENCED: bool = true;
    type Resource = State;
    type Draft = StateDraft;
    type Action = StateUpdateAction;
    type Message = NoMessage;

    fn fields() -> &'static [Field] {
        &crate::query::schema::STATE_FIELDS
    }
    fn create(
        id: String,
        draft: StateDraft,
        references: &dyn References,
        now: Timestamp,
        actor: Option<ClientLogging>,
        _: &mut dyn FnMut() -> String,
    ) -> Result<State, DomainError> {
        State::create(id, draft, references, now, actor)
    }
    fn apply(
        resource: &mut State,
        action: StateUpdateAction,
        references: &dyn References,
        _: &mut dyn FnMut() -> String,
    ) -> Result<Vec<NoMessage>, DomainError> {
        states::apply(resource, action, references).map(|()| vec![])
    }
    fn subject(s: &State) -> Subject<'_> {
        Subject {
            type_id: "state",
            id: &s.id,
            key: Some(s.key.as_str()),
            customer_number: None,
            external_id: None,
        }
    }
    fn row(s: &State) -> Row {
        Row {
            id: s.id.clone(),
            key: Some(s.key.as_str().to_owned()),
            unique_value: None,
            customer_number: None,
            created_at: s.created_at,
            last_modified_at: s.last_modified_at,
        }
    }
    fn draft_identifiers(draft: &StateDraft) -> Vec<(ReferenceTypeId, IdOrKey)> {
        draft.identifiers()
    }
    fn action_identifiers(action: &StateUpdateAction) -> Vec<(ReferenceTypeId, IdOrKey)> {
        action.identifiers()
    }
    /// A State another State can transition to stays, so that no transition points nowhere.
    /// (A project has few States: they are read whole.)
    fn referenced_among(
        conn: &mut Conn,
        project_key: &str,
        id: &str,
    ) -> Result<Option<&'static str>, ApiError> {
        for document in store::all_of_type(conn, project_key, ReferenceTypeId::State.as_str())? {
            let state: State = parse(&document)?;
            let names_it = state.transitions.iter().flatten().any(|transition| transition.id == id);
            if names_it && state.id != id {
                return Ok(Some("state"));
            }
        }
        Ok(None)
    }
}

impl ResourceKind for Customers {
    const TYPE_ID: ReferenceTypeId = ReferenceTypeId::Customer;
    const KEPT_WHILE_REFERENCED: bool = false;
    type Resource = Customer;
    type Draft = CustomerDraft;
    type Action = CustomerUpdateAction;
    type Message = CustomerMessage;

    fn fields() -> &'static [Field] {
        &crate::query::schema::CUSTOMER_FIELDS
    }
    fn create(
        id: String,
        draft: CustomerDraft,
        references: &dyn References,
        now: Timestamp,
        actor: Option<ClientLogging>,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Customer, DomainError> {
        Customer::create(id, draft, now, actor, references, new_id)
    }
    fn apply(
        resource: &mut Customer,
        action: CustomerUpdateAction,
        references: &dyn References,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Vec<CustomerMessage>, DomainError> {
        customers::apply(resource, action, references, new_id)
    }
    fn created(customer: &Customer) -> Vec<CustomerMessage> {
        vec![CustomerMessage::CustomerCreated { customer: Box::new(customer.clone()) }]
    }
    fn deleted(customer: &Customer) -> Vec<CustomerMessage> {
        vec![CustomerMessage::CustomerDeleted { email: customer.email.as_str().into() }]
    }
    fn record_last_message(customer: &mut Customer, sequence_number: i64) {
        customer.last_message_sequence_number = sequence_number;
    }
    fn subject(c: &Customer) -> Subject<'_> {
        Subject {
            type_id: "customer",
            id: &c.id,
            key: c.key.as_ref().map(|key| key.as_str()),
            customer_number: c.customer_number.as_deref(),
            external_id: c.external_id.as_deref(),
        }
    }
    fn draft_identifiers(draft: &CustomerDraft) -> Vec<(ReferenceTypeId, IdOrKey)> {
        draft.identifiers()
    }
    fn action_identifiers(action: &CustomerUpdateAction) -> Vec<(ReferenceTypeId, IdOrKey)> {
        action.identifiers()
    }
    fn resource_identifiers(customer: &Customer) -> Vec<(ReferenceTypeId, IdOrKey)> {
        customer.custom.iter().map(|c| (ReferenceTypeId::Type, IdOrKey::Id(c.type_ref.id.clone()))).collect()
    }
    fn write_references(conn: &mut Conn, customer: &Customer) -> Result<(), ApiError> {
        let types: Vec<String> = customer.custom.iter().map(|c| c.type_ref.id.clone()).collect();
        store::replace_customer_references(conn, &customer.id, &types).map_err(|error| {
            if crate::persistence::foreign_key_violation(&error) {
                // The Type was deleted since it was read.
                DomainError::ReferencedResourceNotFound {
                    type_id: ReferenceTypeId::Type.as_str().into(),
                    target: IdOrKey::Id(types.first().cloned().unwrap_or_default()),
                }
                .into()
            } else {
                error.into()
            }
        })
    }
    fn row(c: &Customer) -> Row {
        Row {
            id: c.id.clone(),
            key: c.key.as_ref().map(|k| k.as_str().to_owned()),
            unique_value: Some(c.email.normalized()),
            customer_number: c.customer_number.clone(),
            created_at: c.created_at,
            last_modified_at: c.last_modified_at,
        }
    }
    fn password_of(draft: &CustomerDraft) -> Option<&str> {
        draft.password_to_keep()
    }
    fn password_change(actions: &[CustomerUpdateAction]) -> Option<Option<&str>> {
        customers::password_change(actions)
    }
    fn unique_value_field() -> &'static str {
        "email"
    }
    fn duplicate(field: &str, value: serde_json::Value) -> DomainError {
        match field {
            "email" => DomainError::duplicate_customer_email(value),
            _ => DomainError::DuplicateField { field: field.into(), duplicate_value: value },
        }
    }
}

fn hash_password(password: &str) -> Result<String, ApiError> {
    crate::auth::credentials::hash_password(password)
        .ok_or_else(|| ApiError::internal("a password could not be hashed"))
}

/// Loads what the identifiers name, for [`References`] to resolve without I/O. With a cache
/// (payment writes, which read outside their write), Types and States may come from it (see
/// `persistence::resource_cache`); Customers, whose deletion no foreign key holds back, are
/// always read.
pub fn load_references(
    conn: &mut Conn,
    cache: Option<&ResourceCache>,
    project_key: &str,
    wanted: &[(ReferenceTypeId, IdOrKey)],
) -> Result<LoadedReferences, ApiError> {
    collect_references(wanted, |type_id, ids, keys| match (type_id, cache) {
        (ReferenceTypeId::Type | ReferenceTypeId::State, Some(cache)) => {
            Ok(store::find_many_cached(conn, cache, project_key, type_id.as_str(), ids, keys)?)
        }
        _ => Ok(store::find_many(conn, project_key, type_id.as_str(), ids, keys)?),
    })
}

/// [`load_references`] from the cache alone: None when anything named is not in it (a
/// Customer never is).
pub fn cached_references(
    cache: &ResourceCache,
    project_key: &str,
    wanted: &[(ReferenceTypeId, IdOrKey)],
) -> Option<LoadedReferences> {
    let mut complete = true;
    let loaded = collect_references(wanted, |type_id, ids, keys| {
        let cached = match type_id {
            ReferenceTypeId::Customer => None,
            ReferenceTypeId::State | ReferenceTypeId::Type => {
                cache.get_all(project_key, type_id.as_str(), ids, keys)
            }
        };
        complete &= cached.is_some();
        Ok(cached.unwrap_or_default())
    });
    loaded.ok().filter(|_| complete)
}

/// The resources named, kind by kind, with the documents `fetch` finds for their ids and keys.
fn collect_references(
    wanted: &[(ReferenceTypeId, IdOrKey)],
    mut fetch: impl FnMut(ReferenceTypeId, &[String], &[String]) -> Result<Vec<String>, ApiError>,
) -> Result<LoadedReferences, ApiError> {
    let mut loaded = LoadedReferences::default();
    for type_id in [ReferenceTypeId::Customer, ReferenceTypeId::State, ReferenceTypeId::Type] {
        let (mut ids, mut keys) = (Vec::new(), Vec::new());
        for (_, target) in wanted.iter().filter(|(t, _)| *t == type_id) {
            match target {
                IdOrKey::Id(id) => ids.push(id.clone()),
                IdOrKey::Key(key) => keys.push(key.clone()),
            }
        }
        if ids.is_empty() && keys.is_empty() {
            continue;
        }
        for document in fetch(type_id, &ids, &keys)? {
            match type_id {
                ReferenceTypeId::Customer => {
                    let customer: Customer = parse(&document)?;
                    loaded.customers.push(Known { id: customer.id, key: customer.key.map(String::from) });
                }
                ReferenceTypeId::State => loaded.states.push(parse(&document)?),
                ReferenceTypeId::Type => loaded.types.push(parse(&document)?),
            }
        }
    }
    Ok(loaded)
}

fn parse<T: DeserializeOwned>(document: &str) -> Result<T, ApiError> {
    serde_json::from_str(document).map_err(ApiError::internal)
}

fn to_row<K: ResourceKind>(project_key: &str, resource: &K::Resource) -> Result<ResourceRow, ApiError> {
    let row = K::row(resource);
    crate::domain::errors::check_indexed("customerNumber", row.customer_number.as_deref())?;
    crate::domain::errors::check_indexed(K::unique_value_field(), row.unique_value.as_deref())?;
    Ok(ResourceRow {
        id: row.id,
        project_key: project_key.to_owned(),
        type_id: K::TYPE_ID.as_str().to_owned(),
        version: resource.version(),
        key: row.key,
        unique_value: row.unique_value,
        created_at: row.created_at.millis(),
        last_modified_at: row.last_modified_at.millis(),
        document: super::document_of(resource)?,
        customer_number: row.customer_number,
    })
}

/// Reports a broken unique constraint as DuplicateField.
fn duplicate_or<K: ResourceKind>(
    error: diesel::result::Error,
    row: &ResourceRow,
    resource: &K::Resource,
) -> ApiError {
    let field = match unique_violation(&error) {
        Some(UniqueField::Key) => "key",
        Some(UniqueField::UniqueValue) => K::unique_value_field(),
        Some(UniqueField::CustomerNumber) => "customerNumber",
        _ => return error.into(),
    };
    let value = serde_json::to_value(resource).ok().and_then(|v| v.get(field).cloned());
    let value = value.or_else(|| row.key.clone().map(serde_json::Value::from)).unwrap_or_default();
    K::duplicate(field, value).into()
}

pub fn create<K: ResourceKind>(
    db: &Database,
    project_key: &str,
    draft: K::Draft,
    actor: &Actor,
) -> Result<String, ApiError> {
    // Hashed before the transaction: the hash is slow by design.
    let password_hash = K::password_of(&draft).map(hash_password).transpose()?;
    db.write(|conn| {
        let references = load_references(conn, None, project_key, &K::draft_identifiers(&draft))?;
        let now = now();
        let mut resource = K::create(new_id(), draft, &references, now, actor.logging(), &mut new_id)?;
        K::check_among(conn, project_key, &resource)?;
        let created = K::created(&resource).into_iter().map(|m| (resource.version(), m)).collect();
        let messages = number_messages::<K>(conn, project_key, &mut resource, created, now, actor)?;
        let row = to_row::<K>(project_key, &resource)?;
        store::insert(conn, &row).map_err(|e| duplicate_or::<K>(e, &row, &resource))?;
        K::write_references(conn, &resource)?;
        if let Some(password_hash) = &password_hash {
            store::set_customer_password(conn, &row.id, Some(password_hash))?;
        }
        crate::persistence::messages::insert_all(conn, &messages)?;
        Ok(row.document)
    })
}

pub fn get<K: ResourceKind>(db: &Database, project_key: &str, locator: &Locator) -> Result<String, ApiError> {
    db.read(|conn| {
        let row = store::find(conn, project_key, K::TYPE_ID.as_str(), locator)?;
        row.map(|r| r.document).ok_or_else(|| not_found(locator))
    })
}

pub fn exists<K: ResourceKind>(
    db: &Database,
    project_key: &str,
    locator: &Locator,
) -> Result<bool, ApiError> {
    db.read(|conn| Ok(store::find(conn, project_key, K::TYPE_ID.as_str(), locator)?.is_some()))
}

pub fn update<K: ResourceKind>(
    db: &Database,
    project_key: &str,
    locator: &Locator,
    version: i64,
    actions: Vec<K::Action>,
    actor: &Actor,
) -> Result<String, ApiError> {
    let password_change = match K::password_change(&actions) {
        Some(password) => Some(password.map(hash_password).transpose()?),
        None => None,
    };
    let (id, document) = db.write(|conn| {
        let stored = store::find(conn, project_key, K::TYPE_ID.as_str(), locator)?
            .ok_or_else(|| not_found(locator))?;
        if stored.version != version {
            return Err(conflict(&stored.id, version, stored.version));
        }
        let resource: K::Resource = parse(&stored.document)?;
        let mut wanted: Vec<_> = actions.iter().flat_map(K::action_identifiers).collect();
        wanted.extend(K::resource_identifiers(&resource));
        let references = load_references(conn, None, project_key, &wanted)?;
        let now = now();
        let mut applied = apply_all(resource, actions, now, actor.logging(), |resource, action| {
            K::apply(resource, action, &references, &mut new_id)
        })?;
        if applied.resource.version() == version {
            return Ok((stored.id, stored.document));
        }
        K::check_among(conn, project_key, &applied.resource)?;
        let messages =
            number_messages::<K>(conn, project_key, &mut applied.resource, applied.emitted, now, actor)?;
        let row = to_row::<K>(project_key, &applied.resource)?;
        replace_at::<K>(conn, project_key, locator, &row, version, &applied.resource)?;
        K::write_references(conn, &applied.resource)?;
        if let Some(password_hash) = &password_change {
            store::set_customer_password(conn, &stored.id, password_hash.as_deref())?;
        }
        crate::persistence::messages::insert_all(conn, &messages)?;
        Ok((stored.id, row.document))
    })?;
    db.resource_cache().evict(project_key, K::TYPE_ID.as_str(), &id);
    Ok(document)
}

/// Writes the row in place of the resource at `version` (compare-and-set); a write that lost
/// the race is the conflict with the version that won, one the resource's deletion beat is
/// not found where `locator` says.
fn replace_at<K: ResourceKind>(
    conn: &mut Conn,
    project_key: &str,
    locator: &Locator,
    row: &ResourceRow,
    version: i64,
    resource: &K::Resource,
) -> Result<(), ApiError> {
    if store::update(conn, row, version).map_err(|e| duplicate_or::<K>(e, row, resource))? {
        return Ok(());
    }
    let current = store::find(conn, project_key, K::TYPE_ID.as_str(), &Locator::Id(row.id.clone()))?;
    let current = current.ok_or_else(|| not_found(locator))?;
    Err(conflict(&row.id, version, current.version))
}

/// Deletes the resource. With `data_erasure` its Messages go with it (commercetools' erasure of
/// personal data), and none is written for the deletion.
pub fn delete<K: ResourceKind>(
    db: &Database,
    project_key: &str,
    locator: &Locator,
    version: i64,
    data_erasure: bool,
    actor: &Actor,
) -> Result<String, ApiError> {
    let (id, document) = db.write(|conn| {
        let stored = store::find(conn, project_key, K::TYPE_ID.as_str(), locator)?
            .ok_or_else(|| not_found(locator))?;
        if stored.version != version {
            return Err(conflict(&stored.id, version, stored.version));
        }
        let referenced_by = match K::KEPT_WHILE_REFERENCED {
            true => store::referenced_by(conn, &stored.id)?,
            false => None,
        };
        let referenced_by = match referenced_by {
            Some(kind) => Some(kind),
            None => K::referenced_among(conn, project_key, &stored.id)?,
        };
        if let Some(referenced_by) = referenced_by {
            return Err(DomainError::ReferenceExists {
                type_id: K::TYPE_ID.as_str().into(),
                referenced_by: referenced_by.into(),
            }
            .into());
        }
        // A payment (or customer) written since the check above makes the database refuse the
        // deletion; it is reported as a payment's, the usual case.
        store::delete(conn, project_key, &stored.id, version).map_err(|error| {
            if crate::persistence::foreign_key_violation(&error) {
                ApiError::from(DomainError::ReferenceExists {
                    type_id: K::TYPE_ID.as_str().into(),
                    referenced_by: "payment".into(),
                })
            } else {
                error.into()
            }
        })?;
        if data_erasure {
            crate::persistence::messages::delete_for_resource(conn, project_key, &stored.id)?;
        } else {
            let mut resource: K::Resource = parse(&stored.document)?;
            let deleted = K::deleted(&resource).into_iter().map(|m| (version, m)).collect();
            let messages = number_messages::<K>(conn, project_key, &mut resource, deleted, now(), actor)?;
            crate::persistence::messages::insert_all(conn, &messages)?;
        }
        Ok((stored.id, stored.document))
    })?;
    db.resource_cache().evict(project_key, K::TYPE_ID.as_str(), &id);
    Ok(document)
}

/// The Messages a change emitted (with the resource version each belongs to), numbered after
/// the resource's last one, for the change's transaction; the last number is recorded on the
/// resource before it is written.
fn number_messages<K: ResourceKind>(
    conn: &mut Conn,
    project_key: &str,
    resource: &mut K::Resource,
    emitted: Vec<(i64, K::Message)>,
    now: Timestamp,
    actor: &Actor,
) -> Result<Vec<NewMessage>, ApiError> {
    if emitted.is_empty() {
        return Ok(vec![]);
    }
    let before = crate::persistence::messages::last_sequence_number(conn, K::subject(resource).id)?;
    let count = i64::try_from(emitted.len()).map_err(ApiError::internal)?;
    K::record_last_message(resource, before + count);
    let subject = K::subject(resource);
    (before + 1..)
        .zip(&emitted)
        .map(|(number, (resource_version, payload))| {
            envelope(project_key, &subject, number, *resource_version, payload, now, actor)
        })
        .collect()
}

/// `POST /customers/password`: the customer's password replaced if `current_password` is
/// theirs, at `version`; the version rises, CustomerPasswordUpdated is written and the
/// customer's sessions end. The passwords are checked and hashed before the write (the hash is
/// slow by design); the write makes sure the password checked is still the customer's.
pub fn change_customer_password(
    db: &Database,
    project_key: &str,
    change: &CustomerChangePassword,
    actor: &Actor,
) -> Result<String, ApiError> {
    let locator = Locator::Id(change.id.clone());
    let checked = db.read(|conn| Ok::<_, ApiError>(store::customer_password_held(conn, &change.id)?))?;
    if !crate::auth::credentials::verify_password(change.current_password.expose(), checked.as_deref()) {
        return Err(DomainError::InvalidCurrentPassword.into());
    }
    let new_hash = hash_password(change.new_password.expose())?;
    let (id, document) = db.write(|conn| {
        let stored = store::find(conn, project_key, Customers::TYPE_ID.as_str(), &locator)?
            .ok_or_else(|| not_found(&locator))?;
        if stored.version != change.version {
            return Err(conflict(&stored.id, change.version, stored.version));
        }
        if store::customer_password_held(conn, &stored.id)? != checked {
            return Err(DomainError::InvalidCurrentPassword.into());
        }
        let mut customer: Customer = parse(&stored.document)?;
        let now = now();
        let emitted = vec![customer.password_changed(&change.new_password, now, actor.logging())?];
        let messages = number_messages::<Customers>(conn, project_key, &mut customer, emitted, now, actor)?;
        let row = to_row::<Customers>(project_key, &customer)?;
        replace_at::<Customers>(conn, project_key, &locator, &row, change.version, &customer)?;
        store::set_customer_password(conn, &stored.id, Some(&new_hash))?;
        crate::persistence::messages::insert_all(conn, &messages)?;
        Ok((stored.id, row.document))
    })?;
    db.resource_cache().evict(project_key, Customers::TYPE_ID.as_str(), &id);
    Ok(document)
}

/// The body commercetools answers a customer creation with.
pub fn customer_sign_up_result(document: &str) -> Result<String, ApiError> {
    let customer: serde_json::Value = parse(document)?;
    Ok(json!({"customer": customer}).to_string())
}
