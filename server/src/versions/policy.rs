//! When an automatic version is due: after a quiet period, or after a maximum
//! interval of continuous editing, and only when something changed.
//!
//! The room also cuts when its last editor leaves and before it unloads;
//! those need no timing, only [`Changes::is_dirty`].

use crate::clock::Millis;
use crate::ids::UserId;

/// The timing rules, in milliseconds of the injected clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutPolicy {
    /// Cut once nothing has changed for this long after a change.
    pub quiet_ms: Millis,
    /// Cut once the oldest unversioned change is this old, however busy the document is.
    pub max_interval_ms: Millis,
}

/// What changed since the last version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// When the oldest unversioned change landed; `None` when there is none.
    first_at: Option<Millis>,
    /// When the newest one landed.
    last_at: Millis,
    /// Who made them, in order of their first change.
    authors: Vec<UserId>,
}

impl Changes {
    /// Notes a change at `now` by `author` (`None`: not attributable).
    pub fn record(&mut self, now: Millis, author: Option<UserId>) {
        self.first_at.get_or_insert(now);
        self.last_at = now;
        if let Some(author) = author.filter(|a| !self.authors.contains(a)) {
            self.authors.push(author);
        }
    }

    /// Is anything unversioned?
    pub fn is_dirty(&self) -> bool {
        self.first_at.is_some()
    }

    /// Is an automatic version due at `now`?
    pub fn due(&self, now: Millis, policy: CutPolicy) -> bool {
        self.first_at.is_some_and(|first| {
            now.saturating_sub(self.last_at) >= policy.quiet_ms
                || now.saturating_sub(first) >= policy.max_interval_ms
        })
    }

    /// The authors, starting afresh: a version is being cut.
    pub fn take(&mut self) -> Vec<UserId> {
        std::mem::take(self).authors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: CutPolicy = CutPolicy {
        quiet_ms: 30_000,
        max_interval_ms: 600_000,
    };

    #[test]
    fn nothing_is_due_without_changes() {
        let changes = Changes::default();
        assert!(!changes.is_dirty());
        assert!(!changes.due(u64::MAX, POLICY));
    }

    #[test]
    fn due_after_the_quiet_period() {
        let mut changes = Changes::default();
        changes.record(1_000, None);
        changes.record(5_000, None);
        assert!(
            !changes.due(34_999, POLICY),
            "quiet counts from the last change"
        );
        assert!(changes.due(35_000, POLICY));
    }

    #[test]
    fn due_after_the_maximum_interval_of_continuous_editing() {
        let mut changes = Changes::default();
        let mut now = 0;
        while now < 600_000 {
            changes.record(now, None);
            assert!(!changes.due(now, POLICY), "at {now}");
            now += 10_000;
        }
        changes.record(now, None);
        assert!(
            changes.due(now, POLICY),
            "the oldest change is 10 minutes old"
        );
    }

    #[test]
    fn authors_are_listed_once_in_order_and_taking_resets() {
        let (a, b) = (UserId::new(), UserId::new());
        let mut changes = Changes::default();
        changes.record(1, Some(b));
        changes.record(2, Some(a));
        changes.record(3, Some(b));
        changes.record(4, None);
        assert_eq!(changes.take(), vec![b, a]);
        assert!(!changes.is_dirty());
        assert!(!changes.due(1_000_000, POLICY));
    }
}
