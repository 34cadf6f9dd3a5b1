#!/usr/bin/env node
// Drive a Kubo RPC API (ours, or Kubo's) with the real `kubo-rpc-client` and print what
// the client returns, after its own parsing of the responses.
//
//   node kubo-rpc.mjs [--timeout S] [--token T] <rpc-url> <steps.json | ->
//
// steps: a JSON list run in order, each {"op": "add" | "pin.ls" | "block.put" | ...,
// "args": [...], "expect_error": false}. `op` is a dotted path on the client object
// (add, addAll, cat, ls, version, pin.add, pin.ls, pin.rm, block.put, block.get,
// block.stat, dag.put, dag.get, refs, ...); `args` are passed as given, after decoding:
//   {"$bytes": "<base64>"}  -> Uint8Array         {"$cid": "<cid>"} -> CID
//   {"/": "<cid>"}          -> CID (IPLD link, for dag.put values)
// stdout, one JSON line: a list with one result per step, encoded back the same way
// (CID -> {"/": "..."}, bytes -> {"$bytes": b64, "size": n, "sha256": hex}, bigint ->
// number). Async iterables are collected into lists; a stream of only byte chunks
// (cat, block.get) becomes ONE bytes value. A step with "expect_error": true yields
// {"error": message, "name": ...} and it is an error if it succeeds.
// Any unexpected error: message on stderr, exit 1; timeout: exit 3.

import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { create } from 'kubo-rpc-client'
import { CID } from 'multiformats/cid'

const USAGE = 'usage: node kubo-rpc.mjs [--timeout S] [--token T] <rpc-url> <steps.json | ->'

function decode (value) {
  if (Array.isArray(value)) return value.map(decode)
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value)
    if (keys.length === 1 && keys[0] === '$bytes') return new Uint8Array(Buffer.from(value.$bytes, 'base64'))
    if (keys.length === 1 && keys[0] === '$cid') return CID.parse(value.$cid)
    if (keys.length === 1 && keys[0] === '/' && typeof value['/'] === 'string') return CID.parse(value['/'])
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]))
  }
  return value
}

function encode (value) {
  const cid = CID.asCID(value)
  if (cid != null) return { '/': cid.toString() }
  if (value instanceof Uint8Array) {
    return {
      $bytes: Buffer.from(value).toString('base64'),
      size: value.byteLength,
      sha256: createHash('sha256').update(value).digest('hex')
    }
  }
  if (typeof value === 'bigint') return Number(value)
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(encode)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, encode(v)]))
  }
  return value
}

async function readStdin () {
  // not readFileSync(0): on a non-blocking pipe that fails with EAGAIN
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function settle (result) {
  result = await result
  if (result != null && typeof result[Symbol.asyncIterator] === 'function' && !(result instanceof Uint8Array)) {
    const items = []
    for await (const item of result) items.push(item)
    if (items.length > 0 && items.every((item) => item instanceof Uint8Array)) return Buffer.concat(items)
    return items
  }
  return result
}

async function main () {
  const argv = process.argv.slice(2)
  const opts = { timeout: 120, token: null }
  while (argv[0]?.startsWith('--')) {
    const name = argv.shift().slice(2)
    if (!(name in opts) || argv.length === 0) throw new Error(`bad option --${name}\n${USAGE}`)
    opts[name] = argv.shift()
  }
  if (argv.length !== 2) {
    process.stderr.write(`${USAGE}\n`)
    process.exit(2)
  }
  const [url, stepsPath] = argv
  setTimeout(() => {
    process.stderr.write(`kubo-rpc: timed out after ${opts.timeout} s\n`)
    process.exit(3)
  }, Number(opts.timeout) * 1000)
  const steps = JSON.parse(stepsPath === '-' ? await readStdin() : readFileSync(stepsPath, 'utf8'))
  const headers = opts.token != null ? { authorization: `Bearer ${opts.token}` } : {}
  const client = create({ url, headers })
  const results = []
  for (const [index, step] of steps.entries()) {
    const path = step.op.split('.')
    let owner = client
    for (const part of path.slice(0, -1)) owner = owner?.[part]
    const method = owner?.[path.at(-1)]
    if (typeof method !== 'function') throw new Error(`step ${index}: no client method ${step.op}`)
    try {
      const value = await settle(method.apply(owner, decode(step.args ?? [])))
      if (step.expect_error === true) {
        throw new Error(`step ${index} (${step.op}) was expected to fail but returned ${JSON.stringify(encode(value))}`)
      }
      results.push(encode(value))
    } catch (err) {
      if (step.expect_error !== true || err.message.includes('was expected to fail')) {
        err.message = `step ${index} (${step.op}): ${err.message}`
        throw err
      }
      results.push({ error: err.message, name: err.name, status: err.response?.status ?? null })
    }
  }
  // exit only once the (possibly large) line is flushed into the pipe
  process.stdout.write(JSON.stringify(results) + '\n', () => process.exit(0))
}

main().catch((err) => {
  let text = err?.stack ?? String(err)
  for (let cause = err?.cause; cause != null; cause = cause.cause) text += `\ncaused by: ${cause?.stack ?? cause}`
  process.stderr.write(`${text}\n`)
  process.exit(1)
})
