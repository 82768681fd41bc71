// The app's statically generated routes, as `next start` serves them: the build's prerender (in a worker,
// build-worker.mjs), then each request for such a route answered from the cache (HIT / STALE / MISS),
// a stale copy regenerated in the background, and the server's data cache for unstable_cache.
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { emitLine } from './context.mjs';
import { Caches, Clock, DataCache, RouteCache, Tags, implicitTags, pathTag } from './cache.mjs';
import { Generation } from './generation.mjs';
import { Lifetime } from './scope.mjs';

const BUILD_WORKER = new URL('./build-worker.mjs', import.meta.url);

export class StaticRoutes {
  constructor(registry) {
    this.registry = registry;
    this.clock = new Clock();
    this.tags = new Tags(this.clock);
    this.caches = new Caches(new DataCache(this.clock, this.tags));
    this.routes = new RouteCache(this.clock, this.tags);
    this.plans = new Map(); // route file → { file, pattern, dynamic, revalidate, dynamicParams, params, paths }
  }

  // The static routes, from Python after each build: which files, and how each is served.
  configure(plans) {
    const kept = new Set(plans.flatMap((plan) => plan.paths));
    for (const plan of this.plans.values()) this.routes.forget(plan.paths.filter((path) => !kept.has(path)));
    this.plans = new Map(plans.map((plan) => [plan.file, plan]));
  }

  plan(file) {
    return this.plans.get(file) ?? null;
  }

  // Runs `next build`'s prerender of these routes; resolves the results, entries installed.
  build(jobs, next) {
    const { registry } = this;
    const worker = new Worker(BUILD_WORKER, {
      workerData: { root: registry.root, packagesRoot: registry.packagesRoot, env: registry.env, cells: [...registry.cells], jobs, now: this.clock.now(), next },
    });
    return new Promise((resolve, reject) => {
      worker.on('message', (message) => {
        if (message.ev === 'log') return emitLine({ ...message, id: null });
        this.caches.data.import(message.data);
        for (const result of message.results) this.routes.install(result.entries ?? []);
        resolve(message.results);
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the build stopped (exit code ${code})`)));
    });
  }

  // revalidatePath / revalidateTag calls a handler made, once it is done.
  revalidate(revalidations) {
    for (const { path, type, tag, stale } of revalidations) {
      this.tags.revalidate([tag ?? pathTag(path, type)], stale ? 'stale' : 'expired');
    }
  }

  // How the route answers this request: { kind: 'not-allowed' | 'not-found' } or the cache's
  // { kind: 'cached', entry, state, age }. `generate(generation)` runs the route's GET as a generation.
  async serve(plan, { method, pathname }, generate) {
    const generated = !plan.params.length;
    if (generated && method !== 'GET' && method !== 'HEAD') return { kind: 'not-allowed' };
    if (!generated && plan.dynamicParams === false && !plan.paths.includes(pathname)) return { kind: 'not-found' };
    const found = await this.routes.lookup(pathname, () => {
      const generation = new Generation({ route: plan.pattern, dynamic: plan.dynamic, revalidate: plan.revalidate, phase: 'server' });
      for (const tag of implicitTags(plan.pattern, pathname)) generation.tags.add(tag);
      return generate(generation, new Lifetime(performance.now()));
    });
    return { kind: 'cached', ...found };
  }
}
