//! Users, refresh tokens, workspaces, memberships, invites, audit log.
//!
//! Read-check-write sequences (token rotation, the last-owner rule, invites
//! meeting registration) lock what they read: `SELECT ... FOR UPDATE` on the
//! rows, or a transaction-scoped advisory lock on an email. Under READ
//! COMMITTED each later statement then sees what the previous holder committed.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{Postgres, Row, Transaction};
use uuid::Uuid;

use super::PostgresStore;
use crate::auth::Role;
use crate::ids::{UserId, WorkspaceId};
use crate::store::accounts::{
    AuditCursor, MAX_AUDIT_LIMIT, audit_page, conflict_as, normalise_email, parse_role,
};
use crate::store::derived;
use crate::store::{
    AccountStore, Added, AuditEntry, CONFLICT_ALREADY_INVITED, CONFLICT_ALREADY_MEMBER,
    CONFLICT_EMAIL_TAKEN, CONFLICT_LAST_OWNER, CONFLICT_OWNER_ONLY, CONFLICT_SLUG_TAKEN, Invite,
    Member, NewRefreshToken, NewUser, NewWorkspace, Page, Rotation, StoreError, StoreResult,
    UserRecord, WorkspaceRecord,
};

/// First key of the email advisory locks (`lock_email`), so they cannot
/// collide with other users of two-key advisory locks.
const EMAIL_LOCK_CLASS: i32 = 0x5271_6b01;

const USER_COLUMNS: &str = "id, email, name, password_hash, sessions_revoked_at, created_at";
const WORKSPACE_COLUMNS: &str = "id, slug, name, created_at";
const AUDIT_COLUMNS: &str =
    "id, workspace_id, actor, action, target_kind, target_id, ip, user_agent, details, at";

fn user(row: &PgRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        sessions_revoked_at: row.try_get("sessions_revoked_at")?,
        created_at: row.try_get("created_at")?,
    })
}

