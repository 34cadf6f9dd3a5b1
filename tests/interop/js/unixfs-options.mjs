// Shared CLI option parsing for unixfs-add.mjs / unixfs-defaults.mjs.
// Maps Kubo-style flags onto ipfs-unixfs-importer ImporterOptions (see README.md).
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced, trickle } from 'ipfs-unixfs-importer/layout'

export class UsageError extends Error {}

const BOOL = { true: true, false: false }
const bool = (flag, v) => {
  if (!(v in BOOL)) throw new UsageError(`${flag} expects true|false, got ${JSON.stringify(v)}`)
  return BOOL[v]
}
const int = (flag, v, min = 0) => {
  if (v == null || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} expects an integer >= ${min}, got ${JSON.stringify(v)}`)
  return Number(v)
}
const oneOf = (flag, v, allowed) => {
  if (!allowed.includes(v)) throw new UsageError(`${flag} expects ${allowed.join('|')}, got ${JSON.stringify(v)}`)
  return v
}

// flag -> [takes value?, handler(cli, value)]
const FLAGS = {
  '--profile': [true, (c, v) => { c.profile = oneOf('--profile', v, ['unixfs-v1-2025', 'unixfs-v0-2015']) }],
  '--cid-version': [true, (c, v) => { c.cidVersion = Number(oneOf('--cid-version', v, ['0', '1'])) }],
  '--raw-leaves': [true, (c, v) => { c.rawLeaves = bool('--raw-leaves', v) }],
  '--chunk-size': [true, (c, v) => { c.chunkSize = int('--chunk-size', v, 1) }],
  '--max-children': [true, (c, v) => { c.maxChildren = int('--max-children', v, 2) }],
  '--layout': [true, (c, v) => { c.layout = oneOf('--layout', v, ['balanced', 'trickle']) }],
  '--layer-repeat': [true, (c, v) => { c.layerRepeat = int('--layer-repeat', v, 1) }],
  '--wrap-with-directory': [false, (c) => { c.wrapWithDirectory = true }],
  '--shard-split-threshold-bytes': [true, (c, v) => { c.shardSplitThresholdBytes = int('--shard-split-threshold-bytes', v) }],
  '--shard-split-strategy': [true, (c, v) => { c.shardSplitStrategy = oneOf('--shard-split-strategy', v, ['links-bytes', 'block-bytes']) }],
  '--shard-fanout-bits': [true, (c, v) => { c.shardFanoutBits = int('--shard-fanout-bits', v, 1) }],
  '--reduce-single-leaf-to-self': [true, (c, v) => { c.reduceSingleLeafToSelf = bool('--reduce-single-leaf-to-self', v) }],
  '--leaf-type': [true, (c, v) => { c.leafType = oneOf('--leaf-type', v, ['file', 'raw']) }],
  '--hash': [true, (c, v) => {
    // ipfs-unixfs-importer 17.x hard-codes sha2-256 (utils/persist.js); there is no hasher option.
    if (v !== 'sha2-256') throw new UsageError(`--hash ${v}: ipfs-unixfs-importer only supports sha2-256`)
  }],
  '--inline-limit': [true, (c, v) => {
    // No identity-CID inlining in ipfs-unixfs-importer 17.x; 0 (= disabled, Kubo's default) is accepted as a no-op.
    if (int('--inline-limit', v) !== 0) throw new UsageError('--inline-limit: ipfs-unixfs-importer has no identity-CID inlining (only 0 is accepted)')
  }],
  '--preserve-mode': [false, (c) => { c.preserveMode = true }],
  '--preserve-mtime': [false, (c) => { c.preserveMtime = true }],
  '--api': [true, (c, v) => { c.api = oneOf('--api', v, ['importer', 'helia']) }],
  '--defaults': [false, (c) => { c.defaults = true }]
}

/** Parse argv -> { cli, paths }. Accepts `--flag value` and `--flag=value`. */
export function parseArgs (argv) {
  const cli = { api: 'importer' }
  const paths = []
  const given = []
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]
    if (a === '--') { paths.push(...argv.slice(i + 1)); break }
    if (!a.startsWith('--')) { paths.push(a); continue }
    let val
    const eq = a.indexOf('=')
    if (eq !== -1) { val = a.slice(eq + 1); a = a.slice(0, eq) }
    const spec = FLAGS[a]
    if (spec == null) throw new UsageError(`unknown option ${a}`)
    if (spec[0] && val === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`)
      val = argv[++i]
    } else if (!spec[0] && val !== undefined) throw new UsageError(`${a} takes no value`)
    spec[1](cli, val)
    given.push(a)
  }
  if (cli.defaults && given.some((f) => f !== '--defaults' && f !== '--api')) {
    throw new UsageError('--defaults cannot be combined with other importer options')
  }
  if (cli.layerRepeat != null && cli.layout !== 'trickle') throw new UsageError('--layer-repeat needs --layout trickle')
  return { cli, paths }
}

