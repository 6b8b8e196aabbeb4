import { Channel, NativeCancel, NativeOpenOptions, newCancel } from './native'
import { Change, ChangesOptions, TableChange, TableChangesOptions, changeFeed } from './changes'
import { ReadOptions, SqlOptions, NONE, readArgs } from './read-options'
import { RunResult, SqlResult, SqlTuple, Statement, StatementOptions, Transaction, TransactionOptions, runTransaction, shapeResult, shapeResultAsync, sqlArgs, toParams, turn } from './sql'
import { TensorError, invalid, toTensorError } from './errors'
import { Micros, SystemTime, TimeInput, toMicros } from './time'
import { Key, Value, checkKey, decodeValue, encodeValue, keyString } from './values'
import { Runner, SelectQuery, selectFrom } from './query/select'
import { WriteQuery, deleteFrom, insertInto, updateTable } from './query/write'
import { LooseSchema, Schema, TableName } from './query/types'

/** Options for `open()`; every field has a default. */
export interface OpenOptions {
  /**
   * `'full'` (default): a write's Promise resolves only after its WAL record is
   * fdatasync'ed (concurrent writes share one sync). `'buffered'`: resolves once
   * the OS has the bytes; synced within `syncIntervalMs` — a crash can lose
   * writes acknowledged within that window.
   */
  durability?: 'full' | 'buffered'
  /** Buffered mode: longest time between a write and its sync (default 100 ms). */
  syncIntervalMs?: number
  /** Shards of a new database (default 4; fixed once created). */
  shards?: number
  /** Memtable budget in bytes before a flush (default 64 MiB). */
  memtableBytes?: number
  /** Block cache budget in bytes (default 128 MiB). */
  cacheBytes?: number
  /** Row cache budget in bytes: point-read values of flushed rows (default 32 MiB, 0 disables). */
  rowCacheBytes?: number
  /** Engine threads serving reads that touch disk (default 2). */
  readThreads?: number
  /**
   * Open without writing anything (default false): works on a read-only
   * folder or file system; no LOCK file is created (a shared lock is taken
   * if one exists, so a writer in another process makes it `TDB_LOCKED`);
   * every write fails with `TDB_READ_ONLY`. In one process, the first
   * opener of a folder decides its options.
   */
  readOnly?: boolean
  /**
   * Bytes of rows one SQL statement may hold — scan buffers, loaded tables,
   * join output and hash tables, GROUP BY groups, DISTINCT and set-operation
   * sets, window partitions, sort space, recursive CTE rows and each query's
   * result — before it fails with `TDB_LIMIT` naming the operator (default
   * 2 GiB; 0: no budget).
   */
  statementMemoryBytes?: number
  /**
   * Longest text or blob, in bytes, that a SQL function or operator may
   * build (`||`, `printf`, `repeat`, `group_concat`, …) before the statement
   * fails with `TDB_LIMIT` (default 1,000,000,000, SQLite's; at most
   * 2,147,483,647).
   */
  maxLength?: number
  /**
   * Longest a SQL statement may run, in milliseconds, before it fails with
   * `TDB_LIMIT` (default: no limit). A session can set its own with
   * `SET statement_timeout = <ms>`.
   */
  statementTimeoutMs?: number
  /**
   * Repair what opening otherwise refuses with `TDB_CORRUPT` (default false):
   * a missing MANIFEST is rebuilt from the table files (the old files are
   * moved into `repair-<time>/`), a WAL with a damaged record followed by
   * intact ones is cut at the damage. What was cut is in `db.recovery`.
   */
  repair?: boolean
}

/**
 * What recovery cut or rebuilt when the database opened (`db.recovery`;
 * `null` when it found nothing to do).
 */
