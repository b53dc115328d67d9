//! Receiving provider webhooks: the signature is checked on the raw bytes, the event stored
//! once per id (the inbox) and only then acknowledged. Applying it is the executor's job.

use super::now;
use crate::auth::credentials::Secret;
use crate::error::ApiError;
use crate::persistence::psp::{self as store, EventRow};
use crate::persistence::Database;
use crate::psp::{signature, stripe_events};

/// Stores a correctly signed event; returns its id when it was not received before.
pub fn receive(
    db: &Database,
    project_key: &str,
    secrets: &[Secret],
    signature_header: Option<&str>,
    body: &[u8],
) -> Result<Option<String>, ApiError> {
    let now = now();
    signature::verify(signature_header, body, secrets, now.millis() / 1000).map_err(|error| {
        // Seen at Stripe as failed deliveries too; logged here for a wrong secret or a forger.
        log::warn!("a Stripe webhook for project {project_key} was refused: {error}");
        ApiError::invalid_input(error.to_string())
    })?;
    // A webhook endpoint set up with a wrong project key fails at Stripe, where it shows,
    // rather than storing events no payment will ever match.
    if !super::projects::exists(db, project_key)? {
        return Err(ApiError::ResourceNotFound(format!("The project '{project_key}' does not exist.")));
    }
    let (event_id, event_type) = stripe_events::identify(body)
        .filter(|(id, _)| !id.is_empty())
        .ok_or_else(|| ApiError::invalid_json("The body is not a Stripe event (with an id)."))?;
    let payload =
        String::from_utf8(body.to_vec()).map_err(|_| ApiError::invalid_json("The body is not UTF-8."))?;
    let row = EventRow {
        event_id: event_id.clone(),
        project_key: project_key.to_owned(),
        event_type,
        payload,
        received_at: now.millis(),
        processed: false,
        attempts: 0,
        next_attempt_at: now.millis(),
    };
    let new = db.write(|conn| Ok::<_, ApiError>(store::store_event(conn, &row)?))?;
    Ok(new.then_some(event_id))
}
