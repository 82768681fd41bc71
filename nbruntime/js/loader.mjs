// Deployed cells as ES modules, linked the way a Next.js build would bundle them.
// The node runtime shares one realm (the host's own, like a Next.js server process); each edge
// entry (middleware or edge route) gets a realm of its own, like an edge function.
import vm from 'node:vm';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { builtinModules, stripTypeScriptTypes } from 'node:module';
import { pathToFileURL } from 'node:url';
import { createEdgeContext, EDGE_NODE_MODULES, edgeModuleExports } from './edge.mjs';
import { fs, types } from './builtins.mjs';
import { fileURLToPath } from 'node:url';
import { REQUIRE_MODULE, isBuiltin } from './packages.mjs';
import { PackageLayer, nodeRequire, requireSource, unsupportedModuleSource, unsupportedSource } from './package-realm.mjs';
import { compileModule } from './source-module.mjs';

const SPARE_DELAY_MS = 25;
const EXTENSIONS = ['', '.ts', '.tsx', '.js', '.mjs', '.jsx', '.json', '/index.ts', '/index.tsx', '/index.js', '/index.mjs'];
const NODE_BUILTINS = new Set(builtinModules);

// Modules the framework provides (next/server, ...): their source is evaluated inside each realm,
// so their classes extend that realm's Request and Response, as a bundler would make them.
const VIRTUAL_MODULES = {
  'next/server': './next/server.mjs',
  'next/headers': './next/headers.mjs',
  'next/navigation': './next/navigation.mjs',
  'next/og': './next/og.mjs',
  'server-only': './next/server-only.mjs', // marks a module as server code: nothing to run on the server
  'next/cache': './next/cache.mjs',
  'next/dist/server/web/spec-extension/cookies': './next/cookies.mjs',
  'next/dist/server/web/utils': './next/utils.mjs',
  'next/dist/client/components/app-router-headers': './next/app-router-headers.mjs',
  'nbruntime/bundler': './bundler.mjs', // what the bundler binds for Node's module-scope names in edge code
  'nbruntime/metadata': './next/metadata.mjs', // the route a metadata file (robots.ts, sitemap.ts, ...) becomes
};
const virtualSource = (name) => fs.readFileSync(fileURLToPath(new URL(VIRTUAL_MODULES[name], import.meta.url)), 'utf8');

// A problem that `next build` would report: it carries the file and position.
export class BuildError extends Error {
  constructor(message, { file, line = null, column = null, name = 'BuildError' } = {}) {
    super(message);
    this.name = name;
    Object.assign(this, { file, line, column });
  }
}

function isTypeScript(file) {
  return /\.(ts|tsx|mts|cts)$/.test(file);
}

// Type-strips a cell with Node's own stripper (which blanks types, so lines and columns stay put).
// The stripper parses JavaScript too, so it also finds most syntax errors, with their position.
export function compileSource(file, source) {
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } catch (error) {
    if (error.code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' && isTypeScript(file)) {
      return stripTypeScriptTypes(source, { mode: 'transform' });
    }
    throw syntaxError(file, error);
  }
}

// A module of the cell's code, made by `make` (a module of no realm by default); a syntax error says where it is.
function compiled(file, code, make = () => compileModule(code, { identifier: file })) {
  try {
    return make();
  } catch (error) {
    throw locateSyntaxError(file, code, error);
  }
}

// V8 does not say where a module's early error is (a duplicate `let`, say); `node --check` does.
function locateSyntaxError(file, code, error) {
  const check = spawnSync(process.execPath, ['--check', '--input-type=module'], { input: code, encoding: 'utf8' });
  const [where, , caret] = check.stderr.split('\n');
  const line = Number(where.split(':').pop()) || null;
  const column = caret?.includes('^') ? caret.indexOf('^') + 1 : null;
  return new BuildError(error.message, { file, line, column, name: error.name });
}

