// Smoke test for the interop scripts: `node --test` (run from this folder).
// Builds small CARs in a temp dir; needs only `npm ci` to have been run.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import varint from 'varint'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { identity } from 'multiformats/hashes/identity'
import * as dagPB from '@ipld/dag-pb'
import * as dagCBOR from '@ipld/dag-cbor'

const here = path.dirname(fileURLToPath(import.meta.url))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'interop-js-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))
const node = (script, ...args) => execFileSync(process.execPath, [path.join(here, script), ...args], { encoding: 'utf8' })
const b64 = (u8) => Buffer.from(u8).toString('base64')

async function blocks () {
  const hello = new TextEncoder().encode('hello\n')
  const rawCid = CID.createV1(raw.code, await sha256.digest(hello))
  const pbBytes = dagPB.encode(dagPB.prepare({ Data: new Uint8Array([8, 1]), Links: [{ Name: 'h', Hash: rawCid, Tsize: 6 }] }))
  const v0 = CID.createV0(await sha256.digest(pbBytes))
  const cborBytes = dagCBOR.encode({ a: 1, link: v0 })
  const cbor512 = CID.createV1(dagCBOR.code, await sha512.digest(cborBytes))
  const idShort = CID.createV1(raw.code, identity.digest(new Uint8Array([1, 2, 3])))
  const idLong = CID.createV1(raw.code, identity.digest(new Uint8Array(20).fill(7)))
  return [
    { cid: rawCid, bytes: hello }, { cid: v0, bytes: pbBytes }, { cid: cbor512, bytes: cborBytes },
    { cid: idShort, bytes: new Uint8Array([1, 2, 3]) }, { cid: rawCid, bytes: hello }, { cid: idLong, bytes: new Uint8Array(20).fill(7) }
  ]
}

function wrapV2 (v1, index) { // go-car WrapV1 layout: pragma, 40-byte header, v1 payload, index
  const h = Buffer.alloc(40)
  h.writeBigUInt64LE(51n, 16); h.writeBigUInt64LE(BigInt(v1.length), 24); h.writeBigUInt64LE(BigInt(51 + v1.length), 32)
  return Buffer.concat([Buffer.from('0aa16776657273696f6e02', 'hex'), h, v1, index])
}

test('car-write -> car-read round trip, CARv2, and index offsets', async () => {
  const bs = await blocks()
  const spec = { roots: [bs[2].cid.toString(), bs[1].cid.toString()], blocks: bs.map((b) => ({ cid: b.cid.toString(), bytes: b64(b.bytes) })) }
  assert.ok(spec.roots[1].startsWith('Qm'))
  fs.writeFileSync(path.join(tmp, 'spec.json'), JSON.stringify(spec))
  const car = path.join(tmp, 'a.car')
  node('car-write.mjs', path.join(tmp, 'spec.json'), car)
  const got = JSON.parse(node('car-read.mjs', car))
  assert.deepEqual(got, { version: 1, ...spec })

  const v1 = fs.readFileSync(car)
  for (const withId of [false, true]) {
    const idx = path.join(tmp, `a${withId}.idx`)
    node('carv2-index.mjs', 'write', ...(withId ? ['--store-identity'] : []), car, idx)
    const recs = JSON.parse(node('carv2-index.mjs', 'read', idx))
    assert.equal(recs.length, withId ? 6 : 4)
    for (const r of recs) { // offset -> section varint; CID bytes follow it
      const len = varint.decode(v1, r.offset); const cidStart = r.offset + varint.decode.bytes
      const cid = CID.decodeFirst(v1.subarray(cidStart, cidStart + len))[0]
      assert.equal(Buffer.from(cid.multihash.bytes).toString('hex'), r.multihash)
    }
    const codes = recs.map((r) => r.code)
    assert.deepEqual(codes, [...codes].sort((a, b) => a - b))
    const v2 = path.join(tmp, `a${withId}.v2.car`)
    fs.writeFileSync(v2, wrapV2(v1, fs.readFileSync(idx)))
    assert.deepEqual(JSON.parse(node('car-read.mjs', v2)), { version: 2, ...spec })
    assert.deepEqual(JSON.parse(node('carv2-index.mjs', 'read', v2)), recs)
    const idx2 = path.join(tmp, `b${withId}.idx`)
    node('carv2-index.mjs', 'write', ...(withId ? ['--store-identity'] : []), v2, idx2)
    assert.deepEqual(fs.readFileSync(idx2), fs.readFileSync(idx)) // offsets relative to data payload
  }
})

