// A realm's npm packages: the chunks of its bundle (packages.mjs) as ES modules evaluated inside that realm,
// so package code on edge runs in the entry's sandbox with its globals, as in the entry's webpack bundle.
// Also what the bundle leaves outside: require() for package code, and on edge the stand-in Next gives a
// Node built-in it does not support (it loads, and throws when used).
import vm from 'node:vm';
import path from 'node:path';
import { createRequire } from 'node:module';
import { table } from './compat.mjs';
import { compileModule } from './source-module.mjs';

export class PackageLayer {
  constructor(realm, specifiers, facts) {
    Object.assign(this, { realm, specifiers, facts });
    this.modules = new Map(); // chunk name or 'interop:'+specifier → module
    this.names = new WeakMap(); // chunk module → its name
    this.importers = new Set(); // the cells that import its packages (linked afresh when the bundle grows)
  }

  has(specifier) {
    return specifier in this.facts.entries && !this.facts.missing.includes(specifier);
  }

  isChunk(module) {
    return this.names.has(module);
  }

  chunk(name) {
    let module = this.modules.get(name);
    if (!module) {
      const { realm } = this;
      const { root } = realm.registry;
      const owner = realm.linkingEntry ?? '';
      module = compileModule(this.facts.files[name], {
        identifier: `node_modules/.nbruntime/${realm.runtime}/${name}`,
        context: realm.context,
        initializeImportMeta(meta) {
          // Next's server chunks run from .next/server: __dirname is the folder of the entry that loaded the code
          const dirname = path.join(root, '.next', 'server', path.dirname(owner));
          Object.assign(meta, { url: `file://${path.join(dirname, name)}` });
          if (!realm.context) Object.assign(meta, { dirname, filename: path.join(dirname, `${path.basename(owner, path.extname(owner))}.js`) });
        },
        importModuleDynamically: (specifier, referrer) => realm.importFromCode(specifier, referrer),
      });
      this.modules.set(name, module);
      this.names.set(module, name);
    }
    return module;
  }

  // What a chunk's relative import names: another chunk of the same bundle.
  sibling(specifier, referrer) {
    return this.chunk(path.posix.join(path.posix.dirname(this.names.get(referrer)), specifier));
  }

  // The module a bare specifier gives: its entry chunk; a CommonJS package gets webpack's interop, its
  // properties as named exports and `default` its exports (or exports.default when marked __esModule).
  async entry(specifier) {
    const module = this.chunk(this.facts.entries[specifier]);
    if (!this.facts.cjs[specifier]) return module;
    const key = `interop:${specifier}`;
    if (!this.modules.has(key)) {
      await this.realm.ready(module);
      const value = module.namespace.default;
      const object = value !== null && (typeof value === 'object' || typeof value === 'function');
      const names = new Set(object ? Object.keys(value) : []);
      names.delete('default');
      const fallback = object && value.__esModule ? value.default : value;
      this.modules.set(key, new vm.SyntheticModule([...names, 'default'], function () {
        for (const name of names) this.setExport(name, value[name]);
        this.setExport('default', fallback);
      }, { identifier: specifier, context: this.realm.context }));
    }
    return this.modules.get(key);
  }
}

// The module-scope `require` of package chunks on edge: the built-ins Next offers, and the throwing stand-in
// for the others (only middleware gets that far: next build fails an edge route). Node.js: nodeRequire.
export function requireSource() {
  const allowed = Object.keys(table.edge_node_modules);
  return [
    ...allowed.map((name, index) => `import * as m${index} from 'node:${name}';`),
    "import { unsupported } from 'nbruntime/unsupported';",
    `const modules = { ${allowed.map((name, index) => `'${name}': m${index}`).join(', ')} };`,
    'export function require(name) {',
    "  const bare = String(name).replace(/^node:/, '');",
    '  if (bare in modules) return modules[bare].default;',
    '  return unsupported(bare);',
    '}',
  ].join('\n');
}

export function nodeRequire(root) {
  const require = createRequire(path.join(root, 'package.json'));
  return new vm.SyntheticModule(['require'], function () {
    this.setExport('require', require);
  }, { identifier: 'nbruntime/require' });
}

// Next's stand-in for a Node built-in that edge code imports: typeof is 'function'; reading a member,
// calling or constructing it throws "The edge runtime does not support Node.js '<name>' module.".
export function unsupportedSource() {
  const message = table.rules['node-module-loaded'].thrown;
  return `const MESSAGE = ${JSON.stringify(message)};
export function unsupported(name) {
  const fail = () => { throw new Error(MESSAGE.replaceAll('{api}', name)); };
  const proxy = new Proxy(function () {}, {
    get(_target, property) { if (property === 'then') return {}; return fail(); },
    construct: fail,
    apply(_target, _this, args) { if (typeof args[0] === 'function') return args[0](proxy); return fail(); },
  });
  return proxy;
}`;
}

// The module an edge import of an unsupported built-in gets: every export name of Node's module is the stand-in.
export function unsupportedModuleSource(name, exportNames) {
  const names = exportNames.filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
  return `import { unsupported } from 'nbruntime/unsupported';
const stand = unsupported(${JSON.stringify(name)});
export default stand;
${names.length ? `export { ${names.map((n) => `stand as ${n}`).join(', ')} };` : ''}`;
}
