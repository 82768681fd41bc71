// The timers an edge request starts end with it, as on edge platforms (workerd cancels what a request left behind
// once it is done): setTimeout/setInterval called while a request runs are cleared when that request ends.
import { currentRequest } from './context.mjs';

export class Timers {
  constructor() {
    this.byRequest = new Map(); // request id → Set of timer ids
    this.owners = new Map(); // timer id → { requestId, clear }
  }

  started(id, clear) {
    const requestId = currentRequest.getStore()?.id;
    if (!requestId) return; // a module's own timer (its top level ran outside any request): it lives on
    if (!this.byRequest.has(requestId)) this.byRequest.set(requestId, new Set());
    this.byRequest.get(requestId).add(id);
    this.owners.set(id, { requestId, clear });
  }

  cleared(id) {
    const owner = this.owners.get(id);
    if (!owner) return;
    this.owners.delete(id);
    this.byRequest.get(owner.requestId)?.delete(id);
  }

  end(requestId) {
    const ids = this.byRequest.get(requestId);
    if (!ids) return;
    this.byRequest.delete(requestId);
    for (const id of ids) {
      const { clear } = this.owners.get(id);
      this.owners.delete(id);
      clear(id);
    }
  }
}
