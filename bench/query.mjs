// The query-engine workloads of issue #16, side by side in one process:
// TensorDB, better-sqlite3 (WAL, synchronous=FULL: durable like TensorDB's
// default) and DuckDB (for the analytical shapes). Same data, random keys;
// each workload runs ROUNDS times per engine, interleaved, and the median
// is reported with its spread (min–max) and the ratio to better-sqlite3.
//   cd bench && npm install && node query.mjs       (after npm run build at the root)
//   BENCH_ROWS=100000 BENCH_ROUNDS=5 node query.mjs
import { open as openTdb } from '../dist/esm/index.mjs'
import BetterSqlite from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const N = Number(process.env.BENCH_ROWS ?? 100_000)
const J = 1_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
let duck = null
try {
  duck = await import('@duckdb/node-api')
} catch {
  console.error('@duckdb/node-api not installed: DuckDB column left empty')
}

let seed = 12345
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const now = () => Number(process.hrtime.bigint()) / 1e6 // ms
// Rows: id, grp (100 groups), val (REAL), score (non-indexed, random), k (indexed, random), name.
const perm = Array.from({ length: N }, (_, i) => i)
for (let i = N - 1; i > 0; i--) {
  const j = rnd(i + 1)
  ;[perm[i], perm[j]] = [perm[j], perm[i]]
}
const row = (i) => [i, i % 100, (i % 1000) / 10, perm[i], (perm[i] * 7) % N, `name-${i}`]
const SCHEMA = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, grp INTEGER, val REAL, score INTEGER, k INTEGER, name TEXT)',
  'CREATE INDEX t_k ON t(k)',
  'CREATE TABLE d (id INTEGER PRIMARY KEY, label TEXT, w INTEGER)',
]
const Q = {
  count: 'SELECT count(*) AS n FROM t',
  topk: 'SELECT id, score FROM t ORDER BY score DESC LIMIT 10',
  group: 'SELECT grp, sum(val) AS s, avg(val) AS a, count(*) AS n FROM t GROUP BY grp',
  join: 'SELECT d.label, count(*) AS n, sum(t.val) AS s FROM t JOIN d ON d.id = t.id % 1000 WHERE d.w < 500 GROUP BY d.label',
  nested: 'SELECT count(*) AS n FROM d WHERE w IN (SELECT grp FROM t WHERE id < 1000 AND grp IN (SELECT w % 50 FROM d))',
  point: 'SELECT id, grp, val, score, k, name FROM t WHERE id = ?',
  range1: 'SELECT id, k FROM t WHERE k >= ? AND k < ?',
  insert: 'INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)',
}

