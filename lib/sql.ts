// SQL results, prepared statements and transactions.
import { Channel, NativeSession, NativeStatement } from './native'
import { TensorError, invalid, toTensorError } from './errors'
import { ReadOptions, readArgs } from './read-options'
import { SystemTime } from './time'

/** The whole result of a SQL statement. */
export interface SqlResult {
  /** Result rows as objects keyed by column name. */
  rows: Record<string, unknown>[]
  /** Result rows as arrays, in column order (keeps columns that share a name). */
  raw: unknown[][]
  /** Result column names, in order. */
  columns: string[]
  /**
   * Per column, its strict SQL type when the engine knows it ("BOOLEAN",
   * "TIMESTAMP", "DATE", "JSON"; "" otherwise). BOOLEAN columns come back as
   * booleans, TIMESTAMP as `Date`, JSON parsed; DATE stays `YYYY-MM-DD` text.
   */
  types: string[]
  /** Rows inserted, updated or deleted. */
  changes: number
  /** The row id (or INTEGER PRIMARY KEY) of the last inserted row. */
  lastInsertRowid: number | null
  /** The system time of the statement's commit (writes outside a transaction, and COMMIT). */
  systemTime: SystemTime | null
}

/** What `Statement.run` resolves to, as SQLite drivers report it. */
export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number
  /** The row id (or INTEGER PRIMARY KEY) of the last inserted row. */
  lastInsertRowid: number | null
  /** The commit's system time (`null` inside a transaction: it comes with COMMIT). */
  systemTime: SystemTime | null
}

/** Options of `db.transaction()`. */
export interface TransactionOptions {
  /** Re-runs after a write-write conflict (`TDB_CONFLICT`); default 8. */
  retries?: number
}

/** Options of a prepared statement's execution. */
export interface StatementOptions extends ReadOptions {
  /** Run inside this transaction (reads see its writes; writes commit with it). */
  tx?: Transaction
}

/**
 * @internal The addon's SQL completion: [columns, flat values, changes,
 * lastInsertRowid, systemTime, column types ("BOOLEAN", "TIMESTAMP", "DATE",
 * "JSON" or "")].
 */
export type SqlTuple = [string[], Buffer | unknown[], number, number | null, number | null, string[]]

/**
 * Decodes the addon's packed result values (see `pack_values` in
 * src/completion.rs): a tag byte per value — 0 NULL, 1 integer as f64,
 * 5 integer as i64 (a bigint), 2 REAL, 3 TEXT (u32 length + UTF-8),
 * 6 TEXT that is all ASCII (u32 length + bytes), 4 BLOB (u32 length + bytes).
 */
function unpackValues(b: Buffer, end = b.length, dv = new DataView(b.buffer, b.byteOffset, b.byteLength)): unknown[] {
  const out: unknown[] = []
  unpackInto(b, 0, end, dv, out, Infinity)
  return out
}

/**
 * Decodes at most `limit` values of `b` from byte `p` into `out`; returns
 * where it stopped (so a large result can be decoded in slices).
 */
function unpackInto(b: Buffer, p: number, end: number, dv: DataView, out: unknown[], limit: number): number {
  let left = limit
  // ASCII texts are cut from one latin1 copy of the buffer (byte offsets
  // are character offsets there): one call into Node per result instead of
  // one per value. Only for small buffers, so that a row kept from a large
  // result never holds a slice of all of it.
  let ascii: string | undefined
  const shared = end <= 65536
  while (p < end && left-- > 0) {
    const tag = b[p++]
    switch (tag) {
      case 0:
        out.push(null)
        break
      case 1:
      case 2:
        out.push(dv.getFloat64(p, true))
        p += 8
        break
      case 5:
        out.push(dv.getBigInt64(p, true))
        p += 8
        break
      case 3: {
        const n = dv.getUint32(p, true)
        p += 4
        out.push(b.toString('utf8', p, p + n))
        p += n
        break
      }
      case 6: {
        const n = dv.getUint32(p, true)
        p += 4
        if (shared) {
          if (ascii === undefined) ascii = b.toString('latin1', 0, end)
          out.push(ascii.slice(p, p + n))
        } else {
          out.push(b.toString('latin1', p, p + n))
        }
        p += n
        break
      }
      case 4: {
        const n = dv.getUint32(p, true)
        p += 4
        out.push(Buffer.from(b.subarray(p, p + n)))
        p += n
        break
      }
      default:
        throw new Error(`malformed SQL result (tag ${tag} at byte ${p - 1})`)
    }
  }
  return p
}

