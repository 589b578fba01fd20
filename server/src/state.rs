//! `AppState`: what every handler can reach.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::Auth;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::hub::Hub;
use crate::store::Store;

/// Shared state of the HTTP and WebSocket handlers.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub hub: Hub,
    pub auth: Arc<Auth>,
    pub clock: SharedClock,
    pub metrics: PrometheusHandle,
}
