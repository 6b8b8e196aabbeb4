// Packaging: `npm pack` of the package and of its per-platform binary
// package (npm/<platform>/, the napi-rs layout) install into a fresh folder
// with no network and no compiler, and run there from CommonJS and ESM,
// subpath exports included.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const npmCli = process.env.npm_execpath // the npm running `npm test`, else `npm` on PATH

function npm(args, cwd) {
  if (npmCli !== undefined && npmCli.endsWith('.js')) {
    return execFileSync(process.execPath, [npmCli, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  }
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

test('npm pack installs into a fresh folder and runs there', { timeout: 180_000 }, async () => {
  const work = join(tmpdir(), `tdb-pack-${process.pid}`)
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work)
  const platformDir = join(root, 'npm', 'linux-x64-gnu')
  const binary = join(platformDir, 'tensordb.linux-x64-gnu.node')
  try {
    // The platform package carries the binary (as `napi artifacts` lays it out).
    copyFileSync(join(root, 'tensordb.linux-x64-gnu.node'), binary)
    npm(['pack', '--pack-destination', work, '--ignore-scripts'], platformDir)
    npm(['pack', '--pack-destination', work, '--ignore-scripts'], root)
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'))
    assert.equal(tarballs.length, 2, tarballs.join(', '))
    const main = tarballs.find((f) => f.startsWith('tensordb-0'))
    // The main package holds no binary: it comes from the platform package.
    const listing = execFileSync('tar', ['-tzf', join(work, main)], { encoding: 'utf8' })
    assert.ok(!listing.includes('.node'), listing)
    assert.ok(listing.includes('package/dist/esm/express.mjs') && listing.includes('package/bin/tensordb.mjs'), listing)

    const app = join(work, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
    npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs.map((t) => join(work, t))], app)
    writeFileSync(
      join(app, 'cjs.cjs'),
      `const { open } = require('tensordb')
const { errorHandler } = require('tensordb/express')
const { route } = require('tensordb/next')
;(async () => {
  const db = await open(require('path').join(__dirname, 'data'))
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
  await db.insertInto('t').values({ id: 1, v: 'packed' })
  const [row] = await db.selectFrom('t').selectAll()
  await db.close()
  console.log(JSON.stringify({ row, adapters: typeof errorHandler + typeof route }))
})()
`,
    )
    writeFileSync(
      join(app, 'esm.mjs'),
      `import { open } from 'tensordb'
import { changeStream } from 'tensordb/express'
const db = await open(new URL('./data', import.meta.url).pathname)
console.log(JSON.stringify({ rows: await db.sql('SELECT v FROM t'), adapter: typeof changeStream }))
await db.close()
`,
    )
    const cjs = JSON.parse(execFileSync(process.execPath, ['cjs.cjs'], { cwd: app, encoding: 'utf8' }))
    assert.deepEqual(cjs, { row: { id: 1, v: 'packed' }, adapters: 'functionfunction' })
    const esm = JSON.parse(execFileSync(process.execPath, ['esm.mjs'], { cwd: app, encoding: 'utf8' }))
    assert.deepEqual(esm, { rows: [{ v: 'packed' }], adapter: 'function' })
    // The command line is installed too.
    const types = execFileSync(join(app, 'node_modules', '.bin', 'tensordb'), ['generate-types', join(app, 'data')], { encoding: 'utf8' })
    assert.match(types, /t: \{\n {4}id: number\n {4}v: string \| null/)
  } finally {
    rmSync(binary, { force: true })
    rmSync(work, { recursive: true, force: true })
  }
})
