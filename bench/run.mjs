// Side-by-side Node benchmarks: TensorDB vs better-sqlite3 (WAL), lmdb-js and
// classic-level, same data, same process, medians of repeated runs.
//   node run.mjs                 # 50k-key set + 2M-key set
//   BENCH_BIG=0 node run.mjs     # skip the 2M set
import { open as openTdb } from '../dist/esm/index.mjs'
import Database from 'better-sqlite3'
import { open as openLmdb } from 'lmdb'
import { ClassicLevel } from 'classic-level'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SMALL = 50_000
const BIG = Number(process.env.BENCH_BIG ?? 2_000_000)
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5)
const key = (i) => `user:${String(i).padStart(8, '0')}`
const value = Buffer.alloc(100, 'v')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const now = () => Number(process.hrtime.bigint()) / 1000 // µs
let seed = 12345
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
}

async function measure(label, ops, fn) {
  const runs = []
  for (let r = 0; r < REPEAT; r++) {
    const t0 = now()
    await fn()
    runs.push((now() - t0) / ops)
  }
  return median(runs)
}

// ---- engine adapters: each exposes the same operations ----
async function tensordb(dir) {
  const db = await openTdb(dir)
  return {
    name: 'tensordb',
    async load(n) {
      for (let i = 0; i < n; i += 5000) {
        const ops = []
        for (let j = i; j < Math.min(n, i + 5000); j++) ops.push({ type: 'put', key: key(j), value })
        await db.batch(ops)
      }
      await db.flush()
    },
    put: (k) => db.put(k, value),
    getSync: (k) => db.getSync(k),
    get: (k) => db.get(k),
    scan: (start) => db.scan({ start, limit: 1000 }),
    close: () => db.close(),
    reopen: async () => {
      const d = await openTdb(dir)
      await d.get(key(1))
      await d.close()
    },
  }
}

async function sqlite(dir) {
  const path = join(dir, 'db.sqlite')
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID')
  const ins = db.prepare('INSERT OR REPLACE INTO kv VALUES (?, ?)')
  const sel = db.prepare('SELECT v FROM kv WHERE k = ?').pluck()
  const range = db.prepare('SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT 1000')
  const many = db.transaction((ks) => {
    for (const k of ks) ins.run(k, value)
  })
  return {
    name: 'better-sqlite3',
    async load(n) {
      const ks = []
      for (let i = 0; i < n; i++) ks.push(key(i))
      for (let i = 0; i < n; i += 50000) many(ks.slice(i, i + 50000))
    },
    put: (k) => ins.run(k, value),
    putMany: (ks) => many(ks),
    getSync: (k) => sel.get(k),
    get: async (k) => sel.get(k),
    scan: async (start) => range.all(start),
    close: () => db.close(),
    reopen: async () => {
      const d = new Database(path)
      d.prepare('SELECT v FROM kv WHERE k = ?').pluck().get(key(1))
      d.close()
    },
  }
}

async function lmdb(dir) {
  const db = openLmdb({ path: join(dir, 'lmdb'), encoding: 'binary' })
  return {
    name: 'lmdb',
    async load(n) {
      for (let i = 0; i < n; i += 10000) {
        await db.transaction(() => {
          for (let j = i; j < Math.min(n, i + 10000); j++) db.put(key(j), value)
        })
      }
    },
    put: (k) => db.put(k, value),
    getSync: (k) => db.get(k),
    get: async (k) => db.get(k),
    scan: async (start) => [...db.getRange({ start, limit: 1000 })],
    close: () => db.close(),
    reopen: async () => {
      const d = openLmdb({ path: join(dir, 'lmdb'), encoding: 'binary' })
      d.get(key(1))
      await d.close()
    },
  }
}

async function level(dir) {
  const db = new ClassicLevel(join(dir, 'level'), { valueEncoding: 'buffer' })
  await db.open()
  return {
    name: 'classic-level',
    async load(n) {
      for (let i = 0; i < n; i += 10000) {
        const ops = []
        for (let j = i; j < Math.min(n, i + 10000); j++) ops.push({ type: 'put', key: key(j), value })
        await db.batch(ops)
      }
    },
    put: (k) => db.put(k, value, { sync: true }),
    getSync: typeof db.getSync === 'function' ? (k) => db.getSync(k) : null,
    get: (k) => db.get(k),
    scan: async (start) => db.iterator({ gte: start, limit: 1000 }).all(),
    close: () => db.close(),
    reopen: async () => {
      const d = new ClassicLevel(join(dir, 'level'), { valueEncoding: 'buffer' })
      await d.open()
      await d.get(key(1))
      await d.close()
    },
  }
}

