// SQL through the SDK: DDL, DML with results, parameters, tagged templates,
// error codes, time travel on SQL tables, and a slice of the sqllogictest
// corpus run from Node.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { open } from 'tensordb'
import { shapeResult } from '../dist/cjs/sql.js'
import { tempDir } from './helpers.mjs'

test('tables, rows, parameters and results', async () => {
  const { dir, cleanup } = tempDir('sql')
  const db = await open(dir)
  await db.sql('CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, balance REAL)')
  const r = await db.exec('INSERT INTO accounts VALUES ($1, $2, $3), (2, $4, 50)', [1, 'alice', 1000, 'bob'])
  assert.equal(r.changes, 2)
  assert.equal(r.lastInsertRowid, 2)
  assert.equal(typeof r.systemTime, 'number')
  const auto = await db.exec(`INSERT INTO accounts (name, balance) VALUES ('carol', 5)`)
  assert.equal(auto.lastInsertRowid, 3)
  const minBalance = 40
  const rows = await db.sql`SELECT id, name, balance FROM accounts WHERE balance > ${minBalance} ORDER BY id`
  assert.deepEqual(rows, [
    { id: 1, name: 'alice', balance: 1000 },
    { id: 2, name: 'bob', balance: 50 },
  ])
  const injected = "x' OR '1'='1"
  assert.deepEqual(await db.sql`SELECT id FROM accounts WHERE name = ${injected}`, [], 'template values are parameters')
  const u = await db.exec('UPDATE accounts SET balance = balance * 2 WHERE id = $1', [2])
  assert.equal(u.changes, 1)
  const [{ total }] = await db.sql('SELECT sum(balance) AS total FROM accounts')
  assert.equal(total, 1105)
  const before = u.systemTime
  await db.sql('DELETE FROM accounts WHERE id = 3')
  assert.equal((await db.sql('SELECT count(*) AS n FROM accounts'))[0].n, 2)
  // Every SQL write is a fact: read the table as it was.
  const past = await db.sql('SELECT count(*) AS n FROM accounts', [], { asOf: before })
  assert.equal(past[0].n, 3)
  const big = await db.sql('SELECT 9007199254740993 AS b, 1.5 AS r, NULL AS z, x\'00ff\' AS blob')
  assert.equal(big[0].b, 9007199254740993n)
  assert.equal(big[0].r, 1.5)
  assert.equal(big[0].z, null)
  await db.close()
  cleanup()
})

test('SQL errors carry stable codes', async () => {
  const { dir, cleanup } = tempDir('sqlerr')
  const db = await open(dir)
  await db.sql('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)')
  const cases = [
    ['SELEC 1', 'TDB_SYNTAX'],
    ['SELECT * FROM missing', 'TDB_NO_TABLE'],
    ['SELECT nope FROM t', 'TDB_NO_COLUMN'],
    ["INSERT INTO t VALUES (1, NULL)", 'TDB_CONSTRAINT'],
    ['ALTER TABLE t ADD COLUMN z INTEGER UNIQUE', 'TDB_NOT_SUPPORTED'],
    ['CREATE TRIGGER tr INSTEAD OF INSERT ON t BEGIN SELECT 1; END', 'TDB_CONSTRAINT'],
    ['CREATE TRIGGER tr AFTER INSERT ON missing BEGIN SELECT 1; END', 'TDB_NO_TABLE'],
    ['CREATE INDEX i ON t(nope)', 'TDB_NO_COLUMN'],
    ['SELECT $1', 'TDB_INVALID_ARGUMENT'],
  ]
  for (const [sql, code] of cases) await assert.rejects(db.sql(sql), { code }, sql)
  await db.sql('CREATE UNIQUE INDEX tb ON t(b)')
  await db.sql("INSERT INTO t VALUES (1, 'x')")
  await assert.rejects(db.sql("INSERT INTO t VALUES (2, 'x')"), { code: 'TDB_CONSTRAINT' })
  await assert.rejects(db.sql("INSERT INTO t VALUES (1, 'y')"), { code: 'TDB_CONSTRAINT' })
  await assert.rejects(db.sql('SELECT 1', [() => 1]), { code: 'TDB_INVALID_ARGUMENT' })
  // Plain objects and arrays are JSON text, Dates canonical TIMESTAMP text.
  assert.deepEqual(await db.sql('SELECT $1 AS j, $2 AS d', [{ a: 1 }, new Date(0)]), [{ j: '{"a":1}', d: '1970-01-01 00:00:00' }])
  await db.close()
  cleanup()
})

