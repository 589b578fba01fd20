//! The REST client: every route of API.md with typed requests and answers.
//!
//! One [`Client`] holds the base URL and the session (access and refresh
//! token). Calls that need a session send the access token; a 401 on one of
//! them is answered by refreshing once (one refresh at a time, so rotating
//! refresh tokens are never presented twice) and retrying. Non-2xx answers
//! become [`ClientError::Api`] with the API's error body.
//!
//! Routes are grouped like the API: auth ([`Client::login`] and friends)
//! and workspaces ([`Client::create_workspace`], members, audit) are methods
//! of [`Client`]; documents, versions and labels are methods of
//! [`Documents`], from [`Client::prompts`] and [`Client::models`];
//! rendering is [`Client::render`].

mod auth;
mod call;
mod documents;
mod ops;
mod versions;
mod workspaces;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

pub use auth::{Me, MyWorkspace, Role, Session, User};
pub use documents::{At, Document, DocumentKind, Documents, ListQuery, PresenceEntry, Sort};
pub use versions::{
    CreateVersion, Label, RenderRequest, RenderResult, Version, VersionDiff, VersionKind,
    VersionOutcome, VersionUser,
};
pub use workspaces::{AuditEntry, Member, MemberStatus, NewWorkspace, Workspace, WorkspaceChange};

use crate::{Backoff, ClientError, ConnectOptions, DocId, TokenProvider};
pub(crate) use call::{Call, segment};

/// A client of one Rocqet Hub server's REST API. Cheap to clone: clones
/// share the session.
///
/// ```no_run
/// use rocqet_client::rest::{Client, ListQuery};
/// use rocqet_client::PromptPatch;
///
/// # async fn demo() -> Result<(), rocqet_client::ClientError> {
/// let client = Client::new("http://127.0.0.1:8080")?;
/// client.login("ada@example.com", "correct horse battery").await?;
/// let prompt = client
///     .prompts()
///     .create("acme", &PromptPatch::new().title("Greeter").content("Hi {{name}}"))
///     .await?;
/// let page = client.prompts().list("acme", &ListQuery::new().q("greeter")).await?;
/// assert!(page.items.iter().any(|p| p.id == prompt.id));
///
/// // The same prompt, live.
/// let live = client.open_prompt(&prompt.id).await?;
/// live.insert(0, "Well: ");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `http(s)://host[:port]`, no trailing slash.
    base: String,
    tokens: Mutex<Tokens>,
    /// Held while refreshing, so one rotation happens at a time.
    refreshing: tokio::sync::Mutex<()>,
}

/// The session's tokens.
#[derive(Clone, Default)]
struct Tokens {
    access: Option<String>,
    refresh: Option<String>,
}

impl fmt::Debug for Client {
    // Tokens are credentials: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens = self.tokens();
        f.debug_struct("Client")
            .field("base", &self.inner.base)
            .field("logged_in", &tokens.access.is_some())
            .finish()
    }
}

/// One page of a listing.
///
/// ```
/// use rocqet_client::rest::Page;
///
/// let page: Page<u32> = serde_json::from_str(r#"{"items":[1,2],"next_cursor":"abc"}"#)?;
/// assert_eq!(page.next_cursor.as_deref(), Some("abc"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `None` on the last one.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// `?limit=&cursor=` of the paged routes (audit log, versions).
///
/// ```
/// use rocqet_client::rest::PageQuery;
///
/// let first = PageQuery::new().limit(20);
/// let next = first.clone().cursor("opaque");
/// assert_eq!(next.limit, Some(20));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PageQuery {
    /// 1 to 200 (the server's default is 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The first page, default size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the page size.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Continues after a previous page.
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }
}

impl Client {
    /// A client of the server at `base_url` (`http://host:port` or `https://…`),
    /// not logged in.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::with_http(base_url, reqwest::Client::new())
    }

    /// Like [`new`](Self::new), with a reqwest client of your own (proxies,
    /// timeouts, root certificates).
    pub fn with_http(base_url: &str, http: reqwest::Client) -> Result<Self, ClientError> {
        let base = base_url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::InvalidUrl(format!(
                "expected http:// or https://, got {base:?}"
            )));
        }
        if base.contains(['?', '#']) {
            return Err(ClientError::InvalidUrl(
                "the base URL takes no query or fragment".into(),
            ));
        }
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base: base.to_owned(),
                tokens: Mutex::new(Tokens::default()),
                refreshing: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Uses these tokens from now on (a session kept from before, say).
    pub fn set_tokens(&self, access: impl Into<String>, refresh: Option<String>) {
        *self.lock_tokens() = Tokens {
            access: Some(access.into()),
            refresh,
        };
    }

    /// The current access token, if logged in.
    pub fn access_token(&self) -> Option<String> {
        self.tokens().access
    }

    /// The current refresh token, if any.
    pub fn refresh_token(&self) -> Option<String> {
        self.tokens().refresh
    }

    /// An access token to use instead of `refused`: the current one if it
    /// differs (someone refreshed meanwhile), else a refreshed one.
    pub async fn fresh_access_token(&self, refused: Option<String>) -> Result<String, ClientError> {
        let _one_at_a_time = self.inner.refreshing.lock().await;
        let tokens = self.tokens();
        if let Some(access) = tokens.access
            && refused.as_ref() != Some(&access)
        {
            return Ok(access);
        }
        let refresh = tokens.refresh.ok_or(ClientError::NotLoggedIn)?;
        Ok(self.rotate(refresh).await?.access_token)
    }

    /// A [`TokenProvider`] for live documents that refreshes this session.
    pub fn token_provider(&self) -> TokenProvider {
        let client = self.clone();
        TokenProvider::new(move |refused| {
            let client = client.clone();
            async move { client.fresh_access_token(refused).await }
        })
    }

    /// The WebSocket URL of a document: `ws(s)://host/ws/{id}`.
    pub fn live_url(&self, id: &DocId) -> String {
        let base = &self.inner.base;
        let ws = match base.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!("ws://{}", base.trim_start_matches("http://")),
        };
        format!("{ws}/ws/{}", segment(id.as_str()))
    }

    /// Options for opening documents of this session: its token, save
    /// acks, reconnect with the default [`Backoff`], and this session's
    /// [`token_provider`](Self::token_provider) for expired tokens.
    pub fn live_options(&self) -> ConnectOptions {
        let mut options = ConnectOptions::new()
            .ack(true)
            .reconnect(Backoff::default())
            .token_provider(self.token_provider());
        if let Some(token) = self.access_token() {
            options = options.token(token);
        }
        options
    }

    /// Opens prompt `id` live with [`live_options`](Self::live_options) and waits for sync.
    pub async fn open_prompt(&self, id: &DocId) -> Result<crate::Prompt, ClientError> {
        crate::Prompt::open(&self.live_url(id), self.live_options()).await
    }

    /// Opens model `id` live with [`live_options`](Self::live_options) and waits for sync.
    pub async fn open_model(&self, id: &DocId) -> Result<crate::Model, ClientError> {
        crate::Model::open(&self.live_url(id), self.live_options()).await
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn tokens(&self) -> Tokens {
        self.lock_tokens().clone()
    }

    fn store_session(&self, session: &Session) {
        *self.lock_tokens() = Tokens {
            access: Some(session.access_token.clone()),
            refresh: Some(session.refresh_token.clone()),
        };
    }

    fn forget_session(&self) {
        *self.lock_tokens() = Tokens::default();
    }
}
