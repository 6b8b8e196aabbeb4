// tensordb/next helpers as App Router route handlers: Web Request in, Web
// Response out, served on loopback by a small bridge that does what Next.js
// does for a route module (Request with an abort signal per connection,
// Response body streamed back). Next.js itself is not installed here.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { Readable } from 'node:stream'
import { database, route, changeStream, json } from 'tensordb/next'
import { tempDir } from './helpers.mjs'

/** Serves `handlers[method](request, { params })` like a route module. */
function serve(handlers) {
  const server = createServer(async (req, res) => {
    const ac = new AbortController()
    res.on('close', () => ac.abort())
    const chunks = []
    for await (const c of req) chunks.push(c)
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      signal: ac.signal,
    })
    const response = await handlers[req.method](request, { params: {} })
    res.writeHead(response.status, Object.fromEntries(response.headers))
    if (response.body === null) return res.end()
    Readable.fromWeb(response.body).on('error', () => res.end()).pipe(res)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

test('next: one handle per process, route handlers with error statuses, SSE change feed', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir('next')
  const db = await database(dir)
  // A module re-evaluated by hot reload asks again and gets the same handle.
  assert.equal(await database(dir), db)
  await db.sql('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, big INTEGER)')
  const server = await serve({
    GET: route(async (request) => {
      const url = new URL(request.url)
      if (url.pathname === '/feed') return changeStream(await database(dir), { table: 'items', from: 'beginning' }, request)
      return (await database(dir)).selectFrom('items').selectAll().orderBy('id')
    }),
    POST: route(async (request) => {
      const body = await request.json()
      const d = await database(dir)
      if (body.id === 0) return undefined
      return json(await d.insertInto('items').values(body).returning(['id']), { status: 201 })
    }),
  })
  const base = `http://127.0.0.1:${server.address().port}`
  try {
    const post = (body) => fetch(`${base}/items`, { method: 'POST', body: JSON.stringify(body) })
    let r = await post({ id: 1, name: 'a', big: 9007199254740993n.toString() })
    assert.equal(r.status, 201)
    assert.deepEqual(await r.json(), [{ id: 1 }])
    r = await fetch(`${base}/items`)
    // Integers beyond 2^53 come back as bigints, sent as decimal strings.
    assert.deepEqual(await r.json(), [{ id: 1, name: 'a', big: '9007199254740993' }])
    assert.equal((await post({ id: 0 })).status, 204)
    r = await post({ id: 1, name: 'dup' })
    assert.equal(r.status, 409)
    assert.deepEqual((await r.json()).error.code, 'TDB_CONSTRAINT')

    const ac = new AbortController()
    const feed = await fetch(`${base}/feed`, { signal: ac.signal })
    assert.equal(feed.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const reader = feed.body.getReader()
    let text = ''
    await post({ id: 2, name: 'b' })
    while ((text.match(/event: change/g) ?? []).length < 2) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    ac.abort()
    const names = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]).row.name)
    assert.deepEqual(names, ['a', 'b'])
  } finally {
    server.closeAllConnections()
    await new Promise((res) => server.close(res))
    await db.close()
    // A closed handle is replaced by a fresh one on the next call.
    const again = await database(dir)
    assert.notEqual(again, db)
    assert.equal(again.isOpen(), true)
    await again.close()
    cleanup()
  }
})
