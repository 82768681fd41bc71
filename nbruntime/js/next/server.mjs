// `next/server` as Next.js 15.5 gives it to middleware and route handlers. Evaluated inside each
// realm, so NextRequest / NextResponse extend that realm's Request / Response.
import { RequestCookies, ResponseCookies, serializeCookie } from 'next/dist/server/web/spec-extension/cookies';
import { validateURL } from 'next/dist/server/web/utils';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const { apply } = Reflect; // as the realm had it: edge code that replaces Reflect.apply later sees no event's context
const scope = () => globalThis[Symbol.for('@next/request-context')]?.get();

class PageSignatureError extends Error {
  constructor(name) {
    super(`The middleware "/middleware" accepts an async API directly with the form:

  export function middleware(request, event) {
    return NextResponse.redirect('/new-location')
  }

  Read more: https://nextjs.org/docs/messages/middleware-new-signature
  (\`${name}\` is no longer available)`);
    this.name = 'PageSignatureError';
  }
}

// `request.nextUrl`: a URL whose string form follows the app's trailingSlash setting (false by default):
// `url.pathname = '/de/'` keeps the slash in `pathname` but `href` says /de, as in Next (recorded in
// tests/conformance/request-details). Not a URL subclass, as in Next; `new URL(path, nextUrl)` works.
export class NextURL {
  #url;
  #trailingSlash;

  constructor(input, base) {
    this.href = String(base === undefined ? new URL(String(input)) : new URL(String(input), String(base)));
  }

  get href() {
    const path = this.#url.pathname;
    const pathname = this.#trailingSlash || path === '/' ? path : path.replace(/\/+$/, '') || '/';
    return `${this.protocol}//${this.host}${pathname}${this.search}${this.hash}`;
  }

  set href(value) {
    this.#url = new URL(value);
    this.#trailingSlash = this.#url.pathname !== '/' && this.#url.pathname.endsWith('/');
  }

