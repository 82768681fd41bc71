// Fetching the app's own origin from its code (middleware, routes): the request goes through the app's
// pipeline in this process, as it reaches `next start` over HTTP (middleware runs for it again, no
// x-middleware-subrequest is added: recorded in tests/conformance/own-origin-fetch), without a port.
// Every other origin goes to the network as before.
//
// It is undici's global dispatcher, which both Node's fetch and the edge runtime's use, so each still adds
// its own default headers (user-agent: node / Next.js Middleware, accept, ...), follows redirects and
// reads bodies itself: only the socket is replaced.
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
// A handler that fetches its own path calls itself without end; a server would run out of sockets, we stop
// at this many requests to the app in flight at once (each level of such a loop holds one).
const MAX_OWN_FETCHES = 64;

// `serve(request, body, signal)` answers a request to the app as
// { status, headers: [[name, value]...], body: ReadableStream | null }; `origin` is set from the app's table.
export class OwnOriginDispatcher {
  constructor(serve) {
    this.serve = serve;
    this.origin = null;
    this.network = null;
    this.inFlight = 0;
  }

  // Takes the global dispatcher's place (once), keeping it for every other origin. The first fetch module loaded
  // makes it (Node's about 30 ms; the edge engine's comes with the engine): if none is loaded yet, a fetch
  // aborted before it starts makes Node's, offline.
  install() {
    if (this.network) return this;
    if (!globalThis[GLOBAL_DISPATCHER]) fetch('http://127.0.0.1:1/', { signal: AbortSignal.abort() }).catch(() => {});
    this.network = globalThis[GLOBAL_DISPATCHER];
    globalThis[GLOBAL_DISPATCHER] = this;
    return this;
  }

  isOwn(origin) {
    if (!this.origin) return false;
    const [own, asked] = [new URL(this.origin), new URL(String(origin))];
    const host = (url) => (LOOPBACK.has(url.hostname) ? 'loopback' : url.hostname);
    return own.protocol === asked.protocol && own.port === asked.port && host(own) === host(asked);
  }

  dispatch(options, handler) {
    if (!this.isOwn(options.origin)) return this.network.dispatch(options, handler);
    this.answer(options, handler).catch((error) => handler.onError(error));
    return true;
  }

  async answer(options, handler) {
    const abort = new AbortController();
    handler.onConnect?.((reason) => abort.abort(reason ?? new DOMException('The request was aborted', 'AbortError')));
    if (this.inFlight >= MAX_OWN_FETCHES) {
      throw new Error(`more than ${MAX_OWN_FETCHES} requests from the app to itself at once: a fetch loop?`);
    }
    this.inFlight += 1;
    try {
      const url = new URL(options.path, String(options.origin));
      const headers = [...headerPairs(options.headers), ['host', url.host]];
      const body = await bytesOf(options.body);
      const answer = await this.serve({ method: options.method, url: url.href, headers }, body, abort.signal);
      await deliver(answer, handler, abort.signal);
    } finally {
      this.inFlight -= 1;
    }
  }

  close(...args) {
    return this.network.close(...args);
  }

  destroy(...args) {
    return this.network.destroy(...args);
  }
}

// undici gives headers as an object (values may be arrays) or as a flat [name, value, ...] list.
function* headerPairs(headers) {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) yield [String(headers[i]), String(headers[i + 1])];
    return;
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) yield [name, String(item)];
  }
}

async function bytesOf(body) {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const parts = [];
  for await (const part of body) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

// Hands the answer to undici's handler as a socket would: head, body chunks (waiting while it is paused), end.
async function deliver({ status, headers, body }, handler, signal) {
  let resumed = null;
  const resume = () => resumed?.();
  const raw = headers.flatMap(([name, value]) => [Buffer.from(name), Buffer.from(value)]);
  const paused = handler.onHeaders(status, raw, resume, '') === false;
  const reader = body?.getReader();
  try {
    if (paused) await new Promise((resolve) => { resumed = resolve; });
    for (;;) {
      if (!reader) break;
      if (signal.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (done) break;
      if (handler.onData(Buffer.from(value.buffer, value.byteOffset, value.byteLength)) === false) {
        await new Promise((resolve) => { resumed = resolve; });
      }
    }
  } catch (error) {
    reader?.cancel(error).catch(() => {});
    throw error;
  }
  handler.onComplete([]);
}
