// Edge isolates, the worker's side: one edge entry's realm, made with the host's own loader and edge code,
// in a thread whose heap has the platform's limit. Calls arrive as data from isolate.mjs; each answers with
// its response head (plus the chunks ready at once), then the rest of the body under a window of bytes.
import { parentPort, workerData } from 'node:worker_threads';
import { currentRequest, routedConsole, routeOutput } from './context.mjs';
import { discardSpareContext } from './edge.mjs';
import { BuildError, Registry } from './loader.mjs';
import { describeError } from './serve.mjs';
import { Caches } from './cache.mjs';
import { invokeMiddleware, invokeRoute } from './pipeline.mjs';
import { chunkBytes } from './respond.mjs';
import { OwnOriginDispatcher } from './ownorigin.mjs';
import { Lifetime, REQUEST_CONTEXT, Scope, requestContext, runAfterCallback } from './scope.mjs';

const WINDOW_BYTES = 1024 * 1024; // body bytes sent and not yet acknowledged before the worker waits

const post = (message, transfer) => parentPort.postMessage(message, transfer);
routeOutput(post); // console lines go to the host, which writes them as frames (one writer on the pipe)
globalThis.console = routedConsole;
process.on('unhandledRejection', (reason) => routedConsole.error('Unhandled promise rejection:', reason));
process.on('uncaughtException', (error) => routedConsole.error('Uncaught exception:', error));

const registry = new Registry(workerData.root, workerData.env, {}, workerData.packagesRoot);
for (const [file, cell] of workerData.cells) registry.cells.set(file, cell);
registry.realmGlobals[REQUEST_CONTEXT] = requestContext;
// Packages are bundled by the host (isolate.mjs) and their code sent here, to run in this entry's realm.
const bundles = new Map(); // seq → { resolve, reject }
let bundleSeq = 0;
registry.packages = {
  bundle(specifiers, runtime) {
    return new Promise((resolve, reject) => {
      const seq = ++bundleSeq;
      bundles.set(seq, { resolve, reject });
      post({ ev: 'bundle', seq, specifiers, runtime });
    });
  },
};

// A fetch of the app's own origin goes to the host, which runs it through the app and hands back the answer.
const ownFetches = new Map(); // fseq → { resolve, reject }
let fetchSeq = 0;
const ownOrigin = new OwnOriginDispatcher((request, body) => new Promise((resolve, reject) => {
  const fseq = ++fetchSeq;
  ownFetches.set(fseq, { resolve, reject });
  const requestId = currentRequest.getStore()?.id ?? null;
  const bytes = body && new Uint8Array(body); // a copy of our own, to transfer
  post({ ev: 'fetch', fseq, requestId, request, body: bytes }, bytes ? [bytes.buffer] : undefined);
}));
ownOrigin.origin = workerData.origin ?? null;

// next/cache's data cache is the host's: unstable_cache here reads and writes it through messages.
const cacheReplies = new Map();
let cacheSeq = 0;
const askHost = (message) => new Promise((resolve) => {
  const seq = ++cacheSeq;
  cacheReplies.set(seq, resolve);
  post({ ev: 'cache', seq, ...message });
});
// What crosses to the host is plain data, made here: values from the edge realm may not be cloneable as they are.
const caches = new Caches({
  peek: (key, revalidate) => askHost({ op: 'peek', key: String(key), revalidate: revalidate === false ? false : Number(revalidate) }),
  store: (key, json, tags) => askHost({ op: 'store', key: String(key), json: String(json), tags: Array.from(tags, String) }),
});

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

// Installed once the entry's realm exists: the edge engine's fetch module has made the network dispatcher
// by then, so Node's own need not load in this thread (a worker started afresh gets a call before a load).
function routeOwnOrigin() {
  if (!ownOrigin.network) ownOrigin.install();
}

async function call(message) {
  running.add(message.seq);
  try {
    await registry.exportsOf(message.file).then(routeOwnOrigin, () => {}); // a failure shows in the answer
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
  scope.caches = caches;
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
    revalidations: scope.revalidations.map(({ path, type, tag, stale }) => (
      { path: path && String(path), type: type && String(type), tag: tag && String(tag), stale: Boolean(stale) })),
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
  return new Uint8Array(chunkBytes(value));
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
      routeOwnOrigin();
      post({ ev: 'loaded', seq, exports: Object.keys(exports) });
    } catch (error) {
      post({ ev: 'loaded', seq, error: serialize(error) });
    }
  },
  bundled({ seq, facts, error }) {
    const pending = bundles.get(seq);
    bundles.delete(seq);
    if (error) pending?.reject(new Error(error.message));
    else pending?.resolve(facts);
  },
  replace({ file, cell }) {
    registry.replace(file, cell ?? undefined);
  },
  env({ env }) {
    Object.assign(registry.env, env);
    registry.edgeRealms.clear(); // a realm copies env when it is made: make them afresh
    discardSpareContext();
  },
  origin({ origin }) {
    ownOrigin.origin = origin;
  },
  fetched({ fseq, answer, error }) {
    const pending = ownFetches.get(fseq);
    ownFetches.delete(fseq);
    if (error) pending?.reject(Object.assign(new Error(error.message), { name: error.name }));
    else pending?.resolve(answer);
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
  cacheReply({ seq, result }) {
    cacheReplies.get(seq)?.(result);
    cacheReplies.delete(seq);
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
