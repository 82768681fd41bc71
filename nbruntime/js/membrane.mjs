// The wall between an edge realm and the Node.js realm that builds it. The edge engine's Web APIs (fetch,
// Request, streams, crypto, timers, ...) are Node.js objects; handed to edge code as they are, any of them leads
// to Node's `Function` (`console.log.constructor('return process')()`), which compiles strings and reaches the
// process. So every object crossing into the realm is a proxy made for it, and every edge object crossing out is
// one too: a proxy never gives out what it wraps, what it returns crosses the wall again, and a function's
// `constructor` is the realm's own `Function`, which cannot compile strings, as on an edge platform.
//
// What keeps its identity: an object crossing back is the original again; the realm's own intrinsics (Object,
// Function, Array, Error, ...) stand for Node's twins, so Node objects look like the realm's own where the edge
// engine made them look so (`instanceof Object`, `Error`, `TypeError`, `SyntaxError`); binary data (ArrayBuffers,
// typed arrays) is handed over as the realm's own (its prototype moved to the realm's), and a promise is followed
// by a promise of the other side. All traps run here, in Node's realm, out of reach of edge code; operations on
// an edge object use the realm's own Reflect, so what V8 makes for them (descriptors, argument lists) is the
// realm's too.
import { types } from './builtins.mjs';
import vm from 'node:vm';
import { SliceStopped } from './gate.mjs';

// The intrinsics paired across the wall, in one order for both realms. Function constructors must be among them
// (a Node one would compile strings); binary types, so Node's binary data can become the realm's own; the others
// are those the edge engine makes `instanceof` across realms.
const PAIRED = `(() => {
  const binary = [ArrayBuffer, SharedArrayBuffer, DataView, Object.getPrototypeOf(Uint8Array), Int8Array, Uint8Array,
    Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array,
    BigUint64Array, ...(typeof Float16Array === 'function' ? [Float16Array] : [])]
  return [
    Function, Function.prototype, eval,
    Object.getPrototypeOf(async function () {}).constructor, Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(function* () {}).constructor, Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function* () {}).constructor, Object.getPrototypeOf(async function* () {}),
    Object, Object.prototype, Array, Array.prototype, Error, Error.prototype, TypeError, TypeError.prototype,
    SyntaxError, SyntaxError.prototype, ...binary, ...binary.map((type) => type.prototype),
  ]
})()`;
// What the realm's own operations are done with (captured before any edge code runs).
const TOOLS = `({ Reflect: Object.fromEntries(Object.getOwnPropertyNames(Reflect).map((name) => [name, Reflect[name]])), then: Promise.prototype.then, Promise, shadows: [
  () => ({}), () => [], () => () => {}, () => (function () {}).bind(),
] })`;

const hostPaired = vm.runInThisContext(PAIRED);
const hostThen = Promise.prototype.then;
const { hasOwn } = Object;
const isObject = (value) => (typeof value === 'object' && value !== null) || typeof value === 'function';
const isBinary = (value) => types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value);
const CONSTRUCT_PROBE = { construct: () => ({}) };
const functionSource = Function.prototype.toString;
const NATIVE = '{ [native code] }'; // how V8 shows the source of a native function

