//! Reconnect policy: exponential [`Backoff`] with jitter, and which close
//! codes are worth another try. Pure: no clock, no randomness of its own.

use std::time::Duration;

/// Exponential backoff with jitter for reconnecting a live document.
///
/// Attempt `n` (from 1) waits at most `initial × factorⁿ⁻¹`, capped at `max`;
/// jitter then takes a random share of up to `jitter` off that ceiling, so
/// clients dropped together do not all come back in the same instant. The
/// attempt count starts again after a connection reaches sync.
///
/// ```
/// use std::time::Duration;
/// use rocqet_client::Backoff;
///
/// let backoff = Backoff::new()
///     .initial(Duration::from_millis(100))
///     .max(Duration::from_secs(5))
///     .jitter(0.5)
///     .max_attempts(Some(20));
/// // The third attempt waits between 200 and 400 ms, depending on `random`.
/// assert_eq!(backoff.delay(3, 0.0), Duration::from_millis(400));
/// assert_eq!(backoff.delay(3, 1.0), Duration::from_millis(200));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    factor: f64,
    jitter: f64,
    max_attempts: Option<u32>,
}

impl Default for Backoff {
    /// 250 ms doubling up to 30 s, half of it jittered, retrying forever.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
            factor: 2.0,
            jitter: 0.5,
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// The defaults: 250 ms doubling up to 30 s, half jittered, no attempt limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ceiling of the first attempt's delay.
    pub fn initial(mut self, initial: Duration) -> Self {
        self.initial = initial;
        self
    }

    /// Largest delay between attempts.
    pub fn max(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// Growth per attempt; values below 1 (or not finite) mean 1.
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = if factor.is_finite() {
            factor.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// Share of each delay that is random, from 0 (none) to 1 (all).
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// Attempts before giving up (`None`: never give up).
    pub fn max_attempts(mut self, max_attempts: Option<u32>) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// The attempt limit, if any.
    pub fn attempt_limit(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The un-jittered delay before attempt `attempt` (from 1; 0 counts as 1).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.initial.as_secs_f64() * self.factor.powi(exponent);
        let max = self.max.as_secs_f64();
        // `powi` overflows to infinity, which the cap turns back into `max`.
        Duration::try_from_secs_f64(secs.min(max)).unwrap_or(self.max)
    }

    /// The delay before attempt `attempt` given a `random` sample in `[0, 1]`
    /// (clamped): `ceiling × (1 − jitter × random)`. Pure, for tests and
    /// for callers with their own randomness.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.ceiling(attempt)
            .mul_f64((1.0 - self.jitter * random).clamp(0.0, 1.0))
    }
}

/// A running count of attempts against one [`Backoff`].
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    backoff: Backoff,
    attempt: u32,
}

impl Schedule {
    pub fn new(backoff: Backoff) -> Self {
        Schedule {
            backoff,
            attempt: 0,
        }
    }

    /// The delay before the next attempt, or `None` once the limit is spent.
    pub fn next_delay(&mut self, random: f64) -> Option<Duration> {
        if self
            .backoff
            .max_attempts
            .is_some_and(|limit| self.attempt >= limit)
        {
            return None;
        }
        self.attempt = self.attempt.saturating_add(1);
        Some(self.backoff.delay(self.attempt, random))
    }

    /// Attempts made since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Starts counting from the first attempt again (after a good connection).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// What to do after a connection ended or a dial was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait, then dial again.
    Retry,
    /// The token was refused: get a fresh one, then dial again.
    RefreshToken,
    /// Retrying cannot help: close for good.
    GiveUp,
}

/// Close codes of API.md that another attempt cannot fix: a bad message,
/// no access, no such document, a deleted document, too large.
pub(crate) const TERMINAL_CLOSE_CODES: [u16; 5] = [4400, 4403, 4404, 4410, 4413];

/// Close code for "unauthenticated or token expired".
pub(crate) const CLOSE_UNAUTHENTICATED: u16 = 4401;

/// The policy for a socket closed with `code`.
pub(crate) fn after_close(code: u16) -> Next {
    if code == CLOSE_UNAUTHENTICATED {
        Next::RefreshToken
    } else if TERMINAL_CLOSE_CODES.contains(&code) {
        Next::GiveUp
    } else {
        // 1001 shutting down, 1006 dropped, 1011 server trouble, 1013 lagging,
        // 4429 rate limited, and anything unknown: a later attempt may work.
        Next::Retry
    }
}

