import { cookies } from 'next/headers'
import { permanentRedirect } from 'next/navigation'

export const runtime = 'edge'

export async function GET() {
  ;(await cookies()).set('edge-session', 'xyz')
  permanentRedirect('/home?from=edge')
}
