//! Keyset pagination shared by both backends: the sort SQL per `SortOrder`
//! and the opaque cursor naming the last row of a page (its sort key and id).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{DocumentRecord, Page, SortOrder, StoreError, StoreResult};

/// Largest page a listing returns.
pub(crate) const MAX_LIMIT: u32 = 200;

/// The value of the sort column in the last row of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SortKey {
    Time(DateTime<Utc>),
    Title(String),
}

/// Where the next page starts: strictly after `(key, id)` in the sort order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub key: SortKey,
    pub id: Uuid,
}

/// SQL fragments for one sort order; static strings, never user input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortSql {
    /// The sort column; `id` is the tie-breaker in the same direction.
    pub column: &'static str,
    /// `ASC` or `DESC`.
    pub direction: &'static str,
    /// How `(column, id)` compares with the cursor for rows on later pages.
    pub after: &'static str,
}

pub(crate) fn sort_sql(sort: SortOrder) -> SortSql {
    let (column, direction, after) = match sort {
        SortOrder::UpdatedDesc => ("updated_at", "DESC", "<"),
        SortOrder::CreatedAsc => ("created_at", "ASC", ">"),
        SortOrder::CreatedDesc => ("created_at", "DESC", "<"),
        SortOrder::TitleAsc => ("title_key", "ASC", ">"),
    };
    SortSql {
        column,
        direction,
        after,
    }
}

/// Tags the cursor with its sort order, so a cursor from one order is rejected by another.
fn tag(sort: SortOrder) -> &'static str {
    match sort {
        SortOrder::UpdatedDesc => "u",
        SortOrder::CreatedAsc => "ca",
        SortOrder::CreatedDesc => "cd",
        SortOrder::TitleAsc => "t",
    }
}

impl Cursor {
    /// The cursor after `record` (whose `title_key` column is given) in `sort` order.
    pub fn after(record: &DocumentRecord, title_key: &str, sort: SortOrder) -> Self {
        let key = match sort {
            SortOrder::UpdatedDesc => SortKey::Time(record.updated_at),
            SortOrder::CreatedAsc | SortOrder::CreatedDesc => SortKey::Time(record.created_at),
            SortOrder::TitleAsc => SortKey::Title(title_key.to_owned()),
        };
        Self {
            key,
            id: record.id.0,
        }
    }

    /// Hex of `<tag>.<id>.<key>`, the key being microseconds since the epoch or the title key.
    pub fn encode(&self, sort: SortOrder) -> String {
        let key = match &self.key {
            SortKey::Time(t) => t.timestamp_micros().to_string(),
            SortKey::Title(s) => s.clone(),
        };
        let plain = format!("{}.{}.{}", tag(sort), self.id.simple(), key);
        let mut out = String::with_capacity(plain.len() * 2);
        for b in plain.bytes() {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        out
    }

    /// Parses a cursor issued by `encode` for the same sort order; `InvalidCursor` otherwise.
    pub fn decode(s: &str, sort: SortOrder) -> StoreResult<Self> {
        let plain = unhex(s)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(StoreError::InvalidCursor)?;
        let mut parts = plain.splitn(3, '.');
        let (Some(t), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(StoreError::InvalidCursor);
        };
        if t != tag(sort) {
            return Err(StoreError::InvalidCursor);
        }
        let id = Uuid::try_parse(id).map_err(|_| StoreError::InvalidCursor)?;
        let key = match sort {
            SortOrder::TitleAsc => SortKey::Title(key.to_owned()),
            _ => key
                .parse::<i64>()
                .ok()
                .and_then(DateTime::from_timestamp_micros)
                .map(SortKey::Time)
                .ok_or(StoreError::InvalidCursor)?,
        };
        Ok(Self { key, id })
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn unhex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let s = s.as_bytes();
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// The page size to use for a requested `limit`.
pub(crate) fn clamp_limit(limit: u32) -> u32 {
    limit.clamp(1, MAX_LIMIT)
}

/// Builds a page from up to `limit + 1` fetched rows (each with its `title_key`):
/// the extra row only says there is a next page.
pub(crate) fn page(
    mut rows: Vec<(DocumentRecord, String)>,
    limit: u32,
    sort: SortOrder,
) -> Page<DocumentRecord> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        rows.last()
            .map(|(record, title_key)| Cursor::after(record, title_key, sort).encode(sort))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(|(record, _)| record).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let id = Uuid::now_v7();
        let t = DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("valid");
        let c = Cursor {
            key: SortKey::Time(t),
            id,
        };
        let s = c.encode(SortOrder::UpdatedDesc);
        assert_eq!(Cursor::decode(&s, SortOrder::UpdatedDesc).ok(), Some(c));
        assert!(Cursor::decode(&s, SortOrder::CreatedAsc).is_err());

        let c = Cursor {
            key: SortKey::Title("a.b.c ünï".into()),
            id,
        };
        let s = c.encode(SortOrder::TitleAsc);
        assert_eq!(Cursor::decode(&s, SortOrder::TitleAsc).ok(), Some(c));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "zz", "abc", "616263", "nothex!"] {
            assert!(matches!(
                Cursor::decode(bad, SortOrder::TitleAsc),
                Err(StoreError::InvalidCursor)
            ));
        }
    }
}
