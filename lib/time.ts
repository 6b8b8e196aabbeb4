import { invalid } from './errors'

/**
 * A point in time as TensorDB returns it: integer microseconds since the Unix
 * epoch (UTC). System times (what `put` resolves to) are of this form; so are
 * the valid times `history` reports.
 */
export type Micros = number

/** A system time: the commit timestamp a write resolved to (µs since the epoch). */
export type SystemTime = Micros

/**
 * A time you pass in: a `Date`, an ISO-8601 string, or a number of
 * microseconds since the Unix epoch (the unit TensorDB returns — not
 * milliseconds).
 */
export type TimeInput = Date | string | Micros

/** Reads a time input as microseconds; `what` names the option for errors. */
export function toMicros(t: TimeInput, what: string): Micros {
  if (t instanceof Date) {
    const ms = t.getTime()
    if (Number.isNaN(ms)) throw invalid(`${what}: invalid Date`)
    return ms * 1000
  }
  if (typeof t === 'string') {
    const ms = Date.parse(t)
    if (Number.isNaN(ms)) throw invalid(`${what}: '${t}' is not an ISO-8601 date/time`)
    return ms * 1000
  }
  if (typeof t === 'number') {
    if (!Number.isSafeInteger(t)) throw invalid(`${what}: ${t} is not an integer number of microseconds`)
    return t
  }
  throw invalid(`${what}: expected a Date, an ISO string or microseconds, got ${typeof t}`)
}

/** Converts microseconds since the epoch to a `Date` (millisecond precision). */
export function toDate(t: Micros): Date {
  return new Date(Math.floor(t / 1000))
}

/** Converts a `Date` to microseconds since the epoch. */
export function fromDate(d: Date): Micros {
  return d.getTime() * 1000
}
