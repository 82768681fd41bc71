// Work a thread of the host does once it has been quiet for a while: what would otherwise fall on the path of the
// first cell or request (loading Node's fetch, ~30 ms), done while the user writes it. Each message the thread gets
// puts it off again (`poke`), so it never runs in the middle of a deploy or a request it knows of.
const QUIET_MS = 50; // a thread with no message for this long is between cells

export class WhenQuiet {
  constructor(work) {
    this.timer = setTimeout(() => {
      this.timer = null;
      work();
    }, QUIET_MS).unref();
  }

  poke() {
    this.timer?.refresh();
  }
}
