// Node random-argument fuzzer (issue #15): random SDK calls with random
// (mostly wrong) arguments for FUZZ_MS milliseconds (default 15 s; see
// scripts/fuzz.sh node for long runs). Every call must settle with a result
// or a TensorError whose code is not TDB_INTERNAL; the process must live.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open, TensorError } from 'tensordb'
import { settle, tempDir } from './helpers.mjs'

let seed = Number(process.env.FUZZ_SEED ?? 12345) >>> 0 || 1
function rand(n) {
  // xorshift32
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  seed >>>= 0
  return seed % n
}
const pick = (xs) => xs[rand(xs.length)]

const cyclic = {}
cyclic.self = cyclic
const ATOMS = [
  null, undefined, NaN, Infinity, -Infinity, -1, 0, 1.5, 2 ** 53, '12', '', 'k', 'x'.repeat(1 << 16),
  {}, { a: 1 }, cyclic, [], [1, 'a'], 2n ** 70n, -5n, Symbol('s'), () => 1, new Date(NaN), new Date(0),
  Buffer.from([0xff, 0xfe, 1]), Buffer.from([0x61, 0xff]), new Uint8Array(3), true, false,
  { asOf: null }, { asOf: { epoch: -1 } }, { validAt: 'not a date' }, { limit: -2 }, { prefix: 5 },
  { pageSize: 0 }, { signal: 'nope' }, { retries: -1 }, { type: 'put', key: 1 }, [{ type: 'bogus' }],
  'SELECT 1', 'SELECT * FROM t WHERE id = $1', 'INSERT INTO t VALUES ($1, $2)', 'SELEC', 'SELECT $9',
]

function arg() {
  if (rand(4) === 0) return { [pick(['asOf', 'validAt', 'limit', 'prefix', 'start', 'keys', 'reverse', 'signal', 'validFrom'])]: pick(ATOMS) }
  return pick(ATOMS)
}


test('random SDK calls with random arguments never crash or report TDB_INTERNAL', async () => {
  const { dir, cleanup } = tempDir('fuzzargs')
  const db = await open(dir)
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
  const stmt = db.prepare('SELECT * FROM t WHERE id = $1')
  const methods = [
    (a, b, c) => db.put(a, b, c), (a, b) => db.delete(a, b), (a) => db.batch(a), (a, b) => db.get(a, b),
    (a, b) => db.getSync(a, b), (a) => db.scan(a), (a) => db.iterate(a), (a, b, c) => db.sql(a, b, c),
    (a, b, c) => db.exec(a, b, c), (a) => db.prepare(a), (a, b) => stmt.all(a, b), (a, b) => stmt.get(a, b),
    (a, b) => stmt.run(a, b), (a) => stmt.iterate(a), (a, b) => db.history(a, b),
    (a) => db.transaction(async (tx) => tx.sql(a)), (a) => db.changes(a), (a) => db.selectFrom(a).selectAll(),
    (a, b) => db.selectFrom('t').selectAll().where('id', a, b), (a) => db.insertInto('t').values(a),
    (a) => db.selectFrom('t').selectAll().asOf(a), (a, b) => db.updateTable('t').set(a).where('id', '=', b),
  ]
  const ms = Number(process.env.FUZZ_MS ?? 15000)
  const until = Date.now() + ms
  const failures = []
  let calls = 0
  while (Date.now() < until && failures.length < 10) {
    const i = rand(methods.length)
    const args = [arg(), arg(), arg()]
    try {
      await settle(methods[i](...args), 50, 2)
    } catch (e) {
      if (!(e instanceof TensorError) || e.code === 'TDB_INTERNAL') {
        failures.push(`method ${i} args ${args.map((a) => (typeof a === 'symbol' ? 'Symbol' : String(a).slice(0, 40))).join(' | ')}: ${e?.constructor?.name} ${e?.code} ${e?.message}`)
      }
    }
    calls++
  }
  console.log(`fuzz-arguments: ${calls} calls in ${ms} ms, ${failures.length} failure(s)`)
  assert.deepEqual(failures, [])
  await db.put('alive', 'yes')
  assert.equal(await db.get('alive'), 'yes')
  await db.close()
  cleanup()
})
