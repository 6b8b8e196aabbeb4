/** Stable error codes. They match the engine's `ErrorCode::as_str()` list (a test keeps them in sync). */
export const ERROR_CODES = [
  'TDB_IO',
  'TDB_CORRUPT',
  'TDB_INVALID_ARGUMENT',
  'TDB_CLOSED',
  'TDB_LOCKED',
  'TDB_NOT_SUPPORTED',
  'TDB_INTERNAL',
  'TDB_WOULD_BLOCK',
  'TDB_SYNTAX',
  'TDB_NO_TABLE',
  'TDB_NO_COLUMN',
  'TDB_CONSTRAINT',
  'TDB_CONFLICT',
  'TDB_TYPE_MISMATCH',
  'TDB_LIMIT',
  'TDB_READ_ONLY',
] as const

/** One of the stable error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number]

/** Every error TensorDB raises: `code` is stable, `message` says what went wrong. */
export class TensorError extends Error {
  /** The stable error code, e.g. `TDB_IO`. */
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TensorError'
    this.code = code
  }
}

/** Node-API statuses the addon raises when an argument has the wrong type. */
const NAPI_ARGUMENT_STATUSES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
  'DateExpected',
  'ArrayBufferExpected',
])

function isCode(c: unknown): c is ErrorCode {
  return typeof c === 'string' && (ERROR_CODES as readonly string[]).includes(c)
}

/** Converts anything thrown by the native layer into a `TensorError`. */
export function toTensorError(e: unknown): TensorError {
  if (e instanceof TensorError) return e
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code
    if (isCode(code)) return new TensorError(code, e.message)
    const m = /^(TDB_[A-Z_]+): (.*)$/s.exec(e.message)
    if (m && isCode(m[1])) return new TensorError(m[1], m[2])
    // The addon's argument conversion failed: a wrong type reached it.
    if (typeof code === 'string' && NAPI_ARGUMENT_STATUSES.has(code)) return new TensorError('TDB_INVALID_ARGUMENT', e.message)
    return new TensorError('TDB_INTERNAL', e.message, { cause: e })
  }
  return new TensorError('TDB_INTERNAL', String(e))
}

/** A `TDB_INVALID_ARGUMENT` error. */
export function invalid(message: string): TensorError {
  return new TensorError('TDB_INVALID_ARGUMENT', message)
}
