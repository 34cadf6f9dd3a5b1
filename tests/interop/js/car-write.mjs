#!/usr/bin/env node
// car-write.mjs <spec.json> <out.car>
// Writes a CARv1 with @ipld/car's CarWriter from a JSON spec
//   {"roots": ["<cid>", ...], "blocks": [{"cid": "<cid>", "bytes": "<base64>"}, ...]}
// Blocks are written exactly in the given order (duplicates are written again;
// bytes are not checked against the CID). CID strings may be CIDv0 (Qm...) or
// CIDv1 in base32 / base58btc / base36 / base64 multibase. "-" as spec path
// reads the spec from stdin. Errors: message on stderr, exit code 1.
import fs from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { CarWriter } from '@ipld/car/writer'
import { CID } from 'multiformats/cid'
import { base32 } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { base64, base64url } from 'multiformats/bases/base64'

const decoder = base32.decoder.or(base58btc.decoder).or(base36.decoder).or(base64.decoder).or(base64url.decoder)
const parseCid = (s) => CID.parse(s, decoder) // 'Qm...' (CIDv0) is always parsed as base58btc

async function main () {
  const [specPath, outPath] = process.argv.slice(2)
  if (!specPath || !outPath || process.argv.length > 4) {
    process.stderr.write('usage: car-write.mjs <spec.json> <out.car>\n')
    process.exit(2)
  }
  const spec = JSON.parse(fs.readFileSync(specPath === '-' ? 0 : specPath, 'utf8'))
  const roots = (spec.roots || []).map(parseCid)
  const blocks = (spec.blocks || []).map((b, i) => {
    if (typeof b.cid !== 'string' || typeof b.bytes !== 'string') throw new Error(`blocks[${i}] needs string "cid" and "bytes"`)
    return { cid: parseCid(b.cid), bytes: new Uint8Array(Buffer.from(b.bytes, 'base64')) }
  })
  const { writer, out } = CarWriter.create(roots)
  const done = pipeline(Readable.from(out), fs.createWriteStream(outPath))
  for (const block of blocks) await writer.put(block)
  await writer.close()
  await done
}

main().catch((err) => {
  process.stderr.write(`car-write: ${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
