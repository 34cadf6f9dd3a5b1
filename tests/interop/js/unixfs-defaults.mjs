#!/usr/bin/env node
// node unixfs-defaults.mjs [unixfs-add options]
// Prints, as JSON, the effective default ImporterOptions of the installed
// ipfs-unixfs-importer (read from its source: constants.js is not exported,
// the layout / profile defaults are module-local), the two profiles, the
// @helia/unixfs defaults, and - when unixfs-add options are given - the
// settings those options resolve to. Fails loudly if the source no longer
// matches the patterns below (i.e. after a version bump: re-check then).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs, UsageError, USAGE } from './unixfs-options.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const pkgDir = (name) => path.join(here, 'node_modules', name)
const version = (name) => JSON.parse(fs.readFileSync(path.join(pkgDir(name), 'package.json'), 'utf8')).version
const src = (name, rel) => fs.readFileSync(path.join(pkgDir(name), rel), 'utf8')

function grab (text, re, what) {
  const m = text.match(re)
  if (m == null) throw new Error(`could not find ${what} (pattern ${re}) - importer source changed?`)
  return m[1]
}
const num = (s) => Number(s.replace(/_/g, ''))

const IMP = 'ipfs-unixfs-importer'
const C = await import(pathToFileURL(path.join(pkgDir(IMP), 'dist/src/constants.js')).href)
const balancedSrc = src(IMP, 'dist/src/layout/balanced.js')
const trickleSrc = src(IMP, 'dist/src/layout/trickle.js')
const fixedSrc = src(IMP, 'dist/src/chunker/fixed-size.js')
const indexSrc = src(IMP, 'dist/src/index.js')
const persistSrc = src(IMP, 'dist/src/utils/persist.js')
const bufSrc = src(IMP, 'dist/src/dag-builder/buffer-importer.js')
const constName = { DEFAULT_CHUNK_SIZE_256KIB: C.DEFAULT_CHUNK_SIZE_256KIB, DEFAULT_CHUNK_SIZE_1MIB: C.DEFAULT_CHUNK_SIZE_1MIB }

const balancedWidth = num(grab(balancedSrc, /DEFAULT_MAX_CHILDREN_PER_NODE = ([\d_]+)/, 'balanced width'))
const trickleWidth = num(grab(trickleSrc, /DEFAULT_MAX_CHILDREN_PER_NODE = ([\d_]+)/, 'trickle width'))
const layerRepeat = num(grab(trickleSrc, /DEFAULT_LAYER_REPEAT = ([\d_]+)/, 'trickle layerRepeat'))
const fixedDefault = constName[grab(fixedSrc, /chunkSize \?\? (\w+)/, 'fixedSize default')]
if (!/sha256\.digest\(buffer\)/.test(persistSrc)) throw new Error('persist.js no longer hard-codes sha256')
if (!/options\.rawLeaves\)\s*{\s*opts\.codec = raw;\s*opts\.cidVersion = 1;/.test(bufSrc)) throw new Error('raw-leaf CIDv1 rule changed')

function profile (name) {
  const start = indexSrc.indexOf(`options.profile === '${name}'`)
  if (start === -1) throw new Error(`profile ${name} not found in index.js`)
  const block = indexSrc.slice(start, indexSrc.indexOf('}', start))
  return {
    cidVersion: num(grab(block, /options\.cidVersion = options\.cidVersion \?\? (\d)/, `${name} cidVersion`)),
    rawLeaves: grab(block, /options\.rawLeaves = options\.rawLeaves \?\? (true|false)/, `${name} rawLeaves`) === 'true',
    chunkSize: constName[grab(block, /chunkSize = (\w+);/, `${name} chunkSize`)],
    maxChildrenPerNode: num(grab(block, /maxChildrenPerNode = ([\d_]+);/, `${name} width`)),
    shardSplitStrategy: grab(block, /options\.shardSplitStrategy = options\.shardSplitStrategy \?\? '([\w-]+)'/, `${name} strategy`),
    shardSplitThresholdBytes: C.DEFAULT_SHARD_SPLIT_THRESHOLD_BYTES, // profiles do not change it
    fieldOrder: grab(block, /options\.fieldOrder = '([\w-]+)'/, `${name} fieldOrder`),
    layout: 'balanced',
    note: 'cidVersion/rawLeaves/shardSplitStrategy are ?? defaults (explicit options win); chunkSize/width apply only when options.chunker/options.layout are unset; fieldOrder is forced'
  }
}

