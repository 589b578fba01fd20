//! Collects every schema violation of a patch before anything is written.

use crate::error::{CrdtError, FieldError};
use crate::kind::DocKind;
use serde_json::{Map as JsonMap, Value};

/// Accumulates field errors so one answer lists every problem at once.
#[derive(Default)]
pub(crate) struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    /// Records an error at `path`.
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(path, message));
    }

    /// `Ok(value)` when no error was recorded, the whole list otherwise.
    pub fn finish<T>(self, value: T) -> Result<T, CrdtError> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(CrdtError::Validation(self.errors))
        }
    }

    /// The recorded errors, for when parsing cannot go on.
    pub fn into_error(self) -> CrdtError {
        CrdtError::Validation(self.errors)
    }

    /// The value as a string.
    pub fn string(&mut self, path: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => self.fail(path, "expected a string"),
        }
    }

    /// The value as a string that is not empty (after trimming whitespace).
    pub fn non_empty(&mut self, path: &str, v: &Value) -> Option<String> {
        let s = self.string(path, v)?;
        if s.trim().is_empty() {
            return self.fail(path, "must not be empty");
        }
        Some(s)
    }

    /// The value as a bool.
    pub fn boolean(&mut self, path: &str, v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            _ => self.fail(path, "expected a boolean"),
        }
    }

    /// The value as an array.
    pub fn array<'v>(&mut self, path: &str, v: &'v Value) -> Option<&'v [Value]> {
        match v {
            Value::Array(items) => Some(items),
            _ => self.fail(path, "expected an array"),
        }
    }

    /// The value as an array of strings; each bad item is reported by index.
    pub fn strings(&mut self, path: &str, v: &Value) -> Option<Vec<String>> {
        let items = self.array(path, v)?;
        let before = self.errors.len();
        let out: Vec<String> = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.string(&index_path(path, i), item))
            .collect();
        (self.errors.len() == before).then_some(out)
    }

    /// The value as a string from `allowed`.
    pub fn one_of(&mut self, path: &str, v: &Value, allowed: &[&str]) -> Option<String> {
        let s = self.string(path, v)?;
        if !allowed.contains(&s.as_str()) {
            return self.fail(path, format!("must be one of: {}", allowed.join(", ")));
        }
        Some(s)
    }

    /// The value as an object with any keys.
    pub fn any_object<'v>(
        &mut self,
        path: &str,
        v: &'v Value,
    ) -> Option<&'v JsonMap<String, Value>> {
        match v {
            Value::Object(obj) => Some(obj),
            _ => self.fail(path, "expected an object"),
        }
    }

    /// The value as an object whose keys are all in `allowed`.
    pub fn object<'v>(
        &mut self,
        path: &str,
        v: &'v Value,
        allowed: &[&str],
    ) -> Option<&'v JsonMap<String, Value>> {
        let obj = self.any_object(path, v)?;
        for key in obj.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.error(&key_path(path, key), "unknown field");
        }
        Some(obj)
    }

    /// The patch root: an object with only `allowed` keys and a matching `kind`, if any.
    pub fn patch_root<'v>(
        &mut self,
        patch: &'v Value,
        kind: DocKind,
        allowed: &[&str],
    ) -> Option<&'v JsonMap<String, Value>> {
        let obj = self.object("", patch, allowed)?;
        if obj
            .get("kind")
            .is_some_and(|k| k.as_str() != Some(kind.as_str()))
        {
            self.error(
                "kind",
                format!("must be \"{}\" for this document", kind.as_str()),
            );
        }
        Some(obj)
    }

    fn fail<T>(&mut self, path: &str, message: impl Into<String>) -> Option<T> {
        self.error(path, message);
        None
    }
}

/// `parent.key`, or `parent["key"]` when the key is not identifier-like.
pub(crate) fn key_path(parent: &str, key: &str) -> String {
    let plain = key
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", Value::from(key)),
    }
}

/// `parent[i]`.
pub(crate) fn index_path(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_read_like_json_access() {
        assert_eq!(key_path("", "title"), "title");
        assert_eq!(key_path(&index_path("fields", 2), "type"), "fields[2].type");
        assert_eq!(
            key_path("settings", "max tokens"),
            "settings[\"max tokens\"]"
        );
    }

    #[test]
    fn reports_every_bad_item() {
        let mut c = Checker::default();
        assert_eq!(c.strings("tags", &json!(["a", 1, "b", null])), None);
        let Err(CrdtError::Validation(errors)) = c.finish(()) else {
            panic!()
        };
        let paths: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(paths, ["tags[1]", "tags[3]"]);
    }
}
