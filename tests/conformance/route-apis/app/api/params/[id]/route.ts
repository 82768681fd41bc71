// Next 15 passes params as a promise that can still be read synchronously (deprecated).
export async function GET(_request: Request, context: any) {
  const params = context.params
  return Response.json({
    sync: params.id,
    awaited: (await params).id,
    keys: Object.keys(params),
    isPromise: params instanceof Promise,
    contextKeys: Object.keys(context),
  })
}
