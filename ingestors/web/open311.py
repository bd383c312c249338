"""Open311 GeoReport v2, as data: services from the taxonomy, a posted request as a
complaint, cases as service requests, and the JSON/XML shapes of its answers. Pure.

It accepts what real clients send: form-encoded bodies with `attribute[...]` keys (the
spec), multipart bodies, and JSON bodies read leniently — the spec's own JSON example
writes `"service_code":001`, which is not JSON; such numbers are read as their text, and
numeric codes are compared as text ("001" is not "1"). Codes of a city's former system can
be mapped onto categories with `open311_service_aliases`.
"""

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal
from xml.etree import ElementTree as ET

from pydantic import Field, ValidationError

from ingestors.web.complaint_request import ComplaintRequest
from ingestors.web.patterns import WHITESPACE_CLASS, nul_in, strip
from ingestors.web.receipts import Receipt
from ingestors.web.status import CaseRow, first_tracking_id
from processors.bodies import Body
from processors.taxonomy import Category
from schemas._strict import StrictModel
from schemas.case import CaseStatus
from schemas.submission import Citizen, Coordinates, Location

Format = Literal["json", "xml"]
CLOSED = frozenset({CaseStatus.RESOLVED, CaseStatus.REJECTED, CaseStatus.CLOSED})
_MAX_ATTRIBUTES = 50
_MAX_DETAIL = 1000


class Open311Invalid(ValueError):
    """The posted request cannot be accepted; `errors` are (field, description) pairs."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {d}" for f, d in errors))
        self.errors = list(errors)


class Service(StrictModel):
    service_code: str
    service_name: str
    description: str | None = None
    metadata: bool = False
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str = ""
    group: str = ""


class ServiceDefinition(StrictModel):
    service_code: str
    attributes: tuple[dict[str, Any], ...] = ()


class ServiceRequest(StrictModel):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str | None = None
    description: Annotated[
        str | None, Field(description="never the citizen's text: it may hold personal data")
    ] = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: datetime
    updated_datetime: datetime | None = None
    expected_datetime: datetime | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


class PostedRequest(StrictModel):
    service_request_id: str
    service_notice: str | None = None
    account_id: str | None = None


class TokenAnswer(StrictModel):
    service_request_id: str | None = None
    token: str


class Open311Error(StrictModel):
    code: int
    description: str


def service_name(category: Category, locale: str) -> str:
    return category.name_en if locale.startswith("en") else category.name_it


def services(
    categories: Sequence[Category], bodies: Mapping[str, Body], *, locale: str = "it"
) -> list[Service]:
    """The taxonomy as GeoReport services, grouped by the body that owns each category."""
    return [
        Service(
            service_code=c.code,
            service_name=service_name(c, locale),
            description=c.description or None,
            group=bodies[c.body].name if c.body in bodies else c.body,
        )
        for c in categories
    ]


# --- a posted request ------------------------------------------------------------------

_WS = f"[{WHITESPACE_CLASS}]*"
STATUS_FILTER = re.compile(f"{_WS}((open|closed){_WS}(,{_WS}(open|closed){_WS})*)?")
_LEADING_ZERO_NUMBER = re.compile(r"-?0\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def loads_lenient(text: str) -> Any:
    """JSON, except that numbers with leading zeros (`001`) are read as strings ("001").
    Raises ValueError for whatever is not JSON, nesting too deep for Python's parser too."""
    try:
        return _loads(text)
    except ValueError:
        pass
    out: list[str] = []
    i, in_string = 0, False
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif (match := _LEADING_ZERO_NUMBER.match(text, i)) and not text[i - 1 : i].isalnum():
            out.append(json.dumps(match.group()))
            i = match.end()
            continue
        else:
            out.append(ch)
        i += 1
    return _loads("".join(out))


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def fields_from_json(value: Any) -> list[tuple[str, str]]:
    """A JSON object's members as form fields; `attributes` objects become `attribute[k]`."""
    if not isinstance(value, dict):
        raise Open311Invalid([("body", "a JSON request must be an object")])
    out: list[tuple[str, str]] = []
    for name, item in value.items():
        if name in ("attribute", "attributes") and isinstance(item, dict):
            out.extend((f"attribute[{k}]", _text(v)) for k, v in item.items())
        elif isinstance(item, dict | list):
            raise Open311Invalid([(str(name), "must be a single value")])
        else:
            out.append((str(name), _text(item)))
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_service(
    code: str, categories: Mapping[str, Category], aliases: Mapping[str, str]
) -> Category | None:
    """The category a service code names: ours, or a former system's through the aliases."""
    code = strip(code)
    return categories.get(code) or categories.get(aliases.get(code, ""))


