// Lower-case method names are not handlers.
const handler = async (): Promise<Response> => new Response('lower-case handler ran')
export const get = handler
export const post = handler
