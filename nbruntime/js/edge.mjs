// The edge realm: the sandbox `next start` runs middleware and edge routes in. The engine is the one
// Next.js uses, @edge-runtime/vm (installed into nbruntime/js/vendor at build time); on top of it go
// Next's own additions: the process polyfill, AsyncLocalStorage and the stubbed Node globals.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { types } from 'node:util';
import vm from 'node:vm';
import { routedConsole } from './context.mjs';
import { runtimeMessage, table } from './compat.mjs';
import { validateURL } from './next/utils.mjs';

const vendorRequire = createRequire(new URL('./vendor/package.json', import.meta.url));

let EdgeVM;
function engine() {
  try {
    EdgeVM ??= vendorRequire('@edge-runtime/vm').EdgeVM;
  } catch (error) {
    throw new Error(`nbruntime's edge engine (@edge-runtime/vm) is not installed: reinstall nbruntime (${error.message})`);
  }
  return EdgeVM;
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

// WebAssembly may instantiate a precompiled Module, but compiling bytes at run time is refused.
function guardWasm(context) {
  const wasm = vm.runInContext('WebAssembly', context);
  for (const name of ['compile', 'instantiate']) {
    const original = wasm[name];
    wasm[name] = function (source, ...rest) {
      if (types.isAnyArrayBuffer(source) || ArrayBuffer.isView(source)) {
        return Promise.reject(new wasm.CompileError(runtimeMessage('wasm-instantiate', `WebAssembly.${name}`)));
      }
      return original.call(wasm, source, ...rest);
    };
  }
}

// Next's fetch wrapper: outgoing requests without a user-agent say they come from Next.js middleware.
function defaultUserAgent(context) {
  const fetch = context.fetch;
  context.fetch = function (input, init) {
    const headers = new context.Headers(init?.headers ?? (input instanceof context.Request ? input.headers : undefined));
    if (!headers.has('user-agent')) headers.set('user-agent', 'Next.js Middleware');
    return fetch(input, { ...init, headers });
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

function nextExtensions(context, env) {
  Object.assign(context, { process: processPolyfill(env), AsyncLocalStorage }); // enumerable, as in Next
  absoluteUrlsOnly(context);
  Object.defineProperty(context, 'console', { value: routedConsole, writable: true, enumerable: false });
  for (const name of table.stubbed_globals) {
    Object.defineProperty(context, name, { get: () => unsupported('unsupported-api', name), enumerable: false });
  }
  guardWasm(context);
  defaultUserAgent(context);
  return context;
}

function buildContext(env) {
  const Engine = engine();
  return asOnNode20(() => new Engine({ extend: (context) => nextExtensions(context, env) }).context);
}

// Most of a realm's cost is V8 making the context, so one is made ahead, once the messages that follow
// a deploy (routes, ...) are answered: the next redeploy does not wait for it. discardSpareContext()
// drops it when the env it copied changes.
const SPARE_DELAY_MS = 50;
let spare = null;

export function createEdgeContext(env) {
  const ready = spare?.env === env ? spare.context : null;
  spare = null;
  setTimeout(() => {
    spare ??= { env, context: buildContext(env) };
  }, SPARE_DELAY_MS).unref();
  return ready ?? buildContext(env);
}

export function discardSpareContext() {
  spare = null;
}
