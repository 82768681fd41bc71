// Next's data cache for `fetch` in Node.js route handlers (15.5 semantics, server/lib/patch-fetch.js):
// not cached by default; `cache: 'force-cache'` or `next: { revalidate: N }` keeps the response in the data
// cache (stale ones served while refreshed, `next.tags` revalidated by revalidateTag); while a static copy
// is made, a `no-store` or `revalidate: 0` fetch makes the route dynamic and a shorter revalidate lowers it.
import { INFINITE } from './generation.mjs';

const UNCACHEABLE_HEADERS = ['authorization', 'cookie'];

// How long this fetch may be cached (0: not at all), from its options and the route's fetchCache.
function revalidateOf(init, fetchCache, generation) {
  const cache = init?.cache;
  let revalidate = init?.next?.revalidate === false ? INFINITE : init?.next?.revalidate;
  if (cache === 'no-store') revalidate = 0;
  else if (cache === 'force-cache' && revalidate === undefined) revalidate = INFINITE;
  if (fetchCache === 'force-no-store') return 0;
  if (fetchCache === 'only-no-store' && (cache === 'force-cache' || revalidate > 0)) {
    throw new Error(`cache: 'force-cache' used on fetch with 'export const fetchCache = 'only-no-store'`);
  }
  if (fetchCache === 'only-cache' && cache === 'no-store') {
    throw new Error(`cache: 'no-store' used on fetch with 'export const fetchCache = 'only-cache'`);
  }
  if (fetchCache === 'force-cache' && !revalidate) return INFINITE;
  if (revalidate !== undefined) return revalidate;
  if (fetchCache === 'default-cache' || fetchCache === 'only-cache') return INFINITE;
  // No cache config: not cached (15's "auto no cache"), except into the build's own cache.
  return generation?.phase === 'build' ? INFINITE : 0;
}

// As Next keys the data cache: the request, its headers and its cache mode (recorded in cache-fetch: the same URL
// fetched with force-cache and with next.revalidate is two entries).
function keyOf(request, init) {
  const headers = [...request.headers].sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(['fetch', request.method, request.url, headers, init?.cache ?? request.cache]);
}

async function snapshot(response) {
  const body = Buffer.from(await response.arrayBuffer()).toString('base64');
  return { status: response.status, statusText: response.statusText, headers: [...response.headers], url: response.url, body };
}

function revive({ status, statusText, headers, url, body }) {
  const response = new Response(status === 204 || status === 304 ? null : Buffer.from(body, 'base64'), { status, statusText, headers });
  Object.defineProperty(response, 'url', { value: url });
  return response;
}

// Wraps `realm.fetch` so calls made inside a request scope go through its data cache.
export function cacheFetches(realm, currentScope) {
  const fetch = realm.fetch;
  realm.fetch = async function cachedFetch(input, init) {
    const scope = currentScope();
    if (!scope?.caches || scope.phase !== 'route') return fetch(input, init);
    const request = new Request(input, init);
    const { generation } = scope;
    const revalidate = revalidateOf(init, scope.fetchCache, generation);
    const uncacheable = request.method !== 'GET' || UNCACHEABLE_HEADERS.some((name) => request.headers.has(name));
    if (revalidate === 0 || (uncacheable && init?.cache !== 'force-cache')) {
      if (init?.cache === 'no-store') generation?.used(`no-store fetch ${request.url} ${generation.route}`);
      else if (init?.next?.revalidate === 0) generation?.used(`revalidate: 0 fetch ${request.url} ${generation.route}`);
      return fetch(input, init);
    }
    generation?.lower(revalidate);
    for (const tag of init?.next?.tags ?? []) generation?.tags.add(tag);
    const kept = await scope.caches.call(keyOf(request, init), () => fetch(input, init).then(snapshot), {
      revalidate: revalidate >= INFINITE ? false : revalidate, tags: init?.next?.tags ?? [],
    });
    return revive(kept);
  };
}
