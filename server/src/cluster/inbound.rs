//! Acting on what other nodes sent: notices go to the access cache and the
//! sockets, a reconnect re-syncs every room. Document messages go straight from
//! the link to the rooms (`Cluster::deliver_to`); only those that arrive before
//! the hub exists pass through here.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::Inbound;
use crate::auth::Auth;
use crate::hub::Hub;

/// Serves the cluster's inbound queue until the link stops.
pub async fn serve(mut inbound: mpsc::UnboundedReceiver<Inbound>, hub: Hub, auth: Arc<Auth>) {
    while let Some(next) = inbound.recv().await {
        match next {
            Inbound::Doc { from, doc, message } => hub.remote(from, doc, message),
            // A notice waits on every room: off this loop, so one slow room cannot
            // hold up other documents' traffic.
            Inbound::Notice(notice) => {
                let (hub, auth) = (hub.clone(), auth.clone());
                tokio::spawn(async move { notice.apply(&hub, &auth.access).await });
            }
            Inbound::Reconnected => {
                // Notices sent while the link was down are gone: every socket re-checks.
                auth.access.forget_all();
                hub.resync_all().await;
            }
        }
    }
}
