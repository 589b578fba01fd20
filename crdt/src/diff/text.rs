//! Line hunks with word-level changes, for prompt content.
//!
//! The texts are split into lines after each `\n` (a line's `text` keeps its
//! line break; the last line may have none), the lines are diffed (Myers),
//! and changes are grouped into hunks with up to [`CONTEXT`] unchanged lines
//! around them, as in a unified diff. Within a hunk, a run of deleted lines
//! directly followed by inserted lines is a replacement: those lines also get
//! `segments`, a word-level diff of the run, where a word is a run of letters,
//! digits and `_`, a run of spaces and tabs, or any other single character
//! (so `{{name}}` → `{{user}}` shows only `name` → `user` changed).
//!
//! Shapes:
//!
//! - [`Hunk`] `{old_start, old_lines, new_start, new_lines, lines}`: line
//!   numbers are 1-based; a side with no lines has `*_start` equal to the
//!   number of the line before the hunk (0 at the top), as in unified diffs.
//! - [`Line`] `{op, old_line, new_line, text, segments?}`: `op` is `equal`,
//!   `delete` or `insert`; `old_line`/`new_line` are null on the side the
//!   line is not on. Deleted lines come before the inserted lines replacing
//!   them.
//! - [`Segment`] `{op, text}`: present only on lines of a replacement; the
//!   segments of a line concatenate to its `text`. A deleted line's segments
//!   are `equal` or `delete`, an inserted line's `equal` or `insert`.

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, DiffTag, capture_diff_slices, group_diff_ops};
use std::ops::Range;

/// Unchanged lines shown around each change, as `diff -u` does.
pub const CONTEXT: usize = 3;

/// What happened to a line or a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// In both texts.
    Equal,
    /// Only in the old text.
    Delete,
    /// Only in the new text.
    Insert,
}

/// A group of nearby changes with their context lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    /// First old line of the hunk, 1-based (see the module docs for empty sides).
    pub old_start: usize,
    /// How many old lines the hunk covers.
    pub old_lines: usize,
    /// First new line of the hunk, 1-based.
    pub new_start: usize,
    /// How many new lines the hunk covers.
    pub new_lines: usize,
    /// The lines, in display order.
    pub lines: Vec<Line>,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Whether the line is kept, deleted or inserted.
    pub op: Op,
    /// 1-based number in the old text, null for an inserted line.
    pub old_line: Option<usize>,
    /// 1-based number in the new text, null for a deleted line.
    pub new_line: Option<usize>,
    /// The line, with its line break if it has one.
    pub text: String,
    /// Word-level changes, only on lines of a replacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<Segment>>,
}

/// A run of words of a changed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Whether these words are kept or changed.
    pub op: Op,
    /// The words.
    pub text: String,
}

/// The hunks turning `old` into `new`; empty when they are equal.
pub fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    // Myers here is similar's bounded-work variant: a pathological input
    // gets a coarser diff, not quadratic time.
    let ops = capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines);
    group_diff_ops(ops, CONTEXT)
        .iter()
        .map(|group| hunk(group, &old_lines, &new_lines))
        .collect()
}

fn hunk(ops: &[DiffOp], old: &[&str], new: &[&str]) -> Hunk {
    let span = |range: fn(&DiffOp) -> Range<usize>| {
        let start = ops.first().map_or(0, |op| range(op).start);
        let end = ops.last().map_or(start, |op| range(op).end);
        start..end
    };
    let (old_span, new_span) = (span(DiffOp::old_range), span(DiffOp::new_range));
    let start = |span: &Range<usize>| span.start + usize::from(!span.is_empty());
    let mut lines = Vec::new();
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => lines.extend(o.zip(n).map(|(i, j)| Line {
                op: Op::Equal,
                old_line: Some(i + 1),
                new_line: Some(j + 1),
                text: at(old, i).to_owned(),
                segments: None,
            })),
            DiffTag::Delete => lines.extend(o.map(|i| side_line(Op::Delete, i, at(old, i), None))),
            DiffTag::Insert => lines.extend(n.map(|j| side_line(Op::Insert, j, at(new, j), None))),
            DiffTag::Replace => {
                let old_run = old.get(o.clone()).unwrap_or_default();
                let new_run = new.get(n.clone()).unwrap_or_default();
                let (old_words, new_words) = word_segments(old_run, new_run);
                let mut old_words = old_words.into_iter();
                let mut new_words = new_words.into_iter();
                for i in o {
                    lines.push(side_line(Op::Delete, i, at(old, i), old_words.next()));
                }
                for j in n {
                    lines.push(side_line(Op::Insert, j, at(new, j), new_words.next()));
                }
            }
        }
    }
    Hunk {
        old_start: start(&old_span),
        old_lines: old_span.len(),
        new_start: start(&new_span),
        new_lines: new_span.len(),
        lines,
    }
}

fn at<'a>(lines: &[&'a str], i: usize) -> &'a str {
    lines.get(i).copied().unwrap_or_default()
}

/// A deleted or inserted line: line `i` (0-based) of its side.
fn side_line(op: Op, i: usize, text: &str, segments: Option<Vec<Segment>>) -> Line {
    let number = Some(i + 1);
    let (old_line, new_line) = match op {
        Op::Insert => (None, number),
        _ => (number, None),
    };
    Line {
        op,
        old_line,
        new_line,
        text: text.to_owned(),
        segments,
    }
}

