"""The node's identity against js-libp2p: the same key gives the same peer ID.

``identity.key`` holds the libp2p protobuf private key; js-libp2p
(``@libp2p/crypto`` + ``@libp2p/peer-id``) reads it, derives the peer ID and the
protobuf public key, and signs a message; all must equal what we compute, so the
ID we announce (``id``, Routing V1) is the one any libp2p node would derive.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ipfs_kit_py.node import Node, init_repo

from .conftest import JsHarness, run_checked

pytestmark = pytest.mark.interop


def test_peer_id_public_key_and_signature_match_js_libp2p(
    js_harness: JsHarness, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    with Node.open(repo) as node:
        ours = node.identity
        peer_id = node.peer_id
    private_proto = (repo / "identity.key").read_bytes()
    done = run_checked([js_harness.node, js_harness.script("peer-id.mjs"), private_proto.hex()])
    theirs = json.loads(done.stdout)
    assert theirs["peerId"] == peer_id
    assert bytes.fromhex(theirs["publicKey"]) == ours.public_key_proto
    assert bytes.fromhex(theirs["signature"]) == ours.sign(b"ipfs-kit identity check")
    with Node.open(repo) as node:  # stable across opens
        assert node.peer_id == peer_id
