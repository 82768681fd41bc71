export function makeHandlers(name: string) {
  return {
    GET: () => Response.json({ from: name }),
    DELETE: () => new Response(null, { status: 204 }),
  }
}
