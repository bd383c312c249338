"""Fixtures for dedup's unit tests: the shared data folder and a submission factory."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas.submission import Channel, Citizen, Coordinates, Location, Submission, tracking_id_for

T0 = datetime(2024, 3, 12, 9, 0, tzinfo=UTC)

MakeSubmission = Callable[..., Submission]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` beside the repository (as in CI), or beside a folder above it (a git
    worktree nested one level deeper)."""
    repo = Path(__file__).resolve().parents[3]
    for parent in repo.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return repo / ".." / "shared" / "data"


def make_submission(
    ref: str,
    channel: Channel,
    text: str,
    *,
    days: float = 0.0,
    subject: str | None = None,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    tax_code: str | None = None,
    address: str | None = None,
    district: str | None = None,
    point: tuple[float, float] | None = None,
    details: dict[str, Any] | None = None,
) -> Submission:
    """A submission as an ingestor would publish it; `days` after T0."""
    at = T0 + timedelta(days=days)
    citizen = (
        Citizen(name=name, email=email, phone=phone, tax_code=tax_code)
        if name or email or phone or tax_code
        else None
    )
    location = (
        Location(
            address=address,
            district=district,
            coordinates=Coordinates(lat=point[0], lon=point[1]) if point else None,
        )
        if address or district or point
        else None
    )
    return Submission(
        submission_id=tracking_id_for(channel, ref),
        channel=channel,
        idempotency_ref=ref,
        received_at=at,
        legal_receipt_at=at,
        text=text,
        subject=subject,
        citizen=citizen,
        location=location,
        channel_details=details or {},
    )


@pytest.fixture
def submission() -> MakeSubmission:
    return make_submission
