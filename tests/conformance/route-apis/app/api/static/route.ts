// A route without dynamic segments: what is its second argument?
export function GET(_request: Request, context: any) {
  return Response.json({
    context: typeof context,
    contextKeys: context ? Object.keys(context) : null,
    params: context ? typeof context.params : null,
    resolved: context?.params === undefined ? null : 'present',
  })
}
