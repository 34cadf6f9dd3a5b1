"""``%``-format strings for CIDs, with Kubo's ``ipfs cid format -f`` placeholders."""

from __future__ import annotations

from ipfs_kit_py.cid import _multibase, _multihash
from ipfs_kit_py.cid._cid import CID
from ipfs_kit_py.cid._multicodec import name_of
from ipfs_kit_py.errors import InvalidInputError

__all__ = ["format_cid"]


def format_cid(cid: CID, fmt: str, base: str = "base32") -> str:
    """Expand ``fmt`` for ``cid``; byte fields are written in ``base``.

    >>> cid = CID.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    >>> format_cid(cid, "%P %b")
    'cidv1-raw-sha2-256-32 base32'
    """
    code, digest, _ = _multihash.decode(cid.multihash)
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(fmt):
            raise InvalidInputError("format string ends with a lone '%'")
        spec = fmt[i + 1]
        i += 2
        out.append(_expand(spec, cid, code, digest, base))
    return "".join(out)


def _expand(spec: str, cid: CID, code: int, digest: bytes, base: str) -> str:
    if spec == "%":
        return "%"
    if spec == "b":
        return base
    if spec == "B":
        return _multibase.prefix_of(base)
    if spec == "v":
        return f"cidv{cid.version}"
    if spec == "V":
        return str(cid.version)
    if spec == "c":
        return cid.codec_name
    if spec == "C":
        return str(cid.codec)
    if spec == "h":
        return name_of(code)
    if spec == "H":
        return str(code)
    if spec == "L":
        return str(len(digest))
    if spec in "mM":
        text = _multibase.encode(cid.multihash, base)
        return text if spec == "m" else text[1:]
    if spec in "dD":
        text = _multibase.encode(digest, base)
        return text if spec == "d" else text[1:]
    if spec == "s":
        return cid.encode(None if cid.version == 0 else base)
    if spec == "S":
        return _multibase.encode(cid.bytes, base)[1:]
    if spec == "P":
        return cid.prefix
    raise InvalidInputError(f"unknown format specifier %{spec}")
