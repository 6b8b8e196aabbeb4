// Cross-process behaviour: the folder lock, and kill -9 durability through
// the SDK (the Rust suite runs 50+ kill cycles; this checks the JS path).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

function child(dir, body) {
  const src = `const { open } = require('tensordb'); (async () => { const db = await open(${JSON.stringify(dir)}); ${body} })()`
  const p = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: p.stdout })
  return { p, lines }
}

test('a folder held by another process is TDB_LOCKED', async () => {
  const { dir, cleanup } = tempDir('lock')
  const { p, lines } = child(dir, `console.log('ready'); setInterval(() => {}, 1000)`)
  for await (const l of lines) if (l === 'ready') break
  await assert.rejects(open(dir), (e) => {
    assert.equal(e.code, 'TDB_LOCKED')
    assert.match(e.message, /another process/)
    return true
  })
  p.kill('SIGKILL')
  await new Promise((r) => p.once('exit', r))
  const db = await open(dir)
  await db.close()
  cleanup()
})

test('kill -9 keeps every acknowledged write', async () => {
  const { dir, cleanup } = tempDir('kill9')
  const acked = []
  for (let cycle = 0; cycle < 5; cycle++) {
    const { p, lines } = child(
      dir,
      `let i = 0; for (;;) { const ks = Array.from({ length: 8 }, (_, j) => 'c${cycle}-' + (i + j)); i += 8;
        await Promise.all(ks.map((k) => db.put(k, { k, pad: 'x'.repeat(50) }).then(() => console.log('ack ' + k)))) }`,
    )
    const reader = (async () => {
      for await (const l of lines) if (l.startsWith('ack ')) acked.push(l.slice(4))
    })()
    await new Promise((r) => setTimeout(r, 150 + cycle * 40))
    p.kill('SIGKILL')
    await new Promise((r) => p.once('exit', r))
    await reader
    const db = await open(dir)
    for (const k of acked) assert.deepEqual(await db.get(k), { k, pad: 'x'.repeat(50) }, `lost ${k}`)
    for (const e of await db.scan()) assert.deepEqual(e.value, { k: e.key, pad: 'x'.repeat(50) })
    await db.close()
  }
  assert.ok(acked.length > 0)
  cleanup()
})

test('the event loop keeps running during a large scan', async () => {
  const { dir, cleanup } = tempDir('loop')
  const db = await open(dir)
  const ops = Array.from({ length: 20000 }, (_, i) => ({ type: 'put', key: `row:${String(i).padStart(6, '0')}`, value: 'v'.repeat(100) }))
  await db.batch(ops)
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const scans = []
  for (let i = 0; i < 20; i++) scans.push(db.scan({ prefix: 'row:' }))
  const results = await Promise.all(scans)
  clearInterval(timer)
  assert.ok(results.every((r) => r.length === 20000))
  assert.ok(ticks > 0, 'timers fired while scans ran on engine threads')
  await db.close()
  cleanup()
})
