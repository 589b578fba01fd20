//! Field checks for request bodies, collected into one 422 with every problem.

use rocqet_crdt::FieldError;

use crate::error::ApiError;

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

    /// `Ok` when nothing failed, else 422 `VALIDATION_FAILED` with the details.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}
