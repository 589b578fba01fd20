//! Ordered, id-keyed collections of nested maps: model fields and relations.
//!
//! Both live in a root `Y.Map` id → `Y.Map` of props plus a fractional
//! [`POSITION`]; they differ only in their props, described by a [`Spec`].

use crate::json::{from_any, get_any, get_map};
use crate::schema::*;
use crate::validate::{Checker, index_path, key_path};
use serde_json::{Map as JsonMap, Value};
use std::sync::Arc;
use yrs::{Any, Map, MapRef, ReadTxn};

/// How a prop's JSON value is checked.
#[derive(Clone, Copy)]
pub(crate) enum Check {
    /// A string that is not blank.
    NonEmpty,
    /// Any string.
    Str,
    /// A boolean.
    Bool,
    /// Any JSON value.
    Json,
    /// An array of strings.
    Strings,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
}

/// What a new item gets when the patch omits the prop.
#[derive(Clone, Copy)]
pub(crate) enum Fallback {
    /// The prop must be given when creating an item (materialises as `""`).
    Required,
    /// This string.
    Str(&'static str),
    /// This bool.
    Bool(bool),
    /// JSON null.
    Null,
    /// An empty array.
    Empty,
}

/// One prop of an item.
pub(crate) struct Prop {
    pub key: &'static str,
    pub check: Check,
    pub default: Fallback,
}

/// One collection's storage and schema.
pub(crate) struct Spec {
    /// Root map name, also the JSON key and error path prefix.
    pub root: &'static str,
    /// Prefix of generated ids, distinct per collection.
    pub id_prefix: &'static str,
    /// Singular noun for messages.
    pub noun: &'static str,
    /// The props, in JSON output order; the first one is the unique name.
    pub props: &'static [Prop],
}

const fn prop(key: &'static str, check: Check, default: Fallback) -> Prop {
    Prop {
        key,
        check,
        default,
    }
}

/// Model fields.
pub(crate) const FIELDS: Spec = Spec {
    root: ROOT_FIELDS,
    id_prefix: "f",
    noun: "field",
    props: &[
        prop(FIELD_NAME, Check::NonEmpty, Fallback::Required),
        prop(
            FIELD_TYPE,
            Check::OneOf(&FIELD_TYPES),
            Fallback::Str("string"),
        ),
        prop(FIELD_REQUIRED, Check::Bool, Fallback::Bool(false)),
        prop(FIELD_UNIQUE, Check::Bool, Fallback::Bool(false)),
        prop(FIELD_DEFAULT, Check::Json, Fallback::Null),
        prop(FIELD_ENUM_VALUES, Check::Strings, Fallback::Empty),
        prop(FIELD_DESCRIPTION, Check::Str, Fallback::Str("")),
    ],
};

/// Model relations.
pub(crate) const RELATIONS: Spec = Spec {
    root: ROOT_RELATIONS,
    id_prefix: "r",
    noun: "relation",
    props: &[
        prop(RELATION_NAME, Check::NonEmpty, Fallback::Required),
        prop(
            RELATION_KIND,
            Check::OneOf(&RELATION_KINDS),
            Fallback::Required,
        ),
        prop(RELATION_TARGET, Check::NonEmpty, Fallback::Required),
    ],
};

/// Longest caller-supplied id accepted; ids are map keys sent to every peer.
pub(crate) const MAX_ID_LEN: usize = 128;

impl Fallback {
    fn value(self) -> Any {
        match self {
            Fallback::Required => Any::from(""),
            Fallback::Str(s) => Any::from(s),
            Fallback::Bool(b) => Any::Bool(b),
            Fallback::Null => Any::Null,
            Fallback::Empty => Any::Array(Arc::from([])),
        }
    }
}

impl Check {
    /// Whether a stored value has the right shape to be shown as is.
    fn accepts(self, any: &Any) -> bool {
        match self {
            Check::NonEmpty | Check::Str | Check::OneOf(_) => matches!(any, Any::String(_)),
            Check::Bool => matches!(any, Any::Bool(_)),
            Check::Json => true,
            Check::Strings => match any {
                Any::Array(items) => items.iter().all(|i| matches!(i, Any::String(_))),
                _ => false,
            },
        }
    }

