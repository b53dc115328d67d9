//! The versioning rule every resource follows, kept in one place: a request's update actions
//! apply in order, all or none; each action that changes the resource raises its version by
//! one; an action that changes nothing raises nothing and emits nothing.

use super::common::{ClientLogging, Timestamp};
use super::errors::DomainError;

/// commercetools refuses requests with more update actions than this.
pub const MAX_ACTIONS_PER_REQUEST: usize = 500;

/// An update request: the actions, and the version the client last saw.
#[derive(Debug, serde::Deserialize)]
pub struct UpdateRequest<A> {
    pub version: i64,
    pub actions: Vec<A>,
}

impl<A> UpdateRequest<A> {
    /// The request if it is within the action limit, which is checked before anything is read
    /// (so a request over it is refused whatever its version).
    pub fn within_limits(self) -> Result<Self, DomainError> {
        check_action_count(self.actions.len())?;
        Ok(self)
    }
}

/// The words are those commercetools answers with.
fn check_action_count(count: usize) -> Result<(), DomainError> {
    if count > MAX_ACTIONS_PER_REQUEST {
        return Err(DomainError::InvalidInput(format!(
            "The update actions count of {count} exceeds the limit of {MAX_ACTIONS_PER_REQUEST}."
        )));
    }
    Ok(())
}

/// A resource whose changes are counted by its version.
pub trait Versioned: Clone + PartialEq {
    fn version(&self) -> i64;
    fn set_version(&mut self, version: i64);
    /// Records when and by whom the resource was last changed.
    fn touch(&mut self, now: Timestamp, actor: Option<ClientLogging>);
}

/// The outcome of a request's actions: the resource and what each changing action emitted,
/// with the version it produced.
pub struct Applied<R, M> {
    pub resource: R,
    pub emitted: Vec<(i64, M)>,
}

/// Applies `actions` with `apply`, following the versioning rule.
pub fn apply_all<R: Versioned, A, M>(
    mut resource: R,
    actions: Vec<A>,
    now: Timestamp,
    actor: Option<ClientLogging>,
    mut apply: impl FnMut(&mut R, A) -> Result<Vec<M>, DomainError>,
) -> Result<Applied<R, M>, DomainError> {
    check_action_count(actions.len())?;
    let original_version = resource.version();
    let mut emitted = Vec::new();
    for action in actions {
        let before = resource.clone();
        let messages = apply(&mut resource, action)?;
        if resource != before {
            let version = resource.version() + 1;
            resource.set_version(version);
            emitted.extend(messages.into_iter().map(|message| (version, message)));
        }
    }
    if resource.version() != original_version {
        resource.touch(now, actor);
    }
    Ok(Applied { resource, emitted })
}

/// Implements [`Versioned`] for resources with `version`, `last_modified_at` and
/// `last_modified_by` fields.
macro_rules! versioned_resource {
    ($($resource:ty),* $(,)?) => {
        $(
            impl $crate::domain::versioning::Versioned for $resource {
                fn version(&self) -> i64 {
                    self.version
                }

                fn set_version(&mut self, version: i64) {
                    self.version = version;
                }

                fn touch(
                    &mut self,
                    now: $crate::domain::common::Timestamp,
                    actor: Option<$crate::domain::common::ClientLogging>,
                ) {
                    self.last_modified_at = now;
                    self.last_modified_by = actor;
                }
            }
        )*
    };
}

versioned_resource!(
    super::payment::Payment,
    super::types::Type,
    super::states::State,
    super::customers::Customer
);
