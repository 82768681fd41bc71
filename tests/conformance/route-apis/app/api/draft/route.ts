import { draftMode } from 'next/headers'

export async function GET(request: Request) {
  const draft = await draftMode()
  const before = draft.isEnabled
  if (new URL(request.url).searchParams.has('disable')) draft.disable()
  else draft.enable()
  return Response.json({ before, after: draft.isEnabled })
}
