// The addon loads in many worker threads at once; opening one folder from
// several workers shares one engine instead of failing on the lock.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Worker } from 'node:worker_threads'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const { open } = require('tensordb')
;(async () => {
  const db = await open(workerData.dir)
  for (let i = 0; i < 50; i++) await db.put('w' + workerData.n + ':' + i, { n: workerData.n, i })
  const mine = await db.scan({ prefix: 'w' + workerData.n + ':' })
  await db.close()
  parentPort.postMessage(mine.length)
})().catch((e) => parentPort.postMessage('error ' + e.code + ' ' + e.message))
`

test('8 workers share one database folder', async () => {
  const { dir, cleanup } = tempDir('workers')
  const main = await open(dir)
  await main.put('from-main', true)
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, n) => {
      const w = new Worker(workerSource, { eval: true, workerData: { dir, n } })
      return new Promise((resolve, reject) => {
        w.once('message', resolve)
        w.once('error', reject)
      })
    }),
  )
  assert.deepEqual(results, Array(8).fill(50))
  const all = await main.scan({ prefix: 'w' })
  assert.equal(all.length, 400)
  assert.equal(await main.get('from-main'), true)
  await main.close()
  // Every handle closed: the folder can be opened fresh.
  const again = await open(dir)
  assert.equal((await again.scan({ prefix: 'w' })).length, 400)
  await again.close()
  cleanup()
})

test('workers that exit without closing do not crash the process', async () => {
  const { dir, cleanup } = tempDir('worker-exit')
  const src = `
    const { open } = require('tensordb')
    open(${JSON.stringify(dir)}).then(async (db) => { await db.put('k', 'v'); process.exit(0) })
  `
  for (let i = 0; i < 4; i++) {
    const w = new Worker(src, { eval: true })
    await new Promise((resolve) => w.once('exit', resolve))
  }
  const db = await open(dir)
  assert.equal(await db.get('k'), 'v')
  await db.close()
  cleanup()
})
