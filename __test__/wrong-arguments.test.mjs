// Every public method called with every wrong type (issue #15): each call
// either works or fails with a TensorError whose code is stable and not
// TDB_INTERNAL ("this is a bug"); the process stays alive throughout.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open, TensorError } from 'tensordb'
import { settle, tempDir } from './helpers.mjs'

const cyclic = {}
cyclic.self = cyclic
const BAD = [
  ['null', null],
  ['undefined', undefined],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-1', -1],
  ['1.5', 1.5],
  ['string number', '12'],
  ['plain object', { a: 1 }],
  ['cyclic object', cyclic],
  ['huge bigint', 2n ** 100n],
  ['symbol', Symbol('s')],
  ['function', () => 1],
  ['empty array', []],
  ['Date NaN', new Date(NaN)],
  ['100 MB string', 'x'.repeat(100 << 20)],
]


async function coded(label, f) {
  try {
    await settle(f())
  } catch (e) {
    if (!(e instanceof TensorError)) return `${label}: threw ${e?.constructor?.name}: ${e?.message}`
    if (e.code === 'TDB_INTERNAL') return `${label}: TDB_INTERNAL: ${e.message}`
  }
  return null
}

test('every public method with every wrong argument type fails with a stable code', async () => {
  const { dir, cleanup } = tempDir('wrongargs')
  const db = await open(dir)
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
  const stmt = db.prepare('SELECT * FROM t WHERE id = $1')
  // Each entry: a name and a call taking the bad value in one position.
  const calls = [
    ['put key', (x) => db.put(x, 'v')],
    ['put value', (x) => db.put('k', x)],
    ['put options', (x) => db.put('k', 'v', x)],
    ['put validFrom', (x) => db.put('k', 'v', { validFrom: x })],
    ['delete key', (x) => db.delete(x)],
    ['delete options', (x) => db.delete('k', x)],
    ['batch', (x) => db.batch(x)],
    ['batch op', (x) => db.batch([x])],
    ['batch key', (x) => db.batch([{ type: 'put', key: x, value: 1 }])],
    ['get key', (x) => db.get(x)],
    ['get options', (x) => db.get('k', x)],
    ['get asOf', (x) => db.get('k', { asOf: x })],
    ['get validAt', (x) => db.get('k', { validAt: x })],
    ['getSync asOf', (x) => db.getSync('k', { asOf: x })],
    ['scan options', (x) => db.scan(x)],
    ['scan prefix', (x) => db.scan({ prefix: x })],
    ['scan limit', (x) => db.scan({ limit: x })],
    ['scan start', (x) => db.scan({ start: x })],
    ['iterate pageSize', (x) => db.iterate({ pageSize: x })],
    ['iterate limit', (x) => db.iterate({ limit: x })],
    ['sql text', (x) => db.sql(x)],
    ['sql params', (x) => db.sql('SELECT 1', x)],
    ['sql param', (x) => db.sql('SELECT $1', [x])],
    ['sql options', (x) => db.sql('SELECT 1', [], x)],
    ['exec param', (x) => db.exec('SELECT $1', [x])],
    ['prepare', (x) => db.prepare(x)],
    ['statement all', (x) => stmt.all(x)],
    ['statement param', (x) => stmt.all([x])],
    ['statement get options', (x) => stmt.get([1], x)],
    ['statement iterate', (x) => stmt.iterate([x])],
    ['history key', (x) => db.history(x)],
    ['row history', (x) => db.history('t', x)],
    ['transaction fn', (x) => db.transaction(x)],
    ['transaction options', (x) => db.transaction(async () => 1, x)],
    ['changes options', (x) => db.changes(x)],
    ['changes prefix', (x) => db.changes({ prefix: x, from: 'beginning', signal: AbortSignal.timeout(50) })],
    ['selectFrom', (x) => db.selectFrom(x).selectAll()],
    ['where value', (x) => db.selectFrom('t').selectAll().where('id', '=', x)],
    ['asOf', (x) => db.selectFrom('t').selectAll().asOf(x)],
    ['insert values', (x) => db.insertInto('t').values(x)],
    // (A string path is a real folder name; only non-strings are wrong here.)
    ['open path', (x) => (typeof x === 'string' ? undefined : open(x).then((d) => d.close()))],
    ['open options', (x) => open(dir, x).then((d) => d.close())],
    ['open memtableBytes', (x) => open(dir, { memtableBytes: x }).then((d) => d.close())],
    ['open shards', (x) => open(dir, { shards: x }).then((d) => d.close())],
    ['open durability', (x) => open(dir, { durability: x }).then((d) => d.close())],
  ]
  const failures = []
  for (const [name, call] of calls) {
    for (const [label, bad] of BAD) {
      const f = await coded(`${name}(${label})`, () => call(bad))
      if (f !== null) failures.push(f)
    }
  }
  assert.deepEqual(failures, [])
  // Still alive and working.
  await db.put('alive', 'yes')
  assert.equal(await db.get('alive'), 'yes')
  await db.close()
  cleanup()
})
