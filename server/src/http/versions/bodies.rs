//! The JSON bodies of the version routes, as the OpenAPI document shows them.

use chrono::{DateTime, Utc};
use rocqet_crdt::diff::Diff;
use serde::{Deserialize, Serialize};
use serde_json::{Map as JsonMap, Value};
use utoipa::{IntoParams, ToSchema};

use crate::ids::UserId;
use crate::store::VersionKind;

/// A user credited on a version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionUser {
    pub id: UserId,
    /// `null` when the account no longer exists.
    pub name: Option<String>,
}

/// One version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionBody {
    /// Per document, from 1, without gaps.
    pub number: i64,
    pub kind: VersionKind,
    pub message: Option<String>,
    /// Labels pointing at this version, sorted (`latest` is implicit and not listed).
    pub labels: Vec<String>,
    /// Who made it: the user who cut or restored it by hand, else its first editor; `null` when unknown.
    pub author: Option<VersionUser>,
    /// Everyone credited: the user who asked for it (manual, restore), then who edited since the previous version.
    pub authors: Vec<VersionUser>,
    pub created_at: DateTime<Utc>,
    /// The version a `restore` version brought back; `null` for other kinds.
    pub restored_from: Option<i64>,
}

/// A page of versions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionPage {
    pub items: Vec<VersionBody>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// `POST /api/{kind}/{id}/versions`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CreateVersion {
    /// Up to 1000 characters.
    pub message: Option<String>,
    /// Labels to point at the new version (or at the newest one when nothing changed).
    #[serde(default)]
    pub labels: Vec<String>,
}

/// `PUT /api/{kind}/{id}/labels/{label}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetLabel {
    /// The version the label should point at.
    pub version: i64,
}

/// Where a label points.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabelBody {
    pub label: String,
    pub version: i64,
}

/// What changed between two versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffBody {
    /// `prompt` or `model`.
    pub kind: String,
    /// The older side; `null` is the empty document (the default for version 1).
    pub from: Option<i64>,
    pub to: i64,
    /// Prompts: `{metadata: [{field, from, to}], content: [hunk], variables: {added,
    /// removed, changed: [{name, attribute, from, to}]}}`; a hunk is `{old_start,
    /// old_lines, new_start, new_lines, lines: [{op: equal|delete|insert, old_line,
    /// new_line, text, segments?: [{op, text}]}]}` (unified-diff line numbers, 3 lines
    /// of context, word segments on replaced lines). Models: `{metadata, fields,
    /// relations}`, each collection `{added, removed, renamed: [{id, from, to}],
    /// retyped: [{id, name, from, to}], reordered: [id], changed: [{id, name,
    /// attribute, from, to}]}`. Every list has a fixed order, so equal inputs give
    /// equal output.
    #[schema(value_type = Object, example = json!({
        "metadata": [{"field": "title", "from": "Greeter", "to": "Greeter v2"}],
        "content": [{"old_start": 1, "old_lines": 1, "new_start": 1, "new_lines": 1, "lines": [
            {"op": "delete", "old_line": 1, "new_line": null, "text": "Hi {{name}}",
             "segments": [{"op": "equal", "text": "Hi {{"}, {"op": "delete", "text": "name"},
                          {"op": "equal", "text": "}}"}]},
            {"op": "insert", "old_line": null, "new_line": 1, "text": "Hi {{user}}",
             "segments": [{"op": "equal", "text": "Hi {{"}, {"op": "insert", "text": "user"},
                          {"op": "equal", "text": "}}"}]}]}],
        "variables": {"added": [{"name": "user", "description": "", "default": null, "required": true}],
                      "removed": [{"name": "name", "description": "", "default": null, "required": true}],
                      "changed": []}
    }))]
    pub changes: Diff,
}

/// `POST /api/prompts/{id}/render`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RenderRequest {
    /// Values by placeholder name; strings are inserted as they are, other JSON as its text.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: JsonMap<String, Value>,
    /// Render this version instead of the live content.
    pub version: Option<i64>,
    /// Render the version this label points at (`latest`: the newest).
    pub label: Option<String>,
}

/// A rendered prompt.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenderBody {
    /// The template with its placeholders filled: `{{name}}` (spaces allowed inside
    /// the braces) takes the given value, else the declared default, else nothing
    /// for a variable declared not required, else it stays as written and is listed
    /// in `missing`. `\{{` writes a literal `{{`.
    pub text: String,
    /// Required placeholders with no value and no default, in order of first appearance.
    pub missing: Vec<String>,
    /// The version rendered; `null` for the live content.
    pub version: Option<i64>,
}

/// `?limit=&cursor=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionPageParams {
    /// 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `?from=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DiffParams {
    /// The older version (default: the one before; the empty document for version 1).
    pub from: Option<i64>,
}
