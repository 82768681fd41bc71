import { NextRequest, NextResponse, after, connection, userAgent } from 'next/server'
import * as navigation from 'next/navigation'
import { ImageResponse } from 'next/og'

export function GET() {
  const kinds = (module, names) => Object.fromEntries(names.map((name) => [name, typeof module[name]]))
  const params = new navigation.ReadonlyURLSearchParams('a=1&b=2')
  let setError = null
  try {
    params.set('a', '3')
  } catch (error) {
    setError = `${error.name}: ${error.message}`
  }
  return Response.json({
    server: [ImageResponse, NextRequest, NextResponse, after, connection, userAgent].map((value) => typeof value),
    navigation: kinds(navigation, ['forbidden', 'unauthorized', 'unstable_rethrow', 'ReadonlyURLSearchParams',
      'RedirectType', 'unstable_isUnrecognizedActionError', 'notFound', 'redirect', 'permanentRedirect']),
    readonly: { a: params.get('a'), size: [...params].length, setError },
  })
}
