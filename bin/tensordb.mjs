#!/usr/bin/env node
// The tensordb command line:
//   tensordb generate-types <folder> [--out file.ts] [--name Database]
// writes the schema type of the database in <folder> for the query builder
// (to stdout without --out).
//   tensordb repair <folder>
// opens the database with { repair: true } (rebuilds a missing MANIFEST from
// the table files, cuts a corrupt WAL at the damage; deletes nothing) and
// prints what recovery did as JSON.
//   tensordb check <folder>
// verifies every checksum, the WAL and every index; prints the report as
// JSON and exits with 1 when it found a problem.
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { open, generateTypes } = require('../dist/cjs/index.js')

const usage =
  'usage: tensordb generate-types <folder> [--out file.ts] [--name Database]\n       tensordb repair <folder>\n       tensordb check <folder>'

async function check(folder) {
  const db = await open(folder, { readOnly: true })
  try {
    const report = await db.check({
      onProgress: (done, total) => process.stderr.write(`\rchecked ${done} of ${total} bytes`),
    })
    process.stderr.write('\n')
    process.stdout.write(JSON.stringify(report, null, 2) + '\n')
    if (!report.ok) process.exitCode = 1
  } finally {
    await db.close()
  }
}

async function repair(folder) {
  const db = await open(folder, { repair: true })
  try {
    process.stdout.write(JSON.stringify({ repaired: db.recovery !== null, recovery: db.recovery }, null, 2) + '\n')
  } finally {
    await db.close()
  }
}

async function main(argv) {
  const [command, folder, ...rest] = argv
  if (folder === undefined || folder.startsWith('-')) throw new Error(usage)
  if (command === 'repair' && rest.length === 0) return repair(folder)
  if (command === 'check' && rest.length === 0) return check(folder)
  if (command !== 'generate-types') throw new Error(usage)
  const opts = { out: undefined, name: 'Database' }
  for (let i = 0; i < rest.length; i += 2) {
    const v = rest[i + 1]
    if (v === undefined) throw new Error(usage)
    if (rest[i] === '--out') opts.out = v
    else if (rest[i] === '--name') opts.name = v
    else throw new Error(`unknown option ${rest[i]}\n${usage}`)
  }
  const db = await open(folder)
  try {
    const text = generateTypes(await db.tables(), opts.name)
    if (opts.out === undefined) process.stdout.write(text)
    else writeFileSync(opts.out, text)
  } finally {
    await db.close()
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`tensordb: ${e.code ? `${e.code}: ` : ''}${e.message}\n`)
  process.exitCode = 1
})
