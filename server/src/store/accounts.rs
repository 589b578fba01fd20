//! Identity: users, refresh tokens, workspaces, memberships, invites and the audit log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Page, StoreError, StoreResult};
use crate::auth::Role;
use crate::ids::{UserId, WorkspaceId};

/// A user to insert. `email` is already normalised (trimmed, lowercased).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    /// PHC string from argon2.
    pub password_hash: String,
}

/// A user row.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    /// Access tokens issued before this instant are refused ("log out everywhere").
    pub sessions_revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A refresh token to store; only its hash is ever persisted.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    /// SHA-256 of the opaque token, hex.
    pub token_hash: String,
    pub user_id: UserId,
    /// Every token rotated from one login shares its family.
    pub family_id: uuid::Uuid,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token for rotation led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is now dead and the new one is stored in its family.
    Rotated { user_id: UserId },
    /// The token was already used or revoked: its whole family is now revoked.
    Reused { user_id: UserId },
    /// The token is past its expiry (nothing stored).
    Expired,
    /// No such token.
    Unknown,
}

/// A workspace to insert, with the user who becomes its first owner.
#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub id: WorkspaceId,
    pub slug: String,
    pub name: String,
    pub owner: UserId,
}

/// A workspace row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceRecord {
    pub id: WorkspaceId,
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A member of a workspace, with the user's public fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// An email invited to a workspace before it has an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub email: String,
    pub role: Role,
    pub invited_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// What adding a member by email did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The email has an account: it is now a member.
    Member(Member),
    /// No account yet: a pending invite, turned into a membership when that email registers.
    Invited(Invite),
}

/// One audit log entry. Never holds tokens or document bodies.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: uuid::Uuid,
    pub workspace_id: Option<WorkspaceId>,
    pub actor: Option<UserId>,
    /// Dotted verb, e.g. `workspace.create`, `member.add`, `document.delete`.
    pub action: String,
    /// `workspace`, `document`, `member`, `user`, ...
    pub target_kind: String,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Small structured facts (a role, a kind); never secrets or bodies.
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// Users, sessions, workspaces, memberships and the audit log.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Inserts a user (`Conflict` on a taken email) and, in the same transaction,
    /// turns every pending invite for that email into a membership.
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;

    /// A user by normalised email; `NotFound` otherwise.
    async fn user_by_email(&self, email: &str) -> StoreResult<UserRecord>;

    /// A user by id; `NotFound` otherwise.
    async fn user(&self, id: UserId) -> StoreResult<UserRecord>;

    /// Sets `sessions_revoked_at` and revokes every refresh token of the user.
    async fn revoke_sessions(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<()>;

    /// Stores a new refresh token (a login starts a family).
    async fn insert_refresh_token(&self, token: NewRefreshToken) -> StoreResult<()>;

    /// Atomically: if `old_hash` is live and unexpired, kills it and stores `new`
    /// (same family, same user: `new.user_id`/`family_id` are overwritten from the old row);
    /// if it is dead, revokes its whole family.
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> StoreResult<Rotation>;

    /// Revokes the family of this token (logout). `NotFound` if no such token.
    async fn revoke_refresh_family(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<UserId>;

    /// Inserts a workspace and its owner's membership (`Conflict` on a taken slug).
    async fn create_workspace(&self, ws: NewWorkspace) -> StoreResult<WorkspaceRecord>;

    /// A workspace by id (UUID text) or slug; `NotFound` otherwise.
    async fn workspace(&self, id_or_slug: &str) -> StoreResult<WorkspaceRecord>;

    /// The workspaces a user belongs to, with their role, oldest first.
    async fn workspaces_of(&self, user: UserId) -> StoreResult<Vec<(WorkspaceRecord, Role)>>;

    /// Renames and/or re-slugs (`Conflict` on a taken slug).
    async fn update_workspace(
        &self,
        id: WorkspaceId,
        name: Option<&str>,
        slug: Option<&str>,
    ) -> StoreResult<WorkspaceRecord>;

    /// Deletes the workspace and everything in it (documents, their logs and
    /// history, memberships, invites). Audit entries are kept.
    async fn delete_workspace(&self, id: WorkspaceId) -> StoreResult<()>;

    /// The user's role in the workspace, if a member.
    async fn role_of(&self, ws: WorkspaceId, user: UserId) -> StoreResult<Option<Role>>;

    /// Members, oldest first.
    async fn members(&self, ws: WorkspaceId) -> StoreResult<Vec<Member>>;

    /// Pending invites, oldest first.
    async fn invites(&self, ws: WorkspaceId) -> StoreResult<Vec<Invite>>;

    /// Adds by email: a membership if the account exists, else a pending invite.
    /// `Conflict` if already a member or already invited.
    async fn add_member(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        invited_by: UserId,
    ) -> StoreResult<Added>;

    /// Changes a member's role. `NotFound` if not a member; `Conflict("last owner")`
    /// if it would leave the workspace without an owner; `Conflict("owner only")` if
    /// the member is an owner and `by_owner` is false (all checked in the same transaction).
    async fn set_role(
        &self,
        ws: WorkspaceId,
        user: UserId,
        role: Role,
        by_owner: bool,
    ) -> StoreResult<Member>;

    /// Removes a member; same `NotFound`/`Conflict` rules as `set_role`.
    async fn remove_member(&self, ws: WorkspaceId, user: UserId, by_owner: bool)
    -> StoreResult<()>;

    /// Appends an audit entry.
    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()>;

    /// A workspace's audit log, newest first, cursor-paginated (cursor opaque, from this store).
    async fn audit(
        &self,
        ws: WorkspaceId,
        limit: u32,
        cursor: Option<&str>,
    ) -> StoreResult<Page<AuditEntry>>;
}

/// `Conflict` message: `create_user` with an email that has an account.
pub const CONFLICT_EMAIL_TAKEN: &str = "email taken";
/// `Conflict` message: `create_workspace`/`update_workspace` with a slug in use.
pub const CONFLICT_SLUG_TAKEN: &str = "slug taken";
/// `Conflict` message: `add_member` for a member.
pub const CONFLICT_ALREADY_MEMBER: &str = "already a member";
/// `Conflict` message: `add_member` for an email with a pending invite.
pub const CONFLICT_ALREADY_INVITED: &str = "already invited";
/// `Conflict` message: `set_role`/`remove_member` would leave no owner.
pub const CONFLICT_LAST_OWNER: &str = "last owner";
/// `Conflict` message: `set_role`/`remove_member` on an owner by someone who is not one.
pub const CONFLICT_OWNER_ONLY: &str = "owner only";

/// Largest audit page.
pub(crate) const MAX_AUDIT_LIMIT: u32 = 200;

/// Trimmed and lowercased, as `NewUser::email` is promised to be; the store
/// applies it again so the unique index holds whatever the caller did.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Parses a `role` column; an unknown value is a decode error, not a panic.
pub(crate) fn parse_role(s: &str) -> Result<Role, StoreError> {
    s.parse()
        .map_err(|e: crate::auth::UnknownRole| StoreError::Database(sqlx::Error::Decode(e.into())))
}

/// A uniqueness `Conflict` re-worded for the caller; other errors unchanged.
pub(crate) fn conflict_as(e: StoreError, message: &str) -> StoreError {
    match e {
        StoreError::Conflict(_) => StoreError::Conflict(message.to_owned()),
        other => other,
    }
}

/// Where the next audit page starts: strictly before `(at, id)`, newest first.
/// Encoded as hex of `a.<micros since epoch>.<id>`: opaque, and distinct from
/// document listing cursors, so neither is accepted in place of the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuditCursor {
    pub at: DateTime<Utc>,
    pub id: uuid::Uuid,
}

