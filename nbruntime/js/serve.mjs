// Answers one simulated request: finds the route, calls its handler, streams the response back.
import { types } from 'node:util';
import { send } from './wire.mjs';
import { currentRequest } from './context.mjs';
import { errorPage } from './pages.mjs';

const HANDLER_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH'];

export function describeError(error) {
  if (error && typeof error === 'object' && 'message' in error) {
    return { name: String(error.name ?? 'Error'), message: String(error.message), stack: String(error.stack ?? '') };
  }
  return { name: 'Error', message: String(error), stack: '' };
}

export class Server {
  constructor(registry) {
    this.registry = registry;
    this.routes = [];
    this.inflight = new Map();
  }

  // Routes come from Python already ordered as Next.js ranks them (static, dynamic, catch-all).
  setRoutes(routes) {
    this.routes = routes.map((route) => ({ ...route, regex: new RegExp(route.regex) }));
  }

  async handle(message, payload) {
    const state = { abort: new AbortController(), reader: null, cancelled: false };
    this.inflight.set(message.id, state);
    try {
      // A cancel ends the exchange even when the handler never settles.
      await currentRequest.run({ id: message.id }, () =>
        Promise.race([this.respond(message, payload, state), whenAborted(state.abort.signal)]));
    } catch (error) {
      if (!state.cancelled) send({ id: message.id, ev: 'error', error: describeError(error) });
    } finally {
      this.inflight.delete(message.id);
      send({ id: message.id, ev: 'end', cancelled: state.cancelled });
    }
  }

  cancel(id) {
    const state = this.inflight.get(id);
    if (!state) return;
    state.cancelled = true;
    state.abort.abort(new DOMException('The request was cancelled', 'AbortError'));
    state.reader?.cancel().catch(() => {});
  }

  async respond(message, payload, state) {
    const { id, method } = message;
    const request = new Request(message.url, {
      method,
      headers: message.headers,
      body: message.body ? payload : undefined,
      duplex: 'half',
      signal: state.abort.signal,
    });
    let response;
    try {
      response = await this.route(request, method);
    } catch (error) {
      send({ id, ev: 'error', error: describeError(error) });
      response = errorPage(500);
    }
    await this.stream(id, response, method === 'HEAD', state);
  }

  async route(request, method) {
    const pathname = new URL(request.url).pathname;
    for (const route of this.routes) {
      const match = route.regex.exec(pathname);
      if (match) return this.callHandler(route, match, request, method);
    }
    return errorPage(404);
  }

  async callHandler(route, match, request, method) {
    const exports = await this.registry.exportsOf(route.file);
    const implemented = HANDLER_METHODS.filter((name) => typeof exports[name] === 'function');
    let handler = exports[method];
    if (!handler && method === 'HEAD') handler = exports.GET;
    if (!handler && method === 'OPTIONS') {
      const allow = new Set([...implemented, 'OPTIONS', ...(exports.GET ? ['HEAD'] : [])]);
      return new Response(null, { status: 204, headers: { allow: [...allow].sort().join(', ') } });
    }
    if (typeof handler !== 'function') return new Response(null, { status: 405 });
    const params = paramsFrom(route.params, match);
    const response = await handler(request, { params: Promise.resolve(params) });
    if (!(response instanceof Response)) {
      throw new TypeError(`No response is returned from route handler '${route.file}'. ` +
        'Ensure you return a `Response` or a `NextResponse` in all branches of your handler.');
    }
    return response;
  }

  async stream(id, response, headOnly, state) {
    send({ id, ev: 'head', status: response.status, headers: [...response.headers] });
    if (!response.body || headOnly) return;
    state.reader = response.body.getReader();
    for (;;) {
      const { done, value } = await state.reader.read();
      if (done) return;
      if (!types.isUint8Array(value)) {
        throw new TypeError(`Received non-Uint8Array chunk (${typeof value}): enqueue bytes, e.g. new TextEncoder().encode(text)`);
      }
      send({ id, ev: 'chunk' }, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  }
}

function whenAborted(signal) {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

// Route params as Next.js passes them: strings, arrays for catch-alls, absent when optional and empty.
function paramsFrom(names, match) {
  const params = {};
  names.forEach(([name, kind], index) => {
    const value = match[index + 1];
    if (value === undefined) return;
    params[name] = kind === 'single' ? decodeURIComponent(value) : value.split('/').map(decodeURIComponent);
  });
  return params;
}
