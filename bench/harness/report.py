"""Result rows and the Markdown tables `make bench` and `make faults` print: pure values and
formatting, plus `emit`, which a benchmark script calls to hand its rows to `run_all`.

A benchmark script stays a script that prints its figures for a person; it also calls
`emit(rows)`, which writes the rows as JSON to the file named by `SPORTELLO_BENCH_RESULT`
when `run_all` set it, and does nothing otherwise.
"""

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.harness.ledger import Verdict

RESULT_ENV = "SPORTELLO_BENCH_RESULT"


@dataclass(frozen=True)
class Row:
    """One figure of a benchmark beside the baseline run with it. `ratio` is measured over
    baseline as a fraction (0.24 for 24%) unless `ratio_text` says otherwise."""

    bench: str
    what: str
    figure: str
    baseline: str = ""
    ratio: float | None = None
    goal: str = ""
    ratio_text: str = ""
    values: Mapping[str, float | None] = field(default_factory=dict)

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> "Row":
        return Row(**{k: v for k, v in data.items() if k in Row.__dataclass_fields__})


def emit(rows: Iterable[Row]) -> None:
    """Hand `rows` to `run_all` (see the module's docstring)."""
    target = os.environ.get(RESULT_ENV)
    if target:
        Path(target).write_text(json.dumps([asdict(r) for r in rows], indent=1))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], lines: Iterable[Sequence[str]]) -> str:
    """A Markdown table; `|` in a cell is escaped."""
    out = ["| " + " | ".join(_cell(h) for h in header) + " |"]
    out.append("|" + "|".join("---" for _ in header) + "|")
    out.extend("| " + " | ".join(_cell(c) for c in line) + " |" for line in lines)
    return "\n".join(out)


def ratio_cell(row: Row) -> str:
    if row.ratio_text:
        return row.ratio_text
    if row.ratio is None:
        return ""
    if row.ratio < 0.01:
        return f"{row.ratio:.2%}"
    return f"{row.ratio:.0%}" if row.ratio < 10 else f"{row.ratio:,.0f}x"


def bench_table(rows: Iterable[Row]) -> str:
    return table(
        ("benchmark", "measured", "baseline (same run)", "ratio", "goal"),
        ([f"{r.bench}: {r.what}", r.figure, r.baseline, ratio_cell(r), r.goal] for r in rows),
    )


@dataclass(frozen=True)
class FaultResult:
    """One fault of the suite: the accounting after it, or why it could not be checked."""

    fault: str
    verdict: Verdict | None
    recovery_s: float | None = None
    refused: int = 0
    error: str = ""
    note: str = ""

    @property
    def survived(self) -> bool:
        return self.verdict is not None and not self.error and self.verdict.survived

    def result(self) -> str:
        if self.error:
            return f"ERROR: {self.error}"
        assert self.verdict is not None
        if self.verdict.survived:
            return "survived"
        v = self.verdict
        parts = [
            f"{len(v.lost)} lost" if v.lost else "",
            f"{v.duplicate_cases} duplicate cases" if v.duplicate_cases else "",
            f"{v.duplicate_rows} duplicate rows" if v.duplicate_rows else "",
            f"{v.sla_missing} SLA alerts missing" if v.sla_missing else "",
            f"{v.sla_duplicated} SLA alerts doubled" if v.sla_duplicated else "",
        ]
        return "FAILED: " + ", ".join(p for p in parts if p)


def fault_table(results: Iterable[FaultResult]) -> str:
    def line(r: FaultResult) -> list[str]:
        v = r.verdict
        recovered = "never" if r.recovery_s is None else f"{r.recovery_s:.1f} s"
        if v is None:
            return [r.fault, "", "", "", "", "", str(r.refused), recovered, r.result()]
        return [
            r.fault,
            f"{v.accepted:,}",
            f"{len(v.lost):,}",
            f"{v.duplicate_cases:,}",
            f"{v.duplicate_rows:,}",
            f"{v.sla_due:,} due, {v.sla_missing} missing, {v.sla_duplicated} doubled",
            f"{r.refused:,}",
            recovered,
            r.result(),
        ]

    header = (
        "fault", "accepted", "lost", "duplicate cases", "duplicate rows", "SLA alerts",
        "refused, retried", "recovered after repair", "result",
    )  # fmt: skip
    return table(header, (line(r) for r in results))
