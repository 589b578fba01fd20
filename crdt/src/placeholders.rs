//! `{{name}}` placeholders in prompt templates.
//!
//! A placeholder is `{{`, optional ASCII whitespace, a name matching
//! `[A-Za-z_][A-Za-z0-9_.-]*`, optional ASCII whitespace, `}}`. Anything else
//! between double braces is plain text, so `{{ 1 }}` or `{{a b}}` render as
//! written.
//!
//! Escapes: a run of backslashes directly before `{{` is halved, and an odd
//! run makes that `{{` literal text: `\{{name}}` is the text `{{name}}` (not
//! a variable), `\\{{name}}` is a backslash followed by the placeholder.
//! Backslashes anywhere else are plain text. [`parse`] resolves escapes;
//! [`find`] and [`extract`] see only live placeholders, so an escaped one is
//! never listed as a variable. The grammar as users read it is in
//! [`crate::render`].

use std::ops::Range;

/// One placeholder occurrence in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// The variable name, without braces or whitespace.
    pub name: &'a str,
    /// Byte range of the whole `{{ … }}` in the template, for substitution.
    pub span: Range<usize>,
}

/// Every distinct placeholder name, in order of first appearance.
pub fn extract(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in find(text) {
        if !names.iter().any(|n| n == p.name) {
            names.push(p.name.to_owned());
        }
    }
    names
}

/// Every placeholder occurrence, left to right, non-overlapping (escaped ones excluded).
pub fn find(text: &str) -> Vec<Placeholder<'_>> {
    parse(text)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Placeholder(p) => Some(p),
            Piece::Text(_) => None,
        })
        .collect()
}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text, escapes already resolved: output it as is.
    Text(&'a str),
    /// A live placeholder: substitute it.
    Placeholder(Placeholder<'a>),
}

/// The template as literal text and placeholders, left to right, escapes resolved.
///
/// Concatenating the pieces, each placeholder written as `text[span]`, gives
/// the template minus the backslashes its escapes consumed.
pub fn parse(text: &str) -> Vec<Piece<'_>> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    // Start of literal text not yet emitted, and where to look for the next `{{`.
    let mut literal = 0;
    let mut i = 0;
    while let Some(offset) = text.get(i..).and_then(|rest| rest.find("{{")) {
        let start = i + offset;
        let slashes = bytes
            .get(literal..start)
            .map_or(0, |b| b.iter().rev().take_while(|&&b| b == b'\\').count());
        if slashes > 0 {
            // Keep half the run: the backslashes are identical, so drop the tail.
            push_text(&mut pieces, text, literal..start - slashes + slashes / 2);
            literal = start;
            if slashes % 2 == 1 {
                // The `{{` stays in the pending literal text.
                i = start + 2;
                continue;
            }
        }
        match parse_at(bytes, start) {
            Some((name, end)) => {
                push_text(&mut pieces, text, literal..start);
                pieces.push(Piece::Placeholder(Placeholder {
                    // Names are ASCII, so these byte offsets are char boundaries.
                    name: text.get(name).unwrap_or_default(),
                    span: start..end,
                }));
                literal = end;
                i = end;
            }
            // `{{{x}}}` holds `{{x}}` one brace later; retry from there.
            None => i = start + 1,
        }
    }
    push_text(&mut pieces, text, literal..text.len());
    pieces
}

/// Appends `text[range]` as literal text unless it is empty.
fn push_text<'a>(pieces: &mut Vec<Piece<'a>>, text: &'a str, range: Range<usize>) {
    // Every range ends next to an ASCII byte, so it is on a char boundary;
    // `get` keeps a mistake from becoming a panic.
    if let Some(t) = text.get(range).filter(|t| !t.is_empty()) {
        pieces.push(Piece::Text(t));
    }
}

/// Whether `name` is a valid variable name.
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(is_name_start) && bytes.all(is_name_char)
}

/// Parses `{{ name }}` starting at `start`; returns the name's range and the end.
fn parse_at(bytes: &[u8], start: usize) -> Option<(Range<usize>, usize)> {
    let mut i = start + 2;
    i += count(bytes.get(i..)?, |b| b.is_ascii_whitespace());
    let name_start = i;
    if !is_name_start(*bytes.get(i)?) {
        return None;
    }
    i += 1 + count(bytes.get(i + 1..)?, is_name_char);
    let name_end = i;
    i += count(bytes.get(i..)?, |b| b.is_ascii_whitespace());
    (bytes.get(i..i + 2)? == b"}}").then_some((name_start..name_end, i + 2))
}

fn count(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    bytes.iter().take_while(|&&b| pred(b)).count()
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn extracts_names_in_order_of_first_appearance() {
        let t = "Hi {{name}}, {{ topic }} and {{name}} again; {{\n user.id \t}} {{a-b_c}}";
        assert_eq!(extract(t), ["name", "topic", "user.id", "a-b_c"]);
    }

    #[test]
    fn ignores_things_that_are_not_placeholders() {
        for t in [
            "{{}}", "{{ }}", "{{1x}}", "{{a b}}", "{{a}", "{a}}", "{{a", "{{-a}}", "{ {a}}",
            "{{é}}",
        ] {
            assert!(extract(t).is_empty(), "{t:?}");
        }
    }

    #[test]
    fn finds_placeholders_inside_extra_braces() {
        assert_eq!(extract("{{{x}}}"), ["x"]);
        let found = find("é {{ x }}!");
        assert_eq!(
            found,
            [Placeholder {
                name: "x",
                span: 3..10
            }]
        );
    }

    #[test]
    fn escaped_placeholders_are_not_variables() {
        assert_eq!(
            extract(r"\{{a}} {{b}} \\{{c}} \\\{{d}} x\y{{e}}"),
            ["b", "c", "e"]
        );
        assert_eq!(extract(r"\{{{x}}}"), Vec::<String>::new());
        assert_eq!(extract(r"{\{{x}}"), Vec::<String>::new());
    }

    #[test]
    fn parse_halves_backslash_runs_before_braces_only() {
        assert_eq!(
            parse(r"a\b \{{x}} \\{{ y }}!"),
            [
                Piece::Text(r"a\b "),
                Piece::Text(r"{{x}} \"),
                Piece::Placeholder(Placeholder {
                    name: "y",
                    span: 13..20
                }),
                Piece::Text("!"),
            ]
        );
        assert_eq!(
            parse(r"\\\\{{ 1 }}"),
            [Piece::Text(r"\\"), Piece::Text("{{ 1 }}")]
        );
        assert_eq!(parse(""), []);
    }

    #[test]
    fn validates_names() {
        assert!(is_valid_name("_a.b-c9"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("9a"));
        assert!(!is_valid_name("a b"));
    }

    proptest! {
        #[test]
        fn never_panics_and_names_are_valid(t in "(\\{\\{|\\}\\}| |[a-z_.-]|é|\\{|\\}|\\\\){0,40}") {
            for p in find(&t) {
                prop_assert!(is_valid_name(p.name));
                prop_assert!(t[p.span.clone()].contains(p.name));
            }
        }

        #[test]
        fn without_backslashes_parse_loses_nothing(t in "(\\{\\{|\\}\\}| |[a-z_.-]|é|\\{|\\}){0,40}") {
            let joined: String = parse(&t)
                .into_iter()
                .map(|piece| match piece {
                    Piece::Text(s) => s,
                    Piece::Placeholder(p) => &t[p.span],
                })
                .collect();
            prop_assert_eq!(joined, t);
        }
    }
}
