//! Rendering a prompt template: placeholders replaced by values.
//!
//! Template grammar:
//!
//! - `{{name}}` is a placeholder. Whitespace may surround the name inside the
//!   braces (`{{ name }}`). A name starts with an ASCII letter or `_`, then
//!   ASCII letters, digits, `_`, `.` or `-` (`user.first-name`).
//! - Anything else between double braces is plain text: `{{ 1 }}`, `{{a b}}`
//!   and `{{}}` render as written.
//! - `\{{` is a literal `{{`: `\{{name}}` renders as `{{name}}` and `name` is
//!   not a variable of the prompt. More precisely, a run of backslashes
//!   directly before `{{` renders as half as many backslashes, and an odd run
//!   makes the `{{` literal, so `\\{{name}}` renders as a backslash followed
//!   by the value of `name`. Backslashes anywhere else render as written.
//!
//! Each placeholder becomes, in order of preference:
//!
//! 1. the value given for its name: a JSON string as is, any other JSON value
//!    (number, boolean, null, array, object) as its compact JSON text;
//! 2. the declared variable's `default`, when it has one (even `""`);
//! 3. nothing (the empty string) when the variable is declared with
//!    `required: false`;
//! 4. otherwise the placeholder itself, exactly as written, and its name is
//!    listed in `missing` (each name once, in order of first appearance).
//!
//! Values for names that do not appear in the template are ignored.

use crate::placeholders::{self, Piece};
use serde::{Deserialize, Serialize};
use serde_json::{Map as JsonMap, Value};

/// A declared variable of a prompt, as in the materialised JSON's `variables`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    /// The placeholder name.
    pub name: String,
    /// What the variable is for, for humans.
    #[serde(default)]
    pub description: String,
    /// Used when no value is given.
    #[serde(default)]
    pub default: Option<String>,
    /// Whether rendering needs a value; a variable without the flag is required.
    #[serde(default = "required_by_default")]
    pub required: bool,
}

fn required_by_default() -> bool {
    true
}

impl Variable {
    /// The variables of a materialised prompt; entries without a string `name` are skipped.
    pub fn from_prompt(prompt: &Value) -> Vec<Variable> {
        let items = prompt.get("variables").and_then(Value::as_array);
        items
            .into_iter()
            .flatten()
            .filter_map(|item| {
                let name = item.get("name")?.as_str()?;
                Some(Variable {
                    name: name.to_owned(),
                    description: item
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    default: item
                        .get("default")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    required: item
                        .get("required")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                })
            })
            .collect()
    }
}

/// The result of rendering: the text and the placeholders nothing was found for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    /// The template with every resolvable placeholder replaced.
    pub text: String,
    /// Names of required placeholders without a value or default, in order of first appearance.
    pub missing: Vec<String>,
}

/// Renders `content` with `values`, falling back to the `declared` variables' defaults (see the module docs).
pub fn render(content: &str, declared: &[Variable], values: &JsonMap<String, Value>) -> Rendered {
    let mut text = String::with_capacity(content.len());
    let mut missing: Vec<String> = Vec::new();
    for piece in placeholders::parse(content) {
        let placeholder = match piece {
            Piece::Text(t) => {
                text.push_str(t);
                continue;
            }
            Piece::Placeholder(p) => p,
        };
        let name = placeholder.name;
        let variable = declared.iter().find(|v| v.name == name);
        match (values.get(name), variable) {
            (Some(Value::String(s)), _) => text.push_str(s),
            (Some(other), _) => text.push_str(&other.to_string()),
            (
                None,
                Some(Variable {
                    default: Some(d), ..
                }),
            ) => text.push_str(d),
            (
                None,
                Some(Variable {
                    required: false, ..
                }),
            ) => {}
            (None, _) => {
                text.push_str(content.get(placeholder.span).unwrap_or_default());
                if !missing.iter().any(|m| m == name) {
                    missing.push(name.to_owned());
                }
            }
        }
    }
    Rendered { text, missing }
}

