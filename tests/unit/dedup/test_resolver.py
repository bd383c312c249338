"""Stage A: identity linking, and where redeliveries are sent."""

from datetime import timedelta

from processors.dedup.decisions import DedupConfig
from processors.dedup.identity import Identity, IdentityKind, tax_code_check_char
from processors.dedup.resolver import CitizenResolver, anonymous_key

DAY = 86_400.0
EMAIL = Identity(IdentityKind.EMAIL, "maria.rossi@example.it")
PHONE = Identity(IdentityKind.PHONE, "+390512345678")
FAX = Identity(IdentityKind.PHONE, "+390519876543")
CF = Identity(IdentityKind.TAX_CODE, "RSSMRA80A01H501U")
_OTHER = "RSSGLI05E41F205"
OTHER_CF = Identity(IdentityKind.TAX_CODE, _OTHER + tax_code_check_char(_OTHER))


def test_no_identifiers_gives_a_key_of_its_own() -> None:
    resolver = CitizenResolver({})
    assert resolver.resolve("SP-AAAA-AAAA-AAAA", (), 0.0).citizen_key == anonymous_key(
        "SP-AAAA-AAAA-AAAA"
    )


def test_a_shared_identifier_links_and_a_later_one_finds_the_group() -> None:
    table: dict[str, object] = {}
    resolver = CitizenResolver(table)
    first = resolver.resolve("SP-1", (EMAIL,), 0.0)
    second = resolver.resolve("SP-2", (EMAIL, PHONE), DAY)
    third = resolver.resolve("SP-3", (PHONE,), 2 * DAY)
    assert first.citizen_key == second.citizen_key == third.citizen_key
    assert second.known == (IdentityKind.EMAIL,)
    assert third.known == (IdentityKind.PHONE,)


def test_two_groups_joined_by_a_submission_go_to_the_older() -> None:
    resolver = CitizenResolver({})
    by_phone = resolver.resolve("SP-1", (PHONE,), 0.0).citizen_key
    by_email = resolver.resolve("SP-2", (EMAIL,), DAY).citizen_key
    assert by_phone != by_email
    joined = resolver.resolve("SP-3", (EMAIL, PHONE), 2 * DAY)
    assert joined.citizen_key == by_phone
    assert joined.joined_keys == (by_email,)
    assert resolver.resolve("SP-4", (EMAIL,), 3 * DAY).citizen_key == by_phone


def test_a_redelivery_goes_where_the_first_delivery_went_even_after_a_join() -> None:
    resolver = CitizenResolver({})
    resolver.resolve("SP-1", (PHONE,), 0.0)
    by_email = resolver.resolve("SP-2", (EMAIL,), DAY).citizen_key
    resolver.resolve("SP-3", (EMAIL, PHONE), 2 * DAY)  # joins SP-2's key into SP-1's
    again = resolver.resolve("SP-2", (EMAIL,), 3 * DAY)
    assert again.seen_before
    assert again.citizen_key == by_email


def test_different_tax_codes_never_join() -> None:
    resolver = CitizenResolver({})
    father = resolver.resolve("SP-1", (CF, EMAIL), 0.0).citizen_key
    daughter = resolver.resolve("SP-2", (OTHER_CF, EMAIL), DAY).citizen_key
    assert father != daughter
    # the shared email still names the first person it was seen with
    assert resolver.resolve("SP-3", (EMAIL,), 2 * DAY).citizen_key == father
    assert resolver.resolve("SP-4", (OTHER_CF,), 3 * DAY).citizen_key == daughter


def test_a_phone_shared_with_a_tax_code_group_does_not_pull_in_a_second_one() -> None:
    resolver = CitizenResolver({})
    a = resolver.resolve("SP-1", (CF, FAX), 0.0).citizen_key
    b = resolver.resolve("SP-2", (OTHER_CF, PHONE), DAY / 2).citizen_key
    joined = resolver.resolve("SP-3", (FAX, PHONE), DAY)  # an office fax used by both
    assert joined.citizen_key == a
    assert b not in joined.joined_keys


def test_links_expire_and_the_same_person_gets_the_same_key_again() -> None:
    config = DedupConfig(identity_horizon=timedelta(days=10))
    resolver = CitizenResolver({}, config)
    first = resolver.resolve("SP-1", (EMAIL, PHONE), 0.0).citizen_key
    after = resolver.resolve("SP-2", (EMAIL,), 20 * DAY)
    assert after.known == ()  # the old link was not used
    assert after.citizen_key == first  # named after the same strongest identifier


def test_sweep_removes_only_stale_rows() -> None:
    config = DedupConfig(identity_horizon=timedelta(days=10), redelivery_horizon=timedelta(days=10))
    table: dict[str, object] = {}
    resolver = CitizenResolver(table, config)
    resolver.resolve("SP-1", (EMAIL,), 0.0)
    resolver.resolve("SP-2", (PHONE,), 15 * DAY)
    removed = resolver.sweep(now=16 * DAY)
    assert removed == 3  # SP-1's submission, identifier and group rows
    assert resolver.resolve("SP-3", (PHONE,), 16 * DAY).known == (IdentityKind.PHONE,)
    assert resolver.sweep(now=100 * DAY) == 4  # SP-2 and SP-3, the phone and its group
    assert table == {}
