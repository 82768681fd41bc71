// Next refuses relative URLs wherever it builds one (NextRequest, redirects, rewrites, and the edge
// runtime's own Request and Response.redirect): the URL as a string, or Next's "use only absolute URLs"
// error (recorded in tests/conformance/bad-requests). Used in each realm and by the host's edge set-up.
export function validateURL(url) {
  try {
    return String(new URL(String(url)));
  } catch (error) {
    throw new Error(
      `URL is malformed "${String(url)}". Please use only absolute URLs - https://nextjs.org/docs/messages/middleware-relative-urls`,
      { cause: error },
    );
  }
}