    fn validate(self, c: &mut Checker, path: &str, v: &Value) -> Option<Any> {
        match self {
            Check::NonEmpty => c.non_empty(path, v).map(Any::from),
            Check::Str => c.string(path, v).map(Any::from),
            Check::Bool => c.boolean(path, v).map(Any::Bool),
            Check::Json => Some(crate::json::to_any(v)),
            Check::Strings => c
                .strings(path, v)
                .map(|s| Any::from(s.into_iter().map(Any::from).collect::<Vec<_>>())),
            Check::OneOf(allowed) => c.one_of(path, v, allowed).map(Any::from),
        }
    }
}

/// The collection as JSON items `{id, props…}`, ordered by position then id.
pub(crate) fn materialise<T: ReadTxn>(txn: &T, spec: &Spec) -> Vec<Value> {
    let Some(root) = txn.get_map(spec.root) else {
        return Vec::new();
    };
    let mut items: Vec<(String, String, MapRef)> = root
        .iter(txn)
        .filter_map(|(id, _)| {
            let item = get_map(txn, &root, id)?;
            let pos = match get_any(txn, &item, POSITION) {
                Some(Any::String(p)) => p.to_string(),
                _ => String::new(),
            };
            Some((pos, id.to_owned(), item))
        })
        .collect();
    items.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    items
        .into_iter()
        .map(|(_, id, item)| {
            let mut obj = JsonMap::new();
            obj.insert("id".into(), Value::String(id));
            for p in spec.props {
                let stored = get_any(txn, &item, p.key).filter(|a| p.check.accepts(a));
                obj.insert(
                    p.key.into(),
                    from_any(&stored.unwrap_or_else(|| p.default.value())),
                );
            }
            Value::Object(obj)
        })
        .collect()
}

/// One item of a patch list, validated against its [`Spec`].
pub(crate) struct ItemPatch {
    /// Caller-supplied id; `None` asks for a generated one.
    pub id: Option<String>,
    /// The props present in the patch, validated.
    pub props: Vec<(&'static str, Any)>,
}

/// Validates a patch's list for `spec` (shape only; names are checked in [`crate::model`]).
pub(crate) fn parse(c: &mut Checker, spec: &Spec, v: &Value) -> Option<Vec<ItemPatch>> {
    let items = c.array(spec.root, v)?;
    let mut allowed = vec!["id"];
    allowed.extend(spec.props.iter().map(|p| p.key));
    let mut out = Vec::with_capacity(items.len());
    let mut seen: Vec<&str> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = index_path(spec.root, i);
        let Some(obj) = c.object(&path, item, &allowed) else {
            continue;
        };
        let id_path = key_path(&path, "id");
        let id = match obj.get("id") {
            None | Some(Value::Null) => None,
            Some(id) => c.non_empty(&id_path, id),
        };
        if let Some(id) = id.as_deref() {
            if id.len() > MAX_ID_LEN {
                c.error(&id_path, format!("must be at most {MAX_ID_LEN} bytes"));
            } else if seen.contains(&id) {
                c.error(&id_path, format!("duplicate {} id", spec.noun));
            }
        }
        if let Some(Value::String(id)) = obj.get("id") {
            seen.push(id);
        }
        let props = spec
            .props
            .iter()
            .filter_map(|p| {
                let value = obj.get(p.key)?;
                Some((p.key, p.check.validate(c, &key_path(&path, p.key), value)?))
            })
            .collect();
        out.push(ItemPatch { id, props });
    }
    Some(out)
}

/// The full set of props for a new item: the patch's values over the defaults.
pub(crate) fn new_props(spec: &Spec, patch: &ItemPatch) -> Vec<(&'static str, Any)> {
    spec.props
        .iter()
        .map(|p| {
            let given = patch.props.iter().find(|(k, _)| *k == p.key);
            (
                p.key,
                given.map_or_else(|| p.default.value(), |(_, v)| v.clone()),
            )
        })
        .collect()
}

/// Props a new item must be given, for error messages.
pub(crate) fn required_props(spec: &Spec) -> impl Iterator<Item = &'static str> {
    spec.props
        .iter()
        .filter(|p| matches!(p.default, Fallback::Required))
        .map(|p| p.key)
}
