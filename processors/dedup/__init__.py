"""Dedup: one case per problem per citizen, related cases across citizens.

Every submission on `complaints.intake` gets exactly one of four decisions, each explained
in the case's history (`sportello.case.deduplicated`):

1. `Redelivery(existing_case_id)` — the same submission again (a webhook retry, an SMTP
   re-send, a fax sent twice, a scan dropped twice). Its channel reference gives it the
   same `submission_id` (`tracking_id_for` is deterministic), so it is recognised exactly
   and dropped.
2. `Merge(case_id, evidence)` — the same citizen (by normalized tax code, email or phone)
   sending the same complaint again, by the same or another channel, reworded, within
   `citizen_window` (30 days after their last word on the case). It joins the existing
   case; the citizen keeps that case's tracking number; the evidence says which signals
   matched and how similar the texts were; an operator can undo it (`undo_merge`).
3. `Related(case_id, links)` — a new case, linked to other citizens' cases about the same
   problem: same place (within 150 m, or the same street within 10 house numbers),
   similar text, within `place_window` (7 days). Related cases are not merged: each
   citizen is answered on their own case.
4. `NewCase(case_id)` — none of the above. The case is named after the submission.

How candidates meet: three stages, each keyed so that what must be compared is in one
partition.

    complaints.intake ──(key: constant)──► A: CitizenResolver   which citizen
                      ──(key: citizen)───► B: CitizenCases      tiers 1 and 2
                      ──(key: each place)► C: PlaceCases        tier 3 (new cases only)

A. *Which citizen.* A citizen has up to three identifiers and a channel may carry any
   subset: the web form gives email and phone, a fax only its sending number, a letter
   perhaps only a tax code. Keying tier 2 by one of them would miss the email-then-fax
   case. So stage A keeps an identity-linking table: each identifier maps to a citizen
   key; a submission carrying identifiers of two citizen keys joins them into the older.
   Two different tax codes never join, so a family's shared landline or an office fax does
   not make its users one person. Stage A must see every submission with identifiers, so
   it runs on one partition. It does dictionary work only: about 9,000 resolutions a
   second on one core of a busy machine (`bench/bench_dedup.py`), where Milan's front
   office took 12,000 complaints in two years.
   Stage A also remembers which key each submission id went to, so that a redelivery
   reaches the same stage-B state even if identities were linked in between.
   Known limits: identities link only when one submission carries both. An email with
   just its address, then a fax with just its number, stay two cases (stage C may still
   relate them by place); the email meets the fax once any submission (a web form, a
   signature parsed by the mail ingestor) shows the address and the number together.
   When two citizen keys join, cases already stored under the younger key stay there;
   only later submissions meet the older key's cases. A submission with no identifier at all
   (an anonymous web report, a letter without sender) gets a key of its own, so it can
   only be a redelivery of itself or relate to others in stage C.
B. *Tiers 1 and 2*, keyed by citizen key. `CitizenCases` holds that citizen's recent cases
   (each with the fingerprints of up to six of its submissions) and every submission id
   seen within `redelivery_horizon` (90 days) with the case it went into. A submission
   seen before is a `Redelivery` of that case. Otherwise it merges into the case with the
   most similar text at or above `merge_threshold`, unless the two places are known to be
   far apart (the same citizen's two potholes are two cases); otherwise it is a new case.
C. *Tier 3*, for new cases only, keyed by place: `geo:<geohash-6>` of the coordinates and
   `addr:<normalized street>` of the address. A case is recorded under its own keys and
   probed under those plus the neighbouring geohash cells its radius reaches (reports
   either side of a cell edge still meet). Answers from several keys are united.

Everything is decided from the submissions' own times, never the clock, so a replay decides
the same way; state is plain JSON bounded in size and trimmed as it is used. `Deduplicator`
runs the three stages in one process over dicts, and shows the calls each agent makes.

Text similarity (`text`): stopword-free, lightly stemmed Italian and English terms mapped to
bilingual concepts ("buca", "voragine", "pothole" → `~pothole`), weighted so the thing
complained about counts more than how long or how bad, compared with the Ochiai coefficient,
plus a bottom-k MinHash of character 4-grams for OCR noise. No model, no corpus statistics,
tens of microseconds per comparison, and a cheap upper bound that skips most comparisons.

Cost, measured by `bench/bench_dedup.py` (5,000 submissions, one process, JSON tables):
a stage-B decision (tiers 1 and 2) about 0.5 ms, a stage-C decision about 1 ms, the three
stages in one process about 2 ms, on a 2-core machine shared with other test suites (the
baseline, decoding the event, took 0.14 ms there, four times its quiet figure). Each stage
is its own agent, partitioned, so they add up in latency, not in throughput.
"""

from processors.dedup.citizen import CitizenCases
from processors.dedup.decisions import (
    Decision,
    DedupConfig,
    Merge,
    NewCase,
    Redelivery,
    Related,
)
from processors.dedup.deduplicator import Deduplicator
from processors.dedup.history import event_id_for, merge_record, records_for
from processors.dedup.identity import (
    Identity,
    IdentityKind,
    identities_of,
    normalize_email,
    normalize_phone,
    normalize_tax_code,
)
from processors.dedup.nearby import PlaceCases
from processors.dedup.place import (
    Address,
    PlaceInfo,
    geohash_encode,
    normalize_address,
    normalize_district,
    place_of,
)
from processors.dedup.probe import Probe, probe_of
from processors.dedup.resolver import CitizenResolver, Resolution
from processors.dedup.text import Fingerprint, fingerprint, similarity
from processors.dedup.undo import MergeSplit, UndoRefused, undo_merge

__all__ = [
    "Address",
    "CitizenCases",
    "CitizenResolver",
    "Decision",
    "DedupConfig",
    "Deduplicator",
    "Fingerprint",
    "Identity",
    "IdentityKind",
    "Merge",
    "MergeSplit",
    "NewCase",
    "PlaceCases",
    "PlaceInfo",
    "Probe",
    "Redelivery",
    "Related",
    "Resolution",
    "UndoRefused",
    "event_id_for",
    "fingerprint",
    "geohash_encode",
    "identities_of",
    "merge_record",
    "normalize_address",
    "normalize_district",
    "normalize_email",
    "normalize_phone",
    "normalize_tax_code",
    "place_of",
    "probe_of",
    "records_for",
    "similarity",
    "undo_merge",
]