/**
 * Build the ImporterOptions object handed to importer() (or @helia/unixfs addAll()).
 * Only explicitly given options are set, so everything else keeps the importer's
 * (or the profile's) defaults.
 */
export function importerOptions (cli) {
  const o = {}
  if (cli.defaults) return o
  if (cli.profile != null) o.profile = cli.profile
  if (cli.cidVersion != null) o.cidVersion = cli.cidVersion
  if (cli.rawLeaves != null) o.rawLeaves = cli.rawLeaves
  if (cli.reduceSingleLeafToSelf != null) o.reduceSingleLeafToSelf = cli.reduceSingleLeafToSelf
  if (cli.leafType != null) o.leafType = cli.leafType
  if (cli.wrapWithDirectory) o.wrapWithDirectory = true
  if (cli.shardSplitThresholdBytes != null) o.shardSplitThresholdBytes = cli.shardSplitThresholdBytes
  if (cli.shardSplitStrategy != null) o.shardSplitStrategy = cli.shardSplitStrategy
  if (cli.shardFanoutBits != null) o.shardFanoutBits = cli.shardFanoutBits
  // An explicit chunker / layout replaces the profile's (the importer only
  // applies the profile's chunk size / width when options.chunker / .layout are unset).
  if (cli.chunkSize != null) o.chunker = fixedSize({ chunkSize: cli.chunkSize })
  if (cli.layout != null || cli.maxChildren != null) {
    const profileWidth = { 'unixfs-v1-2025': 1024, 'unixfs-v0-2015': 174 }[cli.profile]
    const maxChildrenPerNode = cli.maxChildren ?? profileWidth // undefined -> layout's own default (174)
    o.layout = cli.layout === 'trickle'
      ? trickle({ maxChildrenPerNode, layerRepeat: cli.layerRepeat })
      : balanced({ maxChildrenPerNode })
  }
  return o
}

export const USAGE = `usage: node unixfs-add.mjs [options] PATH...
  --profile unixfs-v1-2025|unixfs-v0-2015   importer profile (IPIP-499)
  --cid-version 0|1                         cidVersion
  --raw-leaves true|false                   rawLeaves
  --chunk-size N                            chunker: fixedSize({ chunkSize: N })
  --max-children N                          layout width (maxChildrenPerNode)
  --layout balanced|trickle                 layout; --layer-repeat N (trickle only)
  --wrap-with-directory                     wrapWithDirectory: true
  --shard-split-threshold-bytes N           shardSplitThresholdBytes
  --shard-split-strategy links-bytes|block-bytes, --shard-fanout-bits N
  --reduce-single-leaf-to-self true|false   reduceSingleLeafToSelf
  --leaf-type file|raw                      leafType (only used when rawLeaves is false)
  --hash sha2-256                           only sha2-256 is supported
  --inline-limit 0                          inlining unsupported; only 0 accepted
  --preserve-mode, --preserve-mtime         pass lstat mode (& 0o7777) / mtime to the importer
  --api importer|helia                      importer() directly (default) or @helia/unixfs addAll()
  --defaults                                pass no importer options at all`
