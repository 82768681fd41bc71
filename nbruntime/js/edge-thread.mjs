// The edge thread: every edge entry's realm (middleware, edge routes) as contexts of one worker thread, as `next start`
// runs all edge functions as vm contexts of one process; its heap is apart from the host's. Each realm's code runs in
// slices (gate.mjs) that the host can stop: past its memory limit, past its request's CPU budget, or when its request
// is cancelled; only that entry's realm is then made afresh.
//
// The kernel sends requests for edge routes (and for paths no route names, behind an edge middleware) straight here,
// on a pipe of this thread, and reads the answers from another: the whole pipeline runs here, the main thread only
// for Node.js steps (steps.mjs). The main thread asks the steps of its own requests that need edge code.
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { routedConsole, routeOutput } from './context.mjs';
import { trackTimers } from './edge.mjs';
import { BuildError, Registry } from './loader.mjs';
import { Caches } from './cache.mjs';
import { invokeMiddleware, invokeRoute } from './pipeline.mjs';
import { Output, readFrames, useKey } from './wire.mjs';
import { Server, describeError, reportUncaught } from './serve.mjs';
import { OwnOriginDispatcher } from './ownorigin.mjs';
import { REQUEST_CONTEXT, requestContext, runAfterCallback } from './scope.mjs';
import { REASON, SliceStopped, Slices } from './gate.mjs';
import { runtimeMessage } from './compat.mjs';
import { StepClient, StepServer, plainRevalidations } from './steps.mjs';
import { Timers } from './timers.mjs';
import { Reclaimer } from './reclaim.mjs';
import { Linger } from './linger.mjs';
import { WhenQuiet } from './quiet.mjs';

// Node's fetch classes (undici, which the host's code here uses: serve.mjs, steps.mjs) load once the thread is quiet
// (a host warmed before its first edge cell), else once an entry is in place: not as the thread starts, on the first
// edge cell's path (20-40 ms), nor, if time allows, in its first request.
const preloadFetchClasses = () => new Headers();
const quiet = new WhenQuiet(preloadFetchClasses);
const post = (message, transfer) => parentPort.postMessage(message, transfer);
if (workerData.key) useKey(workerData.key); // (a thread started with the host gets it by message)
const output = new Output(workerData.pipes.output);
globalThis.console = routedConsole;
reportUncaught();

const { memoryMb, defaultBudgetMs } = workerData;
const CANCELLED_BUDGET_MS = 500; // what a cancelled request's code may still run (its stream's cancel(), say)
const registry = new Registry(workerData.root, workerData.env, {}, workerData.packagesRoot);
for (const [file, cell] of workerData.cells) registry.cells.set(file, cell);
registry.realmGlobals[REQUEST_CONTEXT] = requestContext;
registry.memoryLimit = memoryMb * 2 ** 20;
registry.slices = new Slices(workerData.shared, { stopped, defaultBudgetMs });

const timers = new Timers();
trackTimers(timers);

// A slice was stopped: the request it ran for fails at once and its timers end; a realm whose code was cut off
// mid-way (or that holds too much) is made afresh for the next request (requests in flight finish on it).
function stopped(realm, reason, requestId, cutOff) {
  const error = new SliceStopped(reason, stopMessage(reason, realm.entry, requestId));
  if (cutOff && registry.edgeRealms.get(realm.entry) === realm) {
    registry.edgeRealms.delete(realm.entry);
    reclaimer.released();
  }
  if (requestId && reason === REASON.CANCEL) {
    server.cancel(requestId); // the kernel gave up on it: nothing more is sent for it
  } else if (requestId) {
    // A turn later: a slice that was the handler itself has its request answered by the pipeline by then.
    setImmediate(() => {
      steps.failWith((call) => call.message.requestId === requestId, error);
      server.fail(requestId, error);
    });
    timers.end(requestId);
  }
  return error;
}

