"""The SMTP intake's Prometheus instruments: mails by outcome, the time to answer each, the
mails being handled, refused recipients, and publishing to Kafka (`runtime.instruments`).

    registry = service_registry("smtp")
    smtp_metrics = SmtpInstruments(registry)
    intake = await SmtpIntake.start(settings, instruments=smtp_metrics)

Outcomes are the mail's fate as the handler decided it (`complaint`, `follow_up`,
`dead_letter`, `not_complaint`) or, when the sender was told to retry, `broker_unavailable`
and `temporary_failure`; `reply` is the SMTP reply code the sender got.
"""

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ingestors.smtp.handler import IntakeHandler, Outcome
from runtime.instruments import LATENCY_BUCKETS, PublishInstruments

_MAIL_BUCKETS = (*LATENCY_BUCKETS, 120.0, 300.0)  # a fax read by OCR takes minutes


def outcome_of(outcome: Outcome) -> str:
    if outcome.fate is not None and outcome.reply.startswith("2"):
        return outcome.fate.value
    if outcome.fate is None:
        return "temporary_failure"
    return "broker_unavailable"


class _HandlerCollector(Collector):
    """What only the handler knows, read at each scrape."""

    def __init__(self, handler: Callable[[], IntakeHandler | None]) -> None:
        self._handler = handler

    def collect(self) -> Iterable[Metric]:
        handler = self._handler()
        if handler is None:
            return
        yield GaugeMetricFamily(
            "sportello_smtp_messages_in_flight", "mails being handled", value=handler.in_flight
        )
        yield CounterMetricFamily(
            "sportello_smtp_rejected_recipients",
            "RCPT TO addresses refused with 550 (not served here)",
            value=handler.counters["rejected_recipient"],
        )


class SmtpInstruments:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.publishing = PublishInstruments(registry, "smtp")
        self.messages = Counter(
            "sportello_smtp_messages",
            "mails answered after DATA, by outcome and reply code",
            ["outcome", "reply"],
            registry=registry,
        )
        self.seconds = Histogram(
            "sportello_smtp_message_seconds",
            "from the end of DATA to the reply, by outcome",
            ["outcome"],
            buckets=_MAIL_BUCKETS,
            registry=registry,
        )
        self._handler: IntakeHandler | None = None
        registry.register(_HandlerCollector(lambda: self._handler))

    def watch(self, handler: IntakeHandler) -> None:
        self._handler = handler

    def observe(self, outcome: Outcome) -> None:
        """The handler's observer: one call per mail answered."""
        kind = outcome_of(outcome)
        self.messages.labels(kind, outcome.reply[:3]).inc()
        self.seconds.labels(kind).observe(outcome.seconds)
