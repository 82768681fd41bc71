// npm packages, bundled as `next build` bundles them: esbuild with Next's export conditions and main fields
// for the runtime (edge or Node.js). One build covers every package a realm imports (so packages share the
// modules they have in common, as in one webpack bundle), split into ES module chunks the loader evaluates
// inside the realm. Node built-ins and next/* stay outside the bundle: the loader gives them per runtime.
// Builds are cached in memory and on disk, keyed by the runtime, the specifiers and the installed versions.
import crypto from 'node:crypto';
import { fs } from './builtins.mjs';
import os from 'node:os';
import path from 'node:path';
import { builtinModules, createRequire } from 'node:module';

const vendorRequire = createRequire(new URL('./vendor/package.json', import.meta.url));
// A cached build is valid for this very bundler code: any change to it makes new keys (read at the first bundle, not
// as the host starts).
let format = null;
const formatOf = () => (format ??= crypto.createHash('sha256').update(fs.readFileSync(new URL(import.meta.url))).digest('hex'));

// What next build resolves with (recorded: tests/corpus/packages/cases/03-export-conditions-probe). esbuild adds
// `import` (or `require` for require()) and `default` itself, in the package's own order.
export const RESOLUTION = {
  edge: {
    platform: 'browser',
    conditions: ['edge-light', 'browser', 'module', 'react-server', 'production', 'webpack'],
    mainFields: ['edge-light', 'browser', 'module', 'main'],
  },
  nodejs: {
    platform: 'node',
    conditions: ['node', 'module', 'react-server', 'production', 'webpack'],
    mainFields: ['main', 'module'],
  },
};

const BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));
export const isBuiltin = (specifier) => specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]);
const isFramework = (specifier) => specifier === 'next' || specifier.startsWith('next/');
// Package chunks reach require() through this module (esbuild's require shim looks for a `require` in scope).
export const REQUIRE_MODULE = 'nbruntime/require';

let esbuild;
function bundler() {
  try {
    esbuild ??= vendorRequire('esbuild');
  } catch (error) {
    throw new Error(`nbruntime's bundler (esbuild) is not installed: reinstall nbruntime (${error.message})`);
  }
  return esbuild;
}

// The package a file belongs to: its name, version and folder (the nearest package.json with a name).
function packageOf(file, cache) {
  let dir = path.dirname(file);
  while (dir !== path.dirname(dir)) {
    if (!cache.has(dir)) {
      let found = null;
      try {
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        if (manifest.name) found = { name: manifest.name, version: manifest.version ?? '', dir };
      } catch {}
      cache.set(dir, found);
    }
    if (cache.get(dir)) return cache.get(dir);
    dir = path.dirname(dir);
  }
  return null;
}

// The package name a bare specifier names: 'jose' for 'jose/jwt', '@scope/x' for '@scope/x/y'.
export const packageName = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

// What identifies the installed packages a build reads: npm's record of node_modules (rewritten by every
// install), else each named package's manifest.
function installedStamp(root, specifiers) {
  const parts = [];
  for (let dir = root; ; dir = path.dirname(dir)) {
    for (const name of ['node_modules/.package-lock.json', 'package-lock.json', 'package.json']) {
      try {
        const stat = fs.statSync(path.join(dir, name));
        parts.push(`${dir}/${name}:${stat.size}:${stat.mtimeMs}`);
      } catch {}
    }
    if (dir === path.dirname(dir)) break;
  }
  for (const specifier of specifiers) {
    try {
      const manifest = createRequire(path.join(root, 'package.json')).resolve(`${packageName(specifier)}/package.json`);
      parts.push(`${manifest}:${fs.statSync(manifest).mtimeMs}`);
    } catch {}
  }
  return parts.join('|');
}

function cacheDir() {
  const base = process.env.NBRUNTIME_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'nbruntime');
  return path.join(base, 'bundles');
}