test('a slice of sqllogictest select1 runs through the SDK', async () => {
  const { dir, cleanup } = tempDir('slt')
  const db = await open(dir, { durability: 'buffered' })
  const text = readFileSync(new URL('../crates/tensordb/tests/slt/sqlite/select1.test', import.meta.url), 'utf8')
  const records = text.split(/\n\s*\n/).map((r) => r.trim()).filter(Boolean)
  let queries = 0
  for (const rec of records.slice(0, 200)) {
    const [head, ...rest] = rec.split('\n')
    if (head.startsWith('statement ok')) {
      await db.sql(rest.join('\n'))
    } else if (head.startsWith('query')) {
      const sep = rest.indexOf('----')
      const sql = rest.slice(0, sep).join('\n')
      const expected = rest.slice(sep + 1)
      const { raw } = await db.exec(sql)
      if (expected.some((l) => l.includes('hashing'))) continue
      const cell = (v) => (v === null ? 'NULL' : String(typeof v === 'number' ? Math.trunc(v) : v))
      let grid = raw.map((r) => r.map(cell))
      if (head.includes('rowsort')) grid = grid.sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1))
      assert.deepEqual(grid.flat(), expected, sql)
      queries++
    }
  }
  assert.ok(queries > 5, `checked ${queries} queries`)
  await db.close()
  cleanup()
})

test('BOOLEAN, TIMESTAMP, DATE and JSON columns cross into JS as booleans, Dates, text and objects', async () => {
  const { dir, cleanup } = tempDir('sqltypes')
  const db = await open(dir)
  await db.sql('CREATE TABLE ev (id INTEGER PRIMARY KEY, at TIMESTAMP, day DATE, ok BOOLEAN, doc JSON)')
  const when = new Date('2024-05-01T12:30:00.250Z')
  await db.sql('INSERT INTO ev VALUES ($1, $2, $3, $4, $5)', [1, when, '2024-05-01', true, { user: 'ann', tags: ['a'] }])
  await db.sql`INSERT INTO ev VALUES (${2}, ${'2024-05-02T00:00:00+02:00'}, ${'2024-05-02'}, ${false}, ${[1, 2]})`
  const rows = await db.sql('SELECT id, at, day, ok, doc FROM ev ORDER BY id')
  assert.ok(rows[0].at instanceof Date)
  assert.equal(rows[0].at.toISOString(), '2024-05-01T12:30:00.250Z')
  assert.equal(rows[1].at.toISOString(), '2024-05-01T22:00:00.000Z')
  assert.equal(rows[0].day, '2024-05-01')
  assert.equal(rows[0].ok, true)
  assert.equal(rows[1].ok, false)
  assert.deepEqual(rows[0].doc, { user: 'ann', tags: ['a'] })
  assert.deepEqual(rows[1].doc, [1, 2])
  // ->> gives plain SQL values; a join on a document field.
  await db.sql('CREATE TABLE users (name TEXT PRIMARY KEY, age INTEGER)')
  await db.sql("INSERT INTO users VALUES ('ann', 30)")
  const joined = await db.sql("SELECT u.age, e.doc ->> '$.tags[0]' AS tag FROM users u JOIN ev e ON u.name = e.doc ->> 'user'")
  assert.deepEqual(joined, [{ age: 30, tag: 'a' }])
  // The result reports the column types; iterate converts the same way.
  const res = await db.exec('SELECT at, ok, doc, id FROM ev ORDER BY id')
  assert.deepEqual(res.types, ['TIMESTAMP', 'BOOLEAN', 'JSON', ''])
  const seen = []
  for await (const r of db.prepare('SELECT ok, doc FROM ev ORDER BY id').iterate()) seen.push(r)
  assert.deepEqual(seen, [{ ok: true, doc: { user: 'ann', tags: ['a'] } }, { ok: false, doc: [1, 2] }])
  // A wrong type is refused with a stable code.
  await assert.rejects(db.sql("INSERT INTO ev (id, at) VALUES (3, 'tomorrow')"), { code: 'TDB_TYPE_MISMATCH' })
  await assert.rejects(db.sql('INSERT INTO ev (id, doc) VALUES (3, $1)', ['{not json']), { code: 'TDB_TYPE_MISMATCH' })
  await db.close()
  cleanup()
})

