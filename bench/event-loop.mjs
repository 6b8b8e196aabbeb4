// Event-loop stalls while large results cross into JS (issue #15): the
// longest gap between 5 ms timer ticks (and monitorEventLoopDelay's max)
// during SELECT * / scan / prepared iterate of N rows.
// Usage: N=1000000 node event-loop.mjs  (after npm run build at the root)
import { open } from '../dist/esm/index.mjs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
const N = Number(process.env.N ?? 1000000)
const db = await open(mkdtempSync(join(tmpdir(), 'tdb-stall-')))
await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, v REAL)')
for (let i = 0; i < N; i += 10000) {
  await db.sql(`INSERT INTO t VALUES ${Array.from({ length: 10000 }, (_, j) => `(${i + j}, 'row${i + j}', ${j}.5)`).join(',')}`)
}
for (let i = 0; i < N; i += 10000) await db.batch(Array.from({ length: 10000 }, (_, j) => ({ type: 'put', key: `k${String(i + j).padStart(8, '0')}`, value: 'v' })))
async function measure(name, f) {
  let last = performance.now(), worst = 0
  const h = monitorEventLoopDelay({ resolution: 1 }); h.enable()
  const t = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now }, 5)
  const t0 = performance.now()
  const n = await f()
  const total = performance.now() - t0
  await new Promise((r) => setTimeout(r, 20))
  clearInterval(t); h.disable()
  worst = Math.max(worst, h.max / 1e6)
  console.log(`${name}: ${n} rows, ${total.toFixed(0)} ms total, worst stall ${worst.toFixed(0)} ms`)
}
await measure('busy 300ms (method check)', async () => { await new Promise((r) => setTimeout(r, 20)); const t = performance.now(); while (performance.now() - t < 300); return 0 })
await measure('SELECT *', async () => (await db.sql('SELECT * FROM t')).length)
await measure('scan', async () => (await db.scan({ prefix: 'k' })).length)
await measure('iterate prepared', async () => { let n = 0; for await (const r of db.prepare('SELECT * FROM t').iterate()) n++; return n })
await measure('small SELECT x1000', async () => { for (let i = 0; i < 1000; i++) await db.sql('SELECT * FROM t WHERE id = $1', [i]); return 1000 })
await db.close()
