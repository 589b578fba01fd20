// What the save indicator says, from the connection state and the count of
// local updates the server has not acked yet. Pure, so it is unit-tested; the
// socket plumbing that feeds it lives in live/connection.ts.
//
// With `&ack=1` the server sends `[8][1]` once per client Update (sync type 2)
// and once per client SyncStep2 (sync type 1), in order, after the update is
// durably stored. Unacked edits are still in the local Y.Doc; after a
// reconnect they come back inside the next SyncStep2, which is acked in turn,
// so the counter simply restarts from zero on every disconnect.

/** y-protocols message tag of sync messages. */
const MSG_SYNC = 0;
/** Our ack extension's tag (crdt/src/protocol.rs MSG_ACK). */
export const MSG_ACK = 8;
const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;

/** Reads the first `count` lib0 varuints of a frame (7 bits a byte, high bit = more). */
export function leadingVarUints(frame: Uint8Array, count: number): number[] {
  const out: number[] = [];
  let pos = 0;
  while (out.length < count && pos < frame.length) {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (pos >= frame.length || shift > 28) return out;
      const byte = frame[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    out.push(value);
  }
  return out;
}

/** Whether an outgoing frame will be acked: a SyncStep2 or an Update. */
export function expectsAck(frame: Uint8Array): boolean {
  const [tag, sub] = leadingVarUints(frame, 2);
  return tag === MSG_SYNC && (sub === SYNC_STEP_2 || sub === SYNC_UPDATE);
}

/** Counts sent-but-unacked frames of one connection. */
export class AckCounter {
  pending = 0;

  /** Call with every frame written to the socket. */
  sent(frame: Uint8Array): void {
    if (expectsAck(frame)) this.pending++;
  }

  /** Call on each `[8][1]` from the server. */
  acked(): void {
    // Never below zero: an ack for a frame sent before a reset is meaningless.
    this.pending = Math.max(0, this.pending - 1);
  }

  /** Call when the socket closes: unacked edits return in the next SyncStep2. */
  reset(): void {
    this.pending = 0;
  }
}

export interface SaveInputs {
  connected: boolean;
  /** The first sync handshake of this connection has finished. */
  synced: boolean;
  pending: number;
  /** Viewers: nothing of theirs is ever stored, so there is nothing to save. */
  readOnly: boolean;
  /** A terminal close (forbidden, deleted, …) with its message, or null. */
  failed: string | null;
}

export type SaveKind = 'saved' | 'saving' | 'offline' | 'readonly' | 'failed';

export interface SaveStatus {
  kind: SaveKind;
  label: string;
}

export function saveStatus(s: SaveInputs): SaveStatus {
  if (s.failed !== null) return { kind: 'failed', label: s.failed };
  if (!s.connected) {
    return s.readOnly
      ? { kind: 'offline', label: 'Offline' }
      : { kind: 'offline', label: 'Offline — changes kept' };
  }
  if (s.readOnly) return { kind: 'readonly', label: s.synced ? 'Read-only' : 'Loading…' };
  if (s.synced && s.pending === 0) return { kind: 'saved', label: 'Saved' };
  return { kind: 'saving', label: 'Saving…' };
}
