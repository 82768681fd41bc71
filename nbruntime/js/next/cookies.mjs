// Cookie jars over Headers, as Next.js exposes them: `request.cookies` reads the Cookie header,
// `response.cookies` reads and writes Set-Cookie. Evaluated inside each realm (no imports).

// "a=1; b=2" → Map; a pair without "=" counts as "true", undecodable values are skipped (as Next does).
export function parseCookieHeader(header) {
  const found = new Map();
  for (const pair of (header ?? '').split(/; */)) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    if (at === -1) {
      found.set(pair, 'true');
      continue;
    }
    try {
      found.set(pair.slice(0, at), decodeURIComponent(pair.slice(at + 1)));
    } catch {
      // a malformed %-escape: Next drops the cookie
    }
  }
  return found;
}

// One Set-Cookie line → { name, value, ...attributes } (attribute names as NextResponse.cookies uses them).
export function parseSetCookie(line) {
  const [pair, ...attributes] = line.split(';');
  const at = pair.indexOf('=');
  const cookie = { name: pair.slice(0, at).trim(), value: safeDecode(pair.slice(at + 1).trim()) };
  for (const attribute of attributes) {
    const [key, ...rest] = attribute.split('=');
    const value = rest.join('=').trim();
    switch (key.trim().toLowerCase()) {
      case 'path': cookie.path = value; break;
      case 'domain': cookie.domain = value; break;
      case 'expires': cookie.expires = new Date(value); break;
      case 'max-age': cookie.maxAge = Number(value); break;
      case 'secure': cookie.secure = true; break;
      case 'httponly': cookie.httpOnly = true; break;
      case 'samesite': cookie.sameSite = value.toLowerCase(); break;
      case 'partitioned': cookie.partitioned = true; break;
      case 'priority': cookie.priority = value.toLowerCase(); break;
    }
  }
  return cookie;
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// The Set-Cookie line for a cookie: attributes in the order Next writes them.
export function serializeCookie(cookie) {
  const parts = [`${cookie.name}=${encodeURIComponent(cookie.value ?? '')}`];
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires || cookie.expires === 0) {
    parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  }
  if (typeof cookie.maxAge === 'number') parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite === true ? 'strict' : cookie.sameSite}`);
  if (cookie.partitioned) parts.push('Partitioned');
  if (cookie.priority) parts.push(`Priority=${cookie.priority}`);
  return parts.join('; ');
}

// set(name, value, options) | set({ name, value, ...options }) → one cookie object.
// get('a') and get({ name: 'a' }) ask for the same cookie.
function nameOf(args) {
  return typeof args[0] === 'string' ? args[0] : args[0]?.name;
}

function cookieFrom(args) {
  const [first, value, options] = args;
  return typeof first === 'string' ? { ...options, name: first, value } : { ...first };
}

export class RequestCookies {
  #headers;
  #map;

  constructor(headers) {
    this.#headers = headers;
    this.#map = parseCookieHeader(headers.get('cookie'));
  }

  get size() {
    return this.#map.size;
  }

  get(...args) {
    const name = nameOf(args);
    return this.#map.has(name) ? { name, value: this.#map.get(name) } : undefined;
  }

  getAll(...args) {
    const all = [...this.#map].map(([name, value]) => ({ name, value }));
    if (!args.length) return all;
    const name = nameOf(args);
    return all.filter((cookie) => cookie.name === name);
  }

  has(name) {
    return this.#map.has(name);
  }

  set(...args) {
    const { name, value } = cookieFrom(args);
    this.#map.set(name, value);
    this.#write();
    return this;
  }

  delete(names) {
    const result = Array.isArray(names) ? names.map((name) => this.#map.delete(name)) : this.#map.delete(names);
    this.#write();
    return result;
  }

  clear() {
    this.delete([...this.#map.keys()]);
    return this;
  }

  #write() {
    this.#headers.set('cookie', this.toString());
  }

  [Symbol.iterator]() {
    return this.#map[Symbol.iterator]();
  }

  toString() {
    return [...this.#map].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('; ');
  }

  [Symbol.for('edge-runtime.inspect.custom')]() {
    return `RequestCookies ${JSON.stringify(Object.fromEntries(this.#map))}`;
  }
}

export class ResponseCookies {
  #headers;
  #map = new Map();

  constructor(headers) {
    this.#headers = headers;
    // (Most responses have none: then no list is made, which in an edge realm would cross the wall, with its iterator.)
    if (!headers.has('set-cookie')) return;
    for (const line of headers.getSetCookie()) {
      const cookie = parseSetCookie(line);
      this.#map.set(cookie.name, cookie);
    }
  }

  get(...args) {
    const name = nameOf(args);
    return this.#map.get(name);
  }

  getAll(...args) {
    const all = [...this.#map.values()];
    if (!args.length) return all;
    const name = nameOf(args);
    return all.filter((cookie) => cookie.name === name);
  }

  has(name) {
    return this.#map.has(name);
  }

  // Max-Age also gives Expires, and Path defaults to "/", as in Next.
  set(...args) {
    const cookie = cookieFrom(args);
    if (cookie.maxAge) cookie.expires = new Date(Date.now() + cookie.maxAge * 1000);
    if (cookie.path === undefined || cookie.path === null) cookie.path = '/';
    this.#map.set(cookie.name, cookie);
    this.#write();
    return this;
  }

  delete(...args) {
    const [first] = args;
    const options = typeof first === 'string' ? { name: first } : first;
    return this.set({ ...options, value: '', expires: new Date(0) });
  }

  #write() {
    this.#headers.delete('set-cookie');
    for (const cookie of this.#map.values()) this.#headers.append('set-cookie', serializeCookie(cookie));
  }

  toString() {
    return [...this.#map.values()].map(serializeCookie).join('; ');
  }
}
