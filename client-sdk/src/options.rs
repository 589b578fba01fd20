//! Connection options and the URL they produce.

use std::fmt;

use crate::{Backoff, ClientError, TokenProvider};

/// How to open a live document. Build with [`ConnectOptions::new`] and the
/// builder methods; `Default` is "no token, no acks, fresh document, no
/// reconnect".
///
/// ```
/// use std::time::Duration;
/// use rocqet_client::{Backoff, ConnectOptions};
///
/// let options = ConnectOptions::new()
///     .token("eyJ...")
///     .ack(true)
///     .reconnect(Backoff::new().max(Duration::from_secs(10)));
/// assert!(options.ack && options.reconnect.is_some());
/// assert!(!format!("{options:?}").contains("eyJ"), "the token is redacted");
/// ```
#[derive(Clone, Default)]
pub struct ConnectOptions {
    /// Access token, sent as `?token=` (what y-websocket's `params` sends).
    pub token: Option<String>,
    /// Ask the server for `[8][1]` acks (`&ack=1`) so [`wait_saved`] works.
    ///
    /// [`wait_saved`]: crate::LiveDoc::wait_saved
    pub ack: bool,
    /// Document to sync instead of a fresh `rocqet_crdt::new_doc()`, for
    /// example one edited offline or kept from an earlier connection.
    pub doc: Option<yrs::Doc>,
    /// Dial again after losing the socket, waiting as this says. `None`
    /// (the default): a closed socket stays closed.
    pub reconnect: Option<Backoff>,
    /// With reconnect on, where a fresh token comes from when the server
    /// refuses the current one (4401). Without one, 4401 ends the document.
    pub token_provider: Option<TokenProvider>,
}

impl ConnectOptions {
    /// No token, no acks, a fresh document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the access token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Turns save acks on or off.
    pub fn ack(mut self, on: bool) -> Self {
        self.ack = on;
        self
    }

    /// Syncs this document instead of a fresh one.
    pub fn doc(mut self, doc: yrs::Doc) -> Self {
        self.doc = Some(doc);
        self
    }

    /// Reconnects after a lost socket, with this backoff between attempts.
    pub fn reconnect(mut self, backoff: Backoff) -> Self {
        self.reconnect = Some(backoff);
        self
    }

    /// Asks `provider` for a fresh token when a reconnect meets 4401.
    /// Pass the first token with [`token`](Self::token), not in the URL, so
    /// the fresh one can replace it.
    pub fn token_provider(mut self, provider: TokenProvider) -> Self {
        self.token_provider = Some(provider);
        self
    }

    /// The URL to dial: `url` plus `token` and `ack` query parameters.
    pub(crate) fn request_url(&self, url: &str) -> Result<String, ClientError> {
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(ClientError::InvalidUrl(format!(
                "expected ws:// or wss://, got {:?}",
                url.split(['?', '#']).next().unwrap_or_default()
            )));
        }
        if url.contains('#') {
            return Err(ClientError::InvalidUrl("fragments are not allowed".into()));
        }
        let mut out = url.to_owned();
        let mut sep = if url.contains('?') { '&' } else { '?' };
        if let Some(token) = &self.token {
            out.push(sep);
            out.push_str("token=");
            percent_encode_into(token, &mut out);
            sep = '&';
        }
        if self.ack {
            out.push(sep);
            out.push_str("ack=1");
        }
        Ok(out)
    }
}

impl fmt::Debug for ConnectOptions {
    // The token is a credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("ack", &self.ack)
            .field("doc", &self.doc.as_ref().map(|d| d.client_id()))
            .field("reconnect", &self.reconnect)
            .field("token_provider", &self.token_provider)
            .finish()
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_url_is_unchanged() {
        let url = ConnectOptions::new()
            .request_url("ws://h:1/ws/d")
            .expect("valid");
        assert_eq!(url, "ws://h:1/ws/d");
    }

    #[test]
    fn adds_token_and_ack() {
        let opts = ConnectOptions::new().token("a.b_c-d").ack(true);
        let url = opts.request_url("ws://h:1/ws/d").expect("valid");
        assert_eq!(url, "ws://h:1/ws/d?token=a.b_c-d&ack=1");
    }

    #[test]
    fn appends_to_an_existing_query_and_encodes_the_token() {
        let opts = ConnectOptions::new().token("a b&c=d/é").ack(true);
        let url = opts.request_url("wss://h/ws/d?x=1").expect("valid");
        assert_eq!(url, "wss://h/ws/d?x=1&token=a%20b%26c%3Dd%2F%C3%A9&ack=1");
    }

    #[test]
    fn ack_alone() {
        let url = ConnectOptions::new()
            .ack(true)
            .request_url("ws://h/ws/d")
            .expect("valid");
        assert_eq!(url, "ws://h/ws/d?ack=1");
    }

    #[test]
    fn rejects_non_websocket_schemes() {
        let err = ConnectOptions::new()
            .request_url("http://h/ws/d")
            .expect_err("http");
        assert!(matches!(err, ClientError::InvalidUrl(_)));
    }

    #[test]
    fn debug_redacts_the_token() {
        let text = format!("{:?}", ConnectOptions::new().token("secret-jwt"));
        assert!(!text.contains("secret-jwt"), "{text}");
        assert!(text.contains("redacted"));
    }
}