impl AuditCursor {
    pub fn encode(&self) -> String {
        let plain = format!("a.{}.{}", self.at.timestamp_micros(), self.id.simple());
        plain.bytes().map(|b| format!("{b:02x}")).collect()
    }

    pub fn decode(s: &str) -> Result<Self, StoreError> {
        let invalid = || StoreError::InvalidCursor;
        if s.is_empty() || !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let bytes = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(invalid)?;
        let plain = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = plain.splitn(3, '.');
        let (Some("a"), Some(micros), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(invalid)?;
        let id = uuid::Uuid::try_parse(id).map_err(|_| invalid())?;
        Ok(Self { at, id })
    }
}

/// Builds an audit page from up to `limit + 1` rows, newest first.
pub(crate) fn audit_page(mut rows: Vec<AuditEntry>, limit: u32) -> Page<AuditEntry> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = more
        .then(|| rows.last())
        .flatten()
        .map(|e| AuditCursor { at: e.at, id: e.id }.encode());
    Page {
        items: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_cursor_round_trips_and_rejects_garbage() {
        let c = AuditCursor {
            at: DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("valid"),
            id: uuid::Uuid::now_v7(),
        };
        assert_eq!(AuditCursor::decode(&c.encode()).ok(), Some(c));
        for bad in ["", "zz", "abc", "616263", "é1", "+1", &c.encode()[2..]] {
            assert!(
                matches!(AuditCursor::decode(bad), Err(StoreError::InvalidCursor)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn roles_from_the_database_never_panic() {
        assert_eq!(parse_role("owner").ok(), Some(Role::Owner));
        assert!(matches!(parse_role("root"), Err(StoreError::Database(_))));
    }
}