test('empty index and IndexSorted', async () => {
  const bs = (await blocks()).slice(3, 4)
  fs.writeFileSync(path.join(tmp, 'id.json'), JSON.stringify({ roots: [], blocks: bs.map((b) => ({ cid: b.cid.toString(), bytes: b64(b.bytes) })) }))
  node('car-write.mjs', path.join(tmp, 'id.json'), path.join(tmp, 'id.car'))
  node('carv2-index.mjs', 'write', path.join(tmp, 'id.car'), path.join(tmp, 'id.idx'))
  assert.equal(fs.readFileSync(path.join(tmp, 'id.idx')).toString('hex'), '810800000000')
  assert.equal(node('carv2-index.mjs', 'read', path.join(tmp, 'id.idx')).trim(), '[]')
  node('carv2-index.mjs', 'write', '--format', 'IndexSorted', path.join(tmp, 'a.car'), path.join(tmp, 's.idx'))
  const recs = JSON.parse(node('carv2-index.mjs', 'read', path.join(tmp, 's.idx')))
  assert.deepEqual(recs.map((r) => r.digest.length / 2), [32, 32, 32, 64]) // duplicate hello block indexed twice
})

test('ipfs-car pack output is readable', () => {
  const f = path.join(tmp, 'f.txt'); fs.writeFileSync(f, 'hello\n')
  const out = path.join(tmp, 'f.car')
  const root = execFileSync(path.join(here, 'node_modules/.bin/ipfs-car'), ['pack', f, '--no-wrap', '--output', out], { encoding: 'utf8' }).trim()
  assert.equal(root, 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am')
  assert.deepEqual(JSON.parse(node('car-read.mjs', out)).roots, [root])
})

test('car-read fails on a truncated CAR', () => {
  const bad = path.join(tmp, 'bad.car'); fs.writeFileSync(bad, fs.readFileSync(path.join(tmp, 'a.car')).subarray(0, 70))
  const r = spawnSync(process.execPath, [path.join(here, 'car-read.mjs'), bad], { encoding: 'utf8' })
  assert.notEqual(r.status, 0); assert.match(r.stderr, /Unexpected end of data/); assert.equal(r.stdout, '')
})

// ---- unixfs-add.mjs / unixfs-defaults.mjs (ipfs-unixfs-importer) ----
const LEGACY = ['--cid-version', '0', '--raw-leaves', 'false', '--chunk-size', '262144', '--max-children', '174']
const V1 = ['--profile', 'unixfs-v1-2025']
const add = (...args) => JSON.parse(node('unixfs-add.mjs', ...args))
function prng (n, seed = 1) { // xorshift32, deterministic test data
  const b = Buffer.alloc(n); let x = seed
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 255 }
  return b
}
const ufs = () => { // fresh fixture dir for the unixfs tests
  const d = fs.mkdtempSync(path.join(tmp, 'ufs-'))
  fs.writeFileSync(path.join(d, 'empty'), '')
  fs.writeFileSync(path.join(d, 'hello.txt'), 'hello world\n')
  fs.writeFileSync(path.join(d, 'r3m.bin'), prng(3 * 1048576))
  fs.mkdirSync(path.join(d, 'tree/sub/deeper'), { recursive: true })
  fs.writeFileSync(path.join(d, 'tree/.hidden'), 'hidden\n')
  fs.writeFileSync(path.join(d, 'tree/a.txt'), 'a\n')
  fs.writeFileSync(path.join(d, 'tree/sub/big.bin'), prng(1048577, 7))
  fs.writeFileSync(path.join(d, 'tree/sub/deeper/empty.txt'), '')
  return d
}

