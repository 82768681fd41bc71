// `next/cache` as Next.js gives it to route handlers and middleware. Evaluated inside each realm; the
// caches are the server's, reached through the scope of the request (or of the static generation).
const scope = () => globalThis[Symbol.for('@next/request-context')]?.get();
const RENDERING = 'https://nextjs.org/docs/app/building-your-application/rendering';

// The request (or generation) that may revalidate: not while a static copy is being made.
function revalidating(expression) {
  const current = scope();
  if (!current) throw new Error(`Invariant: static generation store missing in ${expression}`);
  if (current.generation) {
    throw new Error(`Route ${current.generation.route} used "${expression}" during render which is unsupported. ` +
      `To ensure revalidation is performed consistently it must always happen outside of renders and cached functions. See more info here: ${RENDERING}`);
  }
  return current;
}

export function revalidatePath(originalPath, type) {
  if (typeof originalPath !== 'string' || !originalPath) throw new Error('revalidatePath expects a path');
  revalidating(`revalidatePath ${originalPath}`).revalidate({ path: originalPath, type });
}

// 15: the tag's entries are made afresh on the next request. 16 asks for a cache-life profile and lets
// the next request have the stale copy while a fresh one is made (recorded in cache-on-demand); without one it
// warns, and does what 15 does.
export function revalidateTag(tag, profile) {
  const current = revalidating(`revalidateTag ${tag}`);
  if (profile === undefined && String(current.next).startsWith('16')) {
    console.warn('"revalidateTag" without the second argument is now deprecated, add second argument of "max" or use '
      + '"updateTag". See more info here: https://nextjs.org/docs/messages/revalidate-tag-single-arg');
  }
  current.revalidate({ tag, stale: profile !== undefined });
}

// Next 16's updateTag and refresh belong to Server Actions: a route handler or middleware that calls them fails
// (recorded: conformance16/cache-apis-16).
export function updateTag() {
  throw new Error('updateTag can only be called from within a Server Action. To invalidate cache tags in Route Handlers '
    + 'or other contexts, use revalidateTag instead. See more info here: https://nextjs.org/docs/app/api-reference/functions/updateTag');
}

export function refresh() {
  throw new Error('refresh can only be called from within a Server Action. See more info here: '
    + 'https://nextjs.org/docs/app/api-reference/functions/refresh');
}

// 16's io(): a request waits for nothing without cacheComponents, and a static copy stays static.
export async function io() {}

export const unstable_expirePath = revalidatePath;
export const unstable_expireTag = (...tags) => tags.flat().forEach((tag) => revalidateTag(tag));

export function unstable_noStore() {
  scope()?.generation?.used('unstable_noStore()');
}

// Calls go through the data cache under a key made of the function, its key parts and its arguments;
// values are kept as JSON, as Next keeps them.
export function unstable_cache(callback, keyParts, options = {}) {
  if (options.revalidate === 0) {
    throw new Error(`Invariant revalidate: 0 can not be passed to unstable_cache(), must be "false" or "> 0" ${callback.toString()}`);
  }
  const tags = options.tags ?? [];
  const fixed = `${callback.toString()}-${Array.isArray(keyParts) && keyParts.join(',')}`;
  return async (...args) => {
    const current = scope();
    if (!current?.caches) return callback(...args);
    current.generation?.lower(options.revalidate);
    for (const tag of tags) current.generation?.tags.add(tag);
    const waitForFresh = Boolean(current.generation) && String(current.next).startsWith('16');
    return current.caches.call(`${fixed}-${JSON.stringify(args)}`, () => callback(...args),
      { revalidate: options.revalidate ?? false, tags, waitForFresh });
  };
}

function useCacheOnly(name) {
  return () => {
    throw new Error(`${name}() works inside "use cache" functions, which need the cacheComponents option: nbruntime does not emulate them`);
  };
}

export const unstable_cacheLife = useCacheOnly('cacheLife');
export const unstable_cacheTag = useCacheOnly('cacheTag');
export const cacheLife = unstable_cacheLife;
export const cacheTag = unstable_cacheTag;
