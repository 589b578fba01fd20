//! The names of every shared type and key inside a Rocqet document.
//!
//! These strings are the contract between the hub, the SDK and the web
//! editor: `web/` mirrors this module in TypeScript, so a rename here is a
//! breaking change for every stored document and every open editor.
//!
//! Prompt:
//! - root `Y.Text` [`ROOT_CONTENT`]: the template body;
//! - root `Y.Map` [`ROOT_META`]: [`META_TITLE`] string, [`META_DESCRIPTION`]
//!   string, [`META_TAGS`] one JSON array of strings (last writer wins),
//!   [`META_SETTINGS`] a nested `Y.Map` key → JSON value (so concurrent
//!   edits of different settings both survive);
//! - root `Y.Map` [`ROOT_VARIABLES`]: variable name → nested `Y.Map`
//!   {[`VAR_DESCRIPTION`] string, [`VAR_DEFAULT`] string | null,
//!   [`VAR_REQUIRED`] bool}.
//!
//! Model:
//! - root `Y.Map` [`ROOT_META`]: [`META_NAME`] string, [`META_DESCRIPTION`] string;
//! - root `Y.Map` [`ROOT_FIELDS`]: field id → nested `Y.Map` {[`FIELD_NAME`],
//!   [`FIELD_TYPE`] (one of [`FIELD_TYPES`]), [`FIELD_REQUIRED`],
//!   [`FIELD_UNIQUE`], [`FIELD_DEFAULT`] (any JSON), [`FIELD_ENUM_VALUES`]
//!   (JSON array of strings), [`FIELD_DESCRIPTION`], [`POSITION`]};
//! - root `Y.Map` [`ROOT_RELATIONS`]: relation id → nested `Y.Map`
//!   {[`RELATION_NAME`], [`RELATION_KIND`] (one of [`RELATION_KINDS`]),
//!   [`RELATION_TARGET`], [`POSITION`]}.
//!
//! Order of fields and relations comes from [`POSITION`], a fractional
//! index (see [`crate::position`]); ties are broken by id.

/// Root `Y.Text` holding a prompt's template body.
pub const ROOT_CONTENT: &str = "content";
/// Root `Y.Map` holding scalar metadata of both kinds.
pub const ROOT_META: &str = "meta";
/// Root `Y.Map` of a prompt's declared variables, keyed by name.
pub const ROOT_VARIABLES: &str = "variables";
/// Root `Y.Map` of a model's fields, keyed by field id.
pub const ROOT_FIELDS: &str = "fields";
/// Root `Y.Map` of a model's relations, keyed by relation id.
pub const ROOT_RELATIONS: &str = "relations";

/// Prompt title (string) in [`ROOT_META`].
pub const META_TITLE: &str = "title";
/// Description (string) in [`ROOT_META`], both kinds.
pub const META_DESCRIPTION: &str = "description";
/// Prompt tags in [`ROOT_META`]: one JSON array of strings, replaced as a whole.
pub const META_TAGS: &str = "tags";
/// Prompt model settings in [`ROOT_META`]: a nested `Y.Map` key → JSON value.
pub const META_SETTINGS: &str = "settings";
/// Model name (string) in [`ROOT_META`].
pub const META_NAME: &str = "name";

/// Variable description (string).
pub const VAR_DESCRIPTION: &str = "description";
/// Variable default value (string or null).
pub const VAR_DEFAULT: &str = "default";
/// Whether rendering needs a value for the variable (bool).
pub const VAR_REQUIRED: &str = "required";

/// Field name (string).
pub const FIELD_NAME: &str = "name";
/// Field type (one of [`FIELD_TYPES`]).
pub const FIELD_TYPE: &str = "type";
/// Whether the field is required (bool).
pub const FIELD_REQUIRED: &str = "required";
/// Whether the field's values are unique (bool).
pub const FIELD_UNIQUE: &str = "unique";
/// Default value of the field (any JSON value, null for none).
pub const FIELD_DEFAULT: &str = "default";
/// Allowed values of an enum field (JSON array of strings).
pub const FIELD_ENUM_VALUES: &str = "enum_values";
/// Field description (string).
pub const FIELD_DESCRIPTION: &str = "description";

/// Relation name (string).
pub const RELATION_NAME: &str = "name";
/// Relation kind (one of [`RELATION_KINDS`]).
pub const RELATION_KIND: &str = "kind";
/// Target of the relation: the id of another model (string).
pub const RELATION_TARGET: &str = "target";

/// Fractional-index sort key of a field or relation (string).
pub const POSITION: &str = "position";

/// Every valid value of [`FIELD_TYPE`].
pub const FIELD_TYPES: [&str; 10] = [
    "string", "text", "integer", "number", "boolean", "date", "datetime", "enum", "json", "uuid",
];
/// Every valid value of [`RELATION_KIND`].
pub const RELATION_KINDS: [&str; 3] = ["one_to_one", "one_to_many", "many_to_many"];

/// Top-level JSON keys the server owns; they are not document content.
pub const SERVER_FIELDS: [&str; 5] = ["id", "workspace_id", "version", "created_at", "updated_at"];
