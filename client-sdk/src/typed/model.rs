//! [`Model`]: a live data-model document, read and edited through its schema.

use std::collections::BTreeSet;
use std::ops::Deref;

use rocqet_crdt::DocKind;
use rocqet_crdt::schema::{ROOT_FIELDS, ROOT_RELATIONS};
use serde::Serialize;
use serde_json::{Value, json};

use super::schema::{FieldPatch, ModelContent, ModelPatch, RelationPatch};
use super::{Field, Relation, apply, locked, read};
use crate::{ClientError, ConnectOptions, LiveDoc};

/// A live model: a [`LiveDoc`] read and edited as a data model.
///
/// It dereferences to its [`LiveDoc`]. Fields and relations keep their ids
/// through renames and moves; order comes from fractional positions, so
/// concurrent moves and edits of different fields never clash.
///
/// ```no_run
/// use rocqet_client::{ConnectOptions, FieldPatch, FieldType, Model};
///
/// # async fn demo() -> Result<(), rocqet_client::ClientError> {
/// let model = Model::open("ws://127.0.0.1:8080/ws/0190e5c2-...", ConnectOptions::new().token("eyJ...")).await?;
/// let id = model.add_field(FieldPatch::new("email", FieldType::String).unique(true))?;
/// model.update_field(&id, FieldPatch::change().required(true))?;
/// model.move_field(&id, 0)?;
/// assert_eq!(model.snapshot().fields[0].name, "email");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Model {
    live: LiveDoc,
}

impl Deref for Model {
    type Target = LiveDoc;

    fn deref(&self) -> &LiveDoc {
        &self.live
    }
}

/// Which ordered list of a model an edit is about.
#[derive(Clone, Copy)]
enum List {
    Fields,
    Relations,
}

impl List {
    fn key(self) -> &'static str {
        match self {
            List::Fields => ROOT_FIELDS,
            List::Relations => ROOT_RELATIONS,
        }
    }
}

impl Model {
    /// Connects to the model at `url` (`ws://host/ws/{id}`) and waits for
    /// the server's state.
    pub async fn open(url: &str, options: ConnectOptions) -> Result<Self, ClientError> {
        let live = LiveDoc::connect(url, options).await?;
        live.wait_synced().await?;
        Ok(Model { live })
    }

    /// Treats an open live document as a model.
    pub fn from_live(live: LiveDoc) -> Self {
        Model { live }
    }

    /// The live document underneath.
    pub fn into_live(self) -> LiveDoc {
        self.live
    }

    /// The whole model, as the REST API would show it.
    pub fn snapshot(&self) -> ModelContent {
        read(&self.live, DocKind::Model)
    }

    /// The fields, in order.
    pub fn fields(&self) -> Vec<Field> {
        self.snapshot().fields
    }

    /// The relations, in order.
    pub fn relations(&self) -> Vec<Relation> {
        self.snapshot().relations
    }

    /// Sets the model's name.
    pub fn set_name(&self, name: &str) -> Result<(), ClientError> {
        self.patch(&ModelPatch::new().name(name))
    }

    /// Sets the description.
    pub fn set_description(&self, description: &str) -> Result<(), ClientError> {
        self.patch(&ModelPatch::new().description(description))
    }

    /// Appends a field and returns its new id.
    pub fn add_field(&self, field: FieldPatch) -> Result<String, ClientError> {
        let item = FieldPatch { id: None, ..field };
        self.add(List::Fields, to_json(&item)?)
    }

    /// Changes the props set in `change` of field `id`.
    pub fn update_field(&self, id: &str, change: FieldPatch) -> Result<(), ClientError> {
        let item = FieldPatch {
            id: Some(id.to_owned()),
            ..change
        };
        self.update(List::Fields, id, to_json(&item)?)
    }

    /// Removes field `id` (a no-op if it is not there).
    pub fn remove_field(&self, id: &str) -> Result<(), ClientError> {
        self.remove(List::Fields, id)
    }

    /// Moves field `id` to `index` (clamped to the end).
    pub fn move_field(&self, id: &str, index: usize) -> Result<(), ClientError> {
        self.move_to(List::Fields, id, index)
    }

    /// Appends a relation and returns its new id.
    pub fn add_relation(&self, relation: RelationPatch) -> Result<String, ClientError> {
        let item = RelationPatch {
            id: None,
            ..relation
        };
        self.add(List::Relations, to_json(&item)?)
    }

