//! Newtype ids, so a workspace id is never passed where a document id goes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares a string-backed id type.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps an id string.
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            /// The id as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A prompt's or model's id.
    ///
    /// ```
    /// use rocqet_client::DocId;
    ///
    /// let id = DocId::from("0190e5c2-7d1a-7cc1-9b1e-3f2a1c0d9e8f");
    /// assert_eq!(id.to_string(), id.as_str());
    /// ```
    DocId
);

id_type!(
    /// A workspace's id (routes also take its slug).
    ///
    /// ```
    /// use rocqet_client::WorkspaceId;
    ///
    /// let id: WorkspaceId = serde_json::from_str(r#""0190e5c2-0000-7000-8000-000000000001""#)?;
    /// assert!(id.as_str().starts_with("0190"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    WorkspaceId
);

id_type!(
    /// A user's id.
    ///
    /// ```
    /// use rocqet_client::UserId;
    ///
    /// assert_eq!(UserId::new("u1").as_ref(), "u1");
    /// ```
    UserId
);