export interface Recovery {
  /** `'torn-tail'` (a crash's incomplete last write: cut as a matter of course) or `'corruption'` (cut because `repair` was set); absent when the WAL was clean. */
  wal?: 'torn-tail' | 'corruption'
  /** The WAL segment that was cut. */
  segment?: number
  /** Byte offset of the cut in that segment. */
  offset: number
  /** Bytes cut off. */
  bytesDropped: number
  /** Intact records dropped with the cut: acknowledged writes lost to corruption (0 for a torn tail). */
  recordsDropped: number
  /** Later WAL segments set aside (renamed `*.dropped`). */
  segmentsDropped: number[]
  /** Records replayed from the WAL. */
  recordsReplayed: number
  /** Table files the manifest was rebuilt from (repair), if it was rebuilt. */
  manifestTables?: number
  /** Unfinished table files that rebuild found (their data is in the WAL or other tables). */
  unfinishedTables?: number
  /** Where the rebuild moved the old table files. */
  tablesMovedTo?: string
}

/** What `db.check()` verified and found. */
export interface CheckReport {
  /** True when no problem was found. */
  ok: boolean
  /** Table files verified. */
  tables: number
  /** Blocks (data, bloom, index) whose checksums were verified. */
  blocks: number
  /** Bytes of table files read. */
  bytes: number
  /** WAL segments read. */
  walSegments: number
  /** Intact WAL records in them. */
  walRecords: number
  /** SQL indexes compared with their tables. */
  indexes: number
  /** Every problem found, one line each. */
  problems: string[]
}

/** The valid period of a write, half-open `[validFrom, validTo)`. */
export interface WriteOptions {
  /** Start (inclusive). Default: the commit's time. `null`: from the beginning of time. */
  validFrom?: TimeInput | null
  /** End (exclusive). Default / `null`: open-ended (valid until further notice). */
  validTo?: TimeInput | null
}

/** One operation of an atomic batch. */
export type BatchOp =
  | ({ type: 'put'; key: Key; value: Value } & WriteOptions)
  | ({ type: 'delete'; key: Key } & WriteOptions)

/** What a scan covers, and how. */
export interface ScanOptions extends ReadOptions {
  /** Only keys starting with this. */
  prefix?: Key
  /** Only keys `>= start`. */
  start?: Key
  /** Only keys `< end`. */
  end?: Key
  /** At most this many entries. */
  limit?: number
  /** Largest key first. */
  reverse?: boolean
  /**
   * Return keys as `'string'` (UTF-8, default) or `'buffer'`. In string mode
   * a key whose bytes are not valid UTF-8 (only writable as bytes) comes back
   * as a Buffer, so two such keys never collide; store binary keys with
   * `'buffer'`.
   */
  keys?: 'string' | 'buffer'
}

/** One scan result. */
export interface Entry<K = string> {
  key: K
  value: Value
}

/** One fact from a key's history, with both periods (µs since the epoch; `null` = open). */
export interface Fact {
  /** `'put'` asserted `value`; `'delete'` retracted the key for the period. */
  kind: 'put' | 'delete'
  /** The value (`null` for deletes). */
  value: Value | null
  /** When the database recorded this fact (its commit's system time). */
  systemFrom: SystemTime
  /** When a newer fact overriding part of its valid period was recorded; `null` if none. */
  systemTo: SystemTime | null
  /** Valid period start (inclusive). */
  validFrom: Micros
  /** Valid period end (exclusive); `null` when open-ended. */
  validTo: Micros | null
}

/** The hidden period columns of a SQL row version (µs since the epoch; `null` = open). */
export interface RowPeriods {
  /** When the database learned this version. */
  _system_from: SystemTime
  /** When a newer fact replaced it; `null` while current. */
  _system_to: SystemTime | null
  /** Valid period start (inclusive); `null` = from the beginning of time. */
  _valid_from: Micros | null
  /** Valid period end (exclusive); `null` = open. */
  _valid_to: Micros | null
}

const MIN_VALID = -9223372036854775808 // i64::MIN as a double: "from the beginning of time"

function validFrom(v: TimeInput | null | undefined): number {
  if (v === undefined) return NONE
  if (v === null) return MIN_VALID
  return toMicros(v, 'validFrom')
}

function validTo(v: TimeInput | null | undefined): number {
  return v === undefined || v === null ? NONE : toMicros(v, 'validTo')
}

