//! Wire details the generator needs beyond `rocqet_crdt::protocol`: the
//! Hocuspocus document-name prefix, and a reader for the text inserts inside
//! v1 updates (yrs keeps an `Update`'s blocks private, so "decode and read the
//! inserted string" needs its own walk of the v1 layout), and the state
//! vectors a receiver builds from the ranges it read.

use std::collections::{BTreeMap, HashMap};

use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;

/// How messages are framed on the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// y-websocket: one y-protocols message per binary frame (Rocqet, @y/websocket-server).
    YWebsocket,
    /// Hocuspocus: every message starts with the document name as a varString,
    /// and nothing is processed until the client's Auth message.
    Hocuspocus,
}

/// Hocuspocus' `MessageType.Auth`, with its `AuthMessageType.Token` submessage.
const HP_AUTH: u8 = 2;
const HP_AUTH_TOKEN: u8 = 0;
/// Hocuspocus' `MessageType.SyncReply`: a sync message that must not trigger another SyncStep1; same body as Sync.
const HP_SYNC_REPLY: u8 = 4;
/// y-protocols' sync tag.
const MSG_SYNC: u8 = 0;

impl Protocol {
    /// Wraps one y-protocols message for the socket.
    pub fn wrap(self, doc_name: &str, message: &[u8]) -> Vec<u8> {
        match self {
            Protocol::YWebsocket => message.to_vec(),
            Protocol::Hocuspocus => {
                let mut out = Vec::with_capacity(doc_name.len() + message.len() + 4);
                out.write_string(doc_name);
                out.extend_from_slice(message);
                out
            }
        }
    }

    /// The y-protocols message inside one socket frame (Hocuspocus' SyncReply
    /// is rewritten to a plain sync message). `None` if the prefix is malformed.
    pub fn unwrap(self, frame: &mut [u8]) -> Option<&[u8]> {
        match self {
            Protocol::YWebsocket => Some(&frame[..]),
            Protocol::Hocuspocus => {
                let mut cur = Cursor::new(frame);
                cur.read_string().ok()?;
                let start = cur.next;
                let body = frame.get_mut(start..)?;
                if body.first() == Some(&HP_SYNC_REPLY) {
                    body[0] = MSG_SYNC;
                }
                Some(body)
            }
        }
    }

    /// What a client must send before anything else: Hocuspocus' provider
    /// sends `[docName][2 Auth][0 Token][token]` (an empty token when none is set).
    pub fn hello(self, doc_name: &str) -> Option<Vec<u8>> {
        match self {
            Protocol::YWebsocket => None,
            Protocol::Hocuspocus => {
                let mut msg = Vec::with_capacity(4);
                msg.write_var(HP_AUTH);
                msg.write_var(HP_AUTH_TOKEN);
                msg.write_string("");
                Some(self.wrap(doc_name, &msg))
            }
        }
    }
}

/// One struct range found in an update: `clock..clock + len` of `client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub client: u64,
    pub clock: u32,
    pub len: u32,
}

/// What a v1 update holds, as far as the benchmark cares.
#[derive(Debug, Default, PartialEq)]
pub struct Inserted {
    /// Every item, GC or skip range, in order.
    pub ranges: Vec<Range>,
    /// The content of every string item, in order.
    pub strings: Vec<String>,
}

