"""The three dedup agents (see `processors.dedup` for why each is keyed as it is).

Stage A and stage C each run on one partition: they compare every submission with every
other (identities; places), and they do dictionary work only. Stage B, the citizen's own
cases, is keyed by citizen and scales with the partitions. Everything for the case agent
leaves through stage C, in order (see `ForPlace`).
"""

from collections.abc import Callable
from typing import Any

import faust
from pydantic import ConfigDict

from processors.cases.commands import (
    AddFollowUp,
    Command,
    JoinCase,
    LinkCase,
    OpenCase,
    encode_command,
)
from processors.dedup import Deduplicator, NewCase, Related
from processors.dedup.history import records_for
from processors.dedup.probe import computed_fingerprint, probe_of
from processors.dedup.resolver import anonymous_key
from processors.dedup.text import Fingerprint
from processors.sla.clock import Clock
from processors.stages.batch import WriteBehind, run_batches
from processors.stages.output import Output, Outputs
from processors.stages.topology import Topology
from schemas._strict import StrictModel
from schemas.case import case_id_for
from schemas.events import FollowUpReceived, SubmissionReceived


class Between(StrictModel):
    """A message between two dedup stages. Unlike the events it carries, it ignores fields it
    does not know: in a rolling upgrade an older worker's stage reads what a newer one sent
    (such as `ForPlace.fingerprint`) instead of dead-lettering the submission."""

    model_config = StrictModel.model_config | ConfigDict(extra="ignore")


class ForCitizen(Between):
    """Stage A → B: a submission (or follow-up) and the citizen it belongs to."""

    citizen_key: str
    submission: SubmissionReceived | None = None
    followup: FollowUpReceived | None = None


class ForPlace(Between):
    """Stage B → C: a submission that opens a new case, or a command about a case that
    stage C only passes on. Everything stage B has for the case agent goes this way, so a
    merge, a redelivery or a follow-up reaches the agent behind the submission that opens
    its case (stage C is one partition, read in order): sent straight to the agent, it
    could overtake it while stage C lagged, find no case, and be dropped."""

    citizen_key: str
    case_id: str
    submission: SubmissionReceived | None = None
    forward: Command | None = None
    # The submission's text fingerprint (`Fingerprint.to_state`) when stage B computed it:
    # stage C, one partition for every submission, then does not compute it again.
    fingerprint: dict[str, Any] | None = None


class Decisions:
    """A batch of one dedup stage: each event decided over the table as the batch's
    earlier events left it (`WriteBehind`), the table written on `commit`."""

    def __init__(
        self,
        table: Any,
        stage_over: Callable[[WriteBehind], Deduplicator],
        outputs_of: Callable[[Deduplicator, bytes], list[Output]],
    ) -> None:
        self._view = WriteBehind(table)
        self._stage = stage_over(self._view)
        self._outputs_of = outputs_of

    def outputs(self, event: Any) -> list[Output]:
        self._view.for_event(event)
        return self._outputs_of(self._stage, event.value)

    def commit(self) -> None:
        self._view.flush()


def register(
    app: faust.App, topology: Topology, dedup: Deduplicator, outputs: Outputs, clock: Clock
) -> None:
    citizen_topic = topology.citizen.get_topic_name()
    place_topic = topology.place.get_topic_name()
    config = dedup.config

    async def decide_in_batches(
        stream: Any,
        table: Any,
        stage_over: Callable[[WriteBehind], Deduplicator],
        outputs_of: Callable[[Deduplicator, bytes], list[Output]],
        stage: str,
    ) -> None:
        await run_batches(
            stream,
            lambda _batch: Decisions(table, stage_over, outputs_of),
            outputs,
            stage=stage,
            now=clock.now,
        )

    def to_citizen(stage_a: Deduplicator, value: bytes) -> list[Output]:
        msg = ForCitizen.model_validate_json(value)
        if msg.submission is not None:
            key = stage_a.resolve(probe_of(msg.submission.data))
        else:
            assert msg.followup is not None
            tracking_id = msg.followup.data.tracking_id
            row = stage_a.identities.get(f"s:{tracking_id}")
            key = str(row["c"]) if row else anonymous_key(tracking_id)
        routed = msg.model_copy(update={"citizen_key": key})
        return [(citizen_topic, key.encode(), routed.model_dump_json().encode())]

    @app.agent(topology.resolve, name="dedup-resolve")
    async def resolve(stream: Any) -> None:
        await decide_in_batches(
            stream,
            dedup.identities,
            lambda v: Deduplicator(config, identities=v),
            to_citizen,
            "dedup-resolve",
        )

    def to_place(key: str, case_id: str, **content: Any) -> Output:
        onward = ForPlace(citizen_key=key, case_id=case_id, **content)
        return (place_topic, b"place", onward.model_dump_json().encode())

    def by_citizen(stage_b: Deduplicator, value: bytes) -> list[Output]:
        msg = ForCitizen.model_validate_json(value)
        key = msg.citizen_key
        if msg.followup is not None:
            tracking_id = msg.followup.data.tracking_id
            case_id = stage_b.case_of(key, tracking_id) or case_id_for(tracking_id)
            command = AddFollowUp(case_id=case_id, followup=msg.followup)
            return [to_place(key, case_id, forward=command)]
        assert msg.submission is not None
        s = msg.submission.data
        probe = probe_of(s)
        decision = stage_b.decide_citizen(key, probe)
        if isinstance(decision, NewCase):
            fingerprint = computed_fingerprint(probe)
            return [
                to_place(
                    key,
                    decision.case_id,
                    submission=msg.submission,
                    fingerprint=fingerprint.to_state() if fingerprint else None,
                )
            ]
        [record] = records_for(decision, s)
        join = JoinCase(case_id=decision.case_id, submission=msg.submission, record=record)
        return [to_place(key, join.case_id, forward=join)]

    @app.agent(topology.citizen, name="dedup-citizen")
    async def citizen(stream: Any) -> None:
        await decide_in_batches(
            stream,
            dedup.citizens,
            lambda v: Deduplicator(config, citizens=v),
            by_citizen,
            "dedup-citizen",
        )

    def by_place(stage_c: Deduplicator, value: bytes) -> list[Output]:
        msg = ForPlace.model_validate_json(value)
        if msg.forward is not None:
            return [topology.command(msg.case_id, encode_command(msg.forward))]
        assert msg.submission is not None
        s = msg.submission.data
        new = NewCase(msg.case_id, s.submission_id)
        carried = Fingerprint.from_state(msg.fingerprint) if msg.fingerprint else None
        decision = stage_c.relate(new, msg.citizen_key, probe_of(s, carried))
        related = decision.links if isinstance(decision, Related) else ()
        opening = OpenCase(case_id=msg.case_id, submission=msg.submission, related=related)
        sends = [topology.command(msg.case_id, encode_command(opening))]
        if isinstance(decision, Related):
            _own, *back = records_for(decision, s)
            sends += [
                topology.command(r.case_id, encode_command(LinkCase(case_id=r.case_id, record=r)))
                for r in back
            ]
        return sends

    @app.agent(topology.place, name="dedup-place")
    async def place(stream: Any) -> None:
        await decide_in_batches(
            stream, dedup.places, lambda v: Deduplicator(config, places=v), by_place, "dedup-place"
        )