/**
 * Decodes a packed scan result: row bytes, then per row `key start | key len |
 * value len` (u32 LE each), then the row count (u32 LE).
 */
async function unpackRows(buf: Buffer, keysAsBuffer: boolean): Promise<Entry<string | Buffer>[]> {
  const n = buf.readUInt32LE(buf.length - 4)
  let ix = buf.length - 4 - n * 12
  const out = new Array<Entry<string | Buffer>>(n)
  for (let i = 0; i < n; i++, ix += 12) {
    // Large scans are decoded in slices between event-loop turns.
    if (i > 0 && i % 4096 === 0) await turn()
    const ks = buf.readUInt32LE(ix)
    const ke = ks + buf.readUInt32LE(ix + 4)
    const ve = ke + buf.readUInt32LE(ix + 8)
    const key = keysAsBuffer ? Buffer.from(buf.subarray(ks, ke)) : keyString(buf, ks, ke)
    out[i] = { key, value: decodeValue(buf, ke, ve) }
  }
  return out
}

/**
 * An open TensorDB database. Every method returns a Promise except
 * `getSync` and `now`; work that may touch the disk runs on the engine's own
 * threads, never on Node's event loop.
 */
/** A column of a SQL table, as `db.tables()` reports it. */
export interface ColumnInfo {
  /** Name (as stored: lower case unless quoted). */
  name: string
  /** The type as declared in CREATE TABLE. */
  declaredType: string
  /** Storage affinity. */
  affinity: 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB' | 'NUMERIC'
  /** Strict kind, when the type has one. */
  kind: 'BOOLEAN' | 'TIMESTAMP' | 'DATE' | 'JSON' | null
  /** Declared NOT NULL. */
  notNull: boolean
  /** Position in the primary key (1-based), 0 when not part of it. */
  primaryKey: number
}

/** A SQL table, as `db.tables()` reports it. */
export interface TableInfo {
  /** Name. */
  name: string
  /** Columns in order. */
  columns: ColumnInfo[]
}

export class Database<DB extends Schema = LooseSchema> implements Runner {
  private channel: Channel | null
  /** Statements the query builder prepared, by SQL text. */
  private readonly compiled = new Map<string, Statement>()
  /** The folder this database lives in. */
  readonly path: string
  /** What recovery cut or rebuilt when the database opened; `null` when nothing. */
  readonly recovery: Recovery | null

  /** @internal Use `open()`. */
  constructor(channel: Channel, path: string) {
    this.channel = channel
    this.path = path
    this.recovery = (channel.native.recovery() as Recovery | null) ?? null
  }

  /** False once `close()` was called. */
  isOpen(): boolean {
    return this.channel !== null
  }

  private ch(): Channel {
    if (this.channel === null) throw new TensorError('TDB_CLOSED', 'the database is closed')
    return this.channel
  }

