// The table side.mjs and range-width.mjs measure (sql.mjs's data: 100,000
// rows, an index on k whose values are a permutation of the ids), loaded
// into TensorDB (1,000-row INSERT statements) and better-sqlite3 (WAL, one
// transaction) in a fresh temporary folder.
import { open } from '../dist/esm/index.mjs'
import BetterSqlite from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const N = 100000

export async function loadPair(name) {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`))
  const db = await open(join(dir, 'tdb'))
  const bs = new BetterSqlite(join(dir, 'b.db'))
  bs.pragma('journal_mode = WAL')
  for (const s of ['CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, a TEXT, b REAL, c INTEGER, d TEXT)', 'CREATE INDEX t_k ON t(k)']) {
    await db.sql(s)
    bs.exec(s)
  }
  const row = (i) => [i, (i * 7919) % N, `name-${i}`, (i % 1000) / 10, i % 100, `tag-${i % 17}`]
  const bins = bs.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)')
  bs.transaction(() => { for (let i = 0; i < N; i++) bins.run(...row(i)) })()
  for (let base = 0; base < N; base += 1000) {
    const vals = []; const params = []
    for (let i = base; i < base + 1000; i++) { vals.push('(?,?,?,?,?,?)'); params.push(...row(i)) }
    await db.sql(`INSERT INTO t VALUES ${vals.join(',')}`, params)
  }
  const close = async () => {
    await db.close()
    bs.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return { db, bs, close }
}