/** Results larger than this (bytes of packed values) are shaped in slices between event-loop turns. */
const SLICED_BYTES = 256 * 1024
/** Values decoded, or rows built, per slice (each well under 50 ms). */
const SLICE_VALUES = 4096

/** Lets the event loop run (timers, I/O) before the next slice. */
export function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r))
}

/**
 * `shapeResult` for results that crossed asynchronously: a large one is
 * decoded and turned into row objects in slices, yielding to the event
 * loop between them, so no single stall grows with the result's size.
 */
export async function shapeResultAsync(t: SqlTuple): Promise<SqlResult> {
  const [columns, values, changes, lastInsertRowid, systemTime, types] = t
  if (Array.isArray(values) || values.length <= SLICED_BYTES) return shapeResult(t)
  const width = columns.length
  const dv = new DataView(values.buffer, values.byteOffset, values.byteLength)
  // Each row is decoded into a small reused array and turned into its object
  // at once: no flat array of every value (which doubled the live heap and
  // made the garbage collector's pauses, not the decoding, the longest
  // stalls). Duplicate column names keep each row's values for `raw`.
  const distinct = new Set(columns).size === columns.length
  const typed = types !== undefined && width > 0 && types.some((x) => CONVERT[x] !== undefined)
  const make = width > 0 ? rowMaker(columns) : null
  const rows: Record<string, unknown>[] = []
  const raw: unknown[][] | null = distinct ? null : []
  const perSlice = Math.max(1, Math.floor(SLICE_VALUES / Math.max(1, width)))
  let one: unknown[] = []
  for (let p = 0; make !== null && p < values.length; ) {
    await turn()
    for (let n = 0; n < perSlice && p < values.length; n++) {
      one.length = 0
      p = unpackInto(values, p, values.length, dv, one, width)
      if (typed) convertTyped(one, width, types)
      rows.push(make(one, 0))
      if (raw !== null) {
        raw.push(one)
        one = []
      }
    }
  }
  return new Result(rows, columns, types ?? [], changes, lastInsertRowid, systemTime, null, raw)
}

type Convert = (v: unknown) => unknown

/** JSON text parsed; text that is not JSON (written before JSON columns were checked) stays text. */
function fromJson(v: unknown): unknown {
  if (typeof v !== 'string') return v
  try {
    return JSON.parse(v)
  } catch {
    return v
  }
}

/** Canonical TIMESTAMP text as a Date; any other stored form stays as it is. */
function fromTimestamp(v: unknown): unknown {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(v)) return v
  const d = new Date(v.replace(' ', 'T') + 'Z')
  return Number.isNaN(d.getTime()) ? v : d
}

const CONVERT: Record<string, Convert> = {
  BOOLEAN: (v) => (v === null ? null : typeof v === 'bigint' ? v !== 0n : typeof v === 'number' ? v !== 0 : v),
  JSON: fromJson,
  TIMESTAMP: fromTimestamp,
}

/** Converts typed columns of flat row values in place (BOOLEAN, JSON, TIMESTAMP). */
function convertTyped(flat: unknown[], width: number, types: string[] | undefined): void {
  if (types === undefined || width === 0) return
  for (let c = 0; c < width; c++) {
    const f = CONVERT[types[c]]
    if (f === undefined) continue
    for (let i = c; i < flat.length; i += width) flat[i] = f(flat[i])
  }
}

/** @internal Builds one row object from `flat[at …]`. */
export type RowMaker = (flat: unknown[], at: number) => Record<string, unknown>

const makers = new Map<string, RowMaker>()

