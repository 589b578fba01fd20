// One live document: a Y.Doc synced over the standard y-websocket provider
// with `&ack=1`, plus what the editor shows about it — save status (acks
// counted per live/save-status.ts), read-only notices, close codes, and a
// fresh token for every reconnect.
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import * as decoding from 'lib0/decoding';
import * as authProtocol from 'y-protocols/auth';
import type { Awareness } from 'y-protocols/awareness';
import { session } from '../auth/session';
import { closeMeaning } from './close-codes';
import { AckCounter, MSG_ACK, saveStatus, type SaveStatus } from './save-status';
import { colorFor } from './user-color';

const MSG_AUTH = 2;
/** 4401 right after a refresh means the session is really over; stop trying then. */
const MAX_REFRESH_RETRIES = 3;

export interface LiveDoc {
  doc: Y.Doc;
  provider: WebsocketProvider;
  awareness: Awareness;
  status(): SaveStatus;
  /** Whether edits are refused (viewer role, or the server said so). */
  readOnly(): boolean;
  /** Called whenever status or read-only changes. */
  onChange(listener: () => void): () => void;
  destroy(): void;
}

function bytesOf(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

export async function openLive(docId: string, readOnly: boolean): Promise<LiveDoc> {
  const user = session.user;
  const token = await session.token();
  if (!user || !token) throw new Error('You are signed out.');
  const doc = new Y.Doc();
  const counter = new AckCounter();
  const listeners = new Set<() => void>();
  let failed: string | null = null;
  let serverReadOnly = false;
  let refreshRetries = 0;
  const emit = () => listeners.forEach((l) => l());

  // Every frame y-websocket writes passes here, so SyncStep2 and Update
  // messages are counted exactly as the server will ack them.
  class CountingSocket extends WebSocket {
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      const bytes = bytesOf(data);
      if (bytes) counter.sent(bytes);
      super.send(data);
      emit();
    }
  }

  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const provider = new WebsocketProvider(`${scheme}://${location.host}/ws`, docId, doc, {
    params: { token, ack: '1' },
    WebSocketPolyfill: CountingSocket,
    // Other tabs sync through the server, the one place edits are stored and acked.
    disableBc: true,
    shouldReconnect: (event) => closeMeaning(event.code).action === 'reconnect',
  });
  provider.messageHandlers[MSG_ACK] = (_encoder, decoder) => {
    decoding.readVarUint(decoder);
    counter.acked();
    emit();
  };
  provider.messageHandlers[MSG_AUTH] = (_encoder, decoder) => {
    // The server refuses a viewer's edits and says so once per connection.
    authProtocol.readAuthMessage(decoder, doc, () => {
      serverReadOnly = true;
      emit();
    });
  };
  provider.on('status', emit);
  provider.on('sync', (synced: boolean) => {
    if (synced) refreshRetries = 0;
    emit();
  });
  provider.on('connection-close', () => {
    // Unacked edits come back in the next SyncStep2, which is acked itself.
    counter.reset();
    emit();
  });
  provider.on('closed', (event: { code: number }) => {
    const meaning = closeMeaning(event.code);
    if (meaning.action !== 'refresh') {
      failed = meaning.message;
      emit();
      return;
    }
    void (async () => {
      if (refreshRetries++ < MAX_REFRESH_RETRIES && (await session.refresh())) {
        provider.connect();
      } else {
        failed = 'Your session has ended. Sign in again to keep editing.';
        emit();
      }
    })();
  });
  const stopTokens = session.onToken((fresh) => {
    // y-websocket reads params on each (re)connect.
    provider.params.token = fresh;
  });

  const { color, colorLight } = colorFor(user.id);
  // The server overwrites id and name with the token's identity; colour is ours.
  provider.awareness.setLocalStateField('user', { id: user.id, name: user.name, color, colorLight });

  return {
    doc,
    provider,
    awareness: provider.awareness,
    status: () =>
      saveStatus({
        connected: provider.wsconnected,
        synced: provider.synced,
        pending: counter.pending,
        readOnly: readOnly || serverReadOnly,
        failed,
      }),
    readOnly: () => readOnly || serverReadOnly,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    destroy() {
      stopTokens();
      listeners.clear();
      provider.destroy();
      doc.destroy();
    },
  };
}
