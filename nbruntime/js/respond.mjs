// How `next start` shapes the headers it sends, beyond what the handler returned: the App Router's
// `vary` for node routes, the compression step's `Vary: Accept-Encoding`, preview-cookie clearing.
import { createHash } from 'node:crypto';
import { types } from './builtins.mjs';
import { ResponseCookies, parseSetCookie } from './next/cookies.mjs';

// Node route handlers answer with this vary (the RSC request headers), before their own headers.
export const RSC_VARY = 'rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch';

// Content types the compression middleware would compress (mime-db's "compressible" families).
const COMPRESSIBLE = /^(text\/[^;]+|application\/(json|javascript|x-javascript|ecmascript|xml|graphql|ld\+json|manifest\+json|x-www-form-urlencoded)|[^;]+\+(json|xml|text)|image\/svg\+xml)\s*(;|$)/i;

// Appends every header of `extra` (a Headers or pairs) onto `target`; set-cookie lines stay separate.
export function appendAll(target, extra) {
  for (const [name, value] of extra) target.append(name, value);
  return target;
}

// The compression middleware marks compressible responses `Vary: Accept-Encoding` even when it
// does not compress (the client asked for identity), unless Cache-Control says no-transform. A content type
// sent twice (middleware's and an edge route's) is a list to it, never compressible (middleware-bodies-and-merges).
export function addCompressionVary(headers) {
  const type = headers.get('content-type');
  if (!type || type.includes(',') || !COMPRESSIBLE.test(type)) return headers;
  if (/(?:^|,)\s*no-transform\s*(?:,|$)/i.test(headers.get('cache-control') ?? '')) return headers;
  const vary = headers.get('vary');
  const fields = (vary ?? '').split(',').map((field) => field.trim().toLowerCase());
  if (fields.includes('*') || fields.includes('accept-encoding')) return headers;
  headers.append('vary', 'Accept-Encoding');
  return headers;
}

// How Next's sendResponse puts a Node.js route's headers onto the response middleware already gave headers
// to: a header already there keeps middleware's value, unless it is one that may repeat; set-cookie lines add up.
const REPEATABLE = new Set(['set-cookie', 'www-authenticate', 'proxy-authenticate', 'vary']);

export function sendOnto(target, headers) {
  const present = new Set(target.keys());
  for (const [name, value] of headers) {
    if (REPEATABLE.has(name) || !present.has(name)) target.append(name, value);
  }
  return target;
}

// A request carrying a preview-mode cookie that this server did not issue gets both cleared. `cookie` is
// the request's Cookie header as it arrived (a handler's cookies() writes do not count).
export function previewClearing(cookie, previewModeId) {
  const bypass = /(?:^|;\s*)__prerender_bypass=([^;]*)/.exec(cookie ?? '');
  if (bypass?.[1] === previewModeId) return [];
  if (!bypass && !/(?:^|;\s*)__next_preview_data=/.test(cookie ?? '')) return [];
  const expired = 'Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=None';
  return [['set-cookie', `__prerender_bypass=; ${expired}`], ['set-cookie', `__next_preview_data=; ${expired}`]];
}

// Cookies a route wrote with cookies() join its response's own Set-Cookie lines as Next merges them: the
// written ones first, then the response's, one line per name, all re-serialized (recorded in
// tests/conformance/request-details). `headers` is a HeaderList of the response's own, changed in place.
export function mergeWrittenCookies(headers, written) {
  if (written.length === 0) return headers;
  const jar = new ResponseCookies(headers);
  const returned = jar.getAll();
  for (const line of written) jar.set(parseSetCookie(line));
  for (const cookie of returned) jar.set(cookie);
  return headers;
}

// A body chunk as bytes: Next writes each chunk to the socket, which takes bytes or text (as UTF-8), so
// strings enqueued into a stream are sent too (tests/conformance/stream-bodies); anything else fails.
export function chunkBytes(value) {
  if (types.isUint8Array(value)) return value;
  if (typeof value === 'string') return new TextEncoder().encode(value);
  throw new TypeError(`Received non-Uint8Array chunk (${typeof value}): enqueue bytes or text, e.g. new TextEncoder().encode(text)`);
}

// Next 16 answers an RSC request (`rsc: 1`) whose `_rsc` query is not the hash of its router headers with
// a 307 to the URL carrying the right one (against cache poisoning by CDNs that ignore Vary; recorded in
// tests/conformance16/request-details). Returns that location, or null when the request may go on.
export function rscCacheBustingRedirect(url, headers) {
  if (headers.get('rsc') !== '1') return null;
  const prefetch = ['1', '2', '3'].includes(headers.get('next-router-prefetch')) ? headers.get('next-router-prefetch') : null;
  const others = ['next-router-segment-prefetch', 'next-router-state-tree', 'next-url'].map((name) => headers.get(name));
  const input = prefetch === null && others.every((value) => value === null) ? null
    : [prefetch ?? '0', ...others.map((value) => value ?? '0')].join(',');
  const expected = input === null ? '' : createHash('sha256').update(input).digest().subarray(0, 12).toString('base64url');
  if (url.searchParams.get('_rsc') === expected) return null;
  const pairs = url.search.slice(1).split('&').filter((pair) => pair && !pair.startsWith('_rsc='));
  pairs.push(expected ? `_rsc=${expected}` : '_rsc');
  return `${url.pathname}?${pairs.join('&')}`;
}

// Same-origin URLs become path + query, as Next 16 writes redirect locations.
export function relativeTo(target, base) {
  const url = new URL(target, base);
  return url.origin === base.origin ? `${url.pathname}${url.search}${url.hash}` : url.href;
}
