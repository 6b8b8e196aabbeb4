// Prepared statements and transactions through the SDK: all/get/run/iterate,
// db.transaction commit / rollback on throw / retry on conflict, savepoints,
// and the ordering of statements inside a transaction.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open, Statement } from 'tensordb'
import { tempDir } from './helpers.mjs'

async function fixture(tag) {
  const { dir, cleanup } = tempDir(tag)
  const db = await open(dir)
  await db.sql('CREATE TABLE acct (id INTEGER PRIMARY KEY, owner TEXT, balance INTEGER)')
  await db.sql("INSERT INTO acct VALUES (1, 'ann', 100), (2, 'bob', 50)")
  return { db, cleanup }
}

test('prepared statements: all, get, run, iterate', async () => {
  const { db, cleanup } = await fixture('prep')
  const ins = db.prepare('INSERT INTO acct (owner, balance) VALUES ($1, $2)')
  assert.ok(ins instanceof Statement)
  assert.equal(ins.readOnly, false)
  for (let i = 0; i < 1000; i++) {
    const r = await ins.run([`u${i}`, i])
    if (i === 999) {
      assert.deepEqual({ changes: r.changes, lastInsertRowid: r.lastInsertRowid }, { changes: 1, lastInsertRowid: 1002 })
      assert.equal(typeof r.systemTime, 'number')
    }
  }
  const byId = db.prepare('SELECT owner, balance FROM acct WHERE id = ?')
  assert.equal(byId.readOnly, true)
  assert.deepEqual(await byId.get([1]), { owner: 'ann', balance: 100 })
  assert.equal(await byId.get([99999]), undefined)
  const rich = db.prepare('SELECT id FROM acct WHERE balance >= $1 ORDER BY id')
  assert.deepEqual((await rich.all([998])).map((r) => r.id), [1001, 1002])
  // iterate streams every row, in order, in batches.
  let n = 0
  let last = 0
  for await (const row of db.prepare('SELECT id FROM acct ORDER BY id').iterate()) {
    assert.ok(row.id > last)
    last = row.id
    n++
  }
  assert.equal(n, 1002)
  // break frees the cursor; the statement stays usable.
  const it = db.prepare('SELECT id FROM acct ORDER BY id')
  for await (const row of it.iterate()) {
    if (row.id === 10) break
  }
  assert.equal((await it.all()).length, 1002)
  assert.throws(() => db.prepare('SELEC 1'), { code: 'TDB_SYNTAX' })
  await assert.rejects(ins.run('not an array'), { code: 'TDB_INVALID_ARGUMENT' })
  await db.close()
  cleanup()
})

test('transaction commits atomically, rolls back on throw', async () => {
  const { db, cleanup } = await fixture('tx')
  const move = db.prepare('UPDATE acct SET balance = balance + $2 WHERE id = $1')
  const result = await db.transaction(async (tx) => {
    await move.run([1, -30], { tx })
    await move.run([2, 30], { tx })
    const [{ total }] = await tx.sql('SELECT sum(balance) AS total FROM acct')
    // Outside, nothing is visible yet.
    const outside = await db.sql('SELECT balance FROM acct WHERE id = 1')
    assert.equal(outside[0].balance, 100)
    return total
  })
  assert.equal(result, 150)
  assert.deepEqual(await db.sql('SELECT balance FROM acct ORDER BY id'), [{ balance: 70 }, { balance: 80 }])

  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.sql`INSERT INTO acct VALUES (3, ${'cy'}, 1)`
      throw new Error('changed my mind')
    }),
    /changed my mind/,
  )
  assert.equal((await db.sql('SELECT count(*) AS n FROM acct'))[0].n, 2)

  // Savepoints inside a transaction.
  await db.transaction(async (tx) => {
    await tx.sql("INSERT INTO acct VALUES (3, 'cy', 1)")
    await tx.sql('SAVEPOINT s')
    await tx.sql("INSERT INTO acct VALUES (4, 'di', 1)")
    await tx.sql('ROLLBACK TO s')
  })
  assert.deepEqual((await db.sql('SELECT id FROM acct ORDER BY id')).map((r) => r.id), [1, 2, 3])

  // Statements queued without awaiting still run in call order.
  await db.transaction(async (tx) => {
    const a = tx.sql('UPDATE acct SET balance = 0 WHERE id = 3')
    const b = tx.sql('UPDATE acct SET balance = balance + 5 WHERE id = 3')
    await Promise.all([a, b])
  })
  assert.equal((await db.sql('SELECT balance FROM acct WHERE id = 3'))[0].balance, 5)
  // A finished transaction cannot be used.
  let kept
  await db.transaction(async (tx) => {
    kept = tx
  })
  await assert.rejects(kept.sql('SELECT 1'), { code: 'TDB_INVALID_ARGUMENT' })
  // Inside a transaction, reads stand at its snapshot: no asOf / validAt.
  await assert.rejects(
    db.transaction((tx) => move.run([1, 0], { tx, asOf: Date.now() * 1000 })),
    { code: 'TDB_INVALID_ARGUMENT' },
  )
  await assert.rejects(db.sql("BEGIN; INSERT INTO acct VALUES (9, 'x', 1)"), { code: 'TDB_INVALID_ARGUMENT' })
  await db.close()
  cleanup()
})

