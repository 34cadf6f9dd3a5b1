// Node 20 shim for the Helia 7 / libp2p 3 stack, imported before any of it.
//
// Those packages call `Promise.withResolvers()` (ES2024; native from Node 22, V8 12.x),
// e.g. it-queue via mortice (Helia's blockstore lock), @libp2p/utils, the delegated
// routing client. Node 20's V8 11.3 lacks it and has no flag for it. This is the
// spec's algorithm (ECMA-262 Promise.withResolvers, NewPromiseCapability(C)), installed
// only when missing, so on Node >= 22 nothing changes.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers () {
      let resolve
      let reject
      const promise = new this((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}
