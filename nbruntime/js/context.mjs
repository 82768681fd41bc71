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

function sink(level) {
  return new Writable({
    write(chunk, _encoding, done) {
      const request = currentRequest.getStore();
      emit({ ev: 'log', id: request?.id ?? null, level, text: chunk.toString() });
      done();
    },
  });
}

// One console for the host's realm (and node code): log/info/debug are "stdout", warn/error "stderr", as in Next.
export const routedConsole = new Console({ stdout: sink('log'), stderr: sink('error'), colorMode: false });
// The one behind edge realms' console: it never calls an object's own inspect method, which would be given
// Node's objects (the inspect function and its options).
export const edgeConsole = new Console({
  stdout: sink('log'), stderr: sink('error'), colorMode: false, inspectOptions: { customInspect: false },
});
