//! Watches a prompt: logs in over REST, opens the prompt live, and prints
//! its content every time it changes, with the connection status.
//!
//! ```text
//! ROCQET_EMAIL=ada@example.com ROCQET_PASSWORD='correct horse battery' \
//!     cargo run -p rocqet-client --example watch_prompt -- <prompt-id>
//! ```
//!
//! `ROCQET_URL` defaults to `http://127.0.0.1:8080`. Stop with Ctrl-C. The
//! socket reconnects by itself if the server restarts; expired tokens are
//! refreshed through the REST session.

use std::error::Error;

use rocqet_client::DocId;
use rocqet_client::rest::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let id = std::env::args()
        .nth(1)
        .ok_or("usage: watch_prompt <prompt-id>")?;
    let url = std::env::var("ROCQET_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let email = std::env::var("ROCQET_EMAIL").map_err(|_| "set ROCQET_EMAIL")?;
    let password = std::env::var("ROCQET_PASSWORD").map_err(|_| "set ROCQET_PASSWORD")?;

    let client = Client::new(&url)?;
    let session = client.login(&email, &password).await?;
    eprintln!("logged in as {}", session.user.name);

    // Token, save acks, reconnect with backoff and token refresh: all from the session.
    let prompt = client.open_prompt(&DocId::from(id)).await?;
    let mut changes = prompt.changes();
    let mut status = prompt.watch_status();
    let mut shown = None;
    loop {
        let content = prompt.content();
        if shown.as_ref() != Some(&content) {
            println!("--- {} ({})", prompt.title(), prompt.status());
            println!("{content}");
            shown = Some(content);
        }
        tokio::select! {
            changed = changes.next() => changed?, // an error: closed for good
            seen = status.changed() => {
                seen?;
                let now = *status.borrow_and_update();
                eprintln!("[{now}]");
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    prompt.close().await;
    Ok(())
}
