// INSERT / UPDATE / DELETE builders: immutable, awaitable, parameterized.
import { invalid, toTensorError } from '../errors'
import type { RunResult, SqlResult, Transaction } from '../sql'
import type { TimeInput } from '../time'
import { Sql, Term, checkTerm, ident, micros, where } from './compile'
import type { Compiled, Runner } from './select'
import type { ColumnName, ComparisonOp, Insertable, Schema, Selectable, Simplify, TableName, Updateable } from './types'

interface WriteState {
  kind: 'insert' | 'update' | 'delete'
  table: string
  rows: Record<string, unknown>[]
  set: Record<string, unknown> | null
  terms: Term[]
  portion: [TimeInput, TimeInput] | null
  conflict: 'nothing' | null
  returning: string[] | '*' | null
}

const SYSTEM = new Set(['_system_from', '_system_to'])

function runResult(r: SqlResult): RunResult {
  return { changes: r.changes, lastInsertRowid: r.lastInsertRowid, systemTime: r.systemTime }
}

/**
 * A write on table `T`. Without `returning` it resolves to `RunResult`
 * (`changes`, `lastInsertRowid`, `systemTime`); with it, to the returned rows.
 */
export class WriteQuery<DB extends Schema, T extends TableName<DB>, O> implements PromiseLike<O> {
  /** @internal */
  constructor(
    private readonly runner: Runner,
    private readonly s: WriteState,
  ) {}

  private with(patch: Partial<WriteState>): WriteQuery<DB, T, O> {
    return new WriteQuery(this.runner, { ...this.s, ...patch })
  }

  /** Rows to insert (one object or an array; every row names the same columns). */
  values(rows: Insertable<DB[T]> | readonly Insertable<DB[T]>[]): WriteQuery<DB, T, O> {
    if (this.s.kind !== 'insert') throw invalid('values() is for insertInto()')
    const list = (Array.isArray(rows) ? rows : [rows]) as Record<string, unknown>[]
    if (list.length === 0) throw invalid('values() needs at least one row')
    for (const r of list) {
      if (r === null || typeof r !== 'object') throw invalid('values() takes row objects')
      for (const k of Object.keys(r)) {
        if (SYSTEM.has(k)) throw invalid(`${k} is system time: it is never written`)
        ident(k)
      }
    }
    return this.with({ rows: [...this.s.rows, ...list] })
  }

  /** `ON CONFLICT DO NOTHING`: rows whose key or unique value exists are skipped. */
  onConflictDoNothing(): WriteQuery<DB, T, O> {
    if (this.s.kind !== 'insert') throw invalid('onConflictDoNothing() is for insertInto()')
    return this.with({ conflict: 'nothing' })
  }

  /** Column values to set (`updateTable`). */
  set(values: Updateable<DB[T]>): WriteQuery<DB, T, O> {
    if (this.s.kind !== 'update') throw invalid('set() is for updateTable()')
    const v = values as Record<string, unknown>
    if (v === null || typeof v !== 'object' || Object.keys(v).length === 0) throw invalid('set() takes an object with at least one column')
    for (const k of Object.keys(v)) {
      if (k.startsWith('_system_') || k.startsWith('_valid_')) throw invalid(`${k} is a period column: use forPortionOf() to change valid time`)
      ident(k)
    }
    return this.with({ set: { ...(this.s.set ?? {}), ...v } })
  }

  /** Changes rows where `column op value` (terms are ANDed). */
  where<K extends ColumnName<DB, T>>(column: K, op: ComparisonOp, value: Selectable<DB, T>[K]): WriteQuery<DB, T, O>
  where<K extends ColumnName<DB, T>>(column: K, op: 'in' | 'not in', values: readonly Selectable<DB, T>[K][]): WriteQuery<DB, T, O>
  where<K extends ColumnName<DB, T>>(column: K, op: 'is' | 'is not', value: null): WriteQuery<DB, T, O>
  where(column: string, op: string, value: unknown): WriteQuery<DB, T, O> {
    if (this.s.kind === 'insert') throw invalid('where() is for updateTable() and deleteFrom()')
    const t = { column, op, value }
    checkTerm(t)
    return this.with({ terms: [...this.s.terms, t] })
  }

