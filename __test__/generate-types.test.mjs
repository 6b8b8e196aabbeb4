// `tensordb generate-types` writes a schema type from a real database, and
// the query builder typechecks against it (tsc runs on a file using it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

const require = createRequire(import.meta.url)

test('generate-types writes the tables as a schema type the builder accepts', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir('gentypes')
  const db = await open(dir)
  await db.sql(`CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, balance REAL, vip BOOLEAN,
    opened TIMESTAMP, born DATE, doc JSON, photo BLOB, "Odd Name" TEXT)`)
  await db.sql('CREATE TABLE pairs (a INTEGER, b TEXT, PRIMARY KEY (a, b))')
  await db.sql('CREATE VIEW rich AS SELECT id FROM accounts WHERE balance > 100')
  assert.deepEqual((await db.tables()).map((t) => [t.name, t.columns.length]), [['accounts', 9], ['pairs', 2]])
  await db.close()

  const out = join('__test__', 'generated')
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out)
  try {
    execFileSync(process.execPath, ['bin/tensordb.mjs', 'generate-types', dir, '--out', join(out, 'schema.ts'), '--name', 'Shop'])
    const text = readFileSync(join(out, 'schema.ts'), 'utf8')
    assert.match(text, /export interface Shop \{/)
    for (const line of [
      'id: number',
      'name: string',
      'balance: number | null',
      'vip: boolean | null',
      'opened: Date | null',
      'born: string | null',
      'doc: unknown',
      'photo: Buffer | null',
      '"Odd Name": string | null',
      'a: number',
      'b: string',
    ]) {
      assert.ok(text.includes(`    ${line}\n`), `missing '${line}' in:\n${text}`)
    }
    writeFileSync(
      join(out, 'use.ts'),
      `import { open } from '../../lib/index'
import type { Shop } from './schema'
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false
type Expect<T extends true> = T
export async function f(): Promise<void> {
  const db = await open<Shop>('x')
  const rows = await db.selectFrom('accounts').select(['id', 'vip', 'opened']).where('balance', '>', 1)
  type _r = Expect<Equal<typeof rows, { id: number; vip: boolean | null; opened: Date | null }[]>>
  // @ts-expect-error no such column
  db.selectFrom('pairs').select(['c'])
}
`,
    )
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022', '--module', 'commonjs', '--moduleResolution', 'node', '--types', 'node', join(out, 'use.ts')], { stdio: 'pipe' })
    // A bad command line fails with a usage message.
    assert.throws(() => execFileSync(process.execPath, ['bin/tensordb.mjs', 'nope'], { stdio: 'pipe' }), /usage: tensordb generate-types/)
  } finally {
    rmSync(out, { recursive: true, force: true })
    cleanup()
  }
})
