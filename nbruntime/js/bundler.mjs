// What Next's bundler gives edge code for Node's module-scope names (recorded from Next 15.5, see
// tests/edge_cases/edge-bundler-globals). nbruntime.compat.bundled() appends an import of the ones a
// cell uses; the loader evaluates this module inside the cell's realm.
export const __dirname = '/';
export const __filename = '/index.js';
export const global = globalThis;
export const module = Object.defineProperties({}, {
  children: { value: [], enumerable: true },
  exports: {
    get: () => undefined,
    set() {
      throw new Error('ES modules may not assign module.exports: use export syntax');
    },
    enumerable: true,
  },
});