def complaint_from_fields(
    fields: Sequence[tuple[str, str]],
    *,
    categories: Mapping[str, Category],
    aliases: Mapping[str, str],
    locale: str = "it",
) -> tuple[ComplaintRequest, dict[str, str | int | float | bool], str]:
    """A GeoReport v2 POST as a complaint, the facts only Open311 has, and its service code.

    An unknown service code is kept (the classifier sorts the complaint) rather than refused,
    so that an app built for the city's former system keeps working."""
    if nul_in(list(fields)):
        raise Open311Invalid([("request", "fields must not contain NUL characters")])
    first: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for name, value in fields:
        if name.startswith("attribute[") and name.endswith("]"):
            if len(attributes) < _MAX_ATTRIBUTES:
                attributes[name[10:-1][:100]] = value[:_MAX_DETAIL]
        else:
            first.setdefault(name, strip(value))
    errors: list[tuple[str, str]] = []
    code = first.get("service_code", "")
    if not code:
        errors.append(("service_code", "service_code is required"))
    coordinates: Coordinates | None = None
    lat, lon = first.get("lat", ""), first.get("long", "")
    if lat or lon:
        try:
            coordinates = Coordinates(lat=float(lat), lon=float(lon))
        except (ValueError, ValidationError):
            errors.append(("lat", "lat and long must be WGS84 decimal degrees, both given"))
    address = first.get("address_string") or None
    if coordinates is None and not address and not first.get("address_id"):
        errors.append(("lat", "a location is required: lat and long, address_string or address_id"))
    if errors:
        raise Open311Invalid(errors)

    category = resolve_service(code, categories, aliases)
    full_name = " ".join(p for p in (first.get("first_name"), first.get("last_name")) if p) or None
    text = first.get("description", "") or (
        f"[{service_name(category, locale) if category else 'Open311 ' + code}]"
    )
    citizen_fields = {
        "name": full_name,
        "email": first.get("email") or None,
        "phone": first.get("phone") or None,
    }
    try:
        citizen = Citizen(**citizen_fields) if any(citizen_fields.values()) else None
        complaint = ComplaintRequest(
            text=text,
            channel="app",
            citizen=citizen,
            location=Location(address=address, coordinates=coordinates)
            if address or coordinates
            else None,
            category_hint=category.code if category else None,
        )
    except ValidationError as exc:
        raise Open311Invalid(
            [(".".join(str(p) for p in e["loc"]) or "request", e["msg"]) for e in exc.errors()]
        ) from None
    details: dict[str, str | int | float | bool] = {"open311_service_code": code[:_MAX_DETAIL]}
    for field_name in ("jurisdiction_id", "device_id", "account_id", "address_id", "media_url"):
        if first.get(field_name):
            details[f"open311_{field_name}"] = first[field_name][:_MAX_DETAIL]
    for key, value in attributes.items():
        details[f"open311_attribute[{key}]"] = value
    return complaint, details, code


def service_notice(category: Category | None, bodies: Mapping[str, Body]) -> str:
    if category and category.body in bodies:
        return f"Assigned for review to {bodies[category.body].name}."
    return "The City will sort this request to the office responsible."


# --- service requests ------------------------------------------------------------------


def request_view(
    tracking_id: str,
    case: CaseRow | None,
    receipt: Receipt | None,
    *,
    bodies: Mapping[str, Body],
    categories: Mapping[str, Category],
    locale: str = "it",
) -> ServiceRequest | None:
    """A case (or, before it exists, the intake's receipt) as a GeoReport service request.
    No personal data: no description, no citizen, no place."""
    if case is not None:
        category = categories.get(case.category or "")
        body = bodies.get(case.body or "")
        return ServiceRequest(
            service_request_id=tracking_id,
            status="closed" if case.status in CLOSED else "open",
            status_notes=case.status,
            service_code=case.category,
            service_name=service_name(category, locale) if category else None,
            agency_responsible=body.name if body else None,
            requested_datetime=case.opened_at,
            updated_datetime=case.updated_at,
            expected_datetime=case.deadline_at,
        )
    if receipt is not None:
        category = categories.get(receipt.service_code or "")
        return ServiceRequest(
            service_request_id=tracking_id,
            status="open",
            status_notes=CaseStatus.RECEIVED.value,
            service_code=receipt.service_code,
            service_name=service_name(category, locale) if category else None,
            requested_datetime=receipt.accepted_at,
            updated_datetime=receipt.accepted_at,
        )
    return None


def case_tracking_id(case: CaseRow) -> str:
    return first_tracking_id(case.case_id)


def statuses_for(open311_status: str) -> list[str] | None:
    """Our statuses behind GeoReport's `status=open,closed` filter; None for no filter."""
    if not STATUS_FILTER.fullmatch(open311_status):
        raise Open311Invalid([("status", "status must be open, closed or both")])
    wanted = {strip(s) for s in open311_status.split(",") if strip(s)}
    if not wanted:
        return None
    out = []
    for status in CaseStatus:
        if ("closed" if status in CLOSED else "open") in wanted:
            out.append(status.value)
    return out


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", re.IGNORECASE)


def parse_w3c(text: str) -> datetime | None:
    """An RFC 3339 date-time (GeoReport's "W3C format", 2010-01-01T00:00:00Z) as an aware
    datetime; None if it is not one. A `+` sent unencoded in a query arrives as a space."""
    value = text.strip()
    if len(value) > 25 and value[-6] == " ":
        value = value[:-6] + "+" + value[-5:]
    if not _RFC3339.fullmatch(value):
        return None
    value = re.sub(r"(?i)(T\d\d:\d\d):60", r"\1:59", value.upper())
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# --- rendering -------------------------------------------------------------------------


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def render(items: Sequence[StrictModel], *, fmt: Format, root: str, item: str) -> bytes:
    """A GeoReport answer: a JSON array, or `<root><item>…</item></root>` XML."""
    if fmt == "json":
        return b"[" + b",".join(i.model_dump_json().encode() for i in items) + b"]"
    top = ET.Element(root)
    for entry in items:
        element = ET.SubElement(top, item)
        for name, value in entry.model_dump(mode="python").items():
            if isinstance(value, list | tuple):
                continue
            ET.SubElement(element, name).text = _xml_value(value)
    xml = ET.tostring(top, encoding="unicode")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + xml.encode()


def render_errors(errors: Sequence[Open311Error], *, fmt: Format) -> bytes:
    return render(errors, fmt=fmt, root="errors", item="error")


def media_type_of(fmt: Format) -> str:
    return "text/xml" if fmt == "xml" else "application/json"
