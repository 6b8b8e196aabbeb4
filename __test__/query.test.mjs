// The typed query builder against a real database: every builder compiles to
// parameterized SQL and returns what the same SQL returns.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

async function setup(tag) {
  const { dir, cleanup } = tempDir(tag)
  const db = await open(dir)
  await db.sql('CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, balance INTEGER DEFAULT 0, vip BOOLEAN)')
  return { db, cleanup }
}

test('select, insert, update and delete builders run and compile to parameters', async () => {
  const { db, cleanup } = await setup('qb')
  const ins = await db.insertInto('accounts').values([
    { id: 1, name: 'ann', balance: 700, vip: true },
    { id: 2, name: 'bob', balance: 300, vip: false },
    { id: 3, name: "o'neil", balance: 900, vip: null },
  ])
  assert.equal(ins.changes, 3)
  assert.equal(typeof ins.systemTime, 'number')

  const q = db.selectFrom('accounts').select(['id', 'name']).where('balance', '>', 500).orderBy('id', 'desc')
  assert.deepEqual(q.compile(), {
    sql: 'SELECT id, name FROM accounts WHERE balance > $1 ORDER BY id DESC',
    parameters: [500],
  })
  assert.deepEqual(await q, [{ id: 3, name: "o'neil" }, { id: 1, name: 'ann' }])
  // Builders are immutable: adding a term makes a new one.
  const narrower = q.where('name', 'like', 'a%')
  assert.deepEqual(await narrower.execute(), [{ id: 1, name: 'ann' }])
  assert.deepEqual(await q.execute(), [{ id: 3, name: "o'neil" }, { id: 1, name: 'ann' }])

  assert.deepEqual(await db.selectFrom('accounts').selectAll().where('id', '=', 1).executeTakeFirst(), {
    id: 1, name: 'ann', balance: 700, vip: true,
  })
  assert.deepEqual(await db.selectFrom('accounts').select(['id']).where('id', 'in', [1, 3]).orderBy('id'), [{ id: 1 }, { id: 3 }])
  assert.deepEqual(await db.selectFrom('accounts').select(['id']).where('vip', 'is', null), [{ id: 3 }])
  assert.deepEqual(await db.selectFrom('accounts').select(['id']).orderBy('id').limit(1).offset(1), [{ id: 2 }])
  assert.deepEqual(await db.selectFrom('accounts').select(['id']).orderBy('id').offset(1), [{ id: 2 }, { id: 3 }])

  const upd = await db.updateTable('accounts').set({ balance: 0 }).where('id', '=', 2).returning(['id', 'balance'])
  assert.deepEqual(upd, [{ id: 2, balance: 0 }])
  const del = await db.deleteFrom('accounts').where('balance', '<', 1)
  assert.equal(del.changes, 1)
  const skipped = await db.insertInto('accounts').values({ id: 1, name: 'dup' }).onConflictDoNothing()
  assert.equal(skipped.changes, 0)
  assert.deepEqual(await db.selectFrom('accounts').select(['name']).where('id', '=', 1), [{ name: 'ann' }])
  await db.close()
  cleanup()
})

test('temporal clauses: asOf an epoch or a time, validAt, history, forPortionOf', async () => {
  const { db, cleanup } = await setup('qbt')
  await db.insertInto('accounts').values({ id: 1, name: 'ann', balance: 100 })
  const { epoch } = await db.advanceEpoch()
  // Date.now() has millisecond precision, system times microseconds: wait
  // so that `before` is surely after the insert's commit.
  await new Promise((r) => setTimeout(r, 2))
  const before = Date.now()
  await new Promise((r) => setTimeout(r, 5))
  await db.updateTable('accounts').set({ balance: 200 }).where('id', '=', 1)
  assert.deepEqual(await db.selectFrom('accounts').select(['balance']).asOf(epoch), [{ balance: 100 }])
  assert.deepEqual(await db.selectFrom('accounts').select(['balance']).asOf(new Date(before)), [{ balance: 100 }])
  assert.deepEqual(await db.selectFrom('accounts').select(['balance']), [{ balance: 200 }])
  // Rectangles of system × valid time: the update ended the old belief only
  // from its own valid time on, so 100 stays true before it.
  const versions = await db
    .selectFrom('accounts')
    .select(['balance', '_system_from', '_system_to', '_valid_from'])
    .history()
    .orderBy('_system_from')
    .orderBy('_valid_from')
  assert.deepEqual(versions.map((v) => v.balance), [100, 100, 200])
  const now = versions.find((v) => v.balance === 200)
  assert.ok(versions.some((v) => v.balance === 100 && v._system_to === now._system_from), 'the update ended a belief')
  assert.ok(versions.some((v) => v.balance === 100 && v._system_to === null), 'the past stays believed')
  const all = await db.selectFrom('accounts').selectAll().history()
  assert.ok(all.every((r) => '_valid_from' in r && '_system_from' in r))

  await db.sql('CREATE TABLE price (sku TEXT PRIMARY KEY, cents INTEGER)')
  await db.insertInto('price').values({ sku: 'a', cents: 100, _valid_from: new Date('2024-01-01'), _valid_to: new Date('2026-01-01') })
  const march = db.updateTable('price').set({ cents: 90 }).forPortionOf(new Date('2025-03-01'), new Date('2025-04-01'))
  assert.match(march.compile().sql, /^UPDATE price FOR PORTION OF VALID_TIME FROM \$1 TO \$2 SET cents = \$3$/)
  await march
  const at = (d) => db.selectFrom('price').select(['cents']).validAt(new Date(d)).executeTakeFirst()
  assert.deepEqual(await at('2025-03-15'), { cents: 90 })
  assert.deepEqual(await at('2025-05-01'), { cents: 100 })
  await db.deleteFrom('price').forPortionOf('2024-06-01', '2024-07-01')
  assert.equal(await at('2024-06-15'), undefined)
  assert.throws(() => db.selectFrom('price').selectAll().history().asOf(1).compile(), { code: 'TDB_INVALID_ARGUMENT' })
  await db.close()
  cleanup()
})

test('builders run inside transactions and report engine errors with codes', async () => {
  const { db, cleanup } = await setup('qbx')
  await assert.rejects(
    db.transaction(async (tx) => {
      await db.insertInto('accounts').values({ id: 5, name: 'tx' }).execute(tx)
      assert.equal((await db.selectFrom('accounts').select(['id']).execute(tx)).length, 1)
      throw new Error('abort')
    }),
    /abort/,
  )
  assert.deepEqual(await db.selectFrom('accounts').select(['id']), [])
  await assert.rejects(db.selectFrom('accounts').select(['nope']).execute(), { code: 'TDB_NO_COLUMN' })
  await assert.rejects(db.selectFrom('nope').selectAll().execute(), { code: 'TDB_NO_TABLE' })
  await assert.rejects(db.insertInto('accounts').values({ id: 1 }).execute(), { code: 'TDB_CONSTRAINT' })
  assert.throws(() => db.selectFrom('accounts').where('id', 'between', 1), { code: 'TDB_INVALID_ARGUMENT' })
  assert.throws(() => db.insertInto('accounts').values({ _system_from: 1 }), { code: 'TDB_INVALID_ARGUMENT' })
  await assert.rejects(db.selectFrom('accounts').execute(), { code: 'TDB_INVALID_ARGUMENT' })
  await db.close()
  cleanup()
})
