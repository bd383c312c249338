"""The services `sportello run` starts: one process each, run as `python -m <module>`."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    what: str


SERVICES: tuple[Service, ...] = (
    Service(
        "web",
        "ingestors.web",
        "HTTP intake and /dashboard on SPORTELLO_WEB_PORT (8080); metrics on"
        " SPORTELLO_WEB_METRICS_PORT (9466)",
    ),
    Service(
        "smtp",
        "ingestors.smtp",
        "email and fax-to-mail intake on SPORTELLO_SMTP_PORT (2525); metrics on"
        " SPORTELLO_SMTP_METRICS_PORT (9467)",
    ),
    Service(
        "scans",
        "ingestors.scans",
        "front-office scans from var/inbox/scans/; metrics on SPORTELLO_SCAN_METRICS_PORT (9468)",
    ),
    Service(
        "postal",
        "ingestors.postal",
        "mailroom OCR output from var/inbox/postal/; metrics on"
        " SPORTELLO_POSTAL_METRICS_PORT (9469)",
    ),
    Service(
        "worker",
        "processors",
        "Faust stream processors; metrics on SPORTELLO_WORKER_METRICS_PORT (9465)",
    ),
    Service(
        "sink",
        "sinks.postgres",
        "history topics into PostgreSQL; complaints.metrics; metrics on"
        " SPORTELLO_SINK_METRICS_PORT (9464)",
    ),
    Service(
        "notifier",
        "sinks.notify",
        "tells citizens of resolved and rejected cases by mail; metrics on"
        " SPORTELLO_NOTIFY_METRICS_PORT (9470)",
    ),
)

METRICS_PORT_SETTINGS: dict[str, str] = {
    "web": "web_metrics_port",
    "smtp": "smtp_metrics_port",
    "scans": "scan_metrics_port",
    "postal": "postal_metrics_port",
    "worker": "worker_metrics_port",
    "sink": "sink_metrics_port",
    "notifier": "notify_metrics_port",
}
"""The setting (`SPORTELLO_<NAME>`) that moves each service's Prometheus endpoint."""


def select(names: list[str] | None) -> tuple[Service, ...]:
    if not names:
        return SERVICES
    known = {s.name: s for s in SERVICES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown services: {', '.join(unknown)} (known: {', '.join(known)})")
    return tuple(known[n] for n in names)
