// A step of the pipeline (a middleware call, a route handler call) run by another thread of the host: the edge
// thread holds every edge entry's realm, the main thread the Node.js runtime. The caller sends the request as data
// (one message); the answer comes back as a Response of the caller's own realm: one message for the head and, when
// they are ready at once, the first chunks, then the rest of the body as it comes, under a window of unacknowledged
// bytes so a fast producer cannot fill the caller's memory. `after()`/`waitUntil()` work left by the step is settled
// when the caller's request settles its own.
import { currentRequest } from './context.mjs';
import { chunkBytes } from './respond.mjs';
import { describeError } from './serve.mjs';
import { Lifetime, Scope, releaseRequests } from './scope.mjs';

const WINDOW_BYTES = 1024 * 1024; // body bytes sent and not yet acknowledged before the answering side waits
const ACK_BYTES = 256 * 1024; // the caller acknowledges consumed bytes in steps this big

// An error as data from the other thread, made an Error again with its own name, message and stack (frames such as
// app/x/route.ts:3:5 are kept, so Python maps them to the cell).
export function revive({ name, message, stack, file, line, column }) {
  const error = new Error(message);
  error.name = name;
  error.stack = stack || `${name}: ${message}`;
  if (file !== undefined) Object.assign(error, { file, line, column });
  return error;
}

// The calling side. `post(message, transfer)` reaches the other thread; its answers go to `receive`.
export class StepClient {
  constructor(post) {
    this.post = post;
    this.seq = 0;
    this.calls = new Map(); // seq → { resolve, reject, scope, requestId, inbound }
  }

  // Resolves { status, statusText, headers, body, used, extra }, the body a ReadableStream of this thread (or null);
  // `request` is plain data.
  call(request, scope, budgetMs) {
    const body = request.body ? new Uint8Array(request.body) : null; // a copy of our own, to transfer
    return new Promise((resolve, reject) => {
      const requestId = currentRequest.getStore()?.id ?? null; // the other side routes console output to it
      const seq = ++this.seq;
      this.calls.set(seq, { resolve, reject, scope, requestId });
      this.post({ op: 'call', seq, requestId, budgetMs, ...request, body }, body ? [body.buffer] : undefined);
    });
  }

  // The request was cancelled: so are its steps over there.
  cancel(requestId) {
    for (const [seq, call] of this.calls) {
      if (call.requestId === requestId && !call.settling) this.post({ op: 'cancel', seq });
    }
  }

  // The other side is gone: every call still waiting fails with `error`.
  failAll(error) {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) {
      if (call.inbound) call.inbound.fail(error);
      else call.reject(error);
    }
  }

  receive(message) {
    const call = this.calls.get(message.seq);
    if (!call) return;
    switch (message.ev) {
      case 'response':
        this.respond(message.seq, call, message);
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
      case 'settled':
        this.calls.delete(message.seq);
        call.resolve();
        break;
    }
  }

  // The step's answer: the Scope gets what the other side gathered; the body becomes a stream of this thread.
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
    const { status, statusText, headers, used, extra } = message;
    call.resolve({ status, statusText, headers, body, used, extra });
  }

  // after()/waitUntil() work over there: the request's Lifetime waits for it, as for its own.
  needsSettle(seq, call, pending) {
    if (!pending || call.settling) return;
    call.settling = true;
    const task = () => new Promise((resolve) => {
      this.calls.set(seq, { ...call, resolve, reject: resolve });
      this.post({ op: 'settle', seq, requestId: call.requestId });
    });
    call.scope.lifetime.callbacks.push({ task, scope: call.scope });
  }
}

// A response body arriving from the other thread, read as a ReadableStream; consumed bytes are acknowledged so the
// other side, which stops at a window of unacknowledged bytes, sends more.
class Inbound {
  constructor(client, seq, call) {
    Object.assign(this, { client, seq, call });
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
      if (this.client.calls.get(this.seq) === this.call) this.client.calls.delete(this.seq);
      this.client.needsSettle(this.seq, this.call, pending);
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
            this.client.post({ op: 'ack', seq: this.seq, bytes: this.unacked });
            this.unacked = 0;
          }
        } else if (this.error) controller.error(this.error);
        else controller.close();
      },
      cancel: () => {
        this.finished = true;
        this.client.post({ op: 'cancel', seq: this.seq });
      },
    }, { highWaterMark: 0 });
  }
}

const hasWork = (lifetime) => lifetime.promises.length > 0 || lifetime.callbacks.length > 0;

// The answering side. `invoke(message, request, scope, state)` runs the step here and resolves { response, used, extra }
// (`response`: status, statusText, headers and a body stream or null; `extra`: plain data for the caller);
// `serialize(error)` makes an error data; `cancelled(message)` and `ended(message)` are told when a call is cancelled,
// and when it is over (its body and work done).
export class StepServer {
  constructor(post, { invoke, serialize = describeError, ended = () => {}, cancelled = () => {}, runAfter }) {
    Object.assign(this, { post, invoke, serialize, ended, cancelled, runAfter });
    this.calls = new Map(); // seq → { message, lifetime, reader, outstanding, wake, cancelled, running }
  }

  receive(message) {
    switch (message.op) {
      case 'call': return currentRequest.run({ id: message.requestId }, () => this.answer(message));
      case 'ack': return this.ack(message);
      case 'cancel': return this.cancel(message);
      case 'settle': return currentRequest.run({ id: message.requestId }, () => this.settle(message));
    }
  }

