//! [`Prompt`]: a live prompt document, read and edited through its schema.

use std::ops::Deref;

use rocqet_crdt::DocKind;
use rocqet_crdt::schema::{ROOT_CONTENT, ROOT_VARIABLES};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use yrs::{Map as _, ReadTxn, Transact};

use super::{Rendered, Variable, apply, locked, read};
use crate::{ClientError, ConnectOptions, LiveDoc};

/// A prompt's content: everything but the server-owned fields.
///
/// ```
/// use rocqet_client::PromptContent;
///
/// let json = serde_json::json!({
///     "kind": "prompt", "title": "Greeter", "description": "", "tags": ["demo"],
///     "content": "Hello {{name}}", "settings": {"temperature": 0.2},
///     "variables": [{"name": "name", "description": "", "default": null, "required": true}],
/// });
/// let prompt: PromptContent = serde_json::from_value(json)?;
/// assert_eq!(prompt.variables[0].name, "name");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromptContent {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The template body, with `{{name}}` placeholders.
    #[serde(default)]
    pub content: String,
    /// Every placeholder of the content, then declared variables without one.
    #[serde(default)]
    pub variables: Vec<Variable>,
    /// Model settings (temperature, model name...), key → JSON value.
    #[serde(default)]
    pub settings: Map<String, Value>,
}

/// A partial change to a prompt; unset fields stay as they are. The body of
/// a REST create or PATCH, and what [`Prompt::patch`] applies live.
///
/// ```
/// use rocqet_client::PromptPatch;
///
/// let patch = PromptPatch::new().title("Greeter").content("Hello {{name}}");
/// let json = serde_json::to_value(&patch)?;
/// assert_eq!(json, serde_json::json!({"title": "Greeter", "content": "Hello {{name}}"}));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromptPatch {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New tags (replace the old ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// New content, applied as the minimal text edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The declared variables: ones not listed are undeclared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<Variable>>,
    /// Settings to change; a `null` value removes the key, others stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Map<String, Value>>,
}

impl PromptPatch {
    /// A patch that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Replaces the tags.
    pub fn tags<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// Replaces the content.
    pub fn content(mut self, content: impl Into<String>) -> Self {
        self.content = Some(content.into());
        self
    }

    /// Replaces the declared variables.
    pub fn variables(mut self, variables: Vec<Variable>) -> Self {
        self.variables = Some(variables);
        self
    }

    /// Sets one setting (`Value::Null` removes it).
    pub fn setting(mut self, key: impl Into<String>, value: Value) -> Self {
        self.settings
            .get_or_insert_with(Map::new)
            .insert(key.into(), value);
        self
    }
}

/// A live prompt: a [`LiveDoc`] read and edited as a prompt.
///
/// It dereferences to its [`LiveDoc`], so status, presence, `wait_*` and
/// `close` are all there. Edits are sent as they are made.
///
/// ```no_run
/// use rocqet_client::{ConnectOptions, Prompt, Variable};
///
/// # async fn demo() -> Result<(), rocqet_client::ClientError> {
/// let prompt = Prompt::open("ws://127.0.0.1:8080/ws/0190e5c2-...", ConnectOptions::new().token("eyJ...")).await?;
/// prompt.set_content("Hello {{name}}, welcome to {{place}}.")?;
/// prompt.set_variable(Variable {
///     name: "place".into(),
///     description: "Where they are".into(),
///     default: Some("Rocqet".into()),
///     required: false,
/// })?;
/// let text = prompt.render(&serde_json::Map::from_iter([("name".into(), "Ada".into())])).text;
/// assert_eq!(text, "Hello Ada, welcome to Rocqet.");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Prompt {
    live: LiveDoc,
}

impl Deref for Prompt {
    type Target = LiveDoc;

    fn deref(&self) -> &LiveDoc {
        &self.live
    }
}

impl Prompt {
    /// Connects to the prompt at `url` (`ws://host/ws/{id}`) and waits for
    /// the server's state.
    pub async fn open(url: &str, options: ConnectOptions) -> Result<Self, ClientError> {
        let live = LiveDoc::connect(url, options).await?;
        live.wait_synced().await?;
        Ok(Prompt { live })
    }

    /// Treats an open live document as a prompt.
    pub fn from_live(live: LiveDoc) -> Self {
        Prompt { live }
    }

    /// The live document underneath.
    pub fn into_live(self) -> LiveDoc {
        self.live
    }

    /// The whole prompt, as the REST API would show it.
    pub fn snapshot(&self) -> PromptContent {
        read(&self.live, DocKind::Prompt)
    }

