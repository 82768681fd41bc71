import { NextResponse } from 'next/server'

export async function POST(request: Request) {
  const item = await request.json()
  return NextResponse.json({ id: 1, ...item }, { status: 201, statusText: 'Created', headers: { location: '/created/1' } })
}
