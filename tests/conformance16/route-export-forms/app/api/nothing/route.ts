// A handler that returns nothing.
export async function GET() {
  await Promise.resolve()
}
