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

export function headers() {
  const current = scope('headers');
  return Promise.resolve(new ReadonlyHeaders([...current.requestHeaders]));
}

// Reads see the request's cookies and this request's own writes; writes become Set-Cookie lines
// on the response (route handlers and middleware may write, as in Next).
class RequestScopeCookies {
  #request;
  #response;

  constructor(current) {
    this.#request = new RequestCookies(current.requestHeaders);
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
  return Promise.resolve(new RequestScopeCookies(scope('cookies')));
}

export function draftMode() {
  scope('draftMode');
  return Promise.resolve({ isEnabled: false, enable() {}, disable() {} });
}
