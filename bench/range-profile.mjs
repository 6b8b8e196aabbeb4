// The 100-row indexed range of sql.mjs, profiled in one process: loads
// 100,000 rows in 1,000-row statements, times 300 range queries from Node
// (median), shows EXPLAIN ANALYZE of one, and a SELECT 1 round trip.
// FLUSH=1 flushes before querying (rows in SSTables and the block cache
// instead of memtables). Used for the mimalloc and memtable figures in
// RESULTS.md:  node range-profile.mjs;  FLUSH=1 node range-profile.mjs
import { open } from '../dist/esm/index.mjs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const N = 100000
const dir = mkdtempSync(join(tmpdir(), 'rp-'))
const db = await open(dir)
await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, a TEXT, b REAL, c INTEGER, d TEXT)')
await db.sql('CREATE INDEX t_k ON t(k)')
const ins = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)')
let t0 = performance.now()
for (let base = 0; base < N; base += 1000) {
  const vals = []
  const params = []
  for (let i = base; i < base + 1000; i++) { vals.push('(?,?,?,?,?,?)'); params.push(i, (i * 7919) % N, `name-${i}`, (i % 1000) / 10, i % 100, `tag-${i % 17}`) }
  await db.sql(`INSERT INTO t VALUES ${vals.join(',')}`, params)
}
console.log('load ms', (performance.now() - t0).toFixed(0))
if (process.env.FLUSH) await db.flush()
const q = db.prepare('SELECT id, k, a, b, c FROM t WHERE k >= ? AND k < ?')
for (let i = 0; i < 200; i++) await q.all([i * 100, i * 100 + 100])
const times = []
for (let i = 0; i < 300; i++) { const lo = (i * 331) % (N - 200); const s = performance.now(); await q.all([lo, lo + 100]); times.push(performance.now() - s) }
times.sort((a, b) => a - b)
console.log('node all() median µs', (times[150] * 1000).toFixed(0))
const ex = await db.sql('EXPLAIN ANALYZE SELECT id, k, a, b, c FROM t WHERE k >= 5000 AND k < 5100')
for (const r of ex) console.log(r.plan, r.actual_rows, r.actual_ms)
const raw = []
for (let i = 0; i < 300; i++) { const lo = (i * 331) % (N - 200); const s = performance.now(); await db.exec('SELECT 1'); raw.push(performance.now() - s) }
raw.sort((a, b) => a - b)
console.log('round trip of SELECT 1 median µs', (raw[150] * 1000).toFixed(0))
await db.close()
rmSync(dir, { recursive: true, force: true })
