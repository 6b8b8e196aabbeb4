// Fixed vs per-row cost of an indexed range: the sql.mjs table, ranges of
// 0, 1, 10 and 100 rows, TensorDB and better-sqlite3 alternating per width
// (second of two passes reported).   node range-width.mjs
import { open } from '../dist/esm/index.mjs'
import BetterSqlite from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const N = 100000
const dir = mkdtempSync(join(tmpdir(), 'fx-'))
const db = await open(join(dir, 't'))
const bs = new BetterSqlite(join(dir, 'b.db')); bs.pragma('journal_mode = WAL')
for (const s of ['CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, a TEXT, b REAL, c INTEGER, d TEXT)', 'CREATE INDEX t_k ON t(k)']) { await db.sql(s); bs.exec(s) }
const row = (i) => [i, (i * 7919) % N, `name-${i}`, (i % 1000) / 10, i % 100, `tag-${i % 17}`]
const bins = bs.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)')
bs.transaction(() => { for (let i = 0; i < N; i++) bins.run(...row(i)) })()
for (let base = 0; base < N; base += 1000) {
  const vals = []; const params = []
  for (let i = base; i < base + 1000; i++) { vals.push('(?,?,?,?,?,?)'); params.push(...row(i)) }
  await db.sql(`INSERT INTO t VALUES ${vals.join(',')}`, params)
}
const tr = db.prepare('SELECT id, k, a, b, c FROM t WHERE k >= ? AND k < ?')
const br = bs.prepare('SELECT id, k, a, b, c FROM t WHERE k >= ? AND k < ?')
for (const width of [0, 1, 10, 100]) {
  const R = 2000
  for (let rep = 0; rep < 2; rep++) {
    let s = performance.now()
    for (let i = 0; i < R; i++) { const lo = width === 0 ? N + i : (i * 331) % (N - 200); await tr.all([lo, lo + width]) }
    const t = (performance.now() - s) * 1000 / R
    s = performance.now()
    for (let i = 0; i < R; i++) { const lo = width === 0 ? N + i : (i * 331) % (N - 200); br.all(lo, lo + width) }
    const b = (performance.now() - s) * 1000 / R
    if (rep) console.log(`width ${width}: tensordb ${t.toFixed(1)} µs, better-sqlite3 ${b.toFixed(1)} µs (${(t / b).toFixed(2)}x)`)
  }
}
await db.close(); bs.close(); rmSync(dir, { recursive: true, force: true })
