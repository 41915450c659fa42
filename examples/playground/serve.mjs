#!/usr/bin/env node
// A static file server for the playground, on 127.0.0.1 only. The page is plain files (no
// server-side logic): this only serves examples/playground/ and the WebAssembly package's web
// build, with the right content types (browsers compile .wasm only as application/wasm).
//
//   node examples/playground/serve.mjs [--port 8765]   then open http://127.0.0.1:8765/
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const ALLOWED = ['/examples/playground/', '/bindings-wasm/pkg-web/']
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
  '.png': 'image/png'
}

/** Starts the server; resolves to `{ url, close() }`. Port 0 picks a free port. */
export function startServer ({ port = 0, host = '127.0.0.1' } = {}) {
  const server = http.createServer((req, res) => {
    let pathname
    try { pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname) } catch { pathname = '' }
    if (pathname === '/' || pathname === '/examples/playground') {
      res.writeHead(302, { location: '/examples/playground/' })
      return res.end()
    }
    if (pathname.endsWith('/')) pathname += 'index.html'
    const file = path.join(root, path.normalize(pathname))
    const rel = '/' + path.relative(root, file).split(path.sep).join('/')
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405); return res.end() }
    if (!ALLOWED.some((p) => rel.startsWith(p)) || rel.includes('/..')) { res.writeHead(404); return res.end('not found') }
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404); return res.end('not found') }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' })
      res.end(req.method === 'HEAD' ? undefined : data)
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const { port: p } = server.address()
      resolve({ url: `http://${host}:${p}/examples/playground/`, close: () => new Promise((r) => server.close(r)) })
    })
  })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const i = process.argv.indexOf('--port')
  const port = i > 0 ? Number(process.argv[i + 1]) : 8765
  const { url } = await startServer({ port })
  console.log(`playground: ${url} (Ctrl-C to stop)`)
}
