import { cookies } from 'next/headers'
import { notFound } from 'next/navigation'

export async function GET() {
  ;(await cookies()).set('seen', '1')
  notFound()
}