// The stripper's message reads ":LINE\n<context lines>\n<caret line>\n\nSyntaxError [...]: text".
function syntaxError(file, error) {
  const [snippet, ...rest] = String(error.stack).split('\n\n');
  const message = rest.join('\n\n').split('\n    at ')[0].replace(/^SyntaxError( \[\w+\])?: /, '');
  const lines = snippet.split('\n');
  const line = Number(lines[0].slice(1)) || null;
  const caretAt = lines.findIndex((text) => /^\s*\^+\s*$/.test(text));
  const column = caretAt > 0 ? lines[caretAt].indexOf('^') + 1 : null;
  return new BuildError(message || error.message, { file, line, column, name: 'SyntaxError' });
}

class Realm {
  // An edge realm comes with its membrane: Node values cross into it by `membrane.toRealm`, and its values
  // reach host code only by `outside()`.
  constructor(registry, context, membrane = null, entry = null, classes = null) {
    this.registry = registry;
    this.context = context;
    this.membrane = membrane;
    this.classes = classes; // an edge realm's Request and Response, as host code holds them
    this.entry = entry; // the edge entry this realm was made for
    this.slices = membrane ? registry.slices : null; // where its code runs, in stoppable slices (gate.mjs)
    if (this.slices) {
      this.slice = this.slices.install(context);
      this.memoryLimit = registry.memoryLimit;
      membrane.gate = (fn) => this.slices.run(this, fn);
    }
    this.modules = new Map();
    this.frameworks = new Map(); // framework module name → its exports as host code uses them (they never change)
    this.importers = new Map();
    this.pending = new WeakMap();
    this.evaluated = new WeakSet(); // modules whose `ready` finished: used at once, without a promise
    this.layer = null; // the npm packages its cells import, bundled (package-realm.mjs)
    // The entry being linked: package chunks made meanwhile take its folder as __dirname on Node.js, as a module
    // of next start's server takes the folder of the entry chunk that loaded it first.
    this.linkingEntry = null;
  }

  get runtime() {
    return this.context ? 'edge' : 'nodejs';
  }

  // The class host code makes this realm's responses with: the engine's for an edge realm (Node's own loads Node's
  // undici, about 30 ms, which an edge-only app otherwise never needs), else Node's.
  get Response() {
    return this.classes?.Response ?? Response;
  }

  // Runs `fn` (host code that calls into the realm) as one slice of an edge realm.
  inSlice(fn) {
    return this.slices ? this.slices.run(this, fn) : fn();
  }

  // A value of this realm as host code may hold it.
  outside(value) {
    return this.membrane ? this.membrane.toHost(value) : value;
  }

  // A module's exports as host code uses them: a plain object of what each name holds now, each value crossed. Reading
  // a namespace runs no code of the realm, so no slice is needed (a binding not yet initialized reads undefined).
  exportsOf(namespace) {
    if (!this.membrane) return namespace;
    const exports = {};
    for (const name of Object.keys(namespace)) {
      let value;
      try {
        value = namespace[name];
      } catch {
        continue;
      }
      exports[name] = this.membrane.toHost(value);
    }
    return exports;
  }

  // The request a handler of this realm gets: a Request of the engine (edge) or of Node's, its headers appended one
  // by one (cheaper than its init's conversion of them), given the realm's NextRequest prototype. An edge realm's is
  // made by host code: building it in the realm would cross the membrane at every step.
  nextRequest(NextRequest, url, init, headers) {
    this.prototypes ??= new WeakMap();
    let prototype = this.prototypes.get(NextRequest);
    if (!prototype) this.prototypes.set(NextRequest, (prototype = NextRequest.prototype));
    const request = new (this.classes?.Request ?? Object.getPrototypeOf(NextRequest))(url, init);
    const list = request.headers;
    for (const [name, value] of headers) list.append(name, value);
    Object.setPrototypeOf(request, prototype);
    this.membrane?.toRealm(request, true); // made for this realm alone: its proxy, made now, is kept in a field of it
    return request;
  }

