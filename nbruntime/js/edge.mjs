// The edge realm: the sandbox `next start` runs middleware and edge routes in. The engine is the one
// Next.js uses, @edge-runtime/vm (installed into nbruntime/js/vendor at build time); on top of it go
// Next's own additions: the process polyfill, AsyncLocalStorage and the stubbed Node globals. Everything the
// engine and we hand the realm is Node.js's; the realm gets it through a membrane (membrane.mjs), so nothing
// reachable from edge code leads back to Node's realm, as on an edge platform.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { edgeConsole } from './context.mjs';
import { runtimeMessage, table } from './compat.mjs';
import { validateURL } from './next/utils.mjs';
import { Membrane } from './membrane.mjs';
import { preloadCached, saveCacheSoon } from './engine-cache.mjs';

const vendorRequire = createRequire(new URL('./vendor/package.json', import.meta.url));

let EdgeVM;
function engine() {
  try {
    if (!EdgeVM) preloadCached(createRequire(vendorRequire.resolve('@edge-runtime/vm')).resolve('@edge-runtime/primitives/load'));
    EdgeVM ??= vendorRequire('@edge-runtime/vm').EdgeVM;
  } catch (error) {
    throw new Error(`nbruntime's edge engine (@edge-runtime/vm) is not installed: reinstall nbruntime (${error.message})`);
  }
  return EdgeVM;
}

// Each realm runs its microtasks in a queue of its own, drained at the end of each slice (gate.mjs): so edge code runs
// only inside slices, where it can be stopped. The engine makes the context; it is made with this option meanwhile.
function withOwnMicrotasks(build) {
  const { createContext } = vm;
  vm.createContext = (object, options) => createContext(object, { ...options, microtaskMode: 'afterEvaluate' });
  try {
    return build();
  } finally {
    vm.createContext = createContext;
  }
}

// The recorded Next.js answers come from Node 20, whose worker_threads has no markAsUncloneable, so the
// engine's undici (set up lazily, in the first realm) leaves Request/Response/Headers cloneable by
// structuredClone. Node 24 has it: hide it while a realm is built so the engine sets up as it does there.
function asOnNode20(build) {
  const threads = vendorRequire('node:worker_threads');
  const { markAsUncloneable } = threads;
  threads.markAsUncloneable = undefined;
  try {
    return build();
  } finally {
    threads.markAsUncloneable = markAsUncloneable;
  }
}

// Node built-ins that edge code may import (bare or with node:), each with the exports Next exposes.
export const EDGE_NODE_MODULES = new Set(Object.keys(table.edge_node_modules));

// The namespace an edge realm sees for an allowed built-in: Next's export subset, also as `default`.
export function edgeModuleExports(bare, namespace) {
  const exports = Object.fromEntries(table.edge_node_modules[bare].map((name) => [name, namespace[name]]));
  return { ...exports, default: { ...exports } };
}

function unsupported(ruleId, api) {
  return function unsupportedApi() {
    throw new Error(runtimeMessage(ruleId, api));
  };
}

// Next's process polyfill: a copy of env with NEXT_RUNTIME='edge'; the host's own function members throw
// when called, its other own members read as undefined (inherited ones, like `on`, are absent);
// assignments are kept.
function processPolyfill(env) {
  const polyfill = { env: { ...env, NEXT_RUNTIME: 'edge' } };
  const assigned = new Map();
  for (const key of Object.keys(process)) {
    if (key === 'env') continue;
    Object.defineProperty(polyfill, key, {
      get() {
        if (assigned.has(key)) return assigned.get(key);
        return typeof process[key] === 'function' ? unsupported('process-function', `process.${key}`) : undefined;
      },
      set(value) {
        assigned.set(key, value);
      },
      enumerable: false,
    });
  }
  return polyfill;
}

// WebAssembly may instantiate a precompiled Module, but compiling bytes at run time is refused. Written in the
// realm (it only needs the message), so the guards are the realm's own functions.
const GUARD_WASM = `((messages) => {
  const { apply } = Reflect
  const isBytes = (source) => ArrayBuffer.isView(source) ||
    ['[object ArrayBuffer]', '[object SharedArrayBuffer]'].includes(Object.prototype.toString.call(source))
  for (const name of ['compile', 'instantiate']) {
    const original = WebAssembly[name]
    WebAssembly[name] = function (source, ...rest) {
      if (isBytes(source)) return Promise.reject(new WebAssembly.CompileError(messages[name]))
      return apply(original, WebAssembly, [source, ...rest])
    }
  }
})`;

