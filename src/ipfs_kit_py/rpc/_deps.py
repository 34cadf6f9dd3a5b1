"""What every command module shares: the API dependency and the OpenAPI
description of multipart bodies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["MULTIPART_BODY", "get_api"]

#: ``requestBody`` of the commands that take files (``add``, ``block/put``, ...).
MULTIPART_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        }
                    },
                    "required": ["file"],
                }
            }
        },
    }
}


def get_api(request: Request) -> IPFSSimpleAPI:
    """The API the app was built over."""
    api: IPFSSimpleAPI = request.app.state.api
    return api
