// V8 optimizes a function with TurboFan once it has run about 3,000 times (Maglev after 400). A request runs the
// host's request path once, so an app's first few thousand requests (a Hypothesis run, a load curve) ran it on
// code 10-20 % slower than the optimized one. From the host's first request on, functions tier up after 500 calls
// (Maglev after 50). Not from its start: boot and the first deploy are the hot code then, and optimizing them that
// early made the first cell 90 ms slower. (The compile cache is not affected: its entries written after the change
// are read back by the next host.)
import v8 from 'node:v8';

let sooner = false;

export function tierUpSooner() {
  if (sooner) return;
  sooner = true;
  v8.setFlagsFromString(
    '--invocation-count-for-turbofan=500 --invocation-count-for-maglev=50 --minimum-invocations-after-ic-update=50',
  );
}