  async answer(message) {
    const { seq } = message;
    const headers = new Headers(message.headers);
    const lifetime = new Lifetime(performance.now());
    const scope = new Scope(message.phase, headers, lifetime, message.next);
    const abort = new AbortController();
    const state = { message, lifetime, abort, reader: null, outstanding: 0, wake: null, cancelled: false, running: true };
    this.calls.set(seq, state);
    const request = { method: message.method, url: new URL(message.url), headers, body: message.body, signal: abort.signal };
    let response, used, extra;
    try {
      ({ response, used, extra } = await this.invoke(message, request, scope, state));
    } catch (error) {
      this.finish(seq, state);
      if (!state.cancelled) this.post({ ev: 'failed', seq, error: this.serialize(error) });
      return;
    }
    state.running = false;
    if (state.cancelled) {
      response.body?.cancel().catch(() => {});
      this.finish(seq, state);
      this.post({ ev: 'failed', seq, error: this.serialize(new DOMException('The request was cancelled', 'AbortError')) });
      return;
    }
    const after = [...headers];
    const before = message.headers;
    const changed = after.length !== before.length || after.some(([name, value], i) => name !== before[i][0] || value !== before[i][1]);
    const head = {
      ev: 'response', seq, status: response.status, statusText: response.statusText, headers: [...response.headers],
      used, extra, setCookies: scope.writtenCookies(), requestHeaders: changed ? after : undefined,
      revalidations: plainRevalidations(scope.revalidations),
      hasBody: response.body !== null, chunks: [], done: false, pending: false,
    };
    if (!head.hasBody) {
      head.pending = hasWork(lifetime);
      if (!head.pending) this.finish(seq, state);
      this.post(head);
      return;
    }
    state.reader = response.body.getReader();
    // The chunks that are ready at once (a string or bytes body) travel with the head: one message per call.
    let read = state.reader.read();
    const transfer = [];
    let failure = null;
    const later = new Promise((resolve) => setImmediate(resolve, null)); // "not ready at once": the next loop turn
    try {
      for (;;) {
        const ready = await Promise.race([read, later]);
        if (ready === null) break;
        if (ready.done) {
          head.done = true;
          break;
        }
        const chunk = copyOf(ready.value);
        head.chunks.push(chunk);
        transfer.push(chunk.buffer);
        state.outstanding += chunk.byteLength;
        read = state.reader.read();
        if (state.outstanding >= WINDOW_BYTES) break;
      }
    } catch (error) { // the body failed before its first chunks left: the head goes, then the error
      failure = error;
    }
    if (failure) {
      this.post(head, transfer);
      this.post({ ev: 'bodyError', seq, error: this.serialize(failure) });
      this.finish(seq, state); // as in a request, a body that failed does not settle its after() work
      return;
    }
    if (head.done) {
      head.pending = hasWork(lifetime);
      if (!head.pending) this.finish(seq, state);
      this.post(head, transfer);
      return;
    }
    this.post(head, transfer);
    this.pump(seq, state, read);
  }

  async pump(seq, state, read) {
    try {
      for (;;) {
        const { done, value } = await read;
        if (state.cancelled) return;
        if (done) {
          const pending = hasWork(state.lifetime);
          if (!pending) this.finish(seq, state);
          this.post({ ev: 'chunks', seq, chunks: [], done: true, pending });
          return;
        }
        const chunk = copyOf(value);
        state.outstanding += chunk.byteLength;
        this.post({ ev: 'chunks', seq, chunks: [chunk], done: false }, [chunk.buffer]);
        while (state.outstanding >= WINDOW_BYTES && !state.cancelled) await new Promise((resolve) => { state.wake = resolve; });
        if (state.cancelled) return;
        read = state.reader.read();
      }
    } catch (error) {
      if (!state.cancelled) this.post({ ev: 'bodyError', seq, error: this.serialize(error) });
      this.finish(seq, state);
    }
  }

  // A call is over: its record goes, and whoever watches calls is told.
  finish(seq, state) {
    if (this.calls.get(seq) !== state) return;
    this.calls.delete(seq);
    releaseRequests(state.abort.signal);
    this.ended(state.message);
  }

  // Every call still running with this realm fails with `error` (the realm was stopped).
  failWith(matches, error) {
    for (const [seq, state] of [...this.calls]) {
      if (!matches(state)) continue;
      state.cancelled = true;
      this.post({ ev: state.reader ? 'bodyError' : 'failed', seq, error: this.serialize(error) });
      state.wake?.();
      this.finish(seq, state);
    }
  }

  ack({ seq, bytes }) {
    const state = this.calls.get(seq);
    if (!state) return;
    state.outstanding -= bytes;
    state.wake?.();
  }

  cancel({ seq }) {
    const state = this.calls.get(seq);
    if (!state) return;
    state.cancelled = true;
    this.cancelled(state.message);
    state.abort.abort(new DOMException('The request was cancelled', 'AbortError'));
    state.wake?.();
    state.reader?.cancel().catch(() => {});
    if (!state.running && !hasWork(state.lifetime)) this.finish(seq, state); // else kept for its settle
  }

  async settle({ seq }) {
    const state = this.calls.get(seq);
    if (state) await state.lifetime.settle(this.runAfter);
    if (state) this.finish(seq, state);
    this.post({ ev: 'settled', seq });
  }
}

// revalidatePath/revalidateTag calls as plain data (edge code's values may not be cloneable as they are).
export function plainRevalidations(list) {
  return list.map(({ path, type, tag, stale }) => (
    { path: path && String(path), type: type && String(type), tag: tag && String(tag), stale: Boolean(stale) }));
}

// Bytes to send: a copy of our own, so transferring it cannot detach an array the handler still holds.
function copyOf(value) {
  return new Uint8Array(chunkBytes(value));
}