/**
 * A function building one row object from `flat[at …]` for these column
 * names. Generated once per column list, so every row is an object literal
 * of one shape (V8 builds those ~10x faster than objects filled key by key);
 * where code generation is not allowed (a CSP without unsafe-eval) it falls
 * back to filling keys. Names are JSON-quoted; `__proto__` is a computed key
 * so it stays an own property.
 */
/** @internal */
export function rowMaker(columns: string[]): RowMaker {
  const cacheKey = JSON.stringify(columns)
  const hit = makers.get(cacheKey)
  if (hit !== undefined) return hit
  let make: RowMaker
  try {
    const fields = columns.map((c, i) => {
      const key = JSON.stringify(c)
      return `${c === '__proto__' ? `[${key}]` : key}: f[a + ${i}]`
    })
    make = new Function('f', 'a', `return { ${fields.join(', ')} }`) as RowMaker
  } catch {
    make = (flat, at) => {
      const row: Record<string, unknown> = {}
      for (let c = 0; c < columns.length; c++) row[columns[c]] = flat[at + c]
      return row
    }
  }
  if (makers.size >= 256) makers.clear()
  makers.set(cacheKey, make)
  return make
}

/** A `SqlResult` whose `raw` arrays are built on first use. */
class Result implements SqlResult {
  readonly #flat: unknown[] | null
  #raw: unknown[][] | undefined
  constructor(
    readonly rows: Record<string, unknown>[],
    readonly columns: string[],
    readonly types: string[],
    readonly changes: number,
    readonly lastInsertRowid: number | null,
    readonly systemTime: SystemTime | null,
    flat: unknown[] | null,
    raw?: unknown[][] | null,
  ) {
    this.#flat = flat
    if (raw !== null && raw !== undefined) this.#raw = raw
  }

  /** Result rows as arrays, in column order (keeps columns that share a name). */
  get raw(): unknown[][] {
    if (this.#raw === undefined) {
      const width = this.columns.length
      const raw: unknown[][] = []
      const flat = this.#flat
      if (flat === null) {
        for (const row of this.rows) raw.push(this.columns.map((c) => row[c]))
      } else {
        for (let i = 0; width > 0 && i < flat.length; i += width) raw.push(flat.slice(i, i + width))
      }
      this.#raw = raw
    }
    return this.#raw
  }
}

/** Results with fewer rows fill objects key by key (no shape generation). */
const GENERATED_FROM = 8

/** @internal Turns the addon's SQL completion into a `SqlResult`. */
export function shapeResult([columns, values, changes, lastInsertRowid, systemTime, types]: SqlTuple): SqlResult {
  const flat = Array.isArray(values) ? values : unpackValues(values)
  const width = columns.length
  convertTyped(flat, width, types)
  const rows: Record<string, unknown>[] = []
  // (`row['__proto__'] = v` would set the prototype: such names always get
  // a generated shape, which defines them as own properties.)
  if (width > 0 && (flat.length >= width * GENERATED_FROM || columns.includes('__proto__'))) {
    const make = rowMaker(columns)
    for (let i = 0; i < flat.length; i += width) rows.push(make(flat, i))
  } else {
    for (let i = 0; width > 0 && i < flat.length; i += width) {
      const row: Record<string, unknown> = {}
      for (let c = 0; c < width; c++) row[columns[c]] = flat[i + c]
      rows.push(row)
    }
  }
  return new Result(rows, columns, types ?? [], changes, lastInsertRowid, systemTime, flat)
}

/**
 * A JS Date as canonical TIMESTAMP text (`YYYY-MM-DD HH:MM:SS[.fff]`, UTC,
 * trailing fraction zeros dropped) — the form TIMESTAMP columns store, so a
 * Date parameter compares equal to the same instant stored in one.
 */
