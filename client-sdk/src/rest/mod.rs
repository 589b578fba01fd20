//! The REST client: every route of API.md with typed requests and answers.
//!
//! One [`Client`] holds the base URL and the session (access and refresh
//! token). Calls that need a session send the access token; a 401 on one of
//! them is answered by refreshing once (one refresh at a time, so rotating
//! refresh tokens are never presented twice) and retrying. Non-2xx answers
//! become [`ClientError::Api`] with the API's error body.
//!
//! Routes are grouped like the API: [`auth`] (on `Client`), [`workspaces`]
//! (on `Client`), [`documents`] (on [`Documents`], from
//! [`Client::prompts`] and [`Client::models`]) and [`versions`] (on
//! [`Documents`] too, plus [`Client::render`]).

pub mod auth;
pub mod documents;
pub mod versions;
pub mod workspaces;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{ETAG, IF_MATCH, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use auth::{Me, MyWorkspace, Role, Session, User};
pub use documents::{At, Document, DocumentKind, Documents, ListQuery, PresenceEntry, Sort};
pub use versions::{
    CreateVersion, Label, RenderRequest, RenderResult, Version, VersionDiff, VersionKind,
    VersionOutcome, VersionUser,
};
pub use workspaces::{AuditEntry, Member, MemberStatus, NewWorkspace, Workspace, WorkspaceChange};

use crate::{ApiError, Backoff, ClientError, ConnectOptions, DocId, TokenProvider};

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

/// One REST call, before it is sent.
pub(crate) struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    authed: bool,
    if_match: Option<String>,
}

impl Call {
    /// A call that sends the session's access token.
    pub fn new(method: Method, path: String) -> Self {
        Call {
            method,
            path,
            query: Vec::new(),
            body: None,
            authed: true,
            if_match: None,
        }
    }

    /// A call without credentials (register, login, refresh, logout).
    pub fn anonymous(method: Method, path: String) -> Self {
        Call {
            authed: false,
            ..Call::new(method, path)
        }
    }

    /// Adds a JSON body.
    pub fn json(mut self, body: &impl Serialize) -> Result<Self, ClientError> {
        self.body =
            Some(serde_json::to_value(body).map_err(|e| ClientError::Decode(e.to_string()))?);
        Ok(self)
    }

    /// Adds a query parameter when `value` is set.
    pub fn param(mut self, name: &'static str, value: Option<impl ToString>) -> Self {
        if let Some(value) = value {
            self.query.push((name, value.to_string()));
        }
        self
    }

    /// Sends `If-Match`.
    pub fn if_match(mut self, etag: Option<&str>) -> Self {
        self.if_match = etag.map(str::to_owned);
        self
    }
}

/// A 2xx answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub etag: Option<String>,
    pub body: bytes::Bytes,
}

impl Answer {
    /// The body as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::Decode(e.to_string()))
    }
}

/// Percent-encodes one path segment (ids, slugs, labels are safe already;
/// anything else must not break out of its segment).
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::options::percent_encode_into(s, &mut out);
    out
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

    /// Sends `call`; on a 401 with a refresh token at hand, refreshes once
    /// and sends it again (a 401 means the server did nothing).
    pub(crate) async fn send(&self, call: Call) -> Result<Answer, ClientError> {
        let token = if call.authed {
            Some(self.access_token().ok_or(ClientError::NotLoggedIn)?)
        } else {
            None
        };
        let first = self.send_once(&call, token.as_deref()).await;
        let refreshable = call.authed && self.refresh_token().is_some();
        match first {
            Err(ClientError::Api(api)) if api.status == 401 && refreshable => {
                match self.fresh_access_token(token).await {
                    Ok(fresh) => self.send_once(&call, Some(&fresh)).await,
                    // The session is over; the original refusal says why.
                    Err(ClientError::Api(_) | ClientError::NotLoggedIn) => {
                        Err(ClientError::Api(api))
                    }
                    Err(other) => Err(other),
                }
            }
            other => other,
        }
    }

    pub(crate) async fn send_once(
        &self,
        call: &Call,
        token: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let url = format!("{}{}", self.inner.base, call.path);
        let mut request = self.inner.http.request(call.method.clone(), url);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(etag) = &call.if_match {
            request = request.header(IF_MATCH, etag);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header(ETAG);
        let retry_after = header(RETRY_AFTER)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await?;
        if !status.is_success() {
            let error = ApiError::from_response(status.as_u16(), &body, retry_after);
            return Err(ClientError::Api(Box::new(error)));
        }
        Ok(Answer { status, etag, body })
    }

    /// Sends `call` and reads its JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T, ClientError> {
        self.send(call).await?.json()
    }
}
