"""The result tables `make bench` and `make faults` print, and the rows a benchmark script
hands to `run_all`."""

import json
from pathlib import Path

import pytest

from bench.harness.ledger import account
from bench.harness.report import (
    RESULT_ENV,
    FaultResult,
    Row,
    bench_table,
    emit,
    fault_table,
    table,
)


def test_a_markdown_table_escapes_pipes_and_newlines() -> None:
    text = table(("a", "b"), [("x | y", "two\nlines")])
    assert text.splitlines() == ["| a | b |", "|---|---|", "| x \\| y | two lines |"]


def test_bench_rows_show_the_ratio_as_a_percentage_or_as_said() -> None:
    rows = [
        Row("web", "POST /v1/complaints", "2,127 req/s", "noop 8,748 req/s", 0.243, "≥ 50%"),
        Row("classify", "batch", "322 texts/s", "normalize 22,375 texts/s", 0.0144,
            ratio_text="69.5x the time"),
        Row("soak", "stalled-consumer warnings", "0", goal="0"),
    ]  # fmt: skip
    lines = bench_table(rows).splitlines()
    assert lines[0] == "| benchmark | measured | baseline (same run) | ratio | goal |"
    assert lines[2] == (
        "| web: POST /v1/complaints | 2,127 req/s | noop 8,748 req/s | 24% | ≥ 50% |"
    )
    assert "| 69.5x the time |" in lines[3]
    assert lines[4] == "| soak: stalled-consumer warnings | 0 |  |  | 0 |"


def test_emit_writes_the_rows_where_run_all_asks_and_nowhere_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [Row("sink", "rows", "9,000 rows/s", "COPY 12,000 rows/s", 0.75, "≥ 60%")]
    monkeypatch.delenv(RESULT_ENV, raising=False)
    emit(rows)
    assert list(tmp_path.iterdir()) == []
    target = tmp_path / "sink.json"
    monkeypatch.setenv(RESULT_ENV, str(target))
    emit(rows)
    back = [Row.from_json(r) for r in json.loads(target.read_text())]
    assert back == rows


def test_the_fault_table_marks_a_fault_not_survived_with_its_counts() -> None:
    ok = account(["T1"], {"C1": ["T1"]}, routings={"C1": 1}, submission_rows={"T1": 1})
    lost = account(["T1", "T2", "T3"], {"C1": ["T1"]}, routings={"C1": 1},
                   submission_rows={"T1": 1})  # fmt: skip
    results = [
        FaultResult("SIGKILL the Kafka broker", ok, recovery_s=12.34, refused=7),
        FaultResult("SIGKILL a worker", lost, recovery_s=None),
        FaultResult("stop PostgreSQL", None, error="RuntimeError: pg_ctl failed"),
    ]
    lines = fault_table(results).splitlines()
    assert lines[0].startswith("| fault | accepted | lost |")
    assert lines[2] == (
        "| SIGKILL the Kafka broker | 1 | 0 | 0 | 0 | 0 due, 0 missing, 0 doubled | 7 "
        "| 12.3 s | survived |"
    )
    assert lines[3].endswith("| 3 | 2 | 0 | 0 | 0 due, 0 missing, 0 doubled | 0 | never "
                             "| FAILED: 2 lost |")  # fmt: skip
    assert lines[4].endswith("| ERROR: RuntimeError: pg_ctl failed |")
    assert [r.survived for r in results] == [True, False, False]


def test_a_ratio_under_one_percent_keeps_two_decimals() -> None:
    row = Row("pipeline", "sustained", "16.4/s", "bare loop 11,862/s", 16.4 / 11_862, "≥ 25%")
    assert "| 0.14% | ≥ 25% |" in bench_table([row])
