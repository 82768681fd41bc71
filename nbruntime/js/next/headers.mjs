// `next/headers` as in Next.js 15: async `headers()` and `cookies()` of the request being handled.
// Evaluated inside each realm; the request comes from the scope the pipeline opened for it.
import { FLIGHT_HEADERS } from 'next/dist/client/components/app-router-headers';
import { RequestCookies, ResponseCookies, serializeCookie } from 'next/dist/server/web/spec-extension/cookies';

function scope(name) {
  const current = globalThis[Symbol.for('@next/request-context')]?.get();
  if (!current) {
    throw new Error(
      `\`${name}\` was called outside a request scope. Read more: https://nextjs.org/docs/messages/next-dynamic-api-wrong-context`,
    );
  }
  return current;
}

class ReadonlyHeadersError extends Error {
  constructor() {
    super('Headers cannot be modified. Read more: https://nextjs.org/docs/app/api-reference/functions/headers'); // named Error, as Next's
  }
}

class ReadonlyHeaders extends Headers {
  append() {
    throw new ReadonlyHeadersError();
  }

  delete() {
    throw new ReadonlyHeadersError();
  }

  set() {
    throw new ReadonlyHeadersError();
  }
}

// Next 15 returns a Promise that can still be used synchronously (deprecated; 16 removed it), so
// Next 14 code such as `headers().get('x')` keeps working in 15 mode.
function asyncValue(current, value) {
  const promise = Promise.resolve(value);
  if (String(current.next).startsWith('16')) return promise;
  for (let target = value; target && target !== Object.prototype; target = Object.getPrototypeOf(target)) {
    for (const name of Object.getOwnPropertyNames(target)) {
      if (name === 'constructor' || name in promise || typeof value[name] !== 'function') continue;
      promise[name] = value[name].bind(value);
    }
  }
  promise[Symbol.iterator] = () => value[Symbol.iterator]();
  Object.defineProperty(promise, 'size', { get: () => value.size });
  return promise;
}

// While a static copy is made, a force-static route reads empty request data; otherwise reading it
// means the route is dynamic after all (or, with dynamic = 'error', fails the build).
function requestData(current, name) {
  current.generation?.used(name);
  return current.generation ? new Headers() : current.requestHeaders;
}

export function headers() {
  const current = scope('headers');
  const list = new Headers(requestData(current, 'headers'));
  for (const name of FLIGHT_HEADERS) list.delete(name); // as Next's request store hides them (route-shapes)
  return asyncValue(current, new ReadonlyHeaders(list));
}

// Reads see the request's cookies and this request's own writes. Writes go to a jar that starts with the
// request's cookies, as Next's does: the scope's Set-Cookie lines are the written cookies in that jar's
// order (a rewritten request cookie keeps its place, a new one comes last), for the pipeline to merge.
class RequestScopeCookies {
  #request;
  #jar;
  #written = new Set();
  #lines;

  constructor(current) {
    this.#request = new RequestCookies(requestData(current, 'cookies'));
    this.#jar = new ResponseCookies(new Headers());
    for (const cookie of this.#request.getAll()) this.#jar.set(cookie);
    this.#lines = current.setCookies;
  }

  get size() {
    return this.#request.size;
  }

  get(...args) {
    return this.#request.get(...args);
  }

  getAll(...args) {
    return this.#request.getAll(...args);
  }

  has(name) {
    return this.#request.has(name);
  }

  set(...args) {
    this.#jar.set(...args);
    const name = typeof args[0] === 'string' ? args[0] : args[0].name;
    this.#request.set(name, this.#jar.get(name).value);
    return this.#wrote(name);
  }

  // A deleted cookie stays listed, empty, where it was (its jar entry is an expired one): recorded in
  // tests/conformance/cookie-details.
  delete(...args) {
    this.#jar.delete(...args);
    const name = typeof args[0] === 'string' ? args[0] : args[0].name;
    this.#request.set(name, '');
    return this.#wrote(name);
  }

  #wrote(name) {
    this.#written.add(name);
    this.#lines.delete('set-cookie');
    for (const cookie of this.#jar.getAll()) {
      if (this.#written.has(cookie.name)) this.#lines.append('set-cookie', serializeCookie(cookie));
    }
    return this;
  }

  toString() {
    return this.#request.toString();
  }
}

export function cookies() {
  const current = scope('cookies');
  return asyncValue(current, jarOf(current));
}

function jarOf(current) {
  current.cookieJar ??= new RequestScopeCookies(current); // one jar per request phase, as in Next
  return current.cookieJar;
}

// Draft mode is on when the request carries the app's `__prerender_bypass` cookie; enable() and disable()
// write that cookie (Secure, HttpOnly, SameSite=none under next start) into the request's cookie jar.
class DraftMode {
  #current;
  #enabled;

  constructor(current) {
    this.#current = current;
    this.#enabled = new RequestCookies(current.requestHeaders).get(PRERENDER_BYPASS)?.value === current.previewModeId;
  }

  get isEnabled() {
    return this.#enabled;
  }

  enable() {
    jarOf(this.#current).set({ name: PRERENDER_BYPASS, value: this.#current.previewModeId, ...BYPASS_ATTRIBUTES });
    this.#enabled = true;
  }

  disable() {
    jarOf(this.#current).set({ name: PRERENDER_BYPASS, value: '', ...BYPASS_ATTRIBUTES, expires: new Date(0) });
    this.#enabled = false;
  }
}

const PRERENDER_BYPASS = '__prerender_bypass';
const BYPASS_ATTRIBUTES = { httpOnly: true, sameSite: 'none', secure: true, path: '/' };

export function draftMode() {
  const current = scope('draftMode');
  current.draftMode ??= new DraftMode(current);
  return asyncValue(current, current.draftMode);
}
