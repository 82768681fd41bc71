// The edge engine's bundle (@edge-runtime/primitives' load.js: undici and the other Web APIs, 800 kB) compiled from a
// V8 code cache of its own. Node's compile cache holds only the functions V8 compiles before the code runs, a twentieth
// of this bundle; the rest (undici's modules, which run when the first realm is made) was compiled again by every host,
// on the way of its first edge cell. A cache made after the first realm holds those too: that realm is made in about
// three quarters of the time.
//
// The cache lives next to Node's (the compile cache folder the host was started with), named after the bundle's file
// (its inode, size and times: a new install or any edit renames it) and the Node.js build, so another bundle or Node
// never reads it (V8 checks only the source's length); V8 checks its own version and flags, and a cache it refuses is
// made afresh. A name from the bundle's bytes cost a SHA-256 of 800 kB in every host: 6 ms of a first cell. Without a
// compile cache folder the bundle is required as usual.
import crypto from 'node:crypto';
import fs from 'node:fs';
import Module, { createRequire, getCompileCacheDir } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

const SAVE_DELAY_MS = 500; // after the first realm: what its first requests compile goes in too
const PARAMETERS = 'exports, require, module, __filename, __dirname'; // a CommonJS module's, as Node passes them

let pending = null; // the compiled bundle whose cache is still to be written, and where

// Puts the bundle `file` into the CommonJS cache, compiled from its code cache when there is one, before anything
// requires it.
export function preloadCached(file) {
  const folder = getCompileCacheDir();
  const require = createRequire(file);
  if (!folder || require.cache[file]) return;
  const { ino, size, mtimeNs, ctimeNs } = fs.statSync(file, { bigint: true });
  const digest = crypto.hash('sha256', `${process.version} ${process.arch} ${ino} ${size} ${mtimeNs} ${ctimeNs}`).slice(0, 20);
  const source = fs.readFileSync(file, 'utf8');
  const cacheFile = path.join(folder, `nbruntime-edge-engine-${digest}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {} // (none yet: this host makes it)
  // (on the wrapper's first line, so the bundle's lines keep their numbers in stacks)
  const script = new vm.Script(`(function (${PARAMETERS}) {${source}\n})`, { filename: file, cachedData });
  const module = new Module(file);
  module.filename = file;
  script.runInThisContext().call(module.exports, module.exports, require, module, file, path.dirname(file));
  module.loaded = true;
  require.cache[file] = module;
  if (!cachedData || script.cachedDataRejected) pending = { script, cacheFile };
}

// The first realm is made: its cache is written soon (once per bundle and Node.js build), off any request's way.
export function saveCacheSoon() {
  if (!pending) return;
  const { script, cacheFile } = pending;
  pending = null;
  setTimeout(() => {
    const partial = `${cacheFile}.${process.pid}`;
    try {
      fs.writeFileSync(partial, script.createCachedData());
      fs.renameSync(partial, cacheFile); // whole or not at all, whichever host writes it
    } catch {
      fs.rmSync(partial, { force: true });
    }
  }, SAVE_DELAY_MS).unref();
}
