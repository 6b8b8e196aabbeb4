// Opening never loses data silently (issue #15), through the SDK: a folder
// without its MANIFEST refuses with TDB_CORRUPT and keeps every file; the
// `repair` option and `tensordb repair` rebuild it and report what they did
// in `db.recovery`; a clean open reports null.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, rmSync, existsSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

test('a missing MANIFEST refuses to open; repair rebuilds it and reports', async () => {
  const { dir, cleanup } = tempDir('manifest')
  let db = await open(dir, { memtableBytes: 64 * 1024 })
  assert.equal(db.recovery, null)
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)')
  for (let i = 0; i < 20; i++) {
    const values = Array.from({ length: 500 }, (_, j) => `(${i * 500 + j}, '${'x'.repeat(50)}')`).join(',')
    await db.sql(`INSERT INTO t VALUES ${values}`)
  }
  await db.close() // flushes everything into table files
  const tables = readdirSync(dir).filter((n) => n.endsWith('.sst'))
  assert.ok(tables.length > 0)
  rmSync(join(dir, 'MANIFEST'))
  await assert.rejects(open(dir), (e) => e.code === 'TDB_CORRUPT' && /MANIFEST/.test(e.message))
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.sst')), tables, 'nothing deleted')
  db = await open(dir, { repair: true })
  assert.equal(db.recovery.manifestTables, tables.length)
  assert.ok(existsSync(db.recovery.tablesMovedTo))
  assert.deepEqual(await db.sql('SELECT count(*) AS n FROM t'), [{ n: 10000 }])
  await db.close()
  db = await open(dir)
  assert.equal(db.recovery, null)
  await db.close()
  // The CLI does the same.
  rmSync(join(dir, 'MANIFEST'))
  const out = JSON.parse(execFileSync(process.execPath, [join(import.meta.dirname, '../bin/tensordb.mjs'), 'repair', dir]).toString())
  assert.equal(out.repaired, true)
  db = await open(dir)
  assert.deepEqual(await db.sql('SELECT count(*) AS n FROM t'), [{ n: 10000 }])
  await db.close()
  await assert.rejects(open(dir, { repair: 'yes' }), { code: 'TDB_INVALID_ARGUMENT' })
  cleanup()
})

test('a damaged WAL record refuses to open; repair cuts there and db.recovery says what was lost', async () => {
  const { dir, cleanup } = tempDir('walflip')
  // A child writes 200 keys and dies without closing: everything is in the WAL.
  const script = `
    const { open } = require(${JSON.stringify(join(import.meta.dirname, '../dist/cjs/index.js'))})
    open(${JSON.stringify(dir)}).then(async (db) => {
      for (let i = 0; i < 200; i++) await db.put('k' + String(i).padStart(4, '0'), 'v'.repeat(100))
      process.kill(process.pid, 'SIGKILL')
    })`
  try {
    execFileSync(process.execPath, ['-e', script])
  } catch {
    // killed, as intended
  }
  const { readFileSync, writeFileSync, statSync } = await import('node:fs')
  const wal = readdirSync(dir)
    .filter((n) => n.startsWith('wal-'))
    .map((n) => join(dir, n))
    .find((p) => statSync(p).size > 0 && readFileSync(p).subarray(0, 4).readUInt32LE(0) > 0)
  const bytes = readFileSync(wal)
  bytes[50 * 150] ^= 0x40 // inside an early record; intact records follow
  writeFileSync(wal, bytes)
  await assert.rejects(open(dir), (e) => e.code === 'TDB_CORRUPT' && /intact record/.test(e.message))
  const db = await open(dir, { repair: true })
  assert.equal(db.recovery.wal, 'corruption')
  assert.ok(db.recovery.recordsDropped > 100, JSON.stringify(db.recovery))
  assert.equal(db.recovery.recordsReplayed + db.recovery.recordsDropped, 199)
  assert.equal(await db.get('k0000'), 'v'.repeat(100))
  await db.close()
  cleanup()
})

test('readOnly opens a folder without writing to it and refuses writes', async () => {
  const { dir, cleanup } = tempDir('readonly')
  let db = await open(dir)
  await db.put('k', 'v')
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY)')
  await db.close()
  rmSync(join(dir, 'LOCK'), { force: true })
  const before = readdirSync(dir).sort()
  db = await open(dir, { readOnly: true })
  assert.equal(await db.get('k'), 'v')
  assert.deepEqual(await db.sql('SELECT count(*) AS n FROM t'), [{ n: 0 }])
  await assert.rejects(db.put('k', 'w'), { code: 'TDB_READ_ONLY' })
  await assert.rejects(db.sql('INSERT INTO t VALUES (1)'), { code: 'TDB_READ_ONLY' })
  await db.close()
  assert.deepEqual(readdirSync(dir).sort(), before, 'no file created or changed')
  cleanup()
})

test('db.check(), CHECK DATABASE and tensordb check verify checksums and indexes', async () => {
  const { dir, cleanup } = tempDir('check')
  let db = await open(dir, { memtableBytes: 64 * 1024 })
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)')
  await db.sql('CREATE INDEX t_n ON t (n)')
  for (let i = 0; i < 10; i++) {
    await db.sql(`INSERT INTO t VALUES ${Array.from({ length: 300 }, (_, j) => `(${i * 300 + j}, ${j})`).join(',')}`)
  }
  await db.close()
  db = await open(dir)
  const progress = []
  const report = await db.check({ onProgress: (done, total) => progress.push([done, total]), progressMs: 1 })
  assert.equal(report.ok, true, JSON.stringify(report))
  assert.ok(report.tables > 0 && report.blocks > 0 && report.indexes === 1)
  assert.ok(progress.length > 0 && progress.at(-1)[0] === report.bytes)
  assert.deepEqual(await db.sql('CHECK DATABASE'), [{ check: 'ok' }])
  await db.close()
  const out = execFileSync(process.execPath, [join(import.meta.dirname, '../bin/tensordb.mjs'), 'check', dir], { stdio: ['ignore', 'pipe', 'ignore'] })
  assert.equal(JSON.parse(out.toString()).ok, true)
  // A flipped byte in a data block is found.
  const { readFileSync, writeFileSync } = await import('node:fs')
  const sst = readdirSync(dir).filter((n) => n.endsWith('.sst'))[0]
  const bytes = readFileSync(join(dir, sst))
  bytes[10] ^= 0x01
  writeFileSync(join(dir, sst), bytes)
  db = await open(dir)
  const bad = await db.check()
  assert.equal(bad.ok, false)
  assert.match(bad.problems[0], /checksum/)
  await db.close()
  cleanup()
})
