//! Rate limits on the password endpoints, per client IP and per email, so
//! guessing is slow from one address and against one account.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Keys are dropped once their bucket is full again, every this many checks.
const PRUNE_EVERY: u64 = 1024;

/// Buckets for login and register attempts.
pub struct Throttle {
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_email: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: std::sync::atomic::AtomicU64,
}

impl Throttle {
    /// `per_ip` and `per_email` attempts per minute, each also the burst.
    pub fn new(per_ip: u32, per_email: u32) -> Self {
        Self {
            by_ip: RateLimiter::keyed(quota(per_ip)),
            by_email: RateLimiter::keyed(quota(per_email)),
            clock: DefaultClock::default(),
            checks: Default::default(),
        }
    }

    /// Takes one attempt for this IP and email; `Err(seconds)` to wait when over.
    pub fn check(&self, ip: Option<IpAddr>, email: &str) -> Result<(), u64> {
        let checks = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if checks.is_multiple_of(PRUNE_EVERY) {
            self.by_ip.retain_recent();
            self.by_email.retain_recent();
        }
        let now = self.clock.now();
        let wait =
            |not_until: governor::NotUntil<_>| not_until.wait_time_from(now).as_secs().max(1);
        if let Some(ip) = ip {
            self.by_ip.check_key(&ip).map_err(wait)?;
        }
        self.by_email.check_key(&email.to_owned()).map_err(wait)
    }
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_and_an_ip_each_run_out() {
        let throttle = Throttle::new(5, 3);
        let ip: IpAddr = [127, 0, 0, 1].into();
        assert!((0..3).all(|_| throttle.check(Some(ip), "a@x.io").is_ok()));
        assert!(throttle.check(Some(ip), "a@x.io").unwrap_err() >= 1);
        assert!(throttle.check(Some(ip), "b@x.io").is_ok());
        assert!(
            throttle.check(Some(ip), "c@x.io").is_err(),
            "the IP's 5 are spent"
        );
        assert!(throttle.check(Some([10, 0, 0, 1].into()), "d@x.io").is_ok());
    }
}
