"""The services `sportello run` starts: one process each, run as `python -m <module>`."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    what: str


SERVICES: tuple[Service, ...] = (
    Service("web", "ingestors.web", "HTTP intake on SPORTELLO_WEB_PORT (8080)"),
    Service("smtp", "ingestors.smtp", "email and fax-to-mail intake on SPORTELLO_SMTP_PORT (2525)"),
    Service("scans", "ingestors.scans", "front-office scans from var/inbox/scans/"),
    Service("postal", "ingestors.postal", "mailroom OCR output from var/inbox/postal/"),
    Service("worker", "processors", "Faust stream processors"),
    Service("sink", "sinks.postgres", "history topics into PostgreSQL; complaints.metrics"),
    Service("notifier", "sinks.notify", "tells citizens of resolved and rejected cases by mail"),
)


def select(names: list[str] | None) -> tuple[Service, ...]:
    if not names:
        return SERVICES
    known = {s.name: s for s in SERVICES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown services: {', '.join(unknown)} (known: {', '.join(known)})")
    return tuple(known[n] for n in names)
