#!/usr/bin/env node
// node --expose-gc bench/_js_import_bench.mjs --js-dir DIR --file PATH [--runs N]
// Helper of bench/import.py: times the JS UnixFS importers in-process on one file and
// prints one JSON line. Packages are loaded from DIR/node_modules (tests/interop/js after
// `npm ci`); nothing touches the network.
//
// Cases (every one reads PATH from disk through fs.createReadStream, 1 MiB reads):
//   helia-default   @helia/unixfs addByteStream, Helia's defaults (CIDv1, raw leaves, 1 MiB,
//                   1024 links), into a BlackHoleBlockstore: blocks are built, hashed and
//                   dropped, the closest JS equivalent of a hash-only import
//   importer-v1     ipfs-unixfs-importer importFile, profile unixfs-v1-2025, BlackHoleBlockstore
//   importer-v0     same, profile unixfs-v0-2015 (Kubo-like: CIDv0, dag-pb leaves, 256 KiB, 174)
//   ipfs-car        ipfs-car createFileEncoderStream (its `pack` settings), block stream
//                   drained and dropped: DAG building and hashing only, no CAR bytes
//   ipfs-car+car    the same piped through CAREncoderStream into a discarding sink (what
//                   `ipfs-car pack` does, minus the file write): a reference, not hash-only
// Each case: one untimed warm-up (JIT), then N runs (import.py passes N=1, one process
// per round); gc() before every import, outside the timer; performance.now() from
// opening the file to the root CID.
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'

const args = process.argv.slice(2)
const opt = (name, dflt) => { const i = args.indexOf(name); return i === -1 ? dflt : args[i + 1] }
const jsDir = path.resolve(opt('--js-dir', '.'))
const file = opt('--file', null)
const runs = Number(opt('--runs', '3'))
if (file == null) throw new Error('--file is required')

const req = createRequire(path.join(jsDir, 'package.json'))
const load = (spec) => import(pathToFileURL(req.resolve(spec)).href)
const version = (name) => JSON.parse(fs.readFileSync(path.join(jsDir, 'node_modules', name, 'package.json'), 'utf8')).version

const { importFile } = await load('ipfs-unixfs-importer')
const { BlackHoleBlockstore } = await load('blockstore-core/black-hole')
const { unixfs } = await load('@helia/unixfs')
const { createFileEncoderStream, CAREncoderStream } = await load('ipfs-car')

const readStream = () => fs.createReadStream(file, { highWaterMark: 1 << 20 })
const blobLike = () => ({ stream: () => Readable.toWeb(readStream()) })

const cases = {
  'helia-default': async () => unixfs({ blockstore: new BlackHoleBlockstore() }).addByteStream(readStream()),
  'importer-v1': async () => (await importFile({ content: readStream() }, new BlackHoleBlockstore(), { profile: 'unixfs-v1-2025' })).cid,
  'importer-v0': async () => (await importFile({ content: readStream() }, new BlackHoleBlockstore(), { profile: 'unixfs-v0-2015' })).cid,
  'ipfs-car': async () => {
    let last = null
    await createFileEncoderStream(blobLike()).pipeTo(new WritableStream({ write (block) { last = block } }))
    return last.cid
  },
  'ipfs-car+car': async () => {
    const car = new CAREncoderStream()
    await createFileEncoderStream(blobLike()).pipeThrough(car).pipeTo(new WritableStream({ write () {} }))
    return car.finalBlock.cid
  }
}

const gc = globalThis.gc ?? (() => {})
const out = {
  node: process.version,
  versions: Object.fromEntries(['ipfs-unixfs-importer', '@helia/unixfs', 'blockstore-core', 'ipfs-car', '@ipld/unixfs'].map((n) => {
    try { return [n, version(n)] } catch { return [n, version(`ipfs-car/node_modules/${n}`)] }
  })),
  bytes: fs.statSync(file).size,
  cases: {}
}
for (const [name, run] of Object.entries(cases)) {
  gc()
  let t0 = performance.now()
  const root = (await run()).toString()
  const warmup = (performance.now() - t0) / 1000
  const seconds = []
  for (let i = 0; i < runs; i++) {
    gc()
    t0 = performance.now()
    const cid = (await run()).toString()
    seconds.push((performance.now() - t0) / 1000)
    if (cid !== root) throw new Error(`${name}: not deterministic: ${cid} != ${root}`)
  }
  out.cases[name] = { root, seconds, warmup_s: warmup }
}
process.stdout.write(JSON.stringify(out) + '\n')