function guardWasm(context) {
  const message = (name) => runtimeMessage('wasm-instantiate', `WebAssembly.${name}`);
  vm.runInContext(GUARD_WASM, context)({ compile: message('compile'), instantiate: message('instantiate') });
}

// Next's fetch wrapper: outgoing requests without a user-agent say they come from Next.js middleware. A fetch aborted
// with a reason edge code made rejects with that reason (recorded: middleware-errors-and-globals): the engine stamps
// a stack on what it rethrows, which V8 refuses for an object that reaches it through the wall.
function defaultUserAgent(context) {
  const { fetch, Headers, Request } = context;
  context.fetch = async function (input, init) {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has('user-agent')) headers.set('user-agent', 'Next.js Middleware');
    try {
      return await fetch(input, { ...init, headers });
    } catch (error) {
      const signal = init?.signal ?? (input instanceof Request ? input.signal : null);
      if (signal?.aborted && error?.message === 'invalid_argument') throw signal.reason;
      throw error;
    }
  };
}

// Next's Request and Response.redirect in the edge runtime take absolute URLs only.
function absoluteUrlsOnly(context) {
  const EdgeRequest = context.Request;
  context.Request = class Request extends EdgeRequest {
    constructor(input, init) {
      const isRequest = typeof input !== 'string' && input !== null && typeof input === 'object' && 'url' in input;
      const url = validateURL(isRequest ? input.url : input);
      super(isRequest ? input : url, init);
    }
  };
  const redirect = context.Response.redirect.bind(context.Response);
  context.Response.redirect = (url, ...rest) => redirect(validateURL(url), ...rest);
}

// queueMicrotask on the realm's own queue (the engine's is Node's, whose queue edge code must not run in): a callback
// that throws is reported as an uncaught exception, as Node reports it.
const QUEUE_MICROTASK = `((then, resolved, report) => function queueMicrotask(callback) {
  if (typeof callback !== 'function') {
    throw new TypeError('The "callback" argument must be of type function. Received ' + (callback === null ? 'null' : typeof callback))
  }
  then.call(resolved, () => { try { callback() } catch (error) { report('Uncaught exception:', error) } })
})`;

function ownQueueMicrotask(context) {
  const make = vm.runInContext(QUEUE_MICROTASK, context);
  const report = vm.runInContext('console.error', context);
  context.queueMicrotask = make(vm.runInContext('Promise.prototype.then', context), vm.runInContext('Promise.resolve()', context), report);
}

// Timers started while a request runs belong to it (they are cleared when it ends: timers.mjs); the realm's
// setTimeout/setInterval and clear* go through `timers` when one is set (the edge runtime sets it).
let timers = null;
export function trackTimers(tracker) {
  timers = tracker;
}

function trackedTimers(context) {
  for (const [start, clear] of [['setTimeout', 'clearTimeout'], ['setInterval', 'clearInterval']]) {
    const [started, cleared] = [context[start], context[clear]];
    context[start] = function (...args) {
      const id = Reflect.apply(started, this, args);
      timers?.started(id, cleared);
      return id;
    };
    context[clear] = function (id) {
      timers?.cleared(id);
      return Reflect.apply(cleared, this, [id]);
    };
  }
}

function nextExtensions(context, env, membrane) {
  Object.assign(context, { process: processPolyfill(env), AsyncLocalStorage }); // enumerable, as in Next
  absoluteUrlsOnly(context);
  Object.defineProperty(context, 'console', { value: null, writable: true, enumerable: false }); // set when sealed
  for (const name of table.stubbed_globals) { // non-configurable, as in Next: their getters cross the membrane now
    const get = membrane.toRealm(() => unsupported('unsupported-api', name));
    Object.defineProperty(context, name, { get, enumerable: false });
  }
  guardWasm(context);
  defaultUserAgent(context);
  trackedTimers(context);
  return context;
}

// The engine makes `instanceof` work across realms by putting Node's constructors on the realm's global and
// proxies of the realm's own in their place; the membrane makes that so without them.
const CROSS_REALM_PATCHED = ['Object', 'Array', 'RegExp', 'Uint8Array', 'ArrayBuffer', 'Error', 'SyntaxError', 'TypeError'];
const ORIGINALS = `({ ${CROSS_REALM_PATCHED.join(', ')}, Symbol: Object(Symbol.iterator).constructor })`;

