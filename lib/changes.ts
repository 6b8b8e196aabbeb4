import { Channel } from './native'
import { invalid } from './errors'
import { Micros, SystemTime } from './time'
import { Key, Value, checkKey } from './values'
import { SqlTuple } from './sql'
import { groupFeed } from './groups'
import { caller, keyChange, sleep, tableItems } from './feed-util'

/** Options of `db.changes()`. */
export interface ChangesOptions<K extends 'string' | 'buffer' = 'string'> {
  /** Only keys starting with this (default: every key). */
  prefix?: Key
  /**
   * A durable cursor name: the feed starts after the last change this cursor
   * acknowledged (across restarts and crashes), and acknowledgements are
   * recorded under it.
   */
  cursor?: string
  /**
   * Where to start when there is no cursor (or to override it): `'now'`
   * (default without a cursor: only changes committed from here on),
   * `'beginning'`, or a system time (changes committed after it).
   */
  from?: 'now' | 'beginning' | SystemTime
  /**
   * With a cursor, acknowledge automatically (default `true`): each batch
   * once the loop asked for the change after it, and, on `break`, every
   * change handed out (the one being processed included). With `false`, call
   * `change.ack()`; a restart then repeats exactly the unacknowledged ones.
   */
  autoAck?: boolean
  /** Changes fetched per native call (default 256). */
  batch?: number
  /** Longest wait between polls when the feed is idle, in ms (default 100). */
  pollMs?: number
  /** Keys as strings (default) or Buffers. */
  keys?: K
  /**
   * A consumer group: members of one group share the feed, each change to
   * exactly one of them (keys are split into 16 partitions owned
   * round-robin by the members; a key's changes go to one member, in
   * order). When a member leaves, the others take over its partitions after
   * their last acknowledged change. Positions are durable per partition;
   * not combined with `cursor`, `from` or `table`.
   */
  group?: string
  /** Changes of this SQL table's rows (then `prefix` and `keys` do not apply). */
  table?: string
  /**
   * Ends the feed when aborted: a loop waiting for the next change finishes
   * (as after `break`) instead of polling on. For feeds stopped from outside
   * the loop, such as an HTTP client that disconnected.
   */
  signal?: AbortSignal
}

/** Options of `db.changes({ table })`: a SQL table's row changes. */
export type TableChangesOptions = Omit<ChangesOptions, 'prefix' | 'keys' | 'table'> & {
  /** The table. */
  table: string
}

/** One committed change of one row of a SQL table. */
export interface TableChange<Row = Record<string, unknown>> {
  /** The table. */
  table: string
  /** `'put'` wrote `row`; `'delete'` removed the row for the period. */
  type: 'put' | 'delete'
  /** The row as written (`null` for deletes), decoded with the current schema. */
  row: Row | null
  /** The row just before this commit, at the change's valid start (`null`: none). */
  oldRow: Row | null
  /** The commit's system time. */
  systemTime: SystemTime
  /** Position of the change within its commit. */
  seq: number
  /** Valid period start (µs since the Unix epoch). */
  validFrom: Micros
  /** Valid period end (exclusive); `null` when open-ended. */
  validTo: Micros | null
  /** Acknowledges this change and every one before it (needs a cursor). */
  ack(): Promise<void>
}

/** One committed change of one key. */
export interface Change<K = string> {
  /** The key. */
  key: K
  /** `'put'` asserted `value`; `'delete'` retracted the key for the period. */
  type: 'put' | 'delete'
  /** The new value (`null` for deletes). */
  value: Value | null
  /** The key's value just before this commit, at the change's valid start (`null`: none). */
  oldValue: Value | null
  /** The commit's system time. */
  systemTime: SystemTime
  /** Position of the change within its commit. */
  seq: number
  /** Valid period start (µs since the Unix epoch). */
  validFrom: Micros
  /** Valid period end (exclusive); `null` when open-ended. */
  validTo: Micros | null
  /** Acknowledges this change and every one before it (needs a cursor). */
  ack(): Promise<void>
}

