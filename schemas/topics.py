"""Topic names: the public contract, with what each carries and how it is keyed."""

INTAKE = "complaints.intake"
"""`SubmissionReceived`, keyed by submission id. Written by every ingestor."""

CASES = "complaints.cases"
"""`CaseUpdated`, keyed by case id. Compacted: the latest snapshot of every case."""

ROUTED_PREFIX = "complaints.routed."
"""`complaints.routed.<body>`: what one department or company must act on, keyed by case id."""

STATUS = "complaints.status"
"""Status updates from departments, keyed by case id."""

TRIAGE = "complaints.triage"
"""Cases the classifier was unsure of, keyed by case id, for Customer Care operators."""

SLA = "complaints.sla"
"""SLA warnings and breaches, keyed by case id."""

METRICS = "complaints.metrics"
"""Windowed aggregates without personal data, keyed by metric name."""

NOTIFICATIONS = "complaints.notifications"
"""`CitizenNotified`, keyed by case id: what the citizen was told of the city's answers."""

DEADLETTER = "complaints.deadletter"
"""`DeadLettered`: what could not be read, why, and where it is kept. Keyed by source ref."""


def routed(body_id: str) -> str:
    return ROUTED_PREFIX + body_id
