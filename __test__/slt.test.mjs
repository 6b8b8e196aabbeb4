// Runs TensorDB's own sqllogictest files (the ones without multi-session
// records) through the SDK, so the Node path gives the same answers as the
// engine's `cargo test` runner.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { open } from 'tensordb'
import { tempDir } from './helpers.mjs'

const FILES = [
  'functions.slt',
  'joins.slt',
  'cte.slt',
  'upsert_returning.slt',
  'constraints.slt',
  'windows.slt',
  'statistics.slt',
  'views_alter.slt',
  'ddl_errors.slt',
  'json.slt',
  'datetime_types.slt',
  'join_using.slt',
  'name_hints.slt',
]

// Typed columns arrive converted (boolean, Date, parsed JSON); render them
// back in the engine's text form so the expected values still apply.
function untyped(v, sqlType) {
  if (v === null) return v
  if (sqlType === 'BOOLEAN') return v ? 1 : 0
  if (sqlType === 'JSON') return JSON.stringify(v)
  if (sqlType === 'TIMESTAMP') {
    const [day, time] = v.toISOString().replace('Z', '').split('T')
    return `${day} ${time.replace(/\.?0+$/, '')}`
  }
  return v
}

function cell(v, type) {
  if (v === null) return 'NULL'
  let s
  if (type === 'I') s = typeof v === 'bigint' ? String(v) : String(Math.trunc(Number(v)))
  else if (type === 'R') s = Number(v).toFixed(3)
  else s = String(v)
  return s === '' ? '(empty)' : s
}

for (const file of FILES) {
  test(`sqllogictest ${file} through the SDK`, async () => {
    const { dir, cleanup } = tempDir('slt')
    const db = await open(dir, { durability: 'buffered' })
    const text = readFileSync(new URL(`../crates/tensordb/tests/slt/tensordb/${file}`, import.meta.url), 'utf8')
    const records = text
      .split(/\n\s*\n/)
      .map((r) => r.split('\n').filter((l) => !l.startsWith('#') && l.trim() !== ''))
      .filter((r) => r.length > 0 && r[0].trim() !== '')
    let checked = 0
    for (const [head, ...rest] of records) {
      const words = head.trim().split(/\s+/)
      if (words[1] === 'error') {
        const sql = rest.join('\n')
        await assert.rejects(db.exec(sql), (e) => `${e.code}: ${e.message}`.includes(words.slice(2).join(' ')), sql)
      } else if (words[0] === 'statement') {
        await db.exec(rest.join('\n'))
      } else if (words[0] === 'query') {
        const sep = rest.indexOf('----')
        const sql = rest.slice(0, sep).join('\n')
        const expected = rest.slice(sep + 1)
        const types = words[1]
        const { raw, types: sqlTypes } = await db.exec(sql)
        let grid = raw.map((r) => r.map((v, i) => cell(untyped(v, sqlTypes[i]), types[i])))
        if (words[2] === 'rowsort') grid = grid.sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1))
        assert.deepEqual(grid.flat(), expected, sql)
      }
      checked++
    }
    assert.ok(checked > 5)
    await db.close()
    cleanup()
  })
}
