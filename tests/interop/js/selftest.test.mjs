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
