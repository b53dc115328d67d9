//! Units of work: each public function is one database transaction around the pure domain.
//! Functions are blocking; the HTTP layer runs them on actix's blocking pool.

pub mod auth;
pub mod payments;

use crate::domain::common::{ClientLogging, Timestamp};

/// Who is making a request, for `createdBy`/`lastModifiedBy` and Messages.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub client_id: Option<String>,
    pub external_user_id: Option<String>,
}

impl Actor {
    fn logging(&self) -> Option<ClientLogging> {
        if self.client_id.is_none() && self.external_user_id.is_none() {
            return None;
        }
        Some(ClientLogging {
            client_id: self.client_id.clone(),
            external_user_id: self.external_user_id.clone(),
            anonymous_id: None,
        })
    }
}

fn now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
