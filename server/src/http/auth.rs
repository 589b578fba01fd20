//! Accounts over REST: register, login, refresh, logout, me.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit::{self, Event};
use super::json::Json;
use super::validate::Checks;
use crate::auth::tokens::{self, REFRESH_TTL_SECS};
use crate::auth::{Caller, RequestMeta, Role, password};
use crate::cluster::Notice;
use crate::error::ApiError;
use crate::ids::{UserId, WorkspaceId};
use crate::state::AppState;
use crate::store::{
    CONFLICT_EMAIL_TAKEN, NewRefreshToken, NewUser, Rotation, StoreError, UserRecord,
    normalise_email,
};

/// Auth routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/refresh", post(refresh))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
}

/// A user as others may see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserBody {
    pub id: UserId,
    pub email: String,
    pub name: String,
}

impl From<&UserRecord> for UserBody {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
        }
    }
}

/// `POST /api/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    /// 8 to 1024 characters.
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    /// 1 to 100 characters, not only spaces.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
}

/// `POST /api/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `POST /api/auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `POST /api/auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LogoutRequest {
    pub refresh_token: String,
    /// Also end every other session of this user: all refresh tokens die, access
    /// tokens issued until now are refused, and open sockets close with 4401.
    #[serde(default)]
    pub everywhere: bool,
}

/// A session: the user, a short-lived access token and a rotating refresh token.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: UserBody,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// A workspace the caller belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyWorkspace {
    pub id: WorkspaceId,
    pub slug: String,
    pub name: String,
    pub role: Role,
}

/// `GET /api/auth/me`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserBody,
    pub workspaces: Vec<MyWorkspace>,
}

/// Longest display name.
const MAX_NAME: usize = 100;
fn throttle(state: &AppState, meta: &RequestMeta, email: &str) -> Result<(), ApiError> {
    state
        .auth
        .throttle
        .check(meta.ip, email)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })
}

/// A response around a fresh access token and the given refresh token.
fn session(
    state: &AppState,
    user: &UserRecord,
    refresh_token: String,
) -> Result<AuthResponse, ApiError> {
    let access = state
        .auth
        .keys
        .issue(user.id, &user.name, state.clock.now_ms())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(AuthResponse {
        user: user.into(),
        access_token: access.token,
        refresh_token,
        expires_in: access.expires_in,
    })
}

/// Starts a new refresh family (a login) and issues its first pair.
async fn new_session(state: &AppState, user: &UserRecord) -> Result<AuthResponse, ApiError> {
    let (refresh_token, token_hash) = tokens::new_refresh_token();
    state
        .store
        .insert_refresh_token(NewRefreshToken {
            token_hash,
            user_id: user.id,
            family_id: uuid::Uuid::now_v7(),
            expires_at: expiry(state.clock.now_ms()),
        })
        .await?;
    session(state, user, refresh_token)
}

fn expiry(now_ms: u64) -> DateTime<Utc> {
    crate::clock::utc(now_ms.saturating_add(REFRESH_TTL_SECS * 1000))
}

fn now(state: &AppState) -> DateTime<Utc> {
    crate::clock::utc(state.clock.now_ms())
}

/// Creates an account (turning pending invites into memberships) and logs it in.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", security(()),
    request_body = RegisterRequest,
    responses((status = 201, description = "Registered and logged in", body = AuthResponse)))]
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    Json(body): Json<RegisterRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let email = normalise_email(&body.email);
    let mut checks = Checks::default();
    checks.email("email", &email);
    let password_len = body.password.chars().count();
    if !(password::MIN_LENGTH..=password::MAX_LENGTH).contains(&password_len) {
        checks.fail(
            "password",
            format!(
                "must be {} to {} characters",
                password::MIN_LENGTH,
                password::MAX_LENGTH
            ),
        );
    }
    let name = body.name.trim().to_owned();
    checks.length("name", &name, 1, MAX_NAME);
    checks.finish()?;
    throttle(&state, &meta, &email)?;
    let password_hash = password::hash(body.password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let user = state
        .store
        .create_user(NewUser {
            id: UserId::new(),
            email,
            name,
            password_hash,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(what) if what == CONFLICT_EMAIL_TAKEN => {
                ApiError::Conflict("an account with this email exists".to_owned())
            }
            other => other.into(),
        })?;
    let response = new_session(&state, &user).await?;
    audit::record(&state, &meta, Event::user(user.id, "user.register")).await;
    Ok((StatusCode::CREATED, Json(response)))
}

