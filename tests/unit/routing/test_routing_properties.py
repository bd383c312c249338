"""Routing is total and deterministic, and refusals are respected, for arbitrary facts."""

from hypothesis import given
from hypothesis import strategies as st

from processors.bodies import load_bodies
from processors.routing import CaseFacts, Refusal, load_rules, route
from processors.taxonomy import load_taxonomy
from schemas.submission import Channel

RULES = load_rules()
BODY_IDS = sorted(b.id for b in load_bodies())
CODES = [c.code for c in load_taxonomy()]
DEFAULTS = {c.code: c.body for c in load_taxonomy()}
WORDS = [
    "tram", "metro", "metropolitana", "amianto", "eternit", "buca", "perdita", "d'acqua",
    "verbale", "multa", "binari", "un", "la", "via", "Roma", "12", "linea", "m2", "subway",
]  # fmt: skip

facts_strategy = st.builds(
    CaseFacts,
    category=st.one_of(st.none(), st.sampled_from(CODES), st.text(max_size=20)),
    text=st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(WORDS), max_size=20).map(" ".join),
    ),
    subject=st.one_of(st.none(), st.text(max_size=40)),
    district=st.one_of(
        st.none(),
        st.sampled_from(["Municipio 1", "municipio I", "Municipio 9"]),
        st.text(max_size=20),
    ),
    channel=st.one_of(st.none(), st.sampled_from(list(Channel)), st.text(max_size=10)),
)
refusals_strategy = st.lists(
    st.builds(Refusal, body_id=st.sampled_from(BODY_IDS), reason=st.text(max_size=40)), max_size=5
)


@given(facts_strategy, refusals_strategy)
def test_routing_is_total_and_deterministic(facts: CaseFacts, refusals: list[Refusal]) -> None:
    first = route(facts, RULES, refusals)
    assert first == route(facts, RULES, list(refusals))
    refused = {r.body_id for r in refusals}
    if first.body_id is None:
        assert first.rule_id.startswith("triage:")
        assert first.triage_reason in {"no_category", "unknown_category", "all_refused"}
    else:
        assert first.body_id in BODY_IDS
        assert first.body_id not in refused
    assert first.explanation
    for body in refused:
        assert f"{body} refused it" in first.explanation


@given(st.sampled_from(CODES), st.text(max_size=100))
def test_a_known_category_never_goes_to_triage_without_refusals(code: str, text: str) -> None:
    routing = route(CaseFacts(code, text), RULES)
    assert routing.body_id is not None


@given(st.sampled_from(CODES))
def test_refusing_the_default_body_triages_or_reroutes(code: str) -> None:
    default = DEFAULTS[code]
    routing = route(CaseFacts(code, "testo"), RULES, [Refusal(default, "not ours")])
    assert routing.body_id != default
    if routing.body_id is None:
        assert routing.triage_reason == "all_refused"
    assert "'not ours'" in routing.explanation


def test_a_refused_rule_falls_through_to_the_next_and_says_so() -> None:
    facts = CaseFacts("buche_stradali", "Perdita d'acqua: tubo rotto sotto la buca")
    assert route(facts, RULES).body_id == "acqua"
    rerouted = route(facts, RULES, [Refusal("acqua", "no pipe of ours there")])
    assert rerouted.body_id == "strade"
    assert rerouted.rule_id == "default:buche_stradali"
    assert "acqua refused it: 'no pipe of ours there'" in rerouted.explanation
    assert "water-main-damage" in rerouted.explanation
    both = route(facts, RULES, [Refusal("acqua", "no"), Refusal("strade", "private road")])
    assert both.is_triage
    assert both.refused_by == ("acqua", "strade")
