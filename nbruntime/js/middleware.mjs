// The app's middleware (or Next 16 proxy): does it run for this request, and what did it decide?
// Matchers arrive compiled (Python turned each `source` into a regex as Next's build does); here we
// only test them, against the raw and the decoded pathname, then check `has` / `missing`.
import { HeaderList } from './header-list.mjs';
import { parseCookieHeader } from './next/cookies.mjs';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export class Middleware {
  // { file, kind: 'middleware' | 'proxy', matchers: [{ source, regex, has, missing }] | null }
  constructor({ file, kind, matchers }) {
    this.file = file;
    this.kind = kind;
    this.matchers = matchers?.map((matcher) => ({
      ...matcher,
      regex: new RegExp(matcher.regex),
      has: matcher.has.map(condition),
      missing: matcher.missing.map(condition),
    })) ?? null;
  }

  // { matched, reason }: the reason says which matcher (or why none) for the trace.
  match(url, headers) {
    if (!this.matchers) return { matched: true, reason: 'no matcher: runs for every path' };
    const paths = [url.pathname];
    try {
      const decoded = decodeURIComponent(url.pathname);
      if (decoded !== url.pathname) paths.push(decoded);
    } catch {
      // an invalid %-escape: only the raw path is tested
    }
    let facts = null; // what has/missing conditions test (the cookies parsed, ...): read for the first that has any
    let nearest = null;
    for (const matcher of this.matchers) {
      if (!paths.some((path) => matcher.regex.test(path))) continue;
      if (matcher.has.length || matcher.missing.length) facts ??= requestFacts(url, headers);
      const failedHas = matcher.has.find((item) => !item.test(facts));
      const presentMissing = matcher.missing.find((item) => item.test(facts));
      if (!failedHas && !presentMissing) return { matched: true, reason: `matcher ${matcher.source}` };
      nearest ??= failedHas ? `path matches ${matcher.source} but has ${failedHas.describe} is absent`
        : `path matches ${matcher.source} but missing ${presentMissing.describe} is present`;
    }
    return { matched: false, reason: nearest ?? `no matcher matches ${url.pathname}` };
  }

  // The handler Next picks: the named export (`middleware` / `proxy`), else the default export.
  handlerOf(exports) {
    const handler = exports[this.kind] ?? exports.default;
    if (typeof handler !== 'function') {
      throw new Error(`The ${this.kind === 'proxy' ? 'Proxy' : 'Middleware'} file "./${this.file}" must export a function named \`${this.kind}\` or a default function.`);
    }
    return handler;
  }
}

// A has/missing condition: the value (if given) is a regex the whole value must match.
function condition(item) {
  const pattern = item.value === undefined ? null : new RegExp(`^${item.value}$`);
  const describe = [item.type, item.key, item.value === undefined ? null : `=~${item.value}`].filter(Boolean).join(' ');
  return {
    describe,
    test(facts) {
      const value = facts[item.type](item.key);
      if (!value) return false;
      return pattern ? pattern.test(value) : true;
    },
  };
}

function requestFacts(url, headers) {
  const cookies = parseCookieHeader(headers.get('cookie'));
  return {
    header: (key) => headers.get(key),
    cookie: (key) => cookies.get(key),
    query: (key) => url.searchParams.getAll(key).at(-1),
    host: () => (headers.get('host') ?? url.host).split(':', 1)[0].toLowerCase(),
  };
}

// What the middleware's response means to the router (Next's x-middleware-* protocol).
export function decisionOf(response, url) {
  const headers = response.headers;
  if (headers.has('x-middleware-rewrite')) return { kind: 'rewrite', to: asNextUrl(headers.get('x-middleware-rewrite'), url) };
  if (headers.has('location') && REDIRECT_STATUSES.has(response.status)) {
    return { kind: 'redirect', to: asNextUrl(headers.get('location'), url), status: response.status };
  }
  if (headers.has('x-middleware-next')) return { kind: 'next' };
  return { kind: 'respond', status: response.status };
}

// The first loopback name in a URL's text (not at its very start), which a NextURL writes as localhost.
const LOOPBACK_NAME = /(?!^https?:\/\/)(127(?:\.(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)){3}|\[::1\]|localhost)/;

// Next's adapter reads a rewrite or redirect target as a NextURL, which names a loopback host (127.x.x.x, [::1])
// localhost, as it names the request's own: a target that then has the request's host is the app's own, given here
// on the request's origin; any other stays as it was (recorded: external-rewrite, where http://127.0.0.1:<port> is
// the app itself).
function asNextUrl(target, url) {
  let read;
  try {
    read = new URL(target.replace(LOOPBACK_NAME, 'localhost'));
  } catch {
    return target;
  }
  const own = read.protocol === url.protocol && read.host === new URL(url.href.replace(LOOPBACK_NAME, 'localhost')).host;
  return own ? new URL(`${read.pathname}${read.search}${read.hash}`, url.origin).href : target;
}

// Headers the router consumes and never forwards (as Next's resolve-routes filters them).
const CONSUMED = new Set([
  'content-length', 'x-middleware-rewrite', 'x-middleware-redirect', 'x-middleware-refresh', 'x-middleware-next',
  'x-middleware-override-headers', 'x-middleware-set-cookie', 'x-middleware-invoke', 'x-invoke-path',
  'x-invoke-query', 'accept-encoding', 'keepalive', 'keep-alive', 'content-encoding', 'transfer-encoding',
  'connection', 'expect',
]);

// Applies the middleware's response to the request that continues (next / rewrite) and returns the
// headers that go onto the final response. Mutates `requestHeaders` (a HeaderList).
// x-middleware-set-cookie is dropped: `next start` 15.5 shows a route handler the client's own cookies
// (recorded in tests/conformance/cookies-to-route), never the ones middleware just set.
export function forwardHeaders(response, requestHeaders) {
  const headers = response.headers;
  const overrides = headers.get('x-middleware-override-headers');
  if (overrides !== null) {
    const keep = new Set(overrides.split(',').map((name) => name.trim()).filter(Boolean));
    for (const name of [...requestHeaders.keys()]) {
      if (!keep.has(name)) requestHeaders.delete(name);
    }
    for (const name of keep) {
      const value = headers.get(`x-middleware-request-${name}`);
      if (value === null) requestHeaders.delete(name);
      else requestHeaders.set(name, value);
    }
  }
  const merged = new HeaderList();
  for (const [name, value] of headers) {
    if (CONSUMED.has(name) || name.startsWith('x-middleware-request-') || !value) continue;
    merged.append(name, value);
    if (name !== 'set-cookie') requestHeaders.set(name, value);
  }
  return merged;
}
