const greeting = await Promise.resolve('top-level await works')

export function GET() {
  return new Response(greeting)
}
