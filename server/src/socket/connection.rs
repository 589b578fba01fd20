//! One WebSocket connection: frames in to the room, outbox frames out.
//!
//! Generic over `Sink`/`Stream` so it can be driven by anything that speaks
//! axum's `Message`. One task per connection (reads and writes share it) keeps
//! an idle connection small; a write that stalls is abandoned as soon as the
//! room gives up on the connection, so a client that stops reading cannot pin it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};

use super::admission::{self, Admission, Recheck};
use super::rate::{self, ConnectionRates};
use crate::auth::Auth;
use crate::hub::outbox::{CloseRequest, Outbox};
use crate::hub::{Hub, HubError, Member, close};

/// How long a closing handshake may take before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// A peer that sent nothing, not even a pong, for two ping intervals is gone
/// (a vanished laptop leaves no FIN behind).
const SILENCE_LIMIT: Duration = Duration::from_millis(2 * crate::hub::room::PING_EVERY_MS);

/// Serves one socket until either side closes it.
pub async fn serve<S, E>(socket: S, hub: Hub, auth: Arc<Auth>, admission: Admission)
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
{
    let (mut sink, mut stream) = socket.split();
    let session = match admission {
        Admission::Admit(session) => session,
        Admission::Refuse { code, reason } => return send_close(&mut sink, code, reason).await,
    };
    let doc = session.doc;
    let conn = hub.next_conn_id();
    let outbox = Arc::new(Outbox::new(hub.limits().outbox_frames));
    let member = || Member {
        id: conn,
        outbox: outbox.clone(),
        wants_ack: session.wants_ack,
        read_only: session.read_only,
        user: session.user,
        name: session.name.clone(),
    };
    let room = match hub.join(doc, member).await {
        Ok(room) => room,
        Err(error) => {
            let (code, reason) = join_refusal(&error);
            return send_close(&mut sink, code, reason).await;
        }
    };
    match admission::recheck(&auth, &session).await {
        Recheck::Unchanged => {}
        Recheck::Close(code, reason) => {
            room.leave(conn).await;
            return send_close(&mut sink, code, reason).await;
        }
        Recheck::Role(role) => {
            hub.revoke(session.user, Some(session.workspace), Some(role))
                .await
        }
    }
    metrics::gauge!("rocqet_connections").increment(1.0);
    let rates = ConnectionRates::new(hub.limits());
    let max_frame = hub.limits().max_frame_bytes;
    let mut pending = Vec::new();
    let mut last_heard = tokio::time::Instant::now();
    let mut rechecks = auth.access.rechecks();
    rechecks.mark_unchanged();

    let ending: Option<CloseRequest> = loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Binary(frame))) => {
                    last_heard = tokio::time::Instant::now();
                    if frame.len() > max_frame {
                        break Some(request(close::TOO_LARGE, "frame too large"));
                    }
                    if !rates.allow(&frame) {
                        break Some(request(close::RATE_LIMITED, "too many messages"));
                    }
                    if rate::classify(&frame) == rate::FrameClass::Update {
                        hub.persist_capacity().await;
                    }
                    if !room.frame(conn, frame).await {
                        break Some(request(close::INTERNAL, "document closed"));
                    }
                }
                Some(Ok(Message::Text(_))) => break Some(request(close::BAD_MESSAGE, "text frames are not supported")),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => last_heard = tokio::time::Instant::now(),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
            },
            Ok(()) = rechecks.changed() => match admission::recheck(&auth, &session).await {
                Recheck::Unchanged => {}
                Recheck::Close(code, reason) => break Some(request(code, reason)),
                Recheck::Role(role) => {
                    hub.revoke(session.user, Some(session.workspace), Some(role)).await
                }
            },
            () = outbox.changed() => {
                match flush_outbox(&mut sink, &outbox, &mut pending, last_heard).await {
                    Ok(None) => {}
                    Ok(Some(request)) => break Some(request),
                    Err(()) => break None,
                }
            }
        }
    };
    room.leave(conn).await;
    metrics::gauge!("rocqet_connections").decrement(1.0);
    if let Some(request) = ending {
        send_close(&mut sink, request.code, request.reason).await;
    }
}

/// Writes everything queued, repeating until the outbox stays empty, so frames pushed
/// during a write are never stranded. Gives up when a close is requested mid-write.
/// An empty frame is the room's ping marker.
async fn flush_outbox<K>(
    sink: &mut K,
    outbox: &Outbox,
    pending: &mut Vec<Bytes>,
    last_heard: tokio::time::Instant,
) -> Result<Option<CloseRequest>, ()>
where
    K: Sink<Message> + Unpin,
{
    loop {
        let close = outbox.drain(pending);
        if pending.is_empty() {
            return Ok(close);
        }
        let write = async {
            for frame in pending.drain(..) {
                let message = if frame.is_empty() {
                    if last_heard.elapsed() > SILENCE_LIMIT {
                        return Err(());
                    }
                    Message::Ping(frame)
                } else {
                    Message::Binary(frame)
                };
                sink.feed(message).await.map_err(|_| ())?;
            }
            sink.flush().await.map_err(|_| ())
        };
        tokio::select! {
            written = write => written?,
            request = closed(outbox) => return Ok(Some(request)),
        }
        // Idle connections keep no write list; the next burst allocates a fresh one.
        *pending = Vec::new();
        if close.is_some() {
            return Ok(close);
        }
    }
}

/// Resolves once someone asked this connection to close.
async fn closed(outbox: &Outbox) -> CloseRequest {
    loop {
        if let Some(request) = outbox.close_requested() {
            return request;
        }
        outbox.changed().await;
    }
}

fn request(code: u16, reason: &'static str) -> CloseRequest {
    CloseRequest { code, reason }
}

fn join_refusal(error: &HubError) -> (u16, &'static str) {
    match error {
        HubError::NotFound => (close::NOT_FOUND, "no such document"),
        HubError::TooManyConnections => {
            (close::RATE_LIMITED, "too many connections on this document")
        }
        HubError::ShuttingDown => (close::SHUTTING_DOWN, "server shutting down"),
        HubError::TooLarge => (close::TOO_LARGE, "document too large"),
        HubError::Store(_) | HubError::Crdt(_) | HubError::Gone | HubError::Stale => {
            (close::INTERNAL, "document unavailable")
        }
    }
}

async fn send_close<K>(sink: &mut K, code: u16, reason: &'static str)
where
    K: Sink<Message> + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
}
