//! Field checks for request bodies, collected into one 422 with every problem.

use rocqet_crdt::FieldError;

use crate::error::ApiError;

/// Default and bounds of a listing's `limit`.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

/// A listing's `limit` parameter: 50 when absent, 400 outside 1..=200.
pub fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::InvalidPayload(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )))
    }
}

/// Problems found so far in one request body.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// Records a problem with `field`.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Requires `min..=max` characters.
    pub fn length(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let len = value.chars().count();
        if len < min || len > max {
            self.fail(field, format!("must be {min} to {max} characters"));
        }
    }

    /// Requires something shaped like an email address (`local@domain`, at most 254 bytes).
    pub fn email(&mut self, field: &str, email: &str) {
        let shaped = email.len() <= 254
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
        if !shaped {
            self.fail(field, "must be an email address");
        }
    }

    /// `Ok` when nothing failed, else 422 `VALIDATION_FAILED` with the details.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}
