"""Per-decision cost of dedup (and of routing), against decoding the event as a baseline.

    .venv/bin/python bench/bench_dedup.py [--submissions 5000] [--hotspots]

Builds a deterministic stream of realistic submissions (citizens writing again by other
channels, neighbours reporting the same pothole, redeliveries), then times, per submission:

- baseline: `decode_event` of the raw `SubmissionReceived` JSON, which every agent pays anyway;
- each stage alone (probe, resolver, citizen store, place stores);
- the whole `Deduplicator.decide`, with every table value passed through JSON as a Faust
  table would (so serialization is in the figure);
- `route` for the classified case.

Prints microseconds per submission (median of 5 runs), submissions per second, and the
ratio to the baseline. Nothing is asserted: figures are for people.
"""

import argparse
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.report import Row, emit
from processors.dedup import Deduplicator
from processors.dedup.citizen import CitizenCases
from processors.dedup.nearby import PlaceCases
from processors.dedup.probe import probe_of
from processors.dedup.resolver import CitizenResolver
from processors.routing import CaseFacts, load_rules, route
from schemas.events import SubmissionReceived, decode_event
from schemas.submission import (
    Channel,
    Citizen,
    Coordinates,
    Location,
    Submission,
    tracking_id_for,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
_STREET_TYPES = ["Via", "Viale", "Corso", "Piazza", "Via", "Via"]
_NAMES = [
    "Padova", "Buenos Aires", "Monza", "Garibaldi", "Torino", "Lodi", "Novara", "Certosa",
    "Ripamonti", "Leonardo da Vinci", "Mazzini", "Verdi", "Manzoni", "Dante", "Cavour",
    "Marconi", "Volta", "Galilei", "Foscolo", "Carducci", "Pascoli", "Leopardi", "Tasso",
    "Ariosto", "Petrarca", "Boccaccio", "Vespucci", "Colombo", "Matteotti", "Gramsci",
]  # fmt: skip
# 300 streets over Milan's 180 km2, each with a start point and a direction
_SECOND = ["", "Alta", "Bassa", "Nuova", "Vecchia", "Grande", "Piccola", "Antica", "Sopra", "Sotto"]
STREETS = [
    f"{_STREET_TYPES[i % 6]} {_NAMES[i % 30]} {_SECOND[i // 30]}".strip() for i in range(300)
]
PROBLEMS = [
    ("buche_stradali", "C'è una buca profonda sul marciapiede davanti al civico {n} di {s}, "
     "mia madre è caduta.", "Sollecito: la buca di {s} {n} è ancora lì ed è pericolosa."),
    ("lampioni", "Il lampione di {s} {n} è spento da tre settimane, la sera è buio.",
     "Street light out at {s} {n} for weeks, it is completely dark at night."),
    ("raccolta_rifiuti", "Da una settimana non ritirano la spazzatura in {s} {n}, ci sono topi.",
     "Rubbish not collected for a week at {s} {n}, rats near the bins."),
    ("rumore", "Musica ad alto volume ogni notte dal bar di {s} {n} fino alle tre.",
     "Ancora musica fortissima di notte dal locale in {s} {n}, impossibile dormire."),
    ("autobus_tram", "Il tram alla fermata di {s} salta le corse ogni mattina.",
     "The tram at the {s} stop skipped again this morning, always late."),
    ("alberi", "Un ramo dell'albero in {s} {n} è pericolante e sta per cadere.",
     "Albero pericoloso davanti al {n} di {s}: rami spezzati sul marciapiede."),
]  # fmt: skip


def _stream(count: int, hotspots: bool, seed: int = 7) -> list[Submission]:
    rng = random.Random(seed)
    citizens: list[dict[str, str | None]] = [
        {
            "email": f"citizen{i}@example.it" if rng.random() < 0.7 else None,
            "phone": f"02 {rng.randrange(10**7, 10**8)}" if rng.random() < 0.6 else None,
        }
        for i in range(count // 4)
    ]
    out: list[Submission] = []
    told: list[tuple[dict[str, str | None], str, int, int, Channel]] = []
    for i in range(count):
        if told and rng.random() < 0.12:  # the same citizen writes again, another way
            who, street, number, problem, before = told[
                rng.randrange(max(0, len(told) - 300), len(told))
            ]
            category, first, second = PROBLEMS[problem]
            text = second.format(s=street, n=number)
            channel = rng.choice([c for c in Channel if c is not before])
        else:
            who = citizens[rng.randrange(len(citizens))]
            if hotspots:  # half the reports on 60 streets' first 60 numbers
                street = rng.choice(STREETS[:60]) if rng.random() < 0.5 else rng.choice(STREETS)
                number = rng.randrange(1, 60)
            else:
                street, number = rng.choice(STREETS), rng.randrange(1, 150)
            problem = rng.randrange(len(PROBLEMS))
            category, first, second = PROBLEMS[problem]
            text = first.format(s=street, n=number)
            channel = rng.choice(list(Channel))
            if who["email"] or who["phone"]:
                told.append((who, street, number, problem, channel))
        at = T0 + timedelta(minutes=i * 6)  # 240 a day: Milan's front office had 16
        k = STREETS.index(street)
        heading = math.radians(k * 37)  # each street runs its own way, ~5 m a number
        lat = 45.40 + (k * 7919 % 1000) / 1000 * 0.12 + number * 0.000045 * math.cos(heading)
        lon = 9.08 + (k * 104729 % 1000) / 1000 * 0.20 + number * 0.000064 * math.sin(heading)
        ref = f"ref-{i}"
        details: dict[str, str | int | float | bool] = {}
        citizen = None
        if channel is Channel.FAX and who["phone"]:
            details["fax_number"] = who["phone"]
        elif who["email"] or who["phone"]:
            citizen = Citizen(email=who["email"], phone=who["phone"])
        out.append(
            Submission(
                submission_id=tracking_id_for(channel, ref),
                channel=channel,
                idempotency_ref=ref,
                received_at=at,
                legal_receipt_at=at,
                text=text,
                citizen=citizen,
                location=Location(
                    address=f"{street} {number}",
                    coordinates=Coordinates(lat=lat, lon=lon) if rng.random() < 0.5 else None,
                ),
                category_hint=category,
                channel_details=details,
            )
        )
        if rng.random() < 0.05:  # a webhook retry or an SMTP re-send
            out.append(out[-1].model_copy(update={"received_at": at + timedelta(seconds=30)}))
    return out


class JsonTable(MutableMapping[str, Any]):
    """Values kept as JSON text, as a Faust table with a JSON value codec keeps them."""

    def __init__(self) -> None:
        self._rows: dict[str, str] = {}

    def __getitem__(self, key: str) -> Any:
        return json.loads(self._rows[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self._rows[key] = json.dumps(value)

    def __delitem__(self, key: str) -> None:
        del self._rows[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._rows))

    def __len__(self) -> int:
        return len(self._rows)

    def bytes(self) -> int:
        return sum(len(k) + len(v) for k, v in self._rows.items())


def _time(label: str, items: int, run: Callable[[], object], runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) / items * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=5_000)
    parser.add_argument(
        "--hotspots", action="store_true", help="crowd half the reports on 60 streets"
    )
    args = parser.parse_args()
    stream = _stream(args.submissions, args.hotspots)
    n = len(stream)
    raw = [
        SubmissionReceived.new(
            s, source="/bench", subject=s.submission_id, time=s.received_at
        ).to_json()
        for s in stream
    ]
    probes = [probe_of(s) for s in stream]
    rules = load_rules()

    figures: dict[str, float] = {}
    figures["baseline: decode_event"] = _time("decode", n, lambda: [decode_event(r) for r in raw])
    figures["probe (fingerprint, identities, place)"] = _time(
        "probe", n, lambda: [probe_of(s) for s in stream]
    )

    def resolver_only() -> None:
        resolver = CitizenResolver(JsonTable())
        for p in probes:
            resolver.resolve(p.submission_id, p.identities, p.at)

    figures["stage A: resolve citizen"] = _time("A", n, resolver_only)

    def citizen_only() -> None:
        table = JsonTable()
        resolver = CitizenResolver({})
        for p in probes:
            key = resolver.resolve(p.submission_id, p.identities, p.at).citizen_key
            store = CitizenCases.from_state(table.get(key))
            store.decide(p)
            table[key] = store.to_state()

    figures["stage A+B: + tiers 1 and 2"] = _time("B", n, citizen_only)

    def place_only() -> None:
        table = JsonTable()
        for p in probes:
            record = set(p.place.record_keys())
            for key in p.place.probe_keys(150.0):
                store = PlaceCases.from_state(table.get(key))
                store.relate("CASE-" + p.submission_id[3:], "k", p, record=key in record)
                table[key] = store.to_state()

    figures["stage C alone: tier 3"] = _time("C", n, place_only)

    outcome: dict[str, int] = {}
    sizes: dict[str, int] = {}

    def whole() -> None:
        tables = (JsonTable(), JsonTable(), JsonTable())
        dedup = Deduplicator(identities=tables[0], citizens=tables[1], places=tables[2])
        outcome.clear()
        for s in stream:
            kind = type(dedup.decide(s)).__name__
            outcome[kind] = outcome.get(kind, 0) + 1
        sizes.update(
            identities=tables[0].bytes(), citizens=tables[1].bytes(), places=tables[2].bytes()
        )

    figures["whole decide from Submission (A+B+C)"] = _time("all", n, whole)
    facts = [CaseFacts(s.category_hint, s.text, district=None, channel=s.channel) for s in stream]
    figures["route (rules + default)"] = _time("route", n, lambda: [route(f, rules) for f in facts])

    baseline = figures["baseline: decode_event"]
    spread = "hotspots" if args.hotspots else "300 streets"
    print(f"{n} submissions ({args.submissions} + redeliveries, {spread}, 6 minutes apart)")
    print("median of 5 runs, one process")
    print(f"{'':40} {'us/sub':>8} {'subs/s':>9} {'x base':>7}")
    for label, us in figures.items():
        print(f"{label:40} {us:8.1f} {1e6 / us:9.0f} {us / baseline:7.2f}")
    print("decisions:", ", ".join(f"{k} {v}" for k, v in sorted(outcome.items())))
    print(
        "table sizes after the run (JSON bytes):", ", ".join(f"{k} {v:,}" for k, v in sizes.items())
    )
    whole_us = figures["whole decide from Submission (A+B+C)"]
    emit([
        Row("dedup", "whole decision (stages A+B+C)", f"{whole_us:,.1f} µs/submission "
            f"({1e6 / whole_us:,.0f}/s)", f"decode_event {baseline:,.1f} µs",
            baseline / whole_us, ratio_text=f"{whole_us / baseline:.1f}x the time"),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