/// Renders a materialised prompt (its `content` and `variables`) with `values`.
pub fn render_prompt(prompt: &Value, values: &JsonMap<String, Value>) -> Rendered {
    let content = prompt
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    render(content, &Variable::from_prompt(prompt), values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(v: Value) -> JsonMap<String, Value> {
        match v {
            Value::Object(map) => map,
            _ => JsonMap::new(),
        }
    }

    fn var(name: &str, default: Option<&str>, required: bool) -> Variable {
        Variable {
            name: name.into(),
            description: String::new(),
            default: default.map(str::to_owned),
            required,
        }
    }

    #[test]
    fn strings_go_in_as_is_and_other_values_as_json() {
        let out = render(
            "{{s}} {{ n }} {{b}} {{null}} {{list}} {{obj}}",
            &[],
            &values(json!({"s": "a \"q\"", "n": 2.5, "b": true, "null": null,
                           "list": [1, "x"], "obj": {"k": 1}})),
        );
        assert_eq!(
            out,
            Rendered {
                text: r#"a "q" 2.5 true null [1,"x"] {"k":1}"#.into(),
                missing: vec![]
            }
        );
    }

    #[test]
    fn falls_back_to_defaults_then_optional_then_missing() {
        let declared = [
            var("d", Some("dflt"), true),
            var("empty", Some(""), true),
            var("opt", None, false),
            var("req", None, true),
        ];
        let out = render(
            "[{{d}}][{{empty}}][{{opt}}][{{ req }}][{{undeclared}}][{{req}}][{{d}}]",
            &declared,
            &values(json!({"d": "given", "unused": 1})),
        );
        assert_eq!(
            out.text,
            "[given][][][{{ req }}][{{undeclared}}][{{req}}][given]"
        );
        assert_eq!(out.missing, ["req", "undeclared"]);
    }

    #[test]
    fn escaped_braces_render_literally() {
        let out = render(
            r"\{{x}} \\{{x}} \\\{{x}} a\b {{ 1 }} {{x",
            &[],
            &values(json!({"x": "X"})),
        );
        assert_eq!(out.text, r"{{x}} \X \{{x}} a\b {{ 1 }} {{x");
        assert!(out.missing.is_empty());
        let out = render(r"\{{x}} {{y}}", &[], &JsonMap::new());
        assert_eq!(out.text, r"{{x}} {{y}}");
        assert_eq!(out.missing, ["y"]);
    }

    #[test]
    fn renders_a_materialised_prompt() {
        let doc = crate::new_doc();
        crate::apply_patch(
            &doc,
            crate::DocKind::Prompt,
            &json!({"content": "Hi {{name}}, re {{topic}}: {{tone}}",
                    "variables": [{"name": "topic", "default": "cats"},
                                  {"name": "tone", "required": false, "description": "d"}]}),
        )
        .unwrap();
        let prompt = crate::materialise(&doc, crate::DocKind::Prompt);
        let out = render_prompt(&prompt, &JsonMap::new());
        assert_eq!(out.text, "Hi {{name}}, re cats: ");
        assert_eq!(out.missing, ["name"]);
        let out = render_prompt(&prompt, &values(json!({"name": "Ann", "tone": "warm"})));
        assert_eq!(
            out,
            Rendered {
                text: "Hi Ann, re cats: warm".into(),
                missing: vec![]
            }
        );
    }

    #[test]
    fn variables_read_leniently_from_json() {
        let prompt = json!({"variables": [{"name": "a"}, {"name": 1}, "junk",
            {"name": "b", "default": "x", "required": false, "description": "why"}]});
        assert_eq!(
            Variable::from_prompt(&prompt),
            [
                var("a", None, true),
                Variable {
                    description: "why".into(),
                    ..var("b", Some("x"), false)
                }
            ]
        );
        assert!(Variable::from_prompt(&json!(null)).is_empty());
    }
}
