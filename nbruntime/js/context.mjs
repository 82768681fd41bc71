// Which request is running right now, so console output lands in the right cell.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Console } from 'node:console';
import { Writable } from 'node:stream';

export const currentRequest = new AsyncLocalStorage();

// Where log frames go: each thread says (its own pipe, or the thread whose request it is).
let emit = () => {};
export function routeOutput(fn) {
  emit = fn;
}

// A console line made elsewhere (the build's worker), sent the way this thread sends its own.
export function emitLine(message) {
  emit(message);
}

function line(level, text) {
  const request = currentRequest.getStore();
  emit({ ev: 'log', id: request?.id ?? null, level, text });
}

let method = null; // the console method writing now, when its lines keep its name as their level (LEVELLED)
const LEVELLED = ['info', 'debug', 'warn'];

function sink(level) {
  return new Writable({
    write(chunk, _encoding, done) {
      line(method ?? level, chunk.toString());
      done();
    },
  });
}

// A console whose lines say which stream they went to, as in Next ("log": stdout, "error": stderr), except those of
// info, debug and warn, which say their method. (A Console writes synchronously: its sink sees `method` set.)
function makeConsole(options = {}) {
  const made = new Console({ stdout: sink('log'), stderr: sink('error'), colorMode: false, ...options });
  for (const name of LEVELLED) {
    const write = made[name];
    made[name] = (...args) => {
      method = name;
      try {
        return write(...args);
      } finally {
        method = null;
      }
    };
  }
  return made;
}

// process.stdout and process.stderr, which Node.js code writes to (a logger's console transport, say), go where its
// console output goes: to the request that runs, else to the app's output. Answers the host's own way to stderr.
export function routeStdio() {
  const stderr = process.stderr.write.bind(process.stderr);
  for (const [stream, level] of [[process.stdout, 'log'], [process.stderr, 'error']]) {
    stream.write = (chunk, encoding, callback) => {
      if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
      line(level, typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8').toString() : Buffer.from(chunk).toString());
      if (callback) process.nextTick(callback);
      return true;
    };
  }
  return stderr;
}

// One console for the host's realm (and node code).
export const routedConsole = makeConsole();
// The one behind edge realms' console: it never calls an object's own inspect method, which would be given
// Node's objects (the inspect function and its options).
export const edgeConsole = makeConsole({ inspectOptions: { customInspect: false } });
