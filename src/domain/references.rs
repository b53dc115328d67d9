//! The referenced resources a change needs, loaded by the service before the change is
//! applied, so that resolving and checking them stays pure.

use super::common::{CustomFields, IdOrKey, Reference, ReferenceTypeId};
use super::context::{CustomizedResource, References};
use super::errors::DomainError;
use super::states::{check_payment_transition, check_state_type, State, StateType};
use super::types::Type;

/// A resource known to exist: its id and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub id: String,
    pub key: Option<String>,
}

impl Known {
    fn is(&self, target: &IdOrKey) -> bool {
        match target {
            IdOrKey::Id(id) => self.id == *id,
            IdOrKey::Key(key) => self.key.as_deref() == Some(key.as_str()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoadedReferences {
    pub customers: Vec<Known>,
    pub states: Vec<State>,
    pub types: Vec<Type>,
}

fn not_found(type_id: ReferenceTypeId, target: IdOrKey) -> DomainError {
    DomainError::ReferencedResourceNotFound { type_id: type_id.as_str().to_owned(), target }
}

impl LoadedReferences {
    fn state(&self, id: &str) -> Result<&State, DomainError> {
        self.states
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| not_found(ReferenceTypeId::State, IdOrKey::Id(id.into())))
    }
}

impl References for LoadedReferences {
    fn resolve(&self, type_id: ReferenceTypeId, target: &IdOrKey) -> Result<Reference, DomainError> {
        let id = match type_id {
            ReferenceTypeId::Customer => self.customers.iter().find(|c| c.is(target)).map(|c| c.id.clone()),
            ReferenceTypeId::State => self
                .states
                .iter()
                .find(|s| Known { id: s.id.clone(), key: Some(s.key.as_str().to_owned()) }.is(target))
                .map(|s| s.id.clone()),
            ReferenceTypeId::Type => self
                .types
                .iter()
                .find(|t| Known { id: t.id.clone(), key: Some(t.key.as_str().to_owned()) }.is(target))
                .map(|t| t.id.clone()),
        };
        id.map(|id| Reference { type_id: type_id.as_str().to_owned(), id })
            .ok_or_else(|| not_found(type_id, target.clone()))
    }

    fn check_custom_fields(
        &self,
        resource: CustomizedResource,
        custom: &mut CustomFields,
    ) -> Result<(), DomainError> {
        let custom_type = self
            .types
            .iter()
            .find(|t| t.id == custom.type_ref.id)
            .ok_or_else(|| not_found(ReferenceTypeId::Type, IdOrKey::Id(custom.type_ref.id.clone())))?;
        custom_type.check(resource, custom)
    }

    fn prune_custom_fields(&self, custom: &mut CustomFields) {
        if let Some(custom_type) = self.types.iter().find(|t| t.id == custom.type_ref.id) {
            custom.fields.retain(|name, _| custom_type.defines(name));
        }
    }

    fn check_state_type(&self, target: &Reference, expected: StateType) -> Result<(), DomainError> {
        check_state_type(self.state(&target.id)?, expected)
    }

    fn check_state_transition(
        &self,
        current: Option<&Reference>,
        target: &Reference,
    ) -> Result<(), DomainError> {
        // A current state that no longer exists restricts nothing.
        let current = current.and_then(|c| self.state(&c.id).ok());
        check_payment_transition(current, self.state(&target.id)?)
    }
}
