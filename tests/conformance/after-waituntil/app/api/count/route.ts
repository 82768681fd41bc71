import { after } from 'next/server'

let finished = 0

// after() work starts once the response is sent: the first response reports 0.
export function GET() {
  after(() => {
    finished++
  })
  return Response.json({ finishedBefore: finished })
}
