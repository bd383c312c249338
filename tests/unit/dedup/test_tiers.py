"""The three tiers of dedup on realistic complaints, through `Deduplicator`."""

from collections.abc import Callable

from processors.dedup import Deduplicator, Merge, NewCase, Redelivery, Related
from schemas.case import case_id_for
from schemas.evidence import MatchSignal
from schemas.submission import Channel, Submission

MakeSubmission = Callable[..., Submission]

POTHOLE_WEB = (
    "Buongiorno, in via Garibaldi 14 c'è una buca profonda sul marciapiede: mia madre, di "
    "82 anni, è caduta martedì scorso. Chiedo un intervento urgente."
)
POTHOLE_FAX = (
    "SOLLECITO. La buca davanti al civico 14 di via Garibaldi è ancora lì ed è pericolosa, "
    "mia mamma ci è caduta. Nessuno è ancora intervenuto."
)
LAMP = (
    "Il lampione davanti al civico 14 di via Garibaldi è spento da tre settimane, la sera è buio."
)


# Tier 1 -----------------------------------------------------------------------------------


def test_a_webhook_retry_is_a_redelivery(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    first = submission("idem-7f3a", Channel.WEB, POTHOLE_WEB, email="maria.rossi@example.it")
    retry = submission(
        "idem-7f3a", Channel.WEB, POTHOLE_WEB, email="maria.rossi@example.it", days=0.001
    )
    opened = dedup.decide(first)
    assert opened == NewCase(case_id_for(first.submission_id), first.submission_id)
    assert dedup.decide(retry) == Redelivery(opened.case_id, first.submission_id)


def test_an_anonymous_scan_dropped_twice_is_a_redelivery(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    scan = submission("sha256:9c1e", Channel.SCAN, POTHOLE_WEB)
    assert isinstance(dedup.decide(scan), NewCase)
    assert dedup.decide(scan) == Redelivery(case_id_for(scan.submission_id), scan.submission_id)


def test_a_redelivered_merged_submission_names_the_case_it_joined(
    submission: MakeSubmission,
) -> None:
    dedup = Deduplicator()
    dedup.decide(submission("w1", Channel.WEB, POTHOLE_WEB, email="maria.rossi@example.it"))
    again = submission("m1", Channel.EMAIL, POTHOLE_FAX, email="Maria.Rossi@example.it", days=2)
    merged = dedup.decide(again)
    assert isinstance(merged, Merge)
    assert dedup.decide(again) == Redelivery(merged.case_id, again.submission_id)


# Tier 2 -----------------------------------------------------------------------------------


def test_email_then_fax_with_only_the_phone_is_merged(submission: MakeSubmission) -> None:
    """The web form had email and phone; the fax cover sheet only the number it came from."""
    dedup = Deduplicator()
    web = submission(
        "w-1",
        Channel.WEB,
        POTHOLE_WEB,
        name="Maria Grazia Rossi",
        email="mg.rossi@example.it",
        phone="051 234 5678",
        address="Via Garibaldi 14",
        point=(44.49490, 11.34260),
    )
    fax = submission(
        "fax-1", Channel.FAX, POTHOLE_FAX, days=6, details={"fax_number": "+39 051 2345678"}
    )
    opened = dedup.decide(web)
    merged = dedup.decide(fax)
    assert isinstance(merged, Merge)
    assert merged.case_id == opened.case_id
    assert merged.tracking_id == web.submission_id  # the citizen keeps one number
    signals = merged.evidence.signals
    assert MatchSignal.PHONE in signals
    assert MatchSignal.SIMILAR_TEXT in signals
    assert MatchSignal.OTHER_CHANNEL in signals
    assert merged.evidence.matched_submission_id == web.submission_id
    assert "~pothole" in merged.evidence.shared_terms
    assert "by web, now by fax" in merged.evidence.explanation


def test_identities_linked_by_one_submission_let_a_third_meet_the_first(
    submission: MakeSubmission,
) -> None:
    """Email only, then email with phone (a link), then a phone call: all one citizen."""
    dedup = Deduplicator()
    first = dedup.decide(
        submission("e-1", Channel.EMAIL, POTHOLE_WEB, email="luca.bianchi@example.it")
    )
    second = dedup.decide(
        submission(
            "w-2",
            Channel.WEB,
            "Una domanda sulla TARI del 2023: l'importo è raddoppiato.",
            days=1,
            email="luca.bianchi@example.it",
            phone="333 123 4567",
        )
    )
    third = dedup.decide(
        submission(
            "cc-3",
            Channel.CONTACT_CENTRE,
            "Il cittadino chiama per la buca in via Garibaldi 14 dove è caduta la madre, "
            "profonda e pericolosa.",
            days=3,
            details={"caller_id": "+393331234567"},
        )
    )
    assert isinstance(first, NewCase)
    assert isinstance(second, NewCase)  # same citizen, different complaint
    assert isinstance(third, Merge)
    assert third.case_id == first.case_id
    assert third.evidence.signals[0] is MatchSignal.LINKED_IDENTITY


def test_english_reworded_by_the_same_citizen_is_merged(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    dedup.decide(
        submission(
            "app-1",
            Channel.APP,
            "Rubbish has not been collected for a week outside Via Padova 120, rats near the bins.",
            email="john.smith+city@gmail.com",
        )
    )
    second = dedup.decide(
        submission(
            "mail-2",
            Channel.EMAIL,
            "Topi vicino ai cassonetti di via Padova 120: la spazzatura non viene raccolta "
            "da una settimana.",
            days=4,
            email="JohnSmith@gmail.com",
        )
    )
    assert isinstance(second, Merge)
    assert second.evidence.signals[:2] == (MatchSignal.EMAIL, MatchSignal.SIMILAR_TEXT)


def test_same_citizen_after_the_window_opens_a_new_case(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    dedup.decide(submission("w-1", Channel.WEB, POTHOLE_WEB, tax_code="RSSMRA80A01H501U"))
    late = submission("w-2", Channel.WEB, POTHOLE_FAX, days=31, tax_code="rssmra80a01h501u")
    assert dedup.decide(late) == NewCase(case_id_for(late.submission_id), late.submission_id)


def test_window_counts_from_the_citizens_last_word_on_the_case(
    submission: MakeSubmission,
) -> None:
    dedup = Deduplicator()
    opened = dedup.decide(submission("a", Channel.WEB, POTHOLE_WEB, phone="051 2345678"))
    assert isinstance(
        dedup.decide(submission("b", Channel.FAX, POTHOLE_FAX, days=25, phone="0512345678")), Merge
    )
    third = dedup.decide(submission("c", Channel.FAX, POTHOLE_FAX, days=50, phone="0512345678"))
    assert isinstance(third, Merge)
    assert third.case_id == opened.case_id


def test_same_citizen_different_complaint_is_a_new_case(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    dedup.decide(submission("w-1", Channel.WEB, POTHOLE_WEB, email="maria.rossi@example.it"))
    lamp = submission("w-2", Channel.WEB, LAMP, days=1, email="maria.rossi@example.it")
    assert isinstance(dedup.decide(lamp), NewCase)


def test_same_citizen_same_words_at_two_places_are_two_cases(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    dedup.decide(
        submission(
            "w-1",
            Channel.APP,
            "Buca profonda sul marciapiede, pericolosa.",
            email="maria.rossi@example.it",
            point=(45.46420, 9.19000),
        )
    )
    elsewhere = submission(
        "w-2",
        Channel.APP,
        "Buca profonda sul marciapiede, pericolosa.",
        days=1,
        email="maria.rossi@example.it",
        point=(45.47800, 9.22700),
    )
    assert isinstance(dedup.decide(elsewhere), NewCase)


def test_two_people_sharing_an_email_but_not_a_tax_code_are_not_merged(
    submission: MakeSubmission,
) -> None:
    """A family email: the father's and the daughter's complaints stay apart."""
    dedup = Deduplicator()
    dedup.decide(
        submission(
            "w-1",
            Channel.WEB,
            POTHOLE_WEB,
            email="famiglia.rossi@example.it",
            tax_code="RSSMRA80A01H501U",
        )
    )
    daughter_cf = "RSSGLI05" + "E41F205"
    from processors.dedup.identity import tax_code_check_char

    daughter = submission(
        "w-2",
        Channel.WEB,
        POTHOLE_FAX,
        days=1,
        email="famiglia.rossi@example.it",
        tax_code=daughter_cf + tax_code_check_char(daughter_cf),
    )
    assert isinstance(dedup.decide(daughter), NewCase)


# Tier 3 -----------------------------------------------------------------------------------


def test_different_citizens_same_pothole_are_related_not_merged(
    submission: MakeSubmission,
) -> None:
    dedup = Deduplicator()
    first = dedup.decide(
        submission(
            "w-1",
            Channel.WEB,
            POTHOLE_WEB,
            email="maria.rossi@example.it",
            address="Via Garibaldi 14",
            point=(44.494900, 11.342600),
        )
    )
    second = dedup.decide(
        submission(
            "app-2",
            Channel.APP,
            "There's a deep pothole on the sidewalk of Via Garibaldi near number 12, I "
            "tripped in it last night. Dangerous!",
            days=2,
            email="tom@example.org",
            point=(44.495150, 11.342900),
        )
    )
    third = dedup.decide(
        submission(
            "post-3",
            Channel.POSTAL,
            "Segnalo una voragine sul marciapiede di via Garibaldi all'altezza del 16.",
            days=3,
            address="via garibaldi, 16",
        )
    )
    assert isinstance(first, NewCase)
    assert isinstance(second, Related)
    assert second.case_ids == (first.case_id,)
    link = second.links[0]
    assert link.evidence.signals == (MatchSignal.SAME_PLACE, MatchSignal.SIMILAR_TEXT)
    assert link.evidence.distance_m is not None
    assert link.evidence.distance_m < 50
    assert "another citizen" in link.evidence.explanation
    assert isinstance(third, Related)  # met the first by street and house number
    assert first.case_id in third.case_ids


def test_another_problem_at_the_same_place_is_not_related(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    dedup.decide(
        submission(
            "w-1", Channel.WEB, POTHOLE_WEB, email="a@example.it", address="Via Garibaldi 14"
        )
    )
    lamp = submission(
        "w-2", Channel.WEB, LAMP, days=1, email="b@example.it", address="Via Garibaldi 14"
    )
    assert isinstance(dedup.decide(lamp), NewCase)


def test_the_same_problem_on_another_street_is_not_related(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    dedup.decide(
        submission(
            "w-1", Channel.WEB, POTHOLE_WEB, email="a@example.it", address="Via Garibaldi 14"
        )
    )
    other = submission(
        "w-2",
        Channel.WEB,
        POTHOLE_WEB.replace("Garibaldi", "Mazzini"),
        days=1,
        email="b@example.it",
        address="Via Mazzini 14",
    )
    assert isinstance(dedup.decide(other), NewCase)


def test_the_same_place_after_the_place_window_is_not_related(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    dedup.decide(
        submission("w-1", Channel.WEB, POTHOLE_WEB, email="a@example.it", point=(45.4642, 9.19))
    )
    later = submission(
        "w-2", Channel.WEB, POTHOLE_WEB, days=8, email="b@example.it", point=(45.4642, 9.19)
    )
    assert isinstance(dedup.decide(later), NewCase)


def test_reports_either_side_of_a_cell_edge_meet(submission: MakeSubmission) -> None:
    from processors.dedup.place import geohash_bounds, geohash_encode

    lat_lo, _, lon_lo, _ = geohash_bounds(geohash_encode(45.4642, 9.19))
    west = (lat_lo + 0.0003, lon_lo - 0.0002)  # about 15 m west of the edge
    east = (lat_lo + 0.0003, lon_lo + 0.0002)
    assert geohash_encode(*west) != geohash_encode(*east)
    dedup = Deduplicator()
    first = dedup.decide(
        submission("w-1", Channel.APP, POTHOLE_WEB, email="a@example.it", point=west)
    )
    second = dedup.decide(
        submission("w-2", Channel.APP, POTHOLE_FAX, days=1, email="b@example.it", point=east)
    )
    assert isinstance(second, Related)
    assert second.case_ids == (first.case_id,)


def test_same_street_far_along_or_same_cell_far_apart_is_not_related(
    submission: MakeSubmission,
) -> None:
    """Keys bring candidates together; the distance decides. Corso Buenos Aires is 1.6 km."""
    dedup = Deduplicator()
    text = "Buca profonda sul marciapiede, pericolosa."
    dedup.decide(
        submission("a", Channel.WEB, text, email="a@example.it", address="Corso Buenos Aires 2")
    )
    far_number = submission(
        "b", Channel.WEB, text, days=1, email="b@example.it", address="C.so Buenos Aires 90"
    )
    assert isinstance(dedup.decide(far_number), NewCase)
    from processors.dedup.place import geohash_bounds, geohash_encode

    lat_lo, lat_hi, lon_lo, lon_hi = geohash_bounds("u0nd9h")
    corner, opposite = (lat_lo + 0.0005, lon_lo + 0.001), (lat_hi - 0.0005, lon_hi - 0.001)
    assert geohash_encode(*corner) == geohash_encode(*opposite) == "u0nd9h"
    dedup.decide(submission("c", Channel.APP, text, email="c@example.it", point=corner))
    same_cell_far = submission("d", Channel.APP, text, days=1, email="d@example.it", point=opposite)
    assert isinstance(dedup.decide(same_cell_far), NewCase)
