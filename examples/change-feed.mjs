// Change feeds: a consumer follows key and SQL-table changes with for-await,
// stops, and resumes from its durable cursor where it left off.
//   node examples/change-feed.mjs
import { open } from 'tensordb'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'tensordb-feed-'))
let db = await open(dir)
await db.sql('CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT, qty INTEGER)')

// A consumer of the orders table, started before the writes: it waits.
const consumer = (async () => {
  const seen = []
  for await (const c of db.changes({ table: 'orders', cursor: 'shipping' })) {
    seen.push(`${c.type} #${c.row?.id ?? c.oldRow?.id}: ${JSON.stringify(c.oldRow)} -> ${JSON.stringify(c.row)}`)
    if (seen.length === 3) break // acknowledges the three it processed
  }
  return seen
})()

await db.sql(`INSERT INTO orders VALUES (1, 'tea', 2), (2, 'cups', 6)`)
await db.sql('UPDATE orders SET qty = 3 WHERE id = 1')
console.log('first run of the consumer:')
for (const line of await consumer) console.log('  ' + line)

// More writes while nobody listens, then a restart.
await db.sql('DELETE FROM orders WHERE id = 2')
await db.put('note:1', 'keys have feeds too')
await db.close()
db = await open(dir)
console.log('after a restart, the cursor resumes:')
for await (const c of db.changes({ table: 'orders', cursor: 'shipping' })) {
  console.log(`  ${c.type} #${c.oldRow?.id} at system time ${c.systemTime}`)
  break
}
for await (const c of db.changes({ prefix: 'note:', from: 'beginning' })) {
  console.log(`  key feed: ${c.key} = ${JSON.stringify(c.value)}`)
  break
}
await db.close()
rmSync(dir, { recursive: true, force: true })
