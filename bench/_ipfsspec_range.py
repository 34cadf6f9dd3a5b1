"""One ranged read with ipfsspec, the peer of ``bench/hub.py``: run by the python of a
separate venv that has ``ipfsspec`` (it registers the ``ipfs`` fsspec protocol, as ours
does, so the two never share an environment).

``python _ipfsspec_range.py GATEWAY_URL CID OFFSET LENGTH MODE`` prints one JSON line:
seconds (the read alone: imports, process start and the aiohttp session set-up are
excluded), the length and sha256 of what came back, ipfsspec's version, and any error.
MODE is ``cat_file`` (``fs.cat_file(path, start, end)``) or ``open`` (``fs.open(path)``,
``seek``, ``read``). Only the standard library and ipfsspec's own dependencies are used.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from importlib.metadata import version


def main(argv: list[str]) -> int:
    url, cid, offset_s, length_s, mode = argv
    offset, length = int(offset_s), int(length_s)
    import fsspec

    # the gateway as an argument: IPIP-280's order puts it first (then IPFS_GATEWAY, ...)
    fs = fsspec.filesystem("ipfs", gateway_addr=url, skip_instance_cache=True)
    out: dict[str, object] = {
        "ipfsspec": version("ipfsspec"),
        "fsspec": version("fsspec"),
        "aiohttp": version("aiohttp"),
        "python": sys.version.split()[0],
        "class": f"{type(fs).__module__}.{type(fs).__qualname__}",
    }
    path = f"ipfs://{cid}"
    t0 = time.perf_counter()
    try:
        if mode == "cat_file":
            data = fs.cat_file(path, start=offset, end=offset + length)
        elif mode == "open":
            with fs.open(path, "rb") as f:
                f.seek(offset)
                data = f.read(length)
        else:
            raise SystemExit(f"unknown mode {mode!r}")
    except Exception as err:  # reported, not raised: the parent prints what happened
        out |= {"seconds": time.perf_counter() - t0, "error": f"{type(err).__name__}: {err}"}
    else:
        out |= {
            "seconds": time.perf_counter() - t0,
            "length": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
