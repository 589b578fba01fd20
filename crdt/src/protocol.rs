//! The wire codec: y-websocket / y-protocols framing, one message per frame.
//!
//! Built on `yrs::sync`'s tag constants and `yrs`' lib0 varint reader and
//! writer; `yrs::sync::Message` itself is not used for decoding because it
//! copies update payloads, and the hub forwards them without copying.
//!
//! Layout (all integers lib0 varuints, `buf` = varuint length + bytes):
//! - `[0 sync][0 step1][buf state vector]`, `[0][1 step2][buf update]`, `[0][2 update][buf update]`
//! - `[1 awareness][buf awareness update]`
//! - `[2 auth][0 denied][string reason]` or `[2][1 granted]`
//! - `[3 query awareness]`
//! - `[8 ack][1]`: our opt-in extension (see [`MSG_ACK`]).

use crate::error::CrdtError;
use yrs::StateVector;
use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;
use yrs::sync::protocol::{MSG_AUTH, MSG_AWARENESS, MSG_QUERY_AWARENESS, MSG_SYNC};
use yrs::sync::protocol::{MSG_SYNC_STEP_1, MSG_SYNC_STEP_2, MSG_SYNC_UPDATE};
use yrs::sync::protocol::{PERMISSION_DENIED, PERMISSION_GRANTED};
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

/// Tag of the server ack, Hocuspocus's sync-status message: `[8][1]` after each durably stored update, sent only to clients that asked with `&ack=1`.
pub const MSG_ACK: u8 = 8;
/// The complete ack frame: update stored.
pub const ACK_FRAME: [u8; 2] = [MSG_ACK, 1];

/// One decoded frame, borrowing update payloads from the input so the server can forward without copying.
#[derive(Debug, PartialEq)]
pub enum Frame<'a> {
    /// The sender's state vector: "send me what I am missing".
    SyncStep1(StateVector),
    /// The answer to a SyncStep1: an update with everything the peer lacked.
    SyncStep2(&'a [u8]),
    /// A live incremental update.
    Update(&'a [u8]),
    /// Presence states of one or more clients.
    Awareness(AwarenessUpdate),
    /// "Send me every client's awareness state."
    QueryAwareness,
    /// Auth message: None = permission granted, Some(reason) = denied.
    Auth(Option<String>),
    /// Server ack extension; the bool is the varuint payload (1 = saved).
    Ack(bool),
}

impl Frame<'_> {
    /// The equivalent `yrs::sync::Message` (copies payloads), for feeding `yrs::sync::Protocol`; `None` for our ack extension.
    pub fn to_message(&self) -> Option<Message> {
        Some(match self {
            Frame::SyncStep1(sv) => Message::Sync(SyncMessage::SyncStep1(sv.clone())),
            Frame::SyncStep2(u) => Message::Sync(SyncMessage::SyncStep2(u.to_vec())),
            Frame::Update(u) => Message::Sync(SyncMessage::Update(u.to_vec())),
            Frame::Awareness(a) => Message::Awareness(a.clone()),
            Frame::QueryAwareness => Message::AwarenessQuery,
            Frame::Auth(reason) => Message::Auth(reason.clone()),
            Frame::Ack(_) => return None,
        })
    }
}

/// Strict: exactly one message; unknown tags, truncation, trailing bytes, oversize lengths -> CrdtError::Malformed. Never panics, never allocates unbounded on lying length prefixes.
pub fn decode_frame(frame: &[u8]) -> Result<Frame<'_>, CrdtError> {
    let mut cur = Cursor::new(frame);
    let tag = read_tag(&mut cur)?;
    let decoded = match tag {
        MSG_SYNC => match read_tag(&mut cur)? {
            MSG_SYNC_STEP_1 => Frame::SyncStep1(decode_state_vector(read_buf(&mut cur)?)?),
            MSG_SYNC_STEP_2 => Frame::SyncStep2(read_buf(&mut cur)?),
            MSG_SYNC_UPDATE => Frame::Update(read_buf(&mut cur)?),
            other => return Err(malformed(format!("unknown sync message type {other}"))),
        },
        MSG_AWARENESS => Frame::Awareness(decode_awareness(read_buf(&mut cur)?)?),
        MSG_AUTH => match read_tag(&mut cur)? {
            PERMISSION_DENIED => Frame::Auth(Some(cur.read_string()?.to_owned())),
            PERMISSION_GRANTED => Frame::Auth(None),
            other => return Err(malformed(format!("unknown auth permission {other}"))),
        },
        MSG_QUERY_AWARENESS => Frame::QueryAwareness,
        MSG_ACK => match read_tag(&mut cur)? {
            0 => Frame::Ack(false),
            1 => Frame::Ack(true),
            other => return Err(malformed(format!("unknown ack status {other}"))),
        },
        other => return Err(malformed(format!("unknown message type {other}"))),
    };
    expect_end(&cur, "frame")?;
    Ok(decoded)
}

/// Offset at which the update payload starts inside an Update / SyncStep2 frame, so a server can slice shared bytes: decode_frame gives &frame[offset..].
///
/// `None` for any other or malformed frame. Because decoding is strict, the
/// payload always runs to the end of the frame.
pub fn update_payload_offset(frame: &[u8]) -> Option<usize> {
    match decode_frame(frame).ok()? {
        Frame::SyncStep2(payload) | Frame::Update(payload) => Some(frame.len() - payload.len()),
        _ => None,
    }
}

