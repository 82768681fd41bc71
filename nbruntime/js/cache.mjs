// The server's caches, as `next start` keeps them: prerendered route responses (ISR), the data cache of
// `unstable_cache` (and `fetch`), and the tag revalidations both honour. Time is the app's clock, which
// the notebook may move forward to watch a revalidation window pass.
import { INFINITE } from './generation.mjs';

const EXPIRE_S = 31_536_000; // next.config's expireTime default (one year)

// Milliseconds since the epoch, to a fraction: a tag revalidated and a copy made just after it are told apart even
// within one millisecond (a request answers in a tenth of one), where whole milliseconds made the copy look stale.
export class Clock {
  constructor() {
    this.offsetMs = 0;
  }

  now() {
    return performance.timeOrigin + performance.now() + this.offsetMs;
  }
}

// When each tag was last revalidated (revalidateTag, or revalidatePath through its implicit tag), and
// whether entries made before are gone ('expired': made afresh on the next request) or only 'stale'
// (served once more while a fresh one is made: revalidateTag with a profile, Next 16).
export class Tags {
  constructor(clock) {
    this.clock = clock;
    this.revalidated = new Map(); // tag → { at, how }
  }

  revalidate(tags, how = 'expired') {
    const at = this.clock.now();
    for (const tag of tags) this.revalidated.set(tag, { at, how });
  }

  // null if an entry made at `at` with these tags is still valid, else 'expired' or 'stale'.
  invalidated(tags, at) {
    let found = null;
    for (const tag of tags) {
      const mark = this.revalidated.get(tag);
      if (mark && mark.at >= at && found !== 'expired') found = mark.how;
    }
    return found;
  }
}

// The tag revalidatePath(path, type) revalidates, and the implicit tags a route's entry carries.
export function pathTag(path, type) {
  const clean = path.length > 1 ? path.replace(/\/$/, '') : path;
  return `_N_T_${type ? `${clean === '/' ? '' : clean}/${type}` : clean}`;
}

export function implicitTags(route, pathname) {
  const segments = route.split('/').filter(Boolean);
  const tags = ['_N_T_/layout'];
  for (let i = 1; i <= segments.length; i += 1) tags.push(`_N_T_/${segments.slice(0, i).join('/')}/layout`);
  tags.push(`_N_T_${route === '/' ? '' : route}/route`, pathTag(pathname));
  return tags;
}

// unstable_cache's store, which the build fills and the server reads on (recorded in cache-data-from-build).
export class DataCache {
  constructor(clock, tags) {
    Object.assign(this, { clock, tags });
    this.entries = new Map();
  }

  // { json, fresh } of a key: nothing if it was never stored or a tag expired it; not fresh once older
  // than `revalidate` seconds or marked stale by a tag.
  peek(key, revalidate) {
    const entry = this.entries.get(key);
    const invalidated = entry && this.tags.invalidated(entry.tags, entry.at);
    if (!entry || invalidated === 'expired') return {};
    const age = (this.clock.now() - entry.at) / 1000;
    return { json: entry.json, fresh: invalidated !== 'stale' && (revalidate === false || age <= revalidate) };
  }

  store(key, json, tags) {
    this.entries.set(key, { json, at: this.clock.now(), tags });
  }

  export() {
    return [...this.entries];
  }

  import(entries) {
    for (const [key, entry] of entries) this.entries.set(key, entry);
  }
}

// One unstable_cache call against a store (the host's DataCache, or an edge isolate's view of it): a stale
// value is served while a fresh one is made, except that a Next 16 static generation waits for the fresh
// one (it is about to be cached itself); after a tag expired the value, it is made afresh (recorded in
// tests/conformance*/cache-on-demand). Values are kept as JSON, as Next keeps them.
const refreshing = new Map();

