"""Fax-to-mail: recognising a gateway's mail and reading the fax's facts from it.

Gateways are described in a TOML file (`fax_gateways.toml` beside this module by default;
see its header for the format), loaded once with `load_gateways(path)`; `read_fax(mail,
mail_from, gateways, received_at)` is pure and says whether the mail is a fax, from which
gateway, the sender's number, the page count, the legal receipt time and the page files.
"""

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingestors.smtp.mime import Attachment, ParsedMail

DEFAULT_GATEWAYS_FILE = Path(__file__).with_name("fax_gateways.toml")
PAGE_TYPES = frozenset(
    {"image/tiff", "image/tif", "application/pdf", "image/x-fax-g3", "image/png", "image/jpeg"}
)
_UTC_NAMES = frozenset({"UTC", "GMT", "Z", "UT"})
_FIELDS = ("number", "pages", "time", "tz", "stamp", "caller_id", "caller_name")


@dataclass(frozen=True)
class Gateway:
    """One kind of fax-to-mail gateway, as configured."""

    name: str
    senders: tuple[re.Pattern[str], ...]
    subjects: tuple[re.Pattern[str], ...]
    bodies: tuple[re.Pattern[str], ...]
    fields: tuple[re.Pattern[str], ...]
    time_formats: tuple[str, ...]
    timezone: str
    admin_to: tuple[re.Pattern[str], ...]

    def recognises(self, mail: ParsedMail, mail_from: str) -> bool:
        addresses = [a for a in (mail_from, mail.sender[1] or "") if a]
        subject = mail.subject or ""
        return (
            any(p.search(a) for p in self.senders for a in addresses)
            or any(p.search(subject) for p in self.subjects)
            or any(p.search(mail.text) for p in self.bodies)
        )


@dataclass(frozen=True)
class FaxReading:
    """What a gateway's mail says about the fax it carries."""

    gateway: str
    number: str | None
    caller_id: str | None
    caller_name: str | None
    pages: int | None
    received_at: datetime | None
    admin_copy: bool
    page_files: tuple[Attachment, ...]


def load_gateways(path: Path | None = None) -> tuple[Gateway, ...]:
    """Read the gateway descriptions; raises ValueError on a malformed file (at start-up)."""
    source = path or DEFAULT_GATEWAYS_FILE
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
        return tuple(_gateway(entry) for entry in document.get("gateway", []))
    except (tomllib.TOMLDecodeError, re.error, KeyError, TypeError) as exc:
        raise ValueError(f"fax gateway file {source}: {exc}") from exc


def _gateway(entry: dict[str, object]) -> Gateway:
    def patterns(key: str) -> tuple[re.Pattern[str], ...]:
        values = entry.get(key, [])
        assert isinstance(values, list), f"{key} must be a list"
        return tuple(re.compile(str(v), re.IGNORECASE) for v in values)

    formats = entry.get("time_formats", [])
    assert isinstance(formats, list)
    return Gateway(
        name=str(entry["name"]),
        senders=patterns("senders"),
        subjects=patterns("subjects"),
        bodies=patterns("bodies"),
        fields=patterns("fields"),
        time_formats=tuple(str(f) for f in formats),
        timezone=str(entry.get("timezone", "UTC")),
        admin_to=patterns("admin_to"),
    )


def read_fax(
    mail: ParsedMail, mail_from: str, gateways: Sequence[Gateway], received_at: datetime
) -> FaxReading | None:
    """The fax `mail` carries, or None when no configured gateway sent it."""
    gateway = next((g for g in gateways if g.recognises(mail, mail_from)), None)
    if gateway is None:
        return None
    found = _fields(gateway, f"Subject: {mail.subject or ''}\n{mail.text}")
    pages_files = tuple(a for a in mail.attachments if a.media_type in PAGE_TYPES)
    pages = int(found["pages"]) if found.get("pages", "").isdigit() else None
    to = mail.header("to") or ""
    return FaxReading(
        gateway=gateway.name,
        number=_tidy(found.get("number")),
        caller_id=_tidy(found.get("caller_id")),
        caller_name=_tidy(found.get("caller_name")),
        pages=pages,
        received_at=_receipt_time(gateway, found, received_at),
        admin_copy=bool(to) and any(p.search(to) for p in gateway.admin_to),
        page_files=pages_files,
    )


def pages_to_read(files: Sequence[Attachment]) -> tuple[Attachment, ...]:
    """The files to OCR: a gateway that sends the same fax as TIFF and PDF needs one read."""
    tiff_types = {"image/tiff", "image/tif"}
    tiffs = tuple(f for f in files if f.media_type in tiff_types)
    pdfs = tuple(f for f in files if f.media_type == "application/pdf")
    others = tuple(f for f in files if f.media_type not in {*tiff_types, "application/pdf"})
    return (tiffs or pdfs) + others


def _fields(gateway: Gateway, text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for pattern in gateway.fields:
        match = pattern.search(text)
        if match is None:
            continue
        for name in _FIELDS:
            value = match.groupdict().get(name)
            if value and name not in found:
                found[name] = value
    return found


def _receipt_time(
    gateway: Gateway, found: dict[str, str], received_at: datetime
) -> datetime | None:
    zone = _zone(gateway.timezone)
    if (found.get("tz") or "").upper() in _UTC_NAMES:
        zone = UTC
    raw = found.get("time") or found.get("stamp")
    if not raw:
        return None
    for fmt in gateway.time_formats:
        try:
            if "%Y" in fmt:
                moment = datetime.strptime(raw, fmt).replace(tzinfo=zone)
            else:
                moment = datetime.strptime(f"{received_at.year} {raw}", f"%Y {fmt}").replace(
                    tzinfo=zone
                )
                moment = _nearest_past_year(moment, received_at)
        except ValueError:
            continue
        return _plausible(moment, received_at)
    return None


def _nearest_past_year(moment: datetime, received_at: datetime) -> datetime:
    # A stamp without a year (efax) belongs to the latest year that does not put it after
    # the mail's arrival: a fax received on 31 December and mailed on 1 January is last year's.
    if moment > received_at + timedelta(days=1):
        try:
            return moment.replace(year=moment.year - 1)
        except ValueError:
            return moment
    return moment


def _plausible(moment: datetime, received_at: datetime) -> datetime | None:
    # A gateway with a wrong clock must not give the city a receipt time after the mail
    # reached it, nor one from another era.
    if moment > received_at + timedelta(hours=1) or moment < received_at - timedelta(days=366):
        return None
    return moment


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _tidy(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split()).strip("'\"")
    return value[:40] or None
