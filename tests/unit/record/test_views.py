"""What the read side shows: one line per event for operators, nothing personal for citizens."""

from typing import Any

from schemas.events import Event
from sinks.postgres.views import PublicStatus, PublicStep, summarize
from tests.integration.record.histories import History

PERSONAL = {"text", "subject", "citizen", "contact", "name", "email", "phone", "tax_code",
            "location", "address", "coordinates", "attachments", "raw"}


def test_the_public_models_have_no_field_for_personal_data() -> None:
    for model in (PublicStatus, PublicStep):
        assert not PERSONAL & set(model.model_fields), model


def test_every_event_of_a_history_has_a_line_that_says_what_happened(
    nyc_histories: list[History],
) -> None:
    seen: dict[str, str] = {}
    for h in nyc_histories:
        for _, event in h.published:
            line = summarize(event)
            assert line and line != event.type, event.type
            seen.setdefault(event.type, line)
    assert len(seen) >= 8
    for event in (e for h in nyc_histories for _, e in h.published):
        facts = _facts(event)
        assert all(f in summarize(event) for f in facts), (summarize(event), facts)


def _facts(event: Event[Any]) -> list[str]:
    d = event.data
    match event.type:
        case "sportello.case.assigned":
            return [d.body, d.rule_id]
        case "sportello.case.updated":
            return [d.status.value, f"Version {d.version}"]
        case "sportello.sla.alert":
            return [d.kind, d.clock]
        case "sportello.case.deduplicated":
            return [d.decision.submission_id, *(s.value for s in d.decision.evidence.signals)]
        case "sportello.submission.received":
            return [d.submission_id, d.channel.value]
    return []
