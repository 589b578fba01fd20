//! `{{name}}` placeholders in prompt templates.
//!
//! A placeholder is `{{`, optional ASCII whitespace, a name matching
//! `[A-Za-z_][A-Za-z0-9_.-]*`, optional ASCII whitespace, `}}`. Anything else
//! between double braces is plain text, so `{{ 1 }}` or `{{a b}}` render as
//! written.

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

/// Every placeholder occurrence, left to right, non-overlapping.
pub fn find(text: &str) -> Vec<Placeholder<'_>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(offset) = text.get(i..).and_then(|rest| rest.find("{{")) {
        let start = i + offset;
        match parse_at(bytes, start) {
            Some((name, end)) => {
                found.push(Placeholder {
                    // Names are ASCII, so these byte offsets are char boundaries.
                    name: text.get(name).unwrap_or_default(),
                    span: start..end,
                });
                i = end;
            }
            // `{{{x}}}` holds `{{x}}` one brace later; retry from there.
            None => i = start + 1,
        }
    }
    found
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
    fn validates_names() {
        assert!(is_valid_name("_a.b-c9"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("9a"));
        assert!(!is_valid_name("a b"));
    }

    proptest! {
        #[test]
        fn never_panics_and_names_are_valid(t in "(\\{\\{|\\}\\}| |[a-z_.-]|é|\\{|\\}){0,40}") {
            for p in find(&t) {
                prop_assert!(is_valid_name(p.name));
                prop_assert!(t[p.span.clone()].contains(p.name));
            }
        }
    }
}
