// Types of the query builder: a database schema maps table names to row
// types; what a query may select, insert or update is derived from it.
import type { Micros, TimeInput } from '../time'

/**
 * A database schema for the builder: table name → row type (column name →
 * the JS type a row carries, as `db.sql` returns it). Write it by hand or
 * generate it with `tensordb generate-types <folder>`. Column names are as
 * the engine stores them: lower case unless quoted in CREATE TABLE.
 */
export type Schema = object

/** The schema of a database opened without one: any table, any column. */
export type LooseSchema = Record<string, Record<string, unknown>>

/**
 * The hidden period columns every table has: µs since the Unix epoch, `null`
 * for an open end. Selectable and usable in `where`; the system period is
 * never writable, the valid period only on insert.
 */
export interface TemporalColumns {
  /** When the database learned this version. */
  _system_from: Micros | null
  /** When the database replaced it (`null`: still current). */
  _system_to: Micros | null
  /** When this version became true. */
  _valid_from: Micros | null
  /** When it stopped being true (`null`: open-ended). */
  _valid_to: Micros | null
}

/** Flattens an intersection into one object type (for readable results). */
export type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** Table names of a schema. */
export type TableName<DB extends Schema> = keyof DB & string

/** Everything a query of table `T` may read: its columns and the periods. */
export type Selectable<DB extends Schema, T extends TableName<DB>> = DB[T] & TemporalColumns

/** Column names a query of table `T` may read. */
export type ColumnName<DB extends Schema, T extends TableName<DB>> = keyof Selectable<DB, T> & string

/**
 * A row to insert: any of the table's columns (the engine applies DEFAULT,
 * NOT NULL and CHECK), plus the valid period it holds for.
 */
export type Insertable<R> = { [K in keyof R]?: R[K] | null } & {
  /** Start of the valid period (default: the commit time). */
  _valid_from?: TimeInput | null
  /** End of the valid period (default: open-ended). */
  _valid_to?: TimeInput | null
}

/** Column values an UPDATE sets (periods are changed with `forPortionOf`). */
export type Updateable<R> = { [K in keyof R]?: R[K] | null }

/** Comparison operators of `where(column, op, value)`. */
export type ComparisonOp = '=' | '<>' | '!=' | '<' | '<=' | '>' | '>=' | 'like' | 'not like' | 'ilike' | 'glob'

/** Sort direction of `orderBy`. */
export type Direction = 'asc' | 'desc'

/**
 * The system time a query reads at: an epoch number (`AS OF EPOCH n`, a
 * cross-shard consistent snapshot), a `Date` or ISO string, or
 * `{ systemTime }` in µs (a commit's system time as writes return it).
 */
export type AsOfInput = number | Date | string | { systemTime: Micros }