test('a prepared point query is answered from memory without a thread hop', async () => {
  const { dir, cleanup } = tempDir('sqlsync')
  const db = await open(dir)
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)')
  await db.sql("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
  const byId = db.prepare('SELECT name FROM t WHERE id = ?')
  let macrotask = false
  setImmediate(() => {
    macrotask = true
  })
  assert.deepEqual(await byId.get([2]), { name: 'b' })
  assert.equal(await byId.get([3]), undefined)
  assert.equal(macrotask, false, 'settled before any macrotask: no engine thread was involved')
  // Scans still run on the engine's threads, with the same answers.
  assert.deepEqual(await db.prepare('SELECT count(*) AS n FROM t WHERE name > ?').get(['a']), { n: 1 })
  await assert.rejects(db.prepare('SELECT nope FROM t WHERE id = 1').get(), { code: 'TDB_NO_COLUMN' })
  await db.close()
  await assert.rejects(byId.get([1]), { code: 'TDB_CLOSED' })
  cleanup()
})

test('repeated memory-only answers keep names and types right as the schema changes', async () => {
  const { dir, cleanup } = tempDir('sqlshape')
  const db = await open(dir)
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, ok BOOLEAN, at TIMESTAMP, doc JSON)')
  await db.sql(`INSERT INTO t VALUES (1, true, '2026-01-02 03:04:05', '{"a":1}'), (2, false, NULL, '[2]')`)
  const all = db.prepare('SELECT * FROM t WHERE id = ?')
  // The first answer carries the shape; later ones only packed values.
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await all.get([1]), { id: 1, ok: true, at: new Date('2026-01-02T03:04:05Z'), doc: { a: 1 } })
    assert.deepEqual(await all.get([2]), { id: 2, ok: false, at: null, doc: [2] })
    assert.equal(await all.get([3]), undefined)
  }
  const r = await all.get([1])
  r.extra = 1 // results are the caller's to change
  await db.sql('ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 5')
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(await all.get([2]), { id: 2, ok: false, at: null, doc: [2], n: 5 })
  }
  await db.sql('ALTER TABLE t DROP COLUMN doc')
  assert.deepEqual(await all.get([1]), { id: 1, ok: true, at: new Date('2026-01-02T03:04:05Z'), n: 5 })
  assert.deepEqual(await all.get([1]), { id: 1, ok: true, at: new Date('2026-01-02T03:04:05Z'), n: 5 })
  await db.close()
  cleanup()
})

test('EXPLAIN shows the access path chosen by cost; EXPLAIN ANALYZE the actual rows', async () => {
  const { dir, cleanup } = tempDir('sqlexplain')
  const db = await open(dir)
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, name TEXT); CREATE INDEX t_k ON t (k)')
  for (let i = 0; i < 50; i++) await db.sql('INSERT INTO t VALUES ($1, $2, $3)', [i, i % 5, `n${i}`])
  const plan = await db.sql('EXPLAIN SELECT name FROM t WHERE k = ?', [3])
  const lines = plan.map((r) => r.plan.trim())
  assert.ok(lines.includes('Index lookup: t USING t_k (k = 3)'), lines.join('\n'))
  assert.equal(plan.find((r) => r.plan.trim().startsWith('Index lookup')).est_rows, 10)
  const analyzed = await db.sql('EXPLAIN ANALYZE SELECT name FROM t WHERE k = ?', [3])
  assert.equal(analyzed.find((r) => r.plan.trim().startsWith('Index lookup')).actual_rows, 10)
  assert.ok(analyzed.every((r) => typeof r.actual_ms === 'number'))
  await db.close()
  cleanup()
})

test('typed columns whose stored text predates the checks come back as stored, not as errors', () => {
  // Rows written before JSON / TIMESTAMP columns were checked may hold any
  // text; the SDK's conversion keeps such values as they are.
  const r = shapeResult([
    ['j', 't', 'b'],
    ['not json', '2024-01-01T10:00:00Z', 1, '{"a":1}', '2024-01-01 10:00:00.5', 0],
    0,
    null,
    null,
    ['JSON', 'TIMESTAMP', 'BOOLEAN'],
  ])
  assert.deepEqual(r.rows[0], { j: 'not json', t: '2024-01-01T10:00:00Z', b: true })
  assert.deepEqual(r.rows[1].j, { a: 1 })
  assert.equal(r.rows[1].t.toISOString(), '2024-01-01T10:00:00.500Z')
  assert.equal(r.rows[1].b, false)
})

test('rows keep odd column names as own properties (packed results, generated row shapes)', async () => {
  const { dir, cleanup } = tempDir('sql-names')
  const db = await open(dir)
  const [row] = await db.sql(`SELECT 1 AS "__proto__", 2 AS "a""b", 3 AS "constructor", 4 AS "x y", 5 AS "€", NULL AS n, x'0102' AS b, 9007199254740993 AS big, 1.5 AS r, 'text' AS t`)
  assert.deepEqual(Object.keys(row), ['__proto__', 'a"b', 'constructor', 'x y', '€', 'n', 'b', 'big', 'r', 't'])
  assert.equal(Object.getPrototypeOf(row), Object.prototype)
  assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__').value, 1)
  assert.equal(row['a"b'], 2)
  assert.equal(row.constructor, 3)
  assert.deepEqual(row.b, Buffer.from([1, 2]))
  assert.equal(row.big, 9007199254740993n)
  assert.equal(row.r, 1.5)
  assert.equal(row.n, null)
  const { raw } = await db.exec('SELECT 1 AS a, 2 AS a')
  assert.deepEqual(raw, [[1, 2]])
  await db.close()
  cleanup()
})

