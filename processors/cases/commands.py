"""What the dedup stages and the SLA timer tell the case agent, on an internal topic keyed by
case id. Not a public contract: only Sportello's own stages write and read these."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from schemas._strict import StrictModel
from schemas.case import CaseId
from schemas.dedup import CaseLink, DedupRecord
from schemas.events import FollowUpReceived, StatusReported, SubmissionReceived


class OpenCase(StrictModel):
    """A submission that opens a case of its own (tier 3 may have related it to others)."""

    kind: Literal["open"] = "open"
    case_id: CaseId
    submission: SubmissionReceived
    related: tuple[CaseLink, ...] = ()


class JoinCase(StrictModel):
    """A submission that belongs to an existing case: a redelivery or a merge."""

    kind: Literal["join"] = "join"
    case_id: CaseId
    submission: SubmissionReceived
    record: DedupRecord


class LinkCase(StrictModel):
    """Another citizen's new case is about the same problem as this one."""

    kind: Literal["link"] = "link"
    case_id: CaseId
    record: DedupRecord


class AddFollowUp(StrictModel):
    """The citizen wrote again about their case (a reply to the acknowledgement)."""

    kind: Literal["followup"] = "followup"
    case_id: CaseId
    followup: FollowUpReceived


class Report(StrictModel):
    """A status update from `complaints.status`, forwarded to the case's partition."""

    kind: Literal["report"] = "report"
    case_id: CaseId
    report: StatusReported


class Tick(StrictModel):
    """The SLA timer found this case due; the agent decides what, if anything, to emit."""

    kind: Literal["tick"] = "tick"
    case_id: CaseId
    at: AwareDatetime


Command = Annotated[
    OpenCase | JoinCase | LinkCase | AddFollowUp | Report | Tick, Field(discriminator="kind")
]
_COMMAND: TypeAdapter[Command] = TypeAdapter(Command)


def decode_command(raw: bytes) -> Command:
    return _COMMAND.validate_json(raw)


def encode_command(command: Command) -> bytes:
    return command.model_dump_json().encode()
