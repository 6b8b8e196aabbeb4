// Regressions for wrong rows met through the SDK (issue #15): `?` numbered
// in text order (Kysely and Drizzle emit `?` with LIMIT/OFFSET), Date
// parameters bound as timestamps in db.sql and the builder, and objects that
// cannot become JSON refused with a code.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

test('? placeholders bind in text order, LIMIT and OFFSET included', async () => {
  const { dir, cleanup } = tempDir('qmarks')
  const db = await open(dir)
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY)')
  await db.sql('INSERT INTO t VALUES (1), (2), (3), (4), (5)')
  const ids = (rows) => rows.map((r) => r.id)
  assert.deepEqual(ids(await db.sql('SELECT id FROM t WHERE id >= ? ORDER BY id LIMIT ?', [2, 3])), [2, 3, 4])
  assert.deepEqual(ids(await db.sql('SELECT id FROM t WHERE id >= ? ORDER BY id LIMIT ? OFFSET ?', [2, 2, 1])), [3, 4])
  const p = db.prepare('SELECT id FROM t WHERE id > ? ORDER BY id LIMIT ?')
  assert.deepEqual(ids(await p.all([3, 1])), [4])
  await db.close()
  cleanup()
})

test('a Date parameter compares with a TIMESTAMP column as a timestamp', async () => {
  const { dir, cleanup } = tempDir('dates')
  const db = await open(dir)
  await db.sql('CREATE TABLE ev (id INTEGER PRIMARY KEY, at TIMESTAMP)')
  const at = new Date('2026-03-01T10:20:30.450Z')
  await db.sql('INSERT INTO ev VALUES (1, $1), (2, $2)', [at, new Date('2026-03-02T00:00:00Z')])
  assert.deepEqual(await db.sql('SELECT id FROM ev WHERE at = $1', [at]), [{ id: 1 }])
  assert.deepEqual(await db.sql('SELECT id FROM ev WHERE at > $1 ORDER BY id', [new Date('2026-03-01T12:00:00Z')]), [
    { id: 2 },
  ])
  assert.deepEqual(await db.selectFrom('ev').select(['id']).where('at', '=', at), [{ id: 1 }])
  assert.deepEqual(
    await db.selectFrom('ev').select(['id']).where('at', '<', new Date('2026-03-01T10:20:31Z')),
    [{ id: 1 }],
  )
  const [row] = await db.sql('SELECT at FROM ev WHERE id = 1')
  assert.equal(row.at.getTime(), at.getTime())
  await assert.rejects(db.sql('SELECT $1', [new Date(NaN)]), { code: 'TDB_INVALID_ARGUMENT' })
  const cyclic = {}
  cyclic.self = cyclic
  await assert.rejects(db.sql('SELECT $1', [cyclic]), { code: 'TDB_INVALID_ARGUMENT' })
  await db.close()
  cleanup()
})
