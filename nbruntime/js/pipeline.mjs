// One request through the app as `next start` handles it: middleware matcher → middleware →
// redirect / direct response / rewrite / next → route handler (or 404) → the response's final headers.
// Returns an outcome { status, headers, body, error, trace, lifetime } for serve.mjs to stream.
import { METHODS as PARSED_METHODS } from './builtins.mjs';
import { performance } from 'node:perf_hooks';
import querystring from 'node:querystring';
import { Middleware, decisionOf, forwardHeaders } from './middleware.mjs';
import { FLIGHT_HEADERS } from './next/app-router-headers.mjs';
import { errorPage, plainServerError } from './pages.mjs';
import {
  RSC_VARY, addCompressionVary, appendAll, mergeWrittenCookies, previewClearing, relativeTo, rscCacheBustingRedirect,
  sendOnto,
} from './respond.mjs';
import { DecodeError, Router, callHandler, isResponse } from './router.mjs';
import { Lifetime, Scope, holdRequest } from './scope.mjs';
import { cacheControl, entryOf } from './cache.mjs';
import { HeaderList } from './header-list.mjs';

const METHODS = new Set(PARSED_METHODS);
const ASCII = /^[\x00-\x7f]*$/;
const DATA_ROUTE = /^\/_next\/data\/[^/]+\/(.+)\.json$/;


// Timings and facts of one request, sent to Python as Response.trace.
class Trace {
  constructor(started, next) {
    this.started = started;
    this.data = { next, middleware: null, rewrite: null, route: null, outcome: null, steps: [] };
  }

  async time(name, fn) {
    const start = performance.now() - this.started;
    try {
      return await fn();
    } finally {
      this.step(name, start, performance.now() - this.started);
    }
  }

  step(name, start, end) {
    this.data.steps.push({ name, start_ms: round(start), end_ms: round(end) });
  }
}

const round = (ms) => Math.round(ms * 1000) / 1000;

export class Pipeline {
  constructor(registry, statics = null) {
    this.registry = registry;
    this.statics = statics; // the app's statically generated routes and caches (isr.mjs), in the host
    this.router = new Router();
    this.middleware = null;
    this.next = '15';
  }

  // The 500 Next sends for an edge error: the HTML page in 15, bare text in 16 (both recorded).
  serverError() {
    const page = this.v16 ? plainServerError() : errorPage(500, this.next);
    return { status: 500, headers: addCompressionVary(new HeaderList(page.headers)), body: page.body };
  }

  // The app's table, from Python: ordered routes, the middleware with compiled matchers, the version.
  configure({ routes, middleware, next }) {
    this.router = new Router(routes);
    this.middleware = middleware ? new Middleware(middleware) : null;
    this.next = String(next ?? '15');
  }

  get v16() {
    return this.next.startsWith('16');
  }

  async run({ method, url: href, headers: pairs }, body, signal) {
    const started = performance.now();
    const trace = new Trace(started, this.next);
    const lifetime = new Lifetime(started);
    const url = new URL(href);
    const target = href.slice(href.indexOf('/', href.indexOf('//') + 2)); // as the request line had it
    const [path, ...query] = target.split('?');
    const headers = incomingHeaders(pairs, url);
    // Next takes a request as https when a proxy says so: request.url and nextUrl then start with https (recorded:
    // forwarded-requests); other forwarded headers are passed on and change nothing.
    if (url.protocol === 'http:' && headers.get('x-forwarded-proto').includes('https')) url.protocol = 'https:';
    // Node's HTTP parser answers a request line it refuses with a bare 400: a method outside its fixed set, or a
    // byte outside ASCII in the target, as a raw /café (recorded: bad-requests, unicode-folders).
    const parsed = METHODS.has(method) && ASCII.test(href);
    const request = { method, url, path, query: query.join('?'), headers, body, signal, trace, lifetime };
    const outcome = parsed ? await this.resolve(request) : { kind: 'bad-request', status: 400, headers: new HeaderList(), body: null };
    trace.data.outcome = outcome.kind;
    trace.data.status = outcome.status;
    return { ...outcome, trace, lifetime };
  }

