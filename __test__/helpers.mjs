// Shared helpers for the JS tests.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** A fresh temporary folder path, and a cleanup function. */
export function tempDir(tag) {
  const dir = mkdtempSync(join(tmpdir(), `tensordb-js-${tag}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Runs npm (the one running `npm test` when known) in `cwd`. */
export function npm(args, cwd) {
  const cli = process.env.npm_execpath
  const [cmd, pre] = cli !== undefined && cli.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []]
  return execFileSync(cmd, [...pre, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/**
 * `npm pack` of the package and of its per-platform binary package into
 * `dest` (the binary copied into npm/<platform>/ as `napi artifacts` lays
 * it out, then removed); the two tarball paths, main first.
 */
export function packInto(dest) {
  const root = resolve(import.meta.dirname, '..')
  const platformDir = join(root, 'npm', 'linux-x64-gnu')
  const binary = join(platformDir, 'tensordb.linux-x64-gnu.node')
  try {
    copyFileSync(join(root, 'tensordb.linux-x64-gnu.node'), binary)
    npm(['pack', '--pack-destination', dest, '--ignore-scripts'], platformDir)
    npm(['pack', '--pack-destination', dest, '--ignore-scripts'], root)
  } finally {
    rmSync(binary, { force: true })
  }
  const tarballs = readdirSync(dest).filter((f) => f.endsWith('.tgz'))
  const main = tarballs.find((f) => f.startsWith('tensordb-0'))
  return [main, ...tarballs.filter((f) => f !== main)].map((f) => join(dest, f))
}

/**
 * Awaits a call's outcome: a Promise, a value, or an async iterable (drained
 * for a few steps; a step that waits longer than `stepMs` — a change feed
 * waiting for changes — ends the draining, it is not a failure).
 */
export async function settle(v, stepMs = 200, steps = 3) {
  if (v && typeof v[Symbol.asyncIterator] === 'function') {
    const it = v[Symbol.asyncIterator]()
    try {
      for (let n = 0; n < steps; n++) {
        let timer
        const step = await Promise.race([it.next(), new Promise((r) => (timer = setTimeout(() => r({ done: true }), stepMs)))])
        clearTimeout(timer)
        if (step.done) break
      }
    } finally {
      it.return?.().catch(() => {})
    }
    return
  }
  await v
}
