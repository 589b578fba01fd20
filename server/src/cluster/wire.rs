//! The bytes nodes exchange over Redis: a small fixed header (format, kind,
//! sending node, send time) and a payload. Pure, so it is tested without Redis.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use uuid::Uuid;

use crate::ids::DocId;

use super::notice::Notice;

/// Bumped when the layout changes; nodes drop messages of another format.
const FORMAT: u8 = 2;
/// Format, kind, node id, send time.
const HEADER_LEN: usize = 1 + 1 + 16 + 8;

/// Which node sent a message.
pub type NodeId = Uuid;

/// What one node tells the others about a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocMessage {
    /// A v1 update a client of the sender made, sent before it is stored; `seq`
    /// (the sender's, rising across all its documents) is what `Stored` confirms.
    Update { seq: u64, update: Bytes },
    /// The sender stored every update it sent for this document up to `seq`.
    Stored(u64),
    /// An awareness update of the sender's clients, in y-protocols' encoding.
    Awareness(Bytes),
    /// "Here is my state vector": answer with `Step2` of what I lack and `Step1` with yours.
    Hello(Bytes),
    /// "Here is my state vector": answer with `Step2` of what I lack.
    Step1(Bytes),
    /// What the receiver lacked, as one v1 update.
    Step2(Bytes),
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub from: NodeId,
    /// Unix milliseconds at the sender, for the cross-node latency histogram.
    pub sent_at_ms: u64,
    pub body: Body,
}

/// The payload of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Doc(DocId, DocMessage),
    Notice(Notice),
}

/// Why a message was dropped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("message too short")]
    Truncated,
    #[error("unknown message format {0}")]
    Format(u8),
    #[error("unknown message kind {0}")]
    Kind(u8),
    #[error("bad notice: {0}")]
    Notice(String),
}

const KIND_UPDATE: u8 = 1;
const KIND_AWARENESS: u8 = 2;
const KIND_HELLO: u8 = 3;
const KIND_STEP1: u8 = 4;
const KIND_STEP2: u8 = 5;
const KIND_NOTICE: u8 = 6;
const KIND_STORED: u8 = 7;

/// Encodes a message from `from`, sent at `sent_at_ms`.
pub fn encode(from: NodeId, sent_at_ms: u64, body: &Body) -> Bytes {
    // (kind, document, a sequence number before the payload, payload)
    let (kind, doc, seq, payload): (u8, Option<DocId>, Option<u64>, Bytes) = match body {
        Body::Doc(doc, message) => {
            let (kind, seq, bytes) = match message {
                DocMessage::Update { seq, update } => (KIND_UPDATE, Some(*seq), update.clone()),
                DocMessage::Stored(seq) => (KIND_STORED, Some(*seq), Bytes::new()),
                DocMessage::Awareness(b) => (KIND_AWARENESS, None, b.clone()),
                DocMessage::Hello(b) => (KIND_HELLO, None, b.clone()),
                DocMessage::Step1(b) => (KIND_STEP1, None, b.clone()),
                DocMessage::Step2(b) => (KIND_STEP2, None, b.clone()),
            };
            (kind, Some(*doc), seq, bytes)
        }
        // A notice is a handful of ids: JSON keeps it readable in `redis-cli monitor`.
        Body::Notice(notice) => (
            KIND_NOTICE,
            None,
            None,
            Bytes::from(serde_json::to_vec(notice).unwrap_or_default()),
        ),
    };
    let mut out = BytesMut::with_capacity(HEADER_LEN + 16 + 8 + payload.len());
    out.put_u8(FORMAT);
    out.put_u8(kind);
    out.put_slice(from.as_bytes());
    out.put_u64_le(sent_at_ms);
    if let Some(doc) = doc {
        out.put_slice(doc.0.as_bytes());
    }
    if let Some(seq) = seq {
        out.put_u64_le(seq);
    }
    out.put_slice(&payload);
    out.freeze()
}