  /**
   * Changes only valid time `[from, to)` (`FOR PORTION OF VALID_TIME`):
   * versions are split at the bounds and each part inside is changed.
   */
  forPortionOf(from: TimeInput, to: TimeInput): WriteQuery<DB, T, O> {
    if (this.s.kind === 'insert') throw invalid('forPortionOf() is for updateTable() and deleteFrom(); insert with _valid_from / _valid_to')
    micros(from, 'forPortionOf from')
    micros(to, 'forPortionOf to')
    return this.with({ portion: [from, to] })
  }

  /** Returns these columns of each written row. */
  returning<K extends keyof DB[T] & string>(columns: readonly K[]): WriteQuery<DB, T, Simplify<Pick<DB[T], K>>[]> {
    if (!Array.isArray(columns) || columns.length === 0) throw invalid('returning() takes a non-empty array of column names')
    columns.forEach(ident)
    return new WriteQuery(this.runner, { ...this.s, returning: [...columns] })
  }

  /** Returns every column of each written row. */
  returningAll(): WriteQuery<DB, T, Simplify<DB[T]>[]> {
    return new WriteQuery(this.runner, { ...this.s, returning: '*' })
  }

  /** The SQL text and parameters this builder runs. */
  compile(): Compiled {
    const s = this.s
    const sql = new Sql()
    if (s.kind === 'insert') {
      if (s.rows.length === 0) throw invalid(`insertInto(${s.table}) needs values()`)
      const cols = Object.keys(s.rows[0])
      for (const r of s.rows) {
        const keys = Object.keys(r)
        if (keys.length !== cols.length || keys.some((k) => !(k in s.rows[0]))) {
          throw invalid('every row of one insert must name the same columns (split the insert, or pass null)')
        }
      }
      sql.add(`INSERT INTO ${ident(s.table)} (${cols.map(ident).join(', ')}) VALUES `)
      s.rows.forEach((r, i) => {
        sql.add(i === 0 ? '(' : ', (')
        cols.forEach((c, j) => {
          if (j > 0) sql.add(', ')
          const v = r[c]
          sql.param((c === '_valid_from' || c === '_valid_to') && v !== null && v !== undefined ? micros(v as TimeInput, c) : v ?? null)
        })
        sql.add(')')
      })
      if (s.conflict === 'nothing') sql.add(' ON CONFLICT DO NOTHING')
    } else {
      sql.add(s.kind === 'update' ? 'UPDATE ' : 'DELETE FROM ').add(ident(s.table))
      if (s.portion !== null) {
        sql.add(' FOR PORTION OF VALID_TIME FROM ').param(micros(s.portion[0], 'forPortionOf from'))
        sql.add(' TO ').param(micros(s.portion[1], 'forPortionOf to'))
      }
      if (s.kind === 'update') {
        if (s.set === null) throw invalid(`updateTable(${s.table}) needs set()`)
        sql.add(' SET ')
        Object.entries(s.set).forEach(([c, v], i) => {
          sql.add(i === 0 ? '' : ', ').add(`${ident(c)} = `).param(v ?? null)
        })
      }
      where(sql, s.terms)
    }
    if (s.returning !== null) sql.add(' RETURNING ').add(s.returning === '*' ? '*' : s.returning.map(ident).join(', '))
    return { sql: sql.text, parameters: sql.params }
  }

  /** Runs the write (inside `tx` when given). */
  execute(tx?: Transaction): Promise<O> {
    try {
      const { sql, parameters } = this.compile()
      const returning = this.s.returning !== null
      return this.runner.runCompiled(sql, parameters, tx).then((r) => (returning ? r.rows : runResult(r)) as O)
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /** Makes the builder awaitable. */
  then<R1 = O, R2 = never>(
    onfulfilled?: ((value: O) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.execute().then(onfulfilled, onrejected)
  }
}

function start<DB extends Schema, T extends TableName<DB>>(runner: Runner, kind: WriteState['kind'], table: T): WriteQuery<DB, T, RunResult> {
  ident(table)
  return new WriteQuery(runner, { kind, table, rows: [], set: null, terms: [], portion: null, conflict: null, returning: null })
}

/** @internal */
export const insertInto = <DB extends Schema, T extends TableName<DB>>(r: Runner, t: T) => start<DB, T>(r, 'insert', t)
/** @internal */
export const updateTable = <DB extends Schema, T extends TableName<DB>>(r: Runner, t: T) => start<DB, T>(r, 'update', t)
/** @internal */
export const deleteFrom = <DB extends Schema, T extends TableName<DB>>(r: Runner, t: T) => start<DB, T>(r, 'delete', t)
