// The holder: a thread that sits in a `breakOnSigint` scope for as long as the host lives, so that Node's SIGINT
// watcher stays started (a slice's own scope then costs about 1 µs instead of a thread started and joined), and
// that signals the slice to stop (gate.mjs). A SIGINT goes to the scope registered last: a slice of the edge
// thread, which registers after this one. It wakes every few milliseconds to see whether the running slice is past
// its CPU deadline, tells the host of a slice that runs long (the host then watches its heap), and does what the host
// asks (stop slice N, for a reason). Should it ever hold a scope younger than the slice to stop (it registered again
// while that slice ran), a signal would only reach itself: it asks the host to end the edge thread instead.
import { parentPort, workerData } from 'node:worker_threads';
import vm from 'node:vm';
import { REASON, SLOT, TIME, now, shared } from './gate.mjs';

const { i32, f64 } = shared(workerData.buffer);
const POLL_MS = 5; // while a slice runs; between slices, IDLE_MS
const IDLE_MS = 20;
const LONG_MS = 10; // a slice running this long gets its heap watched by the host
const RESIGNAL_MS = 200; // a signal not answered this soon is sent again; after three, the thread is ended

let registeredAt = 0; // the slice number when this thread's scope was registered
let command = 0;
let signalled = { seq: 0, at: 0, tries: 0 };

function watch() {
  registeredAt = Atomics.load(i32, SLOT.SEQ);
  for (;;) {
    Atomics.wait(i32, SLOT.COMMAND, command, Atomics.load(i32, SLOT.ACTIVE) === 1 ? POLL_MS : IDLE_MS);
    const active = Atomics.load(i32, SLOT.ACTIVE) === 1;
    const seq = Atomics.load(i32, SLOT.SEQ);
    if (Atomics.load(i32, SLOT.COMMAND) !== command) {
      command = Atomics.load(i32, SLOT.COMMAND);
      if (active && Atomics.load(i32, SLOT.TARGET) === seq) stop(seq);
      continue;
    }
    if (!active) continue;
    const running = now() - f64[TIME.START];
    if (running > LONG_MS && Atomics.load(i32, SLOT.LONG) !== seq) {
      Atomics.store(i32, SLOT.LONG, seq);
      parentPort.postMessage({ long: seq });
    }
    if (now() > f64[TIME.DEADLINE] && Atomics.load(i32, SLOT.TARGET) !== seq) {
      Atomics.store(i32, SLOT.REASON, REASON.CPU);
      Atomics.store(i32, SLOT.TARGET, seq);
      stop(seq);
    } else if (signalled.seq === seq && now() - signalled.at > RESIGNAL_MS) {
      stop(seq);
    }
  }
}

function stop(seq) {
  if (seq <= registeredAt || (signalled.seq === seq && signalled.tries >= 3)) {
    parentPort.postMessage({ end: seq });
    return;
  }
  signalled = { seq, at: now(), tries: signalled.seq === seq ? signalled.tries + 1 : 1 };
  process.kill(process.pid, 'SIGINT');
}

const context = vm.createContext({ watch });
for (;;) {
  try {
    vm.runInContext('watch()', context, { breakOnSigint: true });
  } catch {
    // a signal that found no slice running came here: register again
  }
}
