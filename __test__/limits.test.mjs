// Statements that used to kill the Node process or run away (issue #15):
// deep nesting ends in TDB_LIMIT (never SIGSEGV), in db.sql and prepare.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

test('deeply nested statements fail with TDB_LIMIT and the process lives', async () => {
  const { dir, cleanup } = tempDir('deep')
  const db = await open(dir)
  const deep = [
    'SELECT 1' + '+1'.repeat(1200),
    'SELECT 1' + ' AND 1'.repeat(1500),
    "SELECT 'a'" + " || 'b'".repeat(1500),
    'SELECT 1' + ' UNION ALL SELECT 1'.repeat(3000),
    'SELECT ' + '('.repeat(5000) + '1' + ')'.repeat(5000),
  ]
  for (const sql of deep) {
    await assert.rejects(db.sql(sql), { code: 'TDB_LIMIT' }, sql.slice(0, 40))
    assert.throws(() => db.prepare(sql), { code: 'TDB_LIMIT' })
  }
  // Up to the limit they run, also prepared (parsed on the JS thread's call).
  const sum = 'SELECT ' + Array(900).fill('1').join(' + ') + ' AS n'
  assert.deepEqual(await db.sql(sum), [{ n: 900 }])
  assert.deepEqual(await db.prepare(sum).all(), [{ n: 900 }])
  const parens = 'SELECT ' + '('.repeat(900) + '7' + ')'.repeat(900) + ' AS n'
  assert.deepEqual(await db.prepare(parens).get(), { n: 7 })
  await db.close()
  cleanup()
})

const RUNAWAY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c'

test('an AbortSignal cancels a running statement; statementTimeoutMs bounds every statement', async () => {
  const { dir, cleanup } = tempDir('cancel')
  let db = await open(dir)
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 100)
  await assert.rejects(db.sql(RUNAWAY, [], { signal: ac.signal }), (e) => e.code === 'TDB_LIMIT' && /cancelled/.test(e.message))
  await assert.rejects(db.sql('SELECT 1', [], { signal: AbortSignal.abort() }), { code: 'TDB_LIMIT' })
  assert.deepEqual(await db.sql('SELECT 1 AS one', [], { signal: new AbortController().signal }), [{ one: 1 }])
  // The recursive CTE stops at the LIMIT of the query that lists it.
  assert.equal((await db.sql(RUNAWAY.replace('SELECT count(*) AS n FROM c', 'SELECT x FROM c LIMIT 10'))).length, 10)
  await db.close()
  db = await open(dir, { statementTimeoutMs: 150 })
  await assert.rejects(db.sql(RUNAWAY), (e) => e.code === 'TDB_LIMIT' && /timeout of 150 ms/.test(e.message))
  await db.transaction(async (tx) => {
    await tx.sql('SET statement_timeout = 0')
    assert.deepEqual(await tx.sql('SELECT 2 AS two'), [{ two: 2 }])
  })
  await db.close()
  cleanup()
})

test('large results shaped in slices come back whole and typed', async () => {
  const { dir, cleanup } = tempDir('slices')
  const db = await open(dir)
  await db.sql('CREATE TABLE big (id INTEGER PRIMARY KEY, s TEXT, at TIMESTAMP, ok BOOLEAN)')
  const n = 40000
  for (let i = 0; i < n; i += 5000) {
    const rows = Array.from({ length: 5000 }, (_, j) => `(${i + j}, 'row ${i + j} é', '2026-01-02 03:04:05', ${(i + j) % 2})`)
    await db.sql(`INSERT INTO big VALUES ${rows.join(',')}`)
  }
  const all = await db.sql('SELECT * FROM big ORDER BY id')
  assert.equal(all.length, n)
  assert.deepEqual(all[n - 1], { id: n - 1, s: `row ${n - 1} é`, at: new Date('2026-01-02T03:04:05Z'), ok: true })
  let count = 0
  for await (const r of db.prepare('SELECT id FROM big').iterate()) if (r.id === count) count++
  assert.equal(count, n)
  for (let i = 0; i < n; i += 5000) {
    await db.batch(Array.from({ length: 5000 }, (_, j) => ({ type: 'put', key: `k${String(i + j).padStart(6, '0')}`, value: i + j })))
  }
  const entries = await db.scan({ prefix: 'k' })
  assert.equal(entries.length, n)
  assert.deepEqual(entries[n - 1], { key: `k${String(n - 1).padStart(6, '0')}`, value: n - 1 })
  await db.close()
  cleanup()
})

test('statementMemoryBytes bounds the rows one statement materializes', async () => {
  const { dir, cleanup } = tempDir('membudget')
  const db = await open(dir, { statementMemoryBytes: 1 << 20 })
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)')
  // Inserted in statements of 1,000 rows: one VALUES list of 10,000 would
  // itself hold ~1.9 MB of rows.
  for (let b = 0; b < 10; b++) {
    await db.sql(`INSERT INTO t VALUES ${Array.from({ length: 1000 }, (_, i) => `(${b * 1000 + i}, '${'x'.repeat(100)}')`).join(',')}`)
  }
  assert.deepEqual(await db.sql('SELECT id FROM t WHERE id = 7'), [{ id: 7 }])
  await assert.rejects(db.sql('SELECT s FROM t ORDER BY s DESC'), (e) => e.code === 'TDB_LIMIT' && /memory budget/.test(e.message))
  // Counting rows holds none of them; an aggregate or a top-k streams them.
  assert.deepEqual(await db.sql('SELECT count(*) AS n FROM t'), [{ n: 10000 }])
  assert.deepEqual(await db.sql('SELECT count(s) AS n, max(id) AS m FROM t'), [{ n: 10000, m: 9999 }])
  assert.deepEqual(await db.sql('SELECT id FROM t ORDER BY s DESC, id LIMIT 2'), [{ id: 0 }, { id: 1 }])
  // Hash tables count too, and the error names the operator.
  await assert.rejects(
    db.sql("WITH s AS (SELECT id FROM t WHERE id < 600) SELECT count(*) FROM s a JOIN s b ON 'k' || printf('%02000d', a.id) = 'k' || printf('%02000d', b.id)"),
    (e) => e.code === 'TDB_LIMIT' && /memory budget/.test(e.message) && /hash join/.test(e.message),
  )
  await db.close()
  cleanup()
})

test('maxLength bounds the values SQL functions build', async () => {
  const { dir, cleanup } = tempDir('maxlength')
  const db = await open(dir, { maxLength: 100 })
  assert.deepEqual(await db.sql("SELECT length(repeat('a', 100)) AS n"), [{ n: 100 }])
  await assert.rejects(db.sql("SELECT repeat('a', 101)"), (e) => e.code === 'TDB_LIMIT' && /maximum length of 100/.test(e.message))
  await assert.rejects(db.sql("SELECT repeat('a', 60) || repeat('b', 60)"), { code: 'TDB_LIMIT' })
  await db.close()
  for (const bad of [0, -1, 1.5, '1mb', 2 ** 31]) {
    await assert.rejects(open(dir, { maxLength: bad }), { code: 'TDB_INVALID_ARGUMENT' }, String(bad))
  }
  cleanup()
})