  // A handler's Response as host code reads it. A NextResponse made by edge code has its prototype in the realm, where
  // each read would run through it: the engine's own getters read it instead, into a plain Response of the same state.
  hostResponse(response) {
    if (!this.membrane || !this.membrane.outside.targets.has(Object.getPrototypeOf(response))) return response;
    const read = (name) => this.engineRead(response, name);
    const status = read('status');
    if (status < 200 || status > 599) return response;
    const copy = new this.classes.Response(read('body'), { status, statusText: read('statusText'), headers: read('headers') });
    const source = this.sourceOf(response);
    if (source !== undefined) (this.sources ??= new WeakMap()).set(copy, source);
    return copy;
  }

  // What host code streams of a Response of this realm: the string or bytes it was made from, if nobody has touched its
  // body, else the body's stream. The engine (undici) wraps such a source in a stream whose reading is a few promises
  // and a byte copy; the bytes are the same (its pull encodes a string as UTF-8, as Buffer.from does).
  bodyOf(response) {
    const source = this.membrane && response instanceof this.classes.Response ? this.sourceOf(response) : undefined;
    return source ?? response.body;
  }

  // The string or bytes an engine's Response of this realm was made from (or, for the copy hostResponse made, the
  // original was), if its body is untouched.
  sourceOf(response) {
    this.stateKey ??= Object.getOwnPropertySymbols(response).find((key) => key.description === 'state') ?? null;
    const body = this.stateKey && Object.getOwnPropertyDescriptor(response, this.stateKey)?.value?.body;
    if (!body || body.stream.locked || this.engineRead(response, 'bodyUsed')) return undefined;
    const source = this.sources?.get(response) ?? body.source;
    return typeof source === 'string' || types.isUint8Array(source) ? source : undefined;
  }

  // A Response's `name` read by the engine's own getter, whatever its prototype.
  engineRead(response, name) {
    return Reflect.apply(Object.getOwnPropertyDescriptor(this.classes.Response.prototype, name).get, response, []);
  }

  // A new version of a file, evaluated apart (Registry.stage): while it links, it is the file's module here.
  async stage(file, cell, module = compiled(file, cell.code, () => this.makeModule(file, cell))) {
    this.staged = { file, cell, module };
    try {
      this.linkingEntry = file;
      return await this.ready(this.staged.module);
    } finally {
      this.staged = null;
    }
  }

  // The staged version takes the place of the file's module (modules that import it link afresh).
  install(file, module) {
    this.forget(file);
    this.modules.set(file, module);
  }

  // The evaluated module for a deployed file, linking its imports on first use (a version being staged is not it).
  load(file) {
    const module = this.moduleFor(file, false);
    if (module.status === 'unlinked' && this.registry.cells.get(file)?.entry) this.linkingEntry = file;
    return this.ready(module);
  }

  // The packages the cells reachable from `file` import (bare specifiers that are neither cells, built-ins
  // nor the framework's modules).
  packagesOf(file, seen = new Set()) {
    const found = new Set();
    if (seen.has(file)) return found;
    seen.add(file);
    for (const { specifier } of this.moduleFor(file).moduleRequests ?? []) { // a JSON module imports nothing
      const cell = this.registry.findCell(specifier, file, this.staged?.file);
      if (cell) for (const name of this.packagesOf(cell, seen)) found.add(name);
      else if (isPackage(specifier)) found.add(specifier);
    }
    return found;
  }

  // Bundles what the cells import with what was bundled before, as one build; modules linked to an older
  // bundle are linked afresh (so every cell sees one copy of each package).
  async preparePackages(wanted) {
    const known = this.layer?.specifiers ?? new Set();
    if ([...wanted].every((specifier) => known.has(specifier))) return;
    const specifiers = new Set([...known, ...wanted]);
    const facts = await this.registry.packages.bundle([...specifiers], this.runtime);
    if (this.layer) for (const file of this.layer.importers) this.forget(file);
    this.layer = new PackageLayer(this, specifiers, facts);
  }

