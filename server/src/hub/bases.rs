//! ETags for REST reads, and the contents behind them, so a PATCH made on an
//! older read can be rebased onto edits that landed after it.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

/// How many past reads a room remembers; a PATCH on an older one gets 409 and re-reads.
const REMEMBERED: usize = 32;

/// The last few contents handed out, by ETag.
#[derive(Debug, Default)]
pub struct RecentBases(VecDeque<(String, Value)>);

impl RecentBases {
    /// Records `content` and returns its ETag (a quoted hash of the content).
    pub fn remember(&mut self, content: &Value) -> String {
        let etag = etag(content);
        if !self.0.iter().any(|(known, _)| *known == etag) {
            if self.0.len() == REMEMBERED {
                self.0.pop_front();
            }
            self.0.push_back((etag.clone(), content.clone()));
        }
        etag
    }

    /// The content an ETag was given for.
    pub fn get(&self, etag: &str) -> Option<Value> {
        self.0
            .iter()
            .find(|(known, _)| known == etag)
            .map(|(_, content)| content.clone())
    }
}

/// A strong ETag from the content: the same content read twice gets the same tag, so
/// repeated reads share one remembered base. Tags live with the room; after it unloads,
/// an old tag is unknown and its PATCH gets 409.
fn etag(content: &Value) -> String {
    let mut hasher = DefaultHasher::new();
    content.to_string().hash(&mut hasher);
    format!("\"{:016x}\"", hasher.finish())
}

/// Replaces the patch's `content` with the three-way merge of base, patch and current,
/// so the PATCH changes only what its author changed.
pub fn rebase_text(patch: &mut Value, base: Value, current: &Value) {
    let (Some(base), Some(current)) = (base["content"].as_str(), current["content"].as_str())
    else {
        return;
    };
    let Some(ours) = patch.get("content").and_then(Value::as_str) else {
        return;
    };
    if let Some(merged) = rocqet_crdt::text_merge::merge_text(base, ours, current) {
        patch["content"] = Value::String(merged);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn same_content_same_etag_and_oldest_forgotten() {
        let mut bases = RecentBases::default();
        let first = bases.remember(&json!({"content": "0"}));
        assert_eq!(first, bases.remember(&json!({"content": "0"})));
        for i in 1..=REMEMBERED {
            bases.remember(&json!({"content": i.to_string()}));
        }
        assert!(bases.get(&first).is_none());
        assert!(bases.get(&etag(&json!({"content": "1"}))).is_some());
    }

    #[test]
    fn rebase_keeps_later_edits() {
        let mut patch = json!({"content": "MIDDLE"});
        rebase_text(
            &mut patch,
            json!({"content": "middle"}),
            &json!({"content": "L middle R"}),
        );
        assert_eq!(patch["content"], "L MIDDLE R");
    }
}
