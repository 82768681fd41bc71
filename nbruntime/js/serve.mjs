// Answers one simulated request: runs it through the pipeline, streams the response back chunk by
// chunk, then lets `after` / `waitUntil` work finish and reports the request's trace with `end`.
import { performance } from 'node:perf_hooks';
import { types } from './builtins.mjs';
import { currentRequest, routedConsole } from './context.mjs';
import { Pipeline } from './pipeline.mjs';
import { chunkBytes } from './respond.mjs';
import { REQUEST_CONTEXT, releaseRequests, requestContext, runAfterCallback } from './scope.mjs';

// An error as data for the kernel. Whatever was thrown (null, a Proxy whose traps throw, an object whose getters
// or toString throw), this answers: what cannot be read is said so.
export function describeError(error) {
  const read = (get, fallback) => {
    try {
      const value = get();
      return value === undefined ? fallback : String(value);
    } catch {
      return fallback;
    }
  };
  let isError = false;
  try {
    isError = error !== null && (typeof error === 'object' || typeof error === 'function') && 'message' in error;
  } catch {
    // a Proxy whose `has` trap throws: described as a value below
  }
  if (isError) {
    return { name: read(() => error.name, 'Error'), message: read(() => error.message, ''), stack: read(() => error.stack, '') };
  }
  return { name: 'Error', message: read(() => String(error), `a thrown value that cannot be read (${typeof error})`), stack: '' };
}

// Errors nothing caught go to the console, and the host goes on, as with `next start` (its router server logs
// " ⨯ uncaughtException:  " and the error); outside a request the kernel shows them as the app's own output. An edge
// realm's error is read as data: Node's inspect prints its membrane's object as {}.
export function reportUncaught() {
  const report = (label) => (error) => {
    const readable = types.isNativeError(error) || error === null || typeof error !== 'object';
    const { name, message, stack } = readable ? {} : describeError(error);
    routedConsole.error(' ⨯', `${label}: `, readable ? error : stack || `${name}: ${message}`);
  };
  process.on('uncaughtException', report('uncaughtException'));
  process.on('unhandledRejection', report('unhandledRejection'));
}

export class Server {
  // `output`: where the host writes its frames (wire.mjs). `begin(message)`, `cancelled(id)` and `end(id)` are told
  // when a request starts, is cancelled and ends.
  constructor(registry, statics, output, { begin, cancelled, end }) {
    this.registry = registry;
    this.output = output;
    this.pipeline = new Pipeline(registry, statics);
    this.inflight = new Map();
    Object.assign(this, { begin, cancelled, end });
    // next/server and next/headers find the current request here, in the node realm and every edge realm.
    globalThis[REQUEST_CONTEXT] = requestContext;
    registry.realmGlobals[REQUEST_CONTEXT] = requestContext;
  }

  configure(table) {
    this.pipeline.configure(table);
  }

  async handle(message, payload) {
    const state = { abort: new AbortController(), reader: null, cancelled: false, outcome: null };
    const { id } = message;
    this.inflight.set(id, state);
    this.begin(message);
    const send = (frame, bytes) => this.output.send(frame, bytes);
    try {
      // A cancel (or a failure: abort) ends the exchange even when the handler never settles.
      await currentRequest.run({ id, budgetMs: message.budgetMs }, () => new Promise((resolve, reject) => {
        state.stop = reject;
        this.respond(message, payload, state).then(resolve, reject);
      }));
    } catch (error) {
      if (!state.cancelled) send({ id, ev: 'error', error: describeError(error) });
      // Its edge code was stopped while it waited on something else: Next's 500 for an edge error, if nothing went.
      if (state.failure && !state.headSent) await this.stream(id, this.pipeline.serverError(), false, state).catch(() => {});
    } finally {
      // One turn of the event loop first, so an unhandled rejection the handler left behind is reported
      // (in this request's console output) before the request ends; the frames wait, to go in one write with `end`.
      this.output.hold();
      await new Promise((resolve) => setImmediate(resolve));
      this.inflight.delete(id);
      releaseRequests(state.abort.signal);
      this.end(id);
      // The trace goes as the frame's payload: the kernel parses it only if someone reads it.
      const trace = state.outcome?.trace.data;
      send({ id, ev: 'end', cancelled: state.cancelled }, trace ? Buffer.from(JSON.stringify(trace)) : undefined);
      this.output.release();
    }
  }

