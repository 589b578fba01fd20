//! `AppState`: what every handler can reach.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::Auth;
use crate::clock::SharedClock;
use crate::cluster::{Cluster, Notice};
use crate::config::Config;
use crate::hub::Hub;
use crate::store::Store;

/// Shared state of the HTTP and WebSocket handlers.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub hub: Hub,
    /// The other nodes, when scaled out over Redis.
    pub cluster: Option<Cluster>,
    pub auth: Arc<Auth>,
    pub clock: SharedClock,
    pub metrics: PrometheusHandle,
}

impl AppState {
    /// Applies an access change on this node (cache and sockets) before returning,
    /// and tells the other nodes to do the same.
    pub async fn announce(&self, notice: Notice) {
        notice.apply(&self.hub, &self.auth.access).await;
        if let Some(cluster) = &self.cluster {
            cluster.announce(notice);
        }
    }
}