  // One pass of the router, as `next start` serves a request addressed to its own host: middleware runs
  // once; a same-origin rewrite is internal (the route at the new path answers, its request keeping the
  // URL the client asked for), an other-origin one is proxied. Recorded in
  // tests/conformance/rewrite-chain and the shared 03-ab-bucket-cookie.
  async resolve(request) {
    const { headers, trace } = request;
    let { url } = request;
    // Before anything runs, Next redirects a path with backslashes or repeated slashes to it cleaned, query as sent
    // (recorded: path-shapes), then drops a trailing slash (trailingSlash: false), its query parsed and written back
    // by Node's querystring (redirect-queries); both locations are relative.
    if (/\\|\/\//.test(request.path)) {
      const cleaned = request.path.replace(/\\/g, '/').replace(/\/\/+/g, '/');
      return permanentRedirect('repeated-slashes', request.query ? `${cleaned}?${request.query}` : cleaned);
    }
    if (url.pathname !== '/' && url.pathname.endsWith('/')) {
      const query = querystring.stringify(querystring.parse(request.query));
      return permanentRedirect('trailing-slash', `${url.pathname.replace(/\/+$/, '') || '/'}${query ? `?${query}` : ''}`);
    }
    if (url.search) url.search = regroupedQuery(url.searchParams);
    // A Pages Router data request: middleware sees the page path; with no pages, the answer is a 404.
    const data = DATA_ROUTE.exec(url.pathname);
    let carried = new HeaderList();
    if (this.middleware) {
      // The matcher sees every header (has/missing on rsc, next-router-prefetch, ... decide, as in the docs'
      // CSP example); the middleware itself does not see the flight headers (recorded: request-details).
      const { matched, reason } = this.middleware.match(url, headers);
      const flight = FLIGHT_HEADERS.filter((name) => headers.has(name)).map((name) => [name, headers.get(name)]);
      for (const [name] of flight) headers.delete(name);
      const runtime = this.registry.cells.get(this.middleware.file)?.runtime;
      const report = { file: this.middleware.file, kind: this.middleware.kind, runtime, matched, reason, decision: null };
      trace.data.middleware = report;
      if (data) url = new URL(`${data[1] === 'index' ? '/' : `/${data[1]}`}${url.search}`, url);
      if (matched) {
        let response;
        const scope = new Scope('middleware', headers, request.lifetime, this.next);
        scope.caches = this.statics?.caches ?? null;
        try {
          response = await trace.time('middleware', () => invokeMiddleware(this.registry, this.middleware, { ...request, url }, scope));
          await this.statics?.revalidate(scope.revalidations);
        } catch (error) {
          report.decision = { kind: 'error' };
          const page = this.v16 ? plainServerError() : errorPage(500, this.next);
          return { kind: 'middleware-error', ...page, headers: addCompressionVary(page.headers), error };
        }
        const decision = decisionOf(response, url);
        report.decision = decision;
        // Cookies written with cookies() replace the response's own Set-Cookie lines, as Next's adapter does.
        const written = scope.writtenCookies();
        if (written.length) response = withSetCookies(response, written, this.registry.realmFor(this.middleware.file));
        if (decision.kind === 'redirect') return this.redirect(response, decision, url, headers);
        if (decision.kind === 'respond') return this.direct(response, headers);
        carried = forwardHeaders(response, headers);
        if (decision.kind === 'rewrite') {
          const destination = new URL(decision.to, url);
          const external = destination.origin !== url.origin;
          const to = external ? destination.href : relativeTo(destination, url);
          carried.set('x-middleware-rewrite', to);
          trace.data.rewrite = { from: url.pathname + url.search, to, external };
          for (const [name, value] of flight) headers.set(name, value);
          if (external) return trace.time('proxy', () => proxied(destination, carried, request, this.v16));
          return this.route({ ...request, url, target: destination }, carried);
        }
      }
      for (const [name, value] of flight) headers.set(name, value);
    }
    if (data) return dataNotFound(carried, request.url.pathname);
    return this.route({ ...request, url }, carried);
  }

  isEdge(file) {
    return this.registry.cells.get(file)?.runtime === 'edge';
  }

  // A 3xx with a location: Next sends it with the location as the body (and `refresh` for 308); a
  // location on the app's own origin is made relative (15 and 16 alike, recorded in cookies-redirect).
  redirect(response, decision, url, requestHeaders) {
    const headers = forwardHeaders(response, requestHeaders);
    const location = relativeTo(decision.to, url);
    headers.set('location', location);
    if (decision.status === 308) headers.set('refresh', `0;url=${location}`);
    return { kind: 'redirect', status: decision.status, headers, body: location };
  }

