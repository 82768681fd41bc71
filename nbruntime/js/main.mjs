// The host's main thread (host.mjs starts it): it keeps the deployed cells as modules and answers requests; Python
// keeps the truth (sources, settings) and can restart us at any time. It reads the kernel's stdin (control operations,
// and requests for Node.js routes) and runs the Node.js runtime; the edge thread (edge-link.mjs) runs every edge entry
// and answers the requests the kernel sends it on its own pipe.
import { Output, openChannel } from './wire.mjs';
import { Linger } from './linger.mjs';
import { currentRequest, routeOutput, routeStdio, routedConsole } from './context.mjs';
import { Registry } from './loader.mjs';
import { Server, describeError, reportUncaught } from './serve.mjs';
import { EdgeThread } from './edge-link.mjs';
import { OwnOriginDispatcher } from './ownorigin.mjs';
import { StaticRoutes } from './isr.mjs';
import { cacheFetches } from './fetch-cache.mjs';
import { requestContext } from './scope.mjs';
import { Packages } from './packages.mjs';
import { invokeMiddleware } from './pipeline.mjs';
import { boot } from './edge-start.mjs';
import { installNodeGlobals } from './node-globals.mjs';
import { WhenQuiet } from './quiet.mjs';

const output = new Output(boot.pipes.main);
const registry = new Registry(process.cwd(), { ...process.env }, {}, boot.packagesRoot);
registry.packages = new Packages(registry.packagesRoot);
const statics = new StaticRoutes(registry);
// Edge entries run in the edge thread, each held to this memory limit (MB), as on edge platforms: --edge-memory-mb=N;
// a request's CPU budget is its time limit (--timeout-ms=N, the app's; a request may give its own).
const edge = new EdgeThread(registry, { caches: statics.caches, output, died: (why) => leave(why, 71) });
const server = new Server(registry, statics, output, { remote: edge });
installNodeGlobals(registry, () => server.pipeline.next); // a Node.js cell's globals, as next start's routes have them
// The app's code reaches the app itself over fetch without a port: through the pipeline, here or from the edge thread.
// Installing it loads Node's fetch (about 30 ms): not at start, where the first edge cell waits on this thread, but at
// the first deploy (a Node.js cell's before its code runs, an edge cell's while the edge thread evaluates it) or
// request.
const ownOrigin = new OwnOriginDispatcher((request, body, signal) => server.serveOwn(request, body, signal));
const quiet = new WhenQuiet(() => ownOrigin.install()); // (a host warmed before its first cell)
// Node.js steps of requests the edge thread runs (a Node.js middleware or route behind an edge one).
edge.serveSteps({
  async invoke(message, request, scope, state) {
    scope.caches = statics.caches;
    if (message.phase === 'handle') return server.pipeline.handleFor(message, scope, state.abort.signal);
    return { response: await invokeMiddleware(registry, { file: message.file, kind: message.kind }, request, scope) };
  },
  revalidate: (revalidations) => statics.revalidate(revalidations),
});

// Handlers in the node runtime use the host's globals: route their console output to the cell, and their
// fetches through Next's data cache. A line for a request the edge thread runs goes to its pipe.
globalThis.console = routedConsole;
const stderr = routeStdio();
routeOutput((message) => (server.inflight.has(message.id) || !edge.runs(message.id) ? output.send(message) : edge.log(message)));
cacheFetches(globalThis, requestContext.get);

const exitNow = process.exit.bind(process); // before it is wrapped below: this exit is ours, not a handler's

// Report why we are going away before we go, so the kernel can say which handler did it.
for (const name of ['exit', 'abort']) {
  const original = process[name].bind(process);
  process[name] = (code) => {
    const request = currentRequest.getStore();
    output.send({ ev: 'exiting', id: request?.id ?? null, call: `process.${name}(${code ?? ''})`, stack: new Error().stack });
    output.flush(true);
    return original(code);
  };
}
reportUncaught();