test('conflicting transactions are retried; without retries the error is TDB_CONFLICT', async () => {
  const { db, cleanup } = await fixture('conflict')
  // Many concurrent read-modify-write transactions on one row: none is lost.
  const bump = () =>
    db.transaction(
      async (tx) => {
        const [{ balance }] = await tx.sql('SELECT balance FROM acct WHERE id = 2')
        await tx.sql('UPDATE acct SET balance = $1 WHERE id = 2', [balance + 1])
      },
      { retries: 100 },
    )
  await Promise.all(Array.from({ length: 20 }, bump))
  assert.equal((await db.sql('SELECT balance FROM acct WHERE id = 2'))[0].balance, 70)

  // Force a conflict: the outer transaction writes a row another commits first.
  let inner = null
  await assert.rejects(
    db.transaction(
      async (tx) => {
        await tx.sql('UPDATE acct SET balance = 1 WHERE id = 1')
        inner ??= db.sql('UPDATE acct SET balance = 2 WHERE id = 1')
        await inner
      },
      { retries: 0 },
    ),
    { code: 'TDB_CONFLICT' },
  )
  assert.equal((await db.sql('SELECT balance FROM acct WHERE id = 1'))[0].balance, 2)
  await db.close()
  cleanup()
})

test('prepared statements inside a transaction run from memory when the queue is idle, in call order', async () => {
  const { dir, cleanup } = tempDir('txsync')
  const db = await open(dir)
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)')
  const ins = db.prepare('INSERT INTO t VALUES ($1, $2)')
  const bump = db.prepare('UPDATE t SET v = v + 1 WHERE id = $1')
  const get = db.prepare('SELECT v FROM t WHERE id = $1')
  await db.transaction(async (tx) => {
    let macrotask = false
    setImmediate(() => {
      macrotask = true
    })
    for (let i = 0; i < 50; i++) await ins.run([i, i], { tx })
    assert.equal(macrotask, false, 'no statement needed an engine thread')
    // A queued text statement goes first; the prepared one must wait for it.
    const queued = tx.sql('INSERT INTO t VALUES (100, 0)')
    const after = bump.run([100], { tx })
    await queued
    assert.equal((await after).changes, 1, 'ran after the queued INSERT')
    assert.deepEqual(await get.get([100], { tx }), { v: 1 })
    // A failing statement leaves no trace; the transaction goes on.
    await assert.rejects(ins.run([1, 9], { tx }), { code: 'TDB_CONSTRAINT' })
    assert.deepEqual(await get.get([1], { tx }), { v: 1 })
  })
  assert.deepEqual(await db.sql('SELECT count(*) AS n, sum(v) AS s FROM t'), [{ n: 51, s: 1226 }])
  // A rolled-back transaction keeps none of its from-memory writes.
  await assert.rejects(
    db.transaction(async (tx) => {
      await ins.run([500, 1], { tx })
      throw new Error('abort')
    }),
    /abort/,
  )
  assert.deepEqual(await get.get([500]), undefined)
  await db.close()
  cleanup()
})
