#!/usr/bin/env node
// Fetch one resource with @helia/verified-fetch, whose only content source is ONE
// trustless gateway (ours, under test); every block is verified by Helia before
// verified-fetch builds the response from it.
//
//   node verified-fetch.mjs [--accept TYPE] [--out FILE] [--timeout S] <gateway-url> <resource>
//
// <resource>: what verified-fetch accepts, e.g. ipfs://<cid>/sub/path or a CID.
// stdout, one JSON line:
//   {"status": N, "headers": {lower-case name: value}, "size": body bytes,
//    "sha256": hex of the body, "text": the body when it is under 64 KiB and UTF-8,
//    "requests": [{"url", "accept", "status"}...]}   (what went to the gateway)
// With --out the body is also written to FILE. Any thrown error or timeout: message
// on stderr, exit 1 (timeout: 3). A non-2xx response is reported, not an error.

import './_node20.mjs' // first: Promise.withResolvers on Node 20
import { writeFile } from 'node:fs/promises'
import { createVerifiedFetch } from '@helia/verified-fetch'
import { die, finish, gatewayOnlyHelia, hardTimeout, parseArgs, setUsage, sha256, usage } from './_helia-node.mjs'

setUsage('usage: node verified-fetch.mjs [--accept TYPE] [--out FILE] [--timeout S] <gateway-url> <resource>')

async function main () {
  const args = parseArgs(process.argv.slice(2), { options: ['accept', 'out', 'timeout'] })
  if (args._.length !== 2) usage('expected <gateway-url> <resource>')
  const [gateway, resource] = args._
  const signal = hardTimeout(Number(args.timeout ?? 120), 'verified-fetch')
  const { helia, requests } = await gatewayOnlyHelia(gateway)
  const verifiedFetch = await createVerifiedFetch(helia)
  const headers = args.accept != null ? { accept: args.accept } : {}
  const res = await verifiedFetch(resource, { signal, headers })
  const body = new Uint8Array(await res.arrayBuffer())
  if (args.out != null) await writeFile(args.out, body)
  let text = null
  if (body.byteLength < 65536) {
    try { text = new TextDecoder('utf-8', { fatal: true }).decode(body) } catch {}
  }
  const result = {
    status: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    size: body.byteLength,
    sha256: sha256().update(body).digest('hex'),
    text,
    requests
  }
  await verifiedFetch.stop()
  finish(result)
}

main().catch(die)
