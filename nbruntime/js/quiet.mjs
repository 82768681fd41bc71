// Work a thread of the host does once it has been quiet for a while: what would otherwise fall on the path of the
// first cell or request (loading Node's fetch, ~30 ms), done while the user writes it. Each message the thread gets
// puts it off again (`poke`), and so does a request still in flight (`busy()`: a stream that sends no message for a
// while), so it never runs in the middle of a deploy or a request it knows of.
const QUIET_MS = 50; // a thread with no message for this long is between cells

export class WhenQuiet {
  constructor(work, busy) {
    this.poked = false;
    this.timer = setTimeout(() => {
      // A timer comes due first thing after the thread was busy (the edge engine built at start, say), before it reads
      // what came meanwhile: a message waiting on the pipe is read first (the event loop polls before it runs
      // immediates), and puts the work off.
      this.poked = false;
      setImmediate(() => {
        if (this.poked) return; // (its poke set the timer again)
        if (busy()) {
          this.timer.refresh();
          return;
        }
        this.timer = null;
        work();
      });
    }, QUIET_MS).unref();
  }

  poke() {
    this.poked = true;
    this.timer?.refresh();
  }
}
