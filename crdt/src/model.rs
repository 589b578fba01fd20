//! The model document: JSON view and patching.

use crate::collection::{self, FIELDS, ItemPatch, RELATIONS, Spec};
use crate::document::set_if_changed;
use crate::error::CrdtError;
use crate::json::{get_any, get_map, get_string};
use crate::ordering::reposition;
use crate::schema::*;
use crate::validate::{Checker, index_path, key_path};
use serde_json::{Value, json};
use std::collections::HashSet;
use yrs::{Any, ClientID, In, Map, MapPrelim, MapRef, ReadTxn, TransactionMut, WriteTxn};

const PATCH_KEYS: [&str; 5] = [
    "kind",
    META_NAME,
    META_DESCRIPTION,
    ROOT_FIELDS,
    ROOT_RELATIONS,
];

/// The model as JSON.
pub(crate) fn materialise<T: ReadTxn>(txn: &T) -> Value {
    let meta = txn.get_map(ROOT_META);
    let text = |key| {
        meta.as_ref()
            .map(|m| get_string(txn, m, key))
            .unwrap_or_default()
    };
    json!({
        "kind": "model",
        "name": text(META_NAME),
        "description": text(META_DESCRIPTION),
        "fields": collection::materialise(txn, &FIELDS),
        "relations": collection::materialise(txn, &RELATIONS),
    })
}

/// A validated model patch.
pub(crate) struct ModelPatch {
    name: Option<String>,
    description: Option<String>,
    fields: Option<Vec<ItemPatch>>,
    relations: Option<Vec<ItemPatch>>,
}

/// Checks the patch's shape.
pub(crate) fn parse(patch: &Value) -> Result<ModelPatch, CrdtError> {
    let mut c = Checker::default();
    let Some(obj) = c.patch_root(patch, crate::DocKind::Model, &PATCH_KEYS) else {
        return Err(c.into_error());
    };
    let parsed = ModelPatch {
        name: obj.get(META_NAME).and_then(|v| c.string(META_NAME, v)),
        description: obj
            .get(META_DESCRIPTION)
            .and_then(|v| c.string(META_DESCRIPTION, v)),
        fields: obj
            .get(ROOT_FIELDS)
            .and_then(|v| collection::parse(&mut c, &FIELDS, v)),
        relations: obj
            .get(ROOT_RELATIONS)
            .and_then(|v| collection::parse(&mut c, &RELATIONS, v)),
    };
    c.finish(parsed)
}

