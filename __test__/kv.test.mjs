// Every public KV method through the SDK, from ESM.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open, toDate, fromDate } from 'tensordb'
import { tempDir } from './helpers.mjs'

test('put/get round-trips strings, bytes and JSON as given', async () => {
  const { dir, cleanup } = tempDir('values')
  const db = await open(dir)
  const values = ['text', '', 'ünïcødé ✓', Buffer.from([0, 1, 255]), 42, 0, -1.5, true, false, [1, 'a'], { a: { b: [null] } }]
  for (const [i, v] of values.entries()) await db.put(`k${i}`, v)
  for (const [i, v] of values.entries()) assert.deepEqual(await db.get(`k${i}`), v)
  const u8 = await db.put('u8', new Uint8Array([9, 8]))
  assert.equal(typeof u8, 'number')
  assert.deepEqual(await db.get('u8'), Buffer.from([9, 8]))
  assert.equal(await db.get('missing'), undefined)
  await db.put(Buffer.from([0, 0, 1]), 'binary key')
  assert.equal(await db.get(Buffer.from([0, 0, 1])), 'binary key')
  assert.equal(await db.get(Buffer.from([0, 0])), undefined)
  await db.close()
  cleanup()
})

test('system times increase and time travel with asOf', async () => {
  const { dir, cleanup } = tempDir('asof')
  const db = await open(dir)
  const t1 = await db.put('acct', { balance: 100 })
  const t2 = await db.put('acct', { balance: 50 })
  // Dates have millisecond precision: keep t3 more than 1 ms after t2 so a
  // Date just after t2 stands before t3.
  await new Promise((r) => setTimeout(r, 5))
  const t3 = await db.delete('acct')
  assert.ok(t1 < t2 && t2 < t3)
  assert.ok(Math.abs(toDate(t1).getTime() - Date.now()) < 60_000, 'system time maps to wall-clock time')
  assert.deepEqual(await db.get('acct', { asOf: t1 }), { balance: 100 })
  assert.deepEqual(await db.get('acct', { asOf: t2 }), { balance: 50 })
  assert.equal(await db.get('acct'), undefined)
  assert.equal(await db.get('acct', { asOf: t1 - 1 }), undefined)
  assert.deepEqual(await db.get('acct', { asOf: toDate(t2 + 1000) }), { balance: 50 })
  assert.deepEqual(await db.get('acct', { asOf: toDate(t2 + 1000).toISOString() }), { balance: 50 })
  assert.ok(db.now() >= t3)
  await db.close()
  cleanup()
})

test('valid time: periods, corrections, open ends', async () => {
  const { dir, cleanup } = tempDir('valid')
  const db = await open(dir)
  const jan = new Date('2026-01-01T00:00:00Z')
  const feb = new Date('2026-02-01T00:00:00Z')
  const mar = new Date('2026-03-01T00:00:00Z')
  await db.put('rate', 1.0, { validFrom: jan })
  const known = db.now()
  await db.put('rate', 1.5, { validFrom: feb, validTo: mar }) // a correction for February only
  assert.equal(await db.get('rate', { validAt: '2026-01-15T00:00:00Z' }), 1.0)
  assert.equal(await db.get('rate', { validAt: feb }), 1.5)
  assert.equal(await db.get('rate', { validAt: mar }), 1.0)
  assert.equal(await db.get('rate', { validAt: '2025-12-31T00:00:00Z' }), undefined)
  assert.equal(await db.get('rate', { validAt: feb, asOf: known }), 1.0, 'before the correction was recorded')
  await db.put('always', 'x', { validFrom: null })
  assert.equal(await db.get('always', { validAt: new Date('1900-01-01') }), 'x')
  const h = await db.history('rate')
  assert.equal(h.length, 2)
  assert.deepEqual(
    h.map((f) => [f.kind, f.value, f.validFrom, f.validTo]),
    [
      ['put', 1.5, fromDate(feb), fromDate(mar)],
      ['put', 1.0, fromDate(jan), null],
    ],
  )
  assert.equal(h[1].systemTo, h[0].systemFrom)
  assert.equal(h[0].systemTo, null)
  await db.close()
  cleanup()
})

