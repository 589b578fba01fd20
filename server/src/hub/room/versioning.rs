//! A room's version hooks: cutting (automatic or asked for) and restoring.
//!
//! The room only encodes its state and hands it to the document's version
//! writer (`crate::versions::writer`); the diff and the database write happen
//! there, so a cut never holds up fan-out.

use super::Room;
use crate::hub::HubError;
use crate::versions::{CutReply, CutRequest};

impl Room {
    /// Cuts a version of the current state; `reply` hears back once it is stored.
    pub(super) fn cut_version(&mut self, request: CutRequest, reply: Option<CutReply>) {
        let now = self.ctx.clock.now_ms();
        self.versions.cut(
            self.awareness.doc(),
            &self.ctx.store,
            self.id,
            now,
            request,
            reply,
        );
    }

    /// Applies the minimal edit that brings the content back to `target`, sends it to
    /// every connection and the log like any edit, then cuts a version (`request`).
    pub(super) fn restore(
        &mut self,
        target: &serde_json::Value,
        request: CutRequest,
        reply: CutReply,
    ) {
        let update = match rocqet_crdt::restore(self.awareness.doc(), self.kind, target) {
            Ok(update) => update,
            // As with a patch: yrs panicked while writing, the doc is damaged.
            Err(error @ rocqet_crdt::CrdtError::Update(_)) => {
                tracing::error!(doc = %self.id, %error, "restore found the document damaged; reloading it");
                self.poisoned = true;
                let _ = reply.send(Err(HubError::Gone));
                return;
            }
            Err(error) => {
                let _ = reply.send(Err(error.into()));
                return;
            }
        };
        self.publish_local(update, request.by);
        self.cut_version(request, Some(reply));
    }
}
