"""The OpenAPI 3.1 description served at /openapi.json, built from the very pydantic models
the handlers validate with and answer in, so that it cannot drift from the code."""

import json
from collections.abc import Sequence
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from ingestors.web.cases_api import CASE_ID, StatusAccepted
from ingestors.web.complaint_request import ComplaintAccepted, ComplaintRequest
from ingestors.web.open311 import (
    STATUS_FILTER,
    Open311Error,
    PostedRequest,
    Service,
    ServiceDefinition,
    ServiceRequest,
    TokenAnswer,
)
from ingestors.web.patterns import NO_NUL, for_every_reader
from ingestors.web.status import ComplaintStatus
from schemas._strict import StrictModel
from schemas.case import CaseStatus
from schemas.status import StatusUpdate

REF = "#/components/schemas/{model}"


class FieldError(StrictModel):
    pointer: Annotated[str, Field(description="JSON pointer into the request")]
    detail: str


class ProblemDetails(StrictModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str
    errors: tuple[FieldError, ...] = ()
    code: Annotated[
        str | None, Field(description="a stable reason of a refused status report")
    ] = None
    case_status: Annotated[
        CaseStatus | None, Field(description="the case's status as stored, when it decided")
    ] = None


_MODELS: list[type[StrictModel]] = [
    ComplaintAccepted,
    StatusAccepted,
    ComplaintStatus,
    ProblemDetails,
    Service,
    ServiceDefinition,
    ServiceRequest,
    PostedRequest,
    TokenAnswer,
    Open311Error,
]


def _ref(model: type[StrictModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _problem(description: str, *, retry: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref(ProblemDetails)}},
    }
    if retry:
        out["headers"] = {"Retry-After": {"schema": {"type": "string"}, "required": True}}
    return out


def _open311_error(description: str, *, retry: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"type": "array", "items": _ref(Open311Error)}}},
    }
    if retry:
        out["headers"] = {"Retry-After": {"schema": {"type": "string"}, "required": True}}
    return out


def _json_array(model: type[StrictModel], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"type": "array", "items": _ref(model)}}},
    }


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "a retry with the same key gets the same answer and publishes nothing new; "
    "keys are per API client",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}

_NON_BLANK = r"\S"
_EMAIL = r"^\s*[^@\s]+@[^@\s]+\s*$"


def _text(max_length: int, *, pattern: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if pattern:
        out["pattern"] = pattern
    return out


# GeoReport v2's POST fields, with the limits `open311.complaint_from_fields` applies.
_OPEN311_POST_FIELDS: dict[str, Any] = {
    "type": "object",
    "required": ["service_code"],
    "properties": {
        "api_key": {"type": "string", "description": "or Authorization: Bearer <key>"},
        "jurisdiction_id": _text(1000),
        "service_code": _text(1000, pattern=_NON_BLANK),
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": _text(500, pattern=_NON_BLANK),
        "address_id": _text(1000, pattern=_NON_BLANK),
        "email": _text(320, pattern=_EMAIL),  # stripped of whitespace, then Citizen's pattern
        "device_id": _text(1000),
        "account_id": _text(1000),
        "first_name": _text(99),
        "last_name": _text(100),
        "phone": _text(40),
        "description": _text(100_000),
        "media_url": _text(1000),
    },
    "dependentRequired": {"lat": ["long"], "long": ["lat"]},
    "anyOf": [
        {"required": ["lat", "long"]},
        {"required": ["address_string"]},
        {"required": ["address_id"]},
    ],
    "additionalProperties": {"type": "string"},
    "propertyNames": {"pattern": NO_NUL},
    "description": "GeoReport v2 fields; `attribute[CODE]` keys carry service attributes "
    "(each kept to 1000 characters); other fields are ignored",
}

# The citizens' form, with the limits of `ComplaintRequest` and its parts.
_FORM_FIELDS: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {
        "text": _text(100_000, pattern=_NON_BLANK),
        "subject": _text(1000),
        "address": _text(500),
        "district": _text(100),
        "name": _text(200),
        "email": _text(320, pattern=r"^\s*([^@\s]+@[^@\s]+)?\s*$"),
        "phone": _text(40),
        "lang": {"type": "string"},
        "form_token": {"type": "string"},
    },
}


