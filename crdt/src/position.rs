//! Fractional indexing: sort keys that always have room between them.
//!
//! A key is a non-empty string of base-62 digits (`0-9A-Za-z`, in ASCII
//! order) that does not end in `0`. Read as the fraction `0.d1d2…` in base
//! 62, keys compare like plain strings, and between any two distinct keys
//! there is another one, so inserting or moving an item rewrites only that
//! item's key. The web editor must generate keys with the same rules.

/// The digits, in ascending order (which is also their ASCII order).
const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// One past the largest digit value; stands for the open upper end.
const BASE: u8 = 62;

/// Whether `key` is a well-formed position key.
pub fn is_valid(key: &str) -> bool {
    key.bytes().last().is_some_and(|last| last != b'0') && key.bytes().all(|c| digit(c).is_some())
}

/// A key strictly between `a` and `b`; `None` is the open start or end.
///
/// Always returns a valid key. Invalid inputs are treated as `None`, and a
/// `b` that is not greater than `a` is ignored, so the function is total;
/// callers that pass ordered, valid keys get a key strictly between them.
pub fn between(a: Option<&str>, b: Option<&str>) -> String {
    let lower = a.filter(|k| is_valid(k)).map(to_digits).unwrap_or_default();
    let upper = b
        .filter(|k| is_valid(k) && a.is_none_or(|a| !is_valid(a) || *k > a))
        .map(to_digits);
    let out = match (a.is_some_and(is_valid), upper) {
        (false, None) => vec![BASE / 2],
        (true, None) => increment(&lower),
        (false, Some(upper)) => decrement(&upper),
        (true, Some(upper)) => midpoint(&lower, Some(&upper)),
    };
    out.iter()
        .map(|&d| char::from(DIGITS[usize::from(d)]))
        .collect()
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        b'a'..=b'z' => Some(c - b'a' + 36),
        _ => None,
    }
}

fn to_digits(key: &str) -> Vec<u8> {
    key.bytes().filter_map(digit).collect()
}

/// A short key just above `a`: appends step by one digit instead of halving
/// the gap, so a list grows one character per ~61 appends, not per ~6.
fn increment(a: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0.. {
        let d = a.get(i).copied().unwrap_or(0);
        if d + 1 < BASE {
            out.push(d + 1);
            return out;
        }
        out.push(d);
    }
    out
}

/// A short key just below `b`; the mirror image of [`increment`].
fn decrement(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut b = b;
    loop {
        match b.first().copied() {
            Some(d) if d > 1 => out.push(d - 1),
            // "1x…" > "1" and "1" is valid; "1" alone has only "0…" below it.
            Some(1) if b.len() > 1 => out.push(1),
            Some(1) => {
                out.extend([0, BASE - 1]);
                return out;
            }
            Some(_) => {
                out.push(0);
                b = &b[1..];
                continue;
            }
            None => out.push(BASE - 1),
        }
        return out;
    }
}

/// The shortest-ish digit string strictly between `a` (missing digits are
/// zeros) and `b` (`None` = 1.0). Requires `a < b` and `b` without a
/// trailing zero; never ends in a zero itself.
fn midpoint(mut a: &[u8], mut b: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        if let Some(upper) = b {
            // Copy the common prefix: the result must share it to fit between.
            let n = upper
                .iter()
                .enumerate()
                .take_while(|&(i, &d)| a.get(i).copied().unwrap_or(0) == d)
                .count();
            out.extend_from_slice(&upper[..n]);
            a = a.get(n..).unwrap_or(&[]);
            b = Some(&upper[n..]).filter(|rest| !rest.is_empty());
        }
        let da = a.first().copied().unwrap_or(0);
        let db = b.and_then(|b| b.first().copied()).unwrap_or(BASE);
        if db > da + 1 {
            out.push((da + db) / 2);
            return out;
        }
        if let Some(upper) = b.filter(|u| u.len() > 1 && u[0] == da + 1) {
            // `b`'s first digit alone is below `b` and above anything starting with `da`.
            out.push(upper[0]);
            return out;
        }
        // No room at this digit: keep `a`'s digit and look for room after it, unbounded above.
        out.push(da);
        a = a.get(1..).unwrap_or(&[]);
        b = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = String> {
        "[0-9A-Za-z]{0,6}[1-9A-Za-z]"
    }

    #[test]
    fn first_key_is_the_middle_digit() {
        assert_eq!(between(None, None), "V");
        assert!(is_valid(&between(None, None)));
    }

    #[test]
    fn squeezes_between_adjacent_digits() {
        assert_eq!(between(Some("1"), Some("2")), "1V");
        assert_eq!(between(Some("1"), Some("21")), "2");
        assert_eq!(between(None, Some("01")), "00z");
        assert_eq!(between(Some("z"), None), "z1");
    }

    #[test]
    fn invalid_or_unordered_bounds_are_ignored() {
        for (a, b) in [
            (Some("a0"), None),
            (Some("!"), Some("b")),
            (Some("b"), Some("a")),
            (Some("b"), Some("b")),
        ] {
            let k = between(a, b);
            assert!(is_valid(&k), "{k}");
        }
        assert!(between(Some("b"), Some("a")).as_str() > "b");
    }

    #[test]
    fn repeated_appends_and_prepends_stay_short() {
        let (mut first, mut last) = (between(None, None), between(None, None));
        for _ in 0..1000 {
            let next = between(Some(&last), None);
            assert!(next > last);
            last = next;
            let prev = between(None, Some(&first));
            assert!(prev < first);
            first = prev;
        }
        assert!(last.len() < 20 && first.len() < 20, "{last} {first}");
    }

    proptest! {
        #[test]
        fn between_is_strictly_between(a in key(), b in key()) {
            prop_assume!(a != b);
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            let mid = between(Some(&lo), Some(&hi));
            prop_assert!(is_valid(&mid), "{mid}");
            prop_assert!(lo < mid && mid < hi, "{lo} < {mid} < {hi}");
        }

        #[test]
        fn open_ends_are_respected(k in key()) {
            let before = between(None, Some(&k));
            let after = between(Some(&k), None);
            prop_assert!(is_valid(&before) && is_valid(&after));
            prop_assert!(before < k && k < after);
        }

        #[test]
        fn never_panics_on_garbage(a in ".{0,8}", b in ".{0,8}") {
            prop_assert!(is_valid(&between(Some(&a), Some(&b))));
        }

        #[test]
        fn repeated_splits_stay_ordered(choices in proptest::collection::vec(any::<bool>(), 1..60)) {
            let (mut lo, mut hi) = (between(None, None), None::<String>);
            for left in choices {
                let mid = between(Some(&lo), hi.as_deref());
                prop_assert!(mid > lo && hi.as_ref().is_none_or(|h| &mid < h));
                if left { hi = Some(mid) } else { lo = mid }
            }
        }
    }
}
