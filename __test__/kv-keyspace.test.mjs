// The KV API next to SQL (issue #15): scans of the whole keyspace never meet
// SQL's or the change feeds' internal keys, keys that are not UTF-8 come back
// as Buffers (never as one colliding string), reserved keys cannot be written.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

test('whole-keyspace scans and iterate skip SQL keys; non-UTF-8 keys do not collide', async () => {
  const { dir, cleanup } = tempDir('keyspace')
  const db = await open(dir)
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
  await db.sql("INSERT INTO t VALUES (1, 'x'), (2, 'y')")
  await db.put('a', 1)
  await db.put(Buffer.from([0x62, 0xff]), 'ff')
  await db.put(Buffer.from([0x62, 0xfe]), 'fe')
  const rows = await db.scan({})
  assert.equal(rows.length, 3)
  assert.equal(rows[0].key, 'a')
  assert.ok(Buffer.isBuffer(rows[1].key) && Buffer.isBuffer(rows[2].key))
  assert.notDeepEqual(rows[1].key, rows[2].key)
  const seen = []
  for await (const e of db.iterate({})) seen.push(e.key)
  assert.equal(seen.length, 3)
  assert.equal((await db.scan({ reverse: true, limit: 1 }))[0].value, 'ff')
  await assert.rejects(db.put(Buffer.from([0xff, 0xfe, 0x63]), 'x'), { code: 'TDB_INVALID_ARGUMENT' })
  // A feed over every key sees the KV writes only (it used to decode SQL
  // rows as values and throw inside a native callback).
  const seen2 = []
  for await (const c of db.changes({ from: 'beginning', keys: 'buffer', signal: AbortSignal.timeout(500) })) {
    seen2.push(c.key)
    if (seen2.length === 3) break
  }
  assert.equal(seen2.length, 3)
  assert.ok(seen2.every((k) => !(k[0] === 0xff && k[1] === 0xfe)))
  await db.close()
  cleanup()
})
