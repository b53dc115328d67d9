//! States: workflows for payments (and other resources), with the transition rules that
//! `transitionState` follows.

use super::common::{
    ClientLogging, IdOrKey, LocalizedString, Reference, ReferenceTypeId, ResourceKey, StateIdentifier,
    Timestamp,
};
use super::context::References;
use super::errors::DomainError;
use crate::domain::update_actions::update_actions;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateType {
    OrderState,
    LineItemState,
    ProductState,
    ReviewState,
    PaymentState,
    QuoteRequestState,
    StagedQuoteState,
    QuoteState,
    RecurringOrderState,
}

/// What a State is used for besides its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum StateRole {
    Return,
    ReviewIncludedInStatistics,
}

impl StateRole {
    fn as_str(self) -> &'static str {
        match self {
            Self::Return => "Return",
            Self::ReviewIncludedInStatistics => "ReviewIncludedInStatistics",
        }
    }
}

/// Roles as stored (text, so that stored documents always read back).
fn role_names(roles: &[StateRole]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for role in roles {
        if !names.iter().any(|n| n == role.as_str()) {
            names.push(role.as_str().to_owned());
        }
    }
    names
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub id: String,
    pub version: i64,
    pub key: ResourceKey,
    #[serde(rename = "type")]
    pub state_type: StateType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<LocalizedString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalizedString>,
    pub initial: bool,
    pub built_in: bool,
    pub roles: Vec<String>,
    /// Absent: any transition is allowed; empty: none (a final state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<Vec<Reference>>,
    pub created_at: Timestamp,
    pub last_modified_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<ClientLogging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<ClientLogging>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateDraft {
    pub key: ResourceKey,
    #[serde(rename = "type")]
    pub state_type: StateType,
    pub name: Option<LocalizedString>,
    pub description: Option<LocalizedString>,
    pub initial: Option<bool>,
    pub roles: Option<Vec<StateRole>>,
    pub transitions: Option<Vec<StateIdentifier>>,
}

impl StateDraft {
    pub fn identifiers(&self) -> Vec<(ReferenceTypeId, IdOrKey)> {
        self.transitions.iter().flatten().map(StateIdentifier::named).collect()
    }
}

/// The transitions as references, each to a State of the same type (as commercetools asks).
fn resolve_transitions(
    transitions: Option<&Vec<StateIdentifier>>,
    state_type: StateType,
    references: &dyn References,
) -> Result<Option<Vec<Reference>>, DomainError> {
    let resolve = |transition: &StateIdentifier| {
        let target = transition.resolve(references)?;
        references.check_state_type(&target, state_type)?;
        Ok(target)
    };
    transitions.map(|list| list.iter().map(resolve).collect()).transpose()
}

impl State {
    pub fn create(
        id: String,
        draft: StateDraft,
        references: &dyn References,
        now: Timestamp,
        actor: Option<ClientLogging>,
    ) -> Result<State, DomainError> {
        Ok(State {
            id,
            version: 1,
            key: draft.key,
            state_type: draft.state_type,
            name: draft.name,
            description: draft.description,
            initial: draft.initial.unwrap_or(true),
            built_in: false,
            roles: role_names(&draft.roles.unwrap_or_default()),
            transitions: resolve_transitions(draft.transitions.as_ref(), draft.state_type, references)?,
            created_at: now,
            last_modified_at: now,
            created_by: actor.clone(),
            last_modified_by: actor,
        })
    }
}

/// Payments are only in states of the PaymentState type, and a State's transitions lead to
/// States of its own type.
pub fn check_state_type(state: &State, expected: StateType) -> Result<(), DomainError> {
    if state.state_type != expected {
        return Err(DomainError::InvalidOperation(format!(
            "The state '{}' is not a {expected:?}.",
            state.key.as_str()
        )));
    }
    Ok(())
}

/// The PaymentState workflow: from no state only to an initial one; from a state with
/// transitions only to one of them.
pub fn check_payment_transition(current: Option<&State>, target: &State) -> Result<(), DomainError> {
    check_state_type(target, StateType::PaymentState)?;
    match current {
        None if !target.initial => Err(DomainError::InvalidOperation(format!(
            "The payment has no state yet, so the new state must be initial, and '{}' is not.",
            target.key.as_str()
        ))),
        Some(current) => match &current.transitions {
            Some(allowed) if !allowed.iter().any(|t| t.id == target.id) => {
                Err(DomainError::InvalidOperation(format!(
                    "A transition from state '{}' to state '{}' is not allowed.",
                    current.key.as_str(),
                    target.key.as_str()
                )))
            }
            _ => Ok(()),
        },
        None => Ok(()),
    }
}

update_actions! {
    pub enum StateUpdateAction / NamedStateUpdateAction {
        ChangeKey {
            key: ResourceKey,
        },
        SetName {
            name: Option<LocalizedString>,
        },
        SetDescription {
            description: Option<LocalizedString>,
        },
        ChangeInitial {
            initial: bool,
        },
        SetTransitions {
            transitions: Option<Vec<StateIdentifier>>,
        },
        SetRoles {
            roles: Vec<StateRole>,
        },
        AddRoles {
            roles: Vec<StateRole>,
        },
        RemoveRoles {
            roles: Vec<StateRole>,
        },
        ChangeType {
            #[serde(rename = "type")]
            state_type: StateType,
        },
    }
}

impl StateUpdateAction {
    pub fn identifiers(&self) -> Vec<(ReferenceTypeId, IdOrKey)> {
        match self {
            Self::SetTransitions { transitions } => {
                transitions.iter().flatten().map(StateIdentifier::named).collect()
            }
            _ => vec![],
        }
    }
}

pub fn apply(
    state: &mut State,
    action: StateUpdateAction,
    references: &dyn References,
) -> Result<(), DomainError> {
    use StateUpdateAction as A;
    match action {
        A::ChangeKey { key } => state.key = key,
        A::SetName { name } => state.name = name.filter(|n| !n.is_empty()),
        A::SetDescription { description } => state.description = description.filter(|d| !d.is_empty()),
        A::ChangeInitial { initial } => state.initial = initial,
        A::SetRoles { roles } => state.roles = role_names(&roles),
        A::AddRoles { roles } => {
            for role in role_names(&roles) {
                if !state.roles.contains(&role) {
                    state.roles.push(role);
                }
            }
        }
        A::RemoveRoles { roles } => {
            let removed = role_names(&roles);
            state.roles.retain(|r| !removed.contains(r));
        }
        A::ChangeType { state_type } => state.state_type = state_type,
        A::SetTransitions { transitions } => {
            let transitions = resolve_transitions(transitions.as_ref(), state.state_type, references)?;
            if transitions == state.transitions {
                return Err(DomainError::InvalidOperation("The state already has these transitions.".into()));
            }
            state.transitions = transitions;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::context::UncheckedReferences;
    use serde_json::json;

    fn state(key: &str, initial: bool, transitions: Option<Vec<&str>>) -> State {
        let draft: StateDraft = serde_json::from_value(json!({
            "key": key, "type": "PaymentState", "initial": initial,
            "transitions": transitions.map(|t| t.iter().map(|id| json!({"typeId": "state", "id": id})).collect::<Vec<_>>())
        }))
        .unwrap();
        State::create(
            key.into(),
            draft,
            &UncheckedReferences,
            Timestamp::parse("2024-01-01T00:00:00Z").unwrap(),
            None,
        )
        .unwrap()
    }

    #[test]
    fn initial_defaults_to_true_and_absent_transitions_allow_anything() {
        let draft: StateDraft =
            serde_json::from_value(json!({"key": "open", "type": "PaymentState"})).unwrap();
        let open = State::create(
            "s".into(),
            draft,
            &UncheckedReferences,
            Timestamp::parse("2024-01-01T00:00:00Z").unwrap(),
            None,
        )
        .unwrap();
        assert!(open.initial);
        assert_eq!(open.transitions, None);
        assert!(check_payment_transition(Some(&open), &state("any", false, None)).is_ok());
    }

    #[test]
    fn the_payment_workflow_rules() {
        let open = state("open", true, Some(vec!["paid"]));
        let paid = state("paid", false, Some(vec![]));
        let refunded = state("refunded", false, None);
        assert!(check_payment_transition(None, &open).is_ok());
        assert!(check_payment_transition(None, &paid).is_err(), "a first state must be initial");
        assert!(check_payment_transition(Some(&open), &paid).is_ok());
        assert!(check_payment_transition(Some(&open), &refunded).is_err(), "not among the transitions");
        assert!(check_payment_transition(Some(&paid), &refunded).is_err(), "a final state");
        let mut order_state = state("order", true, None);
        order_state.state_type = StateType::OrderState;
        assert!(check_payment_transition(None, &order_state).is_err());
    }

    #[test]
    fn transitions_lead_to_states_of_the_same_type() {
        let paid = state("paid", false, None);
        let mut shipped = state("shipped", false, None);
        shipped.state_type = StateType::OrderState;
        let references =
            crate::domain::references::LoadedReferences { states: vec![paid, shipped], ..Default::default() };
        let mut open = state("open", true, None);
        let to = |id: &str| {
            serde_json::from_value(
                json!({"action": "setTransitions", "transitions": [{"typeId": "state", "id": id}]}),
            )
            .unwrap()
        };
        assert!(matches!(
            apply(&mut open, to("shipped"), &references),
            Err(DomainError::InvalidOperation(_))
        ));
        apply(&mut open, to("paid"), &references).unwrap();
        let draft: StateDraft = serde_json::from_value(
            json!({"key": "new", "type": "PaymentState", "transitions": [{"typeId": "state", "key": "shipped"}]}),
        )
        .unwrap();
        let now = Timestamp::parse("2024-01-01T00:00:00Z").unwrap();
        assert!(State::create("x".into(), draft, &references, now, None).is_err());
    }

    #[test]
    fn set_transitions_to_the_same_value_is_refused() {
        let mut open = state("open", true, Some(vec!["paid"]));
        let same = serde_json::from_value(
            json!({"action": "setTransitions", "transitions": [{"typeId": "state", "id": "paid"}]}),
        )
        .unwrap();
        assert!(apply(&mut open, same, &UncheckedReferences).is_err());
        let none = serde_json::from_value(json!({"action": "setTransitions"})).unwrap();
        apply(&mut open, none, &UncheckedReferences).unwrap();
        assert_eq!(open.transitions, None);
    }

    #[test]
    fn roles_are_the_documented_ones_and_are_added_and_removed() {
        let mut open = state("open", true, None);
        let act = |open: &mut State, action: serde_json::Value| {
            apply(open, serde_json::from_value(action).unwrap(), &UncheckedReferences).unwrap()
        };
        act(&mut open, json!({"action": "addRoles", "roles": ["Return", "Return"]}));
        act(&mut open, json!({"action": "addRoles", "roles": ["ReviewIncludedInStatistics", "Return"]}));
        assert_eq!(open.roles, vec!["Return", "ReviewIncludedInStatistics"]);
        act(&mut open, json!({"action": "removeRoles", "roles": ["Return"]}));
        assert_eq!(open.roles, vec!["ReviewIncludedInStatistics"]);
        act(&mut open, json!({"action": "changeType", "type": "RecurringOrderState"}));
        assert_eq!(open.state_type, StateType::RecurringOrderState);
        assert!(serde_json::from_value::<StateUpdateAction>(
            json!({"action": "addRoles", "roles": ["Nope"]})
        )
        .is_err());
        assert!(serde_json::from_value::<StateDraft>(
            json!({"key": "kk", "type": "PaymentState", "roles": ["Nope"]})
        )
        .is_err());
    }
}
