// `tensordb/next`: helpers for Next.js App Router route handlers (Web
// `Request` / `Response`): one database handle per process that survives
// dev-server hot reload, JSON responses with error codes as statuses, and
// change feeds as Server-Sent Events. Next.js itself is not a dependency.
import { Database, OpenOptions, open } from './database'
import { TensorError, toTensorError } from './errors'
import { SseFeedOptions, errorResponse, pumpSse, toJson } from './http'
import type { LooseSchema, Schema } from './query/types'

const HANDLES = Symbol.for('tensordb.next.handles')

type Handles = Map<string, Promise<Database<any>>>

function handles(): Handles {
  const g = globalThis as { [HANDLES]?: Handles }
  g[HANDLES] ??= new Map()
  return g[HANDLES]
}

/**
 * The process's database in `path`, opened on first use. The handle lives
 * on `globalThis`, so modules re-evaluated by hot reload get the same one
 * instead of opening the folder again. A handle that was closed is opened
 * anew.
 */
export function database<DB extends Schema = LooseSchema>(path: string, options?: OpenOptions): Promise<Database<DB>> {
  const map = handles()
  const hit = map.get(path)
  const fresh = () => {
    const p = open<DB>(path, options)
    map.set(path, p)
    p.catch(() => map.delete(path))
    return p
  }
  if (hit === undefined) return fresh()
  return hit.then((db) => (db.isOpen() ? (db as Database<DB>) : fresh()))
}

/** JSON with the adapter's encoding (bigints as strings, Buffers base64). */
export function json(body: unknown, init?: ResponseInit): Response {
  const headers = new Headers(init?.headers)
  headers.set('content-type', 'application/json; charset=utf-8')
  return new Response(toJson(body), { ...init, headers })
}

/** A TensorDB error as a JSON response with its status; anything else rethrown. */
export function errorJson(e: unknown): Response {
  const mapped = errorResponse(e instanceof TensorError ? e : toTensorError(e))
  if (mapped === null) throw e
  const headers: Record<string, string> = mapped.body.error.code === 'TDB_CONFLICT' ? { 'retry-after': '0' } : {}
  return json(mapped.body, { status: mapped.status, headers })
}

/**
 * Wraps a route handler: a returned `Response` passes through, any other
 * value is sent as JSON (`undefined`: 204), and TensorDB errors become JSON
 * error responses (400 / 409 / 501 / 503 / 500 by code).
 */
export function route<C>(handler: (request: Request, context: C) => Promise<unknown>): (request: Request, context: C) => Promise<Response> {
  return async (request, context) => {
    try {
      const out = await handler(request, context)
      if (out instanceof Response) return out
      if (out === undefined) return new Response(null, { status: 204 })
      return json(out)
    } catch (e) {
      if (e instanceof TensorError || (e as { code?: unknown })?.code?.toString().startsWith('TDB_')) return errorJson(e)
      throw e
    }
  }
}

/**
 * A Server-Sent Events response streaming `db.changes(options)`; it ends
 * when the client disconnects (`request.signal`). Event ids resume the feed
 * when the browser reconnects with `Last-Event-ID`.
 */
export function changeStream(db: Database<any>, options: SseFeedOptions, request: Request): Response {
  const abort = new AbortController()
  request.signal.addEventListener('abort', () => abort.abort(), { once: true })
  const encoder = new TextEncoder()
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      void pumpSse(db, options, request.headers.get('last-event-id') ?? undefined, (s) => controller.enqueue(encoder.encode(s)), abort.signal)
        .then(() => {
          try {
            controller.close()
          } catch {
            // already closed by a cancel
          }
        })
    },
    cancel() {
      abort.abort()
    },
  })
  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  })
}
