//! The prompt document: JSON view and patching.

use crate::document::set_if_changed;
use crate::error::CrdtError;
use crate::json::{from_any, get_any, get_bool, get_map, get_string, get_strings, to_any};
use crate::placeholders;
use crate::schema::*;
use crate::text_diff::{self, TextEdit};
use crate::validate::{Checker, index_path, key_path};
use serde_json::{Map as JsonMap, Value, json};
use std::collections::BTreeMap;
use yrs::types::ToJson;
use yrs::{
    Any, GetString, In, Map, MapPrelim, MapRef, OffsetKind, Out, ReadTxn, Text, TransactionMut,
    WriteTxn,
};

const PATCH_KEYS: [&str; 7] = [
    "kind",
    "title",
    "description",
    "tags",
    "content",
    "variables",
    "settings",
];
const VARIABLE_KEYS: [&str; 4] = ["name", VAR_DESCRIPTION, VAR_DEFAULT, VAR_REQUIRED];
/// A declared variable without `required` is required, like an undeclared placeholder.
const DEFAULT_REQUIRED: bool = true;

/// The prompt as JSON.
pub(crate) fn materialise<T: ReadTxn>(txn: &T) -> Value {
    let content = txn
        .get_text(ROOT_CONTENT)
        .map(|t| t.get_string(txn))
        .unwrap_or_default();
    let meta = txn.get_map(ROOT_META);
    let text = |key| {
        meta.as_ref()
            .map(|m| get_string(txn, m, key))
            .unwrap_or_default()
    };
    json!({
        "kind": "prompt",
        "title": text(META_TITLE),
        "description": text(META_DESCRIPTION),
        "tags": meta.as_ref().map(|m| get_strings(txn, m, META_TAGS)).unwrap_or_default(),
        "content": content,
        "variables": variables(txn, &content),
        "settings": meta.as_ref().map_or_else(|| json!({}), |m| settings(txn, m)),
    })
}

/// Placeholders in order of appearance, then declared-but-unused variables by name.
fn variables<T: ReadTxn>(txn: &T, content: &str) -> Vec<Value> {
    let mut declared: BTreeMap<String, Option<MapRef>> = BTreeMap::new();
    if let Some(root) = txn.get_map(ROOT_VARIABLES) {
        for (name, value) in root.iter(txn) {
            let props = match value {
                Out::YMap(m) => Some(m),
                _ => None,
            };
            declared.insert(name.to_owned(), props);
        }
    }
    let variable = |name: String, props: Option<&MapRef>| {
        let (description, default, required) = match props {
            Some(m) => (
                get_string(txn, m, VAR_DESCRIPTION),
                match get_any(txn, m, VAR_DEFAULT) {
                    Some(Any::String(s)) => Value::String(s.to_string()),
                    _ => Value::Null,
                },
                get_bool(txn, m, VAR_REQUIRED, DEFAULT_REQUIRED),
            ),
            None => (String::new(), Value::Null, DEFAULT_REQUIRED),
        };
        json!({"name": name, "description": description, "default": default, "required": required})
    };
    let mut out = Vec::new();
    for name in placeholders::extract(content) {
        let props = declared.remove(&name).flatten();
        out.push(variable(name, props.as_ref()));
    }
    out.extend(
        declared
            .into_iter()
            .map(|(name, props)| variable(name, props.as_ref())),
    );
    out
}

fn settings<T: ReadTxn>(txn: &T, meta: &MapRef) -> Value {
    match meta.get(txn, META_SETTINGS) {
        Some(Out::YMap(m)) => Value::Object(
            m.iter(txn)
                .map(|(k, v)| (k.to_owned(), from_any(&v.to_json(txn))))
                .collect(),
        ),
        // Tolerate a peer that stored settings as one plain object.
        Some(Out::Any(any @ Any::Map(_))) => from_any(&any),
        _ => Value::Object(JsonMap::new()),
    }
}

