// One database handle per process: `database()` keeps it on globalThis, so
// dev-server hot reloads reuse it instead of opening the folder again.
import { database } from 'tensordb/next'

export async function db() {
  const d = await database(process.env.TENSORDB_DIR ?? './data')
  await d.sql('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)')
  return d
}
