// The build's prerender, in a thread of its own as `next build` is a process of its own: the routes' modules
// are loaded afresh (their state does not carry over to the server), process.env has NEXT_PHASE, and each
// static route's GET runs once per path as a static generation. One worker per build; it ends with it.
import { parentPort, workerData } from 'node:worker_threads';
import { routedConsole, routeOutput } from './context.mjs';
import { Caches, Clock, DataCache, Tags, entryOf, implicitTags } from './cache.mjs';
import { Generation, isDynamicUsage } from './generation.mjs';
import { Registry } from './loader.mjs';
import { Packages } from './packages.mjs';
import { generateRoute, metadataExports } from './pipeline.mjs';
import { Lifetime, REQUEST_CONTEXT, requestContext } from './scope.mjs';
import { cacheFetches } from './fetch-cache.mjs';

const BUILD_ORIGIN = 'http://localhost:3000'; // the URL Next's build gives prerendered requests

routeOutput((message) => parentPort.postMessage(message)); // console lines reach the host's log
globalThis.console = routedConsole;
cacheFetches(globalThis, requestContext.get);

const { root, packagesRoot, env, cells, jobs, now, next } = workerData;
process.env.NEXT_PHASE = 'phase-production-build';
const registry = new Registry(root, { ...env, NEXT_PHASE: 'phase-production-build' }, {}, packagesRoot);
registry.packages = new Packages(packagesRoot); // the routes' npm packages, bundled as in the host
for (const [file, cell] of cells) registry.cells.set(file, cell);
registry.realmGlobals[REQUEST_CONTEXT] = requestContext;
globalThis[REQUEST_CONTEXT] = requestContext;
const clock = new Clock();
clock.offsetMs = now - new Clock().now(); // the app's clock, as the host keeps it
const tags = new Tags(clock);
const caches = new Caches(new DataCache(clock, tags));

// A route pattern with its params filled in, as Next names the prerendered path.
function pathnameOf(pattern, params) {
  return pattern.replace(/\[\[?(?:\.\.\.)?(\w+)\]\]?/g, (_, name) => {
    const value = params[name];
    if (value === undefined) return '';
    return (Array.isArray(value) ? value : [value]).map((part) => encodeURIComponent(String(part))).join('/');
  }).replace(/\/+$/, '') || '/';
}

async function prerender(job, params) {
  const pathname = pathnameOf(job.pattern, params);
  const generation = new Generation({ route: job.pattern, dynamic: job.dynamic, revalidate: job.revalidate, phase: 'build' });
  for (const tag of implicitTags(job.pattern, pathname)) generation.tags.add(tag);
  const { response, body } = await generateRoute(registry, {
    route: { file: job.file, metadata: job.metadata }, params: job.pattern.includes('[') ? params : null, // none without dynamic segments
    url: new URL(pathname, BUILD_ORIGIN), generation, caches, next,
    lifetime: new Lifetime(performance.now()),
  });
  // Next keeps only answers a static copy can stand for; anything else leaves the route dynamic.
  if (response.status >= 400 && response.status !== 404) return { dynamic: `its GET answered ${response.status}` };
  return { entry: entryOf(response, body, generation, { pathname, at: clock.now(), expires: true }) };
}

// One route: { file, kind: 'static' | 'dynamic', reason, entries, params } or { file, error }.
async function build(job) {
  let exports = await registry.exportsOf(job.file);
  if (job.metadata) exports = await metadataExports(registry, job, exports, next);
  let paramsList = [{}];
  if (job.generateStaticParams) {
    const list = await exports.generateStaticParams({ params: {} });
    if (!Array.isArray(list)) throw new Error(`generateStaticParams() of ${job.pattern} must return an array`);
    paramsList = list;
  }
  const entries = [];
  for (const params of paramsList) {
    const { entry, dynamic } = await prerender(job, params);
    if (dynamic) return { file: job.file, kind: 'dynamic', reason: dynamic };
    entries.push({ ...entry, params });
  }
  return { file: job.file, kind: 'static', entries };
}

const results = [];
for (const job of jobs) {
  try {
    results.push(await build(job));
  } catch (error) {
    if (isDynamicUsage(error)) {
      results.push({ file: job.file, kind: 'dynamic', reason: error.message });
      continue;
    }
    const { name = 'Error', message = String(error), stack = '' } = error ?? {};
    results.push({ file: job.file, error: { name: String(name), message: String(message), stack: String(stack) } });
  }
}
parentPort.postMessage({ ev: 'built', results, data: caches.data.export() });
