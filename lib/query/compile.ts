// SQL text building shared by the builders: identifiers, WHERE terms,
// temporal clauses. Values always become `$n` parameters, never text.
import { invalid } from '../errors'
import { TimeInput, toMicros } from '../time'
import type { AsOfInput, ComparisonOp } from './types'

/** One `where` term as given. */
export interface Term {
  column: string
  op: string
  value: unknown
}

/** A SQL text under construction with its parameters. */
export class Sql {
  text = ''
  readonly params: unknown[] = []

  /** Appends text. */
  add(s: string): this {
    this.text += s
    return this
  }

  /** Appends a parameter placeholder for `v`. */
  param(v: unknown): this {
    this.params.push(v)
    this.text += `$${this.params.length}`
    return this
  }
}

const PLAIN = /^[a-z_][a-z0-9_]*$/

/** A table or column name as SQL: plain names as they are, others quoted. */
export function ident(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw invalid('a table or column name must be a non-empty string')
  return PLAIN.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}

const COMPARISONS: ReadonlySet<string> = new Set<ComparisonOp>(['=', '<>', '!=', '<', '<=', '>', '>=', 'like', 'not like', 'ilike', 'glob'])

/** Checks a `where` term when it is added, so mistakes fail at the call. */
export function checkTerm(t: Term): void {
  ident(t.column)
  if (typeof t.op !== 'string') throw invalid(`where('${t.column}', …): the operator must be a string such as '=' or 'in'`)
  if (t.op === 'in' || t.op === 'not in') {
    if (!Array.isArray(t.value) || t.value.length === 0) throw invalid(`where('${t.column}', '${t.op}', …) needs a non-empty array`)
  } else if (t.op === 'is' || t.op === 'is not') {
    if (t.value !== null) throw invalid(`where('${t.column}', '${t.op}', …) takes null`)
  } else if (!COMPARISONS.has(t.op)) {
    throw invalid(`unknown operator '${t.op}' in where()`)
  } else if (t.value === undefined) {
    throw invalid(`where('${t.column}', '${t.op}', undefined): use null with 'is' / 'is not'`)
  }
}

/** Appends ` WHERE a AND b …` for `terms` (nothing when empty). */
export function where(sql: Sql, terms: readonly Term[]): void {
  terms.forEach((t, i) => {
    sql.add(i === 0 ? ' WHERE ' : ' AND ').add(ident(t.column)).add(' ')
    if (t.op === 'in' || t.op === 'not in') {
      sql.add(t.op.toUpperCase()).add(' (')
      ;(t.value as unknown[]).forEach((v, j) => {
        if (j > 0) sql.add(', ')
        sql.param(v)
      })
      sql.add(')')
    } else if (t.op === 'is' || t.op === 'is not') {
      sql.add(`${t.op.toUpperCase()} NULL`)
    } else {
      sql.add(t.op.toUpperCase()).add(' ').param(t.value)
    }
  })
}

/** A time bound as a parameter: µs since the epoch. */
export function micros(t: TimeInput, what: string): number {
  return toMicros(t, what)
}

/** The system-time clause for `asOf(x)`. */
export function asOfClause(sql: Sql, at: AsOfInput): void {
  if (typeof at === 'number') {
    if (!Number.isSafeInteger(at) || at < 0) throw invalid(`asOf(${at}): an epoch is a non-negative integer (use { systemTime } for µs)`)
    sql.add(` AS OF EPOCH ${at}`)
  } else if (at instanceof Date || typeof at === 'string') {
    sql.add(' FOR SYSTEM_TIME AS OF ').param(micros(at, 'asOf'))
  } else if (at !== null && typeof at === 'object' && typeof at.systemTime === 'number') {
    sql.add(' FOR SYSTEM_TIME AS OF ').param(micros(at.systemTime, 'asOf'))
  } else {
    throw invalid('asOf() takes an epoch number, a Date, an ISO string or { systemTime }')
  }
}
