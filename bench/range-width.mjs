// Fixed vs per-row cost of an indexed range: the sql.mjs table, ranges of
// 0, 1, 10 and 100 rows, TensorDB and better-sqlite3 alternating per width
// (second of two passes reported).   node range-width.mjs
import { N, loadPair } from './pair.mjs'
const { db, bs, close } = await loadPair('width')
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
await close()
