export const GET = async () => Response.json({ arrow: true })
export const PUT = (request: Request) => new Response(request.method, { status: 202 })