/// A validated prompt patch.
pub(crate) struct PromptPatch {
    content: Option<String>,
    title: Option<String>,
    description: Option<String>,
    tags: Option<Vec<String>>,
    /// Key → new value, `None` to remove the key.
    settings: Option<Vec<(String, Option<Any>)>>,
    variables: Option<Vec<VariablePatch>>,
}

struct VariablePatch {
    name: String,
    description: Option<String>,
    default: Option<Option<String>>,
    required: Option<bool>,
}

/// Checks the patch's shape.
pub(crate) fn parse(patch: &Value) -> Result<PromptPatch, CrdtError> {
    let mut c = Checker::default();
    let Some(obj) = c.patch_root(patch, crate::DocKind::Prompt, &PATCH_KEYS) else {
        return Err(c.into_error());
    };
    let parsed = PromptPatch {
        content: obj.get("content").and_then(|v| c.string("content", v)),
        title: obj.get(META_TITLE).and_then(|v| c.string(META_TITLE, v)),
        description: obj
            .get(META_DESCRIPTION)
            .and_then(|v| c.string(META_DESCRIPTION, v)),
        tags: obj.get(META_TAGS).and_then(|v| c.strings(META_TAGS, v)),
        settings: obj.get(META_SETTINGS).and_then(|v| {
            let map = c.any_object(META_SETTINGS, v)?;
            Some(
                map.iter()
                    .map(|(k, v)| (k.clone(), (!v.is_null()).then(|| to_any(v))))
                    .collect(),
            )
        }),
        variables: obj
            .get("variables")
            .and_then(|v| parse_variables(&mut c, v)),
    };
    c.finish(parsed)
}

fn parse_variables(c: &mut Checker, v: &Value) -> Option<Vec<VariablePatch>> {
    let items = c.array("variables", v)?;
    let mut out: Vec<VariablePatch> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = index_path("variables", i);
        let Some(obj) = c.object(&path, item, &VARIABLE_KEYS) else {
            continue;
        };
        let at = |key| key_path(&path, key);
        let name = match obj.get("name") {
            None => {
                c.error(&at("name"), "required");
                None
            }
            Some(v) => c.string(&at("name"), v),
        };
        let default = obj.get(VAR_DEFAULT).and_then(|v| match v {
            Value::Null => Some(None),
            Value::String(s) => Some(Some(s.clone())),
            _ => {
                c.error(&at(VAR_DEFAULT), "expected a string or null");
                None
            }
        });
        let description = obj
            .get(VAR_DESCRIPTION)
            .and_then(|v| c.string(&at(VAR_DESCRIPTION), v));
        let required = obj
            .get(VAR_REQUIRED)
            .and_then(|v| c.boolean(&at(VAR_REQUIRED), v));
        let Some(name) = name else { continue };
        if !placeholders::is_valid_name(&name) {
            c.error(&at("name"), "must match [A-Za-z_][A-Za-z0-9_.-]*");
        } else if out.iter().any(|v| v.name == name) {
            c.error(&at("name"), "duplicate variable");
        }
        out.push(VariablePatch {
            name,
            description,
            default,
            required,
        });
    }
    Some(out)
}

/// A patch plus the text edits it needs, computed before any write.
pub(crate) struct PromptPlan {
    patch: PromptPatch,
    edits: Vec<TextEdit>,
}

/// Checks the patch against the current state.
pub(crate) fn plan<T: ReadTxn>(
    txn: &T,
    patch: PromptPatch,
    unit: OffsetKind,
) -> Result<PromptPlan, CrdtError> {
    let edits = match &patch.content {
        Some(new) => {
            let text = txn.get_text(ROOT_CONTENT);
            let old = text.as_ref().map(|t| t.get_string(txn)).unwrap_or_default();
            // The diff's offsets count only the string. A peer may have put
            // embeds or nested types in the text (they take offsets but no
            // string), or sent an update that leaves yrs' cached length out of
            // step with the items (fuzzing found one); patching such a text
            // would edit the wrong place or panic in yrs' remove_range.
            let len = text.as_ref().map_or(0, |t| t.len(txn));
            let string_len = match unit {
                OffsetKind::Utf16 => old.encode_utf16().count(),
                OffsetKind::Bytes => old.len(),
            };
            if usize::try_from(len).ok() != Some(string_len) {
                return Err(CrdtError::Validation(vec![crate::FieldError::new(
                    "content",
                    "the live text holds non-text content and cannot be replaced by a patch",
                )]));
            }
            text_diff::plan(&old, new, unit).ok_or_else(|| {
                CrdtError::Validation(vec![crate::FieldError::new(
                    "content",
                    "document text is too long",
                )])
            })?
        }
        None => Vec::new(),
    };
    Ok(PromptPlan { patch, edits })
}

