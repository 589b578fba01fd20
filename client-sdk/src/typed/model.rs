//! [`Model`]: a live data-model document, read and edited through its schema.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Deref;

use rocqet_crdt::DocKind;
use rocqet_crdt::schema::{ROOT_FIELDS, ROOT_RELATIONS};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{apply, locked, read};
use crate::{ClientError, ConnectOptions, LiveDoc};

/// A model's content: everything but the server-owned fields.
///
/// ```
/// use rocqet_client::{FieldType, ModelContent};
///
/// let json = serde_json::json!({"kind": "model", "name": "User", "description": "",
///     "fields": [{"id": "f1", "name": "email", "type": "string", "required": true,
///                 "unique": true, "default": null, "enum_values": [], "description": ""}],
///     "relations": []});
/// let model: ModelContent = serde_json::from_value(json)?;
/// assert_eq!(model.fields[0].field_type, FieldType::String);
/// assert_eq!(model.field_named("email").map(|f| f.id.as_str()), Some("f1"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelContent {
    /// The model's name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Fields, in order.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Relations to other models, in order.
    #[serde(default)]
    pub relations: Vec<Relation>,
}

impl ModelContent {
    /// The field called `name`, if any (names are unique within a model).
    pub fn field_named(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The relation called `name`, if any.
    pub fn relation_named(&self, name: &str) -> Option<&Relation> {
        self.relations.iter().find(|r| r.name == name)
    }
}

/// One field of a model.
///
/// ```
/// use rocqet_client::{Field, FieldType};
///
/// let field: Field = serde_json::from_str(r#"{"id":"f1","name":"age","type":"integer"}"#)?;
/// assert_eq!(field.field_type, FieldType::Integer);
/// assert!(!field.required);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Stable id (survives renames and moves).
    pub id: String,
    /// Name, unique within the model.
    #[serde(default)]
    pub name: String,
    /// Type of the field's values.
    #[serde(rename = "type", default)]
    pub field_type: FieldType,
    /// Whether a value is required.
    #[serde(default)]
    pub required: bool,
    /// Whether values are unique.
    #[serde(default)]
    pub unique: bool,
    /// Default value (`null` for none).
    #[serde(default)]
    pub default: Value,
    /// Allowed values of an `enum` field.
    #[serde(default)]
    pub enum_values: Vec<String>,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// One relation of a model to another.
///
/// ```
/// use rocqet_client::{Relation, RelationKind};
///
/// let r: Relation = serde_json::from_str(
///     r#"{"id":"r1","name":"orders","kind":"one_to_many","target":"0190-order-model"}"#)?;
/// assert_eq!(r.kind, RelationKind::OneToMany);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// Stable id.
    pub id: String,
    /// Name, unique within the model's relations.
    #[serde(default)]
    pub name: String,
    /// Cardinality.
    #[serde(default)]
    pub kind: RelationKind,
    /// The id of the target model.
    #[serde(default)]
    pub target: String,
}

