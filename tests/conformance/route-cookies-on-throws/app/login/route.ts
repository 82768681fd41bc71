import { cookies } from 'next/headers'
import { redirect } from 'next/navigation'

export async function POST() {
  const jar = await cookies()
  jar.set('session', 'abc', { httpOnly: true, path: '/' })
  jar.delete('old')
  redirect('/dashboard')
}
