// Edge isolates, the worker's side: one edge entry's realm, made with the host's own loader and edge code,
// in a thread whose heap has the platform's limit. Calls arrive as data from isolate.mjs; each answers with
// its response head (plus the chunks ready at once), then the rest of the body under a window of bytes.
import { parentPort, workerData } from 'node:worker_threads';
import { types } from 'node:util';
import { currentRequest, routedConsole, routeOutput } from './context.mjs';
import { discardSpareContext } from './edge.mjs';
import { BuildError, Registry } from './loader.mjs';
import { describeError } from './serve.mjs';
import { invokeMiddleware, invokeRoute } from './pipeline.mjs';
import { Lifetime, REQUEST_CONTEXT, Scope, requestContext, runAfterCallback } from './scope.mjs';

const WINDOW_BYTES = 1024 * 1024; // body bytes sent and not yet acknowledged before the worker waits

const post = (message, transfer) => parentPort.postMessage(message, transfer);
routeOutput(post); // console lines go to the host, which writes them as frames (one writer on the pipe)
globalThis.console = routedConsole;
process.on('unhandledRejection', (reason) => routedConsole.error('Unhandled promise rejection:', reason));
process.on('uncaughtException', (error) => routedConsole.error('Uncaught exception:', error));

const registry = new Registry(workerData.root, workerData.env);
for (const [file, cell] of workerData.cells) registry.cells.set(file, cell);
registry.realmGlobals[REQUEST_CONTEXT] = requestContext;

const calls = new Map(); // seq → { lifetime, reader, outstanding, wake }
const cancelledEarly = new Set(); // calls cancelled while their handler still ran: their answer is dropped

// An error as data for the host; a deploy's BuildError also says where.
function serialize(error) {
  let place = {};
  try {
    if (error instanceof BuildError) place = { file: error.file, line: error.line, column: error.column };
  } catch {
    // a thrown Proxy whose traps throw says nowhere
  }
  return { ...describeError(error), ...place };
}

const hasWork = (lifetime) => lifetime.promises.length > 0 || lifetime.callbacks.length > 0;

const running = new Set(); // calls whose handler has not answered yet

async function call(message) {
  running.add(message.seq);
  try {
    await answer(message);
  } finally {
    running.delete(message.seq);
    cancelledEarly.delete(message.seq);
  }
}

async function answer(message) {
  const { seq, phase, file, kind, method, params, next } = message;
  const headers = new Headers(message.headers);
  const lifetime = new Lifetime(performance.now());
  const scope = new Scope(phase, headers, lifetime, next);
  const request = { method, url: new URL(message.url), headers, body: message.body, signal: undefined };
  let response, used;
  try {
    if (phase === 'middleware') response = await invokeMiddleware(registry, { file, kind }, request, scope);
    else ({ response, used } = await invokeRoute(registry, { file }, params, request, scope));
  } catch (error) {
    post({ ev: 'failed', seq, error: serialize(error) });
    return;
  }
  if (cancelledEarly.delete(seq)) {
    response.body?.cancel().catch(() => {});
    post({ ev: 'failed', seq, error: serialize(new DOMException('The request was cancelled', 'AbortError')) });
    return;
  }
  const after = [...headers];
  const changed = JSON.stringify(after) !== JSON.stringify(message.headers);
  const head = {
    ev: 'response', seq, status: response.status, statusText: response.statusText, headers: [...response.headers],
    used, setCookies: scope.setCookies.getSetCookie(), requestHeaders: changed ? after : undefined,
    hasBody: response.body !== null, chunks: [], done: false, pending: false,
  };
  const state = { lifetime, reader: null, outstanding: 0, wake: null, cancelled: false };
  calls.set(seq, state);
  if (!head.hasBody) {
    head.pending = hasWork(lifetime);
    finish(seq, state, head.pending);
    post(head);
    return;
  }
  state.reader = response.body.getReader();
  // The chunks that are ready at once (a string or bytes body) travel with the head: one message per call.
  let read = state.reader.read();
  const transfer = [];
  let failure = null;
  const later = new Promise((resolve) => setImmediate(resolve, null)); // "not ready at once": the next loop turn
  try {
    for (;;) {
      const ready = await Promise.race([read, later]);
      if (ready === null) break;
      if (ready.done) {
        head.done = true;
        break;
      }
      const chunk = copyOf(ready.value);
      head.chunks.push(chunk);
      transfer.push(chunk.buffer);
      state.outstanding += chunk.byteLength;
      read = state.reader.read();
      if (state.outstanding >= WINDOW_BYTES) break;
    }
  } catch (error) { // the body failed before its first chunks left: the head goes, then the error
    failure = error;
  }
  if (failure) {
    post(head, transfer);
    post({ ev: 'bodyError', seq, error: serialize(failure) });
    calls.delete(seq); // as in the host, a request whose body failed does not settle its after() work
    return;
  }
  if (head.done) {
    head.pending = hasWork(lifetime);
    finish(seq, state, head.pending);
    post(head, transfer);
    return;
  }
  post(head, transfer);
  pump(seq, state, read);
}

