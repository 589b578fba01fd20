//! Keeps fractional positions stable when a list is rewritten.
//!
//! A PATCH sends the whole desired order. Rewriting every position would
//! clobber a peer's concurrent move of another item, so only items outside
//! a longest run that is already in order get a new position.

use crate::position::{between, is_valid};

/// For each slot of the desired order, given its current position (`None`
/// for a new item), the position to write (`None`: keep the current one).
pub(crate) fn reposition(current: &[Option<&str>]) -> Vec<Option<String>> {
    let valid: Vec<Option<&str>> = current.iter().map(|p| p.filter(|p| is_valid(p))).collect();
    let keep = longest_increasing(&valid);
    // The kept position after each slot: the upper bound for new positions there.
    let mut next_kept = vec![None; valid.len()];
    let mut upper = None;
    for i in (0..valid.len()).rev() {
        next_kept[i] = upper;
        if keep[i] {
            upper = valid[i];
        }
    }
    let mut lower: Option<String> = None;
    let mut out = Vec::with_capacity(valid.len());
    for i in 0..valid.len() {
        if keep[i] {
            lower = valid[i].map(str::to_owned);
            out.push(None);
        } else {
            let p = between(lower.as_deref(), next_kept[i]);
            lower = Some(p.clone());
            out.push(Some(p));
        }
    }
    out
}

/// Marks one longest strictly increasing subsequence of the present values.
fn longest_increasing(values: &[Option<&str>]) -> Vec<bool> {
    // Patience sorting: tails[k] = slot ending the best run of length k + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; values.len()];
    for (i, value) in values.iter().enumerate() {
        let Some(v) = value else { continue };
        let k = tails.partition_point(|&t| values[t].is_some_and(|t| t < *v));
        prev[i] = k.checked_sub(1).map(|k| tails[k]);
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut keep = vec![false; values.len()];
    let mut at = tails.last().copied();
    while let Some(i) = at {
        keep[i] = true;
        at = prev[i];
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn apply(current: &[Option<&str>]) -> Vec<String> {
        let new = reposition(current);
        current
            .iter()
            .zip(new)
            .map(|(old, new)| new.unwrap_or_else(|| old.unwrap_or_default().to_owned()))
            .collect()
    }

    #[test]
    fn unchanged_order_rewrites_nothing() {
        assert_eq!(
            reposition(&[Some("a"), Some("b"), Some("c")]),
            [None, None, None]
        );
    }

    #[test]
    fn moving_one_item_rewrites_only_that_item() {
        let new = reposition(&[Some("c"), Some("a"), Some("b")]);
        assert_eq!(new.iter().filter(|p| p.is_some()).count(), 1);
        assert!(new[0].as_deref().is_some_and(|p| p < "a"));
    }

    #[test]
    fn new_items_fit_between_neighbours() {
        let out = apply(&[None, Some("a"), None, None, Some("b"), None]);
        assert!(out.windows(2).all(|w| w[0] < w[1]), "{out:?}");
    }

    #[test]
    fn duplicate_and_invalid_positions_are_replaced() {
        let out = apply(&[Some("a"), Some("a"), Some("bad!"), Some("b0")]);
        assert!(out.windows(2).all(|w| w[0] < w[1]), "{out:?}");
    }

    proptest! {
        #[test]
        fn result_is_strictly_increasing_and_keeps_a_longest_run(
            slots in proptest::collection::vec(proptest::option::of("[0-9a-z]{1,3}"), 0..30)
        ) {
            let current: Vec<Option<&str>> = slots.iter().map(|s| s.as_deref()).collect();
            let out = apply(&current);
            prop_assert!(out.windows(2).all(|w| w[0] < w[1]), "{:?}", out);
            prop_assert!(out.iter().all(|p| is_valid(p)));
        }
    }
}
