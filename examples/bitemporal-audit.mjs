// Bitemporal SQL in one run: a price list with a retroactive correction,
// what was known when, every version of a row, point-in-time recovery of a
// table, and a backup restored into a new database.
//   node examples/bitemporal-audit.mjs
import { open } from 'tensordb'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'tensordb-audit-'))
const db = await open(join(dir, 'db'))
await db.sql('CREATE TABLE price (sku TEXT PRIMARY KEY, cents INTEGER)')

// Prices for periods of valid time (when they were true).
await db.sql(`INSERT INTO price (sku, cents, _valid_from, _valid_to) VALUES ('tea', 400, '2025-01-01', '2026-01-01')`)
await db.sql(`INSERT INTO price (sku, cents, _valid_from) VALUES ('tea', 450, '2026-01-01')`)
const [{ epoch }] = await db.sql('ADVANCE EPOCH') // a named point in system time

// Later we learn that March 2025 was really 380: correct only that month.
await db.sql(`UPDATE price FOR PORTION OF VALID_TIME FROM '2025-03-01' TO '2025-04-01' SET cents = 380 WHERE sku = 'tea'`)

const at = (sql, params) => db.sql(sql, params).then((rows) => JSON.stringify(rows))
console.log('price on 2025-03-15 (as known now):    ', await at(`SELECT cents FROM price FOR VALID_TIME AS OF DATE '2025-03-15'`))
console.log('price on 2025-03-15 (as known at epoch):', await at(`SELECT cents FROM price AS OF EPOCH ${epoch} FOR VALID_TIME AS OF DATE '2025-03-15'`))
console.log('price on 2026-06-01:                   ', await at(`SELECT cents FROM price FOR VALID_TIME AS OF '2026-06-01'`))

console.log('\nthe valid-time timeline as known now:')
const us = (n) => (n === null ? '∞' : new Date(n / 1000).toISOString().slice(0, 10))
for (const r of await db.sql(`SELECT cents, _valid_from, _valid_to FROM price FOR VALID_TIME ALL ORDER BY _valid_from`)) {
  console.log(`  [${us(r._valid_from)}, ${us(r._valid_to)})  ${r.cents}`)
}

console.log('\nevery version of tea as written (db.history):')
for (const v of await db.history('price', 'tea')) {
  const replaced = v._system_to === null ? 'current' : `replaced in part at ${v._system_to}`
  console.log(`  ${v.cents} for [${us(v._valid_from)}, ${us(v._valid_to)}) written at ${v._system_from}, ${replaced}`)
}

// An accident, then point-in-time recovery of the table (history is kept).
// A plain DELETE applies from now on; the past periods stay as they were.
await db.sql(`DELETE FROM price`)
console.log('\nafter DELETE, rows now:', await at('SELECT count(*) AS n FROM price'))
await db.sql(`RESTORE TABLE price TO EPOCH ${epoch}`)
console.log(`after RESTORE TABLE price TO EPOCH ${epoch}, rows now:`, await at('SELECT count(*) AS n FROM price'))
console.log('  and March 2025 is 400 again (the correction came after the epoch):', await at(`SELECT cents FROM price FOR VALID_TIME AS OF '2025-03-15'`))

// A backup, verified and restored into a new database.
const file = join(dir, 'full.tdbbak')
const [info] = await db.sql(`BACKUP TO '${file}'`)
console.log(`\nbackup: ${info.commits} commits, ${info.facts} facts, up to epoch ${info.epoch}`)
await db.sql(`VERIFY BACKUP '${file}'`)
const copy = await open(join(dir, 'copy'))
await copy.sql(`RESTORE FROM '${file}'`)
console.log('restored copy, tea on 2025-03-15:', await copy.sql(`SELECT cents FROM price FOR VALID_TIME AS OF '2025-03-15'`).then((r) => r[0].cents))
console.log('restored copy, as of the epoch:  ', await copy.sql(`SELECT cents FROM price AS OF EPOCH ${epoch} FOR VALID_TIME AS OF '2025-03-15'`).then((r) => r[0].cents))

await copy.close()
await db.close()
rmSync(dir, { recursive: true, force: true })
