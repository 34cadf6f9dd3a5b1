#!/usr/bin/env node
// node unixfs-add.mjs [options] PATH...
// Imports files / directories with the real JS UnixFS importer (ipfs-unixfs-importer,
// or @helia/unixfs with --api helia) into an in-memory blockstore and prints
//   {"root": "<cid>", "entries": [{"path": ..., "cid": ..., "size": N}, ...]}
// entries = what the importer yields, in yield order; root = CID of the last one.
// Nothing touches the network. See README.md for the option mapping.
import fs from 'node:fs'
import path from 'node:path'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { importer } from 'ipfs-unixfs-importer'
import { parseArgs, importerOptions, UsageError, USAGE } from './unixfs-options.mjs'

const byteCmp = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))

function meta (st, cli) {
  const m = {}
  if (cli.preserveMode) m.mode = Number(st.mode & 0o7777n)
  if (cli.preserveMtime) {
    const ns = st.mtimeNs
    const secs = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n)
    const nsecs = Number(ns - secs * 1_000_000_000n)
    m.mtime = nsecs === 0 ? { secs } : { secs, nsecs }
  }
  return m
}

/**
 * Import candidates for one PATH, in pre-order (a directory before its
 * contents, names sorted bytewise). Every directory gets an explicit
 * `{ path }` candidate (no content) - that is the only way the importer
 * learns about empty directories; for non-empty ones it just carries mode/mtime.
 */
function * candidates (p, cli) {
  const st = fs.lstatSync(p, { bigint: true })
  const top = path.basename(path.resolve(p))
  function * walk (abs, rel, st) {
    if (st.isSymbolicLink()) {
      yield { path: rel, link: fs.readlinkSync(abs), ...meta(st, cli) }
    } else if (st.isFile()) {
      yield { path: rel, content: fs.createReadStream(abs, { highWaterMark: 1 << 20 }), ...meta(st, cli) }
    } else if (st.isDirectory()) {
      yield { path: rel, ...meta(st, cli) }
      const names = fs.readdirSync(abs).sort(byteCmp) // hidden files included
      for (const name of names) {
        const a = path.join(abs, name)
        yield * walk(a, `${rel}/${name}`, fs.lstatSync(a, { bigint: true }))
      }
    } else {
      throw new Error(`unsupported file type: ${abs}`)
    }
  }
  yield * walk(p, top, st)
}

async function main () {
  let parsed
  try {
    parsed = parseArgs(process.argv.slice(2))
    if (parsed.paths.length === 0) throw new UsageError('no PATH given')
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    console.error(`${err.message}\n${USAGE}`)
    process.exit(2)
  }
  const { cli, paths } = parsed
  const tops = paths.map((p) => path.basename(path.resolve(p)))
  if (new Set(tops).size !== tops.length) throw new Error(`duplicate top-level names: ${tops.join(', ')}`)

  const source = (function * () { for (const p of paths) yield * candidates(p, cli) })()
  const blockstore = new MemoryBlockstore()
  const opts = importerOptions(cli)
  let results
  if (cli.api === 'helia') {
    const { unixfs } = await import('@helia/unixfs')
    results = unixfs({ blockstore }).addAll(source, opts)
  } else {
    results = importer(source, blockstore, opts)
  }
  const entries = []
  for await (const e of results) {
    entries.push({ path: e.path ?? '', cid: e.cid.toString(), size: Number(e.size) })
  }
  if (entries.length === 0) throw new Error('importer yielded nothing')
  process.stdout.write(JSON.stringify({ root: entries[entries.length - 1].cid, entries }) + '\n')
}

main().catch((err) => { console.error(err.stack ?? String(err)); process.exit(1) })