  // Links and evaluates a module once, however many requests ask for it at the same moment.
  ready(module) {
    let pending = this.pending.get(module);
    if (!pending) {
      pending = (async () => {
        const cell = module.identifier === this.staged?.file || this.registry.cells.has(module.identifier);
        if (module.status === 'unlinked' && cell) {
          const wanted = this.packagesOf(module.identifier);
          if (wanted.size) await this.preparePackages(wanted);
        }
        if (module.status === 'unlinked') await module.link((specifier, referrer) => this.resolve(specifier, referrer));
        if (module.status === 'linked') await (this.slices ? this.slices.evaluate(this, module) : module.evaluate());
        if (module.status === 'errored') throw module.error;
        this.evaluated.add(module);
        return module;
      })();
      this.pending.set(module, pending);
    }
    return pending;
  }

  // The module of a file; `staged`: the version being staged, if it is that file's (as its own imports resolve it).
  moduleFor(file, staged = true) {
    if (staged && this.staged?.file === file) return this.staged.module;
    let module = this.modules.get(file);
    if (!module) {
      module = this.makeModule(file, this.registry.cells.get(file));
      this.modules.set(file, module);
    }
    return module;
  }

  makeModule(file, { code, json }) {
    return json === undefined ? this.sourceModule(file, code) : this.jsonModule(file, json);
  }

  sourceModule(file, code) {
    return compileModule(code, {
        identifier: file,
        context: this.context,
        initializeImportMeta: (meta) => {
          meta.url = pathToFileURL(path.join(this.registry.root, file)).href;
        },
        importModuleDynamically: (specifier, referrer) => this.importFromCode(specifier, referrer),
      });
  }

  // A JSON file imported as a module, as Next's bundler allows: its value is the default export, parsed
  // in this realm (an edge realm's objects are its own); a file that is not JSON fails the import.
  jsonModule(file, text) {
    let value;
    try {
      value = this.context ? vm.runInContext('JSON.parse', this.context)(text) : JSON.parse(text);
    } catch (error) {
      throw new BuildError(`Module parse failed: ${error.message}`, { file, name: 'SyntaxError' });
    }
    return new vm.SyntheticModule(['default'], function () {
      this.setExport('default', value);
    }, { identifier: file, context: this.context });
  }

  async importDynamic(specifier, referrer) {
    return this.ready(await this.resolve(specifier, referrer));
  }

  // An import() in the realm's code: V8 settles its promise in the realm's own queue, which only a slice runs.
  importFromCode(specifier, referrer) {
    const module = this.importDynamic(specifier, referrer);
    if (this.slices) module.finally(() => setImmediate(() => this.slices.drain(this))).catch(() => {});
    return module;
  }

  async resolve(specifier, referrer) {
    const from = referrer.identifier;
    const fromPackage = this.layer?.isChunk(referrer);
    if (fromPackage && specifier.startsWith('.')) return this.layer.sibling(specifier, referrer);
    if (specifier === REQUIRE_MODULE && fromPackage) return this.requireModule();
    const cell = fromPackage ? null : this.registry.findCell(specifier, from, this.staged?.file);
    if (cell) {
      if (!this.importers.has(cell)) this.importers.set(cell, new Set());
      this.importers.get(cell).add(from);
      return this.moduleFor(cell);
    }
    if (specifier in VIRTUAL_MODULES) return this.virtual(specifier);
    if (specifier === 'nbruntime/unsupported') return this.virtual(specifier, unsupportedSource);
    if (isPackage(specifier)) {
      await this.preparePackages(new Set([specifier]));
      if (!this.layer.has(specifier)) throw new BuildError(`Module not found: Can't resolve '${specifier}'`, { file: from });
      if (!fromPackage) this.layer.importers.add(from);
      return this.layer.entry(specifier);
    }
    const key = `builtin:${specifier}`;
    if (!this.modules.has(key)) this.modules.set(key, await this.external(specifier, from));
    return this.modules.get(key);
  }