/// Word-level diff of a replaced run of lines: the segments of each old line and of each new line.
fn word_segments(old: &[&str], new: &[&str]) -> (Vec<Vec<Segment>>, Vec<Vec<Segment>>) {
    let old_text = old.concat();
    let new_text = new.concat();
    let old_words = words(&old_text);
    let new_words = words(&new_text);
    let ops = capture_diff_slices(Algorithm::Myers, &old_words, &new_words);
    let mut old_side = SideBuilder::default();
    let mut new_side = SideBuilder::default();
    for op in &ops {
        let (tag, o, n) = op.as_tag_tuple();
        let (old_op, new_op) = match tag {
            DiffTag::Equal => (Op::Equal, Op::Equal),
            _ => (Op::Delete, Op::Insert),
        };
        for w in old_words.get(o).unwrap_or_default() {
            old_side.push(old_op, w);
        }
        for w in new_words.get(n).unwrap_or_default() {
            new_side.push(new_op, w);
        }
    }
    (old_side.finish(), new_side.finish())
}

/// Collects tagged words into per-line segment lists, merging neighbours with the same op.
#[derive(Default)]
struct SideBuilder {
    lines: Vec<Vec<Segment>>,
    current: Vec<Segment>,
}

impl SideBuilder {
    fn push(&mut self, op: Op, word: &str) {
        match self.current.last_mut() {
            Some(last) if last.op == op => last.text.push_str(word),
            _ => self.current.push(Segment {
                op,
                text: word.to_owned(),
            }),
        }
        // `\n` is always a word of its own, so lines end exactly here.
        if word == "\n" {
            self.lines.push(std::mem::take(&mut self.current));
        }
    }

    fn finish(mut self) -> Vec<Vec<Segment>> {
        if !self.current.is_empty() {
            self.lines.push(self.current);
        }
        self.lines
    }
}

/// Splits text into words: letter/digit/`_` runs, blank runs (not `\n`), and single other characters.
fn words(text: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum Class {
        Word,
        Blank,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            Class::Word
        } else if c.is_whitespace() && c != '\n' {
            Class::Blank
        } else {
            Class::Other
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<Class> = None;
    for (i, c) in text.char_indices() {
        let cls = class(c);
        let joins = cls != Class::Other && prev.as_ref() == Some(&cls);
        if !joins && i > start {
            out.extend(text.get(start..i));
            start = i;
        }
        prev = Some(cls);
    }
    if start < text.len() {
        out.extend(text.get(start..));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_split_on_class_changes() {
        assert_eq!(
            words("Hi {{user_1}},\tok\n\né"),
            [
                "Hi", " ", "{", "{", "user_1", "}", "}", ",", "\t", "ok", "\n", "\n", "é"
            ]
        );
        assert!(words("").is_empty());
    }

    #[test]
    fn equal_texts_have_no_hunks() {
        assert!(hunks("a\nb", "a\nb").is_empty());
        assert!(hunks("", "").is_empty());
    }

    #[test]
    fn distant_changes_get_separate_hunks_with_three_lines_of_context() {
        let old: String = (1..=20).map(|i| format!("l{i}\n")).collect();
        let new = old.replace("l2\n", "L2\n").replace("l19\n", "");
        let h = hunks(&old, &new);
        assert_eq!(h.len(), 2);
        assert_eq!(
            (
                h[0].old_start,
                h[0].old_lines,
                h[0].new_start,
                h[0].new_lines
            ),
            (1, 5, 1, 5)
        );
        assert_eq!(
            (
                h[1].old_start,
                h[1].old_lines,
                h[1].new_start,
                h[1].new_lines
            ),
            (16, 5, 16, 4)
        );
    }

    #[test]
    fn a_hunk_into_an_empty_text_starts_at_zero() {
        let h = hunks("", "a\n");
        assert_eq!(
            (
                h[0].old_start,
                h[0].old_lines,
                h[0].new_start,
                h[0].new_lines
            ),
            (0, 0, 1, 1)
        );
        assert_eq!(h[0].lines[0].segments, None);
    }

    fn side(lines: &[Line], op: Op) -> String {
        lines
            .iter()
            .filter(|l| l.op == op || l.op == Op::Equal)
            .map(|l| l.text.as_str())
            .collect()
    }

    proptest! {
        #[test]
        fn hunks_hold_both_texts_and_segments_rebuild_lines(
            old in "[ab \n{}é]{0,30}", new in "[ab \n{}é]{0,30}"
        ) {
            for h in hunks(&old, &new) {
                let old_part = side(&h.lines, Op::Delete);
                let new_part = side(&h.lines, Op::Insert);
                prop_assert_eq!(old_part.split_inclusive('\n').count(), h.old_lines);
                prop_assert_eq!(new_part.split_inclusive('\n').count(), h.new_lines);
                prop_assert!(old.contains(&old_part) && new.contains(&new_part));
                for line in &h.lines {
                    if let Some(segments) = &line.segments {
                        let joined: String = segments.iter().map(|s| s.text.as_str()).collect();
                        prop_assert_eq!(&joined, &line.text);
                        prop_assert!(segments.iter().all(|s| s.op == line.op || s.op == Op::Equal));
                    }
                }
            }
            if old == new {
                prop_assert!(hunks(&old, &new).is_empty());
            }
        }
    }
}