/** @internal The async iterable behind `db.changes()`. */
export function changeFeed<K extends 'string' | 'buffer'>(
  getChannel: () => Channel,
  options: ChangesOptions<K>,
): AsyncIterable<Change<K extends 'buffer' ? Buffer : string>> {
  type Out = Change<K extends 'buffer' ? Buffer : string>
  if (typeof options !== 'object' || options === null) throw invalid('changes() options must be an object')
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal')
  const poll = (options as { pollMs?: unknown }).pollMs
  if (poll !== undefined && (typeof poll !== 'number' || !Number.isFinite(poll) || poll < 0)) {
    throw invalid('pollMs must be a non-negative number of milliseconds')
  }
  if (options.group !== undefined) return groupFeed(getChannel, options)
  const table = options.table
  if (table !== undefined && (typeof table !== 'string' || table.length === 0)) throw invalid('table must be a table name')
  const prefix = options.prefix ?? ''
  checkKey(prefix, 'prefix')
  const cursor = options.cursor
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor.length === 0)) {
    throw invalid('cursor must be a non-empty string')
  }
  const batch = options.batch ?? 256
  if (!Number.isInteger(batch) || batch < 1) throw invalid('batch must be a positive integer')
  const pollMs = options.pollMs ?? 100
  const autoAck = options.autoAck ?? true
  const asBuffer = options.keys === 'buffer'
  const call = caller(getChannel)
  const ack = (sys: number, seq: number): Promise<void> => {
    if (cursor === undefined) return Promise.reject(invalid('ack() needs a cursor: db.changes({ cursor: "name" })'))
    return call<null>((ch, id) => ch.native.cursorAck(cursor, sys, seq, id)).then(() => undefined)
  }
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<Out, void, undefined> {
      let at: [number, number]
      const from = options.from
      if (from === 'beginning') at = [0, 0]
      else if (typeof from === 'number') at = [from, 0xffffffff]
      else if (from === undefined && cursor !== undefined) {
        at = await call<[number, number]>((ch, id) => ch.native.cursorPosition(cursor, id))
      } else if (from === undefined || from === 'now') at = [getChannel().native.now(), 0xffffffff]
      else throw invalid("from must be 'now', 'beginning' or a system time")
      // The last change handed out, and the last one acknowledged.
      let given: [number, number] | null = null
      let acked: [number, number] | null = null
      const autoAckUpTo = async (p: [number, number] | null): Promise<void> => {
        if (!autoAck || cursor === undefined || p === null) return
        if (acked !== null && acked[0] === p[0] && acked[1] === p[1]) return
        await ack(p[0], p[1])
        acked = p
      }
      // One batch: the position after it and its changes, built lazily.
      const fetchKeys = async (): Promise<[number, number, Out[]]> => {
        const [nextSys, nextSeq, flat] = await call<[number, number, unknown[]]>((ch, id) =>
          ch.native.changes(at[0], at[1], prefix, batch, id),
        )
        const out: Out[] = []
        for (let i = 0; i < flat.length; i += 8) {
          const [sys, seq] = [flat[i] as number, flat[i + 1] as number]
          out.push(keyChange(flat, i, asBuffer, () => ack(sys, seq)) as Out)
        }
        return [nextSys, nextSeq, out]
      }
      const fetchRows = async (name: string): Promise<[number, number, Out[]]> => {
        const [nextSys, nextSeq, tuple] = await call<[number, number, SqlTuple]>((ch, id) =>
          ch.native.tableChanges(name, at[0], at[1], batch, id),
        )
        const out = tableItems(tuple, name, 6, (sys, seq) => () => ack(sys, seq)).map((i) => i.change as unknown as Out)
        return [nextSys, nextSeq, out]
      }
      let idle = 5
      const signal = options.signal
      try {
        for (;;) {
          if (signal?.aborted === true) return
          const [nextSys, nextSeq, items] = table === undefined ? await fetchKeys() : await fetchRows(table)
          // Everything handed out before this batch is processed by now.
          await autoAckUpTo(given)
          at = [nextSys, nextSeq]
          if (items.length === 0) {
            await sleep(idle, signal)
            idle = Math.min(pollMs, idle * 2)
            continue
          }
          idle = 5
          for (const item of items) {
            given = [item.systemTime, item.seq]
            yield item
          }
        }
      } finally {
        // `break` (or a throw in the loop body): what was handed out counts
        // as processed when acknowledging automatically.
        await autoAckUpTo(given)
      }
    },
  }
}
