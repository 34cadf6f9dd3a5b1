#!/usr/bin/env node
// Fetch a UnixFS file or directory tree from ONE trustless gateway with Helia
// (@helia/http's trustless-gateway block broker, @helia/unixfs exporter), verifying
// every block; print what was exported as JSON.
//
//   node helia-fetch.mjs [--out DIR] [--timeout S] <gateway-url> <cid>
//
// stdout, one JSON line:
//   {"root": cid, "type": "file"|"directory"|"raw",
//    "entries": [{"path", "type", "unixfs", "cid", "size", "sha256"}...],  (pre-order, names
//                as listed; path "" = the root; "unixfs": the UnixFS node type, e.g.
//                "hamt-sharded-directory", null for raw blocks; files carry size+sha256,
//                symlinks their "target")
//    "blocks": N,                      (blocks Helia fetched and verified into its store)
//    "requests": [{"url", "accept", "status"}...]}
// With --out, files are written under DIR (the root file as DIR/<cid> when it is a file).
// Any error (bad block, 4xx/5xx, timeout): message on stderr, exit 1 (timeout: 3).

import './_node20.mjs' // first: Promise.withResolvers on Node 20
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { CID } from 'multiformats/cid'
import { die, finish, gatewayOnlyHelia, hardTimeout, parseArgs, setUsage, sha256, usage } from './_helia-node.mjs'

setUsage('usage: node helia-fetch.mjs [--out DIR] [--timeout S] <gateway-url> <cid>')

async function main () {
  const args = parseArgs(process.argv.slice(2), { options: ['out', 'timeout'] })
  if (args._.length !== 2) usage('expected <gateway-url> <cid>')
  const [gateway, cidText] = args._
  const signal = hardTimeout(Number(args.timeout ?? 120), 'helia-fetch')
  const root = CID.parse(cidText)
  const { helia, requests } = await gatewayOnlyHelia(gateway)
  const fs = unixfs(helia)
  const entries = []

  async function visit (cid, path) {
    const stat = await fs.stat(cid, { signal })
    const entry = { path, type: stat.type, unixfs: stat.unixfs?.type ?? null, cid: cid.toString() }
    entries.push(entry)
    if (stat.type === 'directory') {
      if (args.out != null) await mkdir(join(args.out, path), { recursive: true })
      const children = []
      for await (const child of fs.ls(cid, { signal })) children.push(child)
      for (const child of children) {
        await visit(child.cid, path === '' ? child.name : `${path}/${child.name}`)
      }
      return
    }
    if (stat.unixfs?.type === 'symlink') {
      entry.target = new TextDecoder().decode(stat.unixfs.data)
      if (args.out != null) await symlink(entry.target, join(args.out, path))
      return
    }
    const hash = sha256()
    const chunks = []
    let size = 0
    for await (const chunk of fs.cat(cid, { signal })) {
      hash.update(chunk)
      size += chunk.byteLength
      if (args.out != null) chunks.push(chunk)
    }
    entry.size = size
    entry.sha256 = hash.digest('hex')
    if (args.out != null) {
      const target = path === '' ? join(args.out, cid.toString()) : join(args.out, path)
      await mkdir(args.out, { recursive: true })
      await writeFile(target, Buffer.concat(chunks))
    }
  }

  await visit(root, '')
  let blocks = 0
  for await (const _ of helia.blockstore.getAll({ signal })) blocks++ // eslint-disable-line no-unused-vars
  await helia.stop()
  finish({ root: root.toString(), type: entries[0].type, entries, blocks, requests })
}

main().catch(die)