export function dateParam(d: Date, what: string): string {
  const t = d.getTime()
  if (!Number.isFinite(t)) throw invalid(`${what}: an invalid Date (NaN)`)
  const y = d.getUTCFullYear()
  if (y < 0 || y > 9999) throw invalid(`${what}: a Date outside the years 0000-9999`)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  let s = `${p(y, 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  const ms = d.getUTCMilliseconds()
  if (ms !== 0) s += '.' + p(ms, 3).replace(/0+$/, '')
  return s
}

/**
 * A parameter as the engine takes it: a Date becomes canonical TIMESTAMP
 * text (see `dateParam`), a plain object or array becomes JSON text (for
 * JSON columns); everything else passes through (the native layer checks
 * its type).
 */
function toParam(v: unknown, i: number): unknown {
  if (v instanceof Date) return dateParam(v, `parameter ${i + 1}`)
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    try {
      return JSON.stringify(v)
    } catch (e) {
      throw invalid(`parameter ${i + 1}: an object that cannot be JSON text (${(e as Error).message})`)
    }
  }
  return v
}

export function toParams(params: unknown[]): unknown[] {
  for (let i = 0; i < params.length; i++) {
    const v = params[i]
    if (v !== null && typeof v === 'object') return params.map(toParam)
  }
  return params
}

/** @internal Splits `sql()` arguments: plain text + params + options, or a tagged template. */
export function sqlArgs(first: unknown, rest: unknown[]): [string, unknown[], ReadOptions | undefined] {
  if (Array.isArray(first) && Object.prototype.hasOwnProperty.call(first, 'raw')) {
    const strings = first as unknown as TemplateStringsArray
    return [strings.reduce((acc, s, i) => acc + (i > 0 ? `$${i}` : '') + s, ''), toParams(rest), undefined]
  }
  if (typeof first !== 'string') throw invalid('sql() takes SQL text or a tagged template')
  const params = (rest[0] as unknown[] | undefined) ?? []
  if (!Array.isArray(params)) throw invalid('SQL parameters must be an array')
  return [first, toParams(params), rest[1] as ReadOptions | undefined]
}

function checkParams(params: unknown[] | undefined): unknown[] {
  if (params === undefined) return []
  if (!Array.isArray(params)) throw invalid('statement parameters must be an array')
  return toParams(params)
}

/** Rows a cursor hands over per native call while iterating. */
const BATCH = 256

/**
 * A prepared statement: parsed once, run many times. Parameters are an array
 * bound to `$1, $2, …` / `?` in order.
 */
export class Statement<Row = Record<string, unknown>> {
  /** True when the statement only reads. */
  readonly readOnly: boolean
  /**
   * Column names and types of the last result tuple `runStatementSync`
   * returned: a later answer of the same shape arrives as packed values in
   * the shared buffer (a byte count) with no names or types.
   */
  #shape: [string[], string[]] | undefined

  /** @internal */
  constructor(
    private readonly ch: Channel,
    private readonly native: NativeStatement,
    /** The SQL text. */
    readonly source: string,
  ) {
    this.readOnly = native.readOnly
  }

  /** A memory-only answer of `runStatementSync` as a result. */
  private syncResult(now: unknown): SqlResult {
    if (typeof now === 'number') {
      const shape = this.#shape
      if (shape === undefined) throw new Error('packed SQL result without a known shape')
      const flat = unpackValues(this.ch.scratch, now, this.ch.scratchView)
      return shapeResult([shape[0].slice(), flat, 0, null, null, shape[1].slice()])
    }
    const tuple = now as SqlTuple
    this.#shape = [tuple[0].slice(), tuple[5].slice()]
    return shapeResult(tuple)
  }

  /**
   * The result, synchronously when it was answered on this thread (from
   * memory), else a Promise. Throws for bad arguments.
   */
  private answer(params: unknown[] | undefined, options: StatementOptions | undefined): SqlResult | Promise<SqlResult> {
    const p = checkParams(params)
    const tx = options?.tx
    if (tx !== undefined) {
      if (options !== undefined && (options.asOf !== undefined || options.validAt !== undefined)) {
        throw invalid('a statement inside a transaction reads at the transaction snapshot (no asOf / validAt)')
      }
      const now = tx.runNow(this.native, p)
      if (now !== undefined) return now
      return tx.enqueue((session, id) => this.ch.native.sessionRun(session, this.native, p, id))
    }
    const [asOf, epoch, validAt] = readArgs(options)
    if (this.readOnly) {
      // A single-table read answered from memory settles without a thread
      // hop; anything that needs disk or a scan runs on the engine's threads.
      const now = this.ch.native.runStatementSync(this.native, p, asOf, epoch, validAt)
      if (now !== undefined) return this.syncResult(now)
    }
    return this.ch
      .call<SqlTuple>((id) => this.ch.native.runStatement(this.native, p, asOf, epoch, validAt, id))
      .then(shapeResultAsync)
  }

  /** @internal The whole result (the query builder uses it). */
  result(params: unknown[] | undefined, options: StatementOptions | undefined): Promise<SqlResult> {
    try {
      const a = this.answer(params, options)
      return a instanceof Promise ? a : Promise.resolve(a)
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /** Every result row, as objects. */
  all(params?: unknown[], options?: StatementOptions): Promise<Row[]> {
    try {
      const a = this.answer(params, options)
      if (!(a instanceof Promise)) return Promise.resolve(a.rows as Row[])
      return a.then((r) => r.rows as Row[])
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /** The first result row, or `undefined`. */
  get(params?: unknown[], options?: StatementOptions): Promise<Row | undefined> {
    try {
      const a = this.answer(params, options)
      if (!(a instanceof Promise)) return Promise.resolve(a.rows[0] as Row | undefined)
      return a.then((r) => r.rows[0] as Row | undefined)
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /** Runs a write: resolves to `{ changes, lastInsertRowid, systemTime }`. */
  run(params?: unknown[], options?: StatementOptions): Promise<RunResult> {
    return this.result(params, options).then(({ changes, lastInsertRowid, systemTime }) => ({
      changes,
      lastInsertRowid,
      systemTime,
    }))
  }

  /**
   * Streams the result rows, crossing into JS in batches as the loop asks
   * for them. A query reading one table row by row (no aggregate, GROUP BY,
   * DISTINCT, window, subquery, ORDER BY, LIMIT or CTE) is produced a chunk
   * at a time at one snapshot, so memory stays bounded however many rows it
   * has; any other statement (or one inside a transaction) is computed whole
   * first. `break` frees the rest.
   */
  async *iterate(params?: unknown[], options?: StatementOptions): AsyncGenerator<Row, void, undefined> {
    const p = checkParams(params)
    const tx = options?.tx
    const [asOf, epoch, validAt] = tx === undefined ? readArgs(options) : readArgs(undefined)
    let cursor = 0
    const start = (session: NativeSession | null, id: number): void => {
      cursor = id
      this.ch.native.openCursor(this.native, p, asOf, epoch, validAt, session, id)
    }
    const head =
      tx !== undefined ? await tx.enqueue((s, id) => start(s, id)) : await shapeResultAsync(await this.ch.call<SqlTuple>((id) => start(null, id)))
    const columns = head.columns
    const types = head.types
    const width = columns.length
    let done = false
    let batches = 0
    try {
      while (width > 0) {
        // A `for await` over batches runs as one chain of microtasks: let
        // the event loop in every 16 batches (4,096 rows).
        if (++batches % 16 === 0) await turn()
        let packed: Buffer | null
        try {
          packed = this.ch.native.cursorNext(cursor, BATCH)
        } catch (e) {
          throw toTensorError(e)
        }
        if (packed === null) {
          // The next chunk is read on the engine's threads.
          await this.ch.call<null>((id) => this.ch.native.cursorFill(cursor, id))
          continue
        }
        const flat = unpackValues(packed)
        if (flat.length === 0) {
          done = true
          return
        }
        convertTyped(flat, width, types)
        const make = rowMaker(columns)
        for (let i = 0; i < flat.length; i += width) yield make(flat, i) as Row
      }
      done = true
    } finally {
      if (!done) this.ch.native.cursorClose(cursor)
    }
  }
}

/**
 * The handle `db.transaction(fn)` passes to `fn`. Its statements run one at
 * a time in call order, read the transaction's snapshot plus its own writes,
 * and commit together. SAVEPOINT / ROLLBACK TO / RELEASE work as SQL.
 */
export class Transaction {
  private tail: Promise<unknown> = Promise.resolve()
  private pending = 0
  private finished = false

  /** @internal */
  constructor(
    private readonly ch: Channel,
    private readonly session: NativeSession,
  ) {}

  /** @internal Runs `start` after every earlier statement of the transaction. */
  enqueue(start: (session: NativeSession, id: number) => void): Promise<SqlResult> {
    if (this.finished) return Promise.reject(invalid('the transaction is finished'))
    this.pending++
    const next = this.tail.then(
      () => this.ch.call<SqlTuple>((id) => start(this.session, id)).then(shapeResultAsync),
      () => this.ch.call<SqlTuple>((id) => start(this.session, id)).then(shapeResultAsync),
    )
    this.tail = next.then(
      () => {
        this.pending--
      },
      () => {
        this.pending--
      },
    )
    return next
  }

  /**
   * @internal Runs a prepared statement on the JS thread when nothing of the
   * transaction is queued and the statement only needs memory (its writes
   * are buffered until COMMIT anyway); `undefined` means "enqueue it".
   * Errors throw, as the queued run would reject.
   */
  runNow(stmt: NativeStatement, params: unknown[]): SqlResult | undefined {
    if (this.finished) throw invalid('the transaction is finished')
    if (this.pending > 0) return undefined
    const r = this.ch.native.sessionRunSync(this.session, stmt, params)
    return r === undefined ? undefined : shapeResult(r as SqlTuple)
  }

  /** Like `db.sql`, inside the transaction. */
  sql<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>
  sql<Row = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<Row[]>
  sql<Row = Record<string, unknown>>(first: string | TemplateStringsArray, ...rest: unknown[]): Promise<Row[]> {
    return this.exec(first as string, ...(rest as [unknown[]?])).then((r) => r.rows as Row[])
  }

  /** Like `db.exec`, inside the transaction. */
  exec(text: string, params?: unknown[]): Promise<SqlResult>
  exec(strings: TemplateStringsArray, ...values: unknown[]): Promise<SqlResult>
  exec(first: string | TemplateStringsArray, ...rest: unknown[]): Promise<SqlResult> {
    try {
      const [text, params, options] = sqlArgs(first, rest)
      if (options !== undefined) throw invalid('statements in a transaction read at its snapshot (no read options)')
      return this.enqueue((session, id) => this.ch.native.sessionSql(session, text, params, id))
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /** @internal Waits for queued statements, then commits. */
  async commit(): Promise<void> {
    await this.tail
    this.finished = true
    await this.ch.call<SqlTuple>((id) => this.ch.native.sessionSql(this.session, 'COMMIT', [], id))
  }

  /** @internal Abandons the transaction's writes. */
  abort(): void {
    this.finished = true
    this.session.rollback()
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** @internal The body of `db.transaction()`. */
export async function runTransaction<T>(
  channel: () => Channel,
  fn: (tx: Transaction) => Promise<T> | T,
  options: TransactionOptions,
): Promise<T> {
  if (typeof fn !== 'function') throw invalid('transaction() takes an async function')
  if (typeof options !== 'object' || options === null) throw invalid('transaction options must be an object')
  const retries = options.retries ?? 8
  if (!Number.isSafeInteger(retries) || retries < 0) throw invalid('retries must be a non-negative integer')
  for (let attempt = 0; ; attempt++) {
    const ch = channel()
    const tx = new Transaction(ch, ch.native.session())
    try {
      await tx.exec('BEGIN')
      const result = await fn(tx)
      await tx.commit()
      return result
    } catch (e) {
      tx.abort()
      const conflict = e instanceof TensorError && e.code === 'TDB_CONFLICT'
      if (!conflict || attempt >= retries) throw e
      await sleep(Math.min(50, 2 ** attempt) * Math.random())
    }
  }
}