/// Everything a model patch will write, decided before writing.
pub(crate) struct ModelPlan {
    name: Option<String>,
    description: Option<String>,
    lists: Vec<(&'static Spec, ListPlan)>,
}

struct ListPlan {
    deletes: Vec<String>,
    updates: Vec<(MapRef, Vec<(&'static str, Any)>)>,
    creates: Vec<(String, Vec<(&'static str, Any)>)>,
}

/// Checks the patch against the current state: new items need their
/// required props, and names must be unique within a list.
pub(crate) fn plan<T: ReadTxn>(
    txn: &T,
    patch: ModelPatch,
    client: ClientID,
) -> Result<ModelPlan, CrdtError> {
    let mut c = Checker::default();
    let mut ids = IdGen {
        client: client.get(),
        clock: txn.state_vector().get(&client),
        n: 0,
    };
    let mut lists = Vec::new();
    for (spec, items) in [(&FIELDS, patch.fields), (&RELATIONS, patch.relations)] {
        if let Some(items) = items {
            lists.push((spec, plan_list(txn, &mut c, spec, items, &mut ids)));
        }
    }
    c.finish(ModelPlan {
        name: patch.name,
        description: patch.description,
        lists,
    })
}

fn plan_list<T: ReadTxn>(
    txn: &T,
    c: &mut Checker,
    spec: &Spec,
    items: Vec<ItemPatch>,
    ids: &mut IdGen,
) -> ListPlan {
    let root = txn.get_map(spec.root);
    let stored: Vec<String> = root
        .as_ref()
        .map(|r| r.keys(txn).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut taken: HashSet<String> = stored.iter().cloned().collect();
    taken.extend(items.iter().filter_map(|i| i.id.clone()));
    let name_key = spec.props.first().map_or("name", |p| p.key);
    let mut names: HashSet<String> = HashSet::new();
    let mut slots = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let path = index_path(spec.root, i);
        let existing = item
            .id
            .as_deref()
            .zip(root.as_ref())
            .and_then(|(id, r)| get_map(txn, r, id));
        if existing.is_none() {
            for key in
                collection::required_props(spec).filter(|k| item.props.iter().all(|(p, _)| p != k))
            {
                c.error(
                    &key_path(&path, key),
                    format!("required for a new {}", spec.noun),
                );
            }
        }
        let name = match (item.props.iter().find(|(k, _)| *k == name_key), &existing) {
            (Some((_, Any::String(s))), _) => Some(s.to_string()),
            (_, Some(m)) => Some(get_string(txn, m, name_key)),
            _ => None,
        };
        if name
            .filter(|n| !n.is_empty())
            .is_some_and(|n| !names.insert(n))
        {
            c.error(
                &key_path(&path, name_key),
                format!("duplicate {} name", spec.noun),
            );
        }
        let id = item
            .id
            .clone()
            .unwrap_or_else(|| ids.next(spec.id_prefix, &mut taken));
        slots.push((id, existing, item));
    }
    let current: Vec<Option<String>> = slots
        .iter()
        .map(
            |(_, existing, _)| match existing.as_ref().and_then(|m| get_any(txn, m, POSITION)) {
                Some(Any::String(p)) => Some(p.to_string()),
                _ => None,
            },
        )
        .collect();
    let positions = reposition(&current.iter().map(Option::as_deref).collect::<Vec<_>>());
    let keep: HashSet<&str> = slots.iter().map(|(id, _, _)| id.as_str()).collect();
    let mut plan = ListPlan {
        deletes: stored
            .iter()
            .filter(|id| !keep.contains(id.as_str()))
            .cloned()
            .collect(),
        updates: Vec::new(),
        creates: Vec::new(),
    };
    for ((id, existing, item), position) in slots.into_iter().zip(positions) {
        let position = position.map(|p| (POSITION, Any::from(p)));
        match existing {
            Some(map) => {
                let mut props: Vec<_> = item
                    .props
                    .into_iter()
                    .filter(|(k, v)| get_any(txn, &map, k).as_ref() != Some(v))
                    .collect();
                props.extend(position);
                if !props.is_empty() {
                    plan.updates.push((map, props));
                }
            }
            None => {
                let mut props = collection::new_props(spec, &item);
                props.extend(position);
                plan.creates.push((id, props));
            }
        }
    }
    plan
}

/// Writes a checked plan; cannot fail.
pub(crate) fn write(txn: &mut TransactionMut, plan: ModelPlan) {
    let meta = txn.get_or_insert_map(ROOT_META);
    for (key, value) in [(META_NAME, plan.name), (META_DESCRIPTION, plan.description)] {
        if let Some(value) = value {
            set_if_changed(txn, &meta, key, Any::from(value));
        }
    }
    for (spec, list) in plan.lists {
        let root = txn.get_or_insert_map(spec.root);
        for id in list.deletes {
            root.remove(txn, &id);
        }
        for (map, props) in list.updates {
            for (key, value) in props {
                map.insert(txn, key, value);
            }
        }
        for (id, props) in list.creates {
            let props = props.into_iter().map(|(k, v)| (k, In::Any(v)));
            root.insert(txn, id, MapPrelim::from_iter(props));
        }
    }
}

/// Generates item ids no peer can also generate: the doc's client id plus
/// its current clock, which every item-creating transaction advances.
struct IdGen {
    client: u64,
    clock: u32,
    n: u32,
}

impl IdGen {
    fn next(&mut self, prefix: &str, taken: &mut HashSet<String>) -> String {
        loop {
            let id = format!("{prefix}{:x}_{}_{}", self.client, self.clock, self.n);
            self.n += 1;
            if taken.insert(id.clone()) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests;
