// Which request is running right now, so console output lands in the right cell.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { send } from './wire.mjs';

export const currentRequest = new AsyncLocalStorage();

// Where log frames go: the host writes them; an edge isolate's worker hands them to the host instead.
let emit = send;
export function routeOutput(fn) {
  emit = fn;
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