  // Any other Response from middleware is sent as it is, minus the headers the router consumes.
  direct(response, requestHeaders) {
    const headers = forwardHeaders(response, requestHeaders);
    const body = this.registry.realmFor(this.middleware.file).bodyOf(response);
    return { kind: 'middleware-response', status: response.status, headers: addCompressionVary(headers), body };
  }

  // The route for `target` (the rewritten URL, if middleware rewrote) answers; its handler sees `url`. Without a
  // rewrite, 15 looks the path up as the request line had it: dot segments, which middleware's URL resolves, find
  // no route there; 16 resolves them (recorded: path-shapes).
  async route(request, carried) {
    const { url, target = url, headers } = request;
    const raw = !this.v16 && target === url && DOT_SEGMENT.test(request.path);
    // A rewrite's trailing slash finds the route without it (recorded: middleware-target-urls).
    const rewritten = target === url ? target.pathname : target.pathname.replace(/(.)\/$/, '$1');
    const pathname = raw ? request.path : rewritten;
    let found;
    try {
      found = this.router.match(pathname);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      // 15's 400 page (16: its bare 500), without the headers gathered so far (recorded: bad-requests).
      const page = this.v16 ? plainServerError() : errorPage(400, this.next);
      return { kind: 'bad-request', ...page, headers: addCompressionVary(page.headers) };
    }
    if (found && !this.registry.cells.has(found.route.file)) found = null; // undeployed as the request came: no route
    if (!found) {
      // 15's Pages Router 404 adds to the headers so far; 16's App Router page sets its own (vary included).
      const page = errorPage(404, this.next, { found: this.router.finds(pathname) });
      const headers = this.v16 ? overlay(carried, page.headers) : appendAll(carried, page.headers);
      return { kind: 'not-found', status: 404, headers: addCompressionVary(headers), body: page.body };
    }
    const location = this.v16 ? rscCacheBustingRedirect(url, headers) : null;
    if (location) return { kind: 'rsc-redirect', status: 307, headers: appendAll(carried, [['location', location]]), body: null };
    return this.handle(request, found, carried);
  }

  // The route's handler answers; its response gets the headers gathered so far, as Next sends them.
  async handle(request, found, carried) {
    const { method, url, target = url, headers, body, signal, trace, lifetime } = request;
    const { route } = found;
    const params = route.params.length ? found.params : null; // no dynamic segments: no params at all
    const edge = this.isEdge(route.file);
    const report = { file: route.file, pattern: route.pattern, params: found.params, runtime: edge ? 'edge' : 'nodejs', handler: method };
    trace.data.route = report;
    const plan = edge ? null : this.statics?.plan(route.file);
    if (plan) return trace.time('route', () => this.cached(plan, { ...request, target, route, params, report }, carried));
    const scope = new Scope('route', headers, lifetime, this.next);
    const cookie = headers.get('cookie'); // as it arrived: cookies() writes in the handler change `headers`
    scope.caches = this.statics?.caches ?? null;
    let result;
    try {
      result = await trace.time('route', () => invokeRoute(this.registry, route, params, { method, url, headers, body, signal }, scope));
    } catch (error) {
      report.handler = `${method} (threw)`;
      if (edge) { // the HTML page in 15, bare text in 16 (both recorded)
        const page = this.v16 ? plainServerError() : errorPage(500, this.next);
        return { kind: 'route-error', status: 500, headers: addCompressionVary(appendAll(carried, page.headers)), body: page.body, error };
      }
      // A node route that throws answers an empty 500 (recorded), keeping the headers gathered so far.
      carried.append('vary', RSC_VARY);
      return { kind: 'route-error', status: 500, headers: carried, body: null, error };
    }
    const { response, used } = result;
    report.handler = used;
    await this.statics?.revalidate(scope.revalidations);
    // Middleware headers first, then (node routes) the RSC vary and preview-cookie clearing, then the handler's
    // own: an edge route's appended, a node route's as Next's sendResponse puts them (middleware's value stays).
    // 16 also compresses routes; 15 a route whose content type middleware set (a single value to it, where the
    // route's own is a list: recorded in middleware-bodies-and-merges, content-type-from-middleware).
    const typedByMiddleware = carried.has('content-type');
    if (!edge) {
      carried.append('vary', RSC_VARY);
      appendAll(carried, previewClearing(cookie, scope.previewModeId));
    }
    const written = scope.writtenCookies();
    let own = response.headers;
    if (written.length || own.has('x-middleware-set-cookie')) {
      own = mergeWrittenCookies(new HeaderList(own), written);
      own.delete('x-middleware-set-cookie'); // NextResponse keeps it for middleware; a route's is never sent
    }
    if (edge) appendAll(carried, own);
    else sendOnto(carried, own);
    if (this.v16 || typedByMiddleware) addCompressionVary(carried);
    // A Node.js route's body that a reader holds (read whole with text(), say) cannot be piped: next start answers
    // 500 with the response's headers and no body, and logs why (recorded: response-body-states).
    if (!edge && response.body?.locked) {
      report.handler = `${used} (its body was locked)`;
      const error = new Error('failed to pipe response: Invalid state: The ReadableStream is locked');
      return { kind: 'route-error', status: 500, headers: carried, body: null, error };
    }
    return { kind: 'route', status: response.status, headers: carried, body: this.registry.realmFor(route.file).bodyOf(response) };
  }

