// Multi-statement text: time to prepare and to run N `;`-separated
// statements in one call, for growing N (issue #15: it must scale
// linearly). Usage: node multi-statement.mjs  (after npm run build at the root)
import { open } from '../dist/esm/index.mjs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'tdb-multi-'))
const db = await open(dir)
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1]
console.log('| statements | prepare ms | run ms | run µs / statement |')
console.log('|---:|---:|---:|---:|')
for (const n of [1000, 4000, 16000, 64000]) {
  const sql = Array.from({ length: n }, (_, i) => `SELECT ${i}`).join(';')
  const prep = []
  const run = []
  for (let r = 0; r < 3; r++) {
    let t = performance.now()
    db.prepare(sql)
    prep.push(performance.now() - t)
    t = performance.now()
    await db.sql(sql)
    run.push(performance.now() - t)
  }
  const p = median(prep)
  const x = median(run)
  console.log(`| ${n} | ${p.toFixed(0)} | ${x.toFixed(0)} | ${((x * 1000) / n).toFixed(1)} |`)
}
await db.close()
rmSync(dir, { recursive: true, force: true })
