// The host's side of the edge thread (edge-thread.mjs), where every edge entry runs: started with the first edge
// deploy, sent each cell and the routing table, asked to run edge steps of requests the main thread runs (steps.mjs),
// running the Node.js steps of requests it runs itself (those the kernel sends on its own pipe), and watched: the
// holder thread (watchdog.mjs) stops a slice past its CPU deadline; a slice that runs long has its heap watched from
// here, and is stopped past the entry's memory limit; a cancelled request's slice is stopped. Should the thread
// itself die (its heap's hard limit, or a slice that could not be stopped), the host goes with it: the kernel starts
// it afresh with every cell, as after any crash (the thread's pipe may hold half a frame).
import v8 from 'node:v8';
import { currentRequest } from './context.mjs';
import { REASON, SLOT, TIME, shared } from './gate.mjs';
import { StepClient, StepServer, revive } from './steps.mjs';
import { currentKey } from './wire.mjs';
import { runAfterCallback } from './scope.mjs';
import { boot, startEdgeThread, startHolder, takeEdgeThread } from './edge-start.mjs';

const MEMORY_POLL_MS = 5;
const HOLDER_DELAY_MS = 50; // after the first entry is in place (see watchSoon)
const HELD_MARGIN_MS = 500; // a slice that holds up a cancel is stopped this long before the kernel's grace ends

export class EdgeThread {
  // `output`: the main thread's frames; `died(why)`: the host must go. A thread started with the host is taken over.
  constructor(registry, { caches = null, output, died } = {}) {
    Object.assign(this, { registry, caches, output, died, memoryMb: boot.memoryMb, budgetMs: boot.budgetMs });
    this.worker = null;
    this.holder = null;
    this.holderTimer = null; // the holder starts soon after the first entry is in place (watchSoon)
    this.words = shared(boot.buffer);
    this.loads = new Map(); // seq → { resolve, reject }
    this.seq = 0;
    this.appOrigin = null;
    this.table = null; // the routing table, for a thread started after it came
    this.version = 0; // the latest routing table or env change it was sent
    this.client = new StepClient((message, transfer) => this.post(message, transfer));
    this.steps = null; // answers the thread's Node.js steps (serveSteps)
    registry.edgeThread = this;
    // V8 flags are process-wide: the host's --max-old-space-size (App(heap_mb=...)) would replace the thread's
    // resourceLimits. The host's heap is configured by now; unset the flag so the thread gets its own.
    v8.setFlagsFromString('--max-old-space-size=0');
    const early = takeEdgeThread();
    if (early) {
      Object.assign(registry.env, early.env); // what it was started with (the main thread's env, from process.env)
      this.adopt(early.worker);
    }
  }

  start() {
    const { registry } = this;
    const worker = startEdgeThread({
      root: registry.root, env: registry.env, cells: [...registry.cells], origin: this.appOrigin, table: this.table,
      version: this.version, key: currentKey(),
    });
    this.adopt(worker);
    this.watch(); // (its entries' realms are made at their first request)
  }

  adopt(worker) {
    worker.unref(); // the host ends when its stdin does, whatever the thread is doing
    worker.on('message', (message) => this.receive(message));
    worker.on('error', (error) => { worker.fatal = error; }); // why it is about to exit (out of memory, ...)
    worker.on('exit', (code) => this.exited(worker, code));
    this.worker = worker;
  }

  // The holder starts soon after a first entry is in place, not with the thread: its boot (a Node.js thread's, about
  // 30 ms of CPU) would compete with the first edge cell and its first request on a machine of few cores. Slices that
  // run before it is up go unwatched for those milliseconds: a deploy's (whose top level the kernel times out itself),
  // a first request's, whose deadline and cancel it acts on once up (it registers between slices: watchdog.mjs).
  watchSoon() {
    this.holderTimer ??= setTimeout(() => this.watch(), HOLDER_DELAY_MS).unref();
  }

  watch() {
    if (this.holder) return;
    this.holder = startHolder();
    this.holder.unref();
    this.holder.on('message', (message) => {
      if (message.long) this.watchMemory(message.long);
      if (message.end && this.worker) this.end(message.end);
    });
  }

  post(message, transfer) {
    if (!this.worker) this.start();
    this.worker.postMessage(message, transfer);
  }