  // The request fails with `error` (its edge code was stopped), whatever it was waiting for.
  fail(id, error) {
    const state = this.inflight.get(id);
    if (!state) return;
    state.failure = error;
    this.abort(state, error);
  }

  cancel(id) {
    const state = this.inflight.get(id);
    if (!state) return;
    state.cancelled = true;
    this.cancelled(id);
    this.abort(state, new DOMException('The request was cancelled', 'AbortError'));
    state.reader?.cancel().catch(() => {});
  }

  // The request's signal aborts, and its exchange ends with `reason`.
  abort(state, reason) {
    state.abort.abort(reason);
    state.stop?.(state.abort.signal.reason);
  }

  async respond(message, payload, state) {
    const { id, method } = message;
    const send = (frame, bytes) => this.output.send(frame, bytes);
    const outcome = await this.pipeline.run(message, message.body ? payload : null, state.abort.signal);
    state.outcome = outcome;
    if (state.cancelled) return; // nothing more is sent for a cancelled request
    if ('error' in outcome) send({ id, ev: 'error', error: describeError(outcome.error) }); // (null may be thrown)
    const trace = outcome.trace;
    const start = performance.now() - trace.started;
    try {
      await this.stream(id, outcome, method === 'HEAD', state);
    } finally {
      trace.step('body', start, performance.now() - trace.started);
    }
    // The response is complete (`done` stamps its end); after()/waitUntil() work runs on, as on a server,
    // and `end` follows with the trace that includes it.
    if (outcome.lifetime.busy) send({ id, ev: 'done' });
    const span = await outcome.lifetime.settle(runAfterCallback);
    if (span) trace.step('after', ...span);
  }

  // A request from the app's own code to its own origin (ownorigin.mjs): the same pipeline, its body as a
  // byte stream; its after()/waitUntil() work runs once that body is read, as for any request. A handler's
  // error goes to the caller's console output (next start logs it).
  async serveOwn(request, body, signal) {
    const outcome = await this.pipeline.run(request, body, signal);
    if (outcome.error) console.error(outcome.error);
    let source = outcome.body ?? null;
    if (request.method === 'HEAD' && source) {
      if (typeof source.cancel === 'function') await source.cancel().catch(() => {});
      source = null;
    }
    const settle = () => {
      releaseRequests(signal);
      outcome.lifetime.settle(runAfterCallback);
    };
    if (source === null) {
      settle();
      return { status: outcome.status, headers: [...outcome.headers], body: null };
    }
    const chunks = (async function* () {
      try {
        yield* bytesOf(source);
      } finally {
        settle();
      }
    })();
    return { status: outcome.status, headers: [...outcome.headers], body: ReadableStream.from(chunks) };
  }

  async stream(id, { status, headers, body }, headOnly, state) {
    const send = (frame, bytes) => this.output.send(frame, bytes);
    send({ id, ev: 'head', status, headers: [...headers] });
    state.headSent = true;
    if (body === null || body === undefined || headOnly) {
      if (headOnly && body && typeof body.cancel === 'function') await body.cancel().catch(() => {});
      return;
    }
    for await (const bytes of bytesOf(body, state)) {
      if (state.cancelled) return;
      this.output.sendPromptly({ id, ev: 'chunk' }, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
  }
}

// A response body (text, a cached copy's bytes, or a stream) as byte chunks; the stream's reader goes in
// `state` (to cancel it).
async function* bytesOf(body, state = {}) {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    if (body.length) yield Buffer.from(body);
    return;
  }
  const reader = (state.reader = body.getReader());
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield chunkBytes(value);
  }
}
