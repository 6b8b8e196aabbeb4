export default function Page() {
  return (
    <main>
      <h1>TensorDB on Next.js</h1>
      <p>POST /api/items with {'{ "id": 1, "name": "tea" }'}, GET /api/items, and follow /api/feed (Server-Sent Events).</p>
    </main>
  )
}
