//! Access tokens (JWT, HS256 pinned) and opaque refresh tokens (stored hashed).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Millis;
use crate::ids::UserId;

/// Who issues our tokens (`iss`).
pub const ISSUER: &str = "rocqet-hub";
/// Who they are for (`aud`).
pub const AUDIENCE: &str = "rocqet-api";
/// Access tokens are short-lived: revocation otherwise waits for expiry.
pub const ACCESS_TTL_SECS: u64 = 15 * 60;
/// Refresh tokens live a month, rotating on every use.
pub const REFRESH_TTL_SECS: u64 = 30 * 24 * 3600;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// Display name at issue time, so sockets can stamp presence without a lookup.
    #[serde(default)]
    pub name: String,
    /// Seconds since the epoch.
    pub iat: u64,
    /// Seconds since the epoch.
    pub exp: u64,
}

/// Why a token was refused; all of them mean 401 / 4401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("invalid token")]
    Invalid,
}

/// Signs and checks access tokens with one HMAC secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

/// A freshly issued access token.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub expires_in: u64,
}

impl TokenKeys {
    /// Keys over `secret` (at least 32 bytes is wise; the config enforces it in production).
    pub fn new(secret: &[u8]) -> Self {
        // Only HS256: a token naming any other algorithm (or `none`) is refused
        // before its signature is even looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked against the injected clock below, not the system's.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Issues an access token for `user` at `now_ms`.
    pub fn issue(&self, user: UserId, name: &str, now_ms: Millis) -> Result<Issued, TokenError> {
        let iat = now_ms / 1000;
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user.to_string(),
            name: name.to_owned(),
            iat,
            exp: iat + ACCESS_TTL_SECS,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| TokenError::Invalid)?;
        Ok(Issued {
            token,
            expires_in: ACCESS_TTL_SECS,
        })
    }

    /// Checks signature, algorithm, issuer, audience and expiry; returns the user and claims.
    pub fn verify(&self, token: &str, now_ms: Millis) -> Result<(UserId, Claims), TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        let claims = data.claims;
        if claims.exp <= now_ms / 1000 {
            return Err(TokenError::Expired);
        }
        let user = claims.sub.parse().map_err(|_| TokenError::Invalid)?;
        Ok((user, claims))
    }
}

/// A new opaque refresh token (256 random bits, URL-safe) and the hash we store.
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// SHA-256 hex of a refresh token: enough for 256-bit random secrets (no salt or
/// slow hash needed), and lets the database look tokens up by hash.
pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_800_000_000_000;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let user = UserId::new();
        let issued = keys().issue(user, "Ada", NOW).unwrap();
        let (who, claims) = keys().verify(&issued.token, NOW + 1000).unwrap();
        assert_eq!(who, user);
        assert_eq!(claims.name, "Ada");
        let later = NOW + ACCESS_TTL_SECS * 1000;
        assert_eq!(
            keys().verify(&issued.token, later),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn other_secrets_algorithms_and_audiences_are_refused() {
        let user = UserId::new();
        let issued = keys().issue(user, "Ada", NOW).unwrap();
        let other = TokenKeys::new(b"another secret, also 32 bytes...");
        assert_eq!(other.verify(&issued.token, NOW), Err(TokenError::Invalid));

        let claims = Claims {
            iss: ISSUER.into(),
            aud: "someone-else".into(),
            sub: user.to_string(),
            name: String::new(),
            iat: NOW / 1000,
            exp: NOW / 1000 + 60,
        };
        let secret = EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef");
        let wrong_aud =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &secret).unwrap();
        assert_eq!(keys().verify(&wrong_aud, NOW), Err(TokenError::Invalid));

        let claims = Claims {
            aud: AUDIENCE.into(),
            ..claims
        };
        let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &secret).unwrap();
        assert_eq!(keys().verify(&hs512, NOW), Err(TokenError::Invalid));

        // alg: none, unsigned.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        assert_eq!(
            keys().verify(&format!("{header}.{body}."), NOW),
            Err(TokenError::Invalid)
        );
        assert_eq!(keys().verify("garbage", NOW), Err(TokenError::Invalid));
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, hash_a) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(hash_refresh_token(&a), hash_a);
        assert_eq!(hash_a.len(), 64);
    }
}
