// Slices: how edge code runs, so that one entry can be stopped without touching the others, nor the Node.js code and
// the host that share its thread.
//
// Every edge realm is a V8 context whose microtasks run in a queue of its own (microtaskMode 'afterEvaluate'), and
// edge code only ever runs inside a slice: a call into the realm (a `runInContext`, which also drains the realm's
// queue) inside the slice's scope, a host `runInContext` with `breakOnSigint`. A slice is the one place where edge code
// can be cut off: a SIGINT ends the scope registered last, V8 unwinds the slice to its scope, and the thread goes on
// (Node's vm timeout would cost a thread per call; this costs about 2 µs, because the holder thread keeps Node's
// SIGINT watcher started; see watchdog.mjs).
//
// The thread writes what it runs into shared memory (the slice's number, request, start, CPU deadline); the holder,
// which watches it from its own thread, signals a slice past its deadline, one whose process grows past the entry's
// memory limit while it runs, or one the kernel asks it to stop (its request was cancelled). A slice that ends with
// more memory than the entry's limit (V8's heap and ArrayBuffers alike) fails too. Whatever stops a slice, the entry's
// realm is made afresh for the next request; the other entries keep theirs.
//
// A signal must never find no scope at all: Node then restores SIGINT's default, and the process ends. So the holder
// signals a slice only while the slice says it is inside its scope (INSIDE), and says first that it is about to
// (SIGNALLING); a slice leaving its scope clears INSIDE, then waits inside the scope for a signal on its way. Each
// side writes its word and then reads the other's, so at least one sees the other (Dekker's handshake).
import v8 from 'node:v8';
import vm from 'node:vm';
import { currentRequest } from './context.mjs';

// The shared words: Int32 slots, then Float64 ones.
export const SLOT = { SEQ: 0, ACTIVE: 1, REQUEST: 2, TARGET: 3, REASON: 4, REGISTERING: 5, INSIDE: 6, SIGNALLING: 7 };
export const TIME = { START: 0, DEADLINE: 1 };
// HELD: the slice kept the thread from confirming another request's cancel (watchdog.mjs).
export const REASON = { NONE: 0, CPU: 1, MEMORY: 2, CANCEL: 3, HELD: 4 };
const SLOTS = 8; // (an even count: the Float64 words start 8-byte aligned)
export const SHARED_BYTES = SLOTS * 4 + 2 * 8;

export const shared = (buffer) => ({ i32: new Int32Array(buffer, 0, SLOTS), f64: new Float64Array(buffer, SLOTS * 4, 2) });

export const now = () => performance.timeOrigin + performance.now(); // one clock for every thread

// The error a stopped slice ends with; it is the host's own and crosses no membrane.
export class SliceStopped extends Error {
  constructor(reason, message) {
    super(message);
    this.name = reason === REASON.MEMORY ? 'EdgeMemoryLimitError'
      : reason === REASON.CPU || reason === REASON.HELD ? 'EdgeCpuLimitError' : 'AbortError';
  }
}

// Installed in each realm: runs the host's function of the moment (set just before) as a `runInContext` of the realm,
// which drains the realm's microtasks after it.
const TRAMPOLINE = `const __nbruntimeSlice = (() => {
  let next = null
  return Object.freeze({ set(fn) { next = fn }, run() { const fn = next; next = null; return fn === null ? undefined : fn() } })
})()`;
const RUN = new vm.Script('__nbruntimeSlice.run()');

// The slices' scope: a host context of its own, whose one function runs the slice of the moment (set just before).
let scoped = null;
const SCOPE = vm.createContext({ enter: () => scoped() });
const ENTER = new vm.Script('enter()');
const SCOPE_OPTIONS = { breakOnSigint: true };
const SIGNAL_WAIT_MS = 1000; // how long a slice leaving its scope waits for a signal the holder sends it

export class Slices {
  // `buffer`: the shared words; `stopped(realm, reason, requestId, cutOff)` gives the error a stopped slice ends with
  // (`cutOff`: the realm's code was cut off mid-way, or holds too much); a slice may spend `defaultBudgetMs` of CPU
  // when its request did not say.
  constructor(buffer, { stopped, defaultBudgetMs }) {
    Object.assign(this, shared(buffer));
    this.depth = 0;
    this.budgets = new Map();
    this.stopped = stopped;
    this.defaultBudgetMs = defaultBudgetMs;
  }

  // A realm's part: its trampoline, made once when the realm is.
  install(context) {
    vm.runInContext(TRAMPOLINE, context);
    return vm.runInContext('__nbruntimeSlice', context);
  }