/// Exchanges email and password for a session.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses((status = 200, description = "Logged in", body = AuthResponse)))]
async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    Json(body): Json<LoginRequest>,
) -> Result<Json<AuthResponse>, ApiError> {
    let email = normalise_email(&body.email);
    throttle(&state, &meta, &email)?;
    let user = match state.store.user_by_email(&email).await {
        Ok(user) => Some(user),
        Err(StoreError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    // Unknown emails cost a hash check too, so timing does not tell which exist.
    let phc = match &user {
        Some(user) => user.password_hash.clone(),
        None => password::dummy_hash().await,
    };
    let matches = password::verify(body.password, phc).await;
    let Some(user) = user.filter(|_| matches) else {
        return Err(ApiError::Unauthorized(
            "invalid email or password".to_owned(),
        ));
    };
    let response = new_session(&state, &user).await?;
    audit::record(&state, &meta, Event::user(user.id, "user.login")).await;
    Ok(Json(response))
}

/// Rotates a refresh token: the old one dies; presenting a dead one revokes its family.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", security(()),
    request_body = RefreshRequest,
    responses((status = 200, description = "A new token pair", body = AuthResponse)))]
async fn refresh(
    State(state): State<AppState>,
    meta: RequestMeta,
    Json(body): Json<RefreshRequest>,
) -> Result<Json<AuthResponse>, ApiError> {
    let old_hash = tokens::hash_refresh_token(&body.refresh_token);
    let (refresh_token, token_hash) = tokens::new_refresh_token();
    let new = NewRefreshToken {
        token_hash,
        // Overwritten by the store from the old token's row.
        user_id: UserId(uuid::Uuid::nil()),
        family_id: uuid::Uuid::nil(),
        expires_at: expiry(state.clock.now_ms()),
    };
    let user_id = match state
        .store
        .rotate_refresh_token(&old_hash, new, now(&state))
        .await?
    {
        Rotation::Rotated { user_id } => user_id,
        Rotation::Reused { user_id } => {
            audit::record(&state, &meta, Event::user(user_id, "user.refresh_reuse")).await;
            return Err(ApiError::Unauthorized(
                "refresh token already used: every session of this login is revoked".to_owned(),
            ));
        }
        Rotation::Expired => {
            return Err(ApiError::Unauthorized("refresh token expired".to_owned()));
        }
        Rotation::Unknown => {
            return Err(ApiError::Unauthorized("invalid refresh token".to_owned()));
        }
    };
    let user = state.store.user(user_id).await?;
    Ok(Json(session(&state, &user, refresh_token)?))
}

/// Ends this login's refresh family; with `everywhere`, every session of the user.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(()),
    request_body = LogoutRequest,
    responses((status = 204, description = "Logged out")))]
async fn logout(
    State(state): State<AppState>,
    meta: RequestMeta,
    Json(body): Json<LogoutRequest>,
) -> Result<StatusCode, ApiError> {
    let hash = tokens::hash_refresh_token(&body.refresh_token);
    let user = match state.store.revoke_refresh_family(&hash, now(&state)).await {
        Ok(user) => user,
        Err(StoreError::NotFound) => {
            return Err(ApiError::Unauthorized("invalid refresh token".to_owned()));
        }
        Err(other) => return Err(other.into()),
    };
    if body.everywhere {
        state.store.revoke_sessions(user, now(&state)).await?;
        state.announce(Notice::SessionsRevoked { user }).await;
    }
    let action = if body.everywhere {
        "user.logout_everywhere"
    } else {
        "user.logout"
    };
    audit::record(&state, &meta, Event::user(user, action)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller and their workspaces.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses((status = 200, description = "The caller", body = MeResponse)))]
async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<MeResponse>, ApiError> {
    let user = state.store.user(caller.user).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::Unauthorized("no such user".to_owned()),
        other => other.into(),
    })?;
    let workspaces = state
        .store
        .workspaces_of(caller.user)
        .await?
        .into_iter()
        .map(|(ws, role)| MyWorkspace {
            id: ws.id,
            slug: ws.slug,
            name: ws.name,
            role,
        })
        .collect();
    Ok(Json(MeResponse {
        user: (&user).into(),
        workspaces,
    }))
}