_CASE_ID_PARAM = {
    "name": "case_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": CASE_ID.pattern, "examples": ["CASE-7K3M-9QXD-2B4F"]},
}
_LANG_PARAM = {"name": "lang", "in": "query", "schema": {"type": "string"}}

_STATUS_REPORT_DESCRIPTION = """\
For bodies without Kafka: the same report a department publishes as `sportello.case.status` \
on `complaints.status` (this body is its `data`), with the body's own key (bearer, or an HMAC \
signature whose client id is the body id).

The answer is a forecast made on the case as the store has it, with the lifecycle's own \
rules; the report is then published and the case agent, which alone changes cases, applies \
it in order with everything else about the case. 202: published, and allowed from the stored \
state; if the case moved in between, the agent refuses it with a dead letter \
(`refused:<event_id>` on `complaints.deadletter`) and the case's history shows it. 409 and 403 \
are decided on the stored state, which trails the agent by the sink's lag: a report sent right \
after another may be refused from a state already left; the problem's `case_status` says \
which, and a retry once the status shows the earlier report is the remedy. With an \
`Idempotency-Key`, a retry publishes the same event id, which the agent applies once."""


def _case_paths() -> dict[str, Any]:
    pages = {
        "403": _html("the link is not valid or has expired"),
        "404": _html("no such case"),
        "409": _html("nothing to contest now: not resolved or rejected, or a later answer"),
        "503": _html("not recorded; try again"),
    }
    return {
        "/v1/cases/{case_id}/status": {
            "post": {
                "operationId": "postCaseStatus",
                "summary": "A body reports a status change of a case it owns",
                "description": _STATUS_REPORT_DESCRIPTION,
                "security": [{"bearerAuth": []}, {"hmacSignature": []}],
                "parameters": [_CASE_ID_PARAM, _IDEMPOTENCY_KEY],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(StatusUpdate)}},
                },
                "responses": {
                    "202": {
                        "description": "published on complaints.status; the case agent decides",
                        "content": {"application/json": {"schema": _ref(StatusAccepted)}},
                    },
                    "400": _problem("unreadable body or header"),
                    "401": _problem("no valid body key or signature"),
                    "403": _problem("another body's key, another actor, or another body's case"),
                    "404": _problem("no such case (or not stored yet)"),
                    "409": _problem("not allowed from the case's stored status"),
                    "413": _problem("body too large"),
                    "415": _problem("not JSON"),
                    "422": _problem("invalid fields, or a field the transition needs"),
                    "429": _problem("rate limit of this body exceeded", retry=True),
                    "503": _problem("Kafka or PostgreSQL unavailable; nothing stored", retry=True),
                },
            }
        },
        "/v1/cases/{case_id}/reopen": {
            "get": {
                "operationId": "citizenReopenPage",
                "summary": "The citizen's 'not solved' link: a page asking to confirm",
                "description": "Changes nothing (mail scanners follow links); its form POSTs.",
                "parameters": [
                    _CASE_ID_PARAM,
                    {
                        "name": "token",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    _LANG_PARAM,
                ],
                "responses": {"200": _html("the question, with the answer contested"), **pages},
            },
            "post": {
                "operationId": "citizenReopen",
                "summary": "The citizen says 'not solved': the case is reopened (once per answer)",
                "parameters": [_CASE_ID_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["token"],
                                "properties": {
                                    "token": {"type": "string"},
                                    "text": _text(1500),
                                    "lang": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "202": _html("published: the case agent reopens the case"),
                    "400": _html("unreadable form"),
                    "413": _html("too large"),
                    "415": _html("not a form"),
                    "429": _html("too many requests from this address"),
                    **pages,
                },
            },
        },
    }


def document(
    public_url: str, category_codes: Sequence[str] = (), *, max_attachments: int = 10
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the web intake; the form's categories are `category_codes`."""
    files = {
        "type": "array",
        "maxItems": max_attachments,
        "items": {"type": "string", "format": "binary"},
    }
    models: list[tuple[type[StrictModel], JsonSchemaMode]] = [
        (ComplaintRequest, "validation"),
        (StatusUpdate, "validation"),
    ]
    models += [(m, "serialization") for m in _MODELS]
    _, schemas = models_json_schema(models, ref_template=REF)
    form_fields = {
        **_FORM_FIELDS,
        "properties": {
            **_FORM_FIELDS["properties"],
            "category": {"type": "string", "enum": ["", *category_codes]},
            "attachments": files,
        },
    }
    status_param = {
        "name": "tracking_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "examples": ["SP-7K3M-9QXD-2B4F"]},
    }
    complaint_ops = {
        "post": {
            "operationId": "postComplaint",
            "summary": "Hand a complaint to Sportello",
            "description": "Answers 202 only after Kafka acknowledged the complaint.",
            "security": [{"bearerAuth": []}, {"hmacSignature": []}],
            "parameters": [_IDEMPOTENCY_KEY],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref(ComplaintRequest)},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["complaint"],
                            "additionalProperties": False,
                            "properties": {
                                "complaint": _ref(ComplaintRequest),
                                "attachments": files,
                            },
                        },
                        "encoding": {"complaint": {"contentType": "application/json"}},
                    },
                },
            },
            "responses": {
                "202": {
                    "description": "accepted: stored by Kafka",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": _ref(ComplaintAccepted)}},
                },
                "400": _problem("unreadable body or header"),
                "401": _problem("no valid API key or signature"),
                "409": _problem("the same Idempotency-Key is being processed", retry=True),
                "413": _problem("body or attachment too large"),
                "415": _problem("not JSON or multipart"),
                "422": _problem("invalid fields, or an Idempotency-Key reused for another body"),
                "429": _problem("rate limit of this client exceeded", retry=True),
                "503": _problem("Kafka or PostgreSQL unavailable; nothing recorded", retry=True),
            },
        }
    }
    open311_fmt = "; XML with the .xml extension instead of .json"
    paths: dict[str, Any] = {
        "/v1/complaints": complaint_ops,
        **_case_paths(),
        "/v1/complaints/{tracking_id}": {
            "get": {
                "operationId": "getComplaintStatus",
                "summary": "Status, responsible body, deadline and history; no personal data",
                "parameters": [status_param],
                "responses": {
                    "200": {
                        "description": "the complaint's status",
                        "content": {"application/json": {"schema": _ref(ComplaintStatus)}},
                    },
                    "404": _problem("no complaint has this tracking number"),
                    "503": _problem("PostgreSQL unavailable", retry=True),
                },
            }
        },
        "/open311/v2/services.json": {
            "get": {
                "operationId": "open311Services",
                "summary": "GeoReport v2 service list: the taxonomy" + open311_fmt,
                "parameters": [
                    {"name": "locale", "in": "query", "schema": {"type": "string"}},
                    {"name": "jurisdiction_id", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": _json_array(Service, "the services")},
            }
        },
        "/open311/v2/services/{service_code}.json": {
            "get": {
                "operationId": "open311ServiceDefinition",
                "parameters": [
                    {
                        "name": "service_code",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[^/.]+$"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "the service definition",
                        "content": {"application/json": {"schema": _ref(ServiceDefinition)}},
                    },
                    "404": _open311_error("no such service"),
                },
            }
        },
        "/open311/v2/requests.json": {
            "post": {
                "operationId": "open311PostRequest",
                "summary": "GeoReport v2 service request" + open311_fmt,
                "security": [{"bearerAuth": []}, {}],
                "parameters": [_IDEMPOTENCY_KEY],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": _OPEN311_POST_FIELDS},
                    },
                },
                "responses": {
                    "201": _json_array(PostedRequest, "accepted: stored by Kafka"),
                    "400": _open311_error("missing or invalid fields"),
                    "403": _open311_error("missing or invalid api_key"),
                    "409": _open311_error(
                        "the same Idempotency-Key is being processed", retry=True
                    ),
                    "413": _open311_error("body too large"),
                    "415": _open311_error("unsupported media type"),
                    "422": _open311_error("an Idempotency-Key reused for another request"),
                    "429": _open311_error("rate limit exceeded", retry=True),
                    "503": _open311_error("Kafka or PostgreSQL unavailable", retry=True),
                },
            },
            "get": {
                "operationId": "open311GetRequests",
                "parameters": [
                    {
                        "name": "service_request_id",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "comma-separated ids; others are ignored",
                    },
                    {"name": "service_code", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "start_date",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "end_date",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                        "description": "at most 90 days after start_date; a longer window is cut",
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "pattern": f"^{STATUS_FILTER.pattern}$",
                        },
                    },
                    {"name": "jurisdiction_id", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": _json_array(ServiceRequest, "matching service requests"),
                    "400": _open311_error("invalid filter"),
                    "503": _open311_error("PostgreSQL unavailable", retry=True),
                },
            },
        },
        "/open311/v2/requests/{service_request_id}.json": {
            "get": {
                "operationId": "open311GetRequest",
                "parameters": [
                    {
                        "name": "service_request_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[^/.]+$"},
                    },
                ],
                "responses": {
                    "200": _json_array(ServiceRequest, "the service request"),
                    "404": _open311_error("no such request"),
                    "503": _open311_error("PostgreSQL unavailable", retry=True),
                },
            }
        },
        "/open311/v2/tokens/{token}.json": {
            "get": {
                "operationId": "open311GetToken",
                "parameters": [
                    {
                        "name": "token",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[^/.]+$"},
                    },
                ],
                "responses": {
                    "200": _json_array(TokenAnswer, "the request id of a token"),
                    "404": _open311_error("no such token"),
                    "503": _open311_error("PostgreSQL unavailable", retry=True),
                },
            }
        },
        "/": {
            "get": {
                "operationId": "citizenForm",
                "summary": "The citizens' complaint form (Italian and English)",
                "parameters": [{"name": "lang", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _html("the form")},
            },
            "post": {
                "operationId": "citizenFormPost",
                "description": "Rate-limited per client address; categories are the taxonomy's.",
                "summary": "Send the citizens' form; the page shows the tracking number",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {"schema": form_fields},
                    },
                },
                "responses": {
                    "200": _html("sent: the page with the tracking number"),
                    "400": _html("unreadable form"),
                    "409": _html("the same form is being sent now"),
                    "413": _html("too large"),
                    "415": _html("not a form"),
                    "422": _html("the form again, with what to correct"),
                    "429": _html("too many forms from this address"),
                    "503": _html("not stored; try again"),
                },
            },
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "responses": {
                    "200": {
                        "description": "alive",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }
    for path, operations in paths.items():
        for operation in operations.values():
            operation["responses"].setdefault(
                "400",
                _open311_error("a NUL character in the URL")
                if path.startswith("/open311/")
                else _problem("a NUL character in the URL"),
            )
    described: dict[str, Any] = for_every_reader(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "Sportello web intake",
                "version": "1",
                "description": "Complaints from the city's website, apps and contact centre; "
                "Open311 GeoReport v2; status by tracking number. Errors are RFC 9457 problem "
                "details (GeoReport error lists under /open311/).",
            },
            "servers": [{"url": public_url.rstrip("/") or "/"}],
            "paths": paths,
            "components": {
                "schemas": schemas["$defs"],
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "hmacSignature": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "X-Sportello-Signature",
                        "description": "sha256=<hex HMAC-SHA256(key, timestamp\\nMETHOD\\n"
                        "path?query\\n + body)> with X-Sportello-Client and X-Sportello-Timestamp",
                    },
                },
            },
        }
    )
    return described


def add_routes(app: web.Application) -> None:
    from ingestors.web.context import CONTEXT

    ctx = app[CONTEXT]
    body = json.dumps(
        document(
            ctx.settings.public_url,
            sorted(ctx.categories),
            max_attachments=ctx.settings.max_attachments,
        ),
        ensure_ascii=False,
    ).encode()

    async def get_openapi(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app.router.add_get("/openapi.json", get_openapi)