test('batch is atomic and scan covers ranges, prefixes, limits, reverse', async () => {
  const { dir, cleanup } = tempDir('scan')
  const db = await open(dir)
  const ops = []
  for (let i = 0; i < 50; i++) ops.push({ type: 'put', key: `user:${String(i).padStart(3, '0')}`, value: i })
  ops.push({ type: 'put', key: 'zzz', value: 'other' })
  const t = await db.batch(ops)
  assert.equal(typeof t, 'number')
  await db.batch([{ type: 'delete', key: 'user:001' }, { type: 'put', key: 'user:002', value: 'two' }])
  const first = await db.scan({ prefix: 'user:', limit: 3 })
  assert.deepEqual(first, [
    { key: 'user:000', value: 0 },
    { key: 'user:002', value: 'two' },
    { key: 'user:003', value: 3 },
  ])
  const rev = await db.scan({ prefix: 'user:', limit: 2, reverse: true })
  assert.deepEqual(rev.map((e) => e.key), ['user:049', 'user:048'])
  const mid = await db.scan({ start: 'user:010', end: 'user:013' })
  assert.deepEqual(mid.map((e) => e.key), ['user:010', 'user:011', 'user:012'])
  const past = await db.scan({ prefix: 'user:00', asOf: t })
  assert.equal(past.length, 10)
  const bufKeys = await db.scan({ prefix: 'zz', keys: 'buffer' })
  assert.ok(Buffer.isBuffer(bufKeys[0].key))
  const all = []
  for await (const e of db.iterate({ prefix: 'user:', pageSize: 7 })) all.push(e.key)
  assert.equal(all.length, 49)
  assert.deepEqual(all, [...all].sort())
  const back = []
  for await (const e of db.iterate({ prefix: 'user:', pageSize: 5, reverse: true, limit: 12 })) back.push(e.key)
  assert.equal(back.length, 12)
  assert.equal(back[0], 'user:049')
  await db.close()
  cleanup()
})

test('epochs and getSync', async () => {
  const { dir, cleanup } = tempDir('epoch')
  const db = await open(dir)
  await db.put('x', 1)
  const e1 = await db.advanceEpoch()
  await db.put('x', 2)
  const e2 = await db.advanceEpoch()
  assert.equal(e2.epoch, e1.epoch + 1)
  assert.equal(await db.get('x', { asOf: { epoch: e1.epoch } }), 1)
  assert.equal(db.getSync('x'), 2)
  assert.equal(db.getSync('x', { asOf: { epoch: e1.epoch } }), 1)
  assert.equal(db.getSync('nothing'), undefined)
  await db.flush()
  // After a flush the value lives in a table; getSync answers only if its block is cached.
  try {
    assert.equal(db.getSync('x'), 2)
  } catch (e) {
    assert.equal(e.code, 'TDB_WOULD_BLOCK')
  }
  assert.equal(await db.get('x'), 2)
  assert.equal(db.getSync('x'), 2, 'the async read cached the block')
  await db.close()
  cleanup()
})

test('reopen keeps data; Symbol.asyncDispose closes', async () => {
  const { dir, cleanup } = tempDir('reopen')
  {
    const db = await open(dir)
    for (let i = 0; i < 1000; i++) await db.put(`k${i}`, { i })
    await db[Symbol.asyncDispose]()
    await assert.rejects(db.get('k1'), { code: 'TDB_CLOSED' })
  }
  const db = await open(dir, { durability: 'buffered', syncIntervalMs: 10 })
  assert.deepEqual(await db.get('k999'), { i: 999 })
  assert.equal((await db.scan()).length, 1000)
  await db.close()
  await db.close()
  cleanup()
})

test('many writes in flight share syncs and all resolve in order of system time', async () => {
  const { dir, cleanup } = tempDir('inflight')
  const db = await open(dir)
  const times = await Promise.all(Array.from({ length: 500 }, (_, i) => db.put(`p${i}`, i)))
  assert.equal(new Set(times).size, 500, 'every write has its own system time')
  const reads = await Promise.all(Array.from({ length: 500 }, (_, i) => db.get(`p${i}`)))
  assert.deepEqual(reads, Array.from({ length: 500 }, (_, i) => i))
  await db.close()
  cleanup()
})

test('writes issued in one tick commit in call order, each with its own time', async () => {
  const { dir, cleanup } = tempDir('order')
  const db = await open(dir)
  const p1 = db.put('o', 1)
  const p2 = db.batch([{ type: 'put', key: 'o', value: 2 }])
  const p3 = db.delete('o')
  const p4 = db.put('o', 4)
  const [t1, t2, t3, t4] = await Promise.all([p1, p2, p3, p4])
  assert.ok(t1 < t2 && t2 < t3 && t3 < t4)
  assert.equal(await db.get('o'), 4)
  assert.equal(await db.get('o', { asOf: t3 }), undefined)
  assert.equal(await db.get('o', { asOf: t2 }), 2)
  await db.close()
  cleanup()
})

test('row cache: flushed values stay current, and rowCacheBytes: 0 turns it off', async () => {
  for (const rowCacheBytes of [undefined, 0]) {
    const { dir, cleanup } = tempDir('rowcache')
    const db = await open(dir, rowCacheBytes === undefined ? {} : { rowCacheBytes })
    for (let i = 0; i < 200; i++) await db.put(`r${i}`, 1)
    await db.flush()
    for (let i = 0; i < 200; i++) assert.equal(await db.get(`r${i}`), 1)
    for (let i = 0; i < 200; i += 2) await db.put(`r${i}`, 2)
    await db.delete('r1')
    await db.flush()
    for (let i = 0; i < 200; i++) {
      assert.equal(await db.get(`r${i}`), i === 1 ? undefined : i % 2 === 0 ? 2 : 1, `r${i} (rowCacheBytes ${rowCacheBytes})`)
      assert.equal(db.getSync(`r${i}`), i === 1 ? undefined : i % 2 === 0 ? 2 : 1)
    }
    await db.close()
    cleanup()
  }
})
