// SELECT builder: immutable, awaitable, compiled to parameterized SQL.
import { invalid, toTensorError } from '../errors'
import type { TimeInput } from '../time'
import type { SqlResult, Transaction } from '../sql'
import { Sql, Term, asOfClause, checkTerm, ident, micros, where } from './compile'
import type { AsOfInput, ColumnName, ComparisonOp, Direction, Schema, Selectable, Simplify, TableName } from './types'

/** @internal Runs compiled SQL (implemented by `Database`). */
export interface Runner {
  /** @internal */
  runCompiled(text: string, params: unknown[], tx: Transaction | undefined): Promise<SqlResult>
}

/** Compiled SQL text and its parameters. */
export interface Compiled {
  /** SQL text with `$1, $2, …` placeholders. */
  sql: string
  /** Parameter values in order. */
  parameters: unknown[]
}

interface SelectState {
  table: string
  columns: string[] | '*' | null
  terms: Term[]
  order: [string, Direction][]
  limit?: number
  offset?: number
  distinct: boolean
  asOf?: AsOfInput
  validAt?: TimeInput
  history: boolean
}

const PERIODS = ['_system_from', '_system_to', '_valid_from', '_valid_to']

function count(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`${what}(${n}) takes a non-negative integer`)
  return n
}

/**
 * A SELECT on table `T` whose rows have type `O`. Every method returns a
 * new builder; `await` (or `execute()`) runs it.
 */
export class SelectQuery<DB extends Schema, T extends TableName<DB>, O> implements PromiseLike<Simplify<O>[]> {
  /** @internal */
  constructor(
    private readonly runner: Runner,
    private readonly s: SelectState,
  ) {}

  private with(patch: Partial<SelectState>): SelectQuery<DB, T, O> {
    return new SelectQuery(this.runner, { ...this.s, ...patch })
  }

  /** Selects these columns (period columns included, e.g. `_valid_from`). */
  select<K extends ColumnName<DB, T>>(columns: readonly K[]): SelectQuery<DB, T, O & Pick<Selectable<DB, T>, K>> {
    if (!Array.isArray(columns) || columns.length === 0) throw invalid('select() takes a non-empty array of column names')
    columns.forEach(ident)
    const prev = this.s.columns === '*' ? [] : (this.s.columns ?? [])
    return new SelectQuery(this.runner, { ...this.s, columns: this.s.columns === '*' ? '*' : [...prev, ...columns] })
  }

  /** Selects every column of the table (after `history()`, the periods too). */
  selectAll(): SelectQuery<DB, T, O & DB[T]> {
    return new SelectQuery(this.runner, { ...this.s, columns: '*' })
  }

  /** Keeps rows where `column op value` (terms are ANDed). */
  where<K extends ColumnName<DB, T>>(column: K, op: ComparisonOp, value: Selectable<DB, T>[K]): SelectQuery<DB, T, O>
  where<K extends ColumnName<DB, T>>(column: K, op: 'in' | 'not in', values: readonly Selectable<DB, T>[K][]): SelectQuery<DB, T, O>
  where<K extends ColumnName<DB, T>>(column: K, op: 'is' | 'is not', value: null): SelectQuery<DB, T, O>
  where(column: string, op: string, value: unknown): SelectQuery<DB, T, O> {
    const t = { column, op, value }
    checkTerm(t)
    return this.with({ terms: [...this.s.terms, t] })
  }

  /** Sorts by `column` (ascending by default); calls add sort keys. */
  orderBy(column: ColumnName<DB, T>, direction: Direction = 'asc'): SelectQuery<DB, T, O> {
    ident(column)
    if (direction !== 'asc' && direction !== 'desc') throw invalid(`orderBy direction must be 'asc' or 'desc'`)
    return this.with({ order: [...this.s.order, [column, direction]] })
  }

  /** At most `n` rows. */
  limit(n: number): SelectQuery<DB, T, O> {
    return this.with({ limit: count(n, 'limit') })
  }

  /** Skips the first `n` rows. */
  offset(n: number): SelectQuery<DB, T, O> {
    return this.with({ offset: count(n, 'offset') })
  }

  /** Drops duplicate rows. */
  distinct(): SelectQuery<DB, T, O> {
    return this.with({ distinct: true })
  }

  /**
   * Reads the table as the database knew it at `at`: an epoch number, a
   * `Date` / ISO string, or `{ systemTime }` in µs.
   */
  asOf(at: AsOfInput): SelectQuery<DB, T, O> {
    asOfClause(new Sql(), at) // validates now
    return this.with({ asOf: at })
  }

  /** Reads what was true at valid time `at`. */
  validAt(at: TimeInput): SelectQuery<DB, T, O> {
    micros(at, 'validAt')
    return this.with({ validAt: at })
  }

  /**
   * Every version on both axes (`FOR SYSTEM_TIME ALL FOR VALID_TIME ALL`):
   * one row per rectangle of system × valid time; `selectAll()` then also
   * returns the four period columns.
   */
  history(): SelectQuery<DB, T, O> {
    return this.with({ history: true })
  }

  /** The SQL text and parameters this builder runs. */
  compile(): Compiled {
    const s = this.s
    if (s.history && (s.asOf !== undefined || s.validAt !== undefined)) {
      throw invalid('history() reads every version: it cannot be combined with asOf() / validAt()')
    }
    const sql = new Sql().add(s.distinct ? 'SELECT DISTINCT ' : 'SELECT ')
    if (s.columns === null) throw invalid(`select from ${s.table}: choose columns with select([...]) or selectAll()`)
    if (s.columns === '*') sql.add(s.history ? `*, ${PERIODS.join(', ')}` : '*')
    else sql.add(s.columns.map(ident).join(', '))
    sql.add(' FROM ').add(ident(s.table))
    if (s.history) sql.add(' FOR SYSTEM_TIME ALL FOR VALID_TIME ALL')
    if (s.asOf !== undefined) asOfClause(sql, s.asOf)
    if (s.validAt !== undefined) sql.add(' FOR VALID_TIME AS OF ').param(micros(s.validAt, 'validAt'))
    where(sql, s.terms)
    if (s.order.length > 0) sql.add(' ORDER BY ').add(s.order.map(([c, d]) => `${ident(c)} ${d.toUpperCase()}`).join(', '))
    if (s.limit !== undefined) sql.add(' LIMIT ').param(s.limit)
    if (s.offset !== undefined) {
      if (s.limit === undefined) sql.add(' LIMIT -1')
      sql.add(' OFFSET ').param(s.offset)
    }
    return { sql: sql.text, parameters: sql.params }
  }

  /** Runs the query (inside `tx` when given). */
  execute(tx?: Transaction): Promise<Simplify<O>[]> {
    try {
      const { sql, parameters } = this.compile()
      return this.runner.runCompiled(sql, parameters, tx).then((r) => r.rows as Simplify<O>[])
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /** Runs the query; the first row or `undefined`. */
  executeTakeFirst(tx?: Transaction): Promise<Simplify<O> | undefined> {
    return this.execute(tx).then((rows) => rows[0])
  }

  /** Makes the builder awaitable: `await db.selectFrom('t').selectAll()`. */
  then<R1 = Simplify<O>[], R2 = never>(
    onfulfilled?: ((rows: Simplify<O>[]) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.execute().then(onfulfilled, onrejected)
  }
}

/** @internal A SELECT of nothing yet. */
export function selectFrom<DB extends Schema, T extends TableName<DB>>(runner: Runner, table: T): SelectQuery<DB, T, {}> {
  ident(table)
  return new SelectQuery(runner, { table, columns: null, terms: [], order: [], distinct: false, history: false })
}