/// Encodes any frame; `decode_frame` of the result gives it back.
pub fn encode_frame(frame: &Frame<'_>) -> Vec<u8> {
    match frame {
        Frame::SyncStep1(sv) => encode_sync_step1(sv),
        Frame::SyncStep2(u) => encode_sync_step2(u),
        Frame::Update(u) => encode_update(u),
        Frame::Awareness(a) => encode_awareness(a),
        Frame::QueryAwareness => encode_query_awareness(),
        Frame::Auth(None) => vec![MSG_AUTH, PERMISSION_GRANTED],
        Frame::Auth(Some(reason)) => encode_permission_denied(reason),
        Frame::Ack(saved) => encode_ack(*saved),
    }
}

/// `[0][0][state vector]`: the opening handshake message.
pub fn encode_sync_step1(sv: &StateVector) -> Vec<u8> {
    sync_frame(MSG_SYNC_STEP_1, &sv.encode_v1())
}

/// `[0][1][update]`: the answer to a peer's SyncStep1.
pub fn encode_sync_step2(update: &[u8]) -> Vec<u8> {
    sync_frame(MSG_SYNC_STEP_2, update)
}

/// `[0][2][update]`: a live update.
pub fn encode_update(update: &[u8]) -> Vec<u8> {
    sync_frame(MSG_SYNC_UPDATE, update)
}

/// `[1][awareness update]`.
pub fn encode_awareness(update: &AwarenessUpdate) -> Vec<u8> {
    let payload = update.encode_v1();
    let mut out = Vec::with_capacity(payload.len() + 6);
    out.write_var(MSG_AWARENESS);
    out.write_buf(&payload);
    out
}

/// `[3]`: ask the peer for all awareness states.
pub fn encode_query_awareness() -> Vec<u8> {
    vec![MSG_QUERY_AWARENESS]
}

/// `[2][0][reason]`: y-protocols' auth message, permission denied.
pub fn encode_permission_denied(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(reason.len() + 7);
    out.write_var(MSG_AUTH);
    out.write_var(PERMISSION_DENIED);
    out.write_string(reason);
    out
}

/// `[8][1]` when saved (equal to [`ACK_FRAME`]), `[8][0]` otherwise.
pub fn encode_ack(saved: bool) -> Vec<u8> {
    vec![MSG_ACK, u8::from(saved)]
}

fn sync_frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 7);
    out.write_var(MSG_SYNC);
    out.write_var(kind);
    out.write_buf(payload);
    out
}

fn malformed(message: String) -> CrdtError {
    CrdtError::Malformed(message)
}

/// A message or sub-message tag; every tag we know fits in a byte.
fn read_tag(cur: &mut Cursor<'_>) -> Result<u8, CrdtError> {
    let tag: u32 = cur.read_var()?;
    u8::try_from(tag).map_err(|_| malformed(format!("unknown tag {tag}")))
}

/// A length-prefixed buffer, borrowed from the frame itself (not the cursor).
fn read_buf<'a>(cur: &mut Cursor<'a>) -> Result<&'a [u8], CrdtError> {
    let len: u32 = cur.read_var()?;
    let buf: &'a [u8] = cur.buf;
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| cur.next.checked_add(len));
    let slice = end.and_then(|end| buf.get(cur.next..end));
    let slice =
        slice.ok_or_else(|| malformed(format!("length {len} runs past the end of the frame")))?;
    cur.next += slice.len();
    Ok(slice)
}

fn expect_end(cur: &Cursor<'_>, what: &str) -> Result<(), CrdtError> {
    if cur.has_content() {
        return Err(malformed(format!(
            "{} trailing bytes after the {what}",
            cur.buf.len() - cur.next
        )));
    }
    Ok(())
}

/// Walks a count-prefixed list with `entry` before yrs decodes it, so yrs'
/// up-front reservation for `count` entries is bounded by bytes really present.
fn check_list(
    payload: &[u8],
    what: &str,
    entry: impl Fn(&mut Cursor<'_>) -> Result<(), CrdtError>,
) -> Result<(), CrdtError> {
    let mut cur = Cursor::new(payload);
    let count: u32 = cur.read_var()?;
    for _ in 0..count {
        entry(&mut cur)?;
    }
    expect_end(&cur, what)
}

/// Reads a client id, rejecting ids above 53 bits: Yjs never makes them,
/// and `yrs::ClientID::new` debug-asserts against them (a panic in tests).
fn read_client_id(cur: &mut Cursor<'_>) -> Result<(), CrdtError> {
    let id: u64 = cur.read_var()?;
    if id >> 53 != 0 {
        return Err(malformed(format!("client id {id} exceeds 53 bits")));
    }
    Ok(())
}

/// Decodes untrusted v1 state-vector bytes; oversized client ids and lying counts are errors, never panics.
pub(crate) fn decode_state_vector(payload: &[u8]) -> Result<StateVector, CrdtError> {
    check_list(payload, "state vector", |cur| {
        read_client_id(cur)?;
        cur.read_var::<u32>()?;
        Ok(())
    })?;
    Ok(StateVector::decode_v1(payload)?)
}

fn decode_awareness(payload: &[u8]) -> Result<AwarenessUpdate, CrdtError> {
    check_list(payload, "awareness update", |cur| {
        read_client_id(cur)?;
        cur.read_var::<u32>()?;
        cur.read_string()?;
        Ok(())
    })?;
    Ok(AwarenessUpdate::decode_v1(payload)?)
}

#[cfg(test)]
mod tests;