function betterSqlite(dir) {
  const db = new BetterSqlite(join(dir, 'b.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  for (const s of SCHEMA) db.exec(s)
  const st = Object.fromEntries(Object.entries(Q).map(([k, q]) => [k, db.prepare(q)]))
  const ins10k = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)')
  return {
    name: 'better-sqlite3',
    load: () => {
      db.transaction(() => {
        for (let i = 0; i < N; i++) st.insert.run(...row(i))
        for (let i = 0; i < J; i++) db.prepare('INSERT INTO d VALUES (?, ?, ?)').run(i, `L${i % 10}`, i)
      })()
    },
    count: () => st.count.get().n,
    topk: () => st.topk.all(),
    group: () => st.group.all(),
    join: () => st.join.all(),
    nested: () => st.nested.get().n,
    point: (id) => st.point.get(id),
    range: (lo, width) => st.range1.all(lo, lo + width),
    insertMany: (base, n) => db.transaction(() => { for (let i = 0; i < n; i++) ins10k.run(...row(base + i)) })(),
    close: () => db.close(),
  }
}

async function tensor(dir) {
  const db = await openTdb(join(dir, 'tdb'))
  for (const s of SCHEMA) await db.sql(s)
  const st = Object.fromEntries(Object.entries(Q).map(([k, q]) => [k, db.prepare(q)]))
  return {
    name: 'tensordb',
    load: async () => {
      await db.transaction(async (tx) => {
        for (let i = 0; i < N; i++) await st.insert.run(row(i), { tx })
        for (let i = 0; i < J; i++) await db.sql('INSERT INTO d VALUES (?, ?, ?)', [i, `L${i % 10}`, i], { tx })
      })
    },
    count: async () => (await st.count.get()).n,
    topk: () => st.topk.all(),
    group: () => st.group.all(),
    join: () => st.join.all(),
    nested: async () => (await st.nested.get()).n,
    point: (id) => st.point.get([id]),
    range: (lo, width) => st.range1.all([lo, lo + width]),
    insertMany: (base, n) =>
      db.transaction(async (tx) => {
        for (let i = 0; i < n; i++) await st.insert.run(row(base + i), { tx })
      }),
    close: () => db.close(),
  }
}

async function duckdb(dir) {
  const inst = await duck.DuckDBInstance.create(join(dir, 'd.duckdb'))
  const c = await inst.connect()
  for (const s of SCHEMA.filter((s) => !s.startsWith('CREATE INDEX'))) await c.run(s)
  const all = async (q) => (await c.runAndReadAll(q)).getRowObjects()
  return {
    name: 'duckdb',
    load: async () => {
      const app = await c.createAppender('t')
      for (let i = 0; i < N; i++) {
        const r = row(i)
        app.appendInteger(r[0]); app.appendInteger(r[1]); app.appendDouble(r[2])
        app.appendInteger(r[3]); app.appendInteger(r[4]); app.appendVarchar(r[5]); app.endRow()
      }
      app.closeSync()
      for (let i = 0; i < J; i++) await c.run(`INSERT INTO d VALUES (${i}, 'L${i % 10}', ${i})`)
    },
    count: async () => Number((await all(Q.count))[0].n),
    topk: () => all(Q.topk),
    group: () => all(Q.group),
    join: () => all(Q.join),
    nested: async () => Number((await all(Q.nested))[0].n),
    close: () => c.closeSync?.(),
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tdb-query-'))
const engines = [await tensor(dir), betterSqlite(dir)]
if (duck) engines.push(await duckdb(dir))
const results = {}
for (const e of engines) {
  const t0 = now()
  await e.load()
  // One sample per engine (a second load would need a second database).
  results[`INSERT ${N} + ${J} rows, one transaction (ms, one run)`] ??= {}
  results[`INSERT ${N} + ${J} rows, one transaction (ms, one run)`][e.name] = [now() - t0]
}

// Same answers everywhere (the bench is meaningless otherwise).
for (const w of ['count', 'nested']) {
  const got = await Promise.all(engines.map((e) => e[w]()))
  if (new Set(got).size !== 1) throw new Error(`${w} disagrees: ${got}`)
}
for (const w of ['topk', 'group', 'join']) {
  const shapes = await Promise.all(engines.map(async (e) => JSON.stringify((await e[w]()).length)))
  if (new Set(shapes).size !== 1) throw new Error(`${w} row counts disagree: ${shapes}`)
}

// One round of a workload: ms per operation.
const W = [
  ['COUNT(*) over N rows (ms)', (e) => e.count, 1],
  ['ORDER BY non-indexed LIMIT 10 (ms)', (e) => e.topk, 1],
  ['GROUP BY 100 groups, SUM/AVG/COUNT (ms)', (e) => e.group, 1],
  ['JOIN N x 1k on an integer key, filter, aggregate (ms)', (e) => e.join, 1],
  ['nested uncorrelated IN (SELECT … IN (SELECT …)), 1k-row tables (ms)', (e) => e.nested, 1],
  ['prepared point SELECT by primary key (µs)', (e) => e.point && (() => e.point(rnd(N))), 2000],
  ['1-row indexed range (µs)', (e) => e.range && (() => e.range(rnd(N - 2), 1)), 2000],
  ['0-row indexed range (µs)', (e) => e.range && (() => e.range(N + rnd(N), 1)), 2000],
  ['100-row indexed range (µs)', (e) => e.range && (() => e.range(rnd(N - 200), 100)), 200],
]
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, pick, ops] of W) {
    for (const e of engines) {
      const f = pick(e)
      if (!f) continue
      const t0 = now()
      for (let i = 0; i < ops; i++) await f()
      const per = ((now() - t0) / ops) * (name.includes('µs') ? 1000 : 1)
      ;((results[name] ??= {})[e.name] ??= []).push(per)
    }
  }
  // Bulk writes: 10k single-row INSERT statements in one transaction.
  for (const e of engines.filter((e) => e.insertMany)) {
    const t0 = now()
    await e.insertMany(10 * N + r * 10_000, 10_000)
    ;((results['10k single-row INSERTs, one transaction (ms)'] ??= {})[e.name] ??= []).push(now() - t0)
  }
}
for (const e of engines) await e.close()
rmSync(dir, { recursive: true, force: true })

const names = engines.map((e) => e.name)
const fmt = (x) => (x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
console.log(`N = ${N}, ${ROUNDS} rounds, medians (min–max); ratio = tensordb / better-sqlite3`)
console.log(`| workload | ${names.join(' | ')} | ratio |`)
console.log(`|---|${names.map(() => '---').join('|')}|---|`)
for (const [w, per] of Object.entries(results)) {
  const cells = names.map((n) => (per[n] ? `${fmt(median(per[n]))} (${fmt(Math.min(...per[n]))}–${fmt(Math.max(...per[n]))})` : '—'))
  const ratio = per.tensordb && per['better-sqlite3'] ? (median(per.tensordb) / median(per['better-sqlite3'])).toFixed(2) : '—'
  console.log(`| ${w} | ${cells.join(' | ')} | ${ratio} |`)
}
console.log(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`)
