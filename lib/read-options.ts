// Where reads stand in time, and how those options reach the addon.
import { invalid } from './errors'
import { TimeInput, toMicros } from './time'

/** "Not given" for the addon's numeric time arguments. */
export const NONE = Number.NaN

/** Which system time a read sees: a system time / Date / ISO string, or a recorded epoch. */
export type AsOf = TimeInput | { epoch: number }

/** Where a read stands on both time axes. Omitted axes mean "now". */
export interface ReadOptions {
  /** System time: see the database as it was then (what it knew at that time). */
  asOf?: AsOf
  /** Valid time: what was true at that moment, as known at `asOf`. */
  validAt?: TimeInput
}

/** Options of one SQL call: where it reads, and what may stop it. */
export interface SqlOptions extends ReadOptions {
  /** Aborting it cancels the running statement (it fails with `TDB_LIMIT`). */
  signal?: AbortSignal
}

/** The addon's (asOf, epoch, validAt) arguments for `o`; NaN = not given. */
export function readArgs(o: ReadOptions | undefined): [number, number, number] {
  if (o === undefined) return [NONE, NONE, NONE]
  if (typeof o !== 'object' || o === null) throw invalid('read options must be an object')
  let asOf = NONE
  let epoch = NONE
  const a = o.asOf
  if (a !== undefined) {
    if (a === null) throw invalid('asOf must be an epoch ({ epoch }), a Date, an ISO string or microseconds, not null')
    if (typeof a === 'object' && !(a instanceof Date)) {
      if (!Number.isSafeInteger(a.epoch) || a.epoch < 1) throw invalid('asOf.epoch must be a positive integer')
      epoch = a.epoch
    } else {
      asOf = toMicros(a, 'asOf')
    }
  }
  const validAt = o.validAt === undefined ? NONE : toMicros(o.validAt, 'validAt')
  return [asOf, epoch, validAt]
}

