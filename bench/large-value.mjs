// Reads next to a huge value (issue #15): time of a prefix scan, a SQL
// count and a point get before and after a 200 MB value is stored and
// flushed under a neighbouring key. Usage: node large-value.mjs (after
// npm run build at the root).
import { open } from '../dist/esm/index.mjs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'tdb-big-'))
const db = await open(dir)
await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)')
await db.sql(`INSERT INTO t VALUES ${Array.from({ length: 1000 }, (_, i) => `(${i}, 'x')`).join(',')}`)
for (let i = 0; i < 1000; i++) await db.put(`a${i}`, 'v')
const time = async (name, f, n = 20) => {
  const t = performance.now()
  for (let i = 0; i < n; i++) await f()
  console.log(`| ${name} | ${((performance.now() - t) / n).toFixed(2)} ms |`)
}
const round = async (when) => {
  console.log(`\n${when}\n\n| read | mean of 20 |\n|---|---:|`)
  await time("scan({ prefix: 'a' })", () => db.scan({ prefix: 'a' }))
  await time('SELECT count(*) FROM t', () => db.sql('SELECT count(*) FROM t'))
  await time("get('a1')", () => db.get('a1'))
}
await round('before')
await db.put('zbig', Buffer.alloc(200 << 20, 7))
await db.flush()
await round("after put('zbig', 200 MB) and flush")
await db.close()
rmSync(dir, { recursive: true, force: true })
