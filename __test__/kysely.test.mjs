// tensordb/kysely: existing Kysely code (query builder, transactions,
// raw SQL) runs on TensorDB through the dialect.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kysely, sql } from 'kysely'
import { open } from 'tensordb'
import { TensorDialect } from 'tensordb/kysely'
import { tempDir } from './helpers.mjs'

test('kysely: schema, inserts with returning, joins, updates, transactions', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir('kysely')
  const tdb = await open(dir)
  const db = new Kysely({ dialect: new TensorDialect({ database: tdb }) })
  try {
    await db.schema
      .createTable('person')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .execute()
    await db.schema.createTable('pet').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('owner', 'integer').addColumn('kind', 'text').execute()
    const ins = await db.insertInto('person').values([{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }]).executeTakeFirst()
    assert.equal(ins.numInsertedOrUpdatedRows, 2n)
    const ret = await db.insertInto('pet').values({ id: 10, owner: 1, kind: 'cat' }).returning(['id', 'kind']).executeTakeFirstOrThrow()
    assert.deepEqual(ret, { id: 10, kind: 'cat' })
    const rows = await db
      .selectFrom('person')
      .innerJoin('pet', 'pet.owner', 'person.id')
      .select(['person.name', 'pet.kind'])
      .where('person.id', '=', 1)
      .execute()
    assert.deepEqual(rows, [{ name: 'ann', kind: 'cat' }])
    const upd = await db.updateTable('person').set({ name: 'bo' }).where('id', '=', 2).executeTakeFirst()
    assert.equal(upd.numUpdatedRows, 1n)
    assert.deepEqual(await db.selectFrom('person').select('name').orderBy('id').limit(1).offset(1).execute(), [{ name: 'bo' }])
    // A failing transaction leaves nothing behind; a committed one does.
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('person').values({ id: 3, name: 'cy' }).execute()
        assert.equal((await trx.selectFrom('person').select('id').where('id', '=', 3).execute()).length, 1)
        throw new Error('abort')
      }),
      /abort/,
    )
    assert.deepEqual(await db.selectFrom('person').select('id').where('id', '=', 3).execute(), [])
    await db.transaction().execute((trx) => trx.deleteFrom('pet').where('owner', '=', 1).execute())
    assert.deepEqual(await db.selectFrom('pet').selectAll().execute(), [])
    // Raw SQL, including TensorDB's temporal clauses.
    const { rows: n } = await sql`SELECT count(*) AS n FROM person FOR SYSTEM_TIME ALL`.execute(db)
    assert.ok(n[0].n >= 2)
    await assert.rejects(db.insertInto('person').values({ id: 1, name: 'dup' }).execute(), { code: 'TDB_CONSTRAINT' })
  } finally {
    await db.destroy()
    await tdb.close()
    cleanup()
  }
})
