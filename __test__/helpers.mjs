// Shared helpers for the JS tests.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh temporary folder path, and a cleanup function. */
export function tempDir(tag) {
  const dir = mkdtempSync(join(tmpdir(), `tensordb-js-${tag}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
