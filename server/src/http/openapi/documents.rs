//! Schemas of the document JSON the handlers build from the CRDT
//! (`rocqet_crdt::materialise` plus server fields), for the OpenAPI document only.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::ids::{DocId, WorkspaceId};

/// A prompt: a text body with `{{variable}}` placeholders.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Prompt {
    pub id: DocId,
    pub workspace_id: WorkspaceId,
    /// Always `prompt`.
    #[schema(pattern = "^prompt$")]
    pub kind: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub content: String,
    /// Every `{{name}}` in the content, in order, then declared-but-unused ones.
    pub variables: Vec<Variable>,
    /// Model settings (temperature, model name, ...): any JSON values.
    pub settings: BTreeMap<String, Value>,
    /// Number of the newest version (0 before the first).
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A prompt variable.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Variable {
    pub name: String,
    pub description: String,
    pub default: Option<String>,
    pub required: bool,
}

/// A data model: named fields and relations, ordered.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Model {
    pub id: DocId,
    pub workspace_id: WorkspaceId,
    /// Always `model`.
    #[schema(pattern = "^model$")]
    pub kind: String,
    pub name: String,
    pub description: String,
    pub fields: Vec<Field>,
    pub relations: Vec<Relation>,
    /// Number of the newest version (0 before the first).
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A model field.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Field {
    pub id: String,
    pub name: String,
    /// `string text integer number boolean date datetime enum json uuid`.
    #[serde(rename = "type")]
    pub field_type: String,
    pub required: bool,
    pub unique: bool,
    /// Any JSON value, or null.
    pub default: Value,
    pub enum_values: Vec<String>,
    pub description: String,
}

/// A relation to another model.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Relation {
    pub id: String,
    pub name: String,
    /// `one_to_one one_to_many many_to_many`.
    pub kind: String,
    pub target: String,
}

/// A prompt or a model, as `GET /api/{kind}/{id}` returns it.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Document {
    Prompt(Prompt),
    Model(Model),
}

/// A partial document: only the keys given change, as minimal CRDT edits.
/// Prompts take `title description tags content variables settings`; models
/// take `name description fields relations` (fields and relations are whole
/// lists matched by `id`; items without an id are new). Server fields (`id`,
/// `version`, timestamps) are ignored, so a GET body can be sent back.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct DocumentPatch {
    pub title: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub content: Option<String>,
    /// `[{name, description, default, required}]`: the declared variables.
    pub variables: Option<Vec<Value>>,
    pub settings: Option<BTreeMap<String, Value>>,
    /// `[{id?, name, type, required, unique, default, enum_values, description}]`.
    pub fields: Option<Vec<Value>>,
    /// `[{id?, name, kind, target}]`.
    pub relations: Option<Vec<Value>>,
}

/// A page of documents.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct DocumentPage {
    pub items: Vec<Document>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}
