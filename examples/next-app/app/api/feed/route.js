// Every change of the items table as Server-Sent Events; a reconnecting
// browser resumes from Last-Event-ID.
import { changeStream } from 'tensordb/next'
import { db } from '../../db'

export const dynamic = 'force-dynamic'

export async function GET(request) {
  return changeStream(await db(), { table: 'items', from: 'beginning' }, request)
}
