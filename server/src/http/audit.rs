//! Writing the audit log: who did what to which workspace, document or membership.
//! Entries never hold tokens or document bodies.

use serde_json::Value;

use crate::auth::RequestMeta;
use crate::ids::{UserId, WorkspaceId};
use crate::state::AppState;
use crate::store::AuditEntry;

/// One thing that happened, before the request facts are added.
#[derive(Debug, Clone)]
pub struct Event {
    pub workspace: Option<WorkspaceId>,
    pub actor: Option<UserId>,
    pub action: &'static str,
    pub target_kind: &'static str,
    pub target_id: Option<String>,
    pub details: Value,
}

impl Event {
    /// Something a user did to their own account.
    pub fn user(user: UserId, action: &'static str) -> Self {
        Self {
            workspace: None,
            actor: Some(user),
            action,
            target_kind: "user",
            target_id: Some(user.to_string()),
            details: Value::Null,
        }
    }

    /// Something `actor` did inside `workspace` to a target.
    pub fn in_workspace(
        workspace: WorkspaceId,
        actor: UserId,
        action: &'static str,
        target_kind: &'static str,
        target_id: impl ToString,
    ) -> Self {
        Self {
            workspace: Some(workspace),
            actor: Some(actor),
            action,
            target_kind,
            target_id: Some(target_id.to_string()),
            details: Value::Null,
        }
    }

    /// Adds small structured facts (a role, a kind).
    pub fn with(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Appends the event. A failure is logged, not returned: the action itself already
/// happened and must not be reported as failed.
pub async fn record(state: &AppState, meta: &RequestMeta, event: Event) {
    let entry = AuditEntry {
        id: uuid::Uuid::now_v7(),
        workspace_id: event.workspace,
        actor: event.actor,
        action: event.action.to_owned(),
        target_kind: event.target_kind.to_owned(),
        target_id: event.target_id,
        ip: meta.ip.map(|ip| ip.to_string()),
        user_agent: meta.user_agent.clone(),
        details: event.details,
        at: crate::clock::utc(state.clock.now_ms()),
    };
    if let Err(error) = state.store.append_audit(entry).await {
        tracing::error!(%error, action = event.action, "audit entry lost");
    }
}