// Whether `fn` can be called with `new`, found without running it. An ECMAScript function without a prototype of its
// own is an arrow function, a method or an async function: none is (the property cannot be deleted from one that is).
// The others, and native functions (bound ones, built-ins, proxies), are probed: the probe's trap answers, and one that
// is not a constructor throws a TypeError that captures no stack. A throw costs 10 µs inside a slice: a function handed
// over per request (a fetch event's waitUntil, say) would pay it each time.
function isConstructor(fn) {
  if (!types.isProxy(fn) && !hasOwn(fn, 'prototype') && !Reflect.apply(functionSource, fn, []).endsWith(NATIVE)) {
    return false;
  }
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    Reflect.construct(new Proxy(fn, CONSTRUCT_PROBE), []);
    return true;
  } catch {
    return false;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

// Lets a subclass give private fields to the object it is handed (a proxy, a shadow) instead of a new one.
class Adopting {
  constructor(object) {
    return object;
  }
}

// What the membrane knows of an edge object, or of one it made (the proxy made for it, what a proxy or shadow stands
// for, a promise's follower), kept in a private field of the object, where no code of either realm can see it. A
// WeakMap's entries would be ephemerons, which the garbage collector must trace at every scavenge: a few per crossing
// made those scavenges keep whole requests (an entry's value reaches its key), and cost more than the crossings. A Node
// object is marked only when it was made for one realm (an instance its code constructs, the request a handler gets):
// one that crosses into every realm (a global, say) would keep each realm's proxy, so each realm, alive. Reads like a
// WeakMap; an object that takes no private field (V8 lets every object take one today; non-extensible ones may refuse
// in future) is kept in one.
function fieldMap() {
  const refused = new WeakMap();
  class Field extends Adopting {
    #value;
    constructor(object, value) {
      super(object);
      this.#value = value;
    }

    static has(object) {
      return isObject(object) && (#value in object || refused.has(object));
    }

    static get(object) {
      if (!isObject(object)) return undefined;
      return #value in object ? object.#value : refused.get(object);
    }
  }
  return {
    has: Field.has,
    get: Field.get,
    set(object, value) {
      try {
        new Field(object, value);
      } catch {
        refused.set(object, value);
      }
    },
  };
}

// A Node class whose instances were handed to a realm (a Buffer, say) has them answer `instanceof` still, in
// Node's code (`Buffer.isBuffer`): their prototype is now a proxy of the class's prototype.
const inherited = Function.prototype[Symbol.hasInstance];
const patched = new WeakSet();
function stillInstances(type) {
  if (typeof type !== 'function' || patched.has(type)) return;
  patched.add(type);
  Object.defineProperty(type, Symbol.hasInstance, {
    configurable: true,
    value(instance) {
      if (Reflect.apply(inherited, this, [instance])) return true;
      if (!isObject(instance) || !isObject(this.prototype)) return false;
      for (let link = Object.getPrototypeOf(instance); link !== null; link = Object.getPrototypeOf(link)) {
        if (handedOver.get(link) === this.prototype) return true;
      }
      return false;
    },
  });
}
const handedOver = new WeakMap(); // a realm's proxy of a Node prototype → that prototype

export class Membrane {
  constructor(context) {
    const realmPaired = vm.runInContext(PAIRED, context);
    const tools = vm.runInContext(TOOLS, context);
    this.intrinsics = new Map(); // Node intrinsic → the realm's twin
    this.realmIntrinsics = new Set(realmPaired);
    hostPaired.forEach((value, index) => this.intrinsics.set(value, realmPaired[index]));
    this.hostIntrinsics = new Map([...this.intrinsics].map(([host, realm]) => [realm, host]));
    this.realmThen = tools.then;
    this.RealmPromise = tools.Promise;
    // One side of the wall for each direction: `inside` makes what edge code sees of a Node object.
    const inside = { reflect: tools.Reflect, shadows: tools.shadows, proxies: new WeakMap(), made: fieldMap(),
      targets: fieldMap(), shadowTargets: fieldMap(), raw: new WeakSet() };
    const outside = { reflect: Reflect, shadows: [() => ({}), () => [], () => () => {}, () => (function () {}).bind()],
      proxies: fieldMap(), targets: fieldMap(), shadowTargets: fieldMap() };
    // Node code's operations on edge objects run edge code (getters, Proxy traps, functions): each is a slice of the
    // realm (gate.mjs), where it can be stopped; `gate` is set by the realm that owns this membrane.
    this.gate = (fn) => fn();
    const gate = (fn) => this.gate(fn);
    const toRealm = (value) => this.toRealm(value);
    const toHost = (value) => this.toHost(value);
    inside.handler = handler(outside, inside, toRealm, toHost, (fn) => fn(), (value) => this.toRealm(value, true));
    outside.handler = handler(inside, outside, toHost, toRealm, gate, toHost);
    Object.assign(this, { inside, outside });
    this.promises = fieldMap(); // an edge promise → its follower, and a follower → the promise it follows
    this.nodePromises = new WeakMap(); // a Node promise → its follower
  }

  // What edge code may hold of a Node.js value; `made`: the value was made for this realm alone (see fieldMap).
  toRealm(value, made = false) {
    if (!isObject(value)) return value;
    const { inside, outside } = this;
    if (outside.targets.has(value)) return outside.targets.get(value); // an edge object coming back
    if (this.intrinsics.has(value)) return this.intrinsics.get(value);
    if (inside.targets.has(value) || this.realmIntrinsics.has(value)) return value;
    if (isBinary(value)) return this.rehome(value);
    if (types.isPromise(value)) return this.follow(value, hostThen, this.RealmPromise, (v) => this.toRealm(v), true);
    return this.proxy(inside, value, made);
  }

  // What Node.js code may hold of an edge value.
  toHost(value) {
    if (!isObject(value)) return value;
    const { inside, outside } = this;
    if (inside.targets.has(value)) return inside.targets.get(value); // a Node object coming back
    if (outside.targets.has(value) || isBinary(value)) return value;
    if (this.hostIntrinsics.has(value)) return this.hostIntrinsics.get(value);
    if (types.isPromise(value)) return this.follow(value, this.realmThen, Promise, (v) => this.toHost(v), false);
    return this.proxy(outside, value);
  }

  // A Node function that edge code calls with its own values as they are (console, structuredClone: both read a
  // value deeply, which a proxy would hide); only proxies among the arguments are unwrapped. What it returns or
  // throws crosses as usual.
  passing(fn) {
    this.inside.raw.add(fn);
    return this.toRealm(fn);
  }

  proxy(side, target, made = false) {
    let proxy = side.made?.get(target) ?? side.proxies.get(target);
    if (proxy) return proxy;
    const kind = typeof target === 'function' ? (isConstructor(target) ? 3 : 2) : Array.isArray(target) ? 1 : 0;
    const shadow = side.shadows[kind]();
    proxy = new Proxy(shadow, side.handler);
    (made ? side.made : side.proxies).set(target, proxy);
    side.targets.set(proxy, target);
    side.shadowTargets.set(shadow, target);
    return proxy;
  }

  // Binary data becomes the realm's own: same bytes, its prototype as the realm sees it (Uint8Array.prototype
  // is the realm's own; Buffer.prototype a proxy over it), and so for a view's buffer.
  rehome(value) {
    const original = Object.getPrototypeOf(value);
    const prototype = this.toRealm(original);
    if (original !== prototype) {
      Object.setPrototypeOf(value, prototype);
      if (this.inside.targets.has(prototype)) {
        handedOver.set(prototype, original);
        stillInstances(original.constructor);
      }
    }
    if (ArrayBuffer.isView(value)) this.rehome(value.buffer);
    return value;
  }

  // A promise of one side followed by one of the other. Settling a realm's promise, or subscribing to one, queues work
  // in the realm's own microtask queue: done as a slice, which runs that queue.
  follow(promise, then, Promise, cross, intoRealm) {
    let follower = this.promises.get(promise) ?? this.nodePromises.get(promise);
    if (!follower) {
      follower = new Promise((resolve, reject) => {
        const settle = intoRealm ? (fn, value) => this.gate(() => fn(cross(value))) : (fn, value) => fn(cross(value));
        const subscribe = () => Reflect.apply(then, promise, [(value) => settle(resolve, value), (error) => settle(reject, error)]);
        if (intoRealm) subscribe();
        else this.gate(subscribe);
      });
      // A promise that also carries values (Next 15's params, readable without await) keeps them: own data
      // properties cross too; accessors are left behind, since reading one would run the other side's code.
      for (const key of Reflect.ownKeys(promise)) {
        const descriptor = Reflect.getOwnPropertyDescriptor(promise, key);
        if (typeof key === 'string' && 'value' in descriptor) {
          Reflect.defineProperty(follower, key, { value: cross(descriptor.value), enumerable: descriptor.enumerable, writable: true, configurable: true });
        }
      }
      (intoRealm ? this.nodePromises : this.promises).set(promise, follower);
      this.promises.set(follower, promise);
    }
    return follower;
  }
}

// The traps of proxies that `near` code holds of objects on the `far` side. `out` crosses a far value to the near side
// (`outMade` one that near code constructed), `into` a near value to the far side. Far operations use the far realm's
// Reflect; those that may run far code (a call, a getter or setter, any operation on a far Proxy) go through `gate`;
// what they return crosses inside it (a promise an edge function returns is subscribed to in the slice that called it,
// not in one of its own). An error thrown by far code crosses as any value does (a slice stopped by the host is the
// host's own error).
function handler(far, near, out, into, gate, outMade) {
  const R = far.reflect;
  const N = near.reflect;
  const real = (shadow) => near.shadowTargets.get(shadow);
  const run = (fn) => {
    try {
      return gate(fn);
    } catch (error) {
      throw error instanceof SliceStopped ? error : out(error);
    }
  };
  // An operation on the object itself: it runs far code only if the object is a Proxy.
  const guard = (fn, target) => {
    if (target !== undefined && !types.isProxy(target)) {
      try {
        return fn();
      } catch (error) {
        throw out(error);
      }
    }
    return run(fn);
  };
  const nearDescriptor = (descriptor) => {
    const result = { __proto__: null, enumerable: descriptor.enumerable, configurable: descriptor.configurable };
    if (hasOwn(descriptor, 'value')) return Object.assign(result, { value: out(descriptor.value), writable: descriptor.writable });
    return Object.assign(result, { get: out(descriptor.get), set: out(descriptor.set) });
  };
  const farDescriptor = (descriptor) => {
    const result = { __proto__: null };
    for (const key of ['value', 'get', 'set']) if (hasOwn(descriptor, key)) result[key] = into(descriptor[key]);
    for (const key of ['writable', 'enumerable', 'configurable']) if (hasOwn(descriptor, key)) result[key] = descriptor[key];
    return result;
  };
  // A property the proxy reports as non-configurable must be so on its shadow (a proxy invariant).
  const settle = (shadow, key, descriptor) => {
    if (descriptor && !descriptor.configurable) Reflect.defineProperty(shadow, key, descriptor);
    return descriptor;
  };
  const syncShadow = (shadow) => {
    const target = real(shadow);
    for (const key of guard(() => R.ownKeys(target), target)) {
      Reflect.defineProperty(shadow, key, handlers.getOwnPropertyDescriptor(shadow, key));
    }
    Reflect.setPrototypeOf(shadow, handlers.getPrototypeOf(shadow));
    Reflect.preventExtensions(shadow);
  };
  const handlers = {
    getPrototypeOf(shadow) {
      const target = real(shadow);
      return out(guard(() => R.getPrototypeOf(target), target));
    },
    setPrototypeOf(shadow, prototype) {
      const target = real(shadow);
      return guard(() => R.setPrototypeOf(target, into(prototype)), target);
    },
    isExtensible(shadow) {
      const target = real(shadow);
      const extensible = guard(() => R.isExtensible(target), target);
      if (!extensible && Reflect.isExtensible(shadow)) syncShadow(shadow);
      return extensible;
    },
    preventExtensions(shadow) {
      const target = real(shadow);
      const done = guard(() => R.preventExtensions(target), target);
      if (done && Reflect.isExtensible(shadow)) syncShadow(shadow);
      return done;
    },
    getOwnPropertyDescriptor(shadow, key) {
      const target = real(shadow);
      const descriptor = guard(() => R.getOwnPropertyDescriptor(target, key), target);
      return descriptor === undefined ? undefined : settle(shadow, key, nearDescriptor(descriptor));
    },
    defineProperty(shadow, key, descriptor) {
      const target = real(shadow);
      if (!guard(() => R.defineProperty(target, key, farDescriptor(descriptor)), target)) return false;
      if (hasOwn(descriptor, 'configurable') && !descriptor.configurable) {
        settle(shadow, key, nearDescriptor(guard(() => R.getOwnPropertyDescriptor(target, key), target)));
      }
      return true;
    },
    deleteProperty(shadow, key) {
      const target = real(shadow);
      return guard(() => R.deleteProperty(target, key), target);
    },
    ownKeys(shadow) {
      const target = real(shadow);
      return guard(() => R.ownKeys(target), target);
    },
    has(shadow, key) {
      const target = real(shadow);
      if (guard(() => R.getOwnPropertyDescriptor(target, key), target) !== undefined) return true;
      const prototype = handlers.getPrototypeOf(shadow);
      return prototype !== null && N.has(prototype, key);
    },
    // Lookups walk the far object's own properties, then the chain as the near side sees it (so a Node function
    // inherits the realm's Function.prototype, and its `constructor` is the realm's Function).
    get(shadow, key, receiver) {
      const target = real(shadow);
      const descriptor = guard(() => R.getOwnPropertyDescriptor(target, key), target);
      if (descriptor === undefined) {
        const prototype = handlers.getPrototypeOf(shadow);
        return prototype === null ? undefined : N.get(prototype, key, receiver);
      }
      if (hasOwn(descriptor, 'value')) return out(descriptor.value);
      return descriptor.get === undefined ? undefined : run(() => out(R.apply(descriptor.get, into(receiver), [])));
    },
    set(shadow, key, value, receiver) {
      const target = real(shadow);
      const descriptor = guard(() => R.getOwnPropertyDescriptor(target, key), target);
      if (descriptor === undefined) {
        const prototype = handlers.getPrototypeOf(shadow);
        if (prototype !== null) return N.set(prototype, key, value, receiver);
      } else if (!hasOwn(descriptor, 'value')) {
        if (descriptor.set === undefined) return false;
        run(() => R.apply(descriptor.set, into(receiver), [into(value)]));
        return true;
      } else if (!descriptor.writable) {
        return false;
      }
      if (!isObject(receiver)) return false;
      const existing = N.getOwnPropertyDescriptor(receiver, key);
      if (existing === undefined) {
        return N.defineProperty(receiver, key, { __proto__: null, value, writable: true, enumerable: true, configurable: true });
      }
      if (!hasOwn(existing, 'value') || !existing.writable) return false;
      return N.defineProperty(receiver, key, { __proto__: null, value });
    },
    apply(shadow, self, args) {
      const target = real(shadow);
      const passed = new Array(args.length);
      const raw = near.raw?.has(target);
      for (let i = 0; i < args.length; i++) passed[i] = raw ? (near.targets.get(args[i]) ?? args[i]) : into(args[i]);
      return run(() => out(R.apply(target, into(self), passed)));
    },
    construct(shadow, args, newTarget) {
      const passed = new Array(args.length);
      for (let i = 0; i < args.length; i++) passed[i] = into(args[i]);
      return run(() => outMade(R.construct(real(shadow), passed, into(newTarget))));
    },
  };
  return handlers;
}
