"""The fault suite's accounting: lost, duplicated and unexpected submissions, and SLA
alerts missing or emitted under two ids, against what the load generator was told."""

from bench.harness.ledger import Alert, account, account_sla, with_sla


def test_everything_accepted_stored_once_survives() -> None:
    v = account(
        ["T1", "T2"],
        {"C1": ["T1"], "C2": ["T2"]},
        routings={"C1": 1, "C2": 1},
        submission_rows={"T1": 1, "T2": 1},
    )
    assert (v.accepted, v.stored, v.lost, v.duplicate_cases, v.duplicate_rows) == (
        2, 2, (), 0, 0,
    )  # fmt: skip
    assert v.survived


def test_an_accepted_submission_in_no_case_is_lost() -> None:
    v = account(["T1", "T2", "T3"], {"C1": ["T1"]}, routings={"C1": 1}, submission_rows={"T1": 1})
    assert v.lost == ("T2", "T3")
    assert v.stored == 1
    assert not v.survived


def test_a_submission_in_two_cases_is_a_duplicate_case() -> None:
    v = account(
        ["T1"],
        {"C1": ["T1"], "C9": ["T1"]},
        routings={"C1": 1, "C9": 1},
        submission_rows={"T1": 1},
    )
    assert v.duplicate_cases == 1
    assert not v.lost
    assert not v.survived


def test_a_case_routed_twice_or_a_submission_stored_twice_is_a_duplicate_row() -> None:
    v = account(["T1", "T2"], {"C1": ["T1"], "C2": ["T2"]},
                routings={"C1": 2, "C2": 1}, submission_rows={"T1": 1, "T2": 3})  # fmt: skip
    assert v.duplicate_rows == 1 + 2
    assert not v.survived


def test_a_case_for_a_submission_never_acknowledged_is_reported_not_failed() -> None:
    # T3 was tried, never acknowledged (the caller gave up), yet stored: allowed
    v = account(["T1"], {"C1": ["T1"], "C3": ["T3"]}, routings={"C1": 1, "C3": 1},
                submission_rows={"T1": 1}, sent=["T1", "T3"])  # fmt: skip
    assert v.unexpected == 1
    assert v.survived
    # a case of someone else's (not sent by this load) is none of its business
    assert account(["T1"], {"C1": ["T1"], "X": ["OTHER"]}, routings={"C1": 1},
                   submission_rows={"T1": 1}).unexpected == 0  # fmt: skip


def test_a_merged_case_counts_each_of_its_submissions_once() -> None:
    v = account(["T1", "T2"], {"C1": ["T1", "T2"]}, routings={"C1": 1},
                submission_rows={"T1": 1, "T2": 1})  # fmt: skip
    assert v.stored == 2
    assert v.survived


def test_sla_alerts_missing_doubled_and_redelivered() -> None:
    expected = {("C1", "acknowledgement", "warning_50"), ("C1", "resolution", "warning_50"),
                ("C2", "acknowledgement", "breach")}  # fmt: skip
    emitted = [
        Alert("C1", "acknowledgement", "warning_50", "C1/acknowledgement/warning_50/g0"),
        Alert("C2", "acknowledgement", "breach", "C2/acknowledgement/breach/g0"),
        Alert("C2", "acknowledgement", "breach", "C2/acknowledgement/breach/g1"),
        Alert("C3", "resolution", "breach", "C3/resolution/breach/g0"),  # not due: no matter
    ]
    deliveries = {"C1/acknowledgement/warning_50/g0": 2, "C2/acknowledgement/breach/g0": 1}
    sla = account_sla(expected, emitted, deliveries)
    assert sla.due == 3
    assert sla.missing == (("C1", "resolution", "warning_50"),)
    assert sla.duplicated == (("C2", "acknowledgement", "breach"),)
    assert sla.redelivered == 1

    base = account(["T1"], {"C1": ["T1"]}, routings={"C1": 1}, submission_rows={"T1": 1})
    v = with_sla(base, sla)
    assert (v.sla_due, v.sla_missing, v.sla_duplicated, v.sla_redelivered) == (3, 1, 1, 1)
    assert not v.survived
    assert v.survived is False and base.survived


def test_the_same_alert_delivered_twice_under_one_id_is_one_fact() -> None:
    alert = Alert("C1", "resolution", "breach", "C1/resolution/breach/g0")
    sla = account_sla([("C1", "resolution", "breach")], [alert, alert], {alert.alert_id: 2})
    assert not sla.missing
    assert not sla.duplicated
    assert sla.redelivered == 1
