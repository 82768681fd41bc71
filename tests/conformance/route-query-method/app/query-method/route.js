export async function QUERY(request) {
  return new Response('query:' + (await request.text()))
}

export function GET() {
  return new Response('get')
}
