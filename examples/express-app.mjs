// An Express app on TensorDB: a typed-ish notes API whose writes commit
// before the client hears of them, errors as HTTP statuses, and a live
// change feed over Server-Sent Events. Started, exercised over loopback by
// this same script (so it runs anywhere), then stopped.
//   node examples/express-app.mjs            (PORT=3000 KEEP=1 to keep it running)
import express from 'express'
import { open } from 'tensordb'
import { tensordb, transactional, errorHandler, changeStream } from 'tensordb/express'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'tensordb-express-'))
const db = await open(dir)
await db.sql('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)')

const app = express()
app.use(express.json(), tensordb(db))
app.get('/notes', async (req, res, next) => {
  try {
    res.json(await req.db.selectFrom('notes').selectAll().orderBy('id'))
  } catch (e) {
    next(e)
  }
})
app.post('/notes', transactional(db, async (req) => db.insertInto('notes').values(req.body).returning(['id']).execute(req.tx)))
app.get('/notes/feed', changeStream(db, { table: 'notes', from: 'beginning' }))
app.use(errorHandler())

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1')
await new Promise((r) => server.once('listening', r))
const base = `http://127.0.0.1:${server.address().port}`
console.log(`listening on ${base}`)

// A client following the feed.
const feed = new AbortController()
const follower = (async () => {
  const res = await fetch(`${base}/notes/feed`, { signal: feed.signal })
  const decoder = new TextDecoder()
  let seen = 0
  for await (const chunk of res.body) {
    for (const m of decoder.decode(chunk, { stream: true }).matchAll(/^data: (.*)$/gm)) {
      const c = JSON.parse(m[1])
      console.log(`feed: ${c.type} ${JSON.stringify(c.row)}`)
      if (++seen === 2) return
    }
  }
})()

const post = async (body) => {
  const r = await fetch(`${base}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return `${r.status} ${await r.text()}`
}
console.log('POST /notes ->', await post({ id: 1, body: 'buy milk' }))
console.log('POST /notes ->', await post({ id: 2, body: 'call ann' }))
console.log('POST /notes (duplicate) ->', await post({ id: 1, body: 'again' }))
console.log('GET /notes ->', await (await fetch(`${base}/notes`)).text())
await follower
feed.abort()

if (process.env.KEEP === undefined) {
  server.closeAllConnections()
  server.close()
  await db.close()
  rmSync(dir, { recursive: true, force: true })
}