  virtual(name, source = () => virtualSource(name)) {
    const key = `virtual:${name}`;
    if (!this.modules.has(key)) {
      this.modules.set(key, compileModule(source(), { identifier: name, context: this.context }));
    }
    return this.modules.get(key);
  }

  // require() for package code: Node's own, or on edge the built-ins Next offers there (package-realm.mjs).
  requireModule() {
    if (this.runtime !== 'edge') {
      if (!this.modules.has(REQUIRE_MODULE)) this.modules.set(REQUIRE_MODULE, nodeRequire(this.registry.packagesRoot));
      return this.modules.get(REQUIRE_MODULE);
    }
    return this.virtual(REQUIRE_MODULE, requireSource);
  }

  // A Node built-in: Node's own module on Node.js; on edge the subset Next offers, or for the others the
  // stand-in that throws when used (what middleware gets; an edge route importing one fails at build).
  async external(specifier, from) {
    const bare = specifier.replace(/^node:/, '');
    const notFound = new BuildError(`Module not found: Can't resolve '${specifier}'`, { file: from });
    if (!NODE_BUILTINS.has(bare) || specifier.startsWith('.') || specifier.startsWith('@/')) throw notFound;
    const namespace = await import(`node:${bare}`);
    if (this.runtime === 'edge' && !EDGE_NODE_MODULES.has(bare)) {
      return this.virtual(`nbruntime/unsupported/${bare}`, () => unsupportedModuleSource(bare, Object.keys(namespace)));
    }
    const exports = this.runtime === 'edge' ? edgeModuleExports(bare, namespace) : namespace;
    const names = Object.keys(exports);
    const realm = this;
    return new vm.SyntheticModule(names, function () {
      for (const name of names) this.setExport(name, realm.membrane ? realm.membrane.toRealm(exports[name]) : exports[name]);
    }, { identifier: specifier, context: this.context });
  }

  // Forgets a file and every module that imports it, directly or not, so they link afresh.
  forget(file) {
    if (!this.modules.delete(file)) return;
    for (const importer of this.importers.get(file) ?? []) this.forget(importer);
    this.importers.delete(file);
  }
}

export class Registry {
  constructor(root, env, realmGlobals = {}, packagesRoot = root) {
    this.root = root;
    this.packagesRoot = packagesRoot; // where node_modules are looked for (the notebook's project folder)
    this.packages = null; // bundles npm packages: set by the host (packages.mjs) and in edge isolates
    this.env = env;
    this.realmGlobals = realmGlobals;
    this.cells = new Map();
    this.nodeRealm = new Realm(this, undefined);
    this.edgeRealms = new Map();
    this.slices = null; // set with the edge runtime (edge-runtime.mjs): its realms' code runs in stoppable slices
    this.memoryLimit = Infinity; // each edge realm's memory limit, in bytes (set with the edge runtime)
    this.prepared = null; // a cell compiled ahead of its deploy (prepare)
    this.compiledAhead = null; // an edge entry's module compiled ahead of its deploy
  }

  // Compiles a cell and replaces the old one; entries are evaluated now, so errors show at deploy (`staging`: see stage).
  async deploy(file, source, runtime, entry, stripped = false, staging = undefined) {
    if (file.endsWith('.json') && !entry) { // a data file: a module only when imported (then parsed)
      this.replace(file, { json: source, runtime: 'json', entry: false });
      return { exports: [] };
    }
    const cell = { code: this.compile(file, source, stripped), runtime, entry };
    if (!entry) {
      compiled(file, cell.code); // a syntax error must not replace a working deployment
      this.replace(file, cell);
      return { exports: [] };
    }
    const module = await this.stage(file, cell, staging);
    return { exports: Object.keys(module.namespace) };
  }