  private run<T>(start: (ch: Channel, id: number) => void): Promise<T> {
    try {
      const ch = this.ch()
      return ch.call<T>((id) => start(ch, id))
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /**
   * Records `value` for `key`, valid over `[validFrom, validTo)` (default: from
   * now on). Resolves to the write's system time once durable.
   */
  put(key: Key, value: Value, options?: WriteOptions): Promise<SystemTime> {
    try {
      const ch = this.ch()
      checkKey(key)
      const [tag, data] = encodeValue(value)
      return ch.queueWrite(1, key, tag, data, validFrom(options?.validFrom), validTo(options?.validTo))
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /** Records that `key` has no value over the period (default: from now on). Resolves to the system time. */
  delete(key: Key, options?: WriteOptions): Promise<SystemTime> {
    try {
      const ch = this.ch()
      checkKey(key)
      return ch.queueWrite(2, key, 0, '', validFrom(options?.validFrom), validTo(options?.validTo))
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /** Commits puts and deletes atomically under one system time (across all shards). */
  batch(ops: BatchOp[]): Promise<SystemTime> {
    return this.run((ch, id) => {
      if (!Array.isArray(ops)) throw invalid('batch() takes an array of operations')
      const n = ops.length
      const kinds = new Array<number>(n)
      const keys = new Array<string | Uint8Array>(n)
      const tags = new Array<number>(n)
      const values = new Array<string | Uint8Array>(n)
      const froms = new Array<number>(n)
      const tos = new Array<number>(n)
      for (let i = 0; i < n; i++) {
        const op = ops[i]
        if (op === null || typeof op !== 'object') throw invalid(`batch operation ${i} is not an object`)
        keys[i] = checkKey(op.key, `batch[${i}].key`)
        froms[i] = validFrom(op.validFrom)
        tos[i] = validTo(op.validTo)
        if (op.type === 'put') {
          kinds[i] = 1
          const [tag, data] = encodeValue(op.value)
          tags[i] = tag
          values[i] = data
        } else if (op.type === 'delete') {
          kinds[i] = 2
          tags[i] = 0
          values[i] = ''
        } else {
          throw invalid(`batch[${i}].type must be 'put' or 'delete'`)
        }
      }
      ch.native.batch(kinds, keys, tags, values, froms, tos, id)
    })
  }

  /**
   * Reads `key` by the bitemporal rule: the newest fact known at `asOf`
   * whose valid period contains `validAt`. Resolves to the value or `undefined`.
   * Reads answered from memory settle without a thread hop.
   */
  get(key: Key, options?: ReadOptions): Promise<Value | undefined> {
    try {
      const ch = this.ch()
      checkKey(key)
      const [asOf, epoch, validAt] = readArgs(options)
      const n = ch.native.getInto(key, asOf, epoch, validAt)
      if (n >= 0) return Promise.resolve(decodeValue(ch.scratch, 0, n))
      if (n === -1) return Promise.resolve(undefined)
      if (n === -3) {
        const v = ch.native.getSync(key, asOf, epoch, validAt)
        if (v !== undefined) return Promise.resolve(v === null ? undefined : (v as Value))
      }
      return ch
        .call<Value | null>((id) => ch.native.get(key, asOf, epoch, validAt, id))
        .then((r) => (r === null ? undefined : r))
    } catch (e) {
      return Promise.reject(toTensorError(e))
    }
  }

  /**
   * Synchronous read for data already in memory (memtables and cached
   * blocks). Throws `TDB_WOULD_BLOCK` when answering needs disk I/O — use
   * `get()` then. Never blocks the event loop.
   */
  getSync(key: Key, options?: ReadOptions): Value | undefined {
    try {
      const ch = this.ch()
      checkKey(key)
      const [asOf, epoch, validAt] = readArgs(options)
      const n = ch.native.getInto(key, asOf, epoch, validAt)
      if (n >= 0) return decodeValue(ch.scratch, 0, n)
      if (n === -1) return undefined
      const v = n === -3 ? ch.native.getSync(key, asOf, epoch, validAt) : undefined
      if (v === undefined) {
        throw new TensorError('TDB_WOULD_BLOCK', 'this read needs disk I/O; use await db.get()')
      }
      return v === null ? undefined : (v as Value)
    } catch (e) {
      throw toTensorError(e)
    }
  }

  /**
   * Scans keys in order (by bytes) and resolves to an array of entries —
   * bounded by `limit`. For large ranges use `iterate()`, which pages.
   */
  scan(options?: ScanOptions & { keys?: 'string' }): Promise<Entry<string>[]>
  scan(options: ScanOptions & { keys: 'buffer' }): Promise<Entry<Buffer>[]>
  scan(options: ScanOptions = {}): Promise<Entry<string | Buffer>[]> {
    return this.run<Buffer>((ch, id) => {
      if (typeof options !== 'object' || options === null) throw invalid('scan options must be an object')
      const [asOf, epoch, validAt] = readArgs(options)
      const limit = options.limit ?? -1
      if (options.limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
        throw invalid('limit must be a non-negative integer')
      }
      const opt = (k: Key | undefined, what: string) => (k === undefined ? null : checkKey(k, what))
      ch.native.scan(
        opt(options.prefix, 'prefix'),
        opt(options.start, 'start'),
        opt(options.end, 'end'),
        limit,
        options.reverse === true,
        asOf,
        epoch,
        validAt,
        id,
      )
    }).then((packed) => unpackRows(packed, options.keys === 'buffer'))
  }

  /**
   * Streams the rows of a SQL query (`db.iterate('SELECT …', params,
   * options)`, as `prepare(sql).iterate(params, options)`): a query reading
   * one table row by row is produced a chunk at a time at one snapshot, so
   * memory stays bounded however large the table.
   */
  iterate<Row = Record<string, unknown>>(sql: string, params?: unknown[], options?: StatementOptions): AsyncGenerator<Row, void, undefined>
  /**
   * Iterates a key range of any size in pages of `pageSize` entries, all read
   * at one system time (the first page's), so the result is a consistent
   * snapshot.
   */
  iterate(options?: ScanOptions & { pageSize?: number }): AsyncGenerator<Entry<string | Buffer>>
  iterate(first?: unknown, params?: unknown[], options?: StatementOptions): AsyncGenerator<unknown> {
    if (typeof first === 'string') return this.prepare(first).iterate(params, options)
    return this.iterateKeys((first === undefined ? {} : first) as ScanOptions & { pageSize?: number })
  }

  private async *iterateKeys(options: ScanOptions & { pageSize?: number }): AsyncGenerator<Entry<string | Buffer>> {
    if (typeof options !== 'object' || options === null) throw invalid('iterate() options must be an object')
    const pageSize = options.pageSize ?? 1000
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw invalid('pageSize must be a positive integer')
    const asOf = options.asOf ?? this.now()
    if (options.limit !== undefined && (!Number.isSafeInteger(options.limit) || options.limit < 0)) {
      throw invalid('limit must be a non-negative integer')
    }
    let remaining = options.limit ?? Infinity
    let start = options.start
    let end = options.end
    for (;;) {
      const page = await this.scan({
        ...options,
        keys: 'buffer',
        asOf,
        start,
        end,
        limit: Math.min(pageSize, remaining),
      } as ScanOptions & { keys: 'buffer' })
      for (const e of page) {
        yield options.keys === 'buffer' ? e : { key: keyString(e.key, 0, e.key.length), value: e.value }
      }
      remaining -= page.length
      if (page.length < pageSize || remaining <= 0) return
      const last = page[page.length - 1].key
      if (options.reverse) end = last
      else start = Buffer.concat([last, Buffer.from([0])])
    }
  }

  /**
   * Runs SQL and resolves to the result rows as plain objects. Parameters are
   * `$1, $2, …` (or `?`); as a tagged template (``db.sql`SELECT … ${v}` ``)
   * values are always passed as parameters, never interpolated. Several
   * `;`-separated statements run in order (each autocommitted, or together
   * between BEGIN and COMMIT); the last one's rows are returned. Integers come
   * back as numbers when they fit in 2^53, otherwise as bigint; BLOBs as
   * Buffers; NULL as null.
   */
  sql<Row = Record<string, unknown>>(text: string, params?: unknown[], options?: SqlOptions): Promise<Row[]>
  sql<Row = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<Row[]>
  sql<Row = Record<string, unknown>>(first: string | TemplateStringsArray, ...rest: unknown[]): Promise<Row[]> {
    return this.exec(first as string, ...(rest as [unknown[]?, SqlOptions?])).then((r) => r.rows as Row[])
  }

  /**
   * The SQL tables as they are now, by name, with their columns in order
   * (for tools: `tensordb generate-types` writes a schema type from it).
   */
  tables(): Promise<TableInfo[]> {
    return this.run<SqlTuple>((ch, id) => ch.native.tableColumns(id)).then((t) => {
      const out: TableInfo[] = []
      for (const r of shapeResult(t).rows) {
        const name = r.table as string
        if (out.length === 0 || out[out.length - 1].name !== name) out.push({ name, columns: [] })
        out[out.length - 1].columns.push({
          name: r.column as string,
          declaredType: r.declared_type as string,
          affinity: r.affinity as ColumnInfo['affinity'],
          kind: (r.kind as string) === '' ? null : (r.kind as ColumnInfo['kind']),
          notNull: r.not_null === 1,
          primaryKey: r.primary_key as number,
        })
      }
      return out
    })
  }

  /**
   * Like `sql`, resolving to the whole result: `rows`, `columns`, `changes`
   * (rows written), `lastInsertRowid` and the write's `systemTime`.
   */
  exec(text: string, params?: unknown[], options?: SqlOptions): Promise<SqlResult>
  exec(strings: TemplateStringsArray, ...values: unknown[]): Promise<SqlResult>
  exec(first: string | TemplateStringsArray, ...rest: unknown[]): Promise<SqlResult> {
    let detach: (() => void) | undefined
    const run = this.run<SqlTuple>((ch, id) => {
      const [text, params, options] = sqlArgs(first, rest)
      const [asOf, epoch, validAt] = readArgs(options)
      const signal = (options as SqlOptions | undefined)?.signal
      let cancel: NativeCancel | null = null
      if (signal !== undefined) {
        if (!(signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal')
        if (signal.aborted) throw new TensorError('TDB_LIMIT', 'the statement was cancelled before it started')
        const c = newCancel()
        const onAbort = () => c.cancel()
        signal.addEventListener('abort', onAbort, { once: true })
        detach = () => signal.removeEventListener('abort', onAbort)
        cancel = c
      }
      ch.native.sql(text, params, asOf, epoch, validAt, cancel, id)
    })
    return run.finally(() => detach?.()).then(shapeResultAsync)
  }

  /**
   * Parses SQL once (syntax errors throw here) for repeated runs with
   * `all / get / run / iterate`.
   */
  prepare<Row = Record<string, unknown>>(text: string): Statement<Row> {
    try {
      if (typeof text !== 'string') throw invalid('prepare() takes SQL text')
      const ch = this.ch()
      return new Statement<Row>(ch, ch.native.prepare(text), text)
    } catch (e) {
      throw toTensorError(e)
    }
  }

  /**
   * Runs `fn` in a transaction: its statements see one snapshot plus their
   * own writes, and commit atomically under one system time when `fn`
   * resolves; if `fn` throws, nothing is written. A write-write conflict with
   * another transaction (`TDB_CONFLICT`) re-runs `fn` on a fresh snapshot, up
   * to `retries` times (default 8) — keep `fn` free of other side effects.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T> | T, options: TransactionOptions = {}): Promise<T> {
    return runTransaction(() => this.ch(), fn, options)
  }

  /**
   * Committed changes as an async iterable, in commit order:
   * `for await (const change of db.changes({ prefix: 'user:', cursor: 'billing' })) { … }`.
   * Pull-based: the engine buffers nothing for a slow consumer; `break`
   * ends the subscription. With a durable `cursor`, a consumer that
   * restarts (even after a crash) resumes after the last change it
   * acknowledged (see `ChangesOptions.autoAck`).
   */
  changes<Row = Record<string, unknown>>(options: TableChangesOptions): AsyncIterable<TableChange<Row>>
  changes<K extends 'string' | 'buffer' = 'string'>(
    options?: ChangesOptions<K>,
  ): AsyncIterable<Change<K extends 'buffer' ? Buffer : string>>
  changes(options: ChangesOptions<'string' | 'buffer'> = {}): AsyncIterable<unknown> {
    try {
      return changeFeed(() => this.ch(), options)
    } catch (e) {
      throw toTensorError(e)
    }
  }

  /** Every fact ever recorded for `key`, newest first, with both periods. */
  history(key: Key): Promise<Fact[]>
  /**
   * Every version of one row of SQL table `table` as it was written, oldest
   * first, the row named by its primary key value (an array for a composite
   * key): the row's columns plus `_system_from` (when written),
   * `_system_to` (when a later write replaced it for some of its valid
   * period; `null` if none), `_valid_from`, `_valid_to` (the period it was
   * written for) — µs since the Unix epoch, `null` = open. Deletes end
   * versions and are not listed. For exact bitemporal rectangles query the
   * table `FOR SYSTEM_TIME ALL FOR VALID_TIME ALL`.
   */
  history<Row = Record<string, unknown>>(table: string, key: unknown): Promise<(Row & RowPeriods)[]>
  history(first: Key | string, rowKey?: unknown): Promise<unknown> {
    if (arguments.length >= 2) {
      const key = first
      return this.run<SqlTuple>((ch, id) => {
        if (typeof key !== 'string') throw invalid('history(table, key): table must be a string')
        ch.native.rowHistory(key, toParams(Array.isArray(rowKey) ? rowKey : [rowKey]), id)
      }).then((t) => shapeResult(t).rows)
    }
    const key = first
    return this.run<unknown[]>((ch, id) => {
      checkKey(key)
      ch.native.history(key, id)
    }).then((flat) => {
      const out: Fact[] = []
      for (let i = 0; i < flat.length; i += 6) {
        out.push({
          kind: flat[i] === 1 ? 'put' : 'delete',
          value: flat[i + 1] as Value | null,
          systemFrom: flat[i + 2] as number,
          systemTo: flat[i + 3] as number | null,
          validFrom: flat[i + 4] as number,
          validTo: flat[i + 5] as number | null,
        })
      }
      return out
    })
  }

  /** Records a new epoch (a named, cross-shard consistent system time). Resolves to its number and time. */
  advanceEpoch(): Promise<{ epoch: number; systemTime: SystemTime }> {
    return this.run<[number, number]>((ch, id) => ch.native.advanceEpoch(id)).then(([epoch, systemTime]) => ({
      epoch,
      systemTime,
    }))
  }

  /** The newest visible system time. */
  now(): SystemTime {
    try {
      return this.ch().native.now()
    } catch (e) {
      throw toTensorError(e)
    }
  }

  /** Flushes in-memory data to table files (normally automatic). */
  flush(): Promise<void> {
    return this.run<null>((ch, id) => ch.native.flush(id)).then(() => undefined)
  }

  /** Closes the database: pending writes finish, data is flushed. Safe to call twice. */
  /**
   * A typed SELECT on `table` (see README, "Query builder"): `db.selectFrom('accounts')
   * .select(['id', 'name']).where('balance', '>', 500)` resolves to rows typed
   * from the schema `DB` given to `open<DB>()`.
   */
  selectFrom<T extends TableName<DB>>(table: T): SelectQuery<DB, T, {}> {
    return selectFrom<DB, T>(this, table)
  }

  /** A typed INSERT into `table`: `.values(row | rows)`, optionally `.returning([...])`. */
  insertInto<T extends TableName<DB>>(table: T): WriteQuery<DB, T, RunResult> {
    return insertInto<DB, T>(this, table)
  }

  /** A typed UPDATE of `table`: `.set({...}).where(...)`, optionally `.forPortionOf(from, to)`. */
  updateTable<T extends TableName<DB>>(table: T): WriteQuery<DB, T, RunResult> {
    return updateTable<DB, T>(this, table)
  }

  /** A typed DELETE from `table`: `.where(...)`, optionally `.forPortionOf(from, to)`. */
  deleteFrom<T extends TableName<DB>>(table: T): WriteQuery<DB, T, RunResult> {
    return deleteFrom<DB, T>(this, table)
  }

  /**
   * @internal A session of its own (statements run in order; BEGIN /
   * COMMIT / ROLLBACK as SQL), for drivers such as the Kysely dialect.
   */
  session(): Transaction {
    const ch = this.ch()
    return new Transaction(ch, ch.native.session())
  }

  /** @internal Runs builder SQL through a cached prepared statement. */
  runCompiled(text: string, params: unknown[], tx: Transaction | undefined): Promise<SqlResult> {
    let st = this.compiled.get(text)
    if (st === undefined) {
      try {
        st = this.prepare(text)
      } catch (e) {
        return Promise.reject(toTensorError(e))
      }
      if (this.compiled.size >= 256) this.compiled.clear()
      this.compiled.set(text, st)
    }
    return st.result(params, tx === undefined ? undefined : { tx })
  }

  async close(): Promise<void> {
    const ch = this.channel
    if (ch === null) return
    this.channel = null
    this.compiled.clear()
    const done = ch.call<null>((id) => ch.native.close(id))
    ch.shutdown()
    await done
  }

  /**
   * Verifies the whole database on the engine's threads and reports instead
   * of throwing: the manifest, every block checksum of every table file,
   * the WAL, and that every SQL index agrees with its table.
   * `onProgress(doneBytes, totalBytes)` is called while it runs (every
   * `progressMs`, default 200 ms). Also as SQL: `CHECK DATABASE`; and from
   * the command line: `tensordb check <dir>`.
   */
  async check(options: { onProgress?: (done: number, total: number) => void; progressMs?: number } = {}): Promise<CheckReport> {
    if (typeof options !== 'object' || options === null) throw invalid('check() options must be an object')
    const { onProgress, progressMs = 200 } = options
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress must be a function')
    const ch = this.ch()
    const timer = onProgress
      ? setInterval(() => {
          const [done, total] = ch.native.checkProgress()
          onProgress(done, total)
        }, progressMs)
      : undefined
    try {
      const r = shapeResult(await this.run<SqlTuple>((c, id) => c.native.check(id)))
      const report: CheckReport = { ok: true, tables: 0, blocks: 0, bytes: 0, walSegments: 0, walRecords: 0, indexes: 0, problems: [] }
      for (const row of r.rows) {
        if (row.item === 'problem') report.problems.push(row.problem as string)
        else (report as unknown as Record<string, number>)[row.item as string] = Number(row.count)
      }
      report.ok = report.problems.length === 0
      if (onProgress) onProgress(report.bytes, report.bytes)
      return report
    } finally {
      if (timer) clearInterval(timer)
    }
  }

  /** `await using db = await open(...)` closes it at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/**
 * Opens (creating if needed) the database in folder `path`. Opening a folder
 * another process holds fails with `TDB_LOCKED`; opening it again in this
 * process (for example from worker threads) shares one engine.
 */
export async function open<DB extends Schema = LooseSchema>(path: string, options: OpenOptions = {}): Promise<Database<DB>> {
  if (typeof path !== 'string' || path.length === 0) throw invalid('open() needs a folder path')
  if (typeof options !== 'object' || options === null) throw invalid('open options must be an object')
  if (options.durability !== undefined && options.durability !== 'full' && options.durability !== 'buffered') {
    throw invalid(`durability must be 'full' or 'buffered'`)
  }
  if (options.repair !== undefined && typeof options.repair !== 'boolean') throw invalid('repair must be a boolean')
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') throw invalid('readOnly must be a boolean')
  const sizes: [keyof OpenOptions, number, number][] = [
    ['shards', 1, 256],
    ['memtableBytes', 0, Number.MAX_SAFE_INTEGER],
    ['cacheBytes', 0, Number.MAX_SAFE_INTEGER],
    ['rowCacheBytes', 0, Number.MAX_SAFE_INTEGER],
    ['syncIntervalMs', 1, 60_000],
    ['readThreads', 1, 64],
    ['statementTimeoutMs', 0, 2 ** 31],
    ['statementMemoryBytes', 0, Number.MAX_SAFE_INTEGER],
    ['maxLength', 1, 2 ** 31 - 1],
  ]
  for (const [name, min, max] of sizes) {
    const v = options[name]
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)) {
      throw invalid(`${name} must be an integer from ${min} to ${max}, got ${typeof v === 'number' ? v : typeof v}`)
    }
  }
  const ch = new Channel()
  const native: NativeOpenOptions = { ...options }
  await ch.call<null>((id) => ch.native.open(path, native, id))
  return new Database<DB>(ch, path)
}
