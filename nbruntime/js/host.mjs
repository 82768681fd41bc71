// The Node.js host: one process per nbruntime App. It keeps the deployed cells as modules and answers requests; Python
// keeps the truth (sources, settings) and can restart us at any time. Its main thread reads the kernel's stdin (control
// operations and requests) and runs every request through the pipeline, Node.js code in the host's own realm and edge
// code in the edge runtime's realms (edge-runtime.mjs), as `next start` runs both in one process.
import { boot } from './boot.mjs'; // (first: it takes the host's pipes out of process.env before any code sees it)
import { Output, openChannel } from './wire.mjs';
import { Linger } from './linger.mjs';
import { currentRequest, routeOutput, routeStdio, routedConsole } from './context.mjs';
import { Registry } from './loader.mjs';
import { Server, describeError, reportUncaught } from './serve.mjs';
import { EdgeRuntime } from './edge-runtime.mjs';
import { OwnOriginDispatcher } from './ownorigin.mjs';
import { StaticRoutes } from './isr.mjs';
import { cacheFetches } from './fetch-cache.mjs';
import { requestContext } from './scope.mjs';
import { Packages } from './packages.mjs';
import { installNodeGlobals } from './node-globals.mjs';
import { WhenQuiet } from './quiet.mjs';

const output = new Output(boot.pipes.main);
const registry = new Registry(process.cwd(), { ...process.env }, {}, boot.packagesRoot);
registry.packages = new Packages(registry.packagesRoot);
const statics = new StaticRoutes(registry);
const busy = () => server.inflight.size > 0; // requests in flight
const edge = new EdgeRuntime(registry, busy);
const server = new Server(registry, statics, output, {
  begin: (message) => edge.begin(message),
  cancelled: (id) => edge.cancelled(id),
  end: (id) => edge.end(id),
});
edge.server = server;
installNodeGlobals(registry, () => server.pipeline.next); // a Node.js cell's globals, as next start's routes have them
// The app's code reaches the app itself over fetch without a port: through the pipeline. Installing it loads Node's
// fetch (about 30 ms) unless the edge engine loaded its own: not at start, where the first cell waits, but at the first
// deploy (before the cell's code runs) or request, or once the host is quiet (a host warmed before its first cell).
// Then Node's Web API classes are loaded too, whichever fetch came first: a Node.js route's request and response are
// made of them (the pipeline's headers are not: header-list.mjs), and loading them made a warmed host's first request
// to one 20-40 ms long.
const ownOrigin = new OwnOriginDispatcher((request, body, signal) => server.serveOwn(request, body, signal));
const quiet = new WhenQuiet(() => {
  ownOrigin.install();
  void globalThis.Headers; // (a lazy global of Node's: reading it loads them)
}, busy);

// Handlers in the node runtime use the host's globals: route their console output to the cell, and their
// fetches through Next's data cache.
globalThis.console = routedConsole;
const stderr = routeStdio();
routeOutput((message) => output.send(message));
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

const abandons = new Map(); // file → gives its deploy up (the kernel's abandon: its top level never finished)

const operations = {
  async deploy({ file, source, runtime, entry, stripped }) {
    if (runtime === 'edge') edge.start();
    ownOrigin.install(); // before the cell's code runs
    // A deploy whose top level awaits what never comes is given up when the kernel says; one that computes without end
    // is a slice the holder stops (watchdog.mjs). Either way the version before stays.
    const staging = { abandoned: false };
    const abandoned = new Promise((_, reject) => {
      abandons.set(file, () => {
        staging.abandoned = true;
        reject(new Error('its top level did not finish; it was stopped, and the version before stays deployed'));
      });
    });
    try {
      return await Promise.race([registry.deploy(file, source, runtime, entry, stripped, staging), abandoned]);
    } finally {
      abandons.delete(file);
      if (runtime === 'edge') edge.released(); // the version it replaced, or the one that failed
    }
  },
  undeploy({ file }) {
    registry.undeploy(file);
    return {};
  },
  // The app's routing table: ordered routes, the middleware and its compiled matchers, the Next version.
  routes({ routes, middleware, next, origin }) {
    server.configure({ routes, middleware, next });
    ownOrigin.origin = origin;
    return {};
  },
  env({ env }) {
    Object.assign(registry.env, env);
    Object.assign(process.env, env);
    registry.edgeRealms.clear(); // an edge realm copies env when it is made: make them afresh
    registry.discardSpareRealm();
    edge.released();
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

// A reply goes at once, not at the end of the turn: a timer due meanwhile (the first realm, made at start) would hold
// it back for tens of ms, and the kernel waits for it to send what comes next (the app's state, then the deploy).
async function reply(message) {
  try {
    output.send({ id: message.id, ev: 'reply', ok: true, ...(await operations[message.op](message)) });
  } catch (error) {
    output.send({ id: message.id, ev: 'reply', ok: false, error: { ...describeError(error), ...placeOf(error) } });
  }
  output.flush();
}

// Going away for a reason of ours: said on stderr (the kernel reports it) before exiting.
function leave(why, code) {
  stderr(`nbruntime host: ${why}\n`);
  exitNow(code);
}

const feed = openChannel(process.stdin, output, (message, payload) => {
  quiet.poke();
  if (message.op === 'request') {
    ownOrigin.install();
    server.handle(message, payload);
  } else if (message.op === 'prepare') {
    if (message.runtime === 'edge' && message.entry) edge.start();
    registry.prepare(message); // no answer: the deploy has it
  } else if (message.op === 'abandon') abandons.get(message.file)?.(); // no answer: the deploy has it
  else if (message.op === 'cancel') server.cancel(message.id); // (a slice that holds us meanwhile: watchdog.mjs)
  else reply(message);
}, (error) => {
  // Bytes that are not the kernel's frames: nothing after them can be read. Go, and say why; the kernel restarts us.
  leave(`the control channel from the kernel broke (${error.message})`, 70);
}, () => {
  // With an edge cell on its way, the edge runtime starts once the kernel has heard we are ready: making the first realm
  // holds the thread for tens of ms, and the kernel sends the app's state meanwhile, to be read as soon as it is made.
  if (boot.edge) edge.start();
});
process.stdin.on('end', () => process.exit(0));
output.written = new Linger(process.stdin.fd, feed, busy).soon;
output.send({ ev: 'ready', pid: process.pid });
