// The only file that imports the generated native binding. It also owns the
// Promise bookkeeping: the addon completes operations in batches by calling
// `onComplete` with a flat `[id, value, id, value, …]` array (a negative id
// carries an Error), so one wake-up of the JS thread settles many Promises.
import { toTensorError } from './errors'

/** Options the native `open` takes. */
export interface NativeOpenOptions {
  shards?: number
  memtableBytes?: number
  cacheBytes?: number
  rowCacheBytes?: number
  durability?: string
  syncIntervalMs?: number
  readThreads?: number
  repair?: boolean
  statementTimeoutMs?: number
  readOnly?: boolean
  statementMemoryBytes?: number
  maxLength?: number
}

/** A cancellation flag for one statement. */
export interface NativeCancel {
  cancel(): void
}

type Bytes = string | Uint8Array

/** SQL parsed once by the addon. */
export interface NativeStatement {
  readonly readOnly: boolean
}

/** A native session: statements in order, at most one open transaction. */
export interface NativeSession {
  inTransaction(): boolean
  rollback(): void
}

/** The native class as the SDK uses it. */
export interface NativeDb {
  open(path: string, opts: NativeOpenOptions, id: number): void
  /** What recovery cut or rebuilt at open (camelCase fields as in `Recovery`), or null. */
  recovery(): unknown
  check(id: number): void
  checkProgress(): number[]
  batch(kinds: number[], keys: Bytes[], tags: number[], values: Bytes[], froms: number[], tos: number[], id: number): void
  writeMany(kinds: number[], keys: Bytes[], tags: number[], values: Bytes[], froms: number[], tos: number[], ids: number[]): void
  getSync(key: Bytes, asOf: number, epoch: number, validAt: number): unknown
  getInto(key: Bytes, asOf: number, epoch: number, validAt: number): number
  get(key: Bytes, asOf: number, epoch: number, validAt: number, id: number): void
  scan(
    prefix: Bytes | null,
    start: Bytes | null,
    end: Bytes | null,
    limit: number,
    reverse: boolean,
    asOf: number,
    epoch: number,
    validAt: number,
    id: number,
  ): void
  history(key: Bytes, id: number): void
  rowHistory(table: string, key: unknown[], id: number): void
  changes(afterSys: number, afterSeq: number, prefix: Bytes, max: number, id: number): void
  tableChanges(table: string, afterSys: number, afterSeq: number, max: number, id: number): void
  cursorPosition(name: string, id: number): void
  cursorAck(name: string, sys: number, seq: number, id: number): void
  sql(text: string, params: unknown[], asOf: number, epoch: number, validAt: number, cancel: NativeCancel | null, id: number): void
  tableColumns(id: number): void
  groupJoin(group: string): number
  groupLeave(group: string, member: number): void
  groupPartition(key: Uint8Array): number
  groupChanges(group: string, member: number, prefix: string | Uint8Array, max: number, id: number): void
  groupAck(group: string, partition: number, sys: number, seq: number, id: number): void
  tableGroupChanges(table: string, group: string, member: number, max: number, id: number): void
  prepare(text: string): NativeStatement
  session(): NativeSession
  runStatement(stmt: NativeStatement, params: unknown[], asOf: number, epoch: number, validAt: number, id: number): void
  /** A transaction's statement run from memory, or `undefined` when it needs the engine's threads. */
  sessionRunSync(session: NativeSession, stmt: NativeStatement, params: unknown[]): unknown
  /** The result tuple from memory, or `undefined` when the statement needs the engine's threads. */
  runStatementSync(stmt: NativeStatement, params: unknown[], asOf: number, epoch: number, validAt: number): unknown
  sessionSql(session: NativeSession, text: string, params: unknown[], id: number): void
  sessionRun(session: NativeSession, stmt: NativeStatement, params: unknown[], id: number): void
  openCursor(
    stmt: NativeStatement,
    params: unknown[],
    asOf: number,
    epoch: number,
    validAt: number,
    session: NativeSession | null,
    id: number,
  ): void
  /** Ready rows (packed); empty when over; `null` when `cursorFill` must read more first. */
  cursorNext(id: number, max: number): Buffer | null
  /** Reads a cursor's next rows on the engine's threads. */
  cursorFill(cursor: number, id: number): void
  cursorClose(id: number): void
  advanceEpoch(id: number): void
  now(): number
  flush(id: number): void
  close(id: number): void
  keepAlive(on: boolean): void
  release(): void
}