/// Decodes a message; anything malformed is an error, never a panic.
pub fn decode(mut bytes: Bytes) -> Result<Envelope, WireError> {
    if bytes.len() < HEADER_LEN {
        return Err(WireError::Truncated);
    }
    let format = bytes.get_u8();
    if format != FORMAT {
        return Err(WireError::Format(format));
    }
    let kind = bytes.get_u8();
    let from = take_uuid(&mut bytes)?;
    let sent_at_ms = bytes.get_u64_le();
    let body = if kind == KIND_NOTICE {
        let notice =
            serde_json::from_slice(&bytes).map_err(|e| WireError::Notice(e.to_string()))?;
        Body::Notice(notice)
    } else {
        let doc = DocId(take_uuid(&mut bytes)?);
        let message = match kind {
            KIND_UPDATE => {
                let seq = take_u64(&mut bytes)?;
                DocMessage::Update { seq, update: bytes }
            }
            KIND_STORED => DocMessage::Stored(take_u64(&mut bytes)?),
            KIND_AWARENESS => DocMessage::Awareness(bytes),
            KIND_HELLO => DocMessage::Hello(bytes),
            KIND_STEP1 => DocMessage::Step1(bytes),
            KIND_STEP2 => DocMessage::Step2(bytes),
            other => return Err(WireError::Kind(other)),
        };
        Body::Doc(doc, message)
    };
    Ok(Envelope {
        from,
        sent_at_ms,
        body,
    })
}

fn take_u64(bytes: &mut Bytes) -> Result<u64, WireError> {
    if bytes.len() < 8 {
        return Err(WireError::Truncated);
    }
    Ok(bytes.get_u64_le())
}

fn take_uuid(bytes: &mut Bytes) -> Result<Uuid, WireError> {
    if bytes.len() < 16 {
        return Err(WireError::Truncated);
    }
    let mut raw = [0u8; 16];
    bytes.copy_to_slice(&mut raw);
    Ok(Uuid::from_bytes(raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::ids::{UserId, WorkspaceId};

    fn round_trip(body: Body) {
        let from = Uuid::new_v4();
        let bytes = encode(from, 1_700_000_000_123, &body);
        let decoded = decode(bytes).expect("decodes");
        assert_eq!(decoded.from, from);
        assert_eq!(decoded.sent_at_ms, 1_700_000_000_123);
        assert_eq!(decoded.body, body);
    }

    #[test]
    fn every_kind_round_trips() {
        let doc = DocId(Uuid::new_v4());
        for message in [
            DocMessage::Update {
                seq: 7,
                update: Bytes::from_static(&[1, 2, 3]),
            },
            DocMessage::Stored(u64::MAX),
            DocMessage::Awareness(Bytes::from_static(&[4])),
            DocMessage::Hello(Bytes::from_static(&[0])),
            DocMessage::Step1(Bytes::new()),
            DocMessage::Step2(Bytes::from_static(&[0, 0])),
        ] {
            round_trip(Body::Doc(doc, message));
        }
        round_trip(Body::Notice(Notice::RoleChanged {
            workspace: WorkspaceId(Uuid::new_v4()),
            user: UserId(Uuid::new_v4()),
            role: Some(Role::Viewer),
        }));
        round_trip(Body::Notice(Notice::SessionsRevoked {
            user: UserId(Uuid::new_v4()),
        }));
    }

    #[test]
    fn malformed_messages_are_errors() {
        assert_eq!(decode(Bytes::new()), Err(WireError::Truncated));
        let good = encode(
            Uuid::new_v4(),
            1,
            &Body::Doc(
                DocId(Uuid::new_v4()),
                DocMessage::Update {
                    seq: 1,
                    update: Bytes::new(),
                },
            ),
        );
        let mut other_format = good.to_vec();
        other_format[0] = 9;
        assert_eq!(decode(Bytes::from(other_format)), Err(WireError::Format(9)));
        let mut unknown_kind = good.to_vec();
        unknown_kind[1] = 77;
        assert_eq!(decode(Bytes::from(unknown_kind)), Err(WireError::Kind(77)));
        // Header intact but the document id cut short.
        assert_eq!(
            decode(good.slice(..HEADER_LEN + 3)),
            Err(WireError::Truncated)
        );
        // Document id intact, the update's sequence number cut short.
        assert_eq!(
            decode(good.slice(..HEADER_LEN + 16 + 5)),
            Err(WireError::Truncated)
        );
        let mut bad_notice = encode(
            Uuid::new_v4(),
            1,
            &Body::Notice(Notice::SessionsRevoked {
                user: UserId(Uuid::new_v4()),
            }),
        )
        .to_vec();
        bad_notice.truncate(HEADER_LEN + 2);
        assert!(matches!(
            decode(Bytes::from(bad_notice)),
            Err(WireError::Notice(_))
        ));
    }
}