  // The kernel sends a cell to compile while it checks it, then deploys it if the checks pass: the deploy takes what
  // was compiled (or the error found) for the same file and source. An edge entry is compiled in the realm it will run
  // in meanwhile (compileAhead).
  prepare({ file, source, runtime, entry, stripped }) {
    try {
      this.prepared = { file, source, code: stripped ? source : compileSource(file, source) };
    } catch (error) {
      this.prepared = { file, source, error };
      return;
    }
    if (entry && runtime === 'edge' && this.slices) this.compileAhead(file, this.prepared.code);
  }

  // A cell's code as JavaScript: `stripped`, the kernel blanked its types already (typestrip.py), else Node's stripper
  // does (which also finds the syntax errors).
  compile(file, source, stripped) {
    const { prepared } = this;
    this.prepared = null;
    if (stripped) return source;
    if (prepared?.file !== file || prepared.source !== source) return compileSource(file, source);
    if (prepared.error) throw prepared.error;
    return prepared.code;
  }

  // Evaluates a new version of an entry apart from the one requests use, then puts it in place: a request meanwhile is
  // answered by the old version, and a version that fails to evaluate (or whose `staging` is abandoned meanwhile)
  // never answers one. Resolves its module.
  async stage(file, cell, staging = { abandoned: false }) {
    const edge = cell.runtime === 'edge';
    const ahead = this.takeCompiledAhead(file, cell.code);
    const realm = ahead?.realm ?? (edge ? this.makeEdgeRealm(file) : this.nodeRealm);
    if (edge) realm.budgetMs = Infinity; // a top level that never ends is the deploy's timeout to report (app.py)
    const module = await realm.stage(file, cell, ahead?.module).finally(() => { realm.budgetMs = undefined; });
    await realm.importDynamic('next/server', { identifier: file }); // what its requests are built with
    if (staging.abandoned) return module;
    this.replace(file, cell);
    realm.install(file, module);
    if (edge) this.edgeRealms.set(file, realm);
    await this.frameworkOf(file, 'next/server'); // crossed once now, not at its first request
    return module;
  }

  undeploy(file) {
    this.replace(file, undefined);
  }

  // A cell changed (or went): modules and realms that used it are made afresh when next needed.
  replace(file, cell) {
    if (cell) this.cells.set(file, cell);
    else this.cells.delete(file);
    this.nodeRealm.forget(file);
    for (const [name, realm] of this.edgeRealms) {
      if (name === file || realm.modules.has(file)) this.edgeRealms.delete(name);
    }
  }

  realmFor(entry) {
    if (this.cells.get(entry).runtime !== 'edge') return this.nodeRealm;
    if (!this.edgeRealms.has(entry)) this.edgeRealms.set(entry, this.makeEdgeRealm(entry));
    return this.edgeRealms.get(entry);
  }

  // While the kernel checks an edge entry's new version: its code is compiled (parsed by V8, not
  // run) in the realm that will run it, so the deploy that follows only evaluates it. A deploy of other code, or none,
  // leaves the realm unused: it becomes the spare again.
  compileAhead(file, code) {
    this.takeCompiledAhead();
    const realm = this.makeEdgeRealm(file);
    try {
      this.compiledAhead = { file, code, realm, module: realm.makeModule(file, { code }) };
    } catch {
      this.spareRealm ??= realm; // the deploy compiles it again, and says where the error is
    }
  }

  // What was compiled ahead for this file and code, if it was; anything else compiled ahead is let go.
  takeCompiledAhead(file, code) {
    const ahead = this.compiledAhead;
    this.compiledAhead = null;
    if (!ahead) return null;
    if (ahead.file === file && ahead.code === code) return ahead;
    this.spareRealm ??= ahead.realm;
    return null;
  }

