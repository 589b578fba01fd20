//! Which items moved between two orderings of the same list.
//!
//! Definition: take the ids present in both lists. Keep a longest
//! subsequence of them that is in the same relative order in both lists;
//! among several such, keep the one whose positions in the old list are
//! lexicographically smallest (items that came first keep their place).
//! Every other common id moved; they are reported in new order. So
//! `[a, b, c]` → `[c, a, b]` reports `[c]`, `[a, b, c]` → `[b, c, a]`
//! reports `[a]`, and `[a, b]` → `[b, a]` reports `[b]`. Items added or
//! removed never count as moved.

use std::collections::HashMap;

/// The moved ids, in new order (see the module docs for the exact definition).
pub(crate) fn moved(old: &[&str], new: &[&str]) -> Vec<String> {
    let new_index: HashMap<&str, usize> = new.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    // The common ids in old order, each with its new index.
    let common: Vec<(&str, usize)> = old
        .iter()
        .filter_map(|&id| Some((id, *new_index.get(id)?)))
        .collect();
    let kept = earliest_longest_increasing(&common.iter().map(|&(_, i)| i).collect::<Vec<_>>());
    let mut moved: Vec<(usize, &str)> = common
        .iter()
        .zip(kept)
        .filter(|&(_, keep)| !keep)
        .map(|(&(id, i), _)| (i, id))
        .collect();
    moved.sort_unstable();
    moved.into_iter().map(|(_, id)| id.to_owned()).collect()
}

/// Marks the longest strictly increasing subsequence of `values` whose positions are lexicographically smallest.
fn earliest_longest_increasing(values: &[usize]) -> Vec<bool> {
    // longest[i]: length of the longest increasing run starting at i, found
    // right to left in O(n log n): best[k] is the largest value that starts a
    // run of length k + 1 among the values seen so far (it decreases with k).
    let mut longest = vec![0; values.len()];
    let mut best: Vec<usize> = Vec::new();
    for (i, &v) in values.iter().enumerate().rev() {
        let k = best.partition_point(|&b| b > v);
        longest[i] = k + 1;
        match best.get_mut(k) {
            Some(b) => *b = v,
            None => best.push(v),
        }
    }
    // Greedy left to right: the first position that still completes a longest run.
    let mut keep = vec![false; values.len()];
    let mut need = best.len();
    let mut last: Option<usize> = None;
    for (i, &v) in values.iter().enumerate() {
        if need > 0 && longest[i] == need && last.is_none_or(|l| v > l) {
            keep[i] = true;
            need -= 1;
            last = Some(v);
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reports_the_items_that_moved() {
        assert_eq!(moved(&["a", "b", "c"], &["c", "a", "b"]), ["c"]);
        assert_eq!(moved(&["a", "b", "c"], &["b", "c", "a"]), ["a"]);
        assert_eq!(moved(&["a", "b"], &["b", "a"]), ["b"]);
        assert_eq!(moved(&["a", "b", "c"], &["b", "a", "c"]), ["b"]);
        assert_eq!(
            moved(&["a", "b", "c", "d"], &["d", "c", "b", "a"]),
            ["d", "c", "b"]
        );
        assert!(moved(&["a", "b", "c"], &["a", "b", "c"]).is_empty());
    }

    #[test]
    fn added_and_removed_items_do_not_count() {
        assert!(moved(&["a", "x", "b"], &["y", "a", "b", "z"]).is_empty());
        assert_eq!(moved(&["a", "x", "b"], &["b", "y", "a"]), ["b"]);
    }

    /// The longest increasing subsequence length, by plain O(n²) dynamic programming.
    fn lis_len(values: &[usize]) -> usize {
        let mut best = vec![1; values.len()];
        for i in 0..values.len() {
            for j in 0..i {
                if values[j] < values[i] {
                    best[i] = best[i].max(best[j] + 1);
                }
            }
        }
        best.into_iter().max().unwrap_or(0)
    }

    proptest! {
        #[test]
        fn keeps_an_increasing_run_of_maximum_length(
            values in Just((0..12).collect::<Vec<usize>>()).prop_shuffle()
        ) {
            let keep = earliest_longest_increasing(&values);
            let kept: Vec<usize> = values.iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect();
            prop_assert!(kept.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(kept.len(), lis_len(&values));
        }
    }
}