  // The kernel's key arrived: a thread started before it signs its frames with it.
  keyed(key) {
    this.worker?.postMessage({ op: 'key', key });
  }

  // The Node.js steps of the thread's own requests are answered by `options.invoke` (steps.mjs), and its edge code's
  // revalidatePath/revalidateTag by `options.revalidate`.
  serveSteps({ invoke, revalidate }) {
    this.revalidate = revalidate;
    this.steps = new StepServer((message, transfer) => this.post(message, transfer), { invoke, runAfter: runAfterCallback });
  }

  // Whether the thread runs this request (a Node.js step of it is running here): its console output goes there.
  runs(requestId) {
    if (!this.steps || requestId === null || requestId === undefined) return false;
    for (const { message } of this.steps.calls.values()) if (message.requestId === requestId) return true;
    return false;
  }

  log(message) {
    this.worker?.postMessage({ op: 'log', message });
  }

  // The routing table and env changes, numbered by the kernel (a request it sends the thread says which it needs).
  configure(table, version) {
    this.table = table;
    this.version = version;
    this.worker?.postMessage({ op: 'routes', table, version });
  }

  // Evaluates a new version of an edge entry, which the thread puts in place if it evaluates; resolves its export
  // names (errors show at deploy, and leave the old version in place).
  deploy(file, cell) {
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.loads.set(seq, { resolve, reject, file });
      this.post({ op: 'load', seq, file, cell });
    });
  }

  // The kernel gave up on a deploy of `file` whose top level did not finish: the thread drops the new version (the
  // deploy fails, the one before stays), stopping its top level if that is what runs (no request's slice is then).
  abandon(file) {
    const seqs = [...this.loads].filter(([, load]) => load.file === file).map(([seq]) => seq);
    if (!seqs.length) return;
    for (const seq of seqs) this.worker?.postMessage({ op: 'abandon', seq });
    this.watch(); // (the holder stops the slice: it may not have started yet, with no entry in place)
    this.stopSliceOf(0); // a top level runs as a slice of no request
  }

  // An edge entry's new version, compiled here, to compile in its realm while the kernel checks it (a thread not
  // started yet starts with the deploy).
  compileAhead(file, code) {
    this.worker?.postMessage({ op: 'compileAhead', file, code });
  }

  // A cell changed (or went: `cell` undefined): the thread's registry follows, dropping the realms that used it.
  replace(file, cell) {
    this.worker?.postMessage({ op: 'replace', file, cell });
  }

  env(env, version) {
    this.version = version;
    this.worker?.postMessage({ op: 'env', env, version });
  }

  // The app's origin: a fetch to it from edge code comes to the host's pipeline (ownorigin.mjs).
  origin(origin) {
    this.appOrigin = origin;
    this.worker?.postMessage({ op: 'origin', origin });
  }

  // One step of a request in an edge entry (steps.mjs), under the request's CPU budget.
  call(request, scope) {
    const budgetMs = currentRequest.getStore()?.budgetMs ?? this.budgetMs;
    return this.client.call(request, scope, budgetMs);
  }

  // A request was cancelled: its steps here are cancelled too, and a slice running for it is stopped.
  cancel(requestId) {
    if (!this.worker) return;
    this.client.cancel(requestId);
    this.stopSliceOf(requestId);
  }

  // The kernel cancelled a request, which the thread may be running itself (`confirmed`: the main thread ran it).
  abort(requestId, { confirmed = false } = {}) {
    if (!this.worker) return;
    this.worker.postMessage({ op: 'abort', id: requestId });
    if (!this.stopSliceOf(requestId) && !confirmed) this.stopIfHeld();
  }

  // Whether a slice of the request was running, and asked to stop.
  stopSliceOf(requestId) {
    const { i32 } = this.words;
    if (Atomics.load(i32, SLOT.ACTIVE) !== 1 || Atomics.load(i32, SLOT.REQUEST) !== requestId) return false;
    this.stop(Atomics.load(i32, SLOT.SEQ), REASON.CANCEL);
    return true;
  }

  // A slice of other code (another request's, a timer's) holds the thread, which cannot confirm the cancel meanwhile;
  // the kernel ends the whole host when a cancel goes unconfirmed for its grace, so that slice, if it still runs
  // then, is stopped shortly before: one entry's realm is made afresh instead of every deployment.
  stopIfHeld() {
    const { i32 } = this.words;
    if (Atomics.load(i32, SLOT.ACTIVE) !== 1) return;
    const seq = Atomics.load(i32, SLOT.SEQ);
    setTimeout(() => {
      if (Atomics.load(i32, SLOT.ACTIVE) === 1 && Atomics.load(i32, SLOT.SEQ) === seq) this.stop(seq, REASON.HELD);
    }, Math.max(boot.cancelGraceMs - HELD_MARGIN_MS, 0)).unref();
  }

  // Asks the holder to stop slice `seq`.
  stop(seq, reason) {
    const { i32 } = this.words;
    Atomics.store(i32, SLOT.REASON, reason);
    Atomics.store(i32, SLOT.TARGET, seq);
    Atomics.add(i32, SLOT.COMMAND, 1);
    Atomics.notify(i32, SLOT.COMMAND);
  }

  // A slice that runs long: its heap is read from here (V8 answers between the thread's instructions) until it ends.
  async watchMemory(seq) {
    const { i32, f64 } = this.words;
    const limit = this.memoryMb * 2 ** 20;
    const running = () => Atomics.load(i32, SLOT.ACTIVE) === 1 && Atomics.load(i32, SLOT.SEQ) === seq;
    while (this.worker && running()) {
      let heap;
      try {
        heap = await this.worker.getHeapStatistics();
      } catch {
        return; // the thread went meanwhile
      }
      if (running() && heap.used_heap_size + heap.external_memory - f64[TIME.BASE] > limit) {
        this.stop(seq, REASON.MEMORY);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, MEMORY_POLL_MS));
    }
  }

  // A slice that could not be stopped: the thread is ended (every edge entry starts afresh).
  end(seq) {
    const { i32 } = this.words;
    if (Atomics.load(i32, SLOT.ACTIVE) !== 1 || Atomics.load(i32, SLOT.SEQ) !== seq) return;
    this.worker.ended = Atomics.load(i32, SLOT.REASON);
    this.worker.terminate();
  }

  receive(message) {
    if (message.op) return this.steps?.receive(message); // a Node.js step the thread asks of us
    switch (message.ev) {
      case 'log': return this.output.send(message); // console output of a request we run, with its id
      case 'cache': return this.answerCache(message);
      case 'bundle': return this.bundle(message);
      case 'loaded': return this.loaded(message);
      case 'revalidate':
        this.revalidate?.(message.revalidations);
        return this.post({ op: 'revalidated', seq: message.seq });
      default: return this.client.receive(message);
    }
  }


  loaded({ seq, exports, error }) {
    this.watchSoon();
    const load = this.loads.get(seq);
    this.loads.delete(seq);
    if (error) load?.reject(revive(error));
    else load?.resolve(exports);
  }

  // unstable_cache in edge code reads and writes the host's data cache.
  answerCache({ seq, action, key, revalidate, json, tags }) {
    const data = this.caches?.data;
    const value = !data ? {} : action === 'peek' ? data.peek(key, revalidate) : data.store(key, json, tags);
    this.post({ op: 'cached', seq, value });
  }

  // A realm needs its packages bundled: the host bundles (one esbuild, one cache) and sends the code.
  bundle({ seq, specifiers, runtime }) {
    this.registry.packages.bundle(specifiers, runtime).then(
      (facts) => this.post({ op: 'bundled', seq, value: facts }),
      (error) => this.post({ op: 'bundled', seq, error: { message: String(error?.message ?? error) } }),
    );
  }

  // The thread died: so does the host (the kernel restarts it, and says why).
  exited(worker, code) {
    if (this.worker !== worker) return;
    const oom = worker.fatal?.code === 'ERR_WORKER_OUT_OF_MEMORY' || worker.ended === REASON.MEMORY;
    const why = oom ? `its heap passed its hard limit (${Math.max(1024, 4 * this.memoryMb)} MB) before an entry could be stopped`
      : worker.ended ? 'a slice of edge code could not be stopped' : worker.fatal?.message ?? `exit code ${code}`;
    this.died(`the edge runtime thread stopped (${why})`);
  }
}