    /// The template body.
    pub fn content(&self) -> String {
        self.live.text(ROOT_CONTENT)
    }

    /// The title.
    pub fn title(&self) -> String {
        self.snapshot().title
    }

    /// Placeholders of the content, then declared variables without one.
    pub fn variables(&self) -> Vec<Variable> {
        self.snapshot().variables
    }

    /// Replaces the content with `content` as the minimal text edit, so
    /// concurrent edits elsewhere in the text survive.
    pub fn set_content(&self, content: &str) -> Result<(), ClientError> {
        self.patch(&PromptPatch::new().content(content))
    }

    /// Inserts `text` at `index` (UTF-16 units, as in JS).
    pub fn insert(&self, index: u32, text: &str) {
        self.live.insert_text(ROOT_CONTENT, index, text);
    }

    /// Removes `len` UTF-16 units at `index`.
    pub fn delete(&self, index: u32, len: u32) {
        self.live.delete_text(ROOT_CONTENT, index, len);
    }

    /// Sets the title.
    pub fn set_title(&self, title: &str) -> Result<(), ClientError> {
        self.patch(&PromptPatch::new().title(title))
    }

    /// Sets the description.
    pub fn set_description(&self, description: &str) -> Result<(), ClientError> {
        self.patch(&PromptPatch::new().description(description))
    }

    /// Replaces the tags.
    pub fn set_tags<S: Into<String>>(
        &self,
        tags: impl IntoIterator<Item = S>,
    ) -> Result<(), ClientError> {
        self.patch(&PromptPatch::new().tags(tags))
    }

    /// Sets one model setting; `Value::Null` removes it.
    pub fn set_setting(&self, key: &str, value: Value) -> Result<(), ClientError> {
        self.patch(&PromptPatch::new().setting(key, value))
    }

    /// Declares `variable`, or updates the declared one of that name; other
    /// declared variables are left alone.
    pub fn set_variable(&self, variable: Variable) -> Result<(), ClientError> {
        locked(&self.live, |doc| {
            let mut items: Vec<Value> = declared(doc)
                .into_iter()
                .filter(|name| *name != variable.name)
                .map(|name| json!({ "name": name }))
                .collect();
            items.push(serde_json::to_value(&variable).map_err(decode)?);
            let patch = json!({ "variables": items });
            rocqet_crdt::apply_patch(doc, DocKind::Prompt, &patch)?;
            Ok(())
        })
    }

    /// Undeclares the variable `name`. A `{{name}}` left in the content still
    /// lists it among [`variables`](Self::variables), with default settings.
    pub fn remove_variable(&self, name: &str) -> Result<(), ClientError> {
        locked(&self.live, |doc| {
            let names = declared(doc);
            if !names.iter().any(|n| n == name) {
                return Ok(());
            }
            let items: Vec<Value> = names
                .into_iter()
                .filter(|n| n != name)
                .map(|n| json!({ "name": n }))
                .collect();
            let patch = json!({ "variables": items });
            rocqet_crdt::apply_patch(doc, DocKind::Prompt, &patch)?;
            Ok(())
        })
    }

    /// Applies a partial change as one edit; nothing changes if the schema
    /// refuses it ([`ClientError::Invalid`]).
    pub fn patch(&self, patch: &PromptPatch) -> Result<(), ClientError> {
        let value = serde_json::to_value(patch).map_err(decode)?;
        apply(&self.live, DocKind::Prompt, &value)
    }

    /// Renders the current content with `values` (see `rocqet_crdt::render`
    /// for the rules), locally: the same result as `POST .../render`.
    pub fn render(&self, values: &Map<String, Value>) -> Rendered {
        let json = rocqet_crdt::materialise(self.live.doc(), DocKind::Prompt);
        rocqet_crdt::render::render_prompt(&json, values)
    }

    /// Waits until `pred` holds for the prompt's content; re-checked after
    /// every change.
    pub async fn wait_for(
        &self,
        mut pred: impl FnMut(&PromptContent) -> bool,
    ) -> Result<PromptContent, ClientError> {
        let mut found = PromptContent::default();
        self.live
            .wait_until(|_| {
                found = self.snapshot();
                pred(&found)
            })
            .await?;
        Ok(found)
    }
}

/// Names of the declared variables (the keys of the variables map).
fn declared(doc: &yrs::Doc) -> Vec<String> {
    let txn = doc.transact();
    txn.get_map(ROOT_VARIABLES)
        .map(|m| m.keys(&txn).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A value that will not serialise to JSON: cannot happen for our types.
fn decode(e: serde_json::Error) -> ClientError {
    ClientError::Decode(e.to_string())
}
