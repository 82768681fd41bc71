import { makeHandlers } from '@/lib/handlers'

// Handlers made by a library and destructured into exports.
export const { GET, DELETE } = makeHandlers('lib')
