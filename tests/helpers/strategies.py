"""Hypothesis strategies for IPLD data-model values (shared by the codec tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ipfs_kit_py import CID

cids = st.builds(
    lambda v, codec, digest: CID(v, 0x70 if v == 0 else codec, b"\x12\x20" + digest),
    st.sampled_from([0, 1]),
    st.sampled_from([0x55, 0x70, 0x71, 0x0129]),
    st.binary(min_size=32, max_size=32),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.binary(max_size=64),
    cids,
)

values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(st.text(max_size=8), children, max_size=6),
    ),
    max_leaves=30,
)
