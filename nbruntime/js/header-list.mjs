// The headers the pipeline carries (the request's, those gathered for the response): fetch's Headers as undici keeps
// them, without undici. Node's own undici takes about 30 ms to load, on the path of an edge-only app's first request,
// and its Headers validate every name and value in several layers on every call; the names and values that reach the
// pipeline were checked already (by the kernel, or by the Headers of the Response they came from).
//
// The semantics are fetch's: names are case-insensitive and listed lower-case, a value is trimmed of HTTP whitespace,
// a repeated header's values are joined with ", " (set-cookie lines stay apart), and iteration is sorted by name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const WHITESPACE_ENDS = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const EDGE_SPACE = /^[\t\n\r ]|[\t\n\r ]$/;
const INVALID_VALUE = /[\0\n\r]|[^\x00-\xff]/;

export class HeaderList {
  #values = new Map(); // lower-case name → value (set-cookie: its lines, in order)
  #sorted = null; // the [name, value] pairs iteration gives, made on first use after a change

  // `init`: pairs, a Headers (or a HeaderList), or a record of names to values.
  constructor(init = undefined) {
    if (init === undefined) return;
    if (init === null || typeof init !== 'object') throw new TypeError('Headers constructor: expected pairs, a Headers or a record');
    if (typeof init[Symbol.iterator] === 'function') {
      for (const [name, value] of init) this.append(name, value);
    } else {
      for (const name of Object.keys(init)) this.append(name, init[name]);
    }
  }

  append(name, value) {
    const key = checkedName('append', name);
    const line = checkedValue('append', value);
    const values = this.#values;
    if (key === 'set-cookie') values.set(key, [...(values.get(key) ?? []), line]);
    else values.set(key, values.has(key) ? `${values.get(key)}, ${line}` : line);
    this.#sorted = null;
  }

  set(name, value) {
    const key = checkedName('set', name);
    const line = checkedValue('set', value);
    this.#values.set(key, key === 'set-cookie' ? [line] : line);
    this.#sorted = null;
  }

  delete(name) {
    if (this.#values.delete(checkedName('delete', name))) this.#sorted = null;
  }

  get(name) {
    const value = this.#values.get(checkedName('get', name));
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name) {
    return this.#values.has(checkedName('has', name));
  }

  getSetCookie() {
    return [...(this.#values.get('set-cookie') ?? [])];
  }

  forEach(callback, thisArg = undefined) {
    for (const [name, value] of this.#pairs()) Reflect.apply(callback, thisArg, [value, name, this]);
  }

  keys() {
    return this.#pairs().map(([name]) => name)[Symbol.iterator]();
  }

  values() {
    return this.#pairs().map(([, value]) => value)[Symbol.iterator]();
  }

  // (The pairs are the list's own, kept until it changes: to be read, not changed.)
  entries() {
    return this.#pairs()[Symbol.iterator]();
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  #pairs() {
    if (this.#sorted === null) {
      const pairs = [];
      for (const name of [...this.#values.keys()].sort()) {
        const value = this.#values.get(name);
        if (Array.isArray(value)) for (const line of value) pairs.push([name, line]);
        else pairs.push([name, value]);
      }
      this.#sorted = pairs;
    }
    return this.#sorted;
  }
}

// Names seen before, checked and lower-cased: most requests carry the same few (a bounded cache, so that a flood of
// made-up names cannot grow it without end).
const NAMES = new Map();
const NAMES_KEPT = 512;

function checkedName(method, name) {
  const known = NAMES.get(name);
  if (known !== undefined) return known;
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Headers.${method}: "${text}" is an invalid header name.`);
  const key = text.toLowerCase();
  if (typeof name === 'string' && NAMES.size < NAMES_KEPT) NAMES.set(name, key);
  return key;
}

function checkedValue(method, value) {
  let text = String(value);
  if (EDGE_SPACE.test(text)) text = text.replace(WHITESPACE_ENDS, '');
  if (INVALID_VALUE.test(text)) throw new TypeError(`Headers.${method}: "${text}" is an invalid header value.`);
  return text;
}