  // A statically generated route: the cached copy (made at build, or now), with the cache's headers, or
  // Next's 405 / 404 for what a static route cannot answer (recorded in tests/conformance/cache-*).
  async cached(plan, { method, url, target, route, params, report, trace }, carried) {
    carried.append('vary', RSC_VARY);
    const served = await this.statics.serve(plan, { method, pathname: target.pathname }, async (generation, lifetime) => {
      const { response, body } = await generateRoute(this.registry, {
        route, params, url, generation, caches: this.statics.caches, next: this.next, lifetime,
      });
      return entryOf(response, body, generation, { pathname: target.pathname, at: this.statics.clock.now(), expires: this.v16 });
    });
    if (served.kind === 'not-allowed') {
      report.handler = `${method} (a static route answers GET and HEAD only)`;
      carried.set('allow', 'GET, HEAD');
      return { kind: 'route', status: 405, headers: carried, body: 'Method Not Allowed' };
    }
    if (served.kind === 'not-found') {
      report.handler = `${method} (dynamicParams = false: a path not generated)`;
      const page = errorPage(404, this.next);
      return { kind: 'not-found', status: 404, headers: addCompressionVary(overlay(carried, page.headers)), body: page.body };
    }
    const { entry, state, age } = served;
    report.handler = method === 'HEAD' ? 'GET (for HEAD)' : method;
    trace.data.cache = { state, age: Math.round(age * 1000) / 1000, revalidate: entry.revalidate, built: entry.built };
    appendAll(carried, entry.headers);
    if (!carried.has('cache-control')) carried.set('cache-control', cacheControl(entry.revalidate, entry.expire));
    carried.set('x-nextjs-cache', state);
    if (this.v16) addCompressionVary(carried);
    return { kind: 'route', status: entry.status, headers: carried, body: entry.body.byteLength ? entry.body : null };
  }
}

// The middleware's response with its Set-Cookie lines replaced by `lines` (its headers may be immutable), made as
// `realm` makes its responses.
function withSetCookies(response, lines, realm) {
  const copy = new realm.Response(response.body, response);
  copy.headers.delete('set-cookie');
  for (const line of lines) copy.headers.append('set-cookie', line);
  return copy;
}

// `extra`'s headers replace same-named ones in `base`, except set-cookie lines, which add up.
function overlay(base, extra) {
  for (const name of new Set([...extra.keys()])) {
    if (name !== 'set-cookie') base.delete(name);
  }
  return appendAll(base, extra);
}

// A rewrite to another origin is proxied, as next start proxies it (next/dist/server/lib/router-utils/proxy-request.js:
// http-proxy with changeOrigin and ignorePath, within 30 s): the request goes to the destination with its headers as
// middleware left them, Host the destination's and x-forwarded-host the app's (a DELETE or OPTIONS without a body says
// content-length 0); the answer comes back as it is (a redirect not followed, the body not decoded), its headers
// replacing the middleware's of the same name, set-cookie lines added to them, and Next's compression Vary. A failure
// is logged and answered 500 "Internal Server Error". 16 proxies with httpxy, through Node's keep-alive agent (the
// other origin is told connection: keep-alive, not close). Recorded: conformance*/external-proxy.
const PROXY_TIMEOUT_MS = 30_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

