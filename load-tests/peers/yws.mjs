// y-websocket's reference server (@y/websocket-server 0.1.1, yjs 13), in memory.
// Usage: node yws.mjs PORT
// Saving: it persists only when YPERSISTENCE names a LevelDB folder (y-leveldb
// then stores every update as it is applied, without telling the client); we
// leave it unset, so documents live in memory only and are gone when the room empties.
import http from 'node:http'
import { WebSocketServer } from 'ws'
import { setupWSConnection } from '@y/websocket-server/utils'

delete process.env.YPERSISTENCE
const port = Number(process.argv[2] || 1234)
const wss = new WebSocketServer({ noServer: true })
wss.on('connection', setupWSConnection)
const server = http.createServer((_req, res) => { res.writeHead(200); res.end('okay') })
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, ws => wss.emit('connection', ws, req))
})
server.listen(port, '127.0.0.1', () => console.log(`y-websocket-server listening on 127.0.0.1:${port}`))
const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500)
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
