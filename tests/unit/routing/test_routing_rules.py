"""The shipped rules and the rule file's checks."""

import pytest

from processors.bodies import load_bodies
from processors.routing import CaseFacts, RuleSet, parse_rules, route
from processors.taxonomy import load_taxonomy
from schemas.submission import Channel


def test_every_category_reaches_its_default_body_without_keywords(rules: RuleSet) -> None:
    taxonomy = load_taxonomy()
    assert len(taxonomy) == 39
    for category in taxonomy:
        routing = route(CaseFacts(category.code, "Segnalazione."), rules)
        assert routing.body_id == category.body, category.code
        assert routing.rule_id == f"default:{category.code}"
        assert category.body in routing.explanation


def test_every_body_is_reachable(rules: RuleSet) -> None:
    reached = {route(CaseFacts(c.code), rules).body_id for c in load_taxonomy()}
    assert reached == {b.id for b in load_bodies()}


@pytest.mark.parametrize(
    ("facts", "body", "rule_id"),
    [
        (
            CaseFacts("abbandono_rifiuti", "Lastre di eternit abbandonate in via Ripamonti."),
            "ambiente",
            "asbestos",
        ),
        (
            CaseFacts(
                "manutenzione_alloggi", "Il tetto del box è in AMIANTO e si sta sbriciolando"
            ),
            "ambiente",
            "asbestos",
        ),
        (
            CaseFacts("buche_stradali", "C'è una perdita d'acqua che ha aperto una buca in strada"),
            "acqua",
            "water-main-damage",
        ),
        (CaseFacts(None, "Il tram 9 salta le corse ogni mattina"), "trasporti", "trams-and-metro"),
        (
            CaseFacts("buche_stradali", "I binari del tram in viale Monza sono sconnessi"),
            "trasporti",
            "trams-and-metro",
        ),
        (
            CaseFacts(
                "appuntamenti_anagrafe", "The lift at the Loreto metropolitana station is broken"
            ),
            "trasporti",
            "trams-and-metro",
        ),
        (
            CaseFacts(
                "avvisi_pagamento", "Ricorso contro il verbale n. 123", channel=Channel.POSTAL
            ),
            "polizia_locale",
            "fine-appeals-by-paper",
        ),
        (
            CaseFacts("tombini", "Tombino rotto", district="Municipio I"),
            "acqua",
            "centre-drains-sewer-contract",
        ),
    ],
)
def test_shipped_rules(rules: RuleSet, facts: CaseFacts, body: str, rule_id: str) -> None:
    routing = route(facts, rules)
    assert (routing.body_id, routing.rule_id) == (body, rule_id)
    assert rule_id in routing.explanation


@pytest.mark.parametrize(
    ("facts", "body"),
    [
        # "un metro" is a metre, not the metro
        (CaseFacts("buche_stradali", "Buca larga un metro in via Padova"), "strade"),
        # a car parked on the tram tracks is the police's
        (CaseFacts("sosta_irregolare", "Auto in sosta sui binari del tram"), "polizia_locale"),
        # the same appeal sent from the web is a payment question
        (CaseFacts("avvisi_pagamento", "Ricorso contro il verbale", channel="web"), "tributi"),
        # the district rule is for drains in Municipio 1 only
        (CaseFacts("tombini", "Tombino rotto", district="Municipio 8"), "strade"),
        (CaseFacts("tombini", "Tombino rotto"), "strade"),
        # the water-main rule needs a road category
        (CaseFacts("acqua_potabile", "Perdita d'acqua dal contatore"), "acqua"),
        (CaseFacts("rumore", "Musica alta dal bar fino alle tre"), "polizia_locale"),
    ],
)
def test_rules_do_not_fire_where_they_should_not(
    rules: RuleSet, facts: CaseFacts, body: str
) -> None:
    assert route(facts, rules).body_id == body


def test_no_category_and_unknown_category_go_to_triage(rules: RuleSet) -> None:
    none = route(CaseFacts(None, "Vorrei parlare con qualcuno"), rules)
    unknown = route(CaseFacts("teletrasporto", "?"), rules)
    assert none.is_triage
    assert none.triage_reason == "no_category"
    assert none.rule_id == "triage:no_category"
    assert unknown.is_triage
    assert unknown.triage_reason == "unknown_category"


_BODIES = load_bodies()
_TAXONOMY = load_taxonomy()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[rule]]\nid="x"\nbody="nobody"\nwhy="w"\nkeywords=["a"]', "unknown body 'nobody'"),
        ('[[rule]]\nid="x"\nbody="strade"\nwhy="w"\ncategories=["nope"]', "unknown category"),
        (
            '[[rule]]\nid="x"\nbody="strade"\nwhy="w"\nnot_categories=["nope"]\nkeywords=["a"]',
            "unknown category",
        ),
        ('[[rule]]\nid="x"\nbody="strade"\nwhy="w"', "no condition"),
        ('[[rule]]\nid="x"\nbody="strade"\nwhy="w"\nnot_keywords=["a"]', "no condition"),
        (
            '[[rule]]\nid="x"\nbody="strade"\nwhy="w"\nkeywords=["a"]\n'
            '[[rule]]\nid="x"\nbody="verde"\nwhy="w"\nkeywords=["b"]',
            "more than once",
        ),
        ('[[rule]]\nid="x"\nbody="strade"\nwhy="w"\nkeywords=["!!"]', "has no words"),
    ],
)
def test_bad_rule_files_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_rules(text, _BODIES, _TAXONOMY)


def test_bad_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="channels"):
        parse_rules(
            '[[rule]]\nid="x"\nbody="strade"\nwhy="w"\nchannels=["pigeon"]', _BODIES, _TAXONOMY
        )


def test_keyword_phrases_prefixes_and_exclusions() -> None:
    rules = parse_rules(
        '[[rule]]\nid="lifts"\nbody="casa"\nwhy="w"\nkeywords=["ascensor*", "scala mobile"]\n'
        'not_keywords=["metropolitana"]',
        _BODIES,
        _TAXONOMY,
    )
    assert route(CaseFacts(None, "Gli ascensori sono fermi"), rules).rule_id == "lifts"
    assert route(CaseFacts(None, "La SCALA  MOBILE è ferma"), rules).rule_id == "lifts"
    assert route(CaseFacts(None, "La scala è mobile"), rules).is_triage
    assert route(CaseFacts(None, "Ascensore della metropolitana"), rules).is_triage
    assert route(CaseFacts(None, "", subject="Ascensore rotto"), rules).rule_id == "lifts"
