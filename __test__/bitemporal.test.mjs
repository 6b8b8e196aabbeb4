// Bitemporal SQL through the SDK: temporal clauses with parameters, writes
// for valid periods, FOR PORTION OF, the { asOf, validAt } options, SET in a
// multi-statement call, and db.history(table, key).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

test('valid-time writes, corrections, time travel and row history', async () => {
  const { dir, cleanup } = tempDir('bitemporal')
  const db = await open(dir)
  await db.sql('CREATE TABLE plan (id INTEGER PRIMARY KEY, tier TEXT)')
  const t1 = (await db.exec(
    'INSERT INTO plan (id, tier, _valid_from) VALUES ($1, $2, $3)',
    [1, 'free', new Date('2025-01-01T00:00:00Z')],
  )).systemTime
  // A correction for February only.
  const t2 = (await db.exec(
    `UPDATE plan FOR PORTION OF VALID_TIME FROM $1 TO $2 SET tier = 'pro' WHERE id = 1`,
    ['2025-02-01', '2025-03-01'],
  )).systemTime
  assert.ok(t2 > t1)
  const at = (v) => db.sql('SELECT tier FROM plan FOR VALID_TIME AS OF $1', [v])
  assert.deepEqual(await at('2025-02-15'), [{ tier: 'pro' }])
  assert.deepEqual(await at('2025-03-15'), [{ tier: 'free' }])
  // As known before the correction (a clause with a parameter, and the option).
  assert.deepEqual(
    await db.sql('SELECT tier FROM plan FOR SYSTEM_TIME AS OF $1 FOR VALID_TIME AS OF $2', [t1, '2025-02-15']),
    [{ tier: 'free' }],
  )
  assert.deepEqual(
    await db.sql('SELECT tier FROM plan', [], { asOf: t1, validAt: new Date('2025-02-15T00:00:00Z') }),
    [{ tier: 'free' }],
  )
  // SET applies to the rest of one call.
  assert.deepEqual(
    await db.sql(`SET VALID_TIME AS OF '2025-02-10'; SELECT tier FROM plan`),
    [{ tier: 'pro' }],
  )
  // Hidden columns are not in SELECT * but can be named.
  const [row] = await db.sql(`SELECT *, _valid_from, _valid_to FROM plan FOR VALID_TIME AS OF '2025-02-10'`)
  assert.deepEqual(Object.keys(row), ['id', 'tier', '_valid_from', '_valid_to'])
  assert.equal(row._valid_from, Date.parse('2025-02-01T00:00:00Z') * 1000)
  // Every version as written: 'free' from January (replaced in part at t2
  // by the correction) and 'pro' for February.
  const h = await db.history('plan', 1)
  assert.deepEqual(
    h.map((v) => [v.id, v.tier, v._system_from, v._system_to, v._valid_from, v._valid_to]),
    [
      [1, 'free', t1, t2, Date.parse('2025-01-01T00:00:00Z') * 1000, null],
      [1, 'pro', t2, null, Date.parse('2025-02-01T00:00:00Z') * 1000, Date.parse('2025-03-01T00:00:00Z') * 1000],
    ],
  )
  await assert.rejects(db.history('plan', [1, 2]), { code: 'TDB_INVALID_ARGUMENT' })
  await assert.rejects(db.history('nope', 1), { code: 'TDB_NO_TABLE' })
  await assert.rejects(db.sql('UPDATE plan SET _system_from = 1'), { code: 'TDB_INVALID_ARGUMENT' })
  await db.close()
  cleanup()
})

test('backup, verify and restore into a new database; restore a table to an epoch', async () => {
  const { dir, cleanup } = tempDir('backup')
  const src = await open(`${dir}/src`)
  await src.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
  await src.sql(`INSERT INTO t VALUES (1, 'one'), (2, 'two')`)
  const [full] = await src.sql(`BACKUP TO '${dir}/full.tdbbak'`)
  await src.sql(`UPDATE t SET v = 'uno' WHERE id = 1`)
  const [inc] = await src.sql(`BACKUP TO $1 SINCE EPOCH $2`, [`${dir}/inc.tdbbak`, full.epoch])
  assert.equal(inc.commits, 2, 'the update and the new epoch')
  const [checked] = await src.sql(`VERIFY BACKUP '${dir}/inc.tdbbak'`)
  assert.deepEqual(checked, inc)
  const dst = await open(`${dir}/dst`)
  await dst.sql(`RESTORE FROM '${dir}/full.tdbbak'`)
  await dst.sql(`RESTORE FROM '${dir}/inc.tdbbak'`)
  assert.deepEqual(await dst.sql('SELECT * FROM t ORDER BY id'), [{ id: 1, v: 'uno' }, { id: 2, v: 'two' }])
  assert.deepEqual(await dst.sql(`SELECT v FROM t AS OF EPOCH ${full.epoch} WHERE id = 1`), [{ v: 'one' }])
  // Point-in-time recovery of one table, keeping history.
  const r = await dst.exec(`RESTORE TABLE t TO EPOCH ${full.epoch}`)
  assert.equal(r.changes, 1)
  assert.deepEqual(await dst.sql('SELECT v FROM t WHERE id = 1'), [{ v: 'one' }])
  // one, uno, one again.
  assert.deepEqual((await dst.history('t', 1)).map((v) => v.v), ['one', 'uno', 'one'])
  await assert.rejects(dst.sql(`RESTORE FROM '${dir}/full.tdbbak'`), { code: 'TDB_INVALID_ARGUMENT' })
  await src.close()
  await dst.close()
  cleanup()
})

test('examples/bitemporal-audit.mjs runs and shows the correction, the recovery and the restored copy', async () => {
  const { execFile } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const script = fileURLToPath(new URL('../examples/bitemporal-audit.mjs', import.meta.url))
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, [script], (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
  )
  assert.match(out, /as known now\): +\[\{"cents":380\}\]/)
  assert.match(out, /as known at epoch\): \[\{"cents":400\}\]/)
  assert.match(out, /after DELETE, rows now: \[\{"n":0\}\]/)
  assert.match(out, /rows now: \[\{"n":1\}\]/)
  assert.match(out, /restored copy, tea on 2025-03-15: 400/)
})
