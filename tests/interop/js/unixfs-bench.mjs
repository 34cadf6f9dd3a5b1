#!/usr/bin/env node
// node unixfs-bench.mjs [--mib N] [--runs R] [--profile P] [--file PATH]
// Throughput baseline of ipfs-unixfs-importer: imports N MiB (default 64) of
// random bytes (held in memory, fed as 1 MiB buffers; or a file streamed from
// disk with --file) R times (default 3) into a discarding blockstore
// (BlackHoleBlockstore: chunk + sha2-256 + dag-pb only) and into a
// MemoryBlockstore, and prints JSON with MB/s (MB = 10^6 bytes) per run, the
// median, and a plain node:crypto sha2-256 pass over the same bytes for scale.
import crypto from 'node:crypto'
import fs from 'node:fs'
import { BlackHoleBlockstore } from 'blockstore-core/black-hole'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { importer } from 'ipfs-unixfs-importer'

const args = process.argv.slice(2)
const opt = (name, dflt) => { const i = args.indexOf(name); return i === -1 ? dflt : args[i + 1] }
const mib = Number(opt('--mib', '64'))
const runs = Number(opt('--runs', '3'))
const profile = opt('--profile', 'unixfs-v1-2025')
const file = opt('--file', null)

const total = file != null ? fs.statSync(file).size : mib * 1048576
const bufs = []
if (file == null) for (let i = 0; i < mib; i++) bufs.push(crypto.randomBytes(1048576))
const content = () => file != null ? fs.createReadStream(file, { highWaterMark: 1 << 20 }) : bufs

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mbps = (ms) => +(total / 1e6 / (ms / 1000)).toFixed(1)

async function once (store) {
  const t0 = performance.now()
  let last
  for await (const e of importer([{ path: 'bench.bin', content: content() }], store, { profile })) last = e
  return { ms: performance.now() - t0, cid: last.cid.toString() }
}

const out = { node: process.version, profile, bytes: total, source: file ?? 'memory', runs }
for (const [name, mk] of [['blackhole', () => new BlackHoleBlockstore()], ['memory', () => new MemoryBlockstore()]]) {
  await once(mk()) // warm-up
  const r = []
  let cid
  for (let i = 0; i < runs; i++) { const x = await once(mk()); r.push(mbps(x.ms)); cid = x.cid }
  out[name] = { mbps: r, median_mbps: median(r), root: cid }
}
if (file == null) {
  const r = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    for (const b of bufs) crypto.createHash('sha256').update(b).digest()
    r.push(mbps(performance.now() - t0))
  }
  out.node_sha256_1MiB = { mbps: r, median_mbps: median(r) }
}
process.stdout.write(JSON.stringify(out) + '\n')
