//! The Project as commercetools describes it. This service has no project settings of its own:
//! a project exists through its API clients, and it restricts no currency, country or language,
//! so those lists are empty and the other settings are commercetools' defaults.

use crate::domain::common::Timestamp;
use crate::error::ApiError;
use crate::persistence::{clients, Database};
use serde_json::json;

/// The Project document; `createdAt` is when its first API client was created.
pub fn get(db: &Database, project_key: &str) -> Result<String, ApiError> {
    let first_client = db.read(|conn| Ok::<_, ApiError>(clients::list(conn, project_key, 1, 0)?))?;
    let created_at = first_client
        .first()
        .and_then(|client| chrono::DateTime::from_timestamp_millis(client.created_at))
        .unwrap_or_default();
    let project = json!({
        "version": 1,
        "key": project_key,
        "name": project_key,
        "countries": [],
        "currencies": [],
        "languages": [],
        "createdAt": Timestamp::from_datetime(created_at).to_string(),
        "messages": {"enabled": true},
        "carts": {"deleteDaysAfterLastModification": 90, "countryTaxRateFallbackEnabled": false},
        "inventory": {"releaseExpiredReservations": false},
        "discounts": {"discountCombinationMode": "Stacking"},
    });
    Ok(project.to_string())
}

/// Whether the project exists: it has an API client, or payments (its clients may all have
/// been deleted while events about its money still come).
pub fn exists(db: &Database, project_key: &str) -> Result<bool, ApiError> {
    db.read(|conn| {
        if !clients::list(conn, project_key, 1, 0)?.is_empty() {
            return Ok(true);
        }
        Ok(crate::persistence::payments::any_in_project(conn, project_key)?)
    })
}
