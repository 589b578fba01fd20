// A real yjs + y-websocket client, driven by the server's interop tests
// (server/tests/server/support/node.rs).
//
// Protocol: one JSON command per line on stdin, one JSON reply per line on
// stdout: {"id", "ok": true, "result"} or {"id", "ok": false, "error"}.
// Commands run concurrently, so replies may come out of order; match by id.
// Everything else (library warnings, logs) goes to stderr. EOF on stdin exits.
//
// Commands (doc text is ydoc.getText('content')):
//   connect {url, doc, params?, timeout_ms?, fresh?}  -> {client_id}
//       WebsocketProvider(url, doc) dials `${url}/${doc}?params`; replies once
//       synced, or fails if the socket closes first. Reconnecting to the same
//       doc keeps the local Y.Doc (offline edits sync) unless fresh is true.
//   insert {index, text} | delete {index, len}           -> null
//   text                                                  -> string
//   state_vector                                          -> base64
//   awareness_set {state}                                 -> null
//   awareness_states                                      -> [{client_id, state}] (others)
//   wait_text {equals|contains, timeout_ms?}              -> string
//   wait_awareness {count, timeout_ms?}                   -> [{client_id, state}]
//   wait_closed {timeout_ms?}                             -> {code, reason}
//   status                                                -> {connected, synced, last_close}
//   disconnect                                            -> null
//   exit                                                  -> null, then the process exits

import * as readline from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

// Libraries may log; stdout is reserved for replies.
console.log = (...args) => console.error(...args)
console.info = (...args) => console.error(...args)

const DEFAULT_TIMEOUT_MS = 10_000

let docId = null
let ydoc = null
let provider = null
let lastClose = null
// Resolvers waiting for the next close: [(closeInfo) => void].
let closeWaiters = []

const reply = (msg) => process.stdout.write(JSON.stringify(msg) + '\n')

const need = (cond, what) => {
  if (!cond) throw new Error(what)
}

const requireDoc = () => {
  need(ydoc !== null, 'not connected: send connect first')
  return ydoc
}

const othersStates = () => {
  if (provider === null) return []
  const self = ydoc.clientID
  const out = []
  for (const [clientId, state] of provider.awareness.getStates()) {
    if (clientId !== self) out.push({ client_id: clientId, state })
  }
  out.sort((a, b) => a.client_id - b.client_id)
  return out
}

// Resolves when check() returns a value other than undefined; re-checked
// whenever subscribe's callback fires. Rejects after timeoutMs.
const waitFor = (check, subscribe, timeoutMs, describe) =>
  new Promise((resolve, reject) => {
    const first = check()
    if (first !== undefined) return resolve(first)
    let unsubscribe = () => {}
    const timer = setTimeout(() => {
      unsubscribe()
      reject(new Error(`timed out after ${timeoutMs} ms: ${describe()}`))
    }, timeoutMs)
    unsubscribe = subscribe(() => {
      const value = check()
      if (value !== undefined) {
        clearTimeout(timer)
        unsubscribe()
        resolve(value)
      }
    })
  })

const destroy = (p) => {
  p.destroy()
  if (provider === p) provider = null
}

const teardown = () => {
  if (provider !== null) destroy(provider)
}

const connect = async ({ url, doc, params = {}, timeout_ms: timeoutMs = DEFAULT_TIMEOUT_MS, fresh = false }) => {
  need(typeof url === 'string' && typeof doc === 'string', 'connect needs url and doc')
  teardown()
  if (fresh || ydoc === null || docId !== doc) {
    ydoc = new Y.Doc()
  }
  docId = doc
  lastClose = null
  const p = new WebsocketProvider(url, doc, ydoc, {
    params,
    WebSocketPolyfill: WebSocket,
    disableBc: true // two clients in one process must still go through the server
  })
  provider = p
  p.on('connection-close', (event) => {
    lastClose = event ? { code: event.code, reason: String(event.reason ?? '') } : { code: 1000, reason: 'closed locally' }
    const waiters = closeWaiters
    closeWaiters = []
    for (const w of waiters) w(lastClose)
  })
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      destroy(p)
      reject(new Error(`not synced after ${timeoutMs} ms`))
    }, timeoutMs)
    const onSynced = (synced) => {
      if (!synced) return
      cleanup()
      resolve()
    }
    // A close before the first sync fails connect instead of reconnecting
    // forever: tests connecting with a bad token expect an error.
    const onClose = (event) => {
      cleanup()
      // Not inside the emit: y-websocket still holds the socket there, and
      // destroying now would report a second, local close.
      setImmediate(() => destroy(p))
      const code = event ? event.code : 1000
      const reason = event ? String(event.reason ?? '') : 'closed locally'
      reject(new Error(`closed before sync: ${code} ${reason}`.trim()))
    }
    const cleanup = () => {
      clearTimeout(timer)
      p.off('synced', onSynced)
      p.off('connection-close', onClose)
    }
    p.on('synced', onSynced)
    p.on('connection-close', onClose)
  })
  return { client_id: ydoc.clientID }
}

