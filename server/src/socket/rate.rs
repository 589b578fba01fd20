//! Per-connection rate limits for document updates and awareness messages.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use yrs::sync::protocol::{MSG_AWARENESS, MSG_SYNC, MSG_SYNC_STEP_2, MSG_SYNC_UPDATE};

use crate::config::Limits;

/// Which bucket a frame draws from, decided from its first two bytes without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameClass {
    Update,
    Awareness,
    Other,
}

/// Classifies a frame by its message tags.
pub fn classify(frame: &[u8]) -> FrameClass {
    match frame {
        [MSG_SYNC, MSG_SYNC_UPDATE | MSG_SYNC_STEP_2, ..] => FrameClass::Update,
        [MSG_AWARENESS, ..] => FrameClass::Awareness,
        _ => FrameClass::Other,
    }
}

/// The two token buckets of one connection. Bursts of twice the rate are allowed,
/// so pasting or a reconnect's catch-up is not punished.
pub struct ConnectionRates {
    updates: DefaultDirectRateLimiter,
    awareness: DefaultDirectRateLimiter,
}

impl ConnectionRates {
    /// Buckets sized from the configured limits.
    pub fn new(limits: &Limits) -> Self {
        Self {
            updates: limiter(limits.updates_per_sec),
            awareness: limiter(limits.awareness_per_sec),
        }
    }

    /// Takes a token for this frame; false when the connection is over its rate.
    pub fn allow(&self, frame: &[u8]) -> bool {
        match classify(frame) {
            FrameClass::Update => self.updates.check().is_ok(),
            FrameClass::Awareness => self.awareness.check().is_ok(),
            FrameClass::Other => true,
        }
    }
}

fn limiter(per_sec: u32) -> DefaultDirectRateLimiter {
    let rate = NonZeroU32::new(per_sec.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(per_sec.max(1).saturating_mul(2)).unwrap_or(NonZeroU32::MIN);
    RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_tags() {
        assert_eq!(classify(&[0, 2, 0]), FrameClass::Update);
        assert_eq!(classify(&[0, 1, 0]), FrameClass::Update);
        assert_eq!(classify(&[0, 0, 0]), FrameClass::Other);
        assert_eq!(classify(&[1, 5]), FrameClass::Awareness);
        assert_eq!(classify(&[]), FrameClass::Other);
    }

    #[test]
    fn a_flood_beyond_the_burst_is_refused() {
        let mut limits = crate::config::Config::for_database("sqlite::memory:").limits;
        limits.awareness_per_sec = 10;
        let rates = ConnectionRates::new(&limits);
        let allowed = (0..100).filter(|_| rates.allow(&[1, 0])).count();
        assert!(
            (20..100).contains(&allowed),
            "a flood of 100 must be cut after the burst of 20, allowed {allowed}"
        );
        assert!(rates.allow(&[0, 2, 0, 0]), "updates have their own bucket");
    }
}
