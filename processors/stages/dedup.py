"""The three dedup agents (see `processors.dedup` for why each is keyed as it is).

Stage A and stage C each run on one partition: they compare every submission with every
other (identities; places), and they do dictionary work only. Stage B, the citizen's own
cases, is keyed by citizen and scales with the partitions. Everything for the case agent
leaves through stage C, in order (see `ForPlace`).
"""

import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

import faust

from processors.cases.commands import (
    AddFollowUp,
    Command,
    JoinCase,
    LinkCase,
    OpenCase,
    encode_command,
)
from processors.dedup import Deduplicator, Merge, NewCase, Redelivery, Related
from processors.dedup.history import records_for
from processors.dedup.probe import probe_of
from processors.dedup.resolver import anonymous_key
from processors.stages.output import Outputs
from processors.stages.topology import Topology
from schemas._strict import StrictModel
from schemas.case import case_id_for
from schemas.events import FollowUpReceived, SubmissionReceived

log = logging.getLogger(__name__)


_DELETED = object()


class WriteBehind(MutableMapping[str, Any]):
    """A table seen through the writes not yet made to it: reads see them, `flush()` makes
    them. Stage B publishes a decision and only then records it, as the case agent does,
    so that a crash in between makes the replay decide again. Recorded first, the replay
    found the submission already known and sent it on as a redelivery of a case that was
    never opened: the submission was lost."""

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self._table = table
        self._pending: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        value = self._pending.get(key, self._table.get(key))
        if value is None or value is _DELETED:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._pending[key] = value

    def __delitem__(self, key: str) -> None:
        self._pending[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        keys = dict.fromkeys([*self._table, *self._pending])
        return iter(k for k in keys if k in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def flush(self) -> None:
        for key, value in self._pending.items():
            if value is not _DELETED:
                self._table[key] = value
            elif key in self._table:
                del self._table[key]
        self._pending.clear()


class ForCitizen(StrictModel):
    """Stage A → B: a submission (or follow-up) and the citizen it belongs to."""

    citizen_key: str
    submission: SubmissionReceived | None = None
    followup: FollowUpReceived | None = None


class ForPlace(StrictModel):
    """Stage B → C: a submission that opens a new case, or a command about a case that
    stage C only passes on. Everything stage B has for the case agent goes this way, so a
    merge, a redelivery or a follow-up reaches the agent behind the submission that opens
    its case (stage C is one partition, read in order): sent straight to the agent, it
    could overtake it while stage C lagged, find no case, and be dropped."""

    citizen_key: str
    case_id: str
    submission: SubmissionReceived | None = None
    forward: Command | None = None


def register(app: faust.App, topology: Topology, dedup: Deduplicator, outputs: Outputs) -> None:
    resolve_topic, citizen_topic, place_topic = topology.resolve, topology.citizen, topology.place
    citizens = WriteBehind(dedup.citizens)
    stage_b = Deduplicator(
        dedup.config, identities=dedup.identities, citizens=citizens, places=dedup.places
    )

    @app.agent(resolve_topic, name="dedup-resolve")
    async def resolve(stream: Any) -> None:
        async for value in stream:
            msg = ForCitizen.model_validate_json(value)
            if msg.submission is not None:
                key = dedup.resolve(probe_of(msg.submission.data))
            else:
                assert msg.followup is not None
                tracking_id = msg.followup.data.tracking_id
                row = dedup.identities.get(f"s:{tracking_id}")
                key = str(row["c"]) if row else anonymous_key(tracking_id)
            routed = msg.model_copy(update={"citizen_key": key})
            await outputs.send_all(
                [(citizen_topic.get_topic_name(), key.encode(), routed.model_dump_json().encode())]
            )

    def via_place(key: str, command: AddFollowUp | JoinCase) -> tuple[str, bytes, bytes]:
        onward = ForPlace(citizen_key=key, case_id=command.case_id, forward=command)
        return (place_topic.get_topic_name(), b"place", onward.model_dump_json().encode())

    @app.agent(citizen_topic, name="dedup-citizen")
    async def by_citizen(stream: Any) -> None:
        async for value in stream:
            msg = ForCitizen.model_validate_json(value)
            key = msg.citizen_key
            if msg.followup is not None:
                tracking_id = msg.followup.data.tracking_id
                case_id = stage_b.case_of(key, tracking_id) or case_id_for(tracking_id)
                command = AddFollowUp(case_id=case_id, followup=msg.followup)
                await outputs.send_all([via_place(key, command)])
                continue
            assert msg.submission is not None
            s = msg.submission.data
            decision = stage_b.decide_citizen(key, probe_of(s))
            match decision:
                case Redelivery() | Merge():
                    [record] = records_for(decision, s)
                    join = JoinCase(
                        case_id=decision.case_id, submission=msg.submission, record=record
                    )
                    await outputs.send_all([via_place(key, join)])
                case NewCase():
                    onward = ForPlace(
                        citizen_key=key, case_id=decision.case_id, submission=msg.submission
                    )
                    await outputs.send_all(
                        [
                            (
                                place_topic.get_topic_name(),
                                b"place",
                                onward.model_dump_json().encode(),
                            )
                        ]
                    )
            citizens.flush()

    @app.agent(place_topic, name="dedup-place")
    async def by_place(stream: Any) -> None:
        async for value in stream:
            msg = ForPlace.model_validate_json(value)
            if msg.forward is not None:
                await outputs.send_all([topology.command(msg.case_id, encode_command(msg.forward))])
                continue
            assert msg.submission is not None
            s = msg.submission.data
            decision = dedup.relate(
                NewCase(msg.case_id, s.submission_id), msg.citizen_key, probe_of(s)
            )
            related = decision.links if isinstance(decision, Related) else ()
            sends = [
                topology.command(
                    msg.case_id,
                    encode_command(
                        OpenCase(case_id=msg.case_id, submission=msg.submission, related=related)
                    ),
                )
            ]
            if isinstance(decision, Related):
                _own, *back = records_for(decision, s)
                sends += [
                    topology.command(
                        r.case_id, encode_command(LinkCase(case_id=r.case_id, record=r))
                    )
                    for r in back
                ]
            await outputs.send_all(sends)
