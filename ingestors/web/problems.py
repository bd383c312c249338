"""RFC 9457 problem details: every error the web intake returns, in one shape."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

PROBLEM_MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid complaint",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    errors: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A problem-details response. `errors` lists field-level problems ({pointer, detail})."""
    body: dict[str, Any] = {
        "type": type_,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = list(errors)
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def validation_errors(exc_errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """pydantic's errors as JSON pointers into the request body, with readable messages."""
    out = []
    for err in exc_errors:
        path = "/".join(str(p) for p in err.get("loc", ()))
        out.append({"pointer": f"/{path}" if path else "", "detail": str(err.get("msg", ""))})
    return out
