//! Values both backends compute in Rust, so they agree byte for byte: the
//! columns derived from the materialised JSON, the `q` pattern and timestamps.

use std::collections::HashSet;

use uuid::Uuid;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use rocqet_crdt::DocKind;
use serde_json::Value;

use super::{PendingUpdate, StoreError};

/// The listing columns derived from a document's materialised JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Derived {
    /// Prompt title or model name.
    pub title: String,
    /// Lowercased title: the `TitleAsc` sort key, compared in byte order on both backends.
    pub title_key: String,
    /// Lowercased title, description, content and field names, matched by `q`.
    pub search_text: String,
    /// Distinct tags in document order.
    pub tags: Vec<String>,
}

impl Derived {
    /// Derives the columns from either JSON shape:
    /// prompt `{kind,title,description,tags,content,variables,settings}` or
    /// model `{kind,name,description,fields:[{name,..}],relations}`.
    /// Missing or mistyped fields count as empty; this never fails.
    pub fn from_materialised(m: &Value) -> Self {
        let title = m
            .get("title")
            .and_then(Value::as_str)
            .or_else(|| m.get("name").and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();

        let mut parts: Vec<&str> = vec![&title];
        if let Some(description) = m.get("description").and_then(Value::as_str) {
            parts.push(description);
        }
        if let Some(content) = m.get("content") {
            string_leaves(content, &mut parts);
        }
        if let Some(fields) = m.get("fields").and_then(Value::as_array) {
            parts.extend(fields.iter().filter_map(|f| f.get("name")?.as_str()));
        }
        let search_text = parts
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase();

        let mut seen = HashSet::new();
        let tags = m
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(Value::as_str)
                    .filter(|t| seen.insert(*t))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();

        Self {
            title_key: title.to_lowercase(),
            title,
            search_text,
            tags,
        }
    }
}

/// Every string inside `v` (content is a string today; tolerate richer shapes).
fn string_leaves<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| string_leaves(i, out)),
        Value::Object(map) => map.values().for_each(|i| string_leaves(i, out)),
        _ => {}
    }
}

/// The `LIKE` pattern for a case-insensitive substring search on `search_text`
/// (which is stored lowercased); `\` is the escape character. `None` for a blank query.
pub(crate) fn like_pattern(q: &str) -> Option<String> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let mut pattern = String::with_capacity(q.len() + 2);
    pattern.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Some(pattern)
}

/// Now, truncated to microseconds: PostgreSQL's precision, so a value reads
/// back exactly as written on both backends (and cursors round-trip).
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The SQLite text form of a timestamp: RFC 3339, UTC, six fractional digits,
/// `Z`. Fixed width, so text order is time order.
pub(crate) fn sqlite_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses the `kind` column.
pub(crate) fn parse_kind(s: &str) -> Result<DocKind, StoreError> {
    s.parse().map_err(|_| {
        StoreError::Database(sqlx::Error::Decode(
            format!("unknown document kind {s:?}").into(),
        ))
    })
}

/// A write-behind batch's document ids, each once, in order of first appearance.
pub(crate) fn distinct_ids(batch: &[PendingUpdate]) -> Vec<Uuid> {
    let mut seen = HashSet::with_capacity(batch.len());
    batch
        .iter()
        .map(|u| u.doc_id.0)
        .filter(|id| seen.insert(*id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn derives_prompt_columns() {
        let d = Derived::from_materialised(&json!({
            "kind": "prompt", "title": "Hello World", "description": "Greets",
            "tags": ["a", "b", "a", 3], "content": "Say HI", "variables": [], "settings": {}
        }));
        assert_eq!(d.title, "Hello World");
        assert_eq!(d.title_key, "hello world");
        assert_eq!(d.search_text, "hello world\ngreets\nsay hi");
        assert_eq!(d.tags, vec!["a".to_owned(), "b".to_owned()]);
    }

    #[test]
    fn derives_model_columns() {
        let d = Derived::from_materialised(&json!({
            "kind": "model", "name": "Customer", "description": "",
            "fields": [{"name": "Email", "type": "string"}, {"type": "int"}], "relations": []
        }));
        assert_eq!(d.title, "Customer");
        assert_eq!(d.search_text, "customer\nemail");
        assert!(d.tags.is_empty());
    }

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(like_pattern("  "), None);
        assert_eq!(like_pattern("50%_A\\").as_deref(), Some("%50\\%\\_a\\\\%"));
    }

    #[test]
    fn sqlite_timestamps_are_fixed_width() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).expect("valid");
        assert_eq!(sqlite_ts(t), "2023-11-14T22:13:20.000000Z");
    }
}
