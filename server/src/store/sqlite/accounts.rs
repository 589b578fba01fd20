//! Users, refresh tokens, workspaces, memberships, invites, audit log.
//!
//! Every multi-statement write runs in a `BEGIN IMMEDIATE` transaction
//! (`begin_write`): it holds SQLite's single write lock from its first
//! statement, so a read-check-write sequence (token rotation, the last-owner
//! rule) cannot interleave with another writer.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;
use sqlx::{Row, Sqlite, Transaction};
use uuid::Uuid;

use super::SqliteStore;
use crate::auth::Role;
use crate::ids::{UserId, WorkspaceId};
use crate::store::accounts::{
    AuditCursor, MAX_AUDIT_LIMIT, audit_page, conflict_as, normalise_email, parse_role,
};
use crate::store::derived::{self, sqlite_ts};
use crate::store::{
    AccountStore, Added, AuditEntry, CONFLICT_ALREADY_INVITED, CONFLICT_ALREADY_MEMBER,
    CONFLICT_EMAIL_TAKEN, CONFLICT_LAST_OWNER, CONFLICT_OWNER_ONLY, CONFLICT_SLUG_TAKEN, Invite,
    Member, NewRefreshToken, NewUser, NewWorkspace, Page, Rotation, StoreError, StoreResult,
    UserRecord, WorkspaceRecord,
};

const USER_COLUMNS: &str = "id, email, name, password_hash, sessions_revoked_at, created_at";
const WORKSPACE_COLUMNS: &str = "id, slug, name, created_at";
const AUDIT_COLUMNS: &str =
    "id, workspace_id, actor, action, target_kind, target_id, ip, user_agent, details, at";

fn user(row: &SqliteRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        sessions_revoked_at: row.try_get("sessions_revoked_at")?,
        created_at: row.try_get("created_at")?,
    })
}

