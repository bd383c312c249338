"""The SLA policy file: strict parsing, the shipped file, precedence of overrides."""

import pytest
from pydantic import ValidationError

from processors.bodies import load_bodies
from processors.sla import MILAN, DayKind, load_policies, parse_policies
from processors.taxonomy import load_taxonomy

MINIMAL = """
[default]
resolution = { days = 30, warn_at_percent = [50, 80] }
"""


def test_the_shipped_file_names_only_real_bodies_and_categories() -> None:
    policies = load_policies(
        body_ids=frozenset(b.id for b in load_bodies()),
        category_codes=frozenset(c.code for c in load_taxonomy()),
    )
    default = policies.for_case(None, None)
    assert (default.resolution.days, default.resolution.days_kind) == (30, DayKind.CALENDAR)
    assert default.resolution.warn_at_percent == (50, 80)
    assert default.acknowledgement is not None
    assert (default.acknowledgement.days, default.acknowledgement.days_kind) == (2, DayKind.WORKING)
    assert policies.calendar == MILAN


def test_category_over_body_over_default_field_by_field() -> None:
    policies = load_policies()
    both = policies.for_case("lampioni", "rifiuti")
    assert (both.resolution.days, both.resolution.days_kind) == (10, DayKind.WORKING)  # category
    assert both.resolution.warn_at_percent == (50, 80)  # inherited from the default
    assert both.acknowledgement is not None
    assert both.acknowledgement.days == 1  # the body's
    body_only = policies.for_case("raccolta_rifiuti", "rifiuti")
    assert (body_only.resolution.days, body_only.resolution.days_kind) == (7, DayKind.CALENDAR)
    assert policies.for_case("unknown", "nobody") == policies.default


def test_an_override_may_add_a_deadline_the_default_lacks_if_it_is_whole() -> None:
    text = MINIMAL + '[body.x1]\nacknowledgement = { days = 1, days_kind = "working" }\n'
    policy = parse_policies(text).for_case(None, "x1")
    assert policy.acknowledgement is not None
    assert policy.acknowledgement.days_kind is DayKind.WORKING
    with pytest.raises(ValidationError):
        parse_policies(MINIMAL + '[body.x1]\nacknowledgement = { days_kind = "working" }\n')


@pytest.mark.parametrize(
    "bad",
    [
        MINIMAL + "[default.extra]\n",
        MINIMAL.replace("[50, 80]", "[80, 50]"),
        MINIMAL.replace("[50, 80]", "[50, 50]"),
        MINIMAL.replace("days = 30", "days = 0"),
        MINIMAL + "[category.x1]\nresolution = { dayz = 3 }\n",
        MINIMAL + '[calendar]\ntimezone = "Europe/Milano"\n',
        MINIMAL + '[calendar]\ncity_holidays = ["02-30"]\n',
        '[default]\nresolution = { days = 30, days_kind = "lunar" }\n',
        "[category.x1]\n",
    ],
)
def test_strict_parsing(bad: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - pydantic's ValidationError is a ValueError
        parse_policies(bad)


def test_overrides_must_name_known_ids_when_asked() -> None:
    text = MINIMAL + "[category.nope]\nresolution = { days = 3 }\n"
    parse_policies(text)
    with pytest.raises(ValueError, match="unknown categories: nope"):
        parse_policies(text, category_codes=frozenset({"buche_stradali"}))
