// SQL benchmarks from Node: TensorDB vs better-sqlite3 and libsql (both in WAL
// mode), same schema, data and queries, rows returned as objects. Medians of
// repeated runs; ratios are TensorDB / best peer (below 1 = TensorDB faster).
//   node sql.mjs
import { open as openTdb } from '../dist/esm/index.mjs'
import BetterSqlite from 'better-sqlite3'
import Libsql from 'libsql'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const N = Number(process.env.BENCH_ROWS ?? 100_000)
const JOIN_N = 10_000
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const now = () => Number(process.hrtime.bigint()) / 1000 // µs
let seed = 7
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
}
const row = (i) => [i, (i * 7919) % N, `name-${i}`, (i % 1000) / 10, i % 100, `tag-${i % 17}`]

const SCHEMA = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, a TEXT, b REAL, c INTEGER, d TEXT)',
  'CREATE INDEX t_k ON t(k)',
  'CREATE TABLE u (id INTEGER PRIMARY KEY, tid INTEGER, x INTEGER)',
]
const Q = {
  insert: 'INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)',
  insertU: 'INSERT INTO u VALUES (?, ?, ?)',
  point: 'SELECT id, k, a, b, c, d FROM t WHERE id = ?',
  range: 'SELECT id, k, a, b, c FROM t WHERE k >= ? AND k < ?',
  group: 'SELECT c, count(*) AS n, sum(b) AS s, avg(b) AS m FROM t GROUP BY c',
  join: 'SELECT count(*) AS n, sum(t.b) AS s FROM u JOIN t ON t.id = u.tid',
}

function sqliteLike(name, Driver, dir) {
  const db = new Driver(join(dir, `${name}.db`))
  db.pragma('journal_mode = WAL')
  for (const s of SCHEMA) db.exec(s)
  const st = Object.fromEntries(Object.entries(Q).map(([k, q]) => [k, db.prepare(q)]))
  return {
    name,
    insertAll: (n) => db.transaction(() => { for (let i = 0; i < n; i++) st.insert.run(...row(i)) })(),
    insertU: (n) => db.transaction(() => { for (let i = 0; i < n; i++) st.insertU.run(i, (i * 13) % N, i) })(),
    point: (id) => st.point.get(id),
    range: (lo) => st.range.all(lo, lo + 100),
    group: () => st.group.all(),
    join: () => st.join.get(),
    close: () => db.close(),
  }
}

async function tensor(dir) {
  const db = await openTdb(join(dir, 'tdb'))
  for (const s of SCHEMA) await db.sql(s)
  const st = Object.fromEntries(Object.entries(Q).map(([k, q]) => [k, db.prepare(q)]))
  return {
    name: 'tensordb',
    insertAll: (n) =>
      db.transaction(async (tx) => {
        for (let i = 0; i < n; i++) await st.insert.run(row(i), { tx })
      }),
    insertU: (n) =>
      db.transaction(async (tx) => {
        for (let i = 0; i < n; i++) await st.insertU.run([i, (i * 13) % N, i], { tx })
      }),
    point: (id) => st.point.get([id]),
    range: (lo) => st.range.all([lo, lo + 100]),
    group: () => st.group.all(),
    join: () => st.join.get(),
    close: () => db.close(),
  }
}

async function time(ops, fn, repeat = REPEAT) {
  const runs = []
  for (let r = 0; r < repeat; r++) {
    const t0 = now()
    for (let i = 0; i < ops; i++) await fn(i)
    runs.push((now() - t0) / ops)
  }
  return median(runs)
}

const dir = mkdtempSync(join(tmpdir(), 'tdb-sqlbench-'))
const engines = [await tensor(dir), sqliteLike('better-sqlite3', BetterSqlite, dir), sqliteLike('libsql', Libsql, dir)]
const results = {}
for (const e of engines) {
  const r = (results[e.name] = {})
  let t0 = now()
  await e.insertAll(N)
  r[`INSERT ${N} rows, one transaction (total ms)`] = (now() - t0) / 1000
  t0 = now()
  await e.insertU(JOIN_N)
  r[`INSERT ${JOIN_N} rows, one transaction (total ms)`] = (now() - t0) / 1000
  // sanity: same answers everywhere
  const check = await e.group()
  if (check.length !== 100) throw new Error(`${e.name}: GROUP BY returned ${check.length} groups`)
  const rg = await e.range(500)
  if (rg.length !== 100) throw new Error(`${e.name}: range returned ${rg.length} rows`)
  r['point SELECT by INTEGER PK, prepared (µs)'] = await time(20_000, () => e.point(rnd(N)))
  r['100-row indexed range SELECT, 5 columns (µs)'] = await time(50, () => e.range(rnd(N - 200)))
  r[`GROUP BY over ${N} rows (ms)`] = (await time(3, () => e.group())) / 1000
  r[`JOIN ${JOIN_N} x ${N} on the primary key (ms)`] = (await time(3, () => e.join())) / 1000
  await e.close()
}
rmSync(dir, { recursive: true, force: true })

const names = engines.map((e) => e.name)
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
console.log(`| workload | ${names.join(' | ')} | ratio (tensordb / best peer) |`)
console.log(`|---|${names.map(() => '---').join('|')}|---|`)
for (const w of Object.keys(results.tensordb)) {
  const vals = names.map((n) => results[n][w])
  const best = Math.min(...vals.slice(1))
  console.log(`| ${w} | ${vals.map(fmt).join(' | ')} | ${(vals[0] / best).toFixed(2)} |`)
}
