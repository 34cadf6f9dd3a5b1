"""The generated HTML index of a UnixFS directory that has no ``index.html``.

Every name comes from the DAG, i.e. from whoever made it: it is HTML-escaped where
shown and percent-encoded where linked, so a file called ``<script>`` is text, never
markup. Sizes are the links' ``Tsize`` (DAG size), so a listing of 10k entries
reads no child block (path-gateway spec, "Generated HTML with directory index").
The ETag is ``"DirIndex-<hash of this module>_CID-<cid>"``: a new listing template
gives new ETags, so caches never serve an old page for a changed template.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path
from urllib.parse import quote

from ipfs_kit_py.cid import CID
from ipfs_kit_py.unixfs import DirEntry

__all__ = ["listing_etag", "render_listing", "url_path"]

_SAFE = "!$&'()*+,;=:@-._~"  # RFC 3986 pchar minus "%" and "/"
_TEMPLATE_ID = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12].upper()


def url_path(segments: list[str]) -> str:
    """``/a/b`` with each segment percent-encoded (UTF-8); ``""`` for none.

    >>> url_path(["ą", "a b", "x?y"])
    '/%C4%85/a%20b/x%3Fy'
    """
    return "".join("/" + quote(s, safe=_SAFE) for s in segments)


def listing_etag(cid: CID) -> str:
    """The quoted ETag of a generated listing of ``cid``."""
    return f'"DirIndex-{_TEMPLATE_ID}_CID-{cid}"'


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def render_listing(root: CID, segments: list[str], cid: CID, entries: list[DirEntry]) -> str:
    """The HTML page for directory ``cid`` reached by ``/ipfs/{root}/{segments...}``."""
    esc = html.escape
    base = f"/ipfs/{root}"
    crumbs = [f'<a href="{base}">{esc(str(root))}</a>']
    for i, seg in enumerate(segments):
        crumbs.append(f'<a href="{base}{url_path(segments[: i + 1])}">{esc(seg)}</a>')
    here = base + url_path(segments)
    rows = []
    if segments:
        rows.append(f'<tr><td></td><td><a href="{here}/..">..</a></td><td></td><td></td></tr>')
    for e in entries:
        href = here + url_path([e.name])
        filename = quote(quote(e.name, safe=_SAFE), safe="")
        rows.append(
            "<tr>"
            f'<td class="type-icon">&#128196;</td>'
            f'<td><a href="{href}">{esc(e.name)}</a></td>'
            f'<td><a class="ipfs-hash" translate="no" href="/ipfs/{e.cid}?filename={filename}">'
            f"{esc(str(e.cid))}</a></td>"
            f'<td class="size" title="{e.tsize} bytes (DAG size)">{_size(e.tsize)}</td>'
            "</tr>"
        )
    title = esc(f"/ipfs/{root}" + "".join("/" + s for s in segments) + "/")
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        "<style>body{font-family:sans-serif;margin:2em}td{padding:.2em .8em}"
        ".ipfs-hash{font-family:monospace;font-size:.85em}</style>\n"
        "</head>\n<body>\n"
        f"<h1>Index of /ipfs/{'/'.join(crumbs)}</h1>\n"
        f'<p><a href="{here}/?format=car">CAR</a> · '
        f'<a href="/ipfs/{cid}?format=raw">raw block</a> · {esc(str(cid))}</p>\n'
        "<table>\n" + "\n".join(rows) + "\n</table>\n</body>\n</html>\n"
    )