test('text values round-trip: ASCII, non-ASCII and empty, in small and large results', async () => {
  const { dir, cleanup } = tempDir('texts')
  const db = await open(dir)
  await db.sql('CREATE TABLE s (id INTEGER PRIMARY KEY, t TEXT)')
  const texts = ['plain', '', 'ünïcødé ✓', 'a'.repeat(200), '日本語', 'x\u0000y', 'tab\tand\nnewline']
  const want = []
  for (let i = 0; i < 2000; i++) want.push(texts[i % texts.length] + (i % 3 === 0 ? ` #${i}` : ''))
  for (let i = 0; i < want.length; i += 500) {
    const chunk = want.slice(i, i + 500)
    await db.sql(`INSERT INTO s VALUES ${chunk.map(() => '(?, ?)').join(',')}`, chunk.flatMap((t, j) => [i + j, t]))
  }
  const small = db.prepare('SELECT t FROM s WHERE id < 20 ORDER BY id')
  assert.deepEqual((await small.all()).map((r) => r.t), want.slice(0, 20))
  // Over 64 KiB of packed values: the per-value path.
  const all = await db.sql('SELECT t FROM s ORDER BY id')
  assert.deepEqual(all.map((r) => r.t), want)
  await db.close()
  cleanup()
})

test('large results: rows and raw agree, duplicate column names keep both values in raw', async () => {
  const { dir, cleanup } = tempDir('large-raw')
  const db = await open(dir)
  await db.sql('CREATE TABLE big (id INTEGER PRIMARY KEY, s TEXT, v REAL, flag BOOLEAN)')
  for (let b = 0; b < 4; b++) {
    await db.sql(`INSERT INTO big VALUES ${Array.from({ length: 5000 }, (_, j) => `(${b * 5000 + j}, 'row${b * 5000 + j}', ${j}.5, ${j % 2})`).join(',')}`)
  }
  // Over 256 KiB packed: shaped in slices, the flat array not kept.
  const r = await db.exec('SELECT id, s, v, flag FROM big ORDER BY id')
  assert.equal(r.rows.length, 20000)
  assert.deepEqual(r.rows[12345], { id: 12345, s: 'row12345', v: 2345.5, flag: true })
  assert.deepEqual(r.raw[12345], [12345, 'row12345', 2345.5, true])
  assert.equal(r.raw.length, 20000)
  // The same name twice: rows keep the last, raw keeps both.
  const d = await db.exec('SELECT id, s, s || id AS s FROM big ORDER BY id')
  assert.deepEqual(d.raw[7], [7, 'row7', 'row77'])
  await db.close()
  cleanup()
})

test('results over 1 MiB (handed over without a copy) keep every value, and blobs do not hold the whole result', async () => {
  const { dir, cleanup } = tempDir('large-owned')
  const db = await open(dir)
  await db.sql('CREATE TABLE big (id INTEGER PRIMARY KEY, s TEXT)')
  await db.sql(`INSERT INTO big VALUES ${Array.from({ length: 20000 }, (_, j) => `(${j}, 'row${j}')`).join(',')}`)
  const r = await db.sql("SELECT id, printf('%0200d', id) AS p, CAST(s AS BLOB) AS b FROM big ORDER BY id")
  assert.equal(r.length, 20000)
  for (const i of [0, 9999, 19999]) {
    assert.equal(r[i].p, String(i).padStart(200, '0'))
    assert.ok(Buffer.isBuffer(r[i].b))
    assert.equal(r[i].b.toString(), `row${i}`)
    assert.ok(r[i].b.buffer.byteLength < 1 << 20, 'a blob is its own copy, not a view of the result')
  }
  const kv = Array.from({ length: 20000 }, (_, j) => ({ type: 'put', key: `k${String(j).padStart(6, '0')}`, value: 'x'.repeat(100) + j }))
  await db.batch(kv)
  const scanned = await db.scan({ prefix: 'k' })
  assert.equal(scanned.length, 20000)
  assert.deepEqual(scanned[12345], { key: 'k012345', value: 'x'.repeat(100) + 12345 })
  await db.close()
  cleanup()
})

