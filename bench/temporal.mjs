// Time-travel costs from Node (issue #4): a query AS OF an old epoch on a
// 100k-row table with 10 versions per row, against the same query now; and
// db.history(table, key) for a key with 1,000 versions. No peer offers these
// queries in-process, so the ratios are TensorDB against itself (the issue's
// targets: AS OF <= 2x now; history < 1 ms). Medians of repeated runs.
//   node temporal.mjs
import { open } from '../dist/esm/index.mjs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const N = Number(process.env.BENCH_ROWS ?? 100_000)
const REPEAT = Number(process.env.BENCH_REPEAT ?? 7)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const now = () => Number(process.hrtime.bigint()) / 1000 // µs

async function time(fn, n) {
  const xs = []
  for (let i = 0; i < n; i++) {
    const t0 = now()
    await fn()
    xs.push(now() - t0)
  }
  return median(xs)
}

const dir = mkdtempSync(join(tmpdir(), 'tdb-temporal-'))
const db = await open(dir)
await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, s TEXT)')
for (let lo = 0; lo < N; lo += 5000) {
  const values = []
  for (let i = lo; i < Math.min(N, lo + 5000); i++) values.push(`(${i}, 0, 'row-${i}')`)
  await db.sql(`INSERT INTO t VALUES ${values.join(',')}`)
}
const [{ epoch }] = await db.sql('ADVANCE EPOCH')
for (let version = 0; version < 9; version++) {
  for (let lo = 0; lo < N; lo += 10_000) {
    await db.sql('UPDATE t SET v = v + 1 WHERE id >= $1 AND id < $2', [lo, lo + 10_000])
  }
}
await db.sql('CREATE TABLE h (id INTEGER PRIMARY KEY, v INTEGER)')
await db.sql('INSERT INTO h VALUES (1, 0), (2, 0)')
const bump = db.prepare('UPDATE h SET v = v + 1 WHERE id = 1')
for (let i = 0; i < 999; i++) await bump.run()

const rows = []
const cell = (name, fast, slow) => rows.push({ name, now: fast, old: slow, ratio: slow / fast })
const scanNow = await time(() => db.sql('SELECT count(*) AS n, sum(v) AS s FROM t'), REPEAT)
const scanOld = await time(() => db.sql(`SELECT count(*) AS n, sum(v) AS s FROM t AS OF EPOCH ${epoch}`), REPEAT)
cell(`aggregate over ${N} rows (µs)`, scanNow, scanOld)
const rNow = db.prepare('SELECT id, v, s FROM t WHERE id >= $1 AND id < $2')
const rOld = db.prepare(`SELECT id, v, s FROM t AS OF EPOCH ${epoch} WHERE id >= $1 AND id < $2`)
let k = 0
const next = () => (k = (k + 7919) % (N - 100))
const rangeNow = await time(() => rNow.all([next(), k + 100]), 300)
const rangeOld = await time(() => rOld.all([next(), k + 100]), 300)
cell('100-row primary-key range (µs)', rangeNow, rangeOld)
const hist = await time(() => db.history('h', 1), 50)
const check = await db.history('h', 1)

console.log(`TensorDB time travel, ${N} rows x 10 versions; AS OF EPOCH ${epoch} (the first version)`)
console.log('| query | now | AS OF the first epoch | ratio |')
console.log('|---|---:|---:|---:|')
for (const r of rows) console.log(`| ${r.name} | ${r.now.toFixed(0)} | ${r.old.toFixed(0)} | ${r.ratio.toFixed(2)} |`)
console.log(`db.history('h', 1): ${check.length} versions from 1,000 facts, median ${hist.toFixed(0)} µs`)
await db.close()
rmSync(dir, { recursive: true, force: true })
