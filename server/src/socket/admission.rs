//! Who may open a socket on which document, decided before anything is loaded.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::ORIGIN;

use crate::auth::AuthError;
use crate::auth::tokens::TokenError;
use crate::hub::close;
use crate::ids::{DocId, UserId, WorkspaceId};
use crate::state::AppState;
use crate::store::StoreError;

/// An admitted connection.
#[derive(Debug, Clone)]
pub struct Session {
    pub doc: DocId,
    pub workspace: WorkspaceId,
    pub user: UserId,
    /// The token's `iat`, to re-check the session after joining.
    pub issued_at: u64,
    /// `Access::generation` when the role was decided: a change since means the
    /// decision is re-checked once the socket has joined its room.
    pub generation: u64,
    /// Display name stamped into the connection's awareness state.
    pub name: Arc<str>,
    pub wants_ack: bool,
    /// Viewers: updates refused, awareness relayed.
    pub read_only: bool,
}

/// The upgrade's verdict: serve the session, or close at once with a code.
#[derive(Debug, Clone)]
pub enum Admission {
    Admit(Session),
    Refuse { code: u16, reason: &'static str },
}

/// Checks token, document and role, in that order (no probing of document ids
/// without a valid token).
pub async fn admit(
    state: &AppState,
    doc_id: &str,
    token: Option<&str>,
    wants_ack: bool,
) -> Admission {
    let refuse = |code, reason| Admission::Refuse { code, reason };
    let generation = state.auth.access.generation();
    let caller = match state.auth.authenticate(token).await {
        Ok(caller) => caller,
        Err(AuthError::Token(TokenError::Expired)) => {
            return refuse(close::UNAUTHENTICATED, "token expired");
        }
        Err(AuthError::Store(error)) => return store_refusal(&error),
        Err(_) => return refuse(close::UNAUTHENTICATED, "unauthenticated"),
    };
    let Ok(doc) = doc_id.parse::<DocId>() else {
        return refuse(close::NOT_FOUND, "no such document");
    };
    let place = match state.auth.access.document(doc).await {
        Ok(place) => place,
        Err(error) => return store_refusal(&error),
    };
    let role = match state
        .auth
        .access
        .role(place.workspace_id, caller.user)
        .await
    {
        Ok(Some(role)) => role,
        Ok(None) => return refuse(close::FORBIDDEN, "not a member of this workspace"),
        Err(error) => return store_refusal(&error),
    };
    Admission::Admit(Session {
        doc,
        workspace: place.workspace_id,
        user: caller.user,
        issued_at: caller.issued_at,
        generation,
        name: caller.name.into(),
        wants_ack,
        read_only: !role.can_write(),
    })
}

fn store_refusal(error: &StoreError) -> Admission {
    match error {
        StoreError::NotFound => Admission::Refuse {
            code: close::NOT_FOUND,
            reason: "no such document",
        },
        other => {
            tracing::warn!(error = %other, "socket admission failed");
            Admission::Refuse {
                code: close::INTERNAL,
                reason: "try again",
            }
        }
    }
}

/// What a re-check after joining found.
pub enum Recheck {
    /// Nothing changed for this connection.
    Unchanged,
    /// Close with this code.
    Close(u16, &'static str),
    /// Still a member, now with this role.
    Role(crate::auth::Role),
}

/// Re-decides an admitted session if any access changed since its admission, so a
/// removal or downgrade racing the join cannot leave the socket with its old role.
pub async fn recheck(state: &crate::auth::Auth, session: &Session) -> Recheck {
    if state.access.generation() == session.generation {
        return Recheck::Unchanged;
    }
    match state
        .access
        .session_valid(session.user, session.issued_at)
        .await
    {
        Ok(true) => {}
        Ok(false) => return Recheck::Close(close::UNAUTHENTICATED, "session revoked"),
        Err(_) => return Recheck::Close(close::INTERNAL, "try again"),
    }
    match state.access.role(session.workspace, session.user).await {
        Ok(None) => Recheck::Close(close::FORBIDDEN, "access revoked"),
        Ok(Some(role)) if role.can_write() != session.read_only => Recheck::Unchanged,
        Ok(Some(role)) => Recheck::Role(role),
        Err(_) => Recheck::Close(close::INTERNAL, "try again"),
    }
}

/// With an allowlist configured, a browser's `Origin` must be on it. Requests
/// without `Origin` (programs, not browsers) are not cross-site and pass.
pub fn origin_allowed(allowed: &[String], headers: &HeaderMap) -> bool {
    if allowed.is_empty() {
        return true;
    }
    match headers.get(ORIGIN).map(|o| o.to_str()) {
        None => true,
        Some(Ok(origin)) => allowed
            .iter()
            .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin)),
        Some(Err(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn origins_are_checked_only_against_a_configured_list() {
        let mut headers = HeaderMap::new();
        assert!(origin_allowed(&[], &headers));
        let list = vec!["https://hub.example.com/".to_owned()];
        assert!(origin_allowed(&list, &headers), "no Origin: not a browser");
        headers.insert(ORIGIN, HeaderValue::from_static("https://hub.example.com"));
        assert!(origin_allowed(&list, &headers));
        headers.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!origin_allowed(&list, &headers));
        assert!(!origin_allowed(&list, &headers));
        assert!(origin_allowed(&["*".to_owned()], &headers));
    }
}