  get origin() { return this.#url.origin; }
  get protocol() { return this.#url.protocol; }
  set protocol(value) { this.#url.protocol = value; }
  get username() { return this.#url.username; }
  set username(value) { this.#url.username = value; }
  get password() { return this.#url.password; }
  set password(value) { this.#url.password = value; }
  get host() { return this.#url.host; }
  set host(value) { this.#url.host = value; }
  get hostname() { return this.#url.hostname; }
  set hostname(value) { this.#url.hostname = value; }
  get port() { return this.#url.port; }
  set port(value) { this.#url.port = value; }
  get pathname() { return this.#url.pathname; }
  set pathname(value) { this.#url.pathname = value; }
  get search() { return this.#url.search; }
  set search(value) { this.#url.search = value; }
  get searchParams() { return this.#url.searchParams; }
  get hash() { return this.#url.hash; }
  set hash(value) { this.#url.hash = value; }

  get basePath() {
    return '';
  }

  get locale() {
    return '';
  }

  get defaultLocale() {
    return undefined;
  }

  get buildId() {
    return undefined;
  }

  clone() {
    return new NextURL(this.href);
  }

  toString() {
    return this.href;
  }

  toJSON() {
    return this.href;
  }
}

// A NextRequest's nextUrl and cookies, in a property of its own as in Next (Symbol(internal request)), made when first
// read: the server makes the request a handler gets without running this constructor (an edge realm's request is the
// engine's, given this prototype). The nextUrl is made from the request's URL, which never changes, so only when a
// handler reads it.
const INTERNALS = Symbol('internal request');
function partsOf(request) {
  return (request[INTERNALS] ??= { nextUrl: null, cookies: new RequestCookies(request.headers) });
}

export class NextRequest extends Request {
  constructor(input, init = {}) {
    if (typeof input !== 'object' || input === null || !('url' in input)) validateURL(input);
    super(input, init);
    this[INTERNALS] = { nextUrl: null, cookies: new RequestCookies(this.headers) };
  }

  get cookies() {
    return partsOf(this).cookies;
  }

  get nextUrl() {
    const parts = partsOf(this);
    return (parts.nextUrl ??= new NextURL(this.url));
  }

  // Next's messages, line breaks and all (recorded in tests/conformance/request-bodies-and-fields).
  get page() {
    throw new Error('The request.page has been deprecated in favour of `URLPattern`.\n'
      + '  Read more: https://nextjs.org/docs/messages/middleware-request-page\n  ');
  }

  get ua() {
    throw new Error('The request.ua has been removed in favour of `userAgent` function.\n'
      + '  Read more: https://nextjs.org/docs/messages/middleware-parse-user-agent\n  ');
  }

  respondWith() {
    throw new PageSignatureError('respondWith');
  }

  waitUntil() {
    throw new PageSignatureError('waitUntil');
  }
}

// `request.headers` in next()/rewrite() become x-middleware-request-* plus the list of their names.
function overrideRequestHeaders(init, headers) {
  const replacement = init?.request?.headers;
  if (!replacement) return;
  if (!(replacement instanceof Headers)) throw new Error('request.headers must be an instance of Headers');
  const names = [];
  for (const [name, value] of replacement) {
    headers.set(`x-middleware-request-${name}`, value);
    names.push(name);
  }
  headers.set('x-middleware-override-headers', names.join(','));
}

export class NextResponse extends Response {
  #cookies;

  constructor(body, init) {
    super(body, init);
    const headers = this.headers;
    const jar = new ResponseCookies(headers);
    // Every write also updates x-middleware-set-cookie, so the route's cookies() sees the new values.
    const mirror = () => headers.set('x-middleware-set-cookie', jar.getAll().map(serializeCookie).join(','));
    this.#cookies = new Proxy(jar, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== 'set' && property !== 'delete') return typeof value === 'function' ? value.bind(target) : value;
        return (...args) => {
          const result = value.apply(target, args);
          mirror();
          return result;
        };
      },
    });
  }

  get cookies() {
    return this.#cookies;
  }

  static json(body, init) {
    const response = Response.json(body, init);
    return new NextResponse(response.body, response);
  }

  static redirect(url, init) {
    const status = typeof init === 'number' ? init : init?.status ?? 307;
    if (!REDIRECT_STATUSES.has(status)) {
      throw new RangeError('Failed to execute "redirect" on "response": Invalid status code');
    }
    const options = typeof init === 'object' ? init : {};
    const headers = new Headers(options?.headers);
    headers.set('Location', validateURL(url));
    return new NextResponse(null, { ...options, headers, status });
  }

  static rewrite(destination, init) {
    return middlewareResponse(init, 'x-middleware-rewrite', () => validateURL(destination));
  }

  static next(init) {
    return middlewareResponse(init, 'x-middleware-next', () => '1');
  }
}

// What next() and rewrite() answer: `init`'s headers with the field `name` set (its value made after they are read), and
// the request headers to override. Without an init, the response's own Headers take the field: no Headers to make and
// copy, nor an init for an edge realm's engine to read through the realm's wall.
function middlewareResponse(init, name, value) {
  if (init === undefined || init === null) {
    const field = value();
    const response = new NextResponse(null);
    response.headers.set(name, field);
    return response;
  }
  const headers = new Headers(init.headers);
  headers.set(name, value());
  overrideRequestHeaders(init, headers);
  return new NextResponse(null, { ...init, headers });
}

export class NextFetchEvent {
  #waitUntil;

  // `context.waitUntil` is called on `context` (the server passes the request's scope, whose method it is: one
  // function for every request, so an edge realm sees no new host function per request).
  constructor({ page, context }) {
    this.sourcePage = page;
    const { waitUntil } = context;
    this.#waitUntil = (promise) => apply(waitUntil, context, [promise]);
  }

  waitUntil(promise) {
    this.#waitUntil(promise);
  }

  get request() {
    throw new PageSignatureError('request');
  }

  respondWith() {
    throw new PageSignatureError('respondWith');
  }
}

// `after(task)`: run a callback (or wait for a promise) once the response has been sent.
export function after(task) {
  const current = scope();
  if (!current) {
    throw new Error('`after` was called outside a request scope. Read more: https://nextjs.org/docs/messages/next-dynamic-api-wrong-context');
  }
  current.after(task);
}

// Waits for a request: while a static copy is made, that makes the route dynamic.
export async function connection() {
  scope()?.generation?.used('connection');
}

const BOTS = /bot|crawler|spider|crawling|slurp|facebookexternalhit|whatsapp|preview|google-pagerenderer|ia_archiver/i;
const BROWSERS = [
  ['Edge', /Edg(?:e|A|iOS)?\/([\d.]+)/],
  ['Opera', /(?:OPR|Opera)\/([\d.]+)/],
  ['Samsung Browser', /SamsungBrowser\/([\d.]+)/],
  ['Firefox', /(?:Firefox|FxiOS)\/([\d.]+)/],
  ['Chrome', /(?:Chrome|CriOS)\/([\d.]+)/],
  ['Mobile Safari', /Version\/([\d.]+).*Mobile.*Safari/],
  ['Safari', /Version\/([\d.]+).*Safari/],
];
const SYSTEMS = [
  ['Windows', /Windows NT ([\d.]+)/, (v) => ({ '10.0': '10', '6.3': '8.1', '6.2': '8', '6.1': '7' })[v] ?? v],
  ['iOS', /(?:iPhone|iPad|iPod).*? OS ([\d_]+)/, (v) => v.replaceAll('_', '.')],
  ['Mac OS', /Mac OS X ([\d_.]+)/, (v) => v.replaceAll('_', '.')],
  ['Android', /Android ([\d.]+)/, (v) => v],
  ['Linux', /Linux/, () => undefined],
];

// The parts of a User-Agent header Next's `userAgent()` reports (a compact parser for common agents).
export function userAgent({ headers }) {
  const ua = headers.get('user-agent') ?? '';
  const browser = { name: undefined, version: undefined, major: undefined };
  for (const [name, pattern] of BROWSERS) {
    const found = ua.match(pattern);
    if (found) {
      Object.assign(browser, { name, version: found[1], major: found[1].split('.')[0] });
      break;
    }
  }
  const os = { name: undefined, version: undefined };
  for (const [name, pattern, version] of SYSTEMS) {
    const found = ua.match(pattern);
    if (found) {
      Object.assign(os, { name, version: found[1] && version(found[1]) });
      break;
    }
  }
  const engine = /Gecko\/\d/.test(ua) && /Firefox/.test(ua) ? 'Gecko'
    : /Chrome|CriOS|Edg/.test(ua) ? 'Blink' : /AppleWebKit/.test(ua) ? 'WebKit' : undefined;
  const type = /iPad|Tablet/.test(ua) ? 'tablet' : /Mobi|iPhone|Android/.test(ua) ? 'mobile' : undefined;
  const vendor = /iPhone|iPad|Macintosh/.test(ua) ? 'Apple' : /Samsung|SM-/.test(ua) ? 'Samsung' : undefined;
  const model = ua.match(/\((iPhone|iPad|Macintosh)/)?.[1];
  return {
    isBot: BOTS.test(ua),
    ua,
    browser,
    device: { model, type, vendor },
    engine: { name: engine, version: engine ? ua.match(/(?:AppleWebKit|rv:)\/?([\d.]+)/)?.[1] : undefined },
    os,
    cpu: { architecture: /x86_64|Win64|x64|amd64/i.test(ua) ? 'amd64' : /arm64|aarch64/i.test(ua) ? 'arm64' : undefined },
  };
}

export function userAgentFromString(ua) {
  return userAgent({ headers: new Headers({ 'user-agent': ua ?? '' }) });
}

export const URLPattern = globalThis.URLPattern;

// next/og's ImageResponse, which next/server also exports: it draws the image with Satori and resvg, which are not
// emulated. Importing it works, as in Next; making one says so.
export class ImageResponse extends Response {
  constructor() {
    throw new Error('ImageResponse (next/og) is not emulated: nbruntime does not carry the Satori and resvg renderer it '
      + 'draws images with. Run this route in a Next.js app.');
  }
}