fn workspace(row: &SqliteRow) -> StoreResult<WorkspaceRecord> {
    Ok(WorkspaceRecord {
        id: WorkspaceId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn member(row: &SqliteRow) -> StoreResult<Member> {
    Ok(Member {
        user_id: UserId(row.try_get("user_id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: parse_role(row.try_get("role")?)?,
        created_at: row.try_get("created_at")?,
    })
}

fn invite(row: &SqliteRow) -> StoreResult<Invite> {
    Ok(Invite {
        email: row.try_get("email")?,
        role: parse_role(row.try_get("role")?)?,
        invited_by: row.try_get::<Option<Uuid>, _>("invited_by")?.map(UserId),
        created_at: row.try_get("created_at")?,
    })
}

fn audit_entry(row: &SqliteRow) -> StoreResult<AuditEntry> {
    let Json(details) = row.try_get::<Json<serde_json::Value>, _>("details")?;
    Ok(AuditEntry {
        id: row.try_get("id")?,
        workspace_id: row
            .try_get::<Option<Uuid>, _>("workspace_id")?
            .map(WorkspaceId),
        actor: row.try_get::<Option<Uuid>, _>("actor")?.map(UserId),
        action: row.try_get("action")?,
        target_kind: row.try_get("target_kind")?,
        target_id: row.try_get("target_id")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        details,
        at: row.try_get("at")?,
    })
}

/// One member with the user's public fields, inside `tx`.
async fn member_in(
    tx: &mut Transaction<'static, Sqlite>,
    ws: WorkspaceId,
    user: UserId,
) -> StoreResult<Member> {
    let row = sqlx::query(
        "SELECT m.user_id, u.email, u.name, m.role, m.created_at \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = ? AND m.user_id = ?",
    )
    .bind(ws.0)
    .bind(user.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    member(&row)
}

/// Checks, inside the write transaction, that `user` is a member and that
/// giving them `new_role` (`None`: removing them) leaves the workspace an owner.
async fn check_owner_change(
    tx: &mut Transaction<'static, Sqlite>,
    ws: WorkspaceId,
    user: UserId,
    new_role: Option<Role>,
    by_owner: bool,
) -> StoreResult<()> {
    let current: String =
        sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = ? AND user_id = ?")
            .bind(ws.0)
            .bind(user.0)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
    let current = parse_role(&current)?;
    if current == Role::Owner && !by_owner {
        return Err(StoreError::Conflict(CONFLICT_OWNER_ONLY.to_owned()));
    }
    if current == Role::Owner && new_role != Some(Role::Owner) {
        let owners: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE workspace_id = ? AND role = 'owner'",
        )
        .bind(ws.0)
        .fetch_one(&mut **tx)
        .await?;
        if owners <= 1 {
            return Err(StoreError::Conflict(CONFLICT_LAST_OWNER.to_owned()));
        }
    }
    Ok(())
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, new: NewUser) -> StoreResult<UserRecord> {
        let now = derived::now();
        let email = normalise_email(&new.email);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(new.id.0)
        .bind(&email)
        .bind(&new.name)
        .bind(&new.password_hash)
        .bind(sqlite_ts(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_as(e.into(), CONFLICT_EMAIL_TAKEN))?;
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
             SELECT workspace_id, ?, role, ? FROM invites WHERE email = ?",
        )
        .bind(new.id.0)
        .bind(sqlite_ts(now))
        .bind(&email)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM invites WHERE email = ?")
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(UserRecord {
            id: new.id,
            email,
            name: new.name,
            password_hash: new.password_hash,
            sessions_revoked_at: None,
            created_at: now,
        })
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<UserRecord> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?");
        let row = sqlx::query(&sql)
            .bind(normalise_email(email))
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        user(&row)
    }

    async fn user(&self, id: UserId) -> StoreResult<UserRecord> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        user(&row)
    }

    async fn revoke_sessions(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<()> {
        let at = sqlite_ts(at);
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET sessions_revoked_at = ? WHERE id = ?")
            .bind(&at)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        )
        .bind(&at)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_refresh_token(&self, token: NewRefreshToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&token.token_hash)
        .bind(token.user_id.0)
        .bind(token.family_id)
        .bind(sqlite_ts(token.expires_at))
        .bind(sqlite_ts(derived::now()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> StoreResult<Rotation> {
        let now = now.trunc_subsecs(6);
        // BEGIN IMMEDIATE: a concurrent rotation of the same token waits here
        // and then sees this one's `used_at`, so it is reported as reuse.
        let mut tx = self.begin_write().await?;
        let Some(old) = sqlx::query(
            "SELECT user_id, family_id, expires_at, used_at, revoked_at \
             FROM refresh_tokens WHERE token_hash = ?",
        )
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Rotation::Unknown);
        };
        let user_id = UserId(old.try_get("user_id")?);
        let family: Uuid = old.try_get("family_id")?;
        let expires_at: DateTime<Utc> = old.try_get("expires_at")?;

        let used_at: Option<DateTime<Utc>> = old.try_get("used_at")?;
        let revoked_at: Option<DateTime<Utc>> = old.try_get("revoked_at")?;
        if used_at.is_some() || revoked_at.is_some() {
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
            )
            .bind(sqlite_ts(now))
            .bind(family)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Rotation::Reused { user_id });
        }
        if expires_at <= now {
            return Ok(Rotation::Expired);
        }

        sqlx::query("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?")
            .bind(sqlite_ts(now))
            .bind(old_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&new.token_hash)
        .bind(user_id.0)
        .bind(family)
        .bind(sqlite_ts(new.expires_at))
        .bind(sqlite_ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Rotation::Rotated { user_id })
    }

    async fn revoke_refresh_family(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<UserId> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let family: Uuid = row.try_get("family_id")?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
        )
        .bind(sqlite_ts(now))
        .bind(family)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(UserId(row.try_get("user_id")?))
    }

    async fn create_workspace(&self, ws: NewWorkspace) -> StoreResult<WorkspaceRecord> {
        let now = derived::now();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO workspaces (id, slug, name, created_at) VALUES (?, ?, ?, ?)")
            .bind(ws.id.0)
            .bind(&ws.slug)
            .bind(&ws.name)
            .bind(sqlite_ts(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_as(e.into(), CONFLICT_SLUG_TAKEN))?;
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(ws.id.0)
        .bind(ws.owner.0)
        .bind(Role::Owner.as_str())
        .bind(sqlite_ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(WorkspaceRecord {
            id: ws.id,
            slug: ws.slug,
            name: ws.name,
            created_at: now,
        })
    }

    async fn workspace(&self, id_or_slug: &str) -> StoreResult<WorkspaceRecord> {
        let row = match Uuid::try_parse(id_or_slug) {
            Ok(id) => {
                let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = ?");
                sqlx::query(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
            }
            Err(_) => {
                let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE slug = ?");
                sqlx::query(&sql)
                    .bind(id_or_slug)
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        workspace(&row.ok_or(StoreError::NotFound)?)
    }

    async fn workspaces_of(&self, user: UserId) -> StoreResult<Vec<(WorkspaceRecord, Role)>> {
        let rows = sqlx::query(
            "SELECT w.id, w.slug, w.name, w.created_at, m.role \
             FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.user_id = ? ORDER BY w.created_at, w.id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((workspace(row)?, parse_role(row.try_get("role")?)?)))
            .collect()
    }

    async fn update_workspace(
        &self,
        id: WorkspaceId,
        name: Option<&str>,
        slug: Option<&str>,
    ) -> StoreResult<WorkspaceRecord> {
        let sql = format!(
            "UPDATE workspaces SET name = COALESCE(?, name), slug = COALESCE(?, slug) \
             WHERE id = ? RETURNING {WORKSPACE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(name)
            .bind(slug)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| conflict_as(e.into(), CONFLICT_SLUG_TAKEN))?
            .ok_or(StoreError::NotFound)?;
        workspace(&row)
    }

    async fn delete_workspace(&self, id: WorkspaceId) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // Children first: `documents.workspace_id` and `doc_updates.doc_id`
        // have no ON DELETE CASCADE. Audit entries have no foreign key and stay.
        // `versions` and `version_labels` go with their documents (ON DELETE CASCADE).
        for sql in [
            "DELETE FROM doc_updates WHERE doc_id IN (SELECT id FROM documents WHERE workspace_id = ?)",
            "DELETE FROM documents WHERE workspace_id = ?",
            "DELETE FROM memberships WHERE workspace_id = ?",
            "DELETE FROM invites WHERE workspace_id = ?",
        ] {
            sqlx::query(sql).bind(id.0).execute(&mut *tx).await?;
        }
        let done = sqlx::query("DELETE FROM workspaces WHERE id = ?")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn role_of(&self, ws: WorkspaceId, user: UserId) -> StoreResult<Option<Role>> {
        let role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM memberships WHERE workspace_id = ? AND user_id = ?",
        )
        .bind(ws.0)
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        role.as_deref().map(parse_role).transpose()
    }

    async fn members(&self, ws: WorkspaceId) -> StoreResult<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT m.user_id, u.email, u.name, m.role, m.created_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.workspace_id = ? ORDER BY m.created_at, m.user_id",
        )
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member).collect()
    }

    async fn invites(&self, ws: WorkspaceId) -> StoreResult<Vec<Invite>> {
        let rows = sqlx::query(
            "SELECT email, role, invited_by, created_at FROM invites \
             WHERE workspace_id = ? ORDER BY created_at, email",
        )
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invite).collect()
    }

    async fn add_member(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        invited_by: UserId,
    ) -> StoreResult<Added> {
        let now = derived::now();
        let email = normalise_email(email);
        let mut tx = self.begin_write().await?;
        sqlx::query_scalar::<_, i64>("SELECT 1 FROM workspaces WHERE id = ?")
            .bind(ws.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let existing: Option<Uuid> = sqlx::query_scalar("SELECT id FROM users WHERE email = ?")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;

        let added = if let Some(user) = existing {
            sqlx::query(
                "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
                 VALUES (?, ?, ?, ?)",
            )
            .bind(ws.0)
            .bind(user)
            .bind(role.as_str())
            .bind(sqlite_ts(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_as(e.into(), CONFLICT_ALREADY_MEMBER))?;
            Added::Member(member_in(&mut tx, ws, UserId(user)).await?)
        } else {
            sqlx::query(
                "INSERT INTO invites (workspace_id, email, role, invited_by, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(ws.0)
            .bind(&email)
            .bind(role.as_str())
            .bind(invited_by.0)
            .bind(sqlite_ts(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_as(e.into(), CONFLICT_ALREADY_INVITED))?;
            Added::Invited(Invite {
                email,
                role,
                invited_by: Some(invited_by),
                created_at: now,
            })
        };
        tx.commit().await?;
        Ok(added)
    }

    async fn set_role(
        &self,
        ws: WorkspaceId,
        user: UserId,
        role: Role,
        by_owner: bool,
    ) -> StoreResult<Member> {
        let mut tx = self.begin_write().await?;
        check_owner_change(&mut tx, ws, user, Some(role), by_owner).await?;
        sqlx::query("UPDATE memberships SET role = ? WHERE workspace_id = ? AND user_id = ?")
            .bind(role.as_str())
            .bind(ws.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        let member = member_in(&mut tx, ws, user).await?;
        tx.commit().await?;
        Ok(member)
    }

    async fn remove_member(
        &self,
        ws: WorkspaceId,
        user: UserId,
        by_owner: bool,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        check_owner_change(&mut tx, ws, user, None, by_owner).await?;
        sqlx::query("DELETE FROM memberships WHERE workspace_id = ? AND user_id = ?")
            .bind(ws.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, workspace_id, actor, action, target_kind, target_id, ip, \
             user_agent, details, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.id)
        .bind(entry.workspace_id.map(|w| w.0))
        .bind(entry.actor.map(|u| u.0))
        .bind(&entry.action)
        .bind(&entry.target_kind)
        .bind(&entry.target_id)
        .bind(&entry.ip)
        .bind(&entry.user_agent)
        .bind(Json(&entry.details))
        .bind(sqlite_ts(entry.at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit(
        &self,
        ws: WorkspaceId,
        limit: u32,
        cursor: Option<&str>,
    ) -> StoreResult<Page<AuditEntry>> {
        let limit = limit.clamp(1, MAX_AUDIT_LIMIT);
        let after = cursor.map(AuditCursor::decode).transpose()?;
        let rows = match after {
            Some(after) => {
                let sql = format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE workspace_id = ? \
                     AND (at, id) < (?, ?) ORDER BY at DESC, id DESC LIMIT ?"
                );
                sqlx::query(&sql)
                    .bind(ws.0)
                    .bind(sqlite_ts(after.at))
                    .bind(after.id)
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE workspace_id = ? \
                     ORDER BY at DESC, id DESC LIMIT ?"
                );
                sqlx::query(&sql)
                    .bind(ws.0)
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let rows = rows
            .iter()
            .map(audit_entry)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(audit_page(rows, limit))
    }
}
