// Pieces shared by cursor feeds (`changes.ts`) and group feeds (`groups.ts`).
import { Channel } from './native'
import { toTensorError } from './errors'
import type { Change, TableChange } from './changes'
import { SqlTuple, rowMaker, shapeResult } from './sql'
import type { Value } from './values'

/** Waits `ms`, or less when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Starts native calls on the current channel; failures reject. */
export function caller(getChannel: () => Channel): <T>(start: (ch: Channel, id: number) => void) => Promise<T> {
  return <T>(start: (ch: Channel, id: number) => void): Promise<T> => {
    try {
      const ch = getChannel()
      return ch.call<T>((id) => start(ch, id))
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }
}

/**
 * The change at `flat[i …]` of a native change batch (8 fields per change:
 * system time, seq, key, kind, value, old value, valid from, valid to).
 */
export function keyChange<K>(flat: unknown[], i: number, asBuffer: boolean, ack: () => Promise<void>): Change<K> {
  const rawKey = flat[i + 2] as Buffer
  return {
    key: (asBuffer ? rawKey : rawKey.toString('utf8')) as K,
    type: flat[i + 3] === 1 ? 'put' : 'delete',
    value: flat[i + 4] as Value | null,
    oldValue: flat[i + 5] as Value | null,
    systemTime: flat[i] as number,
    seq: flat[i + 1] as number,
    validFrom: flat[i + 6] as number,
    validTo: flat[i + 7] as number | null,
    ack,
  }
}

/** A decoded table change and the partition it belongs to (-1: no group). */
export interface TableItem {
  change: TableChange
  partition: number
}

/**
 * Decodes a native table-change result (see `Database::table_changes`):
 * `meta` leading columns (6, or 7 with `_partition` for group feeds), then
 * the new row's columns, then the old row's. `ackOf` makes each change's
 * `ack()`.
 */
export function tableItems(
  tuple: SqlTuple,
  table: string,
  meta: number,
  ackOf: (sys: number, seq: number, partition: number) => () => Promise<void>,
): TableItem[] {
  const r = shapeResult(tuple)
  const width = (r.columns.length - meta) / 2
  const make = rowMaker(r.columns.slice(meta, meta + width))
  return r.raw.map((v) => {
    const sys = v[1] as number
    const seq = v[2] as number
    const partition = meta > 6 ? (v[6] as number) : -1
    const put = v[0] === 'put'
    return {
      partition,
      change: {
        table,
        type: put ? 'put' : 'delete',
        row: put ? make(v, meta) : null,
        oldRow: v[5] === 1 ? make(v, meta + width) : null,
        systemTime: sys,
        seq,
        validFrom: v[3] as number,
        validTo: v[4] as number | null,
        ack: ackOf(sys, seq, partition),
      },
    }
  })
}