const defaults = {
  cidVersion: C.DEFAULT_CID_VERSION,
  rawLeaves: C.DEFAULT_RAW_LEAVES,
  rawLeavesForceCidV1: true, // raw leaves are always CIDv1 'raw' (bafkrei...), even with cidVersion 0
  cidV1ImpliesRawLeaves: false, // independent options; rawLeaves defaults to true for any cidVersion
  chunker: { type: 'fixed', chunkSize: fixedDefault },
  layout: { type: 'balanced', maxChildrenPerNode: balancedWidth },
  trickle: { maxChildrenPerNode: trickleWidth, layerRepeat },
  reduceSingleLeafToSelf: C.DEFAULT_REDUCE_SINGLE_LEAF_TO_SELF,
  leafType: C.DEFAULT_LEAF_TYPE,
  wrapWithDirectory: C.DEFAULT_WRAP_WITH_DIRECTORY,
  shardSplitThresholdBytes: C.DEFAULT_SHARD_SPLIT_THRESHOLD_BYTES,
  shardSplitStrategy: C.DEFAULT_SHARD_SPLIT_STRATEGY,
  shardFanoutBits: C.DEFAULT_SHARD_FANOUT_BITS,
  shardHashCode: Number(C.DEFAULT_SHARD_HASH_CODE), // 0x22 murmur3-x64-64 (first 8 bytes of murmur3-128, reversed)
  fieldOrder: C.DEFAULT_FIELD_ORDER,
  hash: 'sha2-256', // hard-coded in utils/persist.js
  fileImportConcurrency: C.DEFAULT_FILE_IMPORT_CONCURRENCY,
  blockWriteConcurrency: C.DEFAULT_BLOCK_WRITE_CONCURRENCY,
  mtime: null, // only what the caller puts on a candidate; the importer reads no file metadata
  mode: null
}

const heliaSrc = src('@helia/unixfs', 'dist/src/commands/add.js')
const helia = {
  cidVersion: num(grab(heliaSrc, /cidVersion: (\d)/, 'helia cidVersion')),
  rawLeaves: grab(heliaSrc, /rawLeaves: (true|false)/, 'helia rawLeaves') === 'true',
  layout: { type: 'balanced', maxChildrenPerNode: num(grab(heliaSrc, /maxChildrenPerNode: ([\d_]+)/, 'helia width')) },
  chunker: { type: 'fixed', chunkSize: num(grab(heliaSrc, /chunkSize: ([\d_]+)/, 'helia chunkSize')) },
  note: 'merged under the caller options ({...defaults, ...options}); every other option = importer default. Because cidVersion, rawLeaves, chunker and layout are always set, a profile passed through @helia/unixfs only changes shardSplitStrategy (and fieldOrder): profile unixfs-v0-2015 via Helia still gives CIDv1 raw-leaf 1 MiB/1024 DAGs.'
}

function effective (cli) {
  if (cli.defaults && cli.api !== 'helia') return { ...defaults }
  const base = cli.api === 'helia' ? { ...defaults, ...helia } : { ...defaults }
  delete base.note
  const p = cli.profile != null ? profile(cli.profile) : null
  const e = { ...base }
  if (p != null) {
    e.profile = cli.profile
    e.shardSplitStrategy = p.shardSplitStrategy; e.fieldOrder = p.fieldOrder
    if (cli.api !== 'helia') { // @helia/unixfs always passes cidVersion, rawLeaves, chunker and layout, so they win over the profile
      e.cidVersion = p.cidVersion; e.rawLeaves = p.rawLeaves
      e.chunker = { type: 'fixed', chunkSize: p.chunkSize }; e.layout = { type: 'balanced', maxChildrenPerNode: p.maxChildrenPerNode }
    }
  }
  if (cli.defaults) return e
  for (const k of ['cidVersion', 'rawLeaves', 'reduceSingleLeafToSelf', 'leafType', 'shardSplitThresholdBytes', 'shardSplitStrategy', 'shardFanoutBits']) {
    if (cli[k] != null) e[k] = cli[k]
  }
  if (cli.wrapWithDirectory) e.wrapWithDirectory = true
  if (cli.chunkSize != null) e.chunker = { type: 'fixed', chunkSize: cli.chunkSize }
  if (cli.layout != null || cli.maxChildren != null) {
    const width = cli.maxChildren ?? p?.maxChildrenPerNode ?? (cli.layout === 'trickle' ? trickleWidth : balancedWidth)
    e.layout = cli.layout === 'trickle'
      ? { type: 'trickle', maxChildrenPerNode: width, layerRepeat: cli.layerRepeat ?? layerRepeat }
      : { type: 'balanced', maxChildrenPerNode: width }
  }
  if (cli.preserveMode) e.mode = 'lstat mode & 0o7777 (defaults 0o644 file / 0o755 dir are not encoded)'
  if (cli.preserveMtime) e.mtime = 'lstat mtime {secs, nsecs (omitted when 0)}'
  return e
}

let cli
try {
  const parsed = parseArgs(process.argv.slice(2))
  if (parsed.paths.length > 0) throw new UsageError(`unexpected argument ${parsed.paths[0]}`)
  cli = parsed.cli
} catch (err) {
  if (!(err instanceof UsageError)) throw err
  console.error(`${err.message}\n${USAGE.replace('unixfs-add.mjs [options] PATH...', 'unixfs-defaults.mjs [options]')}`)
  process.exit(2)
}
const out = {
  versions: Object.fromEntries([IMP, 'ipfs-unixfs', 'blockstore-core', '@helia/unixfs', 'ipfs-unixfs-exporter'].map((n) => [n, version(n)])),
  node: process.version,
  defaults,
  profiles: { 'unixfs-v0-2015': profile('unixfs-v0-2015'), 'unixfs-v1-2025': profile('unixfs-v1-2025') },
  helia
}
if (process.argv.length > 2) out.effective = effective(cli)
process.stdout.write(JSON.stringify(out, null, 2) + '\n')
