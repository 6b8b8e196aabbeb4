// Side-by-side, interleaved rounds of the prepared point SELECT and the
// 100-row indexed range (sql.mjs's data) for TensorDB and better-sqlite3 in
// one process, so machine noise hits both alike. Prints the medians of the
// per-round ratios and of the timings.   node side.mjs  (COLD=1: see below)
import { N, loadPair } from './pair.mjs'
const { db, bs, close } = await loadPair('side')
const tp = db.prepare('SELECT id, k, a, b, c, d FROM t WHERE id = ?')
const bp = bs.prepare('SELECT id, k, a, b, c, d FROM t WHERE id = ?')
const tr = db.prepare('SELECT id, k, a, b, c FROM t WHERE k >= ? AND k < ?')
const br = bs.prepare('SELECT id, k, a, b, c FROM t WHERE k >= ? AND k < ?')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
// Many short rounds: the machine's speed drifts within seconds. The ranges
// cycle through the same 300 as sql.mjs (a hot set of 30,000 rows); COLD=1
// makes every range a new one (each row read about once).
const pick = process.env.COLD ? (i) => i : (i) => i % 300
const P = 3000, R = 50, ROUNDS = 40
const res = { tp: [], bp: [], tr: [], br: [] }
// Round 0 warms caches and the JIT for both and is not counted.
for (let round = 0; round <= ROUNDS; round++) {
  if (round === 1) for (const k of Object.keys(res)) res[k].length = 0
  let s = performance.now()
  for (let i = 0; i < P; i++) await tp.get([(i * 7919) % N])
  res.tp.push(((performance.now() - s) * 1000) / P)
  s = performance.now()
  for (let i = 0; i < P; i++) await bp.get((i * 7919) % N)
  res.bp.push(((performance.now() - s) * 1000) / P)
  s = performance.now()
  for (let j = 0; j < R; j++) { const i = pick(round * R + j); const lo = (i * 331) % (N - 200); await tr.all([lo, lo + 100]) }
  res.tr.push(((performance.now() - s) * 1000) / R)
  s = performance.now()
  for (let j = 0; j < R; j++) { const i = pick(round * R + j); const lo = (i * 331) % (N - 200); await br.all(lo, lo + 100) }
  res.br.push(((performance.now() - s) * 1000) / R)
}
const f = (x) => x.toFixed(1)
// Per-round ratios: the machine's speed drifts between rounds, and both
// engines of one round see the same drift.
const ratio = (a, b) => median(a.map((x, i) => x / b[i])).toFixed(2)
console.log(`median of per-round ratios: point ${ratio(res.tp, res.bp)}x; range ${ratio(res.tr, res.br)}x`)
console.log(`median: point ${f(median(res.tp))} vs ${f(median(res.bp))} (${(median(res.tp) / median(res.bp)).toFixed(2)}x); range ${f(median(res.tr))} vs ${f(median(res.br))} (${(median(res.tr) / median(res.br)).toFixed(2)}x)`)
await close()