test('db.iterate(sql) streams a table in chunks at one snapshot, and stops early on break', async () => {
  const { dir, cleanup } = tempDir('iterate-sql')
  const db = await open(dir)
  await db.sql('CREATE TABLE big (id INTEGER PRIMARY KEY, s TEXT, flag BOOLEAN)')
  for (let b = 0; b < 3; b++) {
    await db.sql(`INSERT INTO big VALUES ${Array.from({ length: 5000 }, (_, j) => `(${b * 5000 + j}, 'row${b * 5000 + j}', ${j % 2})`).join(',')}`)
  }
  // Over several 4,096-row chunks; writes made while iterating are not seen.
  let n = 0
  let wrote = false
  for await (const r of db.iterate('SELECT id, s, flag FROM big WHERE id % $1 = 0', [3])) {
    assert.deepEqual(r, { id: n * 3, s: `row${n * 3}`, flag: (n * 3) % 2 === 1 })
    n++
    if (!wrote && n === 100) {
      await db.sql('DELETE FROM big WHERE id > 10000')
      wrote = true
    }
  }
  assert.equal(n, 5000)
  // The same as the prepared statement's iterate, and as db.sql.
  const whole = await db.sql('SELECT id, s FROM big')
  const streamed = []
  for await (const r of db.prepare('SELECT id, s FROM big').iterate()) streamed.push(r)
  assert.deepEqual(streamed, whole)
  assert.equal(whole.length, 10001)
  // break frees the cursor; the database stays usable.
  let k = 0
  for await (const r of db.iterate('SELECT * FROM big')) if (++k === 10 && r) break
  assert.equal(k, 10)
  // Shapes that are not streamed, a transaction, errors.
  const top = []
  for await (const r of db.iterate('SELECT id FROM big ORDER BY id DESC LIMIT 3')) top.push(r.id)
  assert.deepEqual(top, [10000, 9999, 9998])
  await db.transaction(async (tx) => {
    await tx.sql('INSERT INTO big VALUES (20000, $1, 1)', ['in tx'])
    const seen = []
    for await (const r of db.prepare('SELECT s FROM big WHERE id >= 10000').iterate([], { tx })) seen.push(r.s)
    assert.deepEqual(seen, ['row10000', 'in tx'])
  })
  await assert.rejects(async () => {
    for await (const r of db.iterate('SELECT nope FROM big')) assert.fail(String(r))
  }, { code: 'TDB_NO_COLUMN' })
  // The key-value form is unchanged.
  await db.put('a', '1')
  const kv = []
  for await (const e of db.iterate({ prefix: 'a' })) kv.push(e)
  assert.deepEqual(kv, [{ key: 'a', value: '1' }])
  await db.close()
  cleanup()
})

test('triggers: an audit log kept by AFTER triggers, a BEFORE trigger that RAISEs, through prepared statements and transactions', async () => {
  const { dir, cleanup } = tempDir('triggers')
  const db = await open(dir)
  await db.sql('CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER)')
  await db.sql('CREATE TABLE audit (n INTEGER PRIMARY KEY, id INTEGER, old INTEGER, new INTEGER)')
  await db.sql(`CREATE TRIGGER acct_audit AFTER UPDATE OF balance ON acct
                BEGIN INSERT INTO audit (id, old, new) VALUES (OLD.id, OLD.balance, NEW.balance); END`)
  await db.sql(`CREATE TRIGGER acct_floor BEFORE UPDATE ON acct WHEN NEW.balance < 0
                BEGIN SELECT RAISE(ABORT, 'insufficient funds'); END`)
  await db.sql('INSERT INTO acct VALUES (1, 100), (2, 0)')
  const move = db.prepare('UPDATE acct SET balance = balance + $2 WHERE id = $1')
  await db.transaction(async (tx) => {
    await move.run([1, -30], { tx })
    await move.run([2, 30], { tx })
  })
  await assert.rejects(move.run([2, -31]), { code: 'TDB_CONSTRAINT', message: /insufficient funds/ })
  assert.deepEqual(await db.sql('SELECT id, balance FROM acct ORDER BY id'), [{ id: 1, balance: 70 }, { id: 2, balance: 30 }])
  assert.deepEqual(await db.sql('SELECT id, old, new FROM audit ORDER BY n'), [
    { id: 1, old: 100, new: 70 },
    { id: 2, old: 0, new: 30 },
  ])
  await db.sql('DROP TRIGGER acct_audit')
  await move.run([1, 1])
  assert.equal((await db.sql('SELECT count(*) AS n FROM audit'))[0].n, 2)
  await db.close()
  cleanup()
})
