//! The two kinds of documents the hub stores.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which schema a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// An LLM prompt template.
    Prompt,
    /// A data model.
    Model,
}

impl DocKind {
    /// Every kind, for exhaustive iteration in tests and routers.
    pub const ALL: [DocKind; 2] = [DocKind::Prompt, DocKind::Model];

    /// The singular name used in JSON bodies: `"prompt"` or `"model"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Prompt => "prompt",
            DocKind::Model => "model",
        }
    }

    /// Parses the plural URL segment: `"prompts"` or `"models"`.
    pub fn from_plural(s: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.plural() == s)
    }

    /// The plural URL segment: `"prompts"` or `"models"`.
    pub fn plural(self) -> &'static str {
        match self {
            DocKind::Prompt => "prompts",
            DocKind::Model => "models",
        }
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string was neither `"prompt"` nor `"model"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown document kind `{0}` (expected `prompt` or `model`)")]
pub struct UnknownKind(pub String);

impl FromStr for DocKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in DocKind::ALL {
            assert_eq!(kind.as_str().parse::<DocKind>().unwrap(), kind);
            assert_eq!(DocKind::from_plural(kind.plural()), Some(kind));
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
            assert_eq!(serde_json::from_value::<DocKind>(json).unwrap(), kind);
        }
    }

    #[test]
    fn rejects_unknown_names() {
        assert!("prompts".parse::<DocKind>().is_err());
        assert_eq!(DocKind::from_plural("prompt"), None);
        assert_eq!(DocKind::from_plural("Models"), None);
    }
}
