// GET lists items; POST inserts one and answers 201 with its id. TensorDB
// errors become JSON with a status by code (a duplicate id: 409).
import { route, json } from 'tensordb/next'
import { db } from '../../db'

export const dynamic = 'force-dynamic'

export const GET = route(async () => (await db()).selectFrom('items').selectAll().orderBy('id'))

export const POST = route(async (request) => {
  const rows = await (await db()).insertInto('items').values(await request.json()).returning(['id'])
  return json(rows[0], { status: 201 })
})
