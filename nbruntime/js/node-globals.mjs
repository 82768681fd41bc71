// What a Node.js cell finds on its global object besides Node's own, as a route of `next start` finds it in the
// server's bundle (recorded in tests/conformance/node-route-globals and edge-require): `require` beside its imports,
// `__dirname` and `__filename` of its entry's place under .next/server, and the AsyncLocalStorage Next sets on the
// global. A cell is an ES module, so these are globals of the host's realm; the two paths are those of the cell that
// reads them (its calling frame), and undefined for any other code.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import path from 'node:path';

export function installNodeGlobals(registry) {
  globalThis.require = createRequire(path.join(registry.packagesRoot, 'package.json'));
  globalThis.AsyncLocalStorage = AsyncLocalStorage;
  const place = (accessor) => {
    const file = callerFile(accessor);
    return registry.cells.has(file) ? path.join(registry.root, '.next', 'server', file) : undefined;
  };
  Object.defineProperties(globalThis, {
    __dirname: {
      get: function dirname() {
        const file = place(dirname);
        return file && path.dirname(file);
      },
      configurable: true,
    },
    __filename: {
      get: function filename() {
        const file = place(filename);
        return file && `${file.slice(0, file.length - path.extname(file).length)}.js`;
      },
      configurable: true,
    },
  });
}

// The module file of the code that called `accessor` (a cell's is its path in the app, as the loader names it).
function callerFile(accessor) {
  const { prepareStackTrace, stackTraceLimit } = Error;
  Error.prepareStackTrace = (_error, sites) => sites;
  Error.stackTraceLimit = 1;
  try {
    const holder = {};
    Error.captureStackTrace(holder, accessor);
    return holder.stack[0]?.getFileName();
  } finally {
    Object.assign(Error, { prepareStackTrace, stackTraceLimit });
  }
}