// Bytes to send: a copy of our own, so transferring it cannot detach an array the handler still holds.
function copyOf(value) {
  if (!types.isUint8Array(value)) {
    throw new TypeError(`Received non-Uint8Array chunk (${typeof value}): enqueue bytes, e.g. new TextEncoder().encode(text)`);
  }
  return new Uint8Array(value);
}

async function pump(seq, state, read) {
  try {
    for (;;) {
      const { done, value } = await read;
      if (state.cancelled) return;
      if (done) {
        const pending = hasWork(state.lifetime);
        finish(seq, state, pending);
        post({ ev: 'chunks', seq, chunks: [], done: true, pending });
        return;
      }
      const chunk = copyOf(value);
      state.outstanding += chunk.byteLength;
      post({ ev: 'chunks', seq, chunks: [chunk], done: false }, [chunk.buffer]);
      while (state.outstanding >= WINDOW_BYTES && !state.cancelled) await new Promise((resolve) => { state.wake = resolve; });
      if (state.cancelled) return;
      read = state.reader.read();
    }
  } catch (error) {
    if (!state.cancelled) post({ ev: 'bodyError', seq, error: serialize(error) });
    calls.delete(seq);
  }
}

// A call's record stays while after()/waitUntil() work waits for the host to ask us to settle it.
function finish(seq, state, pending) {
  if (!pending) calls.delete(seq);
}

const operations = {
  call,
  async load({ seq, file }) {
    try {
      const exports = await registry.exportsOf(file);
      post({ ev: 'loaded', seq, exports: Object.keys(exports) });
    } catch (error) {
      post({ ev: 'loaded', seq, error: serialize(error) });
    }
  },
  replace({ file, cell }) {
    registry.replace(file, cell ?? undefined);
  },
  env({ env }) {
    Object.assign(registry.env, env);
    registry.edgeRealms.clear(); // a realm copies env when it is made: make them afresh
    discardSpareContext();
  },
  ack({ seq, bytes }) {
    const state = calls.get(seq);
    if (!state) return;
    state.outstanding -= bytes;
    state.wake?.();
  },
  cancel({ seq }) {
    const state = calls.get(seq);
    post({ ev: 'cancelled', seq });
    if (!state) {
      if (running.has(seq)) cancelledEarly.add(seq);
      return;
    }
    state.cancelled = true;
    if (!hasWork(state.lifetime)) calls.delete(seq); // else kept for the settle the host still asks for
    state.wake?.();
    state.reader?.cancel().catch(() => {});
  },
  async settle({ seq }) {
    const state = calls.get(seq);
    calls.delete(seq);
    if (state) await state.lifetime.settle(runAfterCallback);
    post({ ev: 'settled', seq });
  },
};

parentPort.on('message', (message) => {
  const run = () => operations[message.op](message);
  if (message.op === 'call' || message.op === 'settle') currentRequest.run({ id: message.requestId }, run);
  else run();
});
