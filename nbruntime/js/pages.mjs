// Next.js's own error pages, as `next start` sends them: same status, title, headers and byte
// length (recorded), so even a HEAD answer matches. Our markup is minimal and padded to that length;
// `vary: Accept-Encoding` comes from the compression step.
import { HeaderList } from './header-list.mjs';

const NO_STORE = 'private, no-cache, no-store, max-age=0, must-revalidate';
const RSC_VARY = 'rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch';

const PAGES = {
  // 15.5: the Pages Router error page (no final period in the 404 title).
  15: {
    400: { title: '400: Bad Request', bytes: 2022 },
    404: { title: '404: This page could not be found', bytes: 2021 },
    500: { title: '500: Internal Server Error', bytes: 2140 },
  },
  // 16: the App Router not-found page, prerendered (hence the x-nextjs-* cache headers).
  16: {
    404: {
      title: '404: This page could not be found.',
      bytes: 6879,
      headers: { vary: RSC_VARY, 'x-nextjs-cache': 'HIT', 'x-nextjs-prerender': '1, 1', 'x-nextjs-stale-time': '300' },
    },
    500: { title: '500: Internal Server Error', bytes: 2140 },
  },
};

function html(title, bytes) {
  const [code, text] = title.split(': ');
  const page = `<!DOCTYPE html><html><head><meta charSet="utf-8"/><title>${title}</title></head>` +
    `<body><div><h1>${code}</h1><h2>${text.replace(/\.?$/, '.')}</h2></div></body></html>`;
  const note = '<!-- nbruntime: padded to the length next start sends -->';
  return page + note + ' '.repeat(Math.max(0, bytes - Buffer.byteLength(page + note)));
}

// A 404 for a path that Next's file-system check found but no route answers comes from the render rather than
// the router: 15's without the router's no-store, 16's as the prerendered page it is (recorded: unicode-folders).
const FOUND_CACHE_CONTROL = { 15: null, 16: 's-maxage=31536000' };

export function errorPage(status, next = '15', { found = false } = {}) {
  const major = String(next).startsWith('16') ? 16 : 15;
  const { title, bytes, headers = {} } = PAGES[major][status];
  const body = html(title, bytes);
  const cacheControl = found ? FOUND_CACHE_CONTROL[major] : NO_STORE;
  return {
    status,
    headers: new HeaderList({
      ...(cacheControl && { 'cache-control': cacheControl }),
      'content-type': 'text/html; charset=utf-8',
      ...headers,
      'x-powered-by': 'Next.js',
      'content-length': String(Buffer.byteLength(body)),
    }),
    body,
  };
}

// Next 16 answers an uncaught throw in middleware, the proxy or an edge route with a bare text 500.
export function plainServerError() {
  const body = 'Internal Server Error';
  return {
    status: 500,
    headers: new HeaderList({ 'cache-control': NO_STORE, 'content-type': 'text/plain', 'content-length': String(body.length) }),
    body,
  };
}
