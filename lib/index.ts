// Public entry point of the TensorDB SDK (re-exports only).
export { open, Database } from './database'
export type { OpenOptions, ReadOptions, WriteOptions, ScanOptions, BatchOp, Entry, Fact, AsOf, SqlResult } from './database'
export { TensorError, ERROR_CODES } from './errors'
export type { ErrorCode } from './errors'
export { toDate, fromDate } from './time'
export type { Micros, SystemTime, TimeInput } from './time'
export type { Key, Value } from './values'