/// Walks a v1 update (Yjs' `readClientsStructRefs`) collecting struct ranges
/// and string contents. Errors on content types the benchmark never writes
/// (`Any`, subdocuments) rather than guessing.
pub fn read_update(update: &[u8]) -> Result<Inserted, String> {
    let mut cur = Cursor::new(update);
    let mut out = Inserted::default();
    let groups: u32 = var(&mut cur)?;
    for _ in 0..groups {
        let structs: u32 = var(&mut cur)?;
        let client: u64 = var(&mut cur)?;
        let mut clock: u32 = var(&mut cur)?;
        for _ in 0..structs {
            let info = cur.read_u8().map_err(|e| e.to_string())?;
            let len = match info & 0x1f {
                0 | 10 => var::<u32>(&mut cur)?, // GC, Skip
                content => item_len(&mut cur, info, content, &mut out.strings)?,
            };
            out.ranges.push(Range { client, clock, len });
            clock = clock.checked_add(len).ok_or("clock overflow")?;
        }
    }
    // The delete set follows; our writers never delete, but walk it to be strict.
    let clients: u32 = var(&mut cur)?;
    for _ in 0..clients {
        let _client: u64 = var(&mut cur)?;
        let n: u32 = var(&mut cur)?;
        for _ in 0..n {
            let _clock: u32 = var(&mut cur)?;
            let _len: u32 = var(&mut cur)?;
        }
    }
    if cur.has_content() {
        return Err("trailing bytes after the update".into());
    }
    Ok(out)
}

/// Reads one item after its info byte; returns its length in clock units.
fn item_len(
    cur: &mut Cursor<'_>,
    info: u8,
    content: u8,
    strings: &mut Vec<String>,
) -> Result<u32, String> {
    let has_origin = info & 0x80 != 0;
    let has_right_origin = info & 0x40 != 0;
    if has_origin {
        id(cur)?;
    }
    if has_right_origin {
        id(cur)?;
    }
    if !has_origin && !has_right_origin {
        let parent_is_root: u32 = var(cur)?;
        if parent_is_root == 1 {
            string(cur)?;
        } else {
            id(cur)?;
        }
        if info & 0x20 != 0 {
            string(cur)?; // parentSub
        }
    }
    Ok(match content {
        1 => var(cur)?, // Deleted
        2 => {
            let n: u32 = var(cur)?;
            for _ in 0..n {
                string(cur)?;
            }
            n
        }
        3 => {
            cur.read_buf().map_err(|e| e.to_string())?;
            1
        }
        4 => {
            let s = string(cur)?;
            let len = s.encode_utf16().count();
            strings.push(s);
            u32::try_from(len).map_err(|_| "string too long")?
        }
        5 => {
            string(cur)?;
            1
        }
        6 => {
            string(cur)?;
            string(cur)?;
            1
        }
        7 => {
            let type_ref: u32 = var(cur)?;
            if type_ref == 3 || type_ref == 5 {
                string(cur)?;
            }
            1
        }
        other => return Err(format!("content type {other} not supported")),
    })
}

fn var<T: yrs::encoding::varint::VarInt>(cur: &mut Cursor<'_>) -> Result<T, String> {
    cur.read_var().map_err(|e| e.to_string())
}

fn string(cur: &mut Cursor<'_>) -> Result<String, String> {
    cur.read_string()
        .map(str::to_owned)
        .map_err(|e| e.to_string())
}

fn id(cur: &mut Cursor<'_>) -> Result<(), String> {
    let _client: u64 = var(cur)?;
    let _clock: u32 = var(cur)?;
    Ok(())
}

/// A state vector built from ranges seen; counts ranges that skip ahead (gaps).
#[derive(Debug, Default, Clone)]
pub struct SeenClocks {
    pub clocks: HashMap<u64, u32>,
    pub gaps: u64,
}

impl SeenClocks {
    pub fn add(&mut self, r: Range) {
        let seen = self.clocks.entry(r.client).or_insert(0);
        if r.clock > *seen {
            self.gaps += 1;
        }
        *seen = (*seen).max(r.clock + r.len);
    }
}

/// Per yrs client, the clock up to which everything was received, plus ranges
/// that arrived ahead of a gap: an exact state vector, unlike a running maximum.
#[derive(Default)]
pub struct Coverage {
    pub upto: HashMap<u64, u32>,
    ahead: HashMap<u64, BTreeMap<u32, u32>>,
}

