// `next/navigation` as route handlers use it: redirect(), permanentRedirect() and notFound() throw errors
// that carry Next's digest; the route handler's caller turns them into a 307/308 with `location` or an
// empty 404 (recorded in tests/conformance/route-apis). forbidden() and unauthorized() need next.config's
// `experimental.authInterrupts`, which an app here never has: they throw Next's error (a 500; route-extras).
// Evaluated inside each realm.
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

export function forbidden() {
  throw new Error('`forbidden()` is experimental and only allowed to be enabled when `experimental.authInterrupts` is enabled.');
}

export function unauthorized() {
  throw new Error('`unauthorized()` is experimental and only allowed to be used when `experimental.authInterrupts` is enabled.');
}

export function unstable_isUnrecognizedActionError() {
  throw new Error('`unstable_isUnrecognizedActionError` can only be used on the client.');
}

// The search params a client component reads: a URLSearchParams that refuses to change.
export class ReadonlyURLSearchParams extends URLSearchParams {
  append() {
    throw readonlyError();
  }

  delete() {
    throw readonlyError();
  }

  set() {
    throw readonlyError();
  }

  sort() {
    throw readonlyError();
  }
}

function readonlyError() {
  return new Error('Method unavailable on `ReadonlyURLSearchParams`. Read more: '
    + 'https://nextjs.org/docs/app/api-reference/functions/use-search-params#updating-searchparams');
}
