//! Edits a prompt: logs in over REST, opens the prompt live, appends a line
//! to its content, gives that line's placeholders a default, waits until the
//! server has stored the edit, and prints the rendered result.
//!
//! ```text
//! ROCQET_EMAIL=ada@example.com ROCQET_PASSWORD='correct horse battery' \
//!     cargo run -p rocqet-client --example edit_prompt -- <prompt-id> 'Sign off as {{sender}}.'
//! ```
//!
//! Without a prompt id (or with `new`), a prompt is created in the first
//! workspace of the account and its id printed, ready for `watch_prompt`.
//! `ROCQET_URL` defaults to `http://127.0.0.1:8080`.

use std::error::Error;

use rocqet_client::rest::Client;
use rocqet_client::{PromptPatch, Status, Variable};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let id = args.next().filter(|id| id != "new");
    let line = args
        .next()
        .unwrap_or_else(|| "Edited by the Rust SDK for {{reader}}.".into());
    let url = std::env::var("ROCQET_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let email = std::env::var("ROCQET_EMAIL").map_err(|_| "set ROCQET_EMAIL")?;
    let password = std::env::var("ROCQET_PASSWORD").map_err(|_| "set ROCQET_PASSWORD")?;

    let client = Client::new(&url)?;
    client.login(&email, &password).await?;
    let id = match id {
        Some(id) => id.into(),
        None => {
            let me = client.me().await?;
            let workspace = me
                .workspaces
                .first()
                .ok_or("the account has no workspace")?;
            let patch = PromptPatch::new().title("From the SDK").content("Hello!");
            let created = client.prompts().create(&workspace.id, &patch).await?;
            println!("created prompt {}", created.id);
            created.id
        }
    };

    let prompt = client.open_prompt(&id).await?;
    let before = prompt.content();
    let separator = if before.is_empty() { "" } else { "\n" };
    let end = u32::try_from(before.encode_utf16().count())?;
    prompt.insert(end, &format!("{separator}{line}"));

    // Give the new line's placeholders a default, so the prompt renders whole.
    for name in rocqet_crdt::placeholders::extract(&line) {
        let known = prompt.variables().into_iter().find(|v| v.name == name);
        if known.is_some_and(|v| v.default.is_some()) {
            continue;
        }
        prompt.set_variable(Variable {
            description: format!("Added by edit_prompt for `{name}`"),
            default: Some(format!("<{name}>")),
            required: false,
            name,
        })?;
    }

    prompt.wait_status(Status::Saved).await?;
    println!("saved; the prompt now renders as:");
    println!("{}", prompt.render(&serde_json::Map::new()).text);
    prompt.close().await;
    Ok(())
}
