//! Operations: is the server alive, is it ready.

use reqwest::Method;

use super::{Call, Client};
use crate::ClientError;

impl Client {
    /// `GET /healthz`: `Ok` while the process answers.
    pub async fn health(&self) -> Result<(), ClientError> {
        self.send(Call::anonymous(Method::GET, "/healthz".into()))
            .await?;
        Ok(())
    }

    /// `GET /readyz`: `Ok` when the database (and Redis, if configured)
    /// answers; a 503 [`ClientError::Api`] otherwise.
    pub async fn ready(&self) -> Result<(), ClientError> {
        self.send(Call::anonymous(Method::GET, "/readyz".into()))
            .await?;
        Ok(())
    }
}
