// Error codes for bad arguments, closed databases, bad folders; the code list
// matches the engine's.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { open, TensorError, ERROR_CODES } from 'tensordb'
import { tempDir } from './helpers.mjs'

test('error codes match the Rust engine', () => {
  const src = readFileSync(new URL('../crates/tensordb/src/error.rs', import.meta.url), 'utf8')
  const rust = [...src.matchAll(/=> "(TDB_[A-Z_]+)"/g)].map((m) => m[1])
  assert.deepEqual([...rust].sort(), [...ERROR_CODES].sort())
})

test('bad arguments are TDB_INVALID_ARGUMENT', async () => {
  const { dir, cleanup } = tempDir('args')
  const db = await open(dir)
  const bad = [
    () => db.put(42, 'v'),
    () => db.put(null, 'v'),
    () => db.put('k', null),
    () => db.put('k', undefined),
    () => db.put('k', 10n),
    () => db.put('k', 'v', { validFrom: 'not a date' }),
    () => db.put('k', 'v', { validFrom: 1.5 }),
    () => db.put('k', 'v', { validFrom: new Date('2026-02-01'), validTo: new Date('2026-01-01') }),
    () => db.get({}),
    () => db.get('k', { asOf: {} }),
    () => db.get('k', { asOf: { epoch: 0 } }),
    () => db.get('k', { asOf: { epoch: 99 } }),
    () => db.get('k', 'nonsense'),
    () => db.scan({ limit: -1 }),
    () => db.scan({ prefix: 5 }),
    () => db.batch('x'),
    () => db.batch([{ type: 'upsert', key: 'a', value: 1 }]),
    () => db.batch([{ type: 'put', key: 'a' }]),
    () => db.history(3),
  ]
  for (const [i, f] of bad.entries()) {
    await assert.rejects(f(), (e) => {
      assert.ok(e instanceof TensorError, `case ${i}: ${e}`)
      assert.equal(e.code, 'TDB_INVALID_ARGUMENT', `case ${i}: ${e.message}`)
      return true
    })
  }
  assert.throws(() => db.getSync(7), { code: 'TDB_INVALID_ARGUMENT' })
  await assert.rejects(open(''), { code: 'TDB_INVALID_ARGUMENT' })
  await assert.rejects(open(dir, { durability: 'sometimes' }), { code: 'TDB_INVALID_ARGUMENT' })
  await db.close()
  cleanup()
})

test('a closed database is TDB_CLOSED everywhere', async () => {
  const { dir, cleanup } = tempDir('closed')
  const db = await open(dir)
  await db.close()
  for (const f of [() => db.put('a', 'b'), () => db.get('a'), () => db.delete('a'), () => db.scan(), () => db.history('a'), () => db.batch([]), () => db.advanceEpoch(), () => db.flush()]) {
    await assert.rejects(f(), { code: 'TDB_CLOSED' })
  }
  assert.throws(() => db.getSync('a'), { code: 'TDB_CLOSED' })
  assert.throws(() => db.now(), { code: 'TDB_CLOSED' })
  cleanup()
})

test('unusable folders are TDB_IO with the path in the message', async () => {
  const { dir, cleanup } = tempDir('folder')
  const file = join(dir, 'a-file')
  writeFileSync(file, 'not a folder')
  await assert.rejects(open(join(file, 'db')), (e) => {
    assert.equal(e.code, 'TDB_IO')
    assert.match(e.message, /a-file/)
    return true
  })
  if (process.getuid && process.getuid() !== 0) {
    const locked = join(dir, 'readonly')
    mkdirSync(locked)
    chmodSync(locked, 0o500)
    await assert.rejects(open(join(locked, 'db')), { code: 'TDB_IO' })
  }
  cleanup()
})
