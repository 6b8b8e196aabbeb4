// TensorDB quickstart: open a database, write facts, read them now and in
// the past, record a correction for a past period, and look at history.
//
//   npm run quickstart            # uses a fresh temp folder
//   node examples/quickstart.mjs ./my-data
import { open, toDate } from 'tensordb'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const folder = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'tensordb-quickstart-'))
const db = await open(folder)
console.log(`opened ${folder}`)

// Every write is an immutable fact; put() resolves (durably) to its system time.
const t1 = await db.put('account:alice', { balance: 100 })
console.log(`put alice=100        at system time ${t1} (${toDate(t1).toISOString()})`)
const t2 = await db.put('account:alice', { balance: 250 })
console.log(`put alice=250        at system time ${t2}`)
await db.batch([
  { type: 'put', key: 'account:bob', value: { balance: 40 } },
  { type: 'put', key: 'account:carol', value: { balance: 75 } },
])
console.log('batch: bob=40, carol=75 (atomic)')

console.log('now:              ', await db.get('account:alice'))
console.log('as of t1:         ', await db.get('account:alice', { asOf: t1 }))

// Valid time: we learn today that alice's balance was really 90 during January.
const jan = new Date('2026-01-01T00:00:00Z')
const feb = new Date('2026-02-01T00:00:00Z')
await db.put('account:alice', { balance: 90 }, { validFrom: jan, validTo: feb })
console.log('valid at Jan 15:  ', await db.get('account:alice', { validAt: '2026-01-15T00:00:00Z' }))
console.log('valid now:        ', await db.get('account:alice'))

const { epoch } = await db.advanceEpoch()
await db.delete('account:bob')
console.log(`epoch ${epoch} recorded; bob deleted`)
console.log('accounts now:     ', (await db.scan({ prefix: 'account:' })).map((e) => e.key).join(', '))
console.log(`accounts at epoch ${epoch}:`, (await db.scan({ prefix: 'account:', asOf: { epoch } })).map((e) => e.key).join(', '))

console.log('history of alice (newest first):')
for (const f of await db.history('account:alice')) {
  const valid = `[${toDate(f.validFrom).toISOString()}, ${f.validTo === null ? '∞' : toDate(f.validTo).toISOString()})`
  console.log(`  ${f.kind} ${JSON.stringify(f.value)} recorded ${f.systemFrom} valid ${valid}`)
}
await db.close()
console.log('closed')
