// Shared by helia-fetch.mjs and verified-fetch.mjs: an HTTP-only Helia node whose only
// content source is ONE trustless gateway (ours, under test), plus the CLI plumbing.
//
// Helia 7's own building blocks, nothing stubbed:
//   createHeliaLight()       - no libp2p, no bitswap, in-memory blockstore/datastore
//   withHTTP(helia, {...})   - @helia/http: the trustless-gateway block broker
//                              (@helia/trustless-gateway-client) and, with
//                              `recursiveGateways`, a fallback router that names the
//                              gateway as provider of every CID.
// `delegatedRouters: []` removes the default https://delegated-ipfs.dev router, and the
// gateway list replaces the public defaults, so the node can reach nothing else (the
// tests also run it in a loopback-only network namespace).
//
// One more router is needed: a default (non-fallback) router that finds nothing.
// Helia 7's Routing.findProviders (helia/dist/src/routing.js) first drains the default
// routers and only then asks the fallback ones; with ZERO default routers its provider
// queue never emits 'idle', so it waits forever and no request is ever sent. With one
// router that ends at once, it moves on to the fallback router (our gateway).
//
// Every block the broker fetches is hashed by Helia (@helia/utils NetworkedStorage)
// before it is stored or handed on; a mismatch is an error, never data.

import './_node20.mjs' // first: Promise.withResolvers on Node 20
import { createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import * as dagCbor from '@ipld/dag-cbor'
import { withHTTP } from '@helia/http'
import { createHeliaLight } from 'helia'
import * as dagJson from '@ipld/dag-json'
import * as json from 'multiformats/codecs/json'

/** A content router that knows no providers (see above). */
const noProviders = {
  name: 'no-providers',
  async * findProviders () {},
  toString () { return 'NoProvidersRouter()' }
}

/**
 * Start the node. `requests` collects `{url, accept, status}` for every HTTP request the
 * process makes (global `fetch` is wrapped; the broker calls it per block).
 */
export async function gatewayOnlyHelia (gatewayUrl) {
  const requests = []
  const realFetch = globalThis.fetch
  globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    const accept = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get('accept')
    const entry = { url, accept, status: null }
    requests.push(entry)
    const res = await realFetch(input, init)
    entry.status = res.status
    return res
  }
  const helia = withHTTP(createHeliaLight({ codecs: [dagCbor, dagJson, json], routers: [noProviders] }), {
    delegatedRouters: [],
    recursiveGateways: [gatewayUrl],
    // the gateway under test is plain http on 127.0.0.1; the broker drops such
    // providers unless both are allowed (@helia/trustless-gateway-client utils.js)
    allowInsecure: true,
    allowLocal: true
  })
  await helia.start()
  return { helia, requests }
}

/** `--name value` / `--flag` parser; positional arguments in `args._`. */
export function parseArgs (argv, { flags = [], options = [] } = {}) {
  const args = { _: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) { args._.push(arg); continue }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2)
    if (flags.includes(name)) { args[name] = true; continue }
    if (!options.includes(name)) usage(`unknown option --${name}`)
    const value = inline ?? argv[++i]
    if (value === undefined) usage(`--${name} needs a value`)
    args[name] = value
  }
  return args
}

let usageText = ''
export function setUsage (text) { usageText = text }

export function usage (message) {
  process.stderr.write(`${message}\n${usageText}\n`)
  process.exit(2)
}

/**
 * Kill the process after `seconds` no matter what (a broker waiting on a provider
 * can otherwise hang forever); print why on stderr and exit 3.
 */
export function hardTimeout (seconds, what) {
  // not unref'd: a promise nobody will settle must end here, not in a silent exit 0
  setTimeout(() => {
    process.stderr.write(`${what}: timed out after ${seconds} s\n`)
    process.exit(3)
  }, seconds * 1000)
  const signal = AbortSignal.timeout(seconds * 1000)
  setMaxListeners(Infinity, signal) // one listener per block request in flight
  return signal
}

/**
 * Print `result` as one JSON line and exit 0 once it is flushed (a bare process.exit()
 * after a large write to a pipe loses its tail). Exiting any other way before this is
 * an error (exit 4).
 */
let finished = false
export function finish (result) {
  finished = true
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0))
}
process.on('exit', (code) => {
  if (!finished && code === 0) {
    process.stderr.write('exited before finishing (an unsettled promise?)\n')
    process.exitCode = 4
  }
})

/** Print the error (with its cause chain) on stderr and exit 1. */
export function die (err) {
  let text = err?.stack ?? String(err)
  for (let cause = err?.cause; cause != null; cause = cause.cause) {
    text += `\ncaused by: ${cause?.stack ?? String(cause)}`
  }
  for (const inner of err?.errors ?? []) text += `\nincluding: ${inner?.stack ?? String(inner)}`
  process.stderr.write(`${text}\n`)
  process.exit(1)
}

export const sha256 = () => createHash('sha256')