/// Writes a checked plan; cannot fail.
pub(crate) fn write(txn: &mut TransactionMut, plan: PromptPlan) {
    let PromptPlan { patch, edits } = plan;
    if !edits.is_empty() {
        let text = txn.get_or_insert_text(ROOT_CONTENT);
        text_diff::apply(txn, &text, &edits);
    }
    let meta = txn.get_or_insert_map(ROOT_META);
    for (key, value) in [
        (META_TITLE, patch.title),
        (META_DESCRIPTION, patch.description),
    ] {
        if let Some(value) = value {
            set_if_changed(txn, &meta, key, Any::from(value));
        }
    }
    if let Some(tags) = patch.tags {
        set_if_changed(
            txn,
            &meta,
            META_TAGS,
            Any::from(tags.into_iter().map(Any::from).collect::<Vec<_>>()),
        );
    }
    if let Some(settings) = patch.settings {
        write_settings(txn, &meta, settings);
    }
    if let Some(variables) = patch.variables {
        write_variables(txn, variables);
    }
}

fn write_settings(txn: &mut TransactionMut, meta: &MapRef, changes: Vec<(String, Option<Any>)>) {
    let map = match get_map(txn, meta, META_SETTINGS) {
        Some(map) => map,
        None if changes.iter().all(|(_, v)| v.is_none())
            && get_any(txn, meta, META_SETTINGS).is_none() =>
        {
            return;
        }
        None => {
            // Created lazily, never by `new_doc`: two peers each creating it
            // up front would race and one peer's whole map would be lost.
            let seed: Vec<(String, In)> = match get_any(txn, meta, META_SETTINGS) {
                Some(Any::Map(old)) => old
                    .iter()
                    .map(|(k, v)| (k.clone(), In::Any(v.clone())))
                    .collect(),
                _ => Vec::new(),
            };
            meta.insert(txn, META_SETTINGS, MapPrelim::from_iter(seed))
        }
    };
    for (key, value) in changes {
        match value {
            Some(value) => set_if_changed(txn, &map, &key, value),
            None if map.contains_key(txn, &key) => {
                map.remove(txn, &key);
            }
            None => {}
        }
    }
}

fn write_variables(txn: &mut TransactionMut, variables: Vec<VariablePatch>) {
    let root = txn.get_or_insert_map(ROOT_VARIABLES);
    let stale: Vec<String> = root
        .keys(txn)
        .filter(|k| !variables.iter().any(|v| v.name == *k))
        .map(str::to_owned)
        .collect();
    for name in stale {
        root.remove(txn, &name);
    }
    for v in variables {
        let props: [(&str, Option<Any>); 3] = [
            (VAR_DESCRIPTION, v.description.map(Any::from)),
            (
                VAR_DEFAULT,
                v.default.map(|d| d.map_or(Any::Null, Any::from)),
            ),
            (VAR_REQUIRED, v.required.map(Any::Bool)),
        ];
        match get_map(txn, &root, &v.name) {
            Some(existing) => {
                for (key, value) in props {
                    if let Some(value) = value {
                        set_if_changed(txn, &existing, key, value);
                    }
                }
            }
            None => {
                let defaults = [Any::from(""), Any::Null, Any::Bool(DEFAULT_REQUIRED)];
                let full = props
                    .into_iter()
                    .zip(defaults)
                    .map(|((k, v), d)| (k, In::Any(v.unwrap_or(d))));
                root.insert(txn, v.name, MapPrelim::from_iter(full));
            }
        }
    }
}

#[cfg(test)]
mod tests;
