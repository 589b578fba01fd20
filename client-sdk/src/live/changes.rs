//! [`Changes`]: wake on every change to a live document.

use tokio::sync::watch;

use super::conn::State;
use crate::ClientError;

/// Wakes on every change to a live document or its awareness, local or
/// remote. Changes that land while nobody is waiting are coalesced: one
/// [`next`](Self::next) covers all of them, so read the document afresh
/// after each wake-up.
///
/// ```no_run
/// # async fn demo(live: rocqet_client::LiveDoc) -> Result<(), rocqet_client::ClientError> {
/// let mut changes = live.changes();
/// loop {
///     println!("{}", live.text("content"));
///     changes.next().await?; // Err once the document is closed for good
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Changes {
    rx: watch::Receiver<State>,
    seen: u64,
}

impl Changes {
    pub(crate) fn new(rx: watch::Receiver<State>) -> Self {
        let seen = rx.borrow().changes;
        Changes { rx, seen }
    }

    /// Waits for the next change after the last one seen (or after this
    /// watcher was made). Fails once the document is closed for good.
    pub async fn next(&mut self) -> Result<(), ClientError> {
        loop {
            {
                let state = self.rx.borrow_and_update();
                if state.changes != self.seen {
                    self.seen = state.changes;
                    return Ok(());
                }
                if let Some((code, reason)) = state.closed.clone() {
                    return Err(ClientError::Closed { code, reason });
                }
            }
            if self.rx.changed().await.is_err() {
                return Err(ClientError::Closed {
                    code: super::conn::CLOSE_ABNORMAL,
                    reason: "client dropped".into(),
                });
            }
        }
    }
}
