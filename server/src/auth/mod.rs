//! Identity and access: passwords, tokens, the caller of a request, roles.
//!
//! [`Auth`] is what handlers and the socket upgrade hold: it turns a bearer
//! token into a [`Caller`] and answers role questions from a cache.

pub mod access;
mod caller;
pub mod password;
mod role;
pub mod secret;
pub mod throttle;
pub mod tokens;

use std::sync::Arc;

pub use access::{Access, DocPlace};
pub use caller::{Caller, RequestMeta, bearer_token};
pub use role::{Role, UnknownRole};
use throttle::Throttle;
use tokens::{TokenError, TokenKeys};

use crate::clock::SharedClock;
use crate::store::{Store, StoreError};

/// Why a request or socket was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token at all.
    #[error("missing access token")]
    Missing,
    /// Expired, malformed, wrongly signed, wrong audience or algorithm.
    #[error("{0}")]
    Token(#[from] TokenError),
    /// The user logged out everywhere since, or no longer exists.
    #[error("session revoked")]
    Revoked,
    /// The lookup itself failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Token keys, access cache, password throttling and the clock they use.
pub struct Auth {
    pub keys: TokenKeys,
    pub access: Access,
    pub throttle: Throttle,
    pub clock: SharedClock,
}

impl Auth {
    /// Everything over one signing secret and store.
    pub fn new(
        secret: &[u8],
        store: Arc<dyn Store>,
        clock: SharedClock,
        throttle: Throttle,
    ) -> Self {
        Self {
            keys: TokenKeys::new(secret),
            access: Access::new(store),
            throttle,
            clock,
        }
    }

    /// Checks an access token and that its session still stands.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<Caller, AuthError> {
        let token = token.ok_or(AuthError::Missing)?;
        let (user, claims) = self.keys.verify(token, self.clock.now_ms())?;
        if !self.access.session_valid(user, claims.iat).await? {
            return Err(AuthError::Revoked);
        }
        Ok(Caller {
            user,
            name: claims.name,
            issued_at: claims.iat,
        })
    }
}
