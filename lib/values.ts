import { invalid } from './errors'

/** What can be stored: a string, bytes, or any JSON-serializable value. Read back as the same type. */
export type Value = string | Buffer | Uint8Array | number | boolean | object

/** A key: a string (stored as UTF-8) or bytes. */
export type Key = string | Buffer | Uint8Array

/** Value tags shared with the native layer. */
export const TAG_STRING = 0
/** Tag of a bytes value. */
export const TAG_BYTES = 1
/** Tag of a JSON value. */
export const TAG_JSON = 2

/** Splits a value into its tag and the string/bytes the native layer stores. */
export function encodeValue(v: Value): [number, string | Uint8Array] {
  if (typeof v === 'string') return [TAG_STRING, v]
  if (v instanceof Uint8Array) return [TAG_BYTES, v]
  if (v === null || v === undefined) {
    throw invalid('value must not be null or undefined (use delete() to remove a key)')
  }
  let text: string | undefined
  try {
    text = JSON.stringify(v)
  } catch (e) {
    throw invalid(`value is not JSON-serializable: ${(e as Error).message}`)
  }
  if (text === undefined) throw invalid(`value of type ${typeof v} is not JSON-serializable`)
  return [TAG_JSON, text]
}

/** Checks a key's type. */
export function checkKey(k: unknown, what = 'key'): Key {
  if (typeof k === 'string') return k
  if (k instanceof Uint8Array) {
    // 0xFF 0xFD… and 0xFF 0xFE… are the engine's (change-feed cursors, SQL
    // tables); no UTF-8 string starts with 0xFF, so only bytes can name them.
    if (k.length >= 2 && k[0] === 0xff && (k[1] === 0xfd || k[1] === 0xfe)) {
      throw invalid(`${what}: keys starting with bytes 0xFF 0xFD or 0xFF 0xFE are reserved for the engine`)
    }
    return k
  }
  throw invalid(`${what} must be a string, Buffer or Uint8Array, got ${k === null ? 'null' : typeof k}`)
}

/**
 * A stored key as a string when its bytes are valid UTF-8, else as a Buffer
 * (two different non-UTF-8 keys would otherwise decode to the same string).
 */
export function keyString(buf: Buffer, start: number, end: number): string | Buffer {
  const s = buf.toString('utf8', start, end)
  if (s.includes('\ufffd') && !buf.subarray(start, end).equals(Buffer.from(s, 'utf8'))) {
    return Buffer.from(buf.subarray(start, end))
  }
  return s
}

/** Decodes a stored value (`tag | body`) from `buf[start, end)`. Bytes are copied out. */
export function decodeValue(buf: Buffer, start: number, end: number): Value {
  const tag = buf[start]
  if (tag === TAG_STRING) return buf.toString('utf8', start + 1, end)
  if (tag === TAG_JSON) return JSON.parse(buf.toString('utf8', start + 1, end)) as Value
  if (tag === TAG_BYTES) {
    const out = Buffer.allocUnsafe(end - start - 1)
    buf.copy(out, 0, start + 1, end)
    return out
  }
  // Written by the Rust API without an SDK tag: raw bytes.
  return Buffer.from(buf.subarray(start, end))
}
