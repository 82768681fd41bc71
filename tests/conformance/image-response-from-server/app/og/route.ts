import { ImageResponse } from 'next/server'

export function GET() {
  return Response.json({ imageResponse: typeof ImageResponse })
}
