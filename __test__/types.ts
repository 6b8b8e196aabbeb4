// Type tests, checked by `tsc` (npm test runs it): the public types are what
// users code against.
import { open, Database, TensorError, ErrorCode, Entry, Fact, SystemTime, Value, RunResult, Transaction } from '../lib/index'

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false
type Expect<T extends true> = T

export async function typeChecks(): Promise<void> {
  const db: Database = await open('./x', { durability: 'buffered', syncIntervalMs: 5 })
  const t = await db.put('k', { a: 1 }, { validFrom: new Date(), validTo: null })
  type _t = Expect<Equal<typeof t, SystemTime>>
  const v = await db.get('k', { asOf: t, validAt: '2026-01-01' })
  type _v = Expect<Equal<typeof v, Value | undefined>>
  const rows = await db.scan({ prefix: 'k' })
  type _r = Expect<Equal<typeof rows, Entry<string>[]>>
  const brows = await db.scan({ prefix: 'k', keys: 'buffer' })
  type _b = Expect<Equal<typeof brows, Entry<Buffer>[]>>
  const h = await db.history('k')
  type _h = Expect<Equal<typeof h, Fact[]>>
  type _c = Expect<Equal<TensorError['code'], ErrorCode>>
  await db.get('k', { asOf: { epoch: 1 } })
  const typed = await db.sql<{ id: number; name: string }>('SELECT id, name FROM accounts WHERE id = $1', [1])
  type _s = Expect<Equal<typeof typed, { id: number; name: string }[]>>
  const tagged = await db.sql`SELECT ${1} AS x`
  type _g = Expect<Equal<typeof tagged, Record<string, unknown>[]>>
  const res = await db.exec('UPDATE accounts SET name = $1', ['x'])
  type _e = Expect<Equal<typeof res.changes, number>>
  const stmt = db.prepare<{ id: number }>('SELECT id FROM accounts WHERE id = ?')
  const one = await stmt.get([1])
  type _p = Expect<Equal<typeof one, { id: number } | undefined>>
  const run = await db.prepare('DELETE FROM accounts').run()
  type _u = Expect<Equal<typeof run, RunResult>>
  for await (const row of stmt.iterate([1])) {
    type _i = Expect<Equal<typeof row, { id: number }>>
  }
  const total = await db.transaction(async (tx: Transaction) => {
    await stmt.all([1], { tx })
    return (await tx.sql<{ n: number }>('SELECT count(*) AS n FROM accounts'))[0].n
  })
  type _x = Expect<Equal<typeof total, number>>
  // @ts-expect-error an unknown durability mode is rejected at compile time
  await open('./x', { durability: 'sometimes' })
  // @ts-expect-error batch ops need a type
  await db.batch([{ key: 'a', value: 1 }])
  await db.close()
}

// The query builder: a schema flows into table names, columns, where values
// and result rows; period columns are selectable, system time never written.
interface Shop {
  accounts: { id: number; name: string; balance: number; vip: boolean | null }
  price: { sku: string; cents: number }
}

export async function builderTypeChecks(): Promise<void> {
  const db = await open<Shop>('./x')
  const rows = await db.selectFrom('accounts').select(['id', 'name']).where('balance', '>', 500)
  type _sel = Expect<Equal<typeof rows, { id: number; name: string }[]>>
  const all = await db.selectFrom('price').selectAll().execute()
  type _all = Expect<Equal<typeof all, { sku: string; cents: number }[]>>
  const first = await db.selectFrom('accounts').select(['vip']).where('id', 'in', [1, 2]).executeTakeFirst()
  type _first = Expect<Equal<typeof first, { vip: boolean | null } | undefined>>
  const periods = await db.selectFrom('price').select(['sku', '_valid_from', '_system_to']).history()
  type _per = Expect<Equal<typeof periods, { sku: string; _valid_from: number | null; _system_to: number | null }[]>>
  const old = await db.selectFrom('accounts').select(['balance']).asOf(3).validAt(new Date())
  type _old = Expect<Equal<typeof old, { balance: number }[]>>
  const ins = await db.insertInto('price').values({ sku: 'a', cents: 1, _valid_from: new Date() })
  type _ins = Expect<Equal<typeof ins, RunResult>>
  const ret = await db.updateTable('accounts').set({ balance: 0 }).where('id', '=', 1).returning(['id', 'balance'])
  type _ret = Expect<Equal<typeof ret, { id: number; balance: number }[]>>
  const del = await db.deleteFrom('price').forPortionOf('2025-01-01', '2025-02-01').where('sku', '=', 'a')
  type _del = Expect<Equal<typeof del, RunResult>>
  // @ts-expect-error unknown table
  db.selectFrom('nope')
  // @ts-expect-error unknown column
  db.selectFrom('accounts').select(['nope'])
  // @ts-expect-error a where value of the wrong type
  db.selectFrom('accounts').where('balance', '>', 'lots')
  // @ts-expect-error system time is never written
  db.insertInto('price').values({ sku: 'a', _system_from: 1 })
  // @ts-expect-error set() takes the table's columns only
  db.updateTable('price').set({ _valid_to: 1 })
  // @ts-expect-error returning() names the table's columns
  db.deleteFrom('price').returning(['nope'])
  // Without a schema everything is loosely typed, as with db.sql().
  const loose = await (await open('./y')).selectFrom('anything').select(['x'])
  type _loose = Expect<Equal<typeof loose, { x: unknown }[]>>
}
