// The edge thread: every edge entry's realm (middleware, edge routes) as contexts of one worker thread, as `next start`
// runs all edge functions as vm contexts of one process; its heap is apart from the host's. Each realm's code runs in
// slices (gate.mjs) that the host can stop: past its memory limit, past its request's CPU budget, or when its request
// is cancelled; only that entry's realm is then made afresh. Steps arrive as data from the host (steps.mjs).
import { parentPort, workerData } from 'node:worker_threads';
import { currentRequest, routedConsole, routeOutput } from './context.mjs';
import { discardSpareContext, trackTimers } from './edge.mjs';
import { BuildError, Registry } from './loader.mjs';
import { describeError } from './serve.mjs';
import { Caches } from './cache.mjs';
import { invokeMiddleware, invokeRoute } from './pipeline.mjs';
import { OwnOriginDispatcher } from './ownorigin.mjs';
import { REQUEST_CONTEXT, requestContext, runAfterCallback } from './scope.mjs';
import { REASON, SliceStopped, Slices } from './gate.mjs';
import { runtimeMessage } from './compat.mjs';
import { StepServer } from './steps.mjs';
import { Timers } from './timers.mjs';

const post = (message, transfer) => parentPort.postMessage(message, transfer);
routeOutput(post); // console lines go to the host, which writes them as frames (one writer on the pipe)
globalThis.console = routedConsole;
process.on('unhandledRejection', (reason) => routedConsole.error('Unhandled promise rejection:', reason));
process.on('uncaughtException', (error) => routedConsole.error('Uncaught exception:', error));

const { memoryMb, defaultBudgetMs } = workerData;
const registry = new Registry(workerData.root, workerData.env, {}, workerData.packagesRoot);
for (const [file, cell] of workerData.cells) registry.cells.set(file, cell);
registry.realmGlobals[REQUEST_CONTEXT] = requestContext;
registry.memoryLimit = memoryMb * 2 ** 20;
registry.slices = new Slices(workerData.shared, { stopped, defaultBudgetMs });

const timers = new Timers();
trackTimers(timers);

// A slice was stopped: the request it ran for fails and its timers end; a realm whose code was cut off mid-way (or
// that holds too much) is made afresh for the next request, its other calls in flight failing too.
function stopped(realm, reason, requestId, cutOff) {
  const error = new SliceStopped(reason, stopMessage(reason, realm.entry));
  if (cutOff && registry.edgeRealms.get(realm.entry) === realm) registry.edgeRealms.delete(realm.entry);
  const failing = (call) => (cutOff ? call.realm === realm : call.message.requestId === requestId);
  queueMicrotask(() => steps.failWith(failing, error));
  if (requestId) timers.end(requestId);
  return error;
}

function stopMessage(reason, file) {
  if (reason === REASON.MEMORY) return runtimeMessage('edge-memory-limit', file).replaceAll('{mb}', String(memoryMb));
  if (reason === REASON.CPU) return runtimeMessage('edge-cpu-limit', file);
  return `The request was cancelled while ${file} was running; its realm starts afresh for the next request`;
}

// Packages are bundled by the host (one esbuild, one cache) and their code sent here, to run in the entry's realm.
const bundles = new Replies('bundle');
registry.packages = { bundle: (specifiers, runtime) => bundles.ask({ specifiers, runtime }) };

// A fetch of the app's own origin goes to the host, which runs it through the app and hands back the answer.
const fetches = new Replies('fetch');
const ownOrigin = new OwnOriginDispatcher((request, body) => {
  const bytes = body && new Uint8Array(body); // a copy of our own, to transfer
  return fetches.ask({ requestId: currentRequest.getStore()?.id ?? null, request, body: bytes }, bytes ? [bytes.buffer] : undefined);
});
ownOrigin.origin = workerData.origin ?? null;

// next/cache's data cache is the host's: unstable_cache here reads and writes it through messages. What crosses is
// plain data, made here: values from an edge realm may not be cloneable as they are.
const cacheReplies = new Replies('cache');
const caches = new Caches({
  peek: (key, revalidate) => cacheReplies.ask({ op: 'peek', key: String(key), revalidate: revalidate === false ? false : Number(revalidate) }),
  store: (key, json, tags) => cacheReplies.ask({ op: 'store', key: String(key), json: String(json), tags: Array.from(tags, String) }),
});

// Questions to the host, each answered by a message with the same number.
function Replies(event) {
  const waiting = new Map();
  let seq = 0;
  return {
    ask(fields, transfer) {
      return new Promise((resolve, reject) => {
        waiting.set(++seq, { resolve, reject });
        post({ ev: event, seq, ...fields }, transfer);
      });
    },
    answer({ seq, error, ...result }) {
      const pending = waiting.get(seq);
      waiting.delete(seq);
      if (error) pending?.reject(Object.assign(new Error(error.message), { name: error.name ?? 'Error' }));
      else pending?.resolve(result.value);
    },
  };
}

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

// Installed once a realm exists: the edge engine's fetch module has made the network dispatcher by then, so Node's
// own need not load in this thread.
function routeOwnOrigin() {
  if (!ownOrigin.network) ownOrigin.install();
}

// One step of a request: the middleware or route handler of an entry, in its realm, under its request's CPU budget.
const steps = new StepServer(post, {
  async invoke(message, request, scope, state) {
    const { file, phase, kind, params, requestId, budgetMs } = message;
    scope.caches = caches;
    state.realm = registry.realmFor(file);
    if (requestId) registry.slices.open(requestId, budgetMs ?? defaultBudgetMs);
    state.budget = requestId;
    await registry.exportsOf(file).then(routeOwnOrigin, () => {}); // a failure shows in the answer
    if (phase === 'middleware') return { response: await invokeMiddleware(registry, { file, kind }, request, scope) };
    return invokeRoute(registry, { file }, params, request, scope);
  },
  serialize,
  runAfter: runAfterCallback,
  // A step is over (its body read, its after() work done): the timers its request started end, and its budget.
  ended(message) {
    if (!message.requestId) return;
    timers.end(message.requestId);
    registry.slices.close(message.requestId);
  },
});

const operations = {
  async load({ seq, file }) {
    try {
      const realm = registry.realmFor(file);
      realm.budgetMs = Infinity; // a top level that never ends is the deploy's timeout to report (app.py)
      const exports = await registry.exportsOf(file).finally(() => { realm.budgetMs = undefined; });
      routeOwnOrigin();
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
  origin({ origin }) {
    ownOrigin.origin = origin;
  },
  bundled: (message) => bundles.answer(message),
  fetched: (message) => fetches.answer(message),
  cached: (message) => cacheReplies.answer(message),
};

parentPort.on('message', (message) => {
  if (message.op in operations) operations[message.op](message);
  else steps.receive(message);
});
