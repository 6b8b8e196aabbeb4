// Change feeds through the SDK: for-await in commit order with old values,
// prefix filters, break closing the subscription, durable cursors that
// resume after a reopen (auto-ack and manual ack), a consumer slower than
// its writers, and the not-yet-built options failing with a stable code.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

async function take(iterable, n) {
  const out = []
  if (n === 0) return out
  for await (const c of iterable) {
    out.push(c)
    if (out.length === n) break
  }
  return out
}

test('changes arrive in commit order with old values; prefix filters; break ends the feed', { timeout: 30000 }, async () => {
  const { dir, cleanup } = tempDir('changes')
  const db = await open(dir)
  const t0 = db.now()
  await db.put('user:1', { name: 'ann' })
  await db.put('order:1', 5)
  await db.batch([
    { type: 'put', key: 'user:2', value: 'bob' },
    { type: 'put', key: 'user:1', value: { name: 'ann', vip: true } },
  ])
  await db.delete('user:2')
  const got = await take(db.changes({ prefix: 'user:', from: t0 }), 4)
  assert.deepEqual(
    got.map((c) => [c.key, c.type, c.value, c.oldValue]),
    [
      ['user:1', 'put', { name: 'ann' }, null],
      ['user:2', 'put', 'bob', null],
      ['user:1', 'put', { name: 'ann', vip: true }, { name: 'ann' }],
      ['user:2', 'delete', null, 'bob'],
    ],
  )
  assert.ok(got.every((c, i) => i === 0 || c.systemTime >= got[i - 1].systemTime))
  assert.equal(got[1].systemTime, got[2].systemTime, 'one commit, one system time')
  assert.equal(got[3].validTo, null)
  // 'now' (the default without a cursor) sees only later commits; the feed
  // waits for them.
  const live = take(db.changes({ prefix: 'user:' }), 1)
  await new Promise((r) => setTimeout(r, 20))
  await db.put('user:3', 'cy')
  assert.deepEqual((await live).map((c) => c.key), ['user:3'])
  assert.throws(() => db.changes({ group: 'g', cursor: 'c' }), { code: 'TDB_INVALID_ARGUMENT' })
  await assert.rejects(take(db.changes({ from: 'beginning' }), 1).then((c) => c[0].ack()), { code: 'TDB_INVALID_ARGUMENT' })
  await db.close()
  cleanup()
})

test('a durable cursor resumes after reopen: auto-ack on break, manual ack', { timeout: 30000 }, async () => {
  const { dir, cleanup } = tempDir('changes-cursor')
  let db = await open(dir)
  for (let i = 0; i < 10; i++) await db.put(`k${i}`, i)
  // Auto-ack: the consumer breaks after processing k3.
  let got = await take(db.changes({ cursor: 'billing', batch: 3 }), 4)
  assert.deepEqual(got.map((c) => c.key), ['k0', 'k1', 'k2', 'k3'])
  await db.close()
  db = await open(dir)
  got = await take(db.changes({ cursor: 'billing' }), 3)
  assert.deepEqual(got.map((c) => c.key), ['k4', 'k5', 'k6'])
  // Manual ack: only what was acknowledged counts.
  got = await take(db.changes({ cursor: 'audit', autoAck: false }), 5)
  await got[1].ack()
  await db.close()
  db = await open(dir)
  got = await take(db.changes({ cursor: 'audit', autoAck: false }), 2)
  assert.deepEqual(got.map((c) => c.key), ['k2', 'k3'])
  // The cursors' own records are not changes.
  const all = await take(db.changes({ from: 'beginning' }), 10)
  assert.ok(all.every((c) => /^k\d$/.test(c.key)))
  await db.close()
  cleanup()
})

test('a consumer slower than its writers sees every change once, in order', { timeout: 30000 }, async () => {
  const { dir, cleanup } = tempDir('changes-slow')
  const db = await open(dir)
  const from = db.now()
  const writers = [0, 1, 2].map(async (w) => {
    for (let i = 0; i < 100; i++) await db.put(`w${w}:${String(i).padStart(3, '0')}`, i)
  })
  const seen = []
  for await (const c of db.changes({ prefix: 'w', from, batch: 16 })) {
    seen.push(c)
    if (seen.length % 25 === 0) await new Promise((r) => setTimeout(r, 5))
    if (seen.length === 300) break
  }
  await Promise.all(writers)
  assert.equal(new Set(seen.map((c) => c.key)).size, 300)
  for (const w of [0, 1, 2]) {
    const mine = seen.filter((c) => c.key.startsWith(`w${w}:`)).map((c) => c.key)
    assert.deepEqual(mine, [...mine].sort())
  }
  await db.close()
  cleanup()
})

