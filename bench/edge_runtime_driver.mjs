// The in-Node baseline of bench/peers.py: Vercel's `edge-runtime` package answering the same handler inside
// this one Node.js process. Usage: node edge_runtime_driver.mjs NODE_MODULES MODE HANDLER_SOURCE [ARGS...]
// Prints one JSON value on stdout.
import { createRequire } from 'node:module';

const [modules, mode, source, ...args] = process.argv.slice(2);
const { EdgeRuntime } = createRequire(`${modules}/`)('edge-runtime');

// A route handler file becomes a fetch listener, the way edge-runtime runs code.
const initialCode = `${source.replaceAll('export function', 'function')}
addEventListener('fetch', (event) => event.respondWith(GET(event.request)));`;
const now = () => performance.timeOrigin + performance.now();

async function fetchText(runtime, url) {
  const response = await runtime.dispatchFetch(url);
  await response.arrayBuffer();
}

const modes = {
  // One request at a time: the time of each, in ms, after the warm-up ones.
  async roundtrip(total, warmup) {
    const runtime = new EdgeRuntime({ initialCode });
    const samples = [];
    for (let i = 0; i < Number(total) + Number(warmup); i++) {
      const started = performance.now();
      await fetchText(runtime, 'http://localhost:3000/api/ok');
      if (i >= Number(warmup)) samples.push(performance.now() - started);
    }
    return samples;
  },
  // `count` requests at once, `rounds` times: requests per second of each round.
  async batch(count, rounds) {
    const runtime = new EdgeRuntime({ initialCode });
    const rates = [];
    for (let round = 0; round < Number(rounds) + 1; round++) {
      const started = performance.now();
      await Promise.all(Array.from({ length: Number(count) }, () => fetchText(runtime, 'http://localhost:3000/api/ok')));
      if (round) rates.push(Number(count) / ((performance.now() - started) / 1000));
    }
    return rates;
  },
  // Reads a streamed body whose lines are "sequence wall-clock-ms": each chunk's delivery latency and the rate.
  async stream(query) {
    const runtime = new EdgeRuntime({ initialCode });
    const response = await runtime.dispatchFetch(`http://localhost:3000/api/ticks?${query}`);
    const decoder = new TextDecoder();
    const lines = [];
    const started = now();
    for await (const chunk of response.body) {
      const arrived = now();
      for (const line of decoder.decode(chunk).split('\n').filter(Boolean)) lines.push([line, arrived]);
    }
    return { lines: lines.map(([line, arrived]) => [...line.split(' ').map(Number), arrived]), ms: now() - started };
  },
  // The RSS of one process holding `count` edge-runtime contexts, each having answered once.
  async rss(count) {
    const runtimes = Array.from({ length: Number(count) }, () => new EdgeRuntime({ initialCode }));
    for (const runtime of runtimes) await fetchText(runtime, 'http://localhost:3000/api/ok');
    return process.memoryUsage().rss / 2 ** 20;
  },
};

console.log(JSON.stringify(await modes[mode](...args)));
