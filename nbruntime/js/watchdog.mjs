// The holder: a thread that sits in a `breakOnSigint` scope for as long as the host lives, so that Node's SIGINT
// watcher stays started (a slice's own scope then costs about 1 µs instead of a thread started and joined), and
// that signals the slice to stop (gate.mjs). A SIGINT goes to the scope registered last: a slice of the main thread,
// which registers after this one. It wakes every few milliseconds to see whether the running slice is past its CPU
// deadline or, once it runs long, whether the process grew past the entry's memory limit since; and it reads the
// kernel's cancels from a pipe of its own, which the main thread cannot read while a slice holds it: a cancelled
// request's slice is stopped at once; a slice of other code that holds up a cancel is stopped shortly before the
// cancel's grace ends (the kernel would then end the whole host); a deploy the kernel gave up on has its top level
// stopped.
//
// It registers only while no slice runs (Dekker's handshake with Slices.slice: each side stores its flag, then reads
// the other's), so every slice's scope is younger than its own. Until then (it started while a slice ran, or a stray
// signal ended its scope) it watches unregistered. Either way it signals a slice only while the slice is inside its
// scope, with the handshake gate.mjs describes: its signal always lands in the slice's scope, never in its own, and
// never in none (which would end the process). A slice signalled that has not ended END_AFTER_MS later is stuck in
// code V8 cannot interrupt: the holder ends the host, saying why (the kernel starts it afresh, with every cell).
import fs from 'node:fs';
import { workerData } from 'node:worker_threads';
import vm from 'node:vm';
import { REASON, SLOT, TIME, now, shared } from './gate.mjs';

const { i32, f64 } = shared(workerData.buffer);
const { cancels, memoryMb, cancelGraceMs } = workerData;
const POLL_MS = 5; // while a slice runs, or while unregistered; between slices, IDLE_MS
const IDLE_MS = 20;
const LONG_MS = 10; // a slice running this long has the process's size watched
const END_AFTER_MS = 600;
const HELD_MARGIN_MS = 500; // a slice that holds up a cancel is stopped this long before the kernel's grace ends
const NAP = new Int32Array(new SharedArrayBuffer(4)); // waited on, to sleep between checks

let asked = 0; // the slice to stop (past its deadline or its limit, or asked), signalled once it is inside its scope
let signalled = { seq: 0, at: 0 };
let watched = { seq: 0, base: 0 }; // the long slice whose process size is watched, and that size when first seen
let held = []; // { seq, at }: slices to stop if they still run at `at` (each holds up a cancel)

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

// Sleeps `waitMs`, reads the kernel's cancels, then acts on the running slice's state.
function check(waitMs) {
  Atomics.wait(NAP, 0, 0, waitMs);
  readCancels();
  if (Atomics.load(i32, SLOT.ACTIVE) !== 1) return;
  const seq = Atomics.load(i32, SLOT.SEQ);
  const time = now();
  if (time - f64[TIME.START] > LONG_MS) watchSize(seq);
  if (time > f64[TIME.DEADLINE]) stop(seq, REASON.CPU);
  held = held.filter((entry) => entry.seq === seq);
  if (held.some((entry) => time >= entry.at)) stop(seq, REASON.HELD);
  if (asked !== seq) return;
  if (signalled.seq !== seq) {
    if (signal(seq)) signalled = { seq, at: now() };
  } else if (signalled.at && now() - signalled.at > END_AFTER_MS) {
    signalled.at = 0;
    end();
  }
}

// Slice `seq` is to stop, for `reason` (the first reason given stands).
function stop(seq, reason) {
  if (Atomics.load(i32, SLOT.TARGET) === seq) return;
  Atomics.store(i32, SLOT.REASON, reason);
  Atomics.store(i32, SLOT.TARGET, seq);
  asked = seq;
}

// The process's size (what the realm holds: V8's heap and ArrayBuffers alike, once touched), from when the slice was
// first seen running long: one that grows it past the entry's limit is stopped.
function watchSize(seq) {
  const size = process.memoryUsage.rss();
  if (watched.seq !== seq) watched = { seq, base: size };
  else if (size - watched.base > memoryMb * 2 ** 20) stop(seq, REASON.MEMORY);
}

// The kernel's lines: "cancel <request> <when>" (a request it gave up on) and "abandon <when>" (a deploy whose top
// level did not finish), each with the time (ms since the epoch) it wrote it. The pipe is non-blocking.
const buffer = Buffer.alloc(4096);
let partial = '';
function readCancels() {
  for (;;) {
    let size = 0;
    try {
      size = fs.readSync(cancels, buffer, 0, buffer.length, null);
    } catch {
      return; // nothing more for now (EAGAIN), or the pipe went with the kernel
    }
    if (!size) return;
    const lines = (partial + buffer.toString('latin1', 0, size)).split('\n');
    partial = lines.pop();
    for (const line of lines) cancelled(...line.split(' '));
  }
}

function cancelled(what, ...fields) {
  if (Atomics.load(i32, SLOT.ACTIVE) !== 1) return;
  const seq = Atomics.load(i32, SLOT.SEQ);
  const [requestId, writtenAt] = what === 'abandon' ? [0, Number(fields[0])] : [Number(fields[0]), Number(fields[1])];
  const before = f64[TIME.START] < writtenAt; // the slice held the thread when the kernel wrote it
  if (Atomics.load(i32, SLOT.REQUEST) === requestId) {
    if (requestId || before) stop(seq, REASON.CANCEL);
  } else if (requestId && before) {
    held.push({ seq, at: writtenAt + cancelGraceMs - HELD_MARGIN_MS });
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

// A slice that could not be stopped holds the host for good: it goes, and says why on its stderr (the main thread,
// held, could not write it), which the kernel reports.
function end() {
  fs.writeSync(2, 'nbruntime host: a slice of edge code could not be stopped (it runs code V8 cannot interrupt)\n');
  process.kill(process.pid, 'SIGKILL');
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
