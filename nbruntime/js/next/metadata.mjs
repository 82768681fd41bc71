// Metadata files (app/robots.ts, app/manifest.ts, app/**/sitemap.ts) as the route handlers Next's build makes of
// them: a GET that calls the file's default export and writes what it returns as robots.txt, a sitemap's XML or
// the manifest's JSON. Evaluated in the route's own realm, so the data is read where the file made it (a Date of
// an edge realm is a Date there). Recorded on 15 and 16 in tests/conformance*/metadata-routes.

const CONTENT_TYPES = { robots: 'text/plain', sitemap: 'application/xml', manifest: 'application/manifest+json' };
const CACHE_CONTROL = 'public, max-age=0, must-revalidate';
const asList = (value) => (Array.isArray(value) ? value : [value]);

// robots.txt: a group of lines per rule, then the host and the sitemaps. 16 also writes a rule's `other` directives.
function robotsText(data, next) {
  let text = '';
  for (const rule of asList(data.rules)) {
    for (const agent of asList(rule.userAgent || ['*'])) text += `User-Agent: ${agent}\n`;
    if (rule.allow) for (const path of asList(rule.allow)) text += `Allow: ${path}\n`;
    if (rule.disallow) for (const path of asList(rule.disallow)) text += `Disallow: ${path}\n`;
    if (rule.crawlDelay) text += `Crawl-delay: ${rule.crawlDelay}\n`;
    if (next.startsWith('16') && rule.other) {
      for (const [name, value] of Object.entries(rule.other)) {
        if (value != null) for (const item of asList(value)) text += `${name}: ${item}\n`;
      }
    }
    text += '\n';
  }
  if (data.host) text += `Host: ${data.host}\n`;
  if (data.sitemap) for (const url of asList(data.sitemap)) text += `Sitemap: ${url}\n`;
  return text;
}

// A video's lines: the three Next always writes, then each optional field that is set (written as given, unescaped).
const VIDEO_FIELDS = ['content_loc', 'player_loc', 'duration', 'view_count', 'tag', 'rating', 'expiration_date',
  'publication_date', 'family_friendly', 'requires_subscription', 'live'];

function videoLines(video) {
  const lines = ['<video:video>', `<video:title>${video.title}</video:title>`,
    `<video:thumbnail_loc>${video.thumbnail_loc}</video:thumbnail_loc>`,
    `<video:description>${video.description}</video:description>`];
  for (const field of VIDEO_FIELDS) if (video[field]) lines.push(`<video:${field}>${video[field]}</video:${field}>`);
  for (const field of ['restriction', 'platform']) {
    const value = video[field];
    if (value) lines.push(`<video:${field} relationship="${value.relationship}">${value.content}</video:${field}>`);
  }
  // Next writes the uploader's `info` attribute from `info && ...`: an absent one comes out as the word itself.
  if (video.uploader) lines.push(`<video:uploader${video.uploader.info && ` info="${video.uploader.info}"`}>${video.uploader.content}</video:uploader>`);
  lines.push('</video:video>\n');
  return lines.join('\n');
}

// The sitemap's XML; the namespaces a field needs are declared when any entry uses it. Values are written as given.
function sitemapXml(entries) {
  const uses = (read) => entries.some(read);
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"';
  if (uses((entry) => entry.images?.length)) xml += ' xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"';
  if (uses((entry) => entry.videos?.length)) xml += ' xmlns:video="http://www.google.com/schemas/sitemap-video/1.1"';
  xml += uses((entry) => Object.keys(entry.alternates ?? {}).length > 0) ? ' xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' : '>\n';
  for (const entry of entries) {
    xml += `<url>\n<loc>${entry.url}</loc>\n`;
    const languages = entry.alternates?.languages ?? {};
    for (const language in languages) {
      xml += `<xhtml:link rel="alternate" hreflang="${language}" href="${languages[language]}" />\n`;
    }
    if (entry.images?.length) for (const image of entry.images) xml += `<image:image>\n<image:loc>${image}</image:loc>\n</image:image>\n`;
    if (entry.videos?.length) for (const video of entry.videos) xml += videoLines(video);
    if (entry.lastModified) {
      const date = entry.lastModified instanceof Date ? entry.lastModified.toISOString() : entry.lastModified;
      xml += `<lastmod>${date}</lastmod>\n`;
    }
    if (entry.changeFrequency) xml += `<changefreq>${entry.changeFrequency}</changefreq>\n`;
    if (typeof entry.priority === 'number') xml += `<priority>${entry.priority}</priority>\n`;
    xml += '</url>\n';
  }
  return xml + '</urlset>\n';
}

const WRITERS = { robots: robotsText, sitemap: sitemapXml, manifest: (data) => JSON.stringify(data) };

// A file served as it is: its type from its name, cached for a year in 15 (revalidated each time in 16).
function fileHeaders(path, next) {
  const name = path.split('/').pop();
  const type = Object.entries(CONTENT_TYPES).find(([kind]) => name.startsWith(`${kind}.`))?.[1] ?? 'image/svg+xml';
  const cache = next.startsWith('16') ? CACHE_CONTROL : 'public, immutable, no-transform, max-age=31536000';
  return { 'Content-Type': type, 'Cache-Control': cache };
}

const notFound = () => new Response('Not Found', { status: 404 });

// A sitemap's id from its route param (`3.xml`), or undefined when the param does not end in `.xml`.
const sitemapId = (param) => (param?.endsWith('.xml') ? param.slice(0, -4) : undefined);

// The route module Next's build makes of a metadata file of `kind` whose exports are `file` (its segment config is
// kept); a file served as it is (`kind` 'file': robots.txt, sitemap.xml, ...) exports its text. With generateSitemaps, a sitemap is one route per id, `<id>.xml`, each prerendered; 16 answers 404 for an id
// the list does not hold and gives the file its id as a promise, 15 renders any id ending in `.xml`.
export function metadataRoute(kind, file, next, path) {
  if (kind === 'file') return { GET: () => new Response(file.default, { headers: fileHeaders(path, next) }) };
  const { default: make, generateSitemaps, ...config } = file;
  const respond = (data) => new Response(WRITERS[kind](data, next), {
    headers: { 'Content-Type': CONTENT_TYPES[kind], 'Cache-Control': CACHE_CONTROL },
  });
  if (kind !== 'sitemap' || typeof generateSitemaps !== 'function') {
    const argument = kind === 'sitemap' && !next.startsWith('16') ? [{ id: undefined }] : [];
    return { ...config, GET: async () => respond(await make(...argument)) };
  }
  const ids = async () => (await generateSitemaps()).map((item) => {
    if (item?.id == null) throw new Error('id property is required for every item returned from generateSitemaps');
    return item.id.toString();
  });
  const GET = async (_, context) => {
    const id = sitemapId((await context.params)?.__metadata_id__);
    if (next.startsWith('16')) {
      if (id === undefined || !(await ids()).includes(id)) return notFound();
      return respond(await make({ id: Promise.resolve(id) }));
    }
    if ((await context.params)?.__metadata_id__ && id === undefined) return notFound();
    return respond(await make({ id }));
  };
  const generateStaticParams = async () => (await ids()).map((id) => ({ __metadata_id__: `${id}.xml` }));
  return { ...config, GET, generateStaticParams };
}
