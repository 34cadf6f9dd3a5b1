// Derive a libp2p peer ID from a protobuf-encoded private key, with js-libp2p's own code.
// Usage: node peer-id.mjs <private-key-protobuf-hex>
// Prints JSON: {"peerId": "12D3KooW...", "publicKey": "<protobuf public key, hex>"}
import { privateKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'

const hex = process.argv[2]
if (!hex) {
  console.error('usage: node peer-id.mjs <private-key-protobuf-hex>')
  process.exit(2)
}
const key = privateKeyFromProtobuf(Buffer.from(hex, 'hex'))
const peerId = peerIdFromPrivateKey(key)
const message = new TextEncoder().encode('ipfs-kit identity check')
const signature = await key.sign(message)
console.log(JSON.stringify({
  peerId: peerId.toString(),
  publicKey: Buffer.from(publicKeyToProtobuf(key.publicKey)).toString('hex'),
  signature: Buffer.from(signature).toString('hex')
}))
