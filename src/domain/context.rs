//! What a change needs from outside the aggregate, handed in so that the aggregate stays pure:
//! the time, fresh ids, who acts, and the resources it references.

use super::common::{
    ClientLogging, CustomFields, IdOrKey, Reference, ReferenceKind, ReferenceTypeId, ResourceIdentifier,
    Timestamp,
};
use super::errors::DomainError;
use super::states::StateType;

/// The resource types a custom Type can extend here: a Payment and its parts, and a Customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomizedResource {
    Payment,
    Transaction,
    InterfaceInteraction,
    PaymentMethodInfo,
    Customer,
}

impl CustomizedResource {
    pub fn resource_type_id(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Transaction => "transaction",
            Self::InterfaceInteraction => "payment-interface-interaction",
            Self::PaymentMethodInfo => "payment-method-info",
            Self::Customer => "customer",
        }
    }
}

/// Resolves references and checks custom fields. The service prepares an implementation from
/// the database before a change is applied; the aggregate only reads from it.
pub trait References {
    fn resolve(&self, type_id: ReferenceTypeId, target: &IdOrKey) -> Result<Reference, DomainError>;

    /// Checks the values against their Type and brings them to their stored form.
    fn check_custom_fields(
        &self,
        resource: CustomizedResource,
        custom: &mut CustomFields,
    ) -> Result<(), DomainError>;

    /// Drops the values of fields their Type no longer defines: commercetools deletes them when
    /// a field definition is removed, and they must not block the next change.
    fn prune_custom_fields(&self, custom: &mut CustomFields);

    /// Checks that the state is of the type (a payment's is a PaymentState; a State's
    /// transitions lead to States of its own type).
    fn check_state_type(&self, target: &Reference, expected: StateType) -> Result<(), DomainError>;

    /// Checks the PaymentState workflow (initial state, allowed transitions); not called when forced.
    fn check_state_transition(
        &self,
        current: Option<&Reference>,
        target: &Reference,
    ) -> Result<(), DomainError>;
}

/// Checks what can be checked without other resources: that an id is given. Keys cannot be
/// resolved without the referenced resource, so they are reported as not found.
pub struct UncheckedReferences;

impl References for UncheckedReferences {
    fn resolve(&self, type_id: ReferenceTypeId, target: &IdOrKey) -> Result<Reference, DomainError> {
        match target {
            IdOrKey::Id(id) => Ok(Reference { type_id: type_id.as_str().to_owned(), id: id.clone() }),
            IdOrKey::Key(_) => Err(DomainError::ReferencedResourceNotFound {
                type_id: type_id.as_str().to_owned(),
                target: target.clone(),
            }),
        }
    }

    fn check_custom_fields(&self, _: CustomizedResource, _: &mut CustomFields) -> Result<(), DomainError> {
        Ok(())
    }

    fn prune_custom_fields(&self, _: &mut CustomFields) {}

    fn check_state_type(&self, _: &Reference, _: StateType) -> Result<(), DomainError> {
        Ok(())
    }

    fn check_state_transition(&self, _: Option<&Reference>, _: &Reference) -> Result<(), DomainError> {
        Ok(())
    }
}

impl<K: ReferenceKind> ResourceIdentifier<K> {
    /// The reference to the resource named, if it exists.
    pub fn resolve(&self, references: &dyn References) -> Result<Reference, DomainError> {
        references.resolve(K::TYPE_ID, &self.target)
    }
}

/// Everything one request's change needs besides the aggregate and the actions.
pub struct ChangeContext<'a> {
    pub now: Timestamp,
    pub actor: Option<ClientLogging>,
    pub references: &'a dyn References,
    pub new_id: &'a mut dyn FnMut() -> String,
}
