"""Dedup's settings and its four outcomes, as explicit values an agent acts on."""

from dataclasses import dataclass
from datetime import timedelta

from schemas.dedup import CaseLink
from schemas.evidence import MatchEvidence


@dataclass(frozen=True)
class DedupConfig:
    """Windows, thresholds and bounds. Defaults are the issue's (30 days for one citizen)
    and what the tests calibrate (thresholds, radii); a deployment passes its own."""

    citizen_window: timedelta = timedelta(days=30)
    """Tier 2: a citizen's complaint merges into their case last written to within this."""
    place_window: timedelta = timedelta(days=7)
    """Tier 3: reports of one place relate when opened within this of each other."""
    redelivery_horizon: timedelta = timedelta(days=90)
    """Tier 1: how long a submission id is remembered (webhook and SMTP retries take days)."""
    identity_horizon: timedelta = timedelta(days=90)
    """How long identity links (email ↔ phone ↔ tax code) are kept after last use."""
    merge_threshold: float = 0.45
    related_threshold: float = 0.40
    merge_radius_m: float = 500.0
    """Tier 2 refuses to merge two places further apart than this (a citizen's own two
    potholes); it is wide because the same person pins the same place loosely."""
    related_radius_m: float = 150.0
    house_span: int = 10
    """House numbers this close on one street are the same place (about 50 to 100 m)."""
    max_cases_per_citizen: int = 20
    max_members_per_case: int = 6
    max_cases_per_place: int = 50
    """A week of reports at one street or cell beyond this is a hotspot; the oldest go."""
    max_related: int = 5


@dataclass(frozen=True)
class Redelivery:
    """Tier 1: this very submission was seen before; drop it, note it on the case."""

    existing_case_id: str
    submission_id: str

    @property
    def case_id(self) -> str:
        """Every decision names the case it concerns as `case_id`."""
        return self.existing_case_id


@dataclass(frozen=True)
class Merge:
    """Tier 2: the same citizen's same complaint; it joins `case_id` with `evidence`."""

    case_id: str
    submission_id: str
    evidence: MatchEvidence

    @property
    def tracking_id(self) -> str:
        """The tracking number the citizen keeps: the case's first."""
        return "SP-" + self.case_id.removeprefix("CASE-")


@dataclass(frozen=True)
class NewCase:
    """A case of its own, named after this submission."""

    case_id: str
    submission_id: str


@dataclass(frozen=True)
class Related:
    """A case of its own (`case_id`), related to other citizens' cases about the same
    problem."""

    case_id: str
    submission_id: str
    links: tuple[CaseLink, ...]

    @property
    def case_ids(self) -> tuple[str, ...]:
        return tuple(link.case_id for link in self.links)


Decision = Redelivery | Merge | NewCase | Related
