// Packaging: `npm pack` of the package and of its per-platform binary
// package (npm/<platform>/, the napi-rs layout) install into a fresh folder
// with no network and no compiler, and run there from CommonJS and ESM,
// subpath exports included; and examples/next-app, with tensordb installed
// from those tarballs, builds and serves under a real Next.js server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { npm, packInto } from './helpers.mjs'

test('npm pack installs into a fresh folder and runs there', { timeout: 180_000 }, async () => {
  const work = join(tmpdir(), `tdb-pack-${process.pid}`)
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work)
  try {
    // The platform package carries the binary (as `napi artifacts` lays it out).
    const tarballs = packInto(work)
    assert.equal(tarballs.length, 2, tarballs.join(', '))
    // The main package holds no binary: it comes from the platform package.
    const listing = execFileSync('tar', ['-tzf', tarballs[0]], { encoding: 'utf8' })
    assert.ok(!listing.includes('.node'), listing)
    assert.ok(listing.includes('package/dist/esm/express.mjs') && listing.includes('package/bin/tensordb.mjs'), listing)

    const app = join(work, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
    npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], app)
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
    rmSync(work, { recursive: true, force: true })
  }
})

/** A free loopback port. */
function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

test('examples/next-app builds and serves under Next.js: route handlers, error statuses, SSE', { timeout: 300_000 }, async () => {
  const root = resolve(import.meta.dirname, '..')
  // Inside the repository, so Next.js finds itself and React in its
  // node_modules; tensordb is installed from the packed tarballs.
  const app = join(root, '.next-app-test')
  const packs = join(tmpdir(), `tdb-nextpack-${process.pid}`)
  rmSync(app, { recursive: true, force: true })
  rmSync(packs, { recursive: true, force: true })
  mkdirSync(packs)
  cpSync(join(root, 'examples', 'next-app', 'app'), join(app, 'app'), { recursive: true })
  cpSync(join(root, 'examples', 'next-app', 'next.config.mjs'), join(app, 'next.config.mjs'))
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'next-app-test', private: true }))
  const next = join(root, 'node_modules', 'next', 'dist', 'bin', 'next')
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TENSORDB_DIR: join(app, 'data') }
  let server
  try {
    npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', ...packInto(packs)], app)
    execFileSync(process.execPath, [next, 'build'], { cwd: app, env, stdio: 'pipe' })
    const port = await freePort()
    server = spawn(process.execPath, [next, 'start', '-p', String(port), '-H', '127.0.0.1'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] })
    await new Promise((ok, fail) => {
      let out = ''
      server.stdout.on('data', (d) => {
        out += d
        if (out.includes('Ready')) ok()
      })
      server.on('exit', (code) => fail(new Error(`next start exited ${code}: ${out}`)))
    })
    const base = `http://127.0.0.1:${port}`
    const post = (body) => fetch(`${base}/api/items`, { method: 'POST', body: JSON.stringify(body) })
    let r = await post({ id: 1, name: 'tea' })
    assert.equal(r.status, 201)
    assert.deepEqual(await r.json(), { id: 1 })
    assert.deepEqual(await (await fetch(`${base}/api/items`)).json(), [{ id: 1, name: 'tea' }])
    r = await post({ id: 1, name: 'dup' })
    assert.equal(r.status, 409)
    assert.equal((await r.json()).error.code, 'TDB_CONSTRAINT')
    const ac = new AbortController()
    const feed = await fetch(`${base}/api/feed`, { signal: ac.signal })
    assert.equal(feed.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const reader = feed.body.getReader()
    let text = ''
    await post({ id: 2, name: 'milk' })
    while ((text.match(/event: change/g) ?? []).length < 2) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    ac.abort()
    assert.deepEqual([...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]).row.name), ['tea', 'milk'])
  } finally {
    server?.kill()
    rmSync(app, { recursive: true, force: true })
    rmSync(packs, { recursive: true, force: true })
  }
})
