// Edge isolates, the host's side: each edge entry (middleware or edge route) runs in a worker thread of its
// own with a heap limit, as edge platforms run each function in an isolate with a memory limit (Vercel: 128 MB).
// A bomb then ends that worker only: the request gets a compatibility error, the worker is made again for the
// next request, and the host with every other deployment's state carries on.
//
// The pipeline stays here; at its two call points an edge call goes to the entry's worker as data (one message)
// and comes back as a host Response (one message for the head and, when they are ready at once, the first
// chunks; further chunks follow as they come, with a window so a fast producer cannot fill our memory).
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { send } from './wire.mjs';
import { runtimeMessage } from './compat.mjs';
import { currentRequest } from './context.mjs';

const WORKER_SCRIPT = new URL('./isolate-worker.mjs', import.meta.url);
const ACK_BYTES = 256 * 1024; // acknowledge consumed body bytes in steps this big (the worker's window is 4×)
const CANCEL_CONFIRM_MS = 500; // a worker that does not confirm a cancel this soon is blocked: end it

export class EdgeMemoryLimitError extends Error {
  constructor(file, mb) {
    super(runtimeMessage('edge-memory-limit', file).replaceAll('{mb}', String(mb)));
    this.name = 'EdgeMemoryLimitError';
  }
}

// An error as data from the worker, made an Error again with its own name, message and stack (frames such as
// app/x/route.ts:3:5 are kept, so Python maps them to the cell).
function revive({ name, message, stack, file, line, column }) {
  const error = new Error(message);
  error.name = name;
  error.stack = stack || `${name}: ${message}`;
  if (file !== undefined) Object.assign(error, { file, line, column });
  return error;
}

export class Isolates {
  constructor(registry, { memoryMb = 128, caches = null } = {}) {
    this.registry = registry;
    this.memoryMb = memoryMb;
    this.caches = caches; // next/cache's server caches (cache.mjs), which isolates reach through messages
    this.workers = new Map(); // entry file → EdgeWorker
    registry.isolates = this;
    // V8 flags are process-wide: the host's --max-old-space-size (App(heap_mb=...)) would replace every worker's
    // resourceLimits. The host's heap is configured by now; unset the flag so each worker gets its own limit.
    v8.setFlagsFromString('--max-old-space-size=0');
  }

  workerFor(file) {
    let worker = this.workers.get(file);
    if (!worker) this.workers.set(file, (worker = new EdgeWorker(this, file)));
    return worker;
  }

  // Evaluates a deployed edge entry in its worker; returns its export names (errors show at deploy, as today).
  deploy(file) {
    return this.workerFor(file).load();
  }

  // A cell changed: every worker's registry follows (its realm is dropped if it used the cell, as realms are
  // dropped in the host); an entry that is gone or no longer edge loses its worker.
  replace(file, cell) {
    for (const [entry, worker] of this.workers) {
      if (entry === file && !(cell?.entry && cell.runtime === 'edge')) {
        this.workers.delete(entry);
        worker.stop();
      } else {
        worker.post({ op: 'replace', file, cell });
      }
    }
  }

  env(env) {
    for (const worker of this.workers.values()) worker.post({ op: 'env', env });
  }

  // The app's origin: a fetch to it from a worker comes to the host's pipeline (ownorigin.mjs).
  origin(origin) {
    this.appOrigin = origin;
    for (const worker of this.workers.values()) worker.post({ op: 'origin', origin });
  }

  // A worker's fetch of the app's own origin: answered by the host (`serveOwn`, set by the host), the body
  // stream handed over to the worker.
  async fetchOwn(worker, { fseq, requestId, request, body }) {
    try {
      const answer = await currentRequest.run({ id: requestId }, () => this.serveOwn(request, body && Buffer.from(body)));
      worker.post({ op: 'fetched', fseq, answer }, answer.body ? [answer.body] : undefined);
    } catch (error) {
      worker.post({ op: 'fetched', fseq, error: { name: error.name, message: error.message } });
    }
  }

  // One call of an entry's handler: resolves { response, used } with a host Response.
  call(file, request, scope) {
    return this.workerFor(file).call(request, scope);
  }

  // A request was cancelled: its calls in workers are cancelled too; a worker that cannot answer is ended.
  cancel(requestId) {
    for (const worker of this.workers.values()) worker.cancel(requestId);
  }
}

class EdgeWorker {
  constructor(isolates, file) {
    this.isolates = isolates;
    this.file = file;
    this.seq = 0;
    this.calls = new Map(); // seq → one call in flight (its promise, its body stream, its scope)
    this.worker = null;
    this.stopped = false;
  }

