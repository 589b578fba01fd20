//! Values both backends compute in Rust, so they agree byte for byte: the
//! columns derived from the materialised JSON, how `q` is split into words, and timestamps.

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

impl Derived {
    /// The distinct words of `search_text` (see [`words`]) that are indexed
    /// (PostgreSQL's `search_tsv`), first occurrence first, each at most
    /// [`MAX_WORD_BYTES`] long and together at most [`MAX_INDEXED_BYTES`].
    pub fn search_words(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut total = 0;
        words(&self.search_text)
            .filter(|w| w.len() <= MAX_WORD_BYTES)
            .filter(|w| seen.insert(*w))
            .take_while(|w| {
                total += w.len() + 8;
                total <= MAX_INDEXED_BYTES
            })
            .map(str::to_owned)
            .collect()
    }
}

/// Longest searchable word in bytes: longer runs (encoded blobs, hashes)
/// are not indexed, and a query naming one matches nothing. Far below
/// PostgreSQL's 2 KiB lexeme limit.
pub(crate) const MAX_WORD_BYTES: usize = 256;
/// Index budget per document: PostgreSQL refuses a `tsvector` over 1 MiB;
/// a document with more distinct words only has its first ones indexed.
pub(crate) const MAX_INDEXED_BYTES: usize = 512 * 1024;
/// Words of `q` that are searched; later ones are ignored.
pub(crate) const MAX_QUERY_TERMS: usize = 32;

/// The words of `text`: maximal runs of alphanumeric characters. Everything
/// else (punctuation, `{{`, `_`, `%`, quotes, operators) only separates words.
/// Both backends split documents and queries along these same lines, so a
/// word found on one is found on the other.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// What the listing's `q` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Search {
    /// No `q`, or a blank one: no filter.
    All,
    /// A `q` that can match no document (no word in it, or an unindexed word).
    Nothing,
    /// Documents having every word, the last one as a prefix (search as you type).
    Words(Vec<String>),
}

impl Search {
    /// Parses `q`: lowercased [`words`], at most [`MAX_QUERY_TERMS`].
    pub fn parse(q: Option<&str>) -> Self {
        let Some(q) = q.filter(|q| !q.trim().is_empty()) else {
            return Search::All;
        };
        let terms: Vec<String> = words(q)
            .take(MAX_QUERY_TERMS)
            .map(str::to_lowercase)
            .collect();
        if terms.is_empty() || terms.iter().any(|t| t.len() > MAX_WORD_BYTES) {
            Search::Nothing
        } else {
            Search::Words(terms)
        }
    }
}

/// A PostgreSQL `tsquery` literal (cast with `::tsquery`, which takes each
/// quoted lexeme as is): `'a' & 'b':*`. Quotes and backslashes are escaped,
/// so user text can never become `tsquery` syntax.
pub(crate) fn tsquery(terms: &[String]) -> String {
    join_terms(
        terms,
        " & ",
        |t| format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''")),
        ":*",
    )
}

/// An SQLite FTS5 query: every term a quoted string (`"` doubled), so FTS5
/// operators in user text (`AND`, `NEAR(`, `*`, `-`, `^`, `:`) are plain
/// words; juxtaposed strings are ANDed; `*` after the last makes it a prefix.
pub(crate) fn fts5_query(terms: &[String]) -> String {
    join_terms(
        terms,
        " ",
        |t| format!("\"{}\"", t.replace('"', "\"\"")),
        "*",
    )
}

fn join_terms(
    terms: &[String],
    separator: &str,
    quote: impl Fn(&str) -> String,
    prefix: &str,
) -> String {
    let mut out = terms
        .iter()
        .map(|t| quote(t))
        .collect::<Vec<_>>()
        .join(separator);
    if !terms.is_empty() {
        out.push_str(prefix);
    }
    out
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
    fn search_splits_on_anything_but_letters_and_digits() {
        assert_eq!(Search::parse(None), Search::All);
        assert_eq!(Search::parse(Some("  \t")), Search::All);
        for nothing in ["\"", "*", "-", "%", "_", "()", "'", "\\", "^:"] {
            assert_eq!(Search::parse(Some(nothing)), Search::Nothing, "{nothing:?}");
        }
        let words = |q| match Search::parse(Some(q)) {
            Search::Words(w) => w,
            other => panic!("{q:?}: {other:?}"),
        };
        assert_eq!(words("NEAR(summ"), ["near", "summ"]);
        assert_eq!(
            words("{{Topic}} snake_case 100%"),
            ["topic", "snake", "case", "100"]
        );
        assert_eq!(words("Ünïcode"), ["ünïcode"]);
        assert_eq!(words(&"w ".repeat(100)).len(), MAX_QUERY_TERMS);
        assert_eq!(
            Search::parse(Some(&"x".repeat(MAX_WORD_BYTES + 1))),
            Search::Nothing
        );
    }

    #[test]
    fn queries_quote_every_term() {
        let terms = ["it's".to_owned(), "a\\b\"c".to_owned(), "summ".to_owned()];
        assert_eq!(tsquery(&terms), r#"'it''s' & 'a\\b"c' & 'summ':*"#);
        assert_eq!(fts5_query(&terms), r#""it's" "a\b""c" "summ"*"#);
    }

    #[test]
    fn search_words_are_distinct_bounded_and_lowercase() {
        let d = Derived::from_materialised(&json!({
            "title": "Hello hello", "description": "a_b", "content": format!("{} x", "y".repeat(300))
        }));
        assert_eq!(d.search_words(), ["hello", "a", "b", "x"]);
        let many = (0..200_000)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let big = Derived::from_materialised(&json!({"title": "t", "content": many}));
        let total: usize = big.search_words().iter().map(|w| w.len() + 8).sum();
        assert!(total <= MAX_INDEXED_BYTES);
    }

    #[test]
    fn sqlite_timestamps_are_fixed_width() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).expect("valid");
        assert_eq!(sqlite_ts(t), "2023-11-14T22:13:20.000000Z");
    }
}
