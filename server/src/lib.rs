//! Rocqet Hub server: live collaborative editing of prompts and models.
//!
//! [`run`] serves on a listener the caller bound, until the shutdown future
//! resolves; `main.rs` only parses configuration and passes the signal.
//! Tests use [`start`] with an injected clock and drive the returned [`Running`].
#![forbid(unsafe_code)]

pub mod auth;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod error;
pub mod http;
pub mod hub;
pub mod ids;
pub mod socket;
pub mod state;
pub mod store;
pub mod versions;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::serve::ListenerExt;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Auth;
use crate::auth::throttle::Throttle;
use crate::clock::{SharedClock, SystemClock};
use crate::cluster::Cluster;
use crate::config::Config;
use crate::hub::Hub;
use crate::hub::persister::Persister;
use crate::state::AppState;
use crate::store::StoreError;

/// How often rooms get their housekeeping tick (awareness expiry, JSON saves, idle unload).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// How long exit waits for the persister shards after every room has flushed.
const PERSIST_DRAIN: Duration = Duration::from_secs(10);

/// Why the server could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// Knobs only embedders and tests set.
#[derive(Clone)]
pub struct Options {
    pub clock: SharedClock,
    /// Run the periodic sweeper; tests that drive `Hub::sweep` themselves turn it off.
    pub background_sweep: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            background_sweep: true,
        }
    }
}

/// A started server.
pub struct Running {
    addr: SocketAddr,
    hub: Hub,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), ServerError>>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The hub, for tests that sweep or inspect rooms.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Graceful stop: flush every room, close sockets with 1001, wait for the persister.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let Running {
            stop, task, hub, ..
        } = self;
        // Our hub handle would keep the persister alive while we wait for it to stop.
        drop(hub);
        let _ = stop.send(true);
        task.await
            .map_err(|e| ServerError::Io(std::io::Error::other(e)))?
    }
}

/// Checks configuration that must fail at start-up rather than at first use.
pub fn validate(config: &Config) -> Result<(), ServerError> {
    if config.redis_url.is_some() && config.database_url.starts_with("sqlite:") {
        return Err(ServerError::Config(
            "--redis-url needs a PostgreSQL --database-url: nodes must share one database"
                .to_owned(),
        ));
    }
    if config.production && config.jwt_secret.is_none() {
        return Err(ServerError::Config(
            auth::secret::SecretError::MissingInProduction.to_string(),
        ));
    }
    Ok(())
}

/// One Prometheus recorder per process: the `metrics` facade is global.
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let latency = [
                0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &latency)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            handle
        })
        .clone()
}

/// Connects the store, starts the hub and serves on `listener` in the background.
pub async fn start(
    config: Config,
    listener: TcpListener,
    options: Options,
) -> Result<Running, ServerError> {
    validate(&config)?;
    let addr = listener.local_addr()?;
    let store = store::connect(&config.database_url).await?;
    // SQLite has one writer, so more shards only contend; PostgreSQL commits in parallel.
    let shards = if config.database_url.starts_with("sqlite:") {
        1
    } else {
        4
    };
    let (cluster, inbound) = match &config.redis_url {
        Some(url) => {
            let (cluster, inbound) = Cluster::start(url, &config.redis_prefix)
                .map_err(|e| ServerError::Config(e.to_string()))?;
            (Some(cluster), Some(inbound))
        }
        None => (None, None),
    };
    let (persister, persist_tasks) = Persister::start(
        store.clone(),
        shards,
        config.limits.persist_batch(),
        cluster.clone(),
    );
    let hub = Hub::new(
        store.clone(),
        persister,
        options.clock.clone(),
        config.limits.clone(),
        config.versions.clone(),
        cluster.clone(),
    );
    let secret = auth::secret::resolve(
        config.jwt_secret.as_deref(),
        config.production,
        &config.data_dir,
    )
    .map_err(|e| ServerError::Config(e.to_string()))?;
    let throttle = Throttle::new(config.auth_attempts_per_ip, config.auth_attempts_per_email);
    let auth = Auth::new(&secret, store.clone(), options.clock.clone(), throttle);
    let auth = Arc::new(auth);
    if let Some(inbound) = inbound {
        if let Some(cluster) = &cluster {
            cluster.deliver_to(&hub);
        }
        tokio::spawn(cluster::inbound::serve(inbound, hub.clone(), auth.clone()));
    }
    let state = AppState {
        config: Arc::new(config),
        store,
        hub: hub.clone(),
        cluster,
        auth,
        clock: options.clock.clone(),
        metrics: metrics_handle(),
    };
    let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();

    let (stop, mut stopped) = watch::channel(false);
    let sweeper = options.background_sweep.then(|| {
        let hub = hub.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                hub.sweep().await;
            }
        })
    });
    let serving_hub = hub.clone();
    let task = tokio::spawn(async move {
        let closing_hub = serving_hub.clone();
        // Rooms flush and close their sockets first: axum's graceful shutdown waits
        // for upgraded connections, so they must end before it can finish.
        let signal = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
            closing_hub.shutdown().await;
        };
        let served = axum::serve(
            // Small frames must leave at once: with Nagle's algorithm on, a frame
            // written while the previous one awaits its ACK waits for the peer's
            // delayed-ACK timer (up to 40 ms on Linux), which was our fan-out p99.
            listener.tap_io(|tcp| {
                if let Err(error) = tcp.set_nodelay(true) {
                    tracing::debug!(%error, "could not set TCP_NODELAY");
                }
            }),
            app,
        )
        .with_graceful_shutdown(signal)
        .await;
        if let Some(sweeper) = sweeper {
            sweeper.abort();
        }
        // Dropping the hub's last persister handle lets the shards drain and stop.
        drop(serving_hub);
        // Rooms already waited for their writes before closing; this only lets the
        // shards finish, bounded so a stray handle cannot hold the exit forever.
        let drained = futures_util::future::join_all(persist_tasks);
        if tokio::time::timeout(PERSIST_DRAIN, drained).await.is_err() {
            tracing::warn!("persister still running at exit");
        }
        served.map_err(ServerError::Io)
    });
    tracing::info!(%addr, "rocqet listening");
    Ok(Running {
        addr,
        hub,
        stop,
        task,
    })
}

/// Serves until `shutdown` resolves, then flushes every room and returns.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let running = start(config, listener, Options::default()).await?;
    shutdown.await;
    tracing::info!("shutting down: flushing rooms");
    running.shutdown().await
}
