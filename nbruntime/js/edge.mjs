// The edge realm: a fresh V8 context with Web APIs only and no code generation from strings,
// like the sandbox `next start` runs middleware and edge routes in.
import vm from 'node:vm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { routedConsole } from './context.mjs';

// Node built-ins that edge code may import (bare or with node:), as in Next.js's middleware plugin.
export const EDGE_NODE_MODULES = new Set(['buffer', 'events', 'assert', 'util', 'async_hooks']);

// Web APIs the edge sandbox takes from the host (undici, web streams, WebCrypto, ...).
const WEB_GLOBALS = [
  'fetch', 'File', 'FormData', 'Headers', 'Request', 'Response', 'WebSocket', 'Blob', 'structuredClone',
  'URL', 'URLSearchParams', 'URLPattern', 'AbortController', 'AbortSignal', 'DOMException',
  'ReadableStream', 'ReadableStreamBYOBReader', 'ReadableStreamDefaultReader', 'TransformStream',
  'WritableStream', 'WritableStreamDefaultWriter', 'TextEncoderStream', 'TextDecoderStream',
  'atob', 'btoa', 'TextEncoder', 'TextDecoder', 'Event', 'EventTarget', 'PromiseRejectionEvent',
  'crypto', 'Crypto', 'CryptoKey', 'SubtleCrypto', 'performance',
  'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'queueMicrotask',
];

export function createEdgeContext(env) {
  const sandbox = {};
  for (const name of WEB_GLOBALS) {
    if (name in globalThis) sandbox[name] = globalThis[name];
  }
  Object.assign(sandbox, {
    console: routedConsole,
    EdgeRuntime: 'edge-runtime',
    AsyncLocalStorage,
    process: { env: { ...env, NEXT_RUNTIME: 'edge' } },
  });
  const context = vm.createContext(sandbox, {
    name: 'Edge Runtime',
    codeGeneration: { strings: false, wasm: true },
  });
  vm.runInContext('globalThis.self = globalThis', context);
  return context;
}
