// Next.js's own error pages (404 and 500), as `next start` sends them: same status, title and headers.
const TITLES = {
  404: '404: This page could not be found.',
  500: '500: Internal Server Error',
};

export function errorPage(status) {
  const title = TITLES[status];
  const [code, text] = title.split(': ');
  const html = `<!DOCTYPE html><html><head><meta charSet="utf-8"/><title>${title}</title></head>` +
    `<body><div><h1>${code}</h1><h2>${text}</h2></div></body></html>`;
  return new Response(html, {
    status,
    headers: {
      'cache-control': 'private, no-cache, no-store, max-age=0, must-revalidate',
      'content-type': 'text/html; charset=utf-8',
      'vary': 'Accept-Encoding',
      'x-powered-by': 'Next.js',
      'content-length': String(Buffer.byteLength(html)),
    },
  });
}
