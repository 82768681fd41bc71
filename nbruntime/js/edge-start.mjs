// What the host was started with, and the start of its edge thread: light enough to run before the main thread loads
// its own modules (host.mjs), so that an edge thread wanted at once (--edge) boots meanwhile.
import { Worker } from 'node:worker_threads';
import { SHARED_BYTES } from './gate.mjs';

const THREAD_SCRIPT = new URL('./edge-thread.mjs', import.meta.url);
const HOLDER_SCRIPT = new URL('./watchdog.mjs', import.meta.url);
const YOUNG_MB = 32;
const option = (name) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=').slice(1).join('=');

// The protocol's pipes are ours (ours to write; the edge thread's to read and to write) and the compile cache is for
// the threads Node starts: user code sees neither in process.env.
const [main, edgeIn, edgeOut] = (process.env.NBRUNTIME_FDS ?? '').split(',').map(Number);
const compileCache = process.env.NODE_COMPILE_CACHE;
delete process.env.NBRUNTIME_FDS;
delete process.env.NODE_COMPILE_CACHE;

export const boot = {
  pipes: { main, edgeIn, edgeOut },
  // npm packages are looked for from --packages-root (the notebook's project folder), else the app's folder.
  packagesRoot: option('packages-root') ?? process.cwd(),
  // Each edge entry is held to this memory limit (MB), as on edge platforms; a request's CPU budget is its time limit.
  memoryMb: Number(option('edge-memory-mb') ?? 128),
  budgetMs: Number(option('timeout-ms') ?? 25_000),
  // How long the kernel waits for a cancel to be confirmed before it ends the host (--cancel-grace-ms).
  cancelGraceMs: Number(option('cancel-grace-ms') ?? 2_000),
  // The words the edge thread and the holder share (gate.mjs).
  buffer: new SharedArrayBuffer(SHARED_BYTES),
};

let early = null; // the thread started with the host, until the main thread takes it (takeEdgeThread)

// Starts the edge thread with what it needs to know (cells, env, routing table, ...): the key comes by message if
// it is not known yet. The thread's heap has a hard limit far above one entry's: entries are held to theirs slice by
// slice (gate.mjs). Its young generation is held to YOUNG_MB: the one V8 derives from that limit (192 MB) let a burst
// of requests (request_many) grow the new space to 64 MB semispaces, and left the host ~40 MB bigger after it.
export function startEdgeThread(workerData) {
  return new Worker(THREAD_SCRIPT, {
    workerData: { packagesRoot: boot.packagesRoot, memoryMb: boot.memoryMb, defaultBudgetMs: boot.budgetMs,
      shared: boot.buffer, pipes: { input: boot.pipes.edgeIn, output: boot.pipes.edgeOut }, ...workerData },
    env: { ...process.env, ...(compileCache ? { NODE_COMPILE_CACHE: compileCache } : {}) },
    resourceLimits: { maxOldGenerationSizeMb: Math.max(1024, 4 * boot.memoryMb), maxYoungGenerationSizeMb: YOUNG_MB },
  });
}

// The holder thread keeps Node's SIGINT watcher started, and stops slices (watchdog.mjs).
export function startHolder() {
  return new Worker(HOLDER_SCRIPT, { workerData: { buffer: boot.buffer } });
}

// With --edge (an edge cell is on its way), the thread starts now, before the main thread's modules load (its holder
// later: edge-link.mjs).
export function startEarly() {
  const env = { ...process.env };
  const worker = startEdgeThread({ root: process.cwd(), env, cells: [], origin: null, table: null, version: 0 });
  early = { worker, env };
}

export function takeEdgeThread() {
  const taken = early;
  early = null;
  return taken;
}
