// Streaming `db.iterate(sql)` (issue #16): time to the first row and how
// much the process grows (peak RSS - RSS before) while iterating N rows,
// streamed (a one-table query) against computed whole (ORDER BY of a
// non-indexed column forces the whole result first).
// Usage: N=10000000 node iterate-memory.mjs  (after npm run build at the root)
import { open } from '../dist/esm/index.mjs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const N = Number(process.env.N ?? 2000000)
const db = await open(mkdtempSync(join(tmpdir(), 'tdb-iter-')))
await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, v REAL)')
const t0 = performance.now()
for (let i = 0; i < N; i += 50000) {
  await db.sql(`INSERT INTO t VALUES ${Array.from({ length: Math.min(50000, N - i) }, (_, j) => `(${i + j}, 'row${i + j}', ${j}.5)`).join(',')}`)
}
console.log(`loaded ${N} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s; RSS now ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`)
async function measure(name, sql) {
  globalThis.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 20)
  const start = performance.now()
  let first = 0, n = 0, sum = 0
  try {
    for await (const r of db.iterate(sql)) {
      if (n++ === 0) first = performance.now() - start
      sum += r.v
      if ((n & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().rss)
    }
  } catch (e) {
    clearInterval(timer)
    console.log(`${name}: failed after ${((performance.now() - start) / 1000).toFixed(2)} s, RSS grew ${((Math.max(peak, process.memoryUsage().rss) - before) / 2 ** 20).toFixed(0)} MiB: ${e.code} ${e.message}`)
    return
  }
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage().rss)
  const total = performance.now() - start
  console.log(`${name}: ${n} rows, first row ${first.toFixed(1)} ms, total ${(total / 1000).toFixed(2)} s, RSS grew ${((peak - before) / 2 ** 20).toFixed(0)} MiB (checksum ${sum})`)
}
await measure('streamed  SELECT * FROM t', 'SELECT * FROM t')
await measure('streamed  SELECT … WHERE v > 100', 'SELECT id, s, v FROM t WHERE v > 100')
if (process.env.WHOLE !== '0') await measure('whole     SELECT * FROM t ORDER BY v', 'SELECT * FROM t ORDER BY v')
await db.close()