interface Binding {
  NativeDb: new (onComplete: (flat: unknown[]) => void, scratch: Buffer) => NativeDb
  NativeCancel: new () => NativeCancel
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const binding = require('../../index.js') as Binding

interface Waiter {
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

/** A new cancellation flag for one statement. */
export function newCancel(): NativeCancel {
  return new binding.NativeCancel()
}

/** A native handle plus its table of pending operations. */
export class Channel {
  readonly native: NativeDb
  /** Reused buffer the addon copies point-read values into (see `getInto`). */
  readonly scratch: Buffer = Buffer.allocUnsafeSlow(64 * 1024)
  /** A view of `scratch` for reading numbers out of it. */
  readonly scratchView = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.byteLength)
  private readonly waiting = new Map<number, Waiter>()
  private nextId = 1
  private closing = false

  constructor() {
    this.native = new binding.NativeDb((flat) => this.complete(flat), this.scratch)
  }

  /** Starts an operation: `start(id)` calls the native method; the Promise settles on completion. */
  call<T>(start: (id: number) => void, keepQueue = false): Promise<T> {
    // Writes queued earlier in this tick go first, so operations commit in call order.
    if (!keepQueue && this.queued !== null) this.flushWrites()
    const id = this.nextId
    this.nextId = id >= 0x7fffffff ? 1 : id + 1
    return new Promise<T>((resolve, reject) => {
      try {
        start(id)
      } catch (e) {
        reject(toTensorError(e))
        return
      }
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      if (this.waiting.size === 1) this.native.keepAlive(true)
    })
  }

  private complete(flat: unknown[]): void {
    for (let i = 0; i < flat.length; i += 2) {
      const id = flat[i] as number
      const w = this.waiting.get(id < 0 ? -id : id)
      if (!w) continue
      this.waiting.delete(id < 0 ? -id : id)
      if (id < 0) w.reject(toTensorError(flat[i + 1]))
      else w.resolve(flat[i + 1])
    }
    if (this.waiting.size === 0) {
      this.native.keepAlive(false)
      if (this.closing) this.native.release()
    }
  }

  private queued: {
    kinds: number[]
    keys: Bytes[]
    tags: number[]
    values: Bytes[]
    froms: number[]
    tos: number[]
    ids: number[]
  } | null = null

  /**
   * Queues a single-operation write (put: kind 1, delete: kind 2); every write
   * queued in this tick goes to the addon in one call from a microtask, so the
   * commit thread receives them together and they share one fdatasync.
   */
  queueWrite(kind: number, key: Bytes, tag: number, value: Bytes, from: number, to: number): Promise<number> {
    return this.call<number>((id) => {
      let q = this.queued
      if (q === null) {
        q = this.queued = { kinds: [], keys: [], tags: [], values: [], froms: [], tos: [], ids: [] }
        queueMicrotask(() => this.flushWrites())
      }
      q.kinds.push(kind)
      q.keys.push(key)
      q.tags.push(tag)
      q.values.push(value)
      q.froms.push(from)
      q.tos.push(to)
      q.ids.push(id)
    }, true)
  }

  private flushWrites(): void {
    const q = this.queued
    this.queued = null
    if (q === null) return
    try {
      this.native.writeMany(q.kinds, q.keys, q.tags, q.values, q.froms, q.tos, q.ids)
    } catch (e) {
      const err = toTensorError(e)
      for (const id of q.ids) {
        const w = this.waiting.get(id)
        this.waiting.delete(id)
        w?.reject(err)
      }
      if (this.waiting.size === 0) this.native.keepAlive(false)
    }
  }

  /** Marks the handle closed: the channel is released once nothing is pending. */
  shutdown(): void {
    this.flushWrites()
    this.closing = true
  }
}
