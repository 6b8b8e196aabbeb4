// `tensordb/kysely`: a Kysely dialect, so existing Kysely code runs on
// TensorDB. Kysely is an optional peer dependency: this module loads it.
// TensorDB's SQL is close to SQLite's, so queries are compiled by Kysely's
// SQLite compiler (`?` parameters, double-quoted names) and introspected by
// its SQLite introspector where the engine supports the statements used.
import {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely'
import type { Database } from './database'
import type { SqlResult, Transaction } from './sql'

/** Options of `new TensorDialect(…)`. */
export interface TensorDialectConfig {
  /** An open database (`await open(path)`); the dialect does not close it. */
  database: Database<any>
}

const STATEMENT = /^\s*(insert|update|delete)\b/i

/** One connection: a session of its own, so transactions stay on it. */
class TensorConnection implements DatabaseConnection {
  constructor(private readonly session: Transaction) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const r: SqlResult = await this.session.exec(q.sql, [...q.parameters])
    const write = STATEMENT.test(q.sql)
    return {
      rows: r.rows as R[],
      ...(write ? { numAffectedRows: BigInt(r.changes) } : {}),
      ...(write && r.lastInsertRowid !== null ? { insertId: BigInt(r.lastInsertRowid) } : {}),
    }
  }

  /**
   * Rows in chunks of `chunkSize`. The statement runs to completion first
   * (a native cursor is not wired to Kysely yet), so this bounds the JS
   * objects held, not the engine's work.
   */
  async *streamQuery<R>(q: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(q)
    for (let i = 0; i < rows.length; i += Math.max(1, chunkSize)) yield { rows: rows.slice(i, i + Math.max(1, chunkSize)) }
  }

  /** Abandons an open transaction (the session is then unused). */
  release(): void {
    this.session.abort()
  }
}

class TensorDriver implements Driver {
  constructor(private readonly db: Database<any>) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new TensorConnection(this.db.session())
  }

  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('BEGIN'))
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('COMMIT'))
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('ROLLBACK'))
  }

  async releaseConnection(c: DatabaseConnection): Promise<void> {
    ;(c as TensorConnection).release()
  }

  async destroy(): Promise<void> {}
}

/**
 * The Kysely dialect: `new Kysely<DB>({ dialect: new TensorDialect({ database: db }) })`.
 * Each connection is a TensorDB session; Kysely transactions are TensorDB
 * transactions (snapshot isolation, `TDB_CONFLICT` on write-write conflicts).
 */
export class TensorDialect implements Dialect {
  constructor(private readonly config: TensorDialectConfig) {}

  createDriver(): Driver {
    return new TensorDriver(this.config.database)
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler()
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter()
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db)
  }
}
