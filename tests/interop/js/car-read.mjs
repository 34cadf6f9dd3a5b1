#!/usr/bin/env node
// car-read.mjs <file.car>
// Streams a CAR (v1 or v2) through @ipld/car's CarBlockIterator and prints ONE
// JSON object to stdout:
//   {"version": N, "roots": ["<cid>", ...],
//    "blocks": [{"cid": "<cid>", "bytes": "<base64>"}, ...]}
// Blocks are listed in file order (duplicates kept). CIDv0 prints as base58btc
// (Qm...), CIDv1 as base32 (cid.toString() default). Block bytes are NOT
// re-hashed/verified against the CID. On any parse error: message on stderr,
// exit code 1.
import fs from 'node:fs'
import { CarBlockIterator } from '@ipld/car/iterator'

async function main () {
  const file = process.argv[2]
  if (!file || process.argv.length > 3) {
    process.stderr.write('usage: car-read.mjs <file.car>\n')
    process.exit(2)
  }
  const iter = await CarBlockIterator.fromIterable(fs.createReadStream(file))
  const roots = (await iter.getRoots()).map((c) => c.toString())
  const blocks = []
  for await (const { cid, bytes } of iter) {
    blocks.push({ cid: cid.toString(), bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') })
  }
  process.stdout.write(JSON.stringify({ version: iter.version, roots, blocks }) + '\n')
}

main().catch((err) => {
  process.stderr.write(`car-read: ${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
