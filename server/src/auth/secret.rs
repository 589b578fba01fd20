//! Where the token-signing secret comes from.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

/// Shortest secret accepted: HS256 keys shorter than the hash are weak.
pub const MIN_SECRET_BYTES: usize = 32;
/// The file a development secret is kept in, inside the data folder.
const DEV_SECRET_FILE: &str = "jwt-secret";

/// Why no secret could be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("ROCQET_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
    #[error("--production requires ROCQET_JWT_SECRET")]
    MissingInProduction,
    #[error("cannot keep the development secret in {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The configured secret; without one, in development, a random secret generated
/// once and kept in `data_dir` (so tokens survive restarts), with a warning.
pub fn resolve(
    configured: Option<&str>,
    production: bool,
    data_dir: &Path,
) -> Result<Vec<u8>, SecretError> {
    if let Some(secret) = configured {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort);
        }
        return Ok(secret.as_bytes().to_vec());
    }
    if production {
        return Err(SecretError::MissingInProduction);
    }
    let path = data_dir.join(DEV_SECRET_FILE);
    let io = |source| SecretError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= MIN_SECRET_BYTES {
            tracing::warn!(path = %path.display(), "no ROCQET_JWT_SECRET: using the development secret kept in the data folder");
            return Ok(existing.as_bytes().to_vec());
        }
    }
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = STANDARD.encode(bytes);
    write_private(&path, &secret).map_err(io)?;
    tracing::warn!(path = %path.display(), "no ROCQET_JWT_SECRET: generated a development secret; set one in production");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_secret_is_generated_once_and_production_needs_one() {
        let dir =
            std::env::temp_dir().join(format!("rocqet_secret_{}", uuid::Uuid::new_v4().simple()));
        let first = resolve(None, false, &dir).unwrap();
        assert_eq!(resolve(None, false, &dir).unwrap(), first);
        assert!(matches!(
            resolve(None, true, &dir),
            Err(SecretError::MissingInProduction)
        ));
        assert!(matches!(
            resolve(Some("short"), false, &dir),
            Err(SecretError::TooShort)
        ));
        let long = "x".repeat(40);
        assert_eq!(resolve(Some(&long), true, &dir).unwrap(), long.as_bytes());
        let _ = std::fs::remove_dir_all(dir);
    }
}
