//! Accounts: register, login, refresh, logout, me.

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Call, Client};
use crate::{ClientError, UserId, WorkspaceId};

/// A user as others may see them.
///
/// ```
/// use rocqet_client::rest::User;
///
/// let user: User = serde_json::from_str(r#"{"id":"u1","email":"ada@example.com","name":"Ada"}"#)?;
/// assert_eq!(user.name, "Ada");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: UserId,
    /// Email address (lowercased by the server).
    pub email: String,
    /// Display name.
    pub name: String,
}

/// A logged-in session: the user, a short-lived access token and a rotating
/// refresh token. The [`Client`] keeps it; `Debug` hides the tokens.
///
/// ```
/// use rocqet_client::rest::Session;
///
/// let session: Session = serde_json::from_str(r#"{"user":{"id":"u1","email":"a@b.c","name":"A"},
///     "access_token":"eyJ.secret","refresh_token":"r.secret","expires_in":900}"#)?;
/// assert!(!format!("{session:?}").contains("secret"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Who logged in.
    pub user: User,
    /// Bearer token for REST calls and sockets.
    pub access_token: String,
    /// Exchanged for a new pair by [`Client::refresh`]; dies when used.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// A role in a workspace, lowest first.
///
/// ```
/// use rocqet_client::rest::Role;
///
/// assert!(Role::Admin > Role::Editor);
/// assert_eq!(serde_json::to_string(&Role::Viewer)?, r#""viewer""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads documents, history and presence; read-only sockets.
    Viewer,
    /// Also writes documents, cuts versions, moves labels other than `production`.
    Editor,
    /// Also manages members and moves `production`.
    Admin,
    /// Also renames and deletes the workspace.
    Owner,
}

/// A workspace the caller belongs to, as `me` lists it.
///
/// ```
/// use rocqet_client::rest::{MyWorkspace, Role};
///
/// let ws: MyWorkspace = serde_json::from_str(r#"{"id":"w1","slug":"acme","name":"Acme","role":"owner"}"#)?;
/// assert_eq!(ws.role, Role::Owner);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyWorkspace {
    /// Workspace id.
    pub id: WorkspaceId,
    /// URL name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The caller's role there.
    pub role: Role,
}

/// `GET /api/auth/me`: the caller and their workspaces.
///
/// ```
/// use rocqet_client::rest::Me;
///
/// let me: Me = serde_json::from_str(r#"{"user":{"id":"u1","email":"a@b.c","name":"A"},"workspaces":[]}"#)?;
/// assert!(me.workspaces.is_empty());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The caller.
    pub user: User,
    /// Their workspaces.
    pub workspaces: Vec<MyWorkspace>,
}

impl Client {
    /// Creates an account and logs in as it (`POST /api/auth/register`).
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        name: &str,
    ) -> Result<Session, ClientError> {
        let body = json!({"email": email, "password": password, "name": name});
        let call = Call::anonymous(Method::POST, "/api/auth/register".into()).json(&body)?;
        let session: Session = self.json(call).await?;
        self.store_session(&session);
        Ok(session)
    }

    /// Logs in (`POST /api/auth/login`); the session is kept for later calls.
    pub async fn login(&self, email: &str, password: &str) -> Result<Session, ClientError> {
        let body = json!({"email": email, "password": password});
        let call = Call::anonymous(Method::POST, "/api/auth/login".into()).json(&body)?;
        let session: Session = self.json(call).await?;
        self.store_session(&session);
        Ok(session)
    }

    /// Exchanges the refresh token for a new pair (`POST /api/auth/refresh`).
    /// The old refresh token dies; presenting it again revokes the login.
    pub async fn refresh(&self) -> Result<Session, ClientError> {
        let _one_at_a_time = self.inner.refreshing.lock().await;
        let refresh = self.refresh_token().ok_or(ClientError::NotLoggedIn)?;
        self.rotate(refresh).await
    }

    /// The refresh itself; callers hold the `refreshing` lock.
    pub(super) async fn rotate(&self, refresh_token: String) -> Result<Session, ClientError> {
        let body = json!({"refresh_token": refresh_token});
        let call = Call::anonymous(Method::POST, "/api/auth/refresh".into()).json(&body)?;
        // Straight to the wire: `send` may itself be refreshing.
        let session: Session = self.send_once(&call, None).await?.json()?;
        self.store_session(&session);
        Ok(session)
    }

    /// Ends this login (`POST /api/auth/logout`) and forgets the session.
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.end_session(false).await
    }

    /// Ends every session of the user: all refresh tokens die and open
    /// sockets close with 4401.
    pub async fn logout_everywhere(&self) -> Result<(), ClientError> {
        self.end_session(true).await
    }

    async fn end_session(&self, everywhere: bool) -> Result<(), ClientError> {
        let _one_at_a_time = self.inner.refreshing.lock().await;
        let refresh = self.refresh_token().ok_or(ClientError::NotLoggedIn)?;
        let body = json!({"refresh_token": refresh, "everywhere": everywhere});
        let call = Call::anonymous(Method::POST, "/api/auth/logout".into()).json(&body)?;
        self.send(call).await?;
        self.forget_session();
        Ok(())
    }

    /// The caller and their workspaces (`GET /api/auth/me`).
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.json(Call::new(Method::GET, "/api/auth/me".into()))
            .await
    }
}
