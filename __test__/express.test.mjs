// tensordb/express on a real Express server on loopback: req.db, a
// request-scoped transaction that commits before answering (and rolls back
// on a throw), error codes as statuses, and a change feed over SSE that
// resumes from Last-Event-ID.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import express from 'express'
import { open } from 'tensordb'
import { tensordb, transactional, errorHandler, changeStream } from 'tensordb/express'
import { tempDir } from './helpers.mjs'

function listen(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server))
  })
}

/** Reads SSE frames from `url` until `count` change events arrived. */
async function readEvents(url, count, headers = {}) {
  const ac = new AbortController()
  const res = await fetch(url, { headers, signal: ac.signal })
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8')
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let buf = ''
  const events = []
  while (events.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    buf += decoder.decode(value, { stream: true })
    let i
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i)
      buf = buf.slice(i + 2)
      const fields = Object.fromEntries(frame.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]))
      if (fields.event === 'change') events.push({ id: fields.id, data: JSON.parse(fields.data) })
      if (fields.event === 'error') throw new Error(fields.data)
    }
  }
  ac.abort()
  return events
}

test('express: req.db, transactional handlers, error statuses and an SSE change feed', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir('express')
  const db = await open(dir)
  await db.sql('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER)')
  const app = express()
  app.use(express.json())
  app.use(tensordb(db))
  app.get('/notes/:id', async (req, res, next) => {
    try {
      const row = await req.db.selectFrom('notes').selectAll().where('id', '=', Number(req.params.id)).executeTakeFirst()
      if (row === undefined) return res.status(404).json({ error: 'no such note' })
      res.json(row)
    } catch (e) {
      next(e)
    }
  })
  app.post(
    '/notes',
    transactional(db, async (req) => {
      const [row] = await db.insertInto('notes').values(req.body).returning(['id']).execute(req.tx)
      if (req.query.fail === '1') throw new Error('handler failed after the insert')
      return row
    }),
  )
  app.get('/sql', async (req, res, next) => {
    try {
      res.json(await req.db.sql(String(req.query.q)))
    } catch (e) {
      next(e)
    }
  })
  app.get('/feed/:table', changeStream(db, (req) => ({ table: req.params.table, from: 'beginning' })))
  app.use(errorHandler())
  app.use((err, _req, res, _next) => res.status(500).json({ other: String(err.message) }))
  const server = await listen(app)
  const base = `http://127.0.0.1:${server.address().port}`
  try {
    const post = (body, q = '') =>
      fetch(`${base}/notes${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    let r = await post({ id: 1, body: 'first', n: 10 })
    assert.equal(r.status, 200)
    assert.deepEqual(await r.json(), { id: 1 })
    // The transaction committed before the answer: the next request sees it.
    assert.deepEqual(await (await fetch(`${base}/notes/1`)).json(), { id: 1, body: 'first', n: 10 })
    // A throw after the insert rolls it back; the error goes to the next handler.
    r = await post({ id: 2, body: 'rolled back' }, '?fail=1')
    assert.equal(r.status, 500)
    assert.equal((await fetch(`${base}/notes/2`)).status, 404)
    // Engine errors map to statuses with their codes.
    r = await post({ id: 1, body: 'duplicate' })
    assert.equal(r.status, 409)
    assert.equal((await r.json()).error.code, 'TDB_CONSTRAINT')
    r = await post({ id: 3 })
    assert.equal(r.status, 409)
    r = await fetch(`${base}/sql?q=${encodeURIComponent('SELEC 1')}`)
    assert.equal(r.status, 400)
    assert.equal((await r.json()).error.code, 'TDB_SYNTAX')
    r = await fetch(`${base}/sql?q=${encodeURIComponent('SELECT * FROM nope')}`)
    assert.equal(r.status, 400)
    assert.equal((await r.json()).error.code, 'TDB_NO_TABLE')

    // SSE: the existing change, then live ones.
    const live = readEvents(`${base}/feed/notes`, 3)
    await new Promise((res) => setTimeout(res, 100))
    await post({ id: 4, body: 'live', n: 4 })
    await db.sql("UPDATE notes SET body = 'edited' WHERE id = 4")
    const events = await live
    assert.deepEqual(events.map((e) => [e.data.type, e.data.row.id, e.data.row.body]), [
      ['put', 1, 'first'],
      ['put', 4, 'live'],
      ['put', 4, 'edited'],
    ])
    assert.equal(events[2].data.oldRow.body, 'live')
    assert.match(events[0].id, /^\d+-\d+$/)
    // A reconnect with Last-Event-ID resumes right after that change.
    const resumed = await readEvents(`${base}/feed/notes`, 2, { 'last-event-id': events[0].id })
    assert.deepEqual(resumed.map((e) => e.data.row.body), ['live', 'edited'])
    // An unknown table is an error event, not a hung stream.
    await assert.rejects(readEvents(`${base}/feed/nope`, 1), /TDB_NO_TABLE/)
  } finally {
    server.closeAllConnections()
    await new Promise((res) => server.close(res))
    await db.close()
    cleanup()
  }
})

test('examples/express-app.mjs runs: commits, a conflict as 409, the feed', { timeout: 30_000 }, async () => {
  const { execFile } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const script = fileURLToPath(new URL('../examples/express-app.mjs', import.meta.url))
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, [script], { timeout: 25_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
  )
  assert.match(out, /POST \/notes \(duplicate\) -> 409 .*TDB_CONSTRAINT/)
  assert.match(out, /feed: put \{"id":2,"body":"call ann"\}/)
  assert.match(out, /GET \/notes -> \[\{"id":1,"body":"buy milk"\},\{"id":2,"body":"call ann"\}\]/)
})
