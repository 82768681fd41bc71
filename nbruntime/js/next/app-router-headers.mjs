// The request headers of the App Router's client (Next's FLIGHT_HEADERS): hidden from middleware and from
// `headers()` in a route, restored for the route's own request. Used in each realm and by the pipeline.
export const FLIGHT_HEADERS = ['rsc', 'next-router-state-tree', 'next-router-prefetch', 'next-hmr-refresh', 'next-router-segment-prefetch'];