async function suite(n, rows, withWrites) {
  const makers = [tensordb, sqlite, lmdb, level]
  const results = {}
  for (const make of makers) {
    const dir = mkdtempSync(join(tmpdir(), 'tdb-bench-'))
    const e = await make(dir)
    const t0 = now()
    await e.load(n)
    const loadUs = now() - t0
    const r = (results[e.name] = { load: loadUs / n })
    if (withWrites) {
      let w = 0
      r.durablePutAwaitEach = await measure('put', 200, async () => {
        for (let i = 0; i < 200; i++) await e.put(`w:${w++}`)
      })
      r.durablePut64InFlight = await measure('put64', 64 * 40, async () => {
        for (let b = 0; b < 40; b++) {
          if (e.putMany) {
            const ks = []
            for (let i = 0; i < 64; i++) ks.push(`m:${w++}`)
            e.putMany(ks)
          } else {
            const ps = []
            for (let i = 0; i < 64; i++) ps.push(e.put(`m:${w++}`))
            await Promise.all(ps)
          }
        }
      })
    }
    // Warm every engine the same way before reads.
    for (let i = 0; i < Math.min(n, 200000); i++) await e.get(key(rnd(n)))
    if (e.getSync) {
      r.readSync = await measure('getSync', 100000, async () => {
        for (let i = 0; i < 100000; i++) {
          try {
            e.getSync(key(rnd(n)))
          } catch (err) {
            if (err.code !== 'TDB_WOULD_BLOCK') throw err
            await e.get(key(rnd(n)))
          }
        }
      })
    }
    r.readPromise64 = await measure('get64', 64 * 1000, async () => {
      for (let b = 0; b < 1000; b++) {
        const ps = []
        for (let i = 0; i < 64; i++) ps.push(e.get(key(rnd(n))))
        await Promise.all(ps)
      }
    })
    r.readPromise1 = await measure('get1', 10000, async () => {
      for (let i = 0; i < 10000; i++) await e.get(key(rnd(n)))
    })
    r.scan1000 = await measure('scan', 100, async () => {
      for (let i = 0; i < 100; i++) {
        const got = await e.scan(key(rnd(n - 1000)))
        if (got.length !== 1000) throw new Error(`${e.name} scan returned ${got.length}`)
      }
    })
    await e.close()
    if (rows) {
      r.openGetClose = await measure('reopen', 20, async () => {
        for (let i = 0; i < 20; i++) await e.reopen()
      })
    }
    rmSync(dir, { recursive: true, force: true })
  }
  return results
}

function table(title, results) {
  const names = Object.keys(results)
  const metrics = Object.keys(results[names[0]])
  console.log(`\n### ${title}\n`)
  console.log(`| workload (median µs/op) | ${names.join(' | ')} | tensordb / best peer |`)
  console.log(`|---|${names.map(() => '---:').join('|')}|---:|`)
  for (const m of metrics) {
    const cells = names.map((n) => (results[n][m] === undefined ? 'n/a' : results[n][m].toFixed(2)))
    const peers = names.filter((n) => n !== 'tensordb' && results[n][m] !== undefined).map((n) => results[n][m])
    const ratio = peers.length ? (results.tensordb[m] / Math.min(...peers)).toFixed(2) : 'n/a'
    console.log(`| ${m} | ${cells.join(' | ')} | ${ratio} |`)
  }
}

console.log(`# TensorDB Node benchmark — ${new Date().toISOString()} — node ${process.version}, repeat ${REPEAT}`)
table(`${SMALL.toLocaleString()} keys, 100-byte values`, await suite(SMALL, true, true))
if (BIG > 0) table(`${BIG.toLocaleString()} keys (reads mostly from table files)`, await suite(BIG, false, false))
