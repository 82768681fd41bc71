// The holder: a thread that sits in a `breakOnSigint` scope for as long as the host lives, so that Node's SIGINT
// watcher stays started (a slice's own scope then costs about 1 µs instead of a thread started and joined), and
// that signals the slice to stop (gate.mjs). A SIGINT goes to the scope registered last: a slice of the edge
// thread, which registers after this one. It wakes every few milliseconds to see whether the running slice is past
// its CPU deadline, tells the host of a slice that runs long (the host then watches its heap), and does what the host
// asks (stop slice N, for a reason).
//
// It registers only while no slice runs (Dekker's handshake with Slices.slice: each side stores its flag, then reads
// the other's), so every slice's scope is younger than its own. Until then (it started while a slice ran, or a stray
// signal ended its scope) it watches unregistered. Either way it signals a slice only while the slice is inside its
// scope, with the handshake gate.mjs describes: its signal always lands in the slice's scope, never in its own, and
// never in none (which would end the process). A slice signalled that has not ended END_AFTER_MS later is stuck in
// code V8 cannot interrupt: it asks the host to end the edge thread.
import { parentPort, workerData } from 'node:worker_threads';
import vm from 'node:vm';
import { REASON, SLOT, TIME, now, shared } from './gate.mjs';

const { i32, f64 } = shared(workerData.buffer);
const POLL_MS = 5; // while a slice runs, or while unregistered; between slices, IDLE_MS
const IDLE_MS = 20;
const LONG_MS = 10; // a slice running this long gets its heap watched by the host
const END_AFTER_MS = 600;

let command = 0;
let asked = 0; // the slice to stop (the host asked, or it passed its deadline), signalled once it is inside its scope
let signalled = { seq: 0, at: 0, ended: false };

// Inside the scope: registered once here.
function watch() {
  Atomics.store(i32, SLOT.REGISTERING, 0);
  Atomics.notify(i32, SLOT.REGISTERING);
  for (;;) check(Atomics.load(i32, SLOT.ACTIVE) === 1 ? POLL_MS : IDLE_MS);
}

// Whether the scope may be registered now: no slice runs, and one that starts waits until it is.
function registrable() {
  Atomics.store(i32, SLOT.REGISTERING, 1);
  if (Atomics.load(i32, SLOT.ACTIVE) === 0) return true;
  Atomics.store(i32, SLOT.REGISTERING, 0);
  Atomics.notify(i32, SLOT.REGISTERING);
  return false;
}

// Waits up to `waitMs` for a command from the host, then acts on it or on the running slice's state.
function check(waitMs) {
  Atomics.wait(i32, SLOT.COMMAND, command, waitMs);
  const active = Atomics.load(i32, SLOT.ACTIVE) === 1;
  const seq = Atomics.load(i32, SLOT.SEQ);
  if (Atomics.load(i32, SLOT.COMMAND) !== command) {
    command = Atomics.load(i32, SLOT.COMMAND);
    if (active && Atomics.load(i32, SLOT.TARGET) === seq) asked = seq;
  }
  if (!active) return;
  if (now() - f64[TIME.START] > LONG_MS && Atomics.load(i32, SLOT.LONG) !== seq) {
    Atomics.store(i32, SLOT.LONG, seq);
    parentPort.postMessage({ long: seq });
  }
  if (now() > f64[TIME.DEADLINE] && Atomics.load(i32, SLOT.TARGET) !== seq) {
    Atomics.store(i32, SLOT.REASON, REASON.CPU);
    Atomics.store(i32, SLOT.TARGET, seq);
    asked = seq;
  }
  if (asked !== seq) return;
  if (signalled.seq !== seq) {
    if (signal(seq)) signalled = { seq, at: now(), ended: false };
  } else if (!signalled.ended && now() - signalled.at > END_AFTER_MS) {
    signalled.ended = true;
    parentPort.postMessage({ end: seq });
  }
}

// Signals slice `seq` if it is inside its scope (else it is tried again at the next check).
function signal(seq) {
  Atomics.store(i32, SLOT.SIGNALLING, seq);
  if (Atomics.load(i32, SLOT.INSIDE) === seq) {
    process.kill(process.pid, 'SIGINT');
    return true;
  }
  Atomics.store(i32, SLOT.SIGNALLING, 0);
  Atomics.notify(i32, SLOT.SIGNALLING);
  return false;
}

const context = vm.createContext({ watch });
for (;;) {
  while (!registrable()) check(POLL_MS);
  try {
    vm.runInContext('watch()', context, { breakOnSigint: true });
  } catch {
    // a SIGINT from elsewhere, sent while no slice was in its scope, came here: register again
  }
}
