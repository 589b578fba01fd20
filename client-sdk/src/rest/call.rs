//! One REST call: building it, sending it with the session's token
//! (refreshing once on 401), and reading the answer or the API error.

use std::time::Duration;

use reqwest::header::{ETAG, IF_MATCH, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Client;
use crate::{ApiError, ClientError};

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