  start() {
    const { registry, memoryMb } = this.isolates;
    const worker = new Worker(WORKER_SCRIPT, {
      workerData: { root: registry.root, packagesRoot: registry.packagesRoot, env: registry.env, cells: [...registry.cells], origin: this.isolates.appOrigin },
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
    worker.unref(); // the host ends when its stdin does, whatever its workers are doing
    worker.on('message', (message) => this.receive(message));
    worker.on('error', (error) => { worker.fatal = error; }); // why it is about to exit (out of memory, ...)
    worker.on('exit', (code) => this.exited(worker, code));
    this.worker = worker;
  }

  // Sends to the worker, starting it afresh if it died; false once the entry is gone (nothing will answer).
  post(message, transfer) {
    if (!this.worker && !this.stopped) this.start();
    this.worker?.postMessage(message, transfer);
    return this.worker !== null;
  }

  stop() {
    this.stopped = true;
    this.worker?.terminate();
  }

  // Each pending thing (a load, a call, a settle) is a call record keyed by seq.
  open(record) {
    const seq = ++this.seq;
    this.calls.set(seq, record);
    return seq;
  }

  load() {
    return new Promise((resolve, reject) => {
      const seq = this.open({ resolve, reject, kind: 'load' });
      this.post({ op: 'load', seq, file: this.file });
    });
  }

  async call(request, scope) {
    // While a cancelled call has not confirmed, the worker may be blocked: wait to learn, so this call goes
    // to the worker that answers (the same one, or a fresh one if that had to be ended).
    while (this.confirming) await this.confirming;
    const body = request.body ? new Uint8Array(request.body) : null; // a copy of our own, to transfer
    return new Promise((resolve, reject) => {
      const requestId = currentRequest.getStore()?.id ?? null; // the worker routes console output to it
      const seq = this.open({ resolve, reject, kind: 'call', scope, requestId });
      this.post({ op: 'call', seq, requestId, ...request, file: this.file, body }, body ? [body.buffer] : undefined);
    });
  }

  cancel(requestId) {
    const seqs = [...this.calls].filter(([, call]) => call.requestId === requestId && call.kind === 'call');
    if (!seqs.length || !this.worker) return;
    const worker = this.worker;
    this.unconfirmed ??= new Set();
    this.confirming ??= new Promise((resolve) => { this.confirmed = resolve; });
    for (const [seq, call] of seqs) {
      this.unconfirmed.add(seq);
      call.confirm = setTimeout(() => {
        if (this.worker !== worker) return;
        this.blocked = true; // its event loop is blocked (a synchronous loop): end the thread, not the host
        worker.terminate();
      }, CANCEL_CONFIRM_MS);
      this.post({ op: 'cancel', seq });
    }
  }

  confirm(seq) {
    this.unconfirmed?.delete(seq);
    if (this.unconfirmed?.size || !this.confirming) return;
    const resolve = this.confirmed;
    this.unconfirmed = this.confirming = this.confirmed = null;
    resolve();
  }

  receive(message) {
    if (message.ev === 'log') return send(message); // console output, already carrying its request id
    if (message.ev === 'fetch') return this.isolates.fetchOwn(this, message);
    if (message.ev === 'cache') return this.answerCache(message);
    if (message.ev === 'bundle') return this.bundle(message);
    if (message.ev === 'cancelled') this.confirm(message.seq); // (a call may be cancelled twice: body and request)
    const call = this.calls.get(message.seq);
    if (!call) return;
    switch (message.ev) {
      case 'loaded':
        this.calls.delete(message.seq);
        if (message.error) call.reject(revive(message.error));
        else call.resolve(message.exports);
        break;
      case 'response':
        try {
          this.respond(message.seq, call, message);
        } catch (error) { // a head the host's Response refuses: the call fails, as it would in the host
          this.calls.delete(message.seq);
          call.reject(error);
        }
        break;
      case 'failed':
        this.calls.delete(message.seq);
        call.reject(revive(message.error));
        break;
      case 'chunks':
        call.inbound?.push(message.chunks, message.done, message.pending);
        break;
      case 'bodyError':
        this.calls.delete(message.seq);
        call.inbound?.fail(revive(message.error));
        break;
      case 'cancelled':
        clearTimeout(call.confirm);
        if (call.inbound) this.calls.delete(message.seq);
        break;
      case 'settled':
        this.calls.delete(message.seq);
        call.resolve();
        break;
    }
  }

  // unstable_cache in the isolate reads and writes the host's data cache.
  answerCache({ seq, op, key, revalidate, json, tags }) {
    const data = this.isolates.caches?.data;
    const result = !data ? {} : op === 'peek' ? data.peek(key, revalidate) : data.store(key, json, tags);
    this.post({ op: 'cacheReply', seq, result });
  }

  // The worker's realm needs its packages bundled: the host bundles (one esbuild, one cache) and sends the code.
  bundle({ seq, specifiers, runtime }) {
    this.isolates.registry.packages.bundle(specifiers, runtime).then(
      (facts) => this.post({ op: 'bundled', seq, facts }),
      (error) => this.post({ op: 'bundled', seq, error: { message: String(error?.message ?? error) } }),
    );
  }

  // The handler's answer: the Scope gets what the worker's gathered, and a host Response is made.
  respond(seq, call, message) {
    const { scope } = call;
    for (const line of message.setCookies) scope.setCookies.append('set-cookie', line);
    for (const revalidation of message.revalidations) scope.revalidate(revalidation);
    if (message.requestHeaders) { // cookies().set in middleware changes the request headers the route sees
      for (const name of new Set(scope.requestHeaders.keys())) scope.requestHeaders.delete(name);
      for (const [name, value] of message.requestHeaders) scope.requestHeaders.append(name, value);
    }
    let body = null;
    if (message.hasBody && message.done) { // the whole body came with the head: a plain stream of it
      const { chunks } = message;
      this.calls.delete(seq);
      this.needsSettle(seq, call, message.pending);
      body = new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
    } else if (message.hasBody) {
      call.inbound = new Inbound(this, seq, call);
      body = call.inbound.stream();
      call.inbound.push(message.chunks, message.done, message.pending);
    } else {
      this.calls.delete(seq);
      this.needsSettle(seq, call, message.pending);
    }
    const init = { status: message.status, statusText: message.statusText, headers: message.headers };
    call.resolve({ response: new Response(body, init), used: message.used });
  }

  // after()/waitUntil() work in the worker: the request's Lifetime waits for it, as for its own.
  needsSettle(seq, call, pending) {
    if (!pending || call.settling) return;
    call.settling = true;
    const task = () => new Promise((resolve) => {
      this.calls.set(seq, { kind: 'settle', resolve, reject: resolve });
      if (!this.post({ op: 'settle', seq, requestId: call.requestId })) resolve();
    });
    call.scope.lifetime.callbacks.push({ task, scope: call.scope });
  }

  exited(worker, code) {
    if (this.worker !== worker) return;
    this.worker = null;
    const oom = worker.fatal?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    let error;
    if (oom) error = new EdgeMemoryLimitError(this.file, this.isolates.memoryMb);
    else if (this.stopped) error = new Error(`The edge deployment ${this.file} was removed`);
    else if (this.blocked) {
      error = new Error(`The edge deployment ${this.file} was stopped: a cancelled request found its event loop ` +
        'blocked (a synchronous loop); it starts afresh for the next request');
    } else {
      error = new Error(`The edge deployment ${this.file} stopped (${worker.fatal?.message ?? `exit code ${code}`})`);
    }
    const calls = [...this.calls.values()];
    this.calls.clear();
    this.blocked = false;
    for (const call of calls) {
      clearTimeout(call.confirm);
      if (call.inbound) call.inbound.fail(error);
      else call.reject(error);
    }
    for (const seq of [...(this.unconfirmed ?? [])]) this.confirm(seq); // calls waiting go to a fresh worker
  }
}

// A response body arriving from a worker, read as a host ReadableStream; consumed bytes are acknowledged
// so the worker, which stops at a window of unacknowledged bytes, sends more.
class Inbound {
  constructor(owner, seq, call) {
    Object.assign(this, { owner, seq, call });
    this.queue = [];
    this.finished = false;
    this.error = null;
    this.wake = null;
    this.unacked = 0;
  }

  push(chunks, done, pending) {
    if (chunks?.length) this.queue.push(...chunks);
    if (done) {
      this.finished = true;
      if (this.owner.calls.get(this.seq) === this.call) this.owner.calls.delete(this.seq);
      this.owner.needsSettle(this.seq, this.call, pending);
    }
    this.wake?.();
  }

  fail(error) {
    this.error = error;
    this.wake?.();
  }

  stream() {
    return new ReadableStream({
      pull: async (controller) => {
        while (!this.queue.length && !this.finished && !this.error) await new Promise((resolve) => { this.wake = resolve; });
        this.wake = null;
        if (this.queue.length) {
          const chunk = this.queue.shift();
          controller.enqueue(chunk);
          this.unacked += chunk.byteLength;
          if (this.unacked >= ACK_BYTES) {
            this.owner.post({ op: 'ack', seq: this.seq, bytes: this.unacked });
            this.unacked = 0;
          }
        } else if (this.error) controller.error(this.error);
        else controller.close();
      },
      cancel: () => {
        this.finished = true;
        if (this.owner.worker) this.owner.post({ op: 'cancel', seq: this.seq });
      },
    }, { highWaterMark: 0 });
  }
}
