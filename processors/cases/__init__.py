"""Cases: the state of every case, changed only by commands, as pure functions.

The case agent (`processors.stages.cases`) keeps one `CaseRecord` per case id in a table and
calls `CaseBook`; each call returns the new record and the events to publish. Nothing here
does I/O or reads a clock: `now` is passed in.
"""

from processors.cases.book import CaseBook, Step
from processors.cases.commands import (
    AddFollowUp,
    Command,
    JoinCase,
    LinkCase,
    OpenCase,
    Report,
    Tick,
    decode_command,
)
from processors.cases.record import CaseRecord

__all__ = [
    "AddFollowUp",
    "CaseBook",
    "CaseRecord",
    "Command",
    "JoinCase",
    "LinkCase",
    "OpenCase",
    "Report",
    "Step",
    "Tick",
    "decode_command",
]