async function proxied(destination, carried, { method, headers, body, signal }, v16) {
  const { request } = process.getBuiltinModule(destination.protocol === 'https:' ? 'node:https' : 'node:http');
  const { Readable } = process.getBuiltinModule('node:stream');
  const outgoing = {};
  for (const [name, value] of headers) if (!HOP_BY_HOP.has(name)) outgoing[name] = value;
  outgoing['x-forwarded-host'] = headers.get('host') ?? '';
  outgoing.host = destination.host;
  if (body?.length) outgoing['content-length'] = String(body.length);
  else if ((method === 'DELETE' || method === 'OPTIONS') && !('content-length' in outgoing)) outgoing['content-length'] = '0';
  try {
    const answer = await new Promise((resolve, reject) => {
      const agent = v16 ? undefined : false;
      const sent = request(destination, { method, headers: outgoing, agent, signal, timeout: PROXY_TIMEOUT_MS });
      sent.on('response', resolve).on('error', reject).on('timeout', () => sent.destroy(new Error('proxy timeout')));
      sent.end(body?.length ? body : undefined);
    });
    const merged = new HeaderList(carried);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (HOP_BY_HOP.has(name)) continue;
      if (name !== 'set-cookie') merged.delete(name);
      for (const one of Array.isArray(value) ? value : [value]) merged.append(name, one);
    }
    const bodiless = method === 'HEAD' || answer.statusCode === 204 || answer.statusCode === 304;
    if (bodiless) answer.resume();
    const status = answer.statusCode;
    return { kind: 'external-rewrite', status, headers: addCompressionVary(merged), body: bodiless ? null : Readable.toWeb(answer) };
  } catch (error) {
    if (!signal?.aborted) console.error(`Failed to proxy ${destination.href}`, error); // (not when the kernel cancelled)
    return { kind: 'external-rewrite', status: 500, headers: carried, body: 'Internal Server Error' };
  }
}

// Next's own 308s (`kind` says which), with the location as the body and a `refresh` to it.
function permanentRedirect(kind, location) {
  return { kind, status: 308, headers: new HeaderList({ location, refresh: `0;url=${location}` }), body: location };
}

const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

// Next parses a query into an object (a repeated name's values together, where the name first came) and writes it
// back as URLSearchParams do: the query middleware and routes see (recorded: query-shapes).
function regroupedQuery(params) {
  const grouped = new Map();
  for (const [name, value] of params) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  const regrouped = new URLSearchParams();
  for (const [name, values] of grouped) for (const value of values) regrouped.append(name, value);
  return regrouped.toString();
}

// What 15.5 answers a data request (/_next/data/<id>/page.json) when the build id is not its own.
function dataNotFound(carried, original) {
  const headers = appendAll(carried, [
    ['cache-control', 'private, no-cache, no-store, max-age=0, must-revalidate'],
    ['content-type', 'application/json'],
    ['x-nextjs-matched-path', original],
  ]);
  return { kind: 'not-found', status: 404, headers: addCompressionVary(headers), body: '{}' };
}

// Headers only Next's own layers may set: the router drops them from a client's request before anything sees it
// (recorded in tests/conformance/middleware-init-and-spoofing). Others of the family, x-middleware-request-*
// included, reach middleware and the route as any header does.
const INTERNAL_HEADERS = new Set([
  'x-middleware-rewrite', 'x-middleware-redirect', 'x-middleware-set-cookie', 'x-middleware-skip',
  'x-middleware-override-headers', 'x-middleware-next', 'x-now-route-matches', 'x-matched-path', 'x-nextjs-data',
  'x-next-resume-state-length', 'next-resume',
]);
const isInternal = ([name]) => INTERNAL_HEADERS.has(name.toLowerCase());

