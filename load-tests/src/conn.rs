//! One benchmark client socket: connect, sync handshake, send and receive
//! y-protocols messages in either framing.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rocqet_crdt::protocol::{self, Frame};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::proto::Protocol;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Small socket buffers: tungstenite's defaults reserve 128 KiB per socket for
/// reading, which at 10,000 idle sockets would make the generator, not the server, the thing measured.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_write_buffer_size(1 << 20)
}

/// Where one client connects, and as which document.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub doc_name: String,
    pub protocol: Protocol,
}

/// A received message, owned.
#[derive(Debug)]
pub enum Incoming {
    /// An Update or SyncStep2 payload (`live` = Update).
    Update { payload: Vec<u8>, live: bool },
    /// The server's SyncStep1 (already answered).
    Step1,
    /// An ack / Hocuspocus SyncStatus.
    Ack(bool),
    /// Awareness, auth, anything else.
    Other,
}

/// One connected, synced client.
pub struct Client {
    ws: Ws,
    ep: Endpoint,
    /// SyncStep2 answers sent so far (servers ack those too).
    pub step2_sent: u32,
    /// A writer's own document: the server's SyncStep1 is answered with what it
    /// lacks of it, which is how a reconnecting client resends unsaved edits.
    local: Option<Doc>,
}

/// Errors are strings: the generator only counts and reports them.
pub type Res<T> = Result<T, String>;

impl Client {
    /// Connects and completes the sync handshake: sends SyncStep1 (after
    /// Hocuspocus' Auth), answers the server's SyncStep1 with an empty
    /// SyncStep2, and returns once the server's SyncStep2 arrived, with that payload.
    pub async fn connect(ep: Endpoint, timeout: Duration) -> Res<(Client, Vec<u8>)> {
        Self::connect_holding(ep, timeout, None).await
    }

    /// [`Client::connect`] for a client that holds state of its own: the
    /// server's SyncStep1 is answered with everything in `local` it lacks.
    pub async fn connect_holding(
        ep: Endpoint,
        timeout: Duration,
        local: Option<Doc>,
    ) -> Res<(Client, Vec<u8>)> {
        tokio::time::timeout(timeout, Self::connect_inner(ep, local))
            .await
            .map_err(|_| "handshake timed out".to_string())?
    }

    async fn connect_inner(ep: Endpoint, local: Option<Doc>) -> Res<(Client, Vec<u8>)> {
        let (ws, _) =
            tokio_tungstenite::connect_async_with_config(ep.url.as_str(), Some(ws_config()), true)
                .await
                .map_err(|e| format!("connect: {e}"))?;
        let mut client = Client {
            ws,
            ep,
            step2_sent: 0,
            local,
        };
        if let Some(hello) = client.ep.protocol.hello(&client.ep.doc_name) {
            client.send_raw(hello).await?;
        }
        client
            .send(&protocol::encode_sync_step1(&StateVector::default()))
            .await?;
        loop {
            match client.recv().await? {
                Some(Incoming::Update {
                    payload,
                    live: false,
                }) => return Ok((client, payload)),
                Some(_) => {}
                None => return Err("closed during handshake".into()),
            }
        }
    }

    /// Sends one y-protocols message, framed for the protocol.
    pub async fn send(&mut self, message: &[u8]) -> Res<()> {
        let framed = self.ep.protocol.wrap(&self.ep.doc_name, message);
        self.send_raw(framed).await
    }

    async fn send_raw(&mut self, frame: Vec<u8>) -> Res<()> {
        self.ws
            .send(Message::binary(frame))
            .await
            .map_err(|e| format!("send: {e}"))
    }

    /// Next message; answers the server's SyncStep1 on the way. `None` when closed.
    pub async fn recv(&mut self) -> Res<Option<Incoming>> {
        loop {
            let msg = match self.ws.next().await {
                None => return Ok(None),
                Some(Err(e)) => return Err(format!("recv: {e}")),
                Some(Ok(m)) => m,
            };
            let mut data: Vec<u8> = match msg {
                Message::Binary(b) => b.into(),
                Message::Close(c) => {
                    return Err(format!(
                        "closed by server: {}",
                        c.map(|c| format!("{} {}", c.code, c.reason))
                            .unwrap_or_default()
                    ));
                }
                _ => continue, // pings are answered by tungstenite
            };
            let proto = self.ep.protocol;
            let body = proto.unwrap(&mut data).ok_or("bad document-name prefix")?;
            let incoming = match protocol::decode_frame(body) {
                Ok(Frame::SyncStep1(server_sv)) => {
                    // Answer with what the server lacks of our own state (nothing
                    // for a client that holds none: an empty SyncStep2).
                    let missing = match &self.local {
                        Some(doc) => doc.transact().encode_state_as_update_v1(&server_sv),
                        None => Update::EMPTY_V1.to_vec(),
                    };
                    self.send(&protocol::encode_sync_step2(&missing)).await?;
                    self.step2_sent += 1;
                    Incoming::Step1
                }
                Ok(Frame::SyncStep2(u)) => Incoming::Update {
                    payload: u.to_vec(),
                    live: false,
                },
                Ok(Frame::Update(u)) => Incoming::Update {
                    payload: u.to_vec(),
                    live: true,
                },
                Ok(Frame::Ack(saved)) => Incoming::Ack(saved),
                Ok(Frame::Auth(Some(reason))) => return Err(format!("denied: {reason}")),
                Ok(_) => Incoming::Other,
                // Hocuspocus sends [2 Auth][2 Authenticated][scope], which the
                // y-protocols codec does not know; anything else undecodable is ignored too.
                Err(_) => Incoming::Other,
            };
            return Ok(Some(incoming));
        }
    }

    /// Closes politely, bounded.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }
}

/// Nanoseconds since `base`, saturating.
pub fn nanos_since(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
}
