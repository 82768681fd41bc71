import { unauthorized } from 'next/navigation'

export const runtime = 'edge'

export function GET() {
  unauthorized()
}
