// The memory of realms a redeploy let go, given back soon. A replaced realm is garbage at once, but V8 puts a full
// collection off while the heap is far below its limit (the host's is 2 GB): a cell holding 8 MB, run again
// and again, grew the host by 8 MB a run, to a gigabyte, until it had been idle for seconds. After realms are let
// go, a full collection runs when the thread is next free of requests, if what it holds (heap and buffers) grew by
// more than SLACK_BYTES since the last one (an ordinary redeploy lets go of about 1 MB: one collection in dozens).
import v8 from 'node:v8';
import vm from 'node:vm';
import { heapInUse } from './gate.mjs';

const SLACK_BYTES = 64 * 2 ** 20;
const RETRY_MS = 10; // while requests are in flight

// V8's gc() for this thread's heap: the thread's own when Node was started with --expose-gc, else taken from a
// throwaway context made while the flag is on for that instant (other contexts, every realm, have no `gc`), at the
// first collection rather than as the host starts.
let collect = globalThis.gc ?? null;

function exposedGc() {
  v8.setFlagsFromString('--expose-gc');
  try {
    return vm.runInNewContext('gc');
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

export class Reclaimer {
  // `busy()`: whether requests are in flight (a collection then waits: it would hold them up).
  constructor(busy) {
    this.busy = busy;
    this.floor = heapInUse(); // what it held after the last full collection
    this.timer = null;
  }

  // Realms were let go.
  released() {
    if (this.timer === null) this.timer = setImmediate(() => this.check());
  }

  check() {
    this.timer = null;
    if (heapInUse() - this.floor <= SLACK_BYTES) return;
    if (this.busy()) {
      this.timer = setTimeout(() => this.check(), RETRY_MS).unref();
      return;
    }
    (collect ??= exposedGc())();
    this.floor = heapInUse();
  }
}