// The engine defines two setters on the realm's global that it cannot take back (non-configurable): they are
// given to the realm as its own functions while it is built. A module of the engine loaded meanwhile keeps the
// function it found as Object.defineProperty: once built, the realm is forgotten by it (it kept the first realm alive).
function withRealmSetters(holder, build) {
  const define = Object.defineProperty;
  Object.defineProperty = (target, key, descriptor) => {
    const setter = descriptor?.set && holder.current ? { ...descriptor, set: holder.current.toRealm(descriptor.set) } : null;
    return define(target, key, setter ?? descriptor);
  };
  try {
    return build();
  } finally {
    Object.defineProperty = define;
    holder.current = null;
  }
}

// What is left to do once the engine has built the realm: every global it or we put there crosses the membrane,
// the engine's cross-realm patches are undone, and the sandbox object behind the global loses its Node prototype.
function seal(context, membrane, hostKeys, originals) {
  for (const key of hostKeys) {
    if (key === 'self' || key === 'globalThis') continue;
    const descriptor = Object.getOwnPropertyDescriptor(context, key);
    if (!descriptor.configurable && !descriptor.writable) continue; // crossed when it was defined
    for (const field of ['value', 'get', 'set']) {
      if (descriptor[field]) descriptor[field] = membrane.toRealm(descriptor[field]);
    }
    Object.defineProperty(context, key, descriptor);
  }
  for (const name of CROSS_REALM_PATCHED) {
    context[name] = originals[name];
    delete context[Symbol.for(`node:${name}`)];
  }
  context.Symbol = originals.Symbol;
  context.console = realmConsole(membrane);
  context.structuredClone = membrane.passing(structuredClone);
  Object.setPrototypeOf(context, null);
}

// console as the realm sees it: its values are formatted as they are (a proxy would hide them), and an object's
// own inspect method is never called (it would be given Node's objects).
function realmConsole(membrane) {
  const methods = {};
  for (const name of Object.keys(Object.getPrototypeOf(edgeConsole)).concat(Object.keys(edgeConsole))) {
    if (typeof edgeConsole[name] !== 'function' || name.startsWith('_')) continue;
    const method = name === 'dir' ? (value) => edgeConsole.dir(value) : edgeConsole[name].bind(edgeConsole);
    methods[name] = membrane.passing(method);
  }
  return membrane.toRealm(methods);
}

function buildContext(env) {
  const Engine = engine();
  const holder = {};
  let hostKeys, originals, classes, membrane;
  const extend = (context) => {
    membrane = holder.current = new Membrane(context);
    originals = vm.runInContext(ORIGINALS, context);
    // The engine's own, as host code holds them: the host builds requests from URLs it parsed, which need no check.
    classes = { Request: context.Request, Response: context.Response };
    nextExtensions(context, env, membrane);
    hostKeys = Reflect.ownKeys(context);
    return context;
  };
  const { context } = withOwnMicrotasks(() => asOnNode20(() => withRealmSetters(holder, () => new Engine({ extend }))));
  saveCacheSoon();
  seal(context, membrane, hostKeys, originals);
  ownQueueMicrotask(context);
  edgeRequire(context, membrane);
  return { context, membrane, classes };
}

// Next's edge sandbox has a global `require` (not enumerable) for the built-ins it offers, where a bundle's
// `require('node:util')` lands; webpack gives a bare built-in it does not offer as an object that throws when a
// member is read. A cell's require does the same (tests/conformance/edge-require, recorded from next start).
const EDGE_REQUIRE = `((load, message) => {
  const standIns = new Map()
  const standIn = (name) => new Proxy({}, {
    get(_target, key) {
      if (key === 'then') return undefined
      throw new Error(message.replaceAll('{api}', name))
    },
  })
  return function require(id) {
    const bare = String(id).replace(/^node:/, '')
    const offered = load(bare)
    if (offered !== undefined) return offered
    if (!standIns.has(bare)) standIns.set(bare, standIn(bare))
    return standIns.get(bare)
  }
})`;

function edgeRequire(context, membrane) {
  const offered = new Map();
  const load = (bare) => {
    if (!EDGE_NODE_MODULES.has(bare)) return undefined;
    if (!offered.has(bare)) offered.set(bare, edgeModuleExports(bare, process.getBuiltinModule(`node:${bare}`)).default);
    return offered.get(bare);
  };
  const require = vm.runInContext(EDGE_REQUIRE, context)(membrane.toRealm(load), table.rules['node-module-loaded'].thrown);
  Object.defineProperty(context, 'require', { value: require, writable: true, configurable: true, enumerable: false });
}

// A realm's context: made for the edge realm of an entry (loader.mjs makes one ahead, while the thread is idle).
export function createEdgeContext(env) {
  return buildContext(env);
}
