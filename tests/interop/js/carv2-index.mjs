#!/usr/bin/env node
// carv2-index.mjs — go-car compatible CARv2 index writer/reader (via `cardex`).
//
//   carv2-index.mjs write [--format MultihashIndexSorted|IndexSorted] [--store-identity] <in.car> <out-index.bin>
//   carv2-index.mjs read <index.bin | file.car(v2)>
//
// write: indexes every section of the CAR's data payload, as go-car's
//   car.LoadIndex/GenerateIndex does: offset = byte position of the section's
//   leading uvarint length, relative to the first byte of the CARv1 payload
//   (the CARv1 header's varint); for a plain CARv1 that is the absolute file
//   offset. Identity-multihash CIDs are skipped (go-car default,
//   StoreIdentityCIDs=false) unless --store-identity. Duplicate CIDs get one
//   record per occurrence. Output = uvarint(index codec) + index body, i.e.
//   exactly the bytes go-car's index.WriteTo writes (what sits at a CARv2's
//   IndexOffset). Default format MultihashIndexSorted (0x0401), go-car's default.
// read: prints JSON records in stored order (code asc, width asc, digest asc):
//   MultihashIndexSorted: [{"code": n, "digest": hex, "multihash": hex, "offset": n}, ...]
//   IndexSorted:          [{"digest": hex, "offset": n}, ...]
//   A CARv2 file is accepted too: the index at its header's IndexOffset is read.
//   Records are decoded twice (cardex reader + an independent parser here that
//   also checks every byte is consumed); any disagreement is an error.
// Errors: message on stderr, exit 1 (usage errors exit 2).
import fs from 'node:fs'
import { Readable } from 'node:stream'
import varint from 'varint'
import { createDecoder, asyncIterableReader } from '@ipld/car/decoder'
import { IndexSortedReader, IndexSortedWriter, MultihashIndexSortedReader, MultihashIndexSortedWriter } from 'cardex'

const MH_INDEX_SORTED = 0x0401
const INDEX_SORTED = 0x0400
const IDENTITY = 0x00
const CARV2_PRAGMA = Buffer.from('0aa16776657273696f6e02', 'hex')
const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex')

function usage () {
  process.stderr.write('usage: carv2-index.mjs write [--format MultihashIndexSorted|IndexSorted] [--store-identity] <in.car> <out-index.bin>\n' +
    '       carv2-index.mjs read <index.bin|file.car>\n')
  process.exit(2)
}

async function write (args) {
  let format = 'MultihashIndexSorted'
  let storeIdentity = false
  const pos = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--format') format = args[++i]
    else if (args[i] === '--store-identity') storeIdentity = true
    else pos.push(args[i])
  }
  if (pos.length !== 2 || !['MultihashIndexSorted', 'IndexSorted'].includes(format)) usage()
  const [inPath, outPath] = pos
  const decoder = createDecoder(asyncIterableReader(fs.createReadStream(inPath)))
  const header = await decoder.header()
  const dataOffset = header.version === 2 ? Number(header.dataOffset) : 0
  const chunks = []
  const sink = { write: async (c) => { chunks.push(c) }, close: async () => {}, releaseLock () {} }
  const Writer = format === 'IndexSorted' ? IndexSortedWriter : MultihashIndexSortedWriter
  const writer = Writer.createWriter({ writer: sink })
  for await (const { cid, offset } of decoder.blocksIndex()) {
    if (!storeIdentity && cid.multihash.code === IDENTITY) continue
    writer.add(cid, offset - dataOffset)
  }
  await writer.close()
  fs.writeFileSync(outPath, Buffer.concat(chunks))
}

// Independent parser of go-car's layout (all fixed ints little-endian).
function parseIndex (buf) {
  let p = 0
  const need = (n) => { if (p + n > buf.length) throw new Error(`index truncated at byte ${p}`) }
  const u32 = () => { need(4); const v = buf.readUInt32LE(p); p += 4; return v }
  const u64 = () => { need(8); const v = buf.readBigUInt64LE(p); p += 8; if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('u64 too big'); return Number(v) }
  const codec = varint.decode(buf, 0); p = varint.decode.bytes
  const buckets = (code) => {
    const out = []
    const n = u32()
    for (let b = 0; b < n; b++) {
      const width = u32(); const len = u64()
      if (width <= 8 || len % width !== 0) throw new Error(`bad bucket: width ${width} byte-length ${len}`)
      need(len)
      for (let r = 0; r < len / width; r++) {
        const digest = buf.subarray(p, p + width - 8)
        const offset = Number(buf.readBigUInt64LE(p + width - 8))
        p += width
        const rec = code === undefined ? { digest: hex(digest) } : { code, digest: hex(digest), multihash: hex(Buffer.concat([Buffer.from(varint.encode(code)), Buffer.from(varint.encode(digest.length)), digest])) }
        rec.offset = offset
        out.push(rec)
      }
    }
    return out
  }
  let records
  if (codec === MH_INDEX_SORTED) {
    records = []
    const ncodes = u32()
    for (let c = 0; c < ncodes; c++) records.push(...buckets(u64()))
  } else if (codec === INDEX_SORTED) {
    records = buckets(undefined)
  } else {
    throw new Error(`unknown index codec 0x${codec.toString(16)}`)
  }
  if (p !== buf.length) throw new Error(`${buf.length - p} trailing bytes after index`)
  return { codec, records }
}

async function readWithCardex (buf, codec) {
  const Reader = codec === MH_INDEX_SORTED ? MultihashIndexSortedReader : IndexSortedReader
  const reader = Reader.createReader({ reader: Readable.toWeb(Readable.from([buf])).getReader() })
  const out = []
  while (true) {
    const { done, value } = await reader.read()
    if (done) break
    const rec = value.multihash
      ? { code: value.multihash.code, digest: hex(value.digest), multihash: hex(value.multihash.bytes) }
      : { digest: hex(value.digest) }
    rec.offset = value.offset
    out.push(rec)
  }
  return out
}

async function read (args) {
  if (args.length !== 1) usage()
  let buf = fs.readFileSync(args[0])
  if (buf.length >= 51 && buf.subarray(0, 11).equals(CARV2_PRAGMA)) {
    const indexOffset = Number(buf.readBigUInt64LE(11 + 16 + 8 + 8))
    if (indexOffset === 0) throw new Error('CARv2 has no index (IndexOffset = 0)')
    buf = buf.subarray(indexOffset)
  }
  const { codec, records } = parseIndex(buf)
  // cardex's readers assume at least one record per bucket; skip them on an empty index.
  if (records.length) {
    const viaCardex = await readWithCardex(buf, codec)
    if (JSON.stringify(viaCardex) !== JSON.stringify(records)) throw new Error('cardex and built-in parser disagree on this index')
  }
  process.stdout.write(JSON.stringify(records) + '\n')
}

async function main () {
  const [cmd, ...args] = process.argv.slice(2)
  if (cmd === 'write') return write(args)
  if (cmd === 'read') return read(args)
  usage()
}

main().catch((err) => {
  process.stderr.write(`carv2-index: ${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
