import { answer } from '@/lib/answer'

export const runtime = 'edge'

export async function GET(_request: Request, { params }: { params: Promise<{ kind: string }> }) {
  return answer((await params).kind)
}
