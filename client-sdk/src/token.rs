//! [`TokenProvider`]: where a reconnecting live document gets a fresh token.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::ClientError;

type Provide =
    dyn Fn(Option<String>) -> BoxFuture<'static, Result<String, ClientError>> + Send + Sync;

/// Hands out a fresh access token when the server refused the current one
/// (close code 4401, or HTTP 401 on the upgrade) during a reconnect.
///
/// The closure gets the token the server refused (`None` if there was none)
/// and returns one to try next. An [`ClientError::Api`] 401 from it means
/// the session is over: the document then closes with 4401. Any other error
/// is retried on the next reconnect attempt.
/// [`rest::Client::token_provider`](crate::rest::Client::token_provider)
/// gives one that refreshes over REST.
///
/// ```
/// use rocqet_client::{Backoff, ConnectOptions, TokenProvider};
///
/// let provider = TokenProvider::new(|_refused: Option<String>| async move {
///     // Ask your identity service for a new access token here.
///     Ok::<_, rocqet_client::ClientError>("eyJ.fresh".to_owned())
/// });
/// let options = ConnectOptions::new()
///     .token("eyJ.current")
///     .reconnect(Backoff::default())
///     .token_provider(provider);
/// assert!(options.token_provider.is_some());
/// ```
#[derive(Clone)]
pub struct TokenProvider(Arc<Provide>);

impl TokenProvider {
    /// Wraps an async closure `refused token -> fresh token`.
    pub fn new<F, Fut>(provide: F) -> Self
    where
        F: Fn(Option<String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, ClientError>> + Send + 'static,
    {
        TokenProvider(Arc::new(move |refused| Box::pin(provide(refused))))
    }

    /// Asks for a token to replace `refused`.
    pub async fn fresh_token(&self, refused: Option<String>) -> Result<String, ClientError> {
        (self.0)(refused).await
    }
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenProvider(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passes_the_refused_token_and_returns_the_fresh_one() {
        let provider = TokenProvider::new(|refused: Option<String>| async move {
            Ok(format!("after-{}", refused.unwrap_or_default()))
        });
        let token = provider.fresh_token(Some("old".into())).await;
        assert_eq!(token.ok().as_deref(), Some("after-old"));
        assert_eq!(format!("{provider:?}"), "TokenProvider(..)");
    }
}
