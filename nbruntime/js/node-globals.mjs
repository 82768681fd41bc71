// What a Node.js cell finds on its global object besides Node's own, as a route of `next start` finds it in the
// server's bundle (recorded in tests/conformance{,16}/node-route-globals and edge-require): `require` beside its
// imports, `__dirname` and `__filename`, and the AsyncLocalStorage Next sets on the global. 15's webpack gives the
// entry's place under .next/server; 16's Turbopack gives the source file's own path under `/ROOT` (its project root),
// and a require without `resolve`. A cell is an ES module, so these are globals of the host's realm; the two paths
// are those of the cell that reads them (its calling frame), and undefined for any other code.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import path from 'node:path';

export function installNodeGlobals(registry, version) {
  const nodeRequire = createRequire(path.join(registry.packagesRoot, 'package.json'));
  const turbopackRequire = (id) => nodeRequire(id);
  const v16 = () => version().startsWith('16');
  globalThis.AsyncLocalStorage = AsyncLocalStorage;
  const place = (accessor) => {
    const file = callerFile(accessor);
    if (!registry.cells.has(file)) return undefined;
    return v16() ? `/ROOT/${file}` : path.join(registry.root, '.next', 'server', file);
  };
  Object.defineProperties(globalThis, {
    require: { get: () => (v16() ? turbopackRequire : nodeRequire), configurable: true },
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
        if (!file || v16()) return file;
        return `${file.slice(0, file.length - path.extname(file).length)}.js`;
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