// The request as the router sees it: a client's internal headers dropped, host added, x-forwarded-* filled in. A
// client's x-middleware-subrequest is passed on untouched but never skips middleware (the CVE-2025-29927 fix, as
// recorded from 15.5 in tests/conformance/errors-and-subrequest).
function incomingHeaders(pairs, url) {
  const headers = new HeaderList(pairs.some(isInternal) ? pairs.filter((pair) => !isInternal(pair)) : pairs);
  if (!headers.has('host')) headers.set('host', url.host);
  const defaults = {
    'x-forwarded-host': headers.get('host'),
    'x-forwarded-port': url.port || (url.protocol === 'https:' ? '443' : '80'),
    'x-forwarded-proto': url.protocol.slice(0, -1),
    'x-forwarded-for': '127.0.0.1',
  };
  for (const [name, value] of Object.entries(defaults)) {
    if (!headers.has(name)) headers.set(name, value);
  }
  return headers;
}

// The middleware call inside the realm that holds its code: the host's, or an edge realm's, where making its event and
// calling it are one slice.
export async function invokeMiddleware(registry, { file, kind }, { method, url, headers, body, signal }, scope) {
  const handler = Middleware.prototype.handlerOf.call({ file, kind }, registry.evaluatedExportsOf(file) ?? await registry.exportsOf(file));
  const { NextRequest, NextFetchEvent } = registry.loadedFramework(file, 'next/server') ?? await registry.frameworkOf(file, 'next/server');
  const realm = registry.realmFor(file);
  const request = handlerRequest(realm, NextRequest, url, { method, headers, body, signal });
  const event = { page: `/${kind}`, context: scope }; // (scope.waitUntil: see NextFetchEvent)
  const answer = await scope.run(() => realm.inSlice(() => handler(request, new NextFetchEvent(event))));
  if (answer === undefined || answer === null) return new realm.Response(null, { headers: { 'x-middleware-next': '1' } });
  if (!isResponse(answer)) throw new TypeError('Expected an instance of Response to be returned');
  const result = realm.hostResponse(answer);
  // Next's adapter parses these as absolute URLs: a relative one throws (a 500), whatever the status.
  for (const name of ['location', 'x-middleware-rewrite']) {
    const value = result.headers.get(name);
    if (value !== null) new URL(value);
  }
  return result;
}

// The route handler call inside the realm that holds its code; resolves { response, used }. While a
// static copy is made, the handler's request is the one the generation shows it (generation.mjs).
export async function invokeRoute(registry, route, params, { method, url, headers, body, signal }, scope) {
  let exports = registry.evaluatedExportsOf(route.file) ?? await registry.exportsOf(route.file);
  if (route.metadata) exports = await metadataExports(registry, route, exports, scope.next);
  scope.fetchCache = exports.fetchCache; // how its fetches are cached
  const realm = registry.realmFor(route.file);
  const { NextRequest } = registry.loadedFramework(route.file, 'next/server') ?? await registry.frameworkOf(route.file, 'next/server');
  return scope.run(() => callHandler(exports, route, params, method, () => {
    const request = handlerRequest(realm, NextRequest, url, { method, headers, body, signal });
    return scope.generation ? scope.generation.request(request) : request;
  }, scope.next, realm));
}

// The exports of the route Next makes of a metadata file (robots.ts, sitemap.ts, ...) from the file's own.
export async function metadataExports(registry, route, exports, next) {
  const { metadataRoute } = await registry.frameworkOf(route.file, 'nbruntime/metadata');
  return metadataRoute(route.metadata, exports, String(next), route.file);
}

// The route's GET run as a static generation (at build, or when the server makes a cached copy), its
// body read whole for the cache; resolves { response, body }.
export async function generateRoute(registry, { route, params, url, generation, caches, next, lifetime }) {
  const scope = new Scope('route', new HeaderList(), lifetime, next);
  Object.assign(scope, { generation, caches });
  const { response } = await invokeRoute(registry, route, params, { method: 'GET', url, headers: new HeaderList(), body: null }, scope);
  return { response, body: new Uint8Array(await response.arrayBuffer()) };
}

// The Request a handler gets in `realm`, held while its exchange runs (holdRequest). Its signal aborts when the request
// is cancelled (the client went, or Ctrl-C in the kernel), as Next's does when the connection closes, in edge code as
// in Node.js code.
function handlerRequest(realm, NextRequest, url, { method, headers, body, signal }) {
  const init = { method, signal };
  if (body) Object.assign(init, { body: new Uint8Array(body), duplex: 'half' });
  const request = realm.nextRequest(NextRequest, url.href, init, headers);
  if (signal) holdRequest(signal, request);
  return request;
}
