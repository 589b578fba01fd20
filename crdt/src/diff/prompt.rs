//! The diff of two prompts.

use super::text::{Hunk, hunks};
use super::{MetadataChange, changed_keys, get, get_list, get_str};
use crate::schema::{
    META_DESCRIPTION, META_SETTINGS, META_TAGS, META_TITLE, ROOT_CONTENT, ROOT_VARIABLES,
    VAR_DEFAULT, VAR_DESCRIPTION, VAR_REQUIRED,
};
use crate::validate::key_path;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// What changed between two prompts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptDiff {
    /// `title`, `description`, `tags` (whole arrays), then one entry per changed setting as `settings.<key>`, keys sorted.
    pub metadata: Vec<MetadataChange>,
    /// Line hunks of the template body (see [`super::text`]); empty when it is unchanged.
    pub content: Vec<Hunk>,
    /// Variables added, removed or changed, matched by name.
    pub variables: VariablesDiff,
}

/// Variable changes; variables are the materialised list (declared ones and bare placeholders alike).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariablesDiff {
    /// New variables as materialised (`{name, description, default, required}`), in new order.
    pub added: Vec<Value>,
    /// Variables gone, as they were, in old order.
    pub removed: Vec<Value>,
    /// Changed attributes of variables in both, in new order, then `description`, `default`, `required`.
    pub changed: Vec<VariableChange>,
}

/// One changed attribute of a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableChange {
    /// The variable.
    pub name: String,
    /// `description`, `default` or `required`.
    pub attribute: String,
    /// The old value.
    pub from: Value,
    /// The new value.
    pub to: Value,
}

/// The changes from prompt `from` to prompt `to` (materialised JSON).
pub fn prompt(from: &Value, to: &Value) -> PromptDiff {
    let mut metadata = changed_keys(from, to, &[META_TITLE, META_DESCRIPTION, META_TAGS]);
    metadata.extend(settings(get(from, META_SETTINGS), get(to, META_SETTINGS)));
    PromptDiff {
        metadata,
        content: hunks(get_str(from, ROOT_CONTENT), get_str(to, ROOT_CONTENT)),
        variables: variables(get_list(from, ROOT_VARIABLES), get_list(to, ROOT_VARIABLES)),
    }
}

/// One change per setting key whose value differs (a missing key reads as null).
fn settings(from: &Value, to: &Value) -> Vec<MetadataChange> {
    let keys: BTreeSet<&String> = [from, to]
        .into_iter()
        .filter_map(Value::as_object)
        .flat_map(|m| m.keys())
        .collect();
    keys.into_iter()
        .filter(|&k| get(from, k) != get(to, k))
        .map(|k| MetadataChange {
            field: key_path(META_SETTINGS, k),
            from: get(from, k).clone(),
            to: get(to, k).clone(),
        })
        .collect()
}

fn variables(from: &[Value], to: &[Value]) -> VariablesDiff {
    let named = |list: &[Value], name: &str| {
        list.iter()
            .find(|v| v.get("name").and_then(Value::as_str) == Some(name))
            .cloned()
    };
    let name_of = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_owned);
    let mut diff = VariablesDiff {
        added: Vec::new(),
        removed: from
            .iter()
            .filter(|v| name_of(v).is_some_and(|n| named(to, &n).is_none()))
            .cloned()
            .collect(),
        changed: Vec::new(),
    };
    for new in to {
        let Some(name) = name_of(new) else { continue };
        match named(from, &name) {
            None => diff.added.push(new.clone()),
            Some(old) => {
                for attribute in [VAR_DESCRIPTION, VAR_DEFAULT, VAR_REQUIRED] {
                    if get(&old, attribute) != get(new, attribute) {
                        diff.changed.push(VariableChange {
                            name: name.clone(),
                            attribute: attribute.to_owned(),
                            from: get(&old, attribute).clone(),
                            to: get(new, attribute).clone(),
                        });
                    }
                }
            }
        }
    }
    diff
}
