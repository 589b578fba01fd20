//! Acting on what other nodes sent: document messages go to the room, notices
//! to the access cache and the sockets, a reconnect re-syncs every room.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::Inbound;
use crate::auth::Auth;
use crate::hub::Hub;

/// Serves the cluster's inbound queue until the link stops.
pub async fn serve(mut inbound: mpsc::UnboundedReceiver<Inbound>, hub: Hub, auth: Arc<Auth>) {
    while let Some(next) = inbound.recv().await {
        match next {
            Inbound::Doc { from, doc, message } => hub.remote(from, doc, message).await,
            Inbound::Notice(notice) => notice.apply(&hub, &auth.access).await,
            Inbound::Reconnected => hub.resync_all().await,
        }
    }
}
