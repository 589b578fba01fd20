//! The task behind a [`LiveDoc`](crate::LiveDoc): runs one socket at a time
//! and, with reconnect on, dials again after a loss.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use rocqet_crdt::protocol;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::{ReadTxn, Transact};

use super::conn::{self, CLOSE_ABNORMAL, Shared};
use super::reconnect::{self, CLOSE_UNAUTHENTICATED, Next, Schedule};
use crate::status::Phase;
use crate::{ClientError, ConnectOptions};

/// A client WebSocket as tokio-tungstenite dials it.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The close the caller asked for while no socket was open.
const CLOSED_BY_CLIENT: u16 = 1000;

/// Longest a reconnect dial may take. A refused port fails at once, but a
/// host that vanished leaves the TCP handshake waiting for the OS timeout
/// (minutes); better to count it as a failed attempt and back off.
const DIAL_TIMEOUT: Duration = Duration::from_secs(20);

/// Opens a socket to `request_url` (already carrying token and ack).
pub(crate) async fn dial(request_url: &str) -> Result<Socket, ClientError> {
    let (socket, _response) = tokio_tungstenite::connect_async(request_url).await?;
    Ok(socket)
}

/// One open socket: its reading half, and its writer task (stopped on drop).
pub(crate) struct Connection {
    stream: SplitStream<Socket>,
    _writer: AbortOnDrop,
}

impl Connection {
    /// Starts bookkeeping for `socket`, spawns its writer and queues the
    /// hello: our SyncStep1 and, after a reconnect, our awareness state.
    pub fn start(shared: &Arc<Shared>, socket: Socket) -> Self {
        let (sink, stream) = socket.split();
        let rx = shared.begin_connection();
        // The server sends its SyncStep1 first too; order between the two
        // does not matter, both sides answer the other's.
        let sv = shared.doc.transact().state_vector();
        shared.send(protocol::encode_sync_step1(&sv), false);
        if let Some(frame) = shared.announced_awareness() {
            shared.send(frame, false);
        }
        let writer = tokio::spawn(conn::run_writer(sink, rx, shared.clone()));
        Connection {
            stream,
            _writer: AbortOnDrop(writer),
        }
    }
}

/// Aborts a task when dropped, so no writer outlives its connection.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Everything needed to dial again: the URL, the options (the token among
/// them may be replaced) and the attempt count.
pub(crate) struct Redial {
    url: String,
    options: ConnectOptions,
    schedule: Schedule,
    /// The token came fresh from the provider and no connection has synced
    /// with it yet: a second 4401 means a fresh token does not help.
    fresh_token_untested: bool,
}

impl Redial {
    /// A plan for `options.reconnect`, or `None` when reconnect is off.
    pub fn new(url: &str, options: &ConnectOptions) -> Option<Self> {
        let backoff = options.reconnect.clone()?;
        let options = ConnectOptions {
            // The document lives in `Shared`; no need to keep a second handle.
            doc: None,
            ..options.clone()
        };
        Some(Redial {
            url: url.to_owned(),
            options,
            schedule: Schedule::new(backoff),
            fresh_token_untested: false,
        })
    }
}

/// Runs connections until one ends for good, then records the close.
pub(crate) async fn supervise(
    shared: Arc<Shared>,
    mut conn: Connection,
    mut redial: Option<Redial>,
) {
    loop {
        let closed = conn::run_reader(&mut conn.stream, &shared).await;
        // Stops this connection's writer; its queue dies with it.
        drop(conn);
        let Some(plan) = redial.as_mut() else {
            return finish(&shared, closed);
        };
        let synced = shared.state.borrow().synced;
        match plan.next_connection(&shared, closed, synced).await {
            Ok(next) => conn = next,
            Err(closed) => return finish(&shared, closed),
        }
    }
}

/// Marks the document closed for good.
fn finish(shared: &Shared, closed: (u16, String)) {
    shared.modify(|s| {
        s.last_close = Some(closed.clone());
        s.closed.get_or_insert(closed);
    });
}