const commands = {
  connect,
  insert: ({ index, text }) => {
    requireDoc().getText('content').insert(index, text)
    return null
  },
  delete: ({ index, len }) => {
    requireDoc().getText('content').delete(index, len)
    return null
  },
  text: () => requireDoc().getText('content').toString(),
  state_vector: () => Buffer.from(Y.encodeStateVector(requireDoc())).toString('base64'),
  awareness_set: ({ state }) => {
    need(provider !== null, 'not connected')
    provider.awareness.setLocalState(state ?? null)
    return null
  },
  awareness_states: () => othersStates(),
  wait_text: ({ equals, contains, timeout_ms: timeoutMs = DEFAULT_TIMEOUT_MS }) => {
    need(equals !== undefined || contains !== undefined, 'wait_text needs equals or contains')
    const text = requireDoc().getText('content')
    const matches = (s) => (equals !== undefined ? s === equals : s.includes(contains))
    return waitFor(
      () => (matches(text.toString()) ? text.toString() : undefined),
      (wake) => {
        text.observe(wake)
        return () => text.unobserve(wake)
      },
      timeoutMs,
      () => `text is ${JSON.stringify(text.toString())}, wanted ${equals !== undefined ? 'equals' : 'contains'} ${JSON.stringify(equals ?? contains)}`
    )
  },
  wait_awareness: ({ count, timeout_ms: timeoutMs = DEFAULT_TIMEOUT_MS }) => {
    need(Number.isInteger(count), 'wait_awareness needs count')
    need(provider !== null, 'not connected')
    const awareness = provider.awareness
    return waitFor(
      () => {
        const states = othersStates()
        return states.length === count ? states : undefined
      },
      (wake) => {
        awareness.on('change', wake)
        return () => awareness.off('change', wake)
      },
      timeoutMs,
      () => `others' awareness is ${JSON.stringify(othersStates())}, wanted ${count}`
    )
  },
  wait_closed: ({ timeout_ms: timeoutMs = DEFAULT_TIMEOUT_MS }) => {
    need(provider !== null || lastClose !== null, 'not connected')
    // Already down (possibly retrying): report the last close.
    if (lastClose !== null && (provider === null || !provider.wsconnected)) return lastClose
    // Otherwise wait for the next close event itself: y-websocket emits
    // 'connection-close' before it clears `wsconnected`.
    return new Promise((resolve, reject) => {
      const done = (info) => {
        clearTimeout(timer)
        resolve(info)
      }
      const timer = setTimeout(() => {
        closeWaiters = closeWaiters.filter((w) => w !== done)
        reject(new Error(`timed out after ${timeoutMs} ms: socket still open`))
      }, timeoutMs)
      closeWaiters.push(done)
    })
  },
  status: () => ({
    connected: provider !== null && provider.wsconnected,
    synced: provider !== null && provider.synced,
    last_close: lastClose
  }),
  disconnect: () => {
    teardown()
    return null
  },
  exit: () => {
    teardown()
    setImmediate(() => process.exit(0))
    return null
  }
}

const run = async (line) => {
  let msg
  try {
    msg = JSON.parse(line)
  } catch (e) {
    reply({ id: null, ok: false, error: `bad json: ${e.message}` })
    return
  }
  const id = msg.id ?? null
  const handler = Object.hasOwn(commands, msg.cmd) ? commands[msg.cmd] : undefined
  if (!handler) {
    reply({ id, ok: false, error: `unknown cmd ${JSON.stringify(msg.cmd)}` })
    return
  }
  try {
    const result = await handler(msg)
    reply({ id, ok: true, result: result ?? null })
  } catch (e) {
    reply({ id, ok: false, error: e instanceof Error ? e.message : String(e) })
  }
}

const lines = readline.createInterface({ input: process.stdin, terminal: false })
lines.on('line', (line) => {
  if (line.trim() !== '') run(line)
})
lines.on('close', () => {
  teardown()
  process.exit(0)
})
