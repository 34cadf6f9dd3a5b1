"""The dataset card (``README.md``) written beside a dataset's Parquet shards.

Its YAML front matter is what the Hugging Face Hub and ``datasets.load_dataset``
read from a dataset repo: ``configs`` maps each split to its shards
(``data/<split>-*``) and ``dataset_info`` gives the features and each split's
``num_examples`` (which ``load_dataset`` checks) and ``num_bytes``. Features are
written in ``datasets``' YAML form; for plain Arrow types we derive it here (so an
add needs no ``datasets`` import), for a schema that carries ``datasets``' own
feature metadata (ClassLabel names, images, ...) ``datasets`` writes it, and
where neither can, the features are left out and ``load_dataset`` reads them from
the Parquet schema instead.

The YAML is emitted by a small writer of our own (block style, every string
double-quoted), so the card's bytes, and so the dataset's root CID, depend on
nothing but the data and the arguments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["hf_features", "render_card", "strip_front_matter"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Characters YAML does not allow raw in a stream (besides the C0 controls JSON escapes).
_NONPRINTABLE = re.compile("[\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def hf_features(schema: Any) -> list[dict[str, Any]] | None:
    """The ``dataset_info.features`` list ``datasets`` would write for ``schema``, or ``None``."""
    metadata = schema.metadata or {}
    if b"huggingface" in metadata:
        try:
            from datasets import Features  # type: ignore[import-untyped]

            listed: list[dict[str, Any]] = Features.from_arrow_schema(schema)._to_yaml_list()
        except Exception:  # no datasets, or one whose private helper changed: leave them out
            return None
        return listed
    features = []
    for field in schema:
        feature = _feature(field.type)
        if feature is None:
            return None
        features.append({"name": field.name, **feature})
    return features


def _feature(arrow_type: Any) -> dict[str, Any] | None:
    """One field's feature in ``datasets``' YAML form (``Features._to_yaml_list``)."""
    import pyarrow as pa

    if pa.types.is_struct(arrow_type):
        fields = []
        for child in arrow_type:
            inner = _feature(child.type)
            if inner is None:
                return None
            fields.append({"name": child.name, **inner})
        return {"struct": fields}
    if pa.types.is_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        key = "list"
    elif pa.types.is_large_list(arrow_type):
        key = "large_list"
    else:
        dtype = _dtype(arrow_type)
        return None if dtype is None else {"dtype": dtype}
    inner = _feature(arrow_type.value_type)
    if inner is None:
        return None
    value: Any = inner
    if list(inner) == ["dtype"] and isinstance(inner["dtype"], str):
        value = inner["dtype"]
    elif list(inner) == ["struct"]:
        value = inner["struct"]
    out = {key: value}
    if pa.types.is_fixed_size_list(arrow_type):
        out["length"] = arrow_type.list_size
    return out


def _dtype(t: Any) -> str | None:
    """``datasets``' name for a primitive Arrow type (its ``_arrow_to_datasets_dtype``)."""
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        return _dtype(t.value_type)
    simple = {
        pa.null(): "null",
        pa.bool_(): "bool",
        pa.float16(): "float16",
        pa.float32(): "float32",
        pa.float64(): "float64",
        pa.date32(): "date32",
        pa.date64(): "date64",
        pa.binary(): "binary",
        pa.large_binary(): "large_binary",
        pa.string(): "string",
        pa.large_string(): "large_string",
    }
    if t in simple:
        return simple[t]
    if pa.types.is_integer(t):
        return str(t)  # int8 … uint64, spelled alike
    if pa.types.is_time32(t) or pa.types.is_time64(t) or pa.types.is_duration(t):
        return str(t)  # time32[ms], duration[us], ...
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}]" if t.tz is None else f"timestamp[{t.unit}, tz={t.tz}]"
    if pa.types.is_decimal128(t) or pa.types.is_decimal256(t):
        return f"decimal{t.bit_width}({t.precision}, {t.scale})"
    if pa.types.is_fixed_size_binary(t):
        return f"fixed_size_binary[{t.byte_width}]"
    return None


def render_card(
    *,
    name: str,
    splits: Mapping[str, tuple[int, int]],
    download_size: int,
    features: list[dict[str, Any]] | None,
    description: str | None,
    license: str | None,
    tags: Sequence[str],
    body: str | None,
) -> str:
    """The card: front matter (``splits`` maps each split to rows and Arrow bytes), then text."""
    meta: dict[str, Any] = {"pretty_name": name}
    if license:
        meta["license"] = license
    if tags:
        meta["tags"] = list(tags)
    meta["configs"] = [
        {
            "config_name": "default",
            "data_files": [{"split": s, "path": f"data/{s}-*"} for s in splits],
        }
    ]
    info: dict[str, Any] = {}
    if features is not None:
        info["features"] = features
    info["splits"] = [
        {"name": s, "num_bytes": nbytes, "num_examples": rows}
        for s, (rows, nbytes) in splits.items()
    ]
    info["download_size"] = download_size
    info["dataset_size"] = sum(nbytes for _, nbytes in splits.values())
    meta["dataset_info"] = info
    if body is None:
        lines = [f"# {name}", ""]
        if description:
            lines += [description.strip(), ""]
        lines += ["| split | rows |", "|---|---|"]
        lines += [f"| {s} | {rows} |" for s, (rows, _) in splits.items()]
        body = "\n".join(lines) + "\n"
    return "---\n" + "".join(_yaml(meta, 0)) + "---\n" + strip_front_matter(body)


def strip_front_matter(text: str) -> str:
    """``text`` without a leading ``---`` YAML block (a card's old metadata)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return text
    for i, line in enumerate(lines[1:], 1):
        if line.rstrip() == "---":
            return "".join(lines[i + 1 :]).lstrip("\n")
    return text


def _yaml(value: Any, indent: int) -> list[str]:
    """Block-style YAML lines for a mapping or sequence (mappings nest by two spaces)."""
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            head = f"{pad}{_key(key)}:"
            if isinstance(item, Mapping | list) and item:
                out.append(head + "\n")
                out += _yaml(item, indent + 2 if isinstance(item, Mapping) else indent)
            else:
                out.append(f"{head} {_scalar(item)}\n")
        return out
    for item in value:
        if isinstance(item, Mapping | list) and item:
            inner = _yaml(item, indent + 2)
            out.append(f"{pad}- {inner[0][indent + 2 :]}")
            out += inner[1:]
        else:
            out.append(f"{pad}- {_scalar(item)}\n")
    return out


def _key(key: Any) -> str:
    text = str(key)
    return text if _KEY.fullmatch(text) and text not in ("true", "false", "null") else _str(text)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _str(str(value))


def _str(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one
    return _NONPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
