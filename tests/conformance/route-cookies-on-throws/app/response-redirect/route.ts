import { cookies } from 'next/headers'
import { NextResponse } from 'next/server'

export async function GET(request: Request) {
  ;(await cookies()).set('from-jar', '1')
  const response = NextResponse.redirect(new URL('/next', request.url))
  response.cookies.set('from-response', '2')
  return response
}