/// Declares a string-backed enum whose unknown values survive as `Other`.
macro_rules! schema_enum {
    ($(#[$meta:meta])* $name:ident, $default:ident, [$($(#[$vmeta:meta])* $variant:ident = $text:literal),* $(,)?]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this SDK does not know (written by a newer client).
            Other(String),
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl $name {
            /// The name as stored and sent.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(other) => other,
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => $name::$variant,)*
                    _ => $name::Other(s),
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_owned()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

schema_enum!(
    /// The type of a field's values (`rocqet_crdt::schema::FIELD_TYPES`).
    ///
    /// ```
    /// use rocqet_client::FieldType;
    ///
    /// assert_eq!(FieldType::Datetime.as_str(), "datetime");
    /// assert_eq!(FieldType::from("uuid".to_owned()), FieldType::Uuid);
    /// ```
    FieldType, String, [
        /// Short text.
        String = "string",
        /// Long text.
        Text = "text",
        /// Whole number.
        Integer = "integer",
        /// Any number.
        Number = "number",
        /// True or false.
        Boolean = "boolean",
        /// Calendar date.
        Date = "date",
        /// Date and time.
        Datetime = "datetime",
        /// One of `enum_values`.
        Enum = "enum",
        /// Any JSON.
        Json = "json",
        /// A UUID.
        Uuid = "uuid",
    ]
);

schema_enum!(
    /// The cardinality of a relation (`rocqet_crdt::schema::RELATION_KINDS`).
    ///
    /// ```
    /// use rocqet_client::RelationKind;
    ///
    /// assert_eq!(RelationKind::ManyToMany.to_string(), "many_to_many");
    /// ```
    RelationKind, OneToMany, [
        /// One to one.
        OneToOne = "one_to_one",
        /// One to many.
        OneToMany = "one_to_many",
        /// Many to many.
        ManyToMany = "many_to_many",
    ]
);

/// A new field, or a change to one: unset props stay as they are (a new
/// field gets the schema's defaults for them).
///
/// ```
/// use rocqet_client::{FieldPatch, FieldType};
///
/// let email = FieldPatch::new("email", FieldType::String).required(true).unique(true);
/// let rename = FieldPatch::change().name("e_mail");
/// assert_eq!(serde_json::to_value(&rename)?, serde_json::json!({"name": "e_mail"}));
/// # let _ = email;
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldPatch {
    /// The field to change; `None` creates one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name (required for a new field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Type (new fields default to `string`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub field_type: Option<FieldType>,
    /// Required flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Unique flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<bool>,
    /// Default value (`Some(Value::Null)` clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Allowed values of an `enum` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<String>>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl FieldPatch {
    /// A new field called `name` of `field_type`.
    pub fn new(name: impl Into<String>, field_type: FieldType) -> Self {
        FieldPatch {
            name: Some(name.into()),
            field_type: Some(field_type),
            ..Self::default()
        }
    }

    /// A change that sets nothing yet (add props with the other methods).
    pub fn change() -> Self {
        Self::default()
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the type.
    pub fn field_type(mut self, field_type: FieldType) -> Self {
        self.field_type = Some(field_type);
        self
    }

    /// Sets the required flag.
    pub fn required(mut self, required: bool) -> Self {
        self.required = Some(required);
        self
    }

    /// Sets the unique flag.
    pub fn unique(mut self, unique: bool) -> Self {
        self.unique = Some(unique);
        self
    }

    /// Sets the default value.
    pub fn default_value(mut self, default: Value) -> Self {
        self.default = Some(default);
        self
    }

    /// Sets the allowed values (for `enum` fields).
    pub fn enum_values<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.enum_values = Some(values.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A new relation, or a change to one (name, kind and target are required
/// for a new one).
///
/// ```
/// use rocqet_client::{RelationKind, RelationPatch};
///
/// let orders = RelationPatch::new("orders", RelationKind::OneToMany, "0190-order-model");
/// assert_eq!(orders.kind, Some(RelationKind::OneToMany));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RelationPatch {
    /// The relation to change; `None` creates one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Cardinality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RelationKind>,
    /// Target model id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl RelationPatch {
    /// A new relation.
    pub fn new(name: impl Into<String>, kind: RelationKind, target: impl Into<String>) -> Self {
        RelationPatch {
            id: None,
            name: Some(name.into()),
            kind: Some(kind),
            target: Some(target.into()),
        }
    }

    /// A change that sets nothing yet.
    pub fn change() -> Self {
        Self::default()
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the kind.
    pub fn kind(mut self, kind: RelationKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Sets the target model id.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
}

/// A partial change to a model: unset parts stay. A `fields` or
/// `relations` list is the whole new list: items not in it are removed,
/// and its order is the new order.
///
/// ```
/// use rocqet_client::{FieldPatch, FieldType, ModelPatch};
///
/// let patch = ModelPatch::new()
///     .name("User")
///     .fields(vec![FieldPatch::new("email", FieldType::String)]);
/// assert_eq!(serde_json::to_value(&patch)?["fields"][0]["type"], "string");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelPatch {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The whole field list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldPatch>>,
    /// The whole relation list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relations: Option<Vec<RelationPatch>>,
}

impl ModelPatch {
    /// A patch that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Replaces the field list.
    pub fn fields(mut self, fields: Vec<FieldPatch>) -> Self {
        self.fields = Some(fields);
        self
    }

    /// Replaces the relation list.
    pub fn relations(mut self, relations: Vec<RelationPatch>) -> Self {
        self.relations = Some(relations);
        self
    }
}

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
