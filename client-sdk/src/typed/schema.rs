//! The model schema as types: content, fields, relations, and the partial
//! changes a model patch takes.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