test('a SQL table feed: rows and old rows decoded (typed columns too), FOR PORTION OF periods, a durable cursor', { timeout: 30000 }, async () => {
  const { dir, cleanup } = tempDir('changes-table')
  let db = await open(dir)
  await db.sql('CREATE TABLE acct (id INTEGER PRIMARY KEY, owner TEXT, bal INTEGER, opened TIMESTAMP)')
  await db.sql(`INSERT INTO acct VALUES (1, 'ann', 10, '2025-01-01 00:00:00')`)
  await db.sql(`INSERT INTO acct (id, owner, bal, _valid_from) VALUES (2, 'bob', 5, '2019-01-01')`)
  await db.sql('UPDATE acct SET bal = bal + 1 WHERE id = 1')
  await db.sql(`UPDATE acct FOR PORTION OF VALID_TIME FROM '2020-01-01' TO '2021-01-01' SET bal = 0 WHERE id = 2`)
  await db.sql('DELETE FROM acct WHERE id = 2')
  await db.put('not-a-row', 1)
  const got = await take(db.changes({ table: 'acct', cursor: 'ledger' }), 5)
  assert.deepEqual(
    got.map((c) => [c.type, c.row && c.row.id, c.row && c.row.bal, c.oldRow && c.oldRow.bal]),
    [
      ['put', 1, 10, null],
      ['put', 2, 5, null],
      ['put', 1, 11, 10],
      ['put', 2, 0, 5],
      ['delete', null, null, 5],
    ],
  )
  assert.ok(got[0].row.opened instanceof Date, 'TIMESTAMP columns come back as Dates')
  assert.equal(got[3].validTo, Date.parse('2021-01-01T00:00:00Z') * 1000)
  assert.equal(got[0].table, 'acct')
  await db.sql('UPDATE acct SET owner = $1 WHERE id = 1', ['ann b.'])
  await db.close()
  db = await open(dir)
  const next = await take(db.changes({ table: 'acct', cursor: 'ledger' }), 1)
  assert.deepEqual(next.map((c) => [c.row.owner, c.oldRow.owner]), [['ann b.', 'ann']])
  assert.throws(() => db.changes({ table: '' }), { code: 'TDB_INVALID_ARGUMENT' })
  await assert.rejects(take(db.changes({ table: 'nope', from: 'beginning' }), 1), { code: 'TDB_NO_TABLE' })
  await db.close()
  cleanup()
})

test('examples/change-feed.mjs runs: a table consumer, a restart that resumes, a key feed', { timeout: 30000 }, async () => {
  const { execFile } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const script = fileURLToPath(new URL('../examples/change-feed.mjs', import.meta.url))
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, [script], { timeout: 25000 }, (err, stdout, stderr) =>
      err ? reject(new Error(stderr || err.message)) : resolve(stdout),
    ),
  )
  assert.match(out, /put #1: \{"id":1,"item":"tea","qty":2\} -> \{"id":1,"item":"tea","qty":3\}/)
  assert.match(out, /cursor resumes:\n {2}delete #2 at system time \d+/)
  assert.match(out, /key feed: note:1 = "keys have feeds too"/)
})

test('consumer groups: members share a feed, a leaving member is rebalanced, positions survive a reopen', { timeout: 30000 }, async () => {
  const { dir, cleanup } = tempDir('groups')
  let db = await open(dir)
  for (let i = 0; i < 120; i++) await db.put(`job:${String(i % 30).padStart(2, '0')}`, i)
  const seen = { a: [], b: [] }
  // Two members pull concurrently; each stops once the group has all 120.
  // Delivery is at least once: a change handed to a member just before a
  // rebalance may come again to the new owner of its partition.
  const distinct = new Set()
  const member = async (name, stopAfter) => {
    for await (const c of db.changes({ prefix: 'job:', group: 'workers', batch: 7, pollMs: 5 })) {
      seen[name].push([c.key, c.value])
      distinct.add(`${c.key}=${c.value}`)
      if (seen[name].length === stopAfter || distinct.size >= 120) break
    }
  }
  // a leaves after 20 changes (acknowledging them on break); b then owns
  // every partition and gets the rest, a's unacknowledged ones included.
  await Promise.all([member('a', 20), member('b', Infinity)])
  assert.equal(seen.a.length, 20)
  const keysA = new Set(seen.a.map(([k]) => k))
  const all = [...seen.a, ...seen.b]
  assert.equal(new Set(all.map(([k, v]) => `${k}=${v}`)).size, 120, 'every change delivered')
  // Per key, values arrive in commit order for each member.
  for (const list of [seen.a, seen.b]) {
    const last = new Map()
    for (const [k, v] of list) {
      if (last.has(k)) assert.ok(v > last.get(k), `${k}: ${v} after ${last.get(k)}`)
      last.set(k, v)
    }
  }
  assert.ok(keysA.size > 0)
  await db.close()
  // Everything was acknowledged: after a reopen the group has nothing old.
  db = await open(dir)
  await db.put('job:new', 'x')
  const next = []
  for await (const c of db.changes({ prefix: 'job:', group: 'workers', pollMs: 5 })) {
    next.push(c.key)
    break
  }
  assert.deepEqual(next, ['job:new'])
  await db.close()
  cleanup()
})

test('consumer groups over a SQL table: rows shared by two members, decoded', { timeout: 30000 }, async () => {
  const { dir, cleanup } = tempDir('tgroups')
  const db = await open(dir)
  await db.sql('CREATE TABLE jobs (id INTEGER PRIMARY KEY, done BOOLEAN)')
  for (let i = 0; i < 40; i++) await db.sql('INSERT INTO jobs VALUES ($1, false)', [i])
  const seen = new Map()
  // Once the group has every row, the signal ends both members' feeds
  // (the one waiting for a change too).
  const all = new AbortController()
  const member = async (name) => {
    const mine = []
    for await (const c of db.changes({ table: 'jobs', group: 'workers', batch: 5, pollMs: 5, signal: all.signal })) {
      mine.push(c.row.id)
      assert.equal(c.row.done, false)
      seen.set(c.row.id, name)
      if (seen.size >= 40) all.abort()
    }
    return mine
  }
  const [a, b] = await Promise.all([member('a'), member('b')])
  assert.equal(seen.size, 40)
  assert.ok(a.length > 0 && b.length > 0, `both members got rows: ${a.length} / ${b.length}`)
  await db.close()
  cleanup()
})