  // Runs `fn` (which calls into the realm) as a slice of `realm`; inside a slice already, just calls it.
  run(realm, fn) {
    if (this.depth > 0) return fn();
    realm.slice.set(fn);
    return this.slice(realm, runSlice);
  }

  // Evaluates a module of `realm` (its top level, and the microtasks it leaves) as a slice.
  evaluate(realm, module) {
    if (this.depth > 0) return module.evaluate();
    return this.slice(realm, () => module.evaluate());
  }

  slice(realm, body) {
    const request = currentRequest.getStore();
    const requestId = request?.id ?? 0;
    const budget = realm.budgetMs ?? this.budgetOf(requestId);
    if (budget <= 0) throw this.stopped(realm, REASON.CPU, requestId, false);
    const { i32, f64 } = this;
    const seq = Atomics.add(i32, SLOT.SEQ, 1) + 1;
    const base = heapInUse();
    const started = now();
    f64[TIME.START] = started;
    f64[TIME.DEADLINE] = started + budget;
    i32[SLOT.REQUEST] = requestId;
    Atomics.store(i32, SLOT.ACTIVE, 1);
    // The holder registers its scope only while no slice runs, so that a slice's is always the younger: one it is
    // registering now is waited for (microseconds; see watchdog.mjs).
    if (Atomics.load(i32, SLOT.REGISTERING) === 1) Atomics.wait(i32, SLOT.REGISTERING, 1);
    this.depth = 1;
    scoped = () => {
      Atomics.store(i32, SLOT.INSIDE, seq);
      try {
        // In the request's own async context: a slice cut off mid-way leaves no store of its own behind.
        return request ? currentRequest.run(request, body, realm.context) : body(realm.context);
      } finally {
        leave(i32, seq);
      }
    };
    let result;
    try {
      result = ENTER.runInContext(SCOPE, SCOPE_OPTIONS);
    } catch (error) {
      this.end(requestId, started);
      if (error?.code !== 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw error;
      throw this.stopped(realm, i32[SLOT.TARGET] === seq ? i32[SLOT.REASON] : REASON.CANCEL, requestId, true);
    }
    this.end(requestId, started);
    if (heapInUse() - base > realm.memoryLimit) throw this.stopped(realm, REASON.MEMORY, requestId, true);
    return result;
  }

  // The slice's time counts against its request's budget (the thread runs nothing else meanwhile).
  end(requestId, started) {
    this.depth = 0;
    scoped = null;
    Atomics.store(this.i32, SLOT.INSIDE, 0); // (a slice cut off left its scope without leave())
    Atomics.store(this.i32, SLOT.ACTIVE, 0);
    if (requestId) this.spend(requestId, now() - started);
  }

  // Drains the realm's microtasks (after host code settled one of its promises), as a slice.
  drain(realm) {
    return this.run(realm, noop);
  }

  budgetOf(requestId) {
    if (!requestId) return this.defaultBudgetMs;
    return this.budgets.get(requestId)?.cpuMs ?? this.defaultBudgetMs;
  }

  // A request's CPU budget: what its slices may spend in all, whichever entry runs them.
  open(requestId, cpuMs) {
    if (!this.budgets.has(requestId)) this.budgets.set(requestId, { cpuMs, users: 0 });
    this.budgets.get(requestId).users += 1;
  }

  close(requestId) {
    const budget = this.budgets.get(requestId);
    if (budget && --budget.users <= 0) this.budgets.delete(requestId);
  }

  // A cancelled request's code gets only what is left of `ms` (its stream's cancel(), say): then it is stopped.
  cap(requestId, ms) {
    const budget = this.budgets.get(requestId);
    if (budget) budget.cpuMs = Math.min(budget.cpuMs, ms);
  }

  spend(requestId, ms) {
    const budget = this.budgets.get(requestId);
    if (budget) budget.cpuMs -= ms;
  }

}

// What the thread holds: V8's heap and the memory of ArrayBuffers outside it.
export function heapInUse() {
  const heap = v8.getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

function runSlice(context) {
  return RUN.runInContext(context);
}

// The slice leaves its scope, unless a signal is on its way to it: then it waits for it inside (the signal ends the
// wait, and the slice).
function leave(i32, seq) {
  Atomics.store(i32, SLOT.INSIDE, 0);
  if (Atomics.load(i32, SLOT.SIGNALLING) === seq) Atomics.wait(i32, SLOT.SIGNALLING, seq, SIGNAL_WAIT_MS);
}

function noop() {}