// Where in its line a statement that imports `specifier` starts (Next reports the statement's column).
function statementColumn(lineText, column) {
  const before = lineText.slice(0, column);
  const at = Math.max(before.lastIndexOf('import'), before.lastIndexOf('export'), before.lastIndexOf('require'));
  return (at >= 0 ? at : column) + 1;
}

// How a file reads to the user: under the project's node_modules even where that is a link to elsewhere
// (esbuild, like webpack, follows links to the real files).
function shownPaths(root) {
  const links = [];
  for (let dir = root; ; dir = path.dirname(dir)) {
    try {
      links.push([fs.realpathSync(path.join(dir, 'node_modules')), path.relative(root, path.join(dir, 'node_modules'))]);
    } catch {}
    if (dir === path.dirname(dir)) break;
  }
  return (file) => {
    const absolute = path.resolve(root, file);
    for (const [real, shown] of links) {
      if (absolute.startsWith(real + path.sep)) return path.join(shown, absolute.slice(real.length + 1));
    }
    return file;
  };
}

async function build(root, specifiers, runtime) {
  const resolution = RESOLUTION[runtime];
  const shown = shownPaths(root);
  const facts = { runtime, entries: {}, cjs: {}, files: {}, missing: [], builtins: [], framework: [], errors: [], graph: {}, roots: {}, packages: {} };
  const plugin = {
    name: 'nbruntime',
    setup(build) {
      build.onResolve({ filter: /^nbruntime-entry:/ }, async (args) => {
        const specifier = args.path.slice('nbruntime-entry:'.length);
        const found = await build.resolve(specifier, { kind: 'import-statement', resolveDir: root });
        if (found.errors.length) {
          facts.missing.push(specifier);
          return { path: specifier, namespace: 'nbruntime-missing' };
        }
        return { path: found.path };
      });
      build.onLoad({ filter: /.*/, namespace: 'nbruntime-missing' }, () => ({ contents: '', loader: 'js' }));
      // Next's bundler gives edge code `Buffer` from the buffer module (globalThis.Buffer stays undefined)
      build.onResolve({ filter: /^nbruntime-inject:buffer$/ }, (args) => ({ path: args.path, namespace: 'nbruntime-inject' }));
      build.onLoad({ filter: /.*/, namespace: 'nbruntime-inject' }, () => ({ contents: "export { Buffer } from 'node:buffer'", loader: 'js' }));
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.namespace === 'nbruntime-inject') return { path: args.path, external: true }; // ours, not the package's
        if (args.kind === 'entry-point') return undefined;
        const specifier = args.path;
        const framework = isFramework(specifier);
        if (!framework && !isBuiltin(specifier)) return undefined;
        const file = shown(path.relative(root, args.importer));
        (framework ? facts.framework : facts.builtins).push({ specifier, file, kind: args.kind });
        // a warning carries the import's place; it is read back below and not shown
        return { path: specifier, external: true, warnings: [{ text: 'nbruntime-external', detail: specifier }] };
      });
    },
  };
  const entryPoints = specifiers.map((specifier, index) => ({ in: `nbruntime-entry:${specifier}`, out: `entry-${index}` }));
  let result;
  try {
    result = await bundler().build({
      entryPoints,
      absWorkingDir: root,
      bundle: true,
      write: false,
      format: 'esm',
      splitting: true,
      outdir: path.join(root, '.nbruntime-bundle'),
      chunkNames: 'chunk-[hash]',
      platform: resolution.platform,
      conditions: resolution.conditions,
      mainFields: resolution.mainFields,
      define: {
        'process.env.NODE_ENV': '"production"',
        'process.env.NEXT_RUNTIME': JSON.stringify(runtime),
        ...(runtime === 'nodejs' ? { __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' } : {}),
      },
      banner: { js: `import { require } from '${REQUIRE_MODULE}';` },
      inject: runtime === 'edge' ? ['nbruntime-inject:buffer'] : [],
      metafile: true,
      logLevel: 'silent',
      plugins: [plugin],
    });
  } catch (error) {
    facts.errors = (error.errors ?? [{ text: String(error.message ?? error) }]).map(describe);
    for (const item of facts.errors) if (item.file) item.file = shown(item.file);
    return facts;
  }
  // The place of each external import, from the warnings the plugin left.
  const places = result.warnings.filter((w) => w.text === 'nbruntime-external' && w.location);
  for (const warning of places) warning.location.file = shown(warning.location.file);
  for (const item of [...facts.builtins, ...facts.framework]) {
    const index = places.findIndex((w) => w.detail === item.specifier && w.location.file === item.file);
    if (index < 0) continue;
    const { line, column, lineText } = places.splice(index, 1)[0].location;
    Object.assign(item, { line, column: statementColumn(lineText, column) });
  }
  const manifests = new Map();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    if (file.startsWith('nbruntime-')) continue; // the bundler's own modules (Buffer, a package not installed)
    facts.graph[shown(file)] = input.imports.filter((i) => !i.external && !i.path.startsWith('<')).map((i) => shown(i.path));
    const owner = packageOf(path.join(root, file), manifests);
    if (owner) facts.packages[owner.name] = owner.version;
  }
  const outdir = path.join(root, '.nbruntime-bundle');
  for (const file of result.outputFiles) facts.files[path.relative(outdir, file.path)] = file.text;
  for (const [name, output] of Object.entries(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    const index = Number(path.basename(name, '.js').slice('entry-'.length));
    const specifier = specifiers[index];
    const file = output.entryPoint;
    const chunk = path.relative(path.relative(root, outdir), name);
    facts.entries[specifier] = chunk;
    facts.roots[specifier] = shown(file);
    facts.cjs[specifier] = result.metafile.inputs[file]?.format === 'cjs';
  }
  return facts;
}

function describe(message) {
  const where = message.location ?? {};
  return { text: message.text, file: where.file ?? null, line: where.line ?? null, column: where.column == null ? null : where.column + 1 };
}

// The bundle of `specifiers` for `runtime`, installed under `root`: { entries, cjs, files, facts... }.
export class Packages {
  constructor(root) {
    this.root = root;
    this.memory = new Map(); // key → Promise of facts
    this.builds = 0; // esbuild runs so far (the rest came from the caches)
  }

  bundle(specifiers, runtime) {
    const sorted = [...new Set(specifiers)].sort();
    const stamp = installedStamp(this.root, sorted);
    const key = crypto.createHash('sha256').update(JSON.stringify([formatOf(), bundler().version, runtime, this.root, sorted, stamp])).digest('hex').slice(0, 24);
    if (!this.memory.has(key)) {
      const pending = this.fromDisk(key) ?? (this.builds++, build(this.root, sorted, runtime).then((facts) => this.toDisk(key, facts)));
      this.memory.set(key, Promise.resolve(pending).then((facts) => ({ ...facts, key })));
    }
    return this.memory.get(key);
  }

  fromDisk(key) {
    try {
      return JSON.parse(fs.readFileSync(path.join(cacheDir(), `${key}.json`), 'utf8'));
    } catch {
      return null;
    }
  }

  toDisk(key, facts) {
    if (facts.errors.length) return facts; // a failed build is tried again next time (the user may fix it)
    try {
      const dir = cacheDir();
      fs.mkdirSync(dir, { recursive: true });
      const temporary = path.join(dir, `${key}.${process.pid}.tmp`);
      fs.writeFileSync(temporary, JSON.stringify(facts));
      fs.renameSync(temporary, path.join(dir, `${key}.json`));
    } catch {} // a read-only cache only costs speed
    return facts;
  }
}

// From Python without a host (the editor's diagnostics): node packages.mjs ROOT RUNTIME SPECIFIER... prints the
// facts of the bundle as JSON (not the code), through the same caches.
if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  const [root, runtime, ...specifiers] = process.argv.slice(2);
  const { files, ...facts } = await new Packages(path.resolve(root)).bundle(specifiers, runtime);
  process.stdout.write(JSON.stringify(facts));
  await esbuild?.stop?.();
}