    /// Changes the props set in `change` of relation `id`.
    pub fn update_relation(&self, id: &str, change: RelationPatch) -> Result<(), ClientError> {
        let item = RelationPatch {
            id: Some(id.to_owned()),
            ..change
        };
        self.update(List::Relations, id, to_json(&item)?)
    }

    /// Removes relation `id` (a no-op if it is not there).
    pub fn remove_relation(&self, id: &str) -> Result<(), ClientError> {
        self.remove(List::Relations, id)
    }

    /// Moves relation `id` to `index` (clamped to the end).
    pub fn move_relation(&self, id: &str, index: usize) -> Result<(), ClientError> {
        self.move_to(List::Relations, id, index)
    }

    /// Applies a partial change as one edit; nothing changes if the schema
    /// refuses it ([`ClientError::Invalid`]).
    pub fn patch(&self, patch: &ModelPatch) -> Result<(), ClientError> {
        apply(&self.live, DocKind::Model, &to_json(patch)?)
    }

    /// Waits until `pred` holds for the model; re-checked after every change.
    pub async fn wait_for(
        &self,
        mut pred: impl FnMut(&ModelContent) -> bool,
    ) -> Result<ModelContent, ClientError> {
        let mut found = ModelContent::default();
        self.live
            .wait_until(|_| {
                found = self.snapshot();
                pred(&found)
            })
            .await?;
        Ok(found)
    }

    /// Appends `item` to `list` and returns the id the schema gave it.
    fn add(&self, list: List, item: Value) -> Result<String, ClientError> {
        locked(&self.live, |doc| {
            let before = ids(doc, list);
            let mut items: Vec<Value> = before.iter().map(|id| json!({ "id": id })).collect();
            items.push(item);
            patch_list(doc, list, items)?;
            let known: BTreeSet<&String> = before.iter().collect();
            ids(doc, list)
                .into_iter()
                .find(|id| !known.contains(id))
                .ok_or_else(|| ClientError::Protocol("the new item got no id".into()))
        })
    }

    /// Replaces the entry of `id` in `list` with `item`.
    fn update(&self, list: List, id: &str, item: Value) -> Result<(), ClientError> {
        locked(&self.live, |doc| {
            let current = ids(doc, list);
            if !current.iter().any(|i| i == id) {
                return Err(ClientError::Invalid(vec![rocqet_crdt::FieldError::new(
                    list.key(),
                    format!("no item with id {id}"),
                )]));
            }
            let items = current
                .iter()
                .map(|i| {
                    if i == id {
                        item.clone()
                    } else {
                        json!({ "id": i })
                    }
                })
                .collect();
            patch_list(doc, list, items)
        })
    }

    fn remove(&self, list: List, id: &str) -> Result<(), ClientError> {
        locked(&self.live, |doc| {
            let current = ids(doc, list);
            if !current.iter().any(|i| i == id) {
                return Ok(());
            }
            let items = current
                .iter()
                .filter(|i| *i != id)
                .map(|i| json!({ "id": i }))
                .collect();
            patch_list(doc, list, items)
        })
    }

    fn move_to(&self, list: List, id: &str, index: usize) -> Result<(), ClientError> {
        locked(&self.live, |doc| {
            let mut order = ids(doc, list);
            let Some(from) = order.iter().position(|i| i == id) else {
                return Err(ClientError::Invalid(vec![rocqet_crdt::FieldError::new(
                    list.key(),
                    format!("no item with id {id}"),
                )]));
            };
            let moved = order.remove(from);
            order.insert(index.min(order.len()), moved);
            let items = order.iter().map(|i| json!({ "id": i })).collect();
            patch_list(doc, list, items)
        })
    }
}

/// The ids of `list`, in order.
fn ids(doc: &yrs::Doc, list: List) -> Vec<String> {
    let json = rocqet_crdt::materialise(doc, DocKind::Model);
    json.get(list.key())
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| item.get("id")?.as_str().map(str::to_owned))
        .collect()
}

/// Writes `items` as the whole new `list` (caller holds the edit lock).
fn patch_list(doc: &yrs::Doc, list: List, items: Vec<Value>) -> Result<(), ClientError> {
    let patch = json!({ list.key(): items });
    rocqet_crdt::apply_patch(doc, DocKind::Model, &patch)?;
    Ok(())
}

fn to_json(value: &impl Serialize) -> Result<Value, ClientError> {
    serde_json::to_value(value).map_err(|e| ClientError::Decode(e.to_string()))
}
