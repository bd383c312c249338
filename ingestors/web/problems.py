"""RFC 9457 problem details: every error the web intake returns, in one shape.

Handlers raise `Problem`; the middleware of `app` renders it (as problem+json on the API,
as GeoReport errors under /open311/).
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

PROBLEM_MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class Problem(Exception):
    """An error the caller should see: raise it anywhere in a handler."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        type_: str = "about:blank",
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        """`extensions` are RFC 9457 extension members (e.g. a stable `code`); each must
        be declared in the OpenAPI `ProblemDetails`."""
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.type_ = type_
        self.extensions = dict(extensions or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type_,
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            out["errors"] = self.errors
        out.update(self.extensions)
        return out

    def response(self) -> web.Response:
        return web.Response(
            status=self.status,
            body=json.dumps(self.body(), ensure_ascii=False).encode(),
            content_type=PROBLEM_MEDIA_TYPE,
            headers=self.headers,
        )


def problem(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    errors: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A problem-details response. `errors` lists field-level problems ({pointer, detail})."""
    return Problem(status, detail, errors=errors, headers=headers, type_=type_).response()


def validation_errors(
    exc_errors: Sequence[Mapping[str, Any]], *, prefix: str = ""
) -> list[dict[str, str]]:
    """pydantic's errors as JSON pointers into the request body, with readable messages."""
    out = []
    for err in exc_errors:
        path = "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in err.get("loc", ()))
        pointer = f"{prefix}/{path}" if path else prefix
        out.append({"pointer": pointer, "detail": str(err.get("msg", ""))})
    return out
