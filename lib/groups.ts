// Consumer groups for `db.changes({ prefix | table, group })`: members of one group
// share the feed (keys are split into 16 partitions, owned round-robin by
// the members in join order), each change goes to one member, and every
// change of a key to the same member in commit order. A member leaving
// (`break`, an error, or the signal) hands its partitions to the others,
// who continue after each partition's last acknowledged change.
import { Channel } from './native'
import { invalid } from './errors'
import type { Change, ChangesOptions } from './changes'
import { checkKey } from './values'
import { caller, keyChange, sleep, tableItems } from './feed-util'
import type { SqlTuple } from './sql'

/** @internal The async iterable behind `db.changes({ group })`. */
export function groupFeed<K extends 'string' | 'buffer'>(
  getChannel: () => Channel,
  options: ChangesOptions<K>,
): AsyncIterable<Change<K extends 'buffer' ? Buffer : string>> {
  type Out = Change<K extends 'buffer' ? Buffer : string>
  const group = options.group as string
  if (typeof group !== 'string' || group.length === 0) throw invalid('group must be a non-empty string')
  const table = options.table
  if (table !== undefined && (typeof table !== 'string' || table.length === 0)) throw invalid('table must be a table name')
  if (options.cursor !== undefined || options.from !== undefined) {
    throw invalid('a group keeps its own positions (one per partition): drop cursor / from')
  }
  const prefix = options.prefix ?? ''
  checkKey(prefix, 'prefix')
  const batch = options.batch ?? 256
  if (!Number.isInteger(batch) || batch < 1) throw invalid('batch must be a positive integer')
  const pollMs = options.pollMs ?? 100
  const autoAck = options.autoAck ?? true
  const asBuffer = options.keys === 'buffer'
  const signal = options.signal
  const call = caller(getChannel)
  const ack = (p: number, sys: number, seq: number): Promise<void> =>
    call<null>((ch, id) => ch.native.groupAck(group, p, sys, seq, id)).then(() => undefined)
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<Out, void, undefined> {
      const member = getChannel().native.groupJoin(group)
      // Per partition: the last change handed out and not yet auto-acknowledged.
      const given = new Map<number, [number, number]>()
      const flush = async (): Promise<void> => {
        if (!autoAck) return
        const pending = [...given]
        given.clear()
        await Promise.all(pending.map(([p, [sys, seq]]) => ack(p, sys, seq)))
      }
      let idle = 5
      try {
        for (;;) {
          if (signal?.aborted === true) return
          // One batch: each item with its partition, position and change.
          const items: [number, number, number, Out][] = []
          if (table === undefined) {
            const [, , flat] = await call<[number, number, unknown[]]>((ch, id) => ch.native.groupChanges(group, member, prefix, batch, id))
            const native = getChannel().native
            for (let i = 0; i < flat.length; i += 8) {
              const [sys, seq] = [flat[i] as number, flat[i + 1] as number]
              const p = native.groupPartition(flat[i + 2] as Buffer)
              items.push([p, sys, seq, keyChange(flat, i, asBuffer, () => ack(p, sys, seq)) as Out])
            }
          } else {
            const tuple = await call<SqlTuple>((ch, id) => ch.native.tableGroupChanges(table, group, member, batch, id))
            for (const { partition, change } of tableItems(tuple, table, 7, (sys, seq, p) => () => ack(p, sys, seq))) {
              items.push([partition, change.systemTime, change.seq, change as unknown as Out])
            }
          }
          await flush()
          if (items.length === 0) {
            await sleep(idle, signal)
            idle = Math.min(pollMs, idle * 2)
            continue
          }
          idle = 5
          for (const [p, sys, seq, out] of items) {
            given.set(p, [sys, seq])
            yield out
          }
        }
      } finally {
        try {
          await flush()
        } finally {
          try {
            getChannel().native.groupLeave(group, member)
          } catch {
            // the database closed: membership ends with it
          }
        }
      }
    },
  }
}