impl Redial {
    /// Decides what the end of a connection means and, if it is worth it,
    /// waits and dials until a new socket is open. `Err` carries the close
    /// to report when giving up.
    async fn next_connection(
        &mut self,
        shared: &Arc<Shared>,
        closed: (u16, String),
        synced: bool,
    ) -> Result<Connection, (u16, String)> {
        if synced {
            self.schedule.reset();
            self.fresh_token_untested = false;
        }
        if shared.state.borrow().closing {
            return Err(closed);
        }
        let mut need_token = match reconnect::after_close(closed.0) {
            Next::GiveUp => return Err(closed),
            Next::RefreshToken if !self.may_refresh() => return Err(closed),
            Next::RefreshToken => true,
            Next::Retry => false,
        };
        tracing::debug!(code = closed.0, reason = %closed.1, "connection lost; reconnecting");
        shared.modify(|s| {
            s.phase = Phase::Offline;
            s.synced = false;
            s.last_close = Some(closed.clone());
        });
        shared.forget_others();
        let mut last = closed;
        loop {
            let Some(delay) = self.schedule.next_delay(rand::random()) else {
                tracing::debug!(attempts = self.schedule.attempts(), "reconnect gave up");
                return Err(last);
            };
            if !sleep_unless_closing(shared, delay).await {
                return Err(closed_by_client());
            }
            if need_token {
                match self.refresh_token().await {
                    Ok(()) => need_token = false,
                    Err(Refresh::Fatal(reason)) => return Err((CLOSE_UNAUTHENTICATED, reason)),
                    Err(Refresh::Later(reason)) => {
                        last = (CLOSE_ABNORMAL, reason);
                        continue;
                    }
                }
            }
            let request = self
                .options
                .request_url(&self.url)
                .map_err(|e| (CLOSE_ABNORMAL, e.to_string()))?;
            shared.modify(|s| s.phase = Phase::Connecting);
            let dialed = tokio::select! {
                dialed = tokio::time::timeout(DIAL_TIMEOUT, dial(&request)) => {
                    dialed.unwrap_or_else(|_| Err(ClientError::Protocol("dial timed out".into())))
                }
                () = closing_requested(shared) => return Err(closed_by_client()),
            };
            match dialed {
                Ok(socket) => return Ok(Connection::start(shared, socket)),
                Err(ClientError::Rejected { status }) => {
                    let code = 4000u16.saturating_add(status);
                    let refused = (code, format!("upgrade refused with HTTP {status}"));
                    match reconnect::after_rejection(status) {
                        Next::GiveUp => return Err(refused),
                        Next::RefreshToken if !self.may_refresh() => return Err(refused),
                        Next::RefreshToken => need_token = true,
                        Next::Retry => {}
                    }
                    last = refused;
                }
                Err(e) => last = (CLOSE_ABNORMAL, e.to_string()),
            }
            shared.modify(|s| {
                s.phase = Phase::Offline;
                s.last_close = Some(last.clone());
            });
        }
    }

    /// Whether a refused token is worth replacing: there is a provider, and
    /// the current token is not one it just handed out.
    fn may_refresh(&self) -> bool {
        self.options.token_provider.is_some() && !self.fresh_token_untested
    }

    /// Replaces the token with one from the provider.
    async fn refresh_token(&mut self) -> Result<(), Refresh> {
        let Some(provider) = self.options.token_provider.clone() else {
            return Err(Refresh::Fatal("token refused and no token provider".into()));
        };
        match provider.fresh_token(self.options.token.clone()).await {
            Ok(token) => {
                self.options.token = Some(token);
                self.fresh_token_untested = true;
                Ok(())
            }
            Err(e) if e.status() == Some(401) || matches!(e, ClientError::NotLoggedIn) => {
                Err(Refresh::Fatal(e.to_string()))
            }
            Err(e) => Err(Refresh::Later(e.to_string())),
        }
    }
}

/// Why no fresh token came.
enum Refresh {
    /// The session is over.
    Fatal(String),
    /// Maybe next time (the identity service was unreachable, say).
    Later(String),
}

fn closed_by_client() -> (u16, String) {
    (CLOSED_BY_CLIENT, "closed by the client".into())
}

/// Sleeps `delay`; false if the caller asked to close meanwhile.
async fn sleep_unless_closing(shared: &Shared, delay: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = closing_requested(shared) => false,
    }
}

/// Resolves once the caller asked to close.
async fn closing_requested(shared: &Shared) {
    let mut rx = shared.state.subscribe();
    if rx.wait_for(|s| s.closing).await.is_err() {
        // The sender lives in `shared`, which we hold: cannot happen.
        std::future::pending::<()>().await;
    }
}
