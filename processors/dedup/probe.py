"""What dedup compares of a submission, computed once from it."""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from processors.dedup.identity import Identity, identities_of
from processors.dedup.place import Address, PlaceInfo, place_of
from processors.dedup.text import Fingerprint, fingerprint
from schemas.submission import Channel, Submission


@dataclass(frozen=True)
class Probe:
    """A submission reduced to its identity, text (fingerprinted on first use), place and time.

    `at` is the submission's `received_at`, not the clock: decisions depend only on the
    events, so replaying the intake topic decides the same way.
    """

    submission_id: str
    channel: Channel
    at: float
    identities: tuple[Identity, ...]
    text: str
    place: PlaceInfo

    @cached_property
    def fingerprint(self) -> Fingerprint:
        # Computed when first needed: the text's analysis is a fifth of the worker's time
        # under load, and stage A (identities only) and stage C without a place never ask.
        return fingerprint(self.text)


def probe_of(submission: Submission, fingerprint: Fingerprint | None = None) -> Probe:
    """The probe of `submission`; with the `fingerprint` an earlier stage computed of it
    (`computed_fingerprint`), which is then not computed again."""
    text = f"{submission.subject}\n{submission.text}" if submission.subject else submission.text
    probe = Probe(
        submission_id=submission.submission_id,
        channel=submission.channel,
        at=submission.received_at.timestamp(),
        identities=identities_of(submission.citizen, submission.channel_details),
        text=text,
        place=place_of(submission.location),
    )
    if fingerprint is not None:
        vars(probe)["fingerprint"] = fingerprint  # where cached_property keeps its value
    return probe


def computed_fingerprint(probe: Probe) -> Fingerprint | None:
    """The probe's fingerprint if something has asked for it, to pass on to the next stage
    with the submission; None if nothing has (passing it on must not cost its computing)."""
    return vars(probe).get("fingerprint")


def place_state(place: PlaceInfo) -> dict[str, Any]:
    """The compact JSON form of a place kept in tables (no district: it is not compared)."""
    state: dict[str, Any] = {}
    if place.lat is not None and place.lon is not None:
        state["lat"], state["lon"] = round(place.lat, 6), round(place.lon, 6)
    if place.address is not None:
        state["st"] = place.address.street
        if place.address.number is not None:
            state["no"] = place.address.number
    return state


def place_from_state(state: dict[str, Any]) -> PlaceInfo:
    address = Address(state["st"], state.get("no")) if "st" in state else None
    return PlaceInfo(lat=state.get("lat"), lon=state.get("lon"), address=address)