  // A realm for an entry: the one made ahead if there is one (a deploy then costs what evaluating the cell costs).
  makeEdgeRealm(entry) {
    const realm = this.spareRealm ?? this.newEdgeRealm();
    this.spareRealm = null;
    realm.entry = entry;
    this.prepareSpareRealm(SPARE_DELAY_MS);
    return realm;
  }

  newEdgeRealm() {
    const { context, membrane, classes } = createEdgeContext(this.env);
    for (const key of Reflect.ownKeys(this.realmGlobals)) context[key] = membrane.toRealm(this.realmGlobals[key]);
    return new Realm(this, context, membrane, null, classes);
  }

  // Most of a realm's cost is V8 making its context and evaluating next/server in it: the next one is made ahead, once
  // the host has been quiet for `delay` ms (the requests that follow a deploy put it off: postponeSpareRealm).
  prepareSpareRealm(delay = 0) {
    if (!this.slices) return;
    clearTimeout(this.spareTimer);
    this.spareTimer = setTimeout(() => {
      this.spareTimer = null;
      if (this.spareRealm) return; // (one compiled ahead, then not used, came back)
      this.spareRealm = this.newEdgeRealm(); // taken as it is if a deploy comes before next/server is in it
      this.spareRealm.importDynamic('next/server', { identifier: 'middleware.ts' }).catch(() => {});
    }, delay).unref();
  }

  // A request began or ended: a realm to be made ahead waits until the host is quiet again.
  postponeSpareRealm() {
    this.spareTimer?.refresh();
  }

  // The env changed: a realm copies it when it is made, so those made ahead are not fit any more.
  discardSpareRealm() {
    this.spareRealm = null;
    this.compiledAhead = null;
    this.prepareSpareRealm(SPARE_DELAY_MS);
  }

  // An entry's exports, as host code may use them (crossed, for an edge entry).
  async exportsOf(entry) {
    const realm = this.realmFor(entry);
    return realm.exportsOf((await realm.load(entry)).namespace);
  }

  // The same at once, without a promise, when the entry's module is evaluated (as for every request after its first);
  // else null.
  evaluatedExportsOf(entry) {
    const realm = this.realmFor(entry);
    const module = realm.modules.get(entry);
    return module && realm.evaluated.has(module) ? realm.exportsOf(module.namespace) : null;
  }

  // A framework module (next/server, ...) of the entry's realm, to build its requests with: a promise of its exports.
  async frameworkOf(entry, name) {
    const realm = this.realmFor(entry);
    return realm.frameworks.get(name) ?? realm.importDynamic(name, { identifier: entry }).then((module) => {
      const exports = realm.exportsOf(module.namespace);
      realm.frameworks.set(name, exports);
      return exports;
    });
  }

  // The framework module's exports once loaded (each request uses them at once: an await of them would cost it a turn
  // of the microtask queue), else undefined.
  loadedFramework(entry, name) {
    return this.realmFor(entry).frameworks.get(name);
  }

  // The deployed cell an import names, as a bundler would resolve it ('./x', '../x', '@/x': the root, or src/ for a
  // file under src/, as create-next-app's tsconfig paths say); `also`: a file being deployed, not in place yet.
  findCell(specifier, from, also = null) {
    let base;
    if (specifier.startsWith('@/')) base = (from.startsWith('src/') ? 'src/' : '') + specifier.slice(2);
    else if (specifier.startsWith('.')) base = path.posix.join(path.posix.dirname(from), specifier);
    else return null;
    for (const extension of EXTENSIONS) {
      if (this.cells.has(base + extension) || base + extension === also) return base + extension;
    }
    return null;
  }
}

// A bare import of an npm package (not a cell, a Node built-in, a framework module or an nbruntime one).
function isPackage(specifier) {
  return !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('@/') && !isBuiltin(specifier)
    && !(specifier in VIRTUAL_MODULES) && specifier !== 'next' && !specifier.startsWith('next/') && !specifier.startsWith('nbruntime/');
}
