// The edge runtime in the host: every edge entry's realm (middleware, edge routes) is a context of the main thread, as
// `next start` runs all edge functions as vm contexts of its one process. Set up with the first edge cell (or as soon as
// the host is ready, when one is on its way: a Next 15 app's middleware runs on the Edge by default), it runs edge code
// in slices (gate.mjs) that the holder thread (watchdog.mjs) stops: past its request's CPU budget, past the entry's
// memory limit, or when the kernel cancels its request. A stopped slice fails its request, and only that entry's realm
// is made afresh; the host, its Node.js code and the other entries go on.
import { Worker } from 'node:worker_threads';
import { REASON, SHARED_BYTES, SliceStopped, Slices } from './gate.mjs';
import { trackTimers } from './edge.mjs';
import { Timers } from './timers.mjs';
import { Reclaimer } from './reclaim.mjs';
import { runtimeMessage } from './compat.mjs';
import { boot } from './boot.mjs';

const HOLDER_SCRIPT = new URL('./watchdog.mjs', import.meta.url);
const CANCELLED_BUDGET_MS = 500; // what a cancelled request's code may still run (its stream's cancel(), say)

export class EdgeRuntime {
  // `busy()`: whether requests are in flight (a collection of released realms waits for none).
  constructor(registry, busy) {
    this.registry = registry;
    this.reclaimer = new Reclaimer(busy);
    this.timers = new Timers();
    this.server = null; // the Server whose requests a stopped slice fails (set once it is made)
  }

  get started() {
    return this.registry.slices !== null;
  }

  // Edge code may run from now on: its slices, the holder that stops them, and a first realm made ahead (the deploy
  // on its way evaluates in it). The holder starts now, before any edge code runs: a slice that held this thread could
  // not start it. Until its own thread has booted (a few ms, in parallel), a slice goes unwatched; it is watched from
  // then on (the holder registers between slices: watchdog.mjs).
  start() {
    if (this.started) return;
    const { registry } = this;
    const buffer = new SharedArrayBuffer(SHARED_BYTES);
    registry.memoryLimit = boot.memoryMb * 2 ** 20;
    registry.slices = new Slices(buffer, {
      stopped: (realm, reason, requestId, cutOff) => this.stopped(realm, reason, requestId, cutOff),
      defaultBudgetMs: boot.budgetMs,
    });
    trackTimers(this.timers);
    new Worker(HOLDER_SCRIPT, {
      workerData: { buffer, cancels: boot.pipes.holder, memoryMb: boot.memoryMb, cancelGraceMs: boot.cancelGraceMs },
    }).unref();
    registry.prepareSpareRealm();
  }

  // A request starts, is cancelled, ends: its CPU budget is open while it runs (the time its slices may spend, whichever
  // entry runs them), and the timers its edge code started end with it. The next realm is made once the host has been
  // quiet: each start and end puts it off, so it is made neither in the middle of a request nor as the next one comes.
  begin({ id, budgetMs }) {
    this.registry.slices?.open(id, budgetMs ?? boot.budgetMs);
    this.registry.postponeSpareRealm();
  }

  cancelled(id) {
    this.registry.slices?.cap(id, CANCELLED_BUDGET_MS);
  }

  end(id) {
    this.timers.end(id);
    this.registry.slices?.close(id);
    this.registry.postponeSpareRealm();
  }

  // Realms were let go (a redeploy, a changed env): their memory is given back soon.
  released() {
    this.reclaimer.released();
  }

  // A slice was stopped: the request it ran for fails at once and its timers end; a realm whose code was cut off
  // mid-way (or that holds too much) is made afresh for the next request (requests in flight finish on it).
  stopped(realm, reason, requestId, cutOff) {
    const { registry, server } = this;
    const error = new SliceStopped(reason, stopMessage(reason, realm.entry, requestId));
    if (cutOff && registry.edgeRealms.get(realm.entry) === realm) {
      registry.edgeRealms.delete(realm.entry);
      this.released();
    }
    if (requestId && reason === REASON.CANCEL) {
      server.cancel(requestId); // the kernel gave up on it: nothing more is sent for it
    } else if (requestId) {
      setImmediate(() => server.fail(requestId, error)); // (a slice that was the handler itself is answered by then)
      this.timers.end(requestId);
    }
    return error;
  }
}

function stopMessage(reason, file, requestId) {
  if (reason === REASON.MEMORY) return runtimeMessage('edge-memory-limit', file).replaceAll('{mb}', String(boot.memoryMb));
  if (reason === REASON.CPU && !requestId) { // a timer set at its top level, say: no request's budget, the app's
    return `The edge deployment ${file} ran code of no request (a timer set at its top level, say) past the app's `
      + 'time limit without yielding: edge platforms stop code that computes that long; its realm starts afresh';
  }
  if (reason === REASON.CPU) return runtimeMessage('edge-cpu-limit', file);
  if (reason === REASON.HELD) {
    return `The edge deployment ${file} kept the host busy past another request's time limit: edge code shares `
      + 'one thread with the rest of the app here, as in next start, so it was stopped rather than the whole host';
  }
  if (!requestId) return `The top level of ${file} did not finish; it was stopped, and the version before stays deployed`;
  return `The request was cancelled while ${file} was running; its realm starts afresh for the next request`;
}
