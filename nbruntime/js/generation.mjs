// Static generation of a route handler's GET, as Next does it at build and when it regenerates a stale copy:
// what the handler sees of its request depends on the route's `dynamic`, and reading request data either
// gets empty values (force-static), fails the build (error) or makes the route dynamic (auto).
// Messages are Next 15.5's (server/route-modules/app-route/module.js, server/request/*.js).

const DYNAMIC_SERVER_ERROR = 'https://nextjs.org/docs/messages/dynamic-server-error';
const STATIC_AND_DYNAMIC = 'https://nextjs.org/docs/app/building-your-application/rendering/static-and-dynamic#dynamic-rendering';
// Request members that are request data; reading one during static generation is dynamic usage.
const REQUEST_DATA = new Set(['headers', 'cookies', 'url', 'body', 'blob', 'json', 'text', 'arrayBuffer', 'formData']);
const URL_DATA = new Set(['search', 'searchParams', 'url', 'href', 'toJSON', 'toString', 'origin']);
export const INFINITE = 0xfffffffe; // Next's INFINITE_CACHE: "revalidate = false"

// The route "needs a request": it cannot be generated statically (the route becomes dynamic).
export class DynamicServerError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DynamicServerError';
    this.digest = 'DYNAMIC_SERVER_USAGE';
  }
}

// `dynamic = 'error'` and the route needed a request: the build fails.
export class StaticGenBailoutError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StaticGenBailoutError';
  }
}

// One static generation: the route's mode, and what the handler's run collected (revalidate, tags).
export class Generation {
  // route: the route's path as Next names it ('/api/x', '/posts/[id]'); phase: 'build' | 'server'.
  constructor({ route, dynamic, revalidate, phase }) {
    Object.assign(this, { route, dynamic: dynamic ?? 'auto', phase });
    this.revalidate = revalidate === false || revalidate === undefined || revalidate === null ? INFINITE : revalidate;
    this.tags = new Set();
  }

  get forceStatic() {
    return this.dynamic === 'force-static';
  }

  // A dynamic API was used (`headers`, `unstable_noStore()`, ...): throws what Next throws for this mode
  // (force-static lets it pass: the API gives empty values instead).
  used(expression) {
    if (this.forceStatic) return;
    if (this.dynamic === 'error') {
      throw new StaticGenBailoutError(`Route ${this.route} with \`dynamic = "error"\` couldn't be rendered statically because it used \`${expression}\`. See more info here: ${STATIC_AND_DYNAMIC}`);
    }
    this.revalidate = 0;
    throw new DynamicServerError(`Route ${this.route} couldn't be rendered statically because it used \`${expression}\`. See more info here: ${DYNAMIC_SERVER_ERROR}`);
  }

  // A revalidate time met on the way (unstable_cache, fetch): the route revalidates at the soonest.
  lower(seconds) {
    if (typeof seconds === 'number' && seconds < this.revalidate) this.revalidate = seconds;
  }

  // The request the handler gets: emptied (force-static), refusing (error) or tracking (auto).
  request(request) {
    if (this.forceStatic) return emptied(request);
    if (this.dynamic === 'error') return refusing(request);
    return tracking(request, this);
  }
}

// force-static: no headers, no cookies, no query; the URL without its search.
function emptied(request) {
  const { Headers: RealmHeaders } = globalThis;
  const headers = new RealmHeaders();
  const cookies = new (Object.getPrototypeOf(request.cookies).constructor)(headers);
  let nextUrl;
  return new Proxy(request, {
    get(target, property) {
      switch (property) {
        case 'headers': return headers;
        case 'cookies': return cookies;
        case 'nextUrl': return (nextUrl ??= withoutSearch(target.nextUrl));
        case 'url': return (nextUrl ??= withoutSearch(target.nextUrl)).href;
        case 'geo': case 'ip': return undefined;
        default: return member(target, property);
      }
    },
  });
}

function withoutSearch(nextUrl) {
  const clean = nextUrl.clone();
  clean.search = '';
  clean.hash = '';
  return clean;
}

// dynamic = 'error': reading request data is a build error naming what was read.
function refusing(request) {
  const refuse = (what, pathname) => {
    throw new StaticGenBailoutError(`Route ${pathname} with \`dynamic = "error"\` couldn't be rendered statically because it used \`${what}\`.`);
  };
  const nextUrl = new Proxy(request.nextUrl, {
    get(target, property) {
      if (URL_DATA.has(property)) refuse(`nextUrl.${property}`, target.pathname);
      return member(target, property);
    },
  });
  return new Proxy(request, {
    get(target, property) {
      if (property === 'nextUrl') return nextUrl;
      if (REQUEST_DATA.has(property)) refuse(`request.${property}`, target.nextUrl.pathname);
      return member(target, property);
    },
  });
}

// auto: reading request data means the route is dynamic after all (the generation stops).
function tracking(request, generation) {
  const nextUrl = new Proxy(request.nextUrl, {
    get(target, property) {
      if (URL_DATA.has(property)) generation.used(`nextUrl.${property}`);
      return member(target, property);
    },
  });
  return new Proxy(request, {
    get(target, property) {
      if (property === 'nextUrl') return nextUrl;
      if (REQUEST_DATA.has(property)) generation.used(`request.${property}`);
      return member(target, property);
    },
  });
}

// A member read through the proxy, methods bound to the real object (their internal slots live there).
function member(target, property) {
  const value = Reflect.get(target, property, target);
  return typeof value === 'function' ? value.bind(target) : value;
}

// Whether an error thrown by a generation means "dynamic after all" rather than a failure.
export function isDynamicUsage(error) {
  return error?.digest === 'DYNAMIC_SERVER_USAGE';
}