test('unixfs-add: Kubo golden CIDs (legacy flags and both profiles)', () => {
  const d = ufs()
  for (const opts of [LEGACY, ['--profile', 'unixfs-v0-2015']]) {
    assert.deepEqual(add(...opts, path.join(d, 'hello.txt')), { root: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o', entries: [{ path: 'hello.txt', cid: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o', size: 20 }] })
    assert.equal(add(...opts, path.join(d, 'empty')).root, 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH')
  }
  assert.equal(add(...V1, path.join(d, 'hello.txt')).root, 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4')
  assert.equal(add(...V1, path.join(d, 'empty')).root, 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')
  fs.mkdirSync(path.join(d, 'e'))
  assert.equal(add(...LEGACY, path.join(d, 'e')).root, 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn')
  assert.equal(add(...V1, path.join(d, 'e')).root, 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354')
})

test('unixfs-add: 3 MiB file, legacy layout rebuilt by hand; v1 == ipfs-car', async () => {
  const d = ufs(); const f = path.join(d, 'r3m.bin'); const data = fs.readFileSync(f)
  const { UnixFS } = await import('ipfs-unixfs')
  const root = new UnixFS({ type: 'file' }); const links = []
  for (let o = 0; o < data.length; o += 262144) {
    const chunk = data.subarray(o, o + 262144)
    const leaf = dagPB.encode({ Data: new UnixFS({ type: 'file', data: chunk }).marshal(), Links: [] })
    links.push({ Name: '', Hash: CID.createV0(await sha256.digest(leaf)), Tsize: leaf.length })
    root.addBlockSize(BigInt(chunk.length))
  }
  const rootBytes = dagPB.encode({ Data: root.marshal(), Links: links })
  const want = CID.createV0(await sha256.digest(rootBytes)).toString()
  const got = add(...LEGACY, f)
  assert.equal(got.root, want)
  assert.equal(got.entries[0].size, rootBytes.length + links.reduce((a, l) => a + l.Tsize, 0))
  assert.equal(add('--profile', 'unixfs-v0-2015', f).root, want)

  const v1 = add(...V1, f).root
  assert.match(v1, /^bafybei/)
  const car = execFileSync(path.join(here, 'node_modules/.bin/ipfs-car'), ['pack', f, '--no-wrap', '--output', path.join(d, 'r.car')], { encoding: 'utf8' }).trim()
  assert.equal(v1, car) // independent implementation (@ipld/unixfs), same parameters
  assert.equal(add('--api', 'helia', f).root, v1) // @helia/unixfs defaults = v1 parameters for files
  assert.notEqual(add('--defaults', f).root, v1) // importer defaults: 256 KiB chunks, width 174
  assert.equal(add('--defaults', f).root, add(...V1, '--chunk-size', '262144', '--max-children', '174', f).root)
})

test('unixfs-add: directory tree (hidden file, empty dir, empty file)', async () => {
  const d = ufs(); const t = path.join(d, 'tree')
  const noEmpty = add(...V1, t)
  assert.deepEqual(noEmpty.entries.map((e) => e.path), ['tree/.hidden', 'tree/a.txt', 'tree/sub/big.bin', 'tree/sub/deeper/empty.txt', 'tree/sub/deeper', 'tree/sub', 'tree'])
  assert.equal(noEmpty.root, noEmpty.entries.at(-1).cid)
  const car = execFileSync(path.join(here, 'pack.sh'), [t, path.join(d, 't.car'), '--hidden'], { encoding: 'utf8' }).trim()
  assert.equal(noEmpty.root, car) // ipfs-car agrees while there is no empty directory

  fs.mkdirSync(path.join(t, 'emptydir'))
  for (const [opts, emptyDir, mk] of [[V1, 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354', (b) => CID.createV1(dagPB.code, b)], [LEGACY, 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn', CID.createV0]]) {
    const r = add(...opts, t)
    // the importer links the empty dir but does not yield it as an entry
    assert.ok(!r.entries.some((e) => e.path === 'tree/emptydir'))
    // rebuild the root directory node from the yielded children + the empty dir
    const kids = r.entries.filter((e) => /^tree\/[^/]+$/.test(e.path)).map((e) => ({ Name: e.path.slice(5), Hash: CID.parse(e.cid), Tsize: e.size }))
    kids.push({ Name: 'emptydir', Hash: CID.parse(emptyDir), Tsize: 4 })
    const bytes = dagPB.encode(dagPB.prepare({ Data: new Uint8Array([8, 1]), Links: kids })) // prepare sorts by name bytes
    assert.equal(r.root, mk(await sha256.digest(bytes)).toString())
    assert.equal(r.entries.at(-1).size, bytes.length + kids.reduce((a, k) => a + k.Tsize, 0))
  }
  assert.notEqual(add(...V1, t).root, noEmpty.root)
  const w = add(...V1, '--wrap-with-directory', path.join(d, 'hello.txt'))
  assert.deepEqual(w.entries.map((e) => e.path), ['hello.txt', ''])
})

test('unixfs-add / unixfs-defaults: option errors and default values', () => {
  const d = ufs(); const f = path.join(d, 'hello.txt')
  for (const bad of [['--inline-limit', '32'], ['--hash', 'sha2-512'], ['--defaults', '--cid-version', '0'], ['--raw-leaves', 'yes'], ['--nope']]) {
    const r = spawnSync(process.execPath, [path.join(here, 'unixfs-add.mjs'), ...bad, f], { encoding: 'utf8' })
    assert.equal(r.status, 2, bad.join(' ')); assert.equal(r.stdout, '')
  }
  assert.equal(add('--inline-limit', '0', '--hash', 'sha2-256', ...LEGACY, f).root, 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
  const D = JSON.parse(node('unixfs-defaults.mjs'))
  assert.equal(D.versions['ipfs-unixfs-importer'], '17.1.1')
  assert.deepEqual([D.defaults.cidVersion, D.defaults.rawLeaves, D.defaults.chunker.chunkSize, D.defaults.layout.maxChildrenPerNode, D.defaults.shardSplitThresholdBytes, D.defaults.shardSplitStrategy, D.defaults.reduceSingleLeafToSelf, D.defaults.leafType, D.defaults.trickle.layerRepeat],
    [1, true, 262144, 174, 262144, 'links-bytes', true, 'file', 4])
  const p = D.profiles['unixfs-v1-2025']
  assert.deepEqual([p.cidVersion, p.rawLeaves, p.chunkSize, p.maxChildrenPerNode, p.shardSplitStrategy], [1, true, 1048576, 1024, 'block-bytes'])
  const e = JSON.parse(node('unixfs-defaults.mjs', ...LEGACY)).effective
  assert.deepEqual([e.cidVersion, e.rawLeaves, e.chunker.chunkSize, e.layout.maxChildrenPerNode], [0, false, 262144, 174])
})