const operations = {
  async deploy({ file, source, runtime, entry, stripped }) {
    if (runtime !== 'edge') ownOrigin.install(); // before the cell's code runs here
    const deployed = registry.deploy(file, source, runtime, entry, stripped);
    ownOrigin.install(); // (an edge cell: while the edge thread evaluates it)
    return deployed;
  },
  undeploy({ file }) {
    registry.undeploy(file);
    return {};
  },
  // The app's routing table: ordered routes, the middleware and its compiled matchers, the Next version. The edge
  // thread gets it too, numbered: a request the kernel sends it after this answer waits there until it has it.
  routes({ routes, middleware, next, origin, version }) {
    server.configure({ routes, middleware, next });
    ownOrigin.origin = origin;
    edge.origin(origin);
    edge.configure({ routes, middleware, next }, version);
    return {};
  },
  env({ env, version }) {
    Object.assign(registry.env, env);
    Object.assign(process.env, env);
    registry.edgeRealms.clear(); // an edge realm copies env when it is made: make them afresh
    edge.env(env, version);
    return {};
  },
  // The build's prerender of these routes (Python says which, and how each is configured).
  async build({ jobs, next }) {
    const results = await statics.build(jobs, next);
    return { results: results.map(({ entries, ...result }) => ({ ...result, entries: entries?.map(asData) })) };
  },
  // The static routes and how each is served (after a build); prerendered copies kept by Python.
  statics({ plans, entries }) {
    statics.configure(plans);
    statics.routes.install((entries ?? []).map(fromData));
    return {};
  },
  clock({ offsetMs }) {
    statics.clock.offsetMs = offsetMs;
    return {};
  },
  // What bundling these packages for a runtime finds (for next build's verdicts, made in Python): the files.
  async packages({ specifiers, runtime }) {
    const { files, ...facts } = await registry.packages.bundle(specifiers, runtime);
    return { facts, builds: registry.packages.builds };
  },
};

// A cache entry as JSON (its body in base64) and back.
const asData = (entry) => ({ ...entry, body: Buffer.from(entry.body).toString('base64') });
const fromData = (entry) => ({ ...entry, body: new Uint8Array(Buffer.from(entry.body, 'base64')) });

// Where a deploy's error is, if it says (a BuildError does); a thrown value that cannot be read says nothing.
function placeOf(error) {
  try {
    return { file: error.file, line: error.line, column: error.column };
  } catch {
    return {};
  }
}

async function reply(message) {
  try {
    output.send({ id: message.id, ev: 'reply', ok: true, ...(await operations[message.op](message)) });
  } catch (error) {
    output.send({ id: message.id, ev: 'reply', ok: false, error: { ...describeError(error), ...placeOf(error) } });
  }
}

// Going away for a reason of ours: said on stderr (the kernel reports it) before exiting.
function leave(why, code) {
  stderr(`nbruntime host: ${why}\n`);
  exitNow(code);
}

const feed = openChannel(process.stdin, [output], edge.keyed.bind(edge), (message, payload) => {
  quiet.poke();
  if (message.op === 'request') {
    ownOrigin.install();
    server.handle(message, payload);
  }
  else if (message.op === 'prepare') registry.prepare(message); // no answer: the deploy has it
  else if (message.op === 'abandon') edge.abandon(message.file); // no answer: the deploy has it
  else if (message.op === 'cancel') {
    // A cancel comes here whichever thread runs the request: the edge thread may be busy with the very slice to stop.
    // One this thread runs, it confirms itself, whatever holds the edge thread up.
    const ours = server.inflight.has(message.id);
    server.cancel(message.id);
    edge.abort(message.id, { confirmed: ours });
  } else reply(message);
}, (error) => {
  // Bytes that are not the kernel's frames: nothing after them can be read. Go, and say why; the kernel restarts us.
  leave(`the control channel from the kernel broke (${error.message})`, 70);
});
process.stdin.on('end', () => process.exit(0));
output.written = new Linger(process.stdin.fd, feed, () => server.inflight.size > 0).soon;
output.send({ ev: 'ready', pid: process.pid });
