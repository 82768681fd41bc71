// `next/navigation` as route handlers use it: redirect(), permanentRedirect() and notFound() throw errors
// that carry Next's digest; the route handler's caller turns them into a 307/308 with `location` or an
// empty 404 (recorded in tests/conformance/route-apis). Evaluated inside each realm.
export const RedirectType = Object.freeze({ push: 'push', replace: 'replace' });

function redirectError(url, type, status) {
  const error = new Error('NEXT_REDIRECT');
  error.digest = `NEXT_REDIRECT;${type};${url};${status};`;
  return error;
}

export function redirect(url, type = RedirectType.replace) {
  throw redirectError(url, type, 307);
}

export function permanentRedirect(url, type = RedirectType.replace) {
  throw redirectError(url, type, 308);
}

export function notFound() {
  const error = new Error('NEXT_HTTP_ERROR_FALLBACK;404');
  error.digest = 'NEXT_HTTP_ERROR_FALLBACK;404';
  throw error;
}

// Code that catches errors should let Next's own pass: this rethrows them.
export function unstable_rethrow(error) {
  if (typeof error?.digest === 'string' && /^NEXT_(REDIRECT|HTTP_ERROR_FALLBACK);/.test(error.digest)) throw error;
}
