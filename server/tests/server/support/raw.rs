//! A bare WebSocket client for tests that must send what no polite client would.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// Generous bound on waiting for a frame; a passing test never comes near it.
const WAIT: Duration = Duration::from_secs(10);

/// A raw y-websocket connection.
pub struct RawSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the server did with a connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    Closed(u16, String),
    Dropped,
}

impl RawSocket {
    /// Connects to `url`.
    pub async fn connect(url: &str) -> Self {
        let (ws, _) = connect_async(url).await.expect("websocket connects");
        Self { ws }
    }

    /// Sends a binary frame.
    pub async fn send(&mut self, bytes: Vec<u8>) {
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .expect("send");
    }

    /// Sends a frame and ignores failure (the server may already have closed).
    pub async fn try_send(&mut self, message: Message) -> bool {
        self.ws.send(message).await.is_ok()
    }

    /// The next binary frame, or None once closed.
    pub async fn next_binary(&mut self) -> Option<Vec<u8>> {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("frame within bound")?
            {
                Ok(Message::Binary(b)) => return Some(b.to_vec()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Sends an update and waits for its ack (the socket must have connected with `?ack=1`).
    pub async fn send_acked(&mut self, frame: Vec<u8>) {
        self.send(frame).await;
        loop {
            let frame = self.next_binary().await.expect("ack before close");
            if frame == rocqet_crdt::protocol::ACK_FRAME {
                return;
            }
        }
    }

    /// Reads until a WebSocket ping arrives; false if the socket closed first.
    pub async fn next_ping(&mut self) -> bool {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("ping within bound")
            {
                Some(Ok(Message::Ping(_))) => return true,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return false,
                Some(Ok(_)) => {}
            }
        }
    }

    /// Reads until the server closes, returning its close code and reason.
    pub async fn ending(&mut self) -> Ending {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("close within bound")
            {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Ending::Closed(frame.code.into(), frame.reason.to_string());
                }
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return Ending::Dropped,
                Some(Ok(_)) => {}
            }
        }
    }

    /// The close code, panicking if the server just dropped the socket.
    pub async fn close_code(&mut self) -> u16 {
        match self.ending().await {
            Ending::Closed(code, _) => code,
            Ending::Dropped => panic!("socket dropped without a close frame"),
        }
    }
}
