//! Access changes every node must act on: the node that made the change applies
//! it at once and announces it; the others apply it when the notice arrives.

use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::auth::access::Access;
use crate::hub::Hub;
use crate::ids::{DocId, UserId, WorkspaceId};

/// One access change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// The user logged out everywhere: their sockets close with 4401.
    SessionsRevoked { user: UserId },
    /// A member's role in a workspace changed, was granted (`Some`) or removed
    /// (`None`: their sockets there close with 4403).
    RoleChanged {
        workspace: WorkspaceId,
        user: UserId,
        role: Option<Role>,
    },
    /// The workspace is gone: its open documents close with 4410.
    WorkspaceDeleted { workspace: WorkspaceId },
    /// The document is gone: its sockets close with 4410.
    DocumentDeleted { doc: DocId },
}

impl Notice {
    /// Forgets what the access cache held about it and applies it to this node's sockets.
    pub async fn apply(&self, hub: &Hub, access: &Access) {
        match *self {
            Notice::SessionsRevoked { user } => {
                access.forget_sessions(user);
                hub.revoke(user, None, None).await;
            }
            Notice::RoleChanged {
                workspace,
                user,
                role,
            } => {
                access.forget_role(workspace, user);
                hub.revoke(user, Some(workspace), role).await;
            }
            Notice::WorkspaceDeleted { workspace } => {
                access.forget_workspace(workspace);
                hub.close_workspace(workspace).await;
            }
            Notice::DocumentDeleted { doc } => {
                access.forget_document(doc);
                hub.close_document(doc).await;
            }
        }
    }
}
