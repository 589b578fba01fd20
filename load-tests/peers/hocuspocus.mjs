// Hocuspocus (@hocuspocus/server 3.4.4, the last line that runs on Node 20; 4.x needs Node >= 22), in memory.
// Usage: node hocuspocus.mjs PORT
// Saving: Hocuspocus stores nothing by itself; documents are saved only by an
// extension's onStoreDocument (e.g. @hocuspocus/extension-database), debounced
// 2 s by default. None is configured here, so documents live in memory and are
// unloaded when their last connection closes. Its [8][1] SyncStatus reply means
// "applied in memory", not "stored".
import { Server } from '@hocuspocus/server'

const port = Number(process.argv[2] || 1234)
const server = new Server({ port, address: '127.0.0.1', quiet: true })
await server.listen()
console.log(`hocuspocus listening on 127.0.0.1:${port}`)
const stop = () => { server.destroy().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 1000) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
