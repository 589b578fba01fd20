//! Injected time, so awareness expiry, idle unload and batching are testable without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Milliseconds since the Unix epoch (the unit yrs' awareness uses).
pub type Millis = u64;

/// `ms` as a UTC timestamp (out-of-range values clamp rather than fail).
pub fn utc(ms: Millis) -> chrono::DateTime<chrono::Utc> {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// A source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// Now, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> Millis;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to; tests advance it instead of sleeping.
#[derive(Debug, Default, Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock starting at `start_ms`.
    pub fn new(start_ms: Millis) -> Self {
        Self(Arc::new(AtomicU64::new(start_ms)))
    }

    /// Moves time forward.
    pub fn advance(&self, ms: Millis) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// Shared handle to whichever clock the server runs on.
pub type SharedClock = Arc<dyn Clock>;

/// Adapts our clock to the one yrs' `Awareness` wants, so stale-state expiry follows the injected time.
pub(crate) struct AwarenessClock(pub SharedClock);

impl yrs::sync::Clock for AwarenessClock {
    fn now(&self) -> yrs::sync::Timestamp {
        self.0.now_ms()
    }
}