function stopMessage(reason, file, requestId) {
  if (reason === REASON.MEMORY) return runtimeMessage('edge-memory-limit', file).replaceAll('{mb}', String(memoryMb));
  if (reason === REASON.CPU && !requestId) { // a timer set at its top level, say: no request's budget, the app's
    return `The edge deployment ${file} ran code of no request (a timer set at its top level, say) past the app's `
      + 'time limit without yielding: edge platforms stop code that computes that long; its realm starts afresh';
  }
  if (reason === REASON.CPU) return runtimeMessage('edge-cpu-limit', file);
  if (reason === REASON.HELD) {
    return `The edge deployment ${file} kept the edge thread busy past another request's time limit: edge code shares `
      + 'one thread here, as it shares one process in next start, so it was stopped rather than the whole host';
  }
  return `The request was cancelled while ${file} was running; its realm starts afresh for the next request`;
}

const loads = new Map(); // seq → abandons the load (the kernel gave up on its deploy)

// Packages are bundled by the host (one esbuild, one cache) and their code sent here, to run in the entry's realm.
const bundles = new Replies('bundle');
registry.packages = { bundle: (specifiers, runtime) => bundles.ask({ specifiers, runtime }) };

// next/cache's data cache is the host's: unstable_cache here reads and writes it through messages. What crosses is
// plain data, made here: values from an edge realm may not be cloneable as they are.
const cacheReplies = new Replies('cache');
const caches = new Caches({
  peek: (key, revalidate) => cacheReplies.ask({ action: 'peek', key: String(key), revalidate: revalidate === false ? false : Number(revalidate) }),
  store: (key, json, tags) => cacheReplies.ask({ action: 'store', key: String(key), json: String(json), tags: Array.from(tags, String) }),
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

// The Node.js steps of requests run here go to the main thread.
const main = new StepClient(post);

// The requests the kernel sends here, through the whole pipeline; revalidations edge code asks for are the main
// thread's caches', confirmed before the request ends (so the next request, wherever it goes, sees them).
const revalidations = new Replies('revalidate');
const statics = { caches, revalidate: (list) => list.length && revalidations.ask({ revalidations: plainRevalidations(list) }), plan: () => null };
const server = new Server(registry, statics, output, {
  edgeSide: true,
  remote: { call: (request, scope) => main.call(request, scope), cancel: (requestId) => main.cancel(requestId) },
  // A request's CPU budget is open while it runs; the timers it started end with it.
  begin: ({ id, budgetMs }) => registry.slices.open(id, budgetMs ?? defaultBudgetMs),
  cancelled: (id) => registry.slices.cap(id, CANCELLED_BUDGET_MS),
  end: (id) => {
    timers.end(id);
    registry.slices.close(id);
  },
});
routeOutput((message) => (server.inflight.has(message.id) ? output.send(message) : post(message)));
// A fetch of the app's own origin from edge code goes through the app's pipeline, here (ownorigin.mjs).
const ownOrigin = new OwnOriginDispatcher((request, body, signal) => server.serveOwn(request, body, signal));
ownOrigin.origin = workerData.origin ?? null;
if (workerData.table) server.configure(workerData.table);
// The kernel numbers the routing tables and env changes it sends (through the main thread); a request it sends here
// names the latest, and waits until this thread has it.
let configured = workerData.version;
const early = [];
function configuredTo(version) {
  configured = Math.max(configured, version);
  while (early.length && early[0][0].configured <= configured) server.handle(...early.shift());
}
const feed = readFrames(new net.Socket({ fd: workerData.pipes.input, readable: true, writable: false }), (message, payload) => {
  if (message.op !== 'request') return;
  quiet.poke();
  registry.postponeSpareRealm();
  if (message.configured > configured || early.length) early.push([message, payload]);
  else server.handle(message, payload);
});

// One step of a request the main thread runs: the middleware or route handler of an entry (or a route's whole
// handling), in its realm, under its request's CPU budget.
const steps = new StepServer(post, {
  async invoke(message, request, scope, state) {
    const { file, phase, kind, params, requestId, budgetMs } = message;
    scope.caches = caches;
    if (requestId) registry.slices.open(requestId, budgetMs ?? defaultBudgetMs);
    // The own-origin dispatcher is installed once a realm exists: the edge engine's fetch module has made the network
    // dispatcher by then, so Node's own need not load in this thread (a failure shows in the step's own load).
    if (!ownOrigin.network) await registry.exportsOf(file).then(() => ownOrigin.install(), () => {});
    if (phase === 'handle') return server.pipeline.handleFor(message, scope, state.abort.signal);
    if (phase === 'middleware') return { response: await invokeMiddleware(registry, { file, kind }, request, scope) };
    return invokeRoute(registry, { file }, params, request, scope);
  },
  serialize,
  runAfter: runAfterCallback,
  cancelled: ({ requestId }) => requestId && registry.slices.cap(requestId, CANCELLED_BUDGET_MS),
  // A step is over (its body read, its after() work done): the timers its request started end, and its budget.
  ended(message) {
    if (!message.requestId) return;
    timers.end(message.requestId);
    registry.slices.close(message.requestId);
  },
});

// The realms a redeploy lets go are given back soon, not when the heap nears its limit.
const busy = () => server.inflight.size > 0 || steps.calls.size > 0;
const reclaimer = new Reclaimer(busy);
output.written = new Linger(workerData.pipes.input, feed, busy).soon;

const operations = {
  key({ key }) {
    useKey(key);
    if (output.pending.length) output.flush();
  },
  routes({ table, version }) {
    server.configure(table);
    configuredTo(version);
  },
  abort({ id }) {
    server.cancel(id);
  },
  log({ message }) {
    output.send(message);
  },
  revalidated: (message) => revalidations.answer(message),
  // A new version of an entry: evaluated apart, then put in place (Registry.stage), unless abandoned first.
  async load({ seq, file, cell }) {
    const staging = { abandoned: false };
    const abandoned = new Promise((_, reject) => {
      loads.set(seq, () => {
        staging.abandoned = true;
        reject(new Error('its top level did not finish; it was stopped, and the version before stays deployed'));
      });
    });
    try {
      const module = await Promise.race([registry.stage(file, cell, staging), abandoned]);
      ownOrigin.install(); // (a realm exists: see the steps' invoke)
      output.flush(); // what its top level printed is in the pipe before the kernel has the reply (App._deploy_on)
      post({ ev: 'loaded', seq, exports: Object.keys(module.namespace) });
      setImmediate(preloadFetchClasses);
    } catch (error) {
      output.flush();
      post({ ev: 'loaded', seq, error: serialize(error) });
    } finally {
      loads.delete(seq);
      reclaimer.released(); // the version it replaced, or the one that failed
    }
  },
  abandon({ seq }) {
    loads.get(seq)?.();
  },
  compileAhead({ file, code }) {
    registry.compileAhead(file, code);
  },
  replace({ file, cell }) {
    registry.replace(file, cell ?? undefined);
    reclaimer.released();
  },
  env({ env, version }) {
    Object.assign(registry.env, env);
    registry.edgeRealms.clear(); // a realm copies env when it is made: make them afresh
    registry.discardSpareRealm();
    reclaimer.released();
    configuredTo(version);
  },
  origin({ origin }) {
    ownOrigin.origin = origin;
  },
  bundled: (message) => bundles.answer(message),
  cached: (message) => cacheReplies.answer(message),
};

// The engine loads, and a first realm is made, as soon as the thread starts: its first deploy is on its way.
registry.prepareSpareRealm();

parentPort.on('message', (message) => {
  quiet.poke();
  if (message.op in operations) operations[message.op](message);
  else if (message.op) {
    registry.postponeSpareRealm();
    steps.receive(message);
  }
  else main.receive(message);
});
