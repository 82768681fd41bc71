// Node's built-in modules whose ES module facade is costly to build: importing one reads every export, lazy getters
// included, so `node:http` loads Node's fetch (undici, about 30 ms per thread) and `node:fs` its streams and promises.
// `process.getBuiltinModule` hands the CommonJS object, whose getters run only when used: each thread starts sooner.
export const fs = process.getBuiltinModule('node:fs');
export const { METHODS } = process.getBuiltinModule('node:http');
export const { types } = process.getBuiltinModule('node:util');
