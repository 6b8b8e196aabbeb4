// `tensordb/express`: the database on `req`, request-scoped transactions,
// error codes as HTTP statuses, and change feeds as Server-Sent Events.
// Express itself is not a dependency: these are plain (req, res, next)
// functions typed structurally.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Database } from './database'
import { toTensorError } from './errors'
import { SseFeedOptions, errorResponse, pumpSse, toJson } from './http'
import type { Transaction } from './sql'

/** The request as the adapter sees it (Express's `req` is one). */
export type TdbRequest = IncomingMessage & {
  /** The database (set by `tensordb(db)`). */
  db?: Database
  /** The request's transaction, inside `transactional(handler)`. */
  tx?: Transaction
  /** Express's route parameters. */
  params?: Record<string, string>
}

/** The response as the adapter sees it (Express's `res` is one). */
export type TdbResponse = ServerResponse

/** Express's `next`. */
export type Next = (err?: unknown) => void

/** Middleware putting `db` on every request as `req.db`. */
export function tensordb(db: Database): (req: TdbRequest, res: TdbResponse, next: Next) => void {
  return (req, _res, next) => {
    req.db = db
    next()
  }
}

function sendJson(res: TdbResponse, status: number, body: unknown): void {
  res.statusCode = status
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.end(toJson(body))
}

/**
 * Runs `handler` inside a transaction on `req.tx` and answers with what it
 * returns, as JSON, only after the commit succeeded (`undefined`: 204). A
 * throw rolls back and goes to `next(err)` (see `errorHandler`); conflicts
 * are retried by `db.transaction`'s policy, re-running the handler. Return
 * the body rather than sending it, so a client never hears of a success
 * that did not commit.
 */
export function transactional<T>(
  db: Database,
  handler: (req: TdbRequest & { tx: Transaction }, res: TdbResponse) => Promise<T>,
): (req: TdbRequest, res: TdbResponse, next: Next) => void {
  return (req, res, next) => {
    req.db = db
    db.transaction(async (tx) => {
      req.tx = tx
      return handler(req as TdbRequest & { tx: Transaction }, res)
    }).then(
      (body) => {
        req.tx = undefined
        if (res.headersSent) return
        if (body === undefined) {
          res.statusCode = 204
          res.end()
        } else {
          sendJson(res, 200, body)
        }
      },
      (e) => {
        req.tx = undefined
        next(e)
      },
    )
  }
}

/**
 * Error middleware: TensorDB errors become `{ error: { code, message } }`
 * with a status by code (400 bad SQL / arguments, 409 constraint and
 * conflict — retry the latter —, 501 not supported, 503 closed or locked,
 * 500 otherwise); other errors go on to the next error handler.
 */
export function errorHandler(): (err: unknown, req: TdbRequest, res: TdbResponse, next: Next) => void {
  return (err, _req, res, next) => {
    const mapped = errorResponse(err)
    if (mapped === null || res.headersSent) return next(err)
    if (mapped.body.error.code === 'TDB_CONFLICT') res.setHeader('retry-after', '0')
    sendJson(res, mapped.status, mapped.body)
  }
}

/**
 * A handler serving a change feed as Server-Sent Events: `event: change`
 * frames whose data is the change as JSON (bigints as strings, Buffers as
 * base64) and whose id resumes the feed — browsers send it back as
 * `Last-Event-ID` when they reconnect. `options` may depend on the request
 * (e.g. `req => ({ table: req.params.table })`).
 */
export function changeStream(
  db: Database,
  options: SseFeedOptions | ((req: TdbRequest) => SseFeedOptions),
): (req: TdbRequest, res: TdbResponse, next: Next) => void {
  return (req, res, next) => {
    let opts: SseFeedOptions
    try {
      opts = typeof options === 'function' ? options(req) : options
    } catch (e) {
      return next(toTensorError(e))
    }
    const abort = new AbortController()
    res.on('close', () => abort.abort())
    const last = req.headers['last-event-id']
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    void pumpSse(db, opts, Array.isArray(last) ? last[0] : last, (chunk) => res.write(chunk), abort.signal).then(() => res.end())
  }
}
