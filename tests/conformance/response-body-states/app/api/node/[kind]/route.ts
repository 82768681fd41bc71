import { answer } from '@/lib/answer'

export async function GET(_request: Request, { params }: { params: Promise<{ kind: string }> }) {
  return answer((await params).kind)
}
