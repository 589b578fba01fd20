//! A connection's bounded outbound queue.
//!
//! The room pushes shared `Bytes` (encoded once per fan-out) and never waits:
//! when a connection's queue is full its reader has stopped reading, so the
//! connection is marked overflowed and its socket task closes it. A plain
//! `VecDeque` behind a mutex keeps an idle connection to a few dozen bytes,
//! where a channel would allocate a block of slots up front; it also keeps
//! room frames, direct replies and acks in one order.

use std::collections::VecDeque;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

/// Why the socket task must close this connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRequest {
    pub code: u16,
    pub reason: &'static str,
}

#[derive(Debug, Default)]
struct Inner {
    frames: VecDeque<Bytes>,
    close: Option<CloseRequest>,
}

/// The outbound side of one connection, shared by its room, the persister and its socket task.
#[derive(Debug)]
pub struct Outbox {
    inner: Mutex<Inner>,
    notify: Notify,
    capacity: usize,
}

impl Outbox {
    /// An empty outbox holding at most `capacity` frames.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            notify: Notify::new(),
            capacity: capacity.max(1),
        }
    }

    /// Queues a frame; a full queue turns into a close request instead of waiting.
    pub fn push(&self, frame: Bytes) {
        let mut inner = self.inner.lock();
        if inner.close.is_some() {
            return;
        }
        if inner.frames.len() >= self.capacity {
            inner.frames.clear();
            inner.close = Some(CloseRequest {
                code: crate::hub::close::LAGGING,
                reason: "not reading fast enough",
            });
        } else {
            inner.frames.push_back(frame);
        }
        drop(inner);
        self.notify.notify_one();
    }

    /// Asks the socket task to close with `code`; frames already queued are still sent first.
    pub fn close(&self, code: u16, reason: &'static str) {
        let mut inner = self.inner.lock();
        if inner.close.is_none() {
            inner.close = Some(CloseRequest { code, reason });
        }
        drop(inner);
        self.notify.notify_one();
    }

    /// Takes everything queued, plus the close request if one is pending.
    pub fn drain(&self, into: &mut Vec<Bytes>) -> Option<CloseRequest> {
        let mut inner = self.inner.lock();
        into.extend(inner.frames.drain(..));
        // Most connections sit idle between bursts: hold no queue memory meanwhile.
        inner.frames = VecDeque::new();
        inner.close.clone()
    }

    /// Is a close pending (queue overflow, room closing, server shutdown)?
    pub fn close_requested(&self) -> Option<CloseRequest> {
        self.inner.lock().close.clone()
    }

    /// Resolves when something was pushed or a close requested since the last drain.
    pub async fn changed(&self) {
        self.notify.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_drains() {
        let outbox = Outbox::new(4);
        outbox.push(Bytes::from_static(b"a"));
        outbox.push(Bytes::from_static(b"b"));
        let mut out = Vec::new();
        assert_eq!(outbox.drain(&mut out), None);
        assert_eq!(
            out,
            vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]
        );
    }

    #[test]
    fn overflow_becomes_close_request_and_drops_frames() {
        let outbox = Outbox::new(2);
        for _ in 0..3 {
            outbox.push(Bytes::from_static(b"x"));
        }
        let mut out = Vec::new();
        let close = outbox.drain(&mut out);
        assert!(out.is_empty());
        assert_eq!(close.map(|c| c.code), Some(crate::hub::close::LAGGING));
    }

    #[test]
    fn close_keeps_queued_frames() {
        let outbox = Outbox::new(8);
        outbox.push(Bytes::from_static(b"last words"));
        outbox.close(crate::hub::close::SHUTTING_DOWN, "bye");
        outbox.push(Bytes::from_static(b"ignored"));
        let mut out = Vec::new();
        let close = outbox.drain(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            close.map(|c| c.code),
            Some(crate::hub::close::SHUTTING_DOWN)
        );
    }
}
