// What the Express and Next.js adapters share: HTTP statuses for error
// codes, JSON that survives bigints and Buffers, and change feeds as
// Server-Sent Events with resumable event ids.
import type { ChangesOptions, TableChangesOptions } from './changes'
import type { Database } from './database'
import { ErrorCode, TensorError, invalid, toTensorError } from './errors'

/** The HTTP status each error code maps to. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  TDB_INVALID_ARGUMENT: 400,
  TDB_SYNTAX: 400,
  TDB_NO_TABLE: 400,
  TDB_NO_COLUMN: 400,
  TDB_TYPE_MISMATCH: 400,
  TDB_LIMIT: 400,
  TDB_READ_ONLY: 403,
  TDB_CONSTRAINT: 409,
  TDB_CONFLICT: 409,
  TDB_NOT_SUPPORTED: 501,
  TDB_CLOSED: 503,
  TDB_LOCKED: 503,
  TDB_WOULD_BLOCK: 503,
  TDB_IO: 500,
  TDB_CORRUPT: 500,
  TDB_INTERNAL: 500,
}

/** An error as an HTTP status and JSON body; `null` when it is not TensorDB's. */
export function errorResponse(e: unknown): { status: number; body: { error: { code: ErrorCode; message: string } } } | null {
  if (!(e instanceof TensorError)) return null
  return { status: HTTP_STATUS[e.code] ?? 500, body: { error: { code: e.code, message: e.message } } }
}

/** JSON with bigints as decimal strings and Buffers as base64. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return x.toString()
    if (x !== null && typeof x === 'object' && (x as { type?: unknown }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)) {
      return Buffer.from((x as { data: number[] }).data).toString('base64')
    }
    return x
  })
}

/** Options of a change feed served over SSE: a key prefix or a SQL table. */
export type SseFeedOptions = Omit<ChangesOptions, 'autoAck'> | Omit<TableChangesOptions, 'autoAck'>

/** Milliseconds between keep-alive comments on an idle stream. */
const HEARTBEAT_MS = 15_000

/**
 * Streams `db.changes(options)` as SSE frames to `write` until `signal`
 * aborts: `event: change`, `id: <systemTime>-<seq>`, `data: <JSON>`. A
 * `lastEventId` (the browser's `Last-Event-ID` on reconnect) resumes right
 * after that change. Named cursors are not used: the client holds its
 * position in the event id. Failures end the stream with an `event: error`
 * frame; the promise never rejects.
 */
export async function pumpSse(
  db: Database,
  options: SseFeedOptions,
  lastEventId: string | undefined,
  write: (chunk: string) => void,
  signal: AbortSignal,
): Promise<void> {
  try {
    let skipThrough: [number, number] | null = null
    let from = options.from
    if (lastEventId !== undefined && lastEventId !== '') {
      const m = /^(\d+)-(\d+)$/.exec(lastEventId)
      if (m === null) throw invalid(`Last-Event-ID '${lastEventId}' is not <systemTime>-<seq>`)
      const sys = Number(m[1])
      skipThrough = [sys, Number(m[2])]
      from = sys - 1 // the commit holding the last change seen, then skip to after it
    }
    if ((options as { cursor?: unknown }).cursor !== undefined) throw invalid('an SSE feed keeps its position in event ids: drop cursor')
    const it = db.changes({ ...options, from, signal } as ChangesOptions)[Symbol.asyncIterator]()
    const beat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS)
    try {
      write(': connected\n\n')
      while (!signal.aborted) {
        const next = await it.next()
        if (next.done === true || signal.aborted) break
        const c = next.value as { systemTime: number; seq: number; ack?: unknown }
        if (skipThrough !== null) {
          const [sys, seq] = skipThrough
          if (c.systemTime < sys || (c.systemTime === sys && c.seq <= seq)) continue
          skipThrough = null
        }
        const { ack: _ack, ...data } = c
        write(`id: ${c.systemTime}-${c.seq}\nevent: change\ndata: ${toJson(data)}\n\n`)
      }
    } finally {
      clearInterval(beat)
      await it.return?.()
    }
  } catch (e) {
    if (!signal.aborted) write(`event: error\ndata: ${toJson(errorResponse(toTensorError(e))?.body)}\n\n`)
  }
}