export async function cachedCall(store, key, compute, { revalidate = false, tags = [], waitForFresh = false }) {
  const { json, fresh } = await store.peek(key, revalidate);
  if (json !== undefined && fresh) return JSON.parse(json);
  if (json === undefined) {
    const value = await compute();
    await store.store(key, JSON.stringify(value) ?? 'null', tags);
    return value;
  }
  if (!refreshing.has(key)) {
    const done = Promise.resolve().then(compute)
      .then(async (value) => {
        await store.store(key, JSON.stringify(value) ?? 'null', tags);
        return value;
      })
      .catch((error) => {
        console.error('unstable_cache: revalidating a cached value failed:', error);
        return JSON.parse(json);
      })
      .finally(() => refreshing.delete(key));
    refreshing.set(key, done);
  }
  return waitForFresh ? refreshing.get(key) : JSON.parse(json);
}

// What next/cache reaches from a request's scope: the data cache of this server (from an edge isolate,
// a view of the host's, so a revalidated tag reaches every runtime).
export class Caches {
  constructor(data) {
    this.data = data;
  }

  call(key, compute, options) {
    return cachedCall(this.data, key, compute, options);
  }
}

// The Cache-Control Next sends for a cached response (server/lib/cache-control.js).
export function cacheControl(revalidate, expire) {
  const swr = typeof revalidate === 'number' && expire !== undefined && revalidate < expire
    ? `, stale-while-revalidate=${expire - revalidate}` : '';
  if (revalidate === 0) return 'private, no-cache, no-store, max-age=0, must-revalidate';
  return `s-maxage=${typeof revalidate === 'number' ? revalidate : EXPIRE_S}${swr}`;
}

// A generated response as the cache keeps it. Made at build (or by a Next 16 server), its cache life
// also has the expireTime; regenerated by a 15.5 server, it has none (recorded: `s-maxage=2` then).
export function entryOf(response, body, generation, { pathname, at, expires }) {
  const revalidate = generation.revalidate >= INFINITE ? false : generation.revalidate;
  return {
    pathname, status: response.status, headers: [...response.headers], body, revalidate,
    expire: expires ? EXPIRE_S : undefined, at, tags: [...generation.tags], built: generation.phase === 'build',
    cacheable: generation.revalidate !== 0,
  };
}

// The prerendered responses of the app's static routes: served HIT while fresh, STALE (with a
// regeneration in the background) once older than their revalidate time, MISS when made on demand.
export class RouteCache {
  constructor(clock, tags) {
    Object.assign(this, { clock, tags });
    this.entries = new Map(); // pathname → entry
    this.regenerating = new Map();
  }

  install(entries) {
    for (const entry of entries) this.entries.set(entry.pathname, entry);
  }

  forget(pathnames) {
    for (const pathname of pathnames) this.entries.delete(pathname);
  }

  // { entry, state: 'HIT' | 'STALE' | 'MISS', age }; `generate()` makes an entry, kept if `cacheable`.
  async lookup(pathname, generate) {
    const entry = this.entries.get(pathname);
    const invalidated = entry && this.tags.invalidated(entry.tags, entry.at);
    if (entry && invalidated !== 'expired') {
      const age = (this.clock.now() - entry.at) / 1000;
      const stale = invalidated === 'stale' || (entry.revalidate !== false && age > entry.revalidate);
      if (stale) this.regenerate(pathname, generate);
      return { entry, state: stale ? 'STALE' : 'HIT', age };
    }
    const made = await this.generateOnce(pathname, generate);
    return { entry: made, state: 'MISS', age: 0 };
  }

  regenerate(pathname, generate) {
    this.generateOnce(pathname, generate).catch((error) => {
      console.error(`Failed to revalidate ${pathname}:`, error);
    });
  }

  // Concurrent requests for the same path wait for one generation.
  generateOnce(pathname, generate) {
    let pending = this.regenerating.get(pathname);
    if (!pending) {
      pending = (async () => {
        const entry = await generate();
        if (entry.cacheable) this.entries.set(pathname, entry);
        return entry;
      })().finally(() => this.regenerating.delete(pathname));
      this.regenerating.set(pathname, pending);
    }
    return pending;
  }
}
