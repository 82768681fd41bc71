// The export form auth libraries use: one handler exported under two method names.
async function handler(request: Request) {
  return Response.json({ method: request.method })
}

export { handler as GET, handler as POST }
