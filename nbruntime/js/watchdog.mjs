// The holder: a thread that sits in a `breakOnSigint` scope for as long as the host lives, so that Node's SIGINT
// watcher stays started (a slice's own scope then costs about 1 µs instead of a thread started and joined), and
// that signals the slice to stop (gate.mjs). A SIGINT goes to the scope registered last: a slice of the edge
// thread, which registers after this one. It wakes every few milliseconds to see whether the running slice is past
// its CPU deadline, tells the host of a slice that runs long (the host then watches its heap), and does what the host
// asks (stop slice N, for a reason).
//
// It registers only while no slice runs (Dekker's handshake with Slices.slice: each side stores its flag, then reads
// the other's), so every slice's scope is younger than its own. Until then (it started while a slice ran, or a signal
// that found no slice ended its scope: it registers again at once if none runs) it watches unregistered, and a signal
// reaches the running slice, the only scope; but one that found no scope at all would end the process (Node restores
// SIGINT's default when the last scope goes, whatever listener the main thread has). So, unregistered, it signals a
// slice only once it has run for LONG_MS (most end sooner, and it registers then): what is left is a slice of 10 ms
// or more ending in the instant before the signal lands. Should it ever hold a scope younger than the slice to stop,
// a signal would only reach itself: it asks the host to end the edge thread.
import { parentPort, workerData } from 'node:worker_threads';
import vm from 'node:vm';
import { REASON, SLOT, TIME, now, shared } from './gate.mjs';

const { i32, f64 } = shared(workerData.buffer);
const POLL_MS = 5; // while a slice runs, or while unregistered; between slices, IDLE_MS
const IDLE_MS = 20;
const LONG_MS = 10; // a slice running this long gets its heap watched by the host
const RESIGNAL_MS = 200; // a signal not answered this soon is sent again; after three, the thread is ended

let registered = false; // whether this thread's scope is registered now
let registeredAt = 0; // the slice number when it was
let command = 0;
let signalled = { seq: 0, at: 0, tries: 0 };
let asked = 0; // the slice to stop (the host asked, or it passed its deadline), signalled once it may be

// Inside the scope: registered once here.
function watch() {
  registered = true;
  registeredAt = Atomics.load(i32, SLOT.SEQ);
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
  const running = now() - f64[TIME.START];
  if (running > LONG_MS && Atomics.load(i32, SLOT.LONG) !== seq) {
    Atomics.store(i32, SLOT.LONG, seq);
    parentPort.postMessage({ long: seq });
  }
  if (now() > f64[TIME.DEADLINE] && Atomics.load(i32, SLOT.TARGET) !== seq) {
    Atomics.store(i32, SLOT.REASON, REASON.CPU);
    Atomics.store(i32, SLOT.TARGET, seq);
    asked = seq;
  }
  if (asked !== seq || (!registered && running < LONG_MS)) return; // (unregistered: see the top)
  if (signalled.seq !== seq || now() - signalled.at > RESIGNAL_MS) stop(seq);
}

function stop(seq) {
  if ((registered && seq <= registeredAt) || (signalled.seq === seq && signalled.tries >= 3)) {
    parentPort.postMessage({ end: seq });
    return;
  }
  signalled = { seq, at: now(), tries: signalled.seq === seq ? signalled.tries + 1 : 1 };
  process.kill(process.pid, 'SIGINT');
}

const context = vm.createContext({ watch });
for (;;) {
  registered = false;
  while (!registrable()) check(POLL_MS);
  try {
    vm.runInContext('watch()', context, { breakOnSigint: true });
  } catch {
    // a signal that found no slice running came here: register again
  }
}