impl Coverage {
    /// Adds a received range; true if the state vector moved.
    pub fn add(&mut self, r: Range) -> bool {
        let upto = self.upto.entry(r.client).or_insert(0);
        let end = r.clock + r.len;
        if r.clock > *upto {
            self.ahead
                .entry(r.client)
                .or_default()
                .entry(r.clock)
                .and_modify(|e| *e = (*e).max(end))
                .or_insert(end);
            return false;
        }
        if end <= *upto {
            return false;
        }
        *upto = end;
        if let Some(ahead) = self.ahead.get_mut(&r.client) {
            while let Some(entry) = ahead.first_entry() {
                if *entry.key() > *upto {
                    break;
                }
                *upto = (*upto).max(*entry.get());
                entry.remove();
            }
        }
        true
    }

    /// Holds everything in `expected` except `own` (which the client made itself).
    pub fn covers(&self, expected: &HashMap<u64, u32>, own: u64) -> bool {
        expected
            .iter()
            .all(|(client, clock)| *client == own || self.upto.get(client) >= Some(clock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, GetString, Options, ReadTxn, Text, Transact};

    #[test]
    fn reads_the_strings_yrs_writes() {
        let doc = Doc::with_options(Options {
            client_id: yrs::ClientID::new(7),
            ..Options::default()
        });
        let text = doc.get_or_insert_text("content");
        let mut updates = Vec::new();
        for entry in ["a:0:123;", "a:1:456;", "é😀;"] {
            let mut txn = doc.transact_mut();
            let end = text.len(&txn);
            text.insert(&mut txn, end, entry);
            updates.push(txn.encode_update_v1());
        }
        let first = read_update(&updates[0]).unwrap();
        assert_eq!(first.strings, vec!["a:0:123;".to_string()]);
        assert_eq!(
            first.ranges,
            vec![Range {
                client: 7,
                clock: 0,
                len: 8
            }]
        );
        let third = read_update(&updates[2]).unwrap();
        assert_eq!(third.ranges[0].clock, 16);
        assert_eq!(third.ranges[0].len, 4); // UTF-16 units, as Yjs counts

        let whole = doc
            .transact()
            .encode_state_as_update_v1(&Default::default());
        let all = read_update(&whole).unwrap();
        assert_eq!(all.strings.concat(), text.get_string(&doc.transact()));
    }

    #[test]
    fn hocuspocus_prefix_round_trips() {
        let msg = rocqet_crdt::protocol::encode_update(&[0, 0]);
        let mut framed = Protocol::Hocuspocus.wrap("doc-1", &msg);
        assert_eq!(Protocol::Hocuspocus.unwrap(&mut framed), Some(&msg[..]));
        let mut reply = Protocol::Hocuspocus.wrap("d", &[HP_SYNC_REPLY, 0, 1, 0]);
        assert_eq!(
            Protocol::Hocuspocus.unwrap(&mut reply),
            Some(&[0, 0, 1, 0][..])
        );
        let hello = Protocol::Hocuspocus.hello("d").unwrap();
        assert_eq!(hello, vec![1, b'd', 2, 0, 0]);
    }

    fn r(client: u64, clock: u32, len: u32) -> Range {
        Range { client, clock, len }
    }

    #[test]
    fn coverage_is_an_exact_state_vector_across_gaps() {
        let mut c = Coverage::default();
        assert!(c.add(r(1, 0, 5)));
        assert!(
            !c.add(r(1, 10, 5)),
            "a range past a gap does not move the vector"
        );
        assert!(!c.add(r(1, 0, 5)), "a duplicate does not either");
        let expected = HashMap::from([(1, 15), (2, 3)]);
        assert!(!c.covers(&expected, 2));
        assert!(
            c.add(r(1, 5, 5)),
            "filling the gap takes the range behind it too"
        );
        assert_eq!(c.upto[&1], 15);
        assert!(
            c.covers(&expected, 2),
            "the client's own updates are not needed"
        );
        assert!(!c.covers(&expected, 9));
    }
}
