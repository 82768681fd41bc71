// What a request carries while middleware and the route run: the request headers `next/headers` reads,
// the cookies it writes, and the work (`after`, `waitUntil`) that outlives the response.
// Framework modules in every realm reach it the way Next's own do: globalThis[Symbol.for('@next/request-context')].
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HeaderList } from './header-list.mjs';

export const REQUEST_CONTEXT = Symbol.for('@next/request-context');
const AFTER_LIMIT_MS = 30_000;
// The draft-mode cookie's value (`__prerender_bypass`): Next makes one per build, 32 hex digits; here one per
// app, from its project folder (the host's and every edge worker's working directory).
const PREVIEW_MODE_ID = createHash('sha256').update(`nbruntime-preview:${process.cwd()}`).digest('hex').slice(0, 32);
const requestScope = new AsyncLocalStorage();

// Node's and the edge engine's Request (undici) follow the signal they are given through a weak reference, so that a
// request nobody holds can be collected: a handler that only waits for the abort holds its request through nothing
// else, and after a garbage collection the abort reached no one. So a handler's request is held by that signal until
// the exchange that owns it ends (releaseRequests), and not longer: undici's finalization registry holds the signal,
// so a request it held for good would never be collected.
const HELD = Symbol('nbruntime.heldRequests');

export function holdRequest(signal, request) {
  (signal[HELD] ??= []).push(request);
}

// The exchange whose cancel `signal` tells is over: the requests handlers got with it are theirs alone again.
export function releaseRequests(signal) {
  delete signal[HELD];
}

// Installed on every realm's global; `get()` is the scope of the request running now, if any.
export const requestContext = Object.freeze({ get: () => requestScope.getStore() });

// The work of one request that continues after its response: promises and `after` callbacks.
export class Lifetime {
  constructor(started) {
    this.started = started;
    this.promises = [];
    this.callbacks = [];
  }

  // Whether anything is left to run once the response is complete.
  get busy() {
    return this.promises.length > 0 || this.callbacks.length > 0;
  }

  // Runs the `after` callbacks, then waits for everything (at most AFTER_LIMIT_MS, so a promise that
  // never settles cannot hold the exchange open); returns [start, end] in ms, or null if idle.
  async settle(runCallback) {
    if (!this.busy) return null;
    const start = performance.now() - this.started;
    const callbacks = this.callbacks.splice(0);
    let timer;
    const limit = new Promise((resolve) => {
      timer = setTimeout(() => {
        console.error(`after()/waitUntil() work still running after ${AFTER_LIMIT_MS / 1000} s: no longer waited for`);
        resolve();
      }, AFTER_LIMIT_MS);
    });
    await Promise.race([Promise.allSettled([...this.promises, ...callbacks.map(runCallback)]), limit]);
    clearTimeout(timer);
    return [start, performance.now() - this.started];
  }
}

// One phase (middleware or route) of a request, as next/headers, next/server and next/cache see it.
export class Scope {
  constructor(phase, requestHeaders, lifetime, next = '15') {
    this.phase = phase;
    this.next = next; // 15 still allows synchronous use of headers() / cookies(); 16 does not
    this.requestHeaders = requestHeaders; // a HeaderList: what headers() and cookies() read
    this.written = null; // Set-Cookie lines written with cookies().set/delete (setCookies), made on first use
    this.cookieJar = null; // what cookies() returns in this phase, made on first use (next/headers)
    this.previewModeId = PREVIEW_MODE_ID;
    this.lifetime = lifetime;
    this.generation = null; // a static generation (generation.mjs) when the handler makes a cached copy
    this.caches = null; // the server's caches (cache.mjs), for unstable_cache
    this.revalidations = []; // revalidatePath / revalidateTag calls, applied once the handler is done
  }

  get setCookies() {
    return (this.written ??= new HeaderList());
  }

  // The Set-Cookie lines written in this phase.
  writtenCookies() {
    return this.written === null ? [] : this.written.getSetCookie();
  }

  revalidate(what) {
    this.revalidations.push(what);
  }

  waitUntil(promise) {
    this.lifetime.promises.push(Promise.resolve(promise).catch((error) => {
      console.error('An error occurred in a function passed to `waitUntil()`:', error);
    }));
  }

  after(task) {
    if (typeof task === 'function') this.lifetime.callbacks.push({ task, scope: this });
    else if (task && typeof task.then === 'function') this.waitUntil(task);
    else throw new Error('`after()`: Argument must be a promise or a function');
  }

  run(fn) {
    return requestScope.run(this, fn);
  }
}

// Runs one `after` callback in the scope it was registered in; its failure is logged, as in Next.
export function runAfterCallback({ task, scope }) {
  return scope.run(async () => {
    try {
      await task();
    } catch (error) {
      console.error('An error occurred in a function passed to `after()`:', error);
    }
  });
}