/// The policy for an upgrade refused with HTTP `status`.
pub(crate) fn after_rejection(status: u16) -> Next {
    match status {
        401 => Next::RefreshToken,
        400 | 403 | 404 | 410 | 413 => Next::GiveUp,
        _ => Next::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn backoff() -> Backoff {
        Backoff::new()
            .initial(MS(100))
            .max(MS(2_000))
            .factor(2.0)
            .jitter(0.5)
    }

    /// A seeded sequence of samples in [0, 1), standing in for the RNG.
    fn samples(seed: u64) -> impl Iterator<Item = f64> {
        let mut x = seed | 1;
        std::iter::from_fn(move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Some((x >> 11) as f64 / (1u64 << 53) as f64)
        })
    }

    #[test]
    fn ceilings_grow_exponentially_up_to_the_cap() {
        let b = backoff();
        let ceilings: Vec<_> = (1..=7).map(|n| b.ceiling(n)).collect();
        assert_eq!(
            ceilings,
            [100, 200, 400, 800, 1_600, 2_000, 2_000].map(MS).to_vec()
        );
        assert_eq!(b.ceiling(0), MS(100), "attempt 0 counts as the first");
        assert_eq!(b.ceiling(u32::MAX), MS(2_000), "no overflow");
    }

    #[test]
    fn every_jittered_delay_stays_within_its_bounds() {
        let b = backoff();
        let seed = 0x5eed_1234;
        for (i, random) in samples(seed).take(2_000).enumerate() {
            let attempt = u32::try_from(i % 40).expect("small") + 1;
            let ceiling = b.ceiling(attempt);
            let delay = b.delay(attempt, random);
            assert!(
                delay <= ceiling && delay >= ceiling / 2,
                "seed {seed:#x}, attempt {attempt}, random {random}: {delay:?} not in [{:?}, {ceiling:?}]",
                ceiling / 2
            );
        }
    }

    #[test]
    fn jitter_spreads_clients_apart() {
        let b = backoff();
        let delays: std::collections::BTreeSet<_> =
            samples(7).take(50).map(|r| b.delay(5, r)).collect();
        assert!(delays.len() > 40, "only {} distinct delays", delays.len());
        assert_eq!(b.delay(5, 0.0), MS(1_600));
        assert_eq!(b.delay(5, 1.0), MS(800));
    }

    #[test]
    fn no_jitter_means_exact_delays_and_bad_inputs_are_tamed() {
        let b = backoff().jitter(0.0);
        assert_eq!(b.delay(2, 0.7), MS(200));
        let b = backoff().jitter(f64::NAN).factor(0.1);
        assert_eq!(b.delay(3, f64::INFINITY), MS(100), "factor below 1 is 1");
        assert_eq!(backoff().jitter(7.0).delay(1, 1.0), Duration::ZERO);
    }

    #[test]
    fn schedule_counts_attempts_gives_up_and_resets() {
        let mut schedule = Schedule::new(backoff().jitter(0.0).max_attempts(Some(3)));
        let delays: Vec<_> = std::iter::from_fn(|| schedule.next_delay(0.5)).collect();
        assert_eq!(delays, [100, 200, 400].map(MS).to_vec());
        assert_eq!(schedule.attempts(), 3);
        assert_eq!(schedule.next_delay(0.5), None, "the limit is spent");
        schedule.reset();
        assert_eq!(schedule.next_delay(0.5), Some(MS(100)));
    }

    #[test]
    fn terminal_codes_are_never_retried() {
        for code in TERMINAL_CLOSE_CODES {
            assert_eq!(after_close(code), Next::GiveUp, "{code}");
        }
        assert_eq!(after_close(4401), Next::RefreshToken);
        for code in [1000, 1001, 1006, 1011, 1013, 4429] {
            assert_eq!(after_close(code), Next::Retry, "{code}");
        }
        assert_eq!(after_rejection(401), Next::RefreshToken);
        assert_eq!(after_rejection(404), Next::GiveUp);
        assert_eq!(after_rejection(502), Next::Retry);
    }
}
