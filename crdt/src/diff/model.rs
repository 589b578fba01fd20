//! The diff of two models.

use super::order::moved;
use super::{MetadataChange, changed_keys, get, get_list, get_str};
use crate::collection::{FIELDS, RELATIONS, Spec};
use crate::schema::{
    FIELD_NAME, FIELD_TYPE, META_DESCRIPTION, META_NAME, RELATION_KIND, RELATION_NAME,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// What changed between two models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDiff {
    /// `name` and `description`, when changed.
    pub metadata: Vec<MetadataChange>,
    /// Changes to the fields (`retyped` is about `type`).
    pub fields: CollectionDiff,
    /// Changes to the relations (`retyped` is about `kind`).
    pub relations: CollectionDiff,
}

/// Changes to one ordered list of items, matched by id.
///
/// An item in both versions can appear in several lists at once (renamed,
/// retyped and reordered). `name` in an entry is the item's new name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionDiff {
    /// Items only in the new version, as materialised, in new order.
    pub added: Vec<Value>,
    /// Items only in the old version, as they were, in old order.
    pub removed: Vec<Value>,
    /// Items whose name changed, in new order.
    pub renamed: Vec<Renamed>,
    /// Items whose type (a field's `type`, a relation's `kind`) changed, in new order.
    pub retyped: Vec<Retyped>,
    /// Ids of items that moved relative to the others, in new order: the
    /// items in both versions minus a longest run kept in the same relative
    /// order, preferring to keep the items that came first in the old order
    /// (`[a, b, c]` → `[c, a, b]` gives `["c"]`; `[a, b]` → `[b, a]` gives `["b"]`).
    pub reordered: Vec<String>,
    /// Every other changed attribute, items in new order, attributes in schema order.
    pub changed: Vec<AttributeChange>,
}

/// An item's name change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renamed {
    /// The item.
    pub id: String,
    /// The old name.
    pub from: String,
    /// The new name.
    pub to: String,
}

/// An item's type change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retyped {
    /// The item.
    pub id: String,
    /// Its new name.
    pub name: String,
    /// The old type or kind.
    pub from: String,
    /// The new type or kind.
    pub to: String,
}

/// Any other changed attribute of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// The item.
    pub id: String,
    /// Its new name.
    pub name: String,
    /// The attribute, e.g. `required`, `default`, `target`.
    pub attribute: String,
    /// The old value.
    pub from: Value,
    /// The new value.
    pub to: Value,
}

/// The changes from model `from` to model `to` (materialised JSON).
pub fn model(from: &Value, to: &Value) -> ModelDiff {
    ModelDiff {
        metadata: changed_keys(from, to, &[META_NAME, META_DESCRIPTION]),
        fields: collection(&FIELDS, FIELD_NAME, FIELD_TYPE, from, to),
        relations: collection(&RELATIONS, RELATION_NAME, RELATION_KIND, from, to),
    }
}

/// Items with a string id, in list order; later duplicates of an id are ignored.
fn items<'a>(doc: &'a Value, spec: &Spec) -> Vec<(&'a str, &'a Value)> {
    let mut seen = HashSet::new();
    get_list(doc, spec.root)
        .iter()
        .filter_map(|item| Some((item.get("id")?.as_str()?, item)))
        .filter(|&(id, _)| seen.insert(id))
        .collect()
}

fn collection(
    spec: &Spec,
    name_key: &str,
    type_key: &str,
    from: &Value,
    to: &Value,
) -> CollectionDiff {
    let old = items(from, spec);
    let new = items(to, spec);
    let old_by_id: HashMap<&str, &Value> = old.iter().copied().collect();
    let new_by_id: HashMap<&str, &Value> = new.iter().copied().collect();
    let mut diff = CollectionDiff {
        added: Vec::new(),
        removed: old
            .iter()
            .filter(|(id, _)| !new_by_id.contains_key(id))
            .map(|(_, item)| (*item).clone())
            .collect(),
        renamed: Vec::new(),
        retyped: Vec::new(),
        reordered: moved(
            &old.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            &new.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        ),
        changed: Vec::new(),
    };
    for &(id, item) in &new {
        let Some(&was) = old_by_id.get(id) else {
            diff.added.push(item.clone());
            continue;
        };
        let name = get_str(item, name_key).to_owned();
        if get(was, name_key) != get(item, name_key) {
            diff.renamed.push(Renamed {
                id: id.to_owned(),
                from: get_str(was, name_key).to_owned(),
                to: name.clone(),
            });
        }
        if get(was, type_key) != get(item, type_key) {
            diff.retyped.push(Retyped {
                id: id.to_owned(),
                name: name.clone(),
                from: get_str(was, type_key).to_owned(),
                to: get_str(item, type_key).to_owned(),
            });
        }
        let others = spec
            .props
            .iter()
            .map(|p| p.key)
            .filter(|&k| k != name_key && k != type_key);
        for attribute in others {
            if get(was, attribute) != get(item, attribute) {
                diff.changed.push(AttributeChange {
                    id: id.to_owned(),
                    name: name.clone(),
                    attribute: attribute.to_owned(),
                    from: get(was, attribute).clone(),
                    to: get(item, attribute).clone(),
                });
            }
        }
    }
    diff
}
