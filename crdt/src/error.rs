//! The crate's one error type.

use serde::Serialize;

/// Everything that can go wrong in `rocqet-crdt`.
#[derive(Debug, thiserror::Error)]
pub enum CrdtError {
    /// The patch JSON is well-formed but breaks the schema; one entry per bad field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Bytes from the wire could not be decoded.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// An update could not be applied to the document.
    #[error("update rejected: {0}")]
    Update(String),
}

/// One rejected field of a patch: `field` is a JSON path like `fields[2].type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON path of the offending value (`""` is the patch itself).
    pub field: String,
    /// What is wrong with it, for humans.
    pub message: String,
}

impl FieldError {
    /// Builds a field error from a path and a message.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<yrs::encoding::read::Error> for CrdtError {
    fn from(e: yrs::encoding::read::Error) -> Self {
        CrdtError::Malformed(e.to_string())
    }
}