fn workspace(row: &PgRow) -> StoreResult<WorkspaceRecord> {
    Ok(WorkspaceRecord {
        id: WorkspaceId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn member(row: &PgRow) -> StoreResult<Member> {
    Ok(Member {
        user_id: UserId(row.try_get("user_id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: parse_role(row.try_get("role")?)?,
        created_at: row.try_get("created_at")?,
    })
}

fn invite(row: &PgRow) -> StoreResult<Invite> {
    Ok(Invite {
        email: row.try_get("email")?,
        role: parse_role(row.try_get("role")?)?,
        invited_by: row.try_get::<Option<Uuid>, _>("invited_by")?.map(UserId),
        created_at: row.try_get("created_at")?,
    })
}

fn audit_entry(row: &PgRow) -> StoreResult<AuditEntry> {
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
    tx: &mut Transaction<'static, Postgres>,
    ws: WorkspaceId,
    user: UserId,
) -> StoreResult<Member> {
    let row = sqlx::query(
        "SELECT m.user_id, u.email, u.name, m.role, m.created_at \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = $1 AND m.user_id = $2",
    )
    .bind(ws.0)
    .bind(user.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    member(&row)
}

/// Checks, inside the transaction, that `user` is a member and that giving
/// them `new_role` (`None`: removing them) leaves the workspace an owner.
///
/// Locks every membership row of the workspace first (in `user_id` order, so
/// two callers never deadlock): concurrent role changes and removals in one
/// workspace run one after the other, and the second sees the first's result
/// (two owners demoting each other leave one owner, not none).
async fn check_owner_change(
    tx: &mut Transaction<'static, Postgres>,
    ws: WorkspaceId,
    user: UserId,
    new_role: Option<Role>,
    by_owner: bool,
) -> StoreResult<()> {
    let rows = sqlx::query(
        "SELECT user_id, role FROM memberships WHERE workspace_id = $1 \
         ORDER BY user_id FOR UPDATE",
    )
    .bind(ws.0)
    .fetch_all(&mut **tx)
    .await?;
    let mut current = None;
    let mut owners = 0_usize;
    for row in &rows {
        let role = parse_role(row.try_get("role")?)?;
        if role == Role::Owner {
            owners += 1;
        }
        if row.try_get::<Uuid, _>("user_id")? == user.0 {
            current = Some(role);
        }
    }
    let current = current.ok_or(StoreError::NotFound)?;
    if current == Role::Owner && !by_owner {
        return Err(StoreError::Conflict(CONFLICT_OWNER_ONLY.to_owned()));
    }
    if current == Role::Owner && new_role != Some(Role::Owner) && owners <= 1 {
        return Err(StoreError::Conflict(CONFLICT_LAST_OWNER.to_owned()));
    }
    Ok(())
}

/// Serialises, until `tx` ends, everything that creates a user or an invite
/// for `email`: otherwise an invite inserted while that email registers could
/// miss the registration's conversion and stay pending for ever.
async fn lock_email(tx: &mut Transaction<'static, Postgres>, email: &str) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(EMAIL_LOCK_CLASS)
        .bind(email)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait]
impl AccountStore for PostgresStore {
    async fn create_user(&self, new: NewUser) -> StoreResult<UserRecord> {
        let now = derived::now();
        let email = normalise_email(&new.email);
        let mut tx = self.pool.begin().await?;
        lock_email(&mut tx, &email).await?;
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new.id.0)
        .bind(&email)
        .bind(&new.name)
        .bind(&new.password_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_as(e.into(), CONFLICT_EMAIL_TAKEN))?;
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
             SELECT workspace_id, $1, role, $2 FROM invites WHERE email = $3",
        )
        .bind(new.id.0)
        .bind(now)
        .bind(&email)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM invites WHERE email = $1")
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
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row = sqlx::query(&sql)
            .bind(normalise_email(email))
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        user(&row)
    }

    async fn user(&self, id: UserId) -> StoreResult<UserRecord> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        user(&row)
    }

    async fn revoke_sessions(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET sessions_revoked_at = $1 WHERE id = $2")
            .bind(at)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_refresh_token(&self, token: NewRefreshToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&token.token_hash)
        .bind(token.user_id.0)
        .bind(token.family_id)
        .bind(token.expires_at)
        .bind(derived::now())
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
        // FOR UPDATE: a concurrent rotation of the same token waits on the row
        // lock, then reads the row as committed (`used_at` set): reuse.
        let mut tx = self.pool.begin().await?;
        // The user row first, shared: `revoke_sessions` updates it before revoking
        // every token, so the two serialise and a token minted by a racing rotation
        // is seen (and revoked) by "log out everywhere". Same lock order in both.
        sqlx::query(
            "SELECT 1 FROM users \
             WHERE id = (SELECT user_id FROM refresh_tokens WHERE token_hash = $1) FOR SHARE",
        )
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(old) = sqlx::query(
            "SELECT user_id, family_id, expires_at, used_at, revoked_at \
             FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
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
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(family)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Rotation::Reused { user_id });
        }
        if expires_at <= now {
            return Ok(Rotation::Expired);
        }

        sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(old_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&new.token_hash)
        .bind(user_id.0)
        .bind(family)
        .bind(new.expires_at)
        .bind(now)
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
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let family: Uuid = row.try_get("family_id")?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(family)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(UserId(row.try_get("user_id")?))
    }

    async fn create_workspace(&self, ws: NewWorkspace) -> StoreResult<WorkspaceRecord> {
        let now = derived::now();
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO workspaces (id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(ws.id.0)
            .bind(&ws.slug)
            .bind(&ws.name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_as(e.into(), CONFLICT_SLUG_TAKEN))?;
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(ws.id.0)
        .bind(ws.owner.0)
        .bind(Role::Owner.as_str())
        .bind(now)
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
                let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1");
                sqlx::query(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
            }
            Err(_) => {
                let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE slug = $1");
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
             WHERE m.user_id = $1 ORDER BY w.created_at, w.id",
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
            "UPDATE workspaces SET name = COALESCE($1, name), slug = COALESCE($2, slug) \
             WHERE id = $3 RETURNING {WORKSPACE_COLUMNS}"
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
        let mut tx = self.pool.begin().await?;
        // Locks the workspace: a concurrent insert referencing it (a document,
        // a member) waits, then fails its foreign key check instead of
        // leaving an orphan behind.
        sqlx::query("SELECT id FROM workspaces WHERE id = $1 FOR UPDATE")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        // Children first: `documents.workspace_id` and `doc_updates.doc_id`
        // have no ON DELETE CASCADE. Audit entries have no foreign key and stay.
        // `versions` and `version_labels` go with their documents (ON DELETE CASCADE).
        for sql in [
            "DELETE FROM doc_updates WHERE doc_id IN (SELECT id FROM documents WHERE workspace_id = $1)",
            "DELETE FROM documents WHERE workspace_id = $1",
            "DELETE FROM memberships WHERE workspace_id = $1",
            "DELETE FROM invites WHERE workspace_id = $1",
        ] {
            sqlx::query(sql).bind(id.0).execute(&mut *tx).await?;
        }
        let done = sqlx::query("DELETE FROM workspaces WHERE id = $1")
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
            "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2",
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
             WHERE m.workspace_id = $1 ORDER BY m.created_at, m.user_id",
        )
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member).collect()
    }

    async fn invites(&self, ws: WorkspaceId) -> StoreResult<Vec<Invite>> {
        let rows = sqlx::query(
            "SELECT email, role, invited_by, created_at FROM invites \
             WHERE workspace_id = $1 ORDER BY created_at, email",
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
        let mut tx = self.pool.begin().await?;
        // KEY SHARE: a concurrent `delete_workspace` waits for this to commit.
        sqlx::query("SELECT id FROM workspaces WHERE id = $1 FOR KEY SHARE")
            .bind(ws.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        lock_email(&mut tx, &email).await?;
        let existing: Option<Uuid> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;

        let added = if let Some(user) = existing {
            sqlx::query(
                "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(ws.0)
            .bind(user)
            .bind(role.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_as(e.into(), CONFLICT_ALREADY_MEMBER))?;
            Added::Member(member_in(&mut tx, ws, UserId(user)).await?)
        } else {
            sqlx::query(
                "INSERT INTO invites (workspace_id, email, role, invited_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(ws.0)
            .bind(&email)
            .bind(role.as_str())
            .bind(invited_by.0)
            .bind(now)
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
        let mut tx = self.pool.begin().await?;
        check_owner_change(&mut tx, ws, user, Some(role), by_owner).await?;
        sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
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
        let mut tx = self.pool.begin().await?;
        check_owner_change(&mut tx, ws, user, None, by_owner).await?;
        sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
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
             user_agent, details, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
        .bind(entry.at)
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
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE workspace_id = $1 \
                     AND (at, id) < ($2, $3) ORDER BY at DESC, id DESC LIMIT $4"
                );
                sqlx::query(&sql)
                    .bind(ws.0)
                    .bind(after.at)
                    .bind(after.id)
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE workspace_id = $1 \
                     ORDER BY at DESC, id DESC LIMIT $2"
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
