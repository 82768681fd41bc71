// `next/headers` as in Next.js 15: async `headers()` and `cookies()` of the request being handled.
// Evaluated inside each realm; the request comes from the scope the pipeline opened for it.
import { RequestCookies, ResponseCookies } from 'next/dist/server/web/spec-extension/cookies';

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
    super('Headers cannot be modified. Read more: https://nextjs.org/docs/app/api-reference/functions/headers');
    this.name = 'ReadonlyHeadersError';
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
  return asyncValue(current, new ReadonlyHeaders([...requestData(current, 'headers')]));
}

// Reads see the request's cookies and this request's own writes; writes become Set-Cookie lines
// on the response (route handlers and middleware may write, as in Next).
class RequestScopeCookies {
  #request;
  #response;

  constructor(current) {
    this.#request = new RequestCookies(requestData(current, 'cookies'));
    this.#response = new ResponseCookies(current.setCookies);
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
    this.#response.set(...args);
    const name = typeof args[0] === 'string' ? args[0] : args[0].name;
    this.#request.set(name, this.#response.get(name).value);
    return this;
  }

  delete(...args) {
    this.#response.delete(...args);
    this.#request.delete(typeof args[0] === 'string' ? args[0] : args[0].name);
    return this;
  }

  toString() {
    return this.#request.toString();
  }
}

export function cookies() {
  const current = scope('cookies');
  return asyncValue(current, new RequestScopeCookies(current));
}

export function draftMode() {
  scope('draftMode');
  return Promise.resolve({ isEnabled: false, enable() {}, disable() {} });
}
