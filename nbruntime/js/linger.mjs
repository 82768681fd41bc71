// Lingering: a thread that has just written an answer to the kernel, with nothing left in flight, reads its pipe
// itself for a moment before its event loop goes to sleep. In a loop of requests the kernel sends the next one about
// 50-60 µs after it reads an answer; a thread asleep by then must be woken by the kernel, which on a virtual machine
// costs more than the wait (one edge-route request at a time, back to back: 0.29 -> 0.24 ms). The moment is short
// and follows only an answer, so a host nobody talks to spends no CPU on it.
import { fs } from './builtins.mjs';

const LINGER_MS = 0.2;
const READ_BYTES = 64 * 1024; // a larger request's rest is read by the stream, as usual

export class Linger {
  // `fd`: the pipe the thread reads, which its stream made non-blocking (libuv does so for every pipe it reads);
  // `feed(bytes)`: the stream's handler of what it reads; `busy()`: whether anything is in flight.
  constructor(fd, feed, busy) {
    Object.assign(this, { fd, feed, busy });
    this.buffer = null;
    this.scheduled = false;
    this.run = this.run.bind(this);
    this.soon = this.soon.bind(this);
  }

  // After a write: once this turn of the event loop is over, linger if there is nothing else to do.
  soon() {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  run() {
    this.scheduled = false;
    if (this.busy()) return;
    const buffer = (this.buffer ??= Buffer.allocUnsafe(READ_BYTES));
    const until = performance.now() + LINGER_MS;
    const depth = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // a read that finds the pipe empty throws EAGAIN: no stack for it
    let size = -1;
    try {
      while (size < 0 && performance.now() < until) {
        try {
          size = fs.readSync(this.fd, buffer, 0, READ_BYTES, null);
        } catch (error) {
          if (error.code !== 'EAGAIN') return; // the pipe went: its stream hears of it too
        }
      }
    } finally {
      Error.stackTraceLimit = depth;
    }
    if (size <= 0) return; // nothing came (or the end, which the stream reads as well)
    this.buffer = null; // the frames read may keep views of it
    this.feed(buffer.subarray(0, size));
  }
}
