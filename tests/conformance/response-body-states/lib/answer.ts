import { NextResponse } from 'next/server'

// Responses whose bodies the handler touched before returning them: read, cloned, locked, made by NextResponse.
export async function answer(kind: string): Promise<Response> {
  switch (kind) {
    case 'read': {
      const response = new Response('read')
      await response.text()
      return response
    }
    case 'cloned': {
      const response = new Response('cloned')
      await response.clone().text()
      return response
    }
    case 'partly-read': {
      const response = new Response('partly read')
      const reader = response.body!.getReader()
      await reader.read()
      reader.releaseLock()
      return response
    }
    case 'locked': {
      const response = new Response('locked')
      response.body!.getReader()
      return response
    }
    case 'body-seen': {
      const response = new Response('seen')
      if (!response.body) throw new Error('no body')
      return response
    }
    case 'unicode': return new Response('h\u00e9llo \ud800 \u2603')
    case 'bytes-changed': {
      const bytes = new Uint8Array([104, 105])
      const response = new Response(bytes)
      bytes[0] = 72
      return response
    }
    case 'next-untyped': {
      const response = new NextResponse('untyped')
      response.headers.delete('content-type')
      return response
    }
    case 'next-read': {
      const response = new NextResponse('next read')
      await response.text()
      return response
    }
    case 'next-json': return NextResponse.json({ next: true }, { status: 202 })
    default: return new Response('unknown', { status: 400 })
  }
}
