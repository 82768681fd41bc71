import { requestContext } from './scope.mjs';

// App Router route handlers: which route answers a path, and calling its method handler the way
// Next does (405 for a missing method, HEAD from GET, an automatic OPTIONS).
const HANDLER_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH'];

export function isResponse(value) {
  // Edge realms have their own Response class (the edge engine's): theirs are told by their tag, as Node's are (its
  // global Response is read only when the tag says no: reading it loads Node's undici).
  return Object.prototype.toString.call(value) === '[object Response]' || value instanceof Response;
}

// A route param whose %-escapes do not decode: Next answers 400 (tests/conformance/bad-requests).
export class DecodeError extends Error {
  constructor(value) {
    super(`failed to decode param "${value}"`);
    this.name = 'DecodeError';
  }
}

export class Router {
  // Routes come from Python already ordered as Next.js ranks them (static, dynamic, catch-all).
  constructor(routes = []) {
    this.routes = routes.map((route) => ({ ...route, regex: new RegExp(route.regex) }));
  }

  match(pathname) {
    for (const route of this.routes) {
      const found = route.regex.exec(pathname);
      if (found) return { route, params: paramsFrom(route.params, found) };
    }
    return null;
  }

  // Whether Next's file-system check finds a route for a path no route matches: it compares the routes'
  // paths with the path as asked and decoded, where the routes' regexes see it as asked (so /caf%C3%A9 finds
  // app/café, which then does not answer it; recorded: unicode-folders).
  finds(pathname) {
    let decoded = pathname;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {}
    return this.routes.some(({ pattern }) => pattern === pathname || pattern === decoded);
  }
}

// Calls the method handler among the route's `exports`, held by `realm` (loader.mjs), which makes the responses Next
// answers for it and gives the handler's as host code reads it; `makeRequest` builds the NextRequest in it; `params` is
// null for a route without dynamic segments. Returns the response and which handler answered (for the trace).
export async function callHandler(exports, route, params, method, makeRequest, next, realm) {
  const Response = realm.Response; // (an edge route's are the engine's: Node's would load Node's undici)
  let [handler, used] = [exports[method], method];
  if (!handler && method === 'HEAD') [handler, used] = [exports.GET, 'GET (for HEAD)'];
  // A method outside the ones a route handler can export is a bad request (recorded: PROPFIND, PURGE).
  if (!HANDLER_METHODS.includes(method)) return { response: new Response(null, { status: 400 }), used: `${method} → 400` };
  if (!handler && method === 'OPTIONS') {
    const implemented = HANDLER_METHODS.filter((name) => typeof exports[name] === 'function');
    const allow = new Set([...implemented, 'OPTIONS', ...(exports.GET ? ['HEAD'] : [])]);
    const headers = { allow: [...allow].sort().join(', ') };
    return { response: new Response(null, { status: 204, headers }), used: 'OPTIONS (automatic)' };
  }
  if (typeof handler !== 'function') return { response: new Response(null, { status: 405 }), used: `no ${method} export → 405` };
  let response;
  try {
    response = await handler(makeRequest(), { params: paramsArgument(params, next) });
  } catch (error) {
    const answer = navigationResponse(error, Response);
    if (!answer) throw error;
    // A redirect takes the cookies the handler wrote with cookies(); notFound() and its kin answer without them
    // (recorded: route-cookies-on-throws).
    const scope = requestContext.get();
    if (answer.status >= 400 && scope) scope.written = null;
    return { response: answer, used: `${used} (${error.digest.split(';')[0]})` };
  }
  if (!isResponse(response)) {
    throw new TypeError(`No response is returned from route handler '${route.file}'. ` +
      'Ensure you return a `Response` or a `NextResponse` in all branches of your handler.');
  }
  response = realm.hostResponse(response);
  // NextResponse.next() and rewrite() belong to middleware: Next refuses them from a route (recorded).
  if (response.headers.has('x-middleware-next')) {
    throw new Error('NextResponse.next() was used in a app route handler, this is not supported. ' +
      'See here for more info: https://nextjs.org/docs/messages/next-response-next-in-app-route-handler');
  }
  if (response.headers.has('x-middleware-rewrite')) {
    throw new Error('NextResponse.rewrite() was used in a app route handler, this is not currently supported. ' +
      'Please remove the invocation to continue.');
  }
  return { response, used };
}

// `context.params` as Next passes it: undefined for a route without dynamic segments (null here); else a
// promise, which in 15 also carries the values for synchronous access (deprecated; 16 removed it).
function paramsArgument(params, next) {
  if (params === null) return undefined;
  const promise = Promise.resolve(params);
  return String(next).startsWith('16') ? promise : Object.assign(promise, params);
}

// What Next answers for next/navigation's errors thrown by a route handler (recorded: route-apis).
function navigationResponse(error, Response) {
  const digest = typeof error?.digest === 'string' ? error.digest.split(';') : [];
  if (digest[0] === 'NEXT_REDIRECT') {
    const [, , ...rest] = digest;
    const status = Number(rest.at(-2));
    return new Response(null, { status, headers: { location: rest.slice(0, -2).join(';') } });
  }
  if (digest[0] === 'NEXT_HTTP_ERROR_FALLBACK') return new Response(null, { status: Number(digest[1]) });
  return null;
}

// Route params as Next.js passes them: strings, arrays for catch-alls, absent when optional and empty.
function paramsFrom(names, match) {
  const params = {};
  names.forEach(([name, kind], index) => {
    const value = match[index + 1];
    if (value === undefined) return;
    params[name] = kind === 'single' ? decode(value) : value.split('/').map(decode);
  });
  return params;
}

function decode(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new DecodeError(value);
  }
}
