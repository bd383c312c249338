"""Stage A: which citizen a submission is from, as one key, linking identifiers over time.

A citizen who writes from the web form with email and phone, then faxes with only the phone,
carries two different sets of identifiers. Keying tier 2 by any single identifier would
let those two submissions miss each other. So this stage keeps an identity-linking table:
every identifier seen maps to a *citizen key*; a submission whose identifiers map to two
citizen keys joins them (the younger group is redirected into the older one).

Guard against linking different people: two different tax codes never join (a family
sharing an email or a landline, an office fax used by many). Identifiers seen with a tax
code that conflicts stay with the group they were first seen in.

The table is one mapping (a Faust table) with three kinds of rows, all JSON:

- `s:<submission id>` → `{"c": citizen key, "t": epoch s}`: where a submission went, so a
  redelivery goes to the same place even if its identifiers were linked since;
- `i:<identifier digest>` → `{"c": citizen key, "t": epoch s}`;
- `g:<citizen key>` → `{"f": first seen, "t": last seen, "cf": [tax code digests],
  "into": citizen key or null}`.

It must see every submission that has identifiers, so the agent runs on a topic with one
partition (or re-keys everything to one constant key). At city scale that is not a limit:
see `bench/bench_dedup.py` for resolutions per second on one core (thousands).
"""

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from processors.dedup.decisions import DedupConfig
from processors.dedup.identity import Identity, IdentityKind

Table = MutableMapping[str, Any]


@dataclass(frozen=True)
class Resolution:
    """The citizen key to re-key the submission by, and how it was found."""

    citizen_key: str
    seen_before: bool = False
    known: tuple[IdentityKind, ...] = ()
    """Kinds of this submission's identifiers already linked to the citizen."""
    joined_keys: tuple[str, ...] = ()
    """Citizen keys that this submission showed to be the same person, now redirected."""


def anonymous_key(submission_id: str) -> str:
    """The key of a submission without identifiers: it can only meet itself (tier 1)."""
    return "anon:" + submission_id


class CitizenResolver:
    """Resolve submissions to citizen keys over a mutable mapping (a dict or a Faust table).

    `resolve` is deterministic given the table and its arguments; time is the submission's.
    """

    def __init__(self, table: Table, config: DedupConfig | None = None) -> None:
        self._table = table
        self._config = config or DedupConfig()

    def resolve(
        self, submission_id: str, identities: tuple[Identity, ...], at: float
    ) -> Resolution:
        if not identities:
            return Resolution(anonymous_key(submission_id))
        redelivery_horizon = self._config.redelivery_horizon.total_seconds()
        seen = self._alive(f"s:{submission_id}", at, redelivery_horizon)
        if seen is not None:
            return Resolution(seen["c"], seen_before=True)
        horizon = self._config.identity_horizon.total_seconds()
        current: dict[Identity, str] = {}
        for identity in identities:
            row = self._alive(f"i:{identity.digest}", at, horizon)
            if row is not None:
                current[identity] = self._follow(row["c"])
        own_cf = {i.digest for i in identities if i.kind is IdentityKind.TAX_CODE}
        compatible, cf = self._compatible(sorted(set(current.values()), key=self._age), own_cf)
        target = compatible[0] if compatible else self._fresh_key(identities, submission_id, at)
        for other in compatible[1:]:
            self._table[f"g:{other}"] = {**self._group(other, at), "into": target, "t": at}
        group = self._group(target, at)
        self._table[f"g:{target}"] = {**group, "cf": sorted(cf | set(group["cf"])), "t": at}
        for identity in identities:
            if identity in current and current[identity] not in compatible:
                continue  # it belongs to a person with another tax code
            self._table[f"i:{identity.digest}"] = {"c": target, "t": at}
        self._table[f"s:{submission_id}"] = {"c": target, "t": at}
        known = sorted({i.kind for i, k in current.items() if k in compatible}, key=_rank)
        return Resolution(target, known=tuple(known), joined_keys=tuple(compatible[1:]))

    def sweep(self, now: float) -> int:
        """Delete rows unused for longer than their horizon; returns how many. Run it from a
        timer: resolution itself only ignores expired rows."""
        horizons = {
            "s": self._config.redelivery_horizon.total_seconds(),
            "i": self._config.identity_horizon.total_seconds(),
            "g": self._config.identity_horizon.total_seconds(),
        }
        stale = [
            key
            for key, row in list(self._table.items())
            if now - float(row["t"]) > horizons.get(key[:1], 0.0)
        ]
        for key in stale:
            del self._table[key]
        return len(stale)

    def _alive(self, key: str, at: float, horizon: float) -> dict[str, Any] | None:
        row = self._table.get(key)
        if row is None or at - float(row["t"]) > horizon:
            return None
        return dict(row)

    def _group(self, key: str, at: float) -> dict[str, Any]:
        row = self._table.get(f"g:{key}")
        if row is None:
            return {"f": at, "t": at, "cf": [], "into": None}
        return dict(row)

    def _age(self, key: str) -> tuple[float, str]:
        row = self._table.get(f"g:{key}")
        return (float(row["f"]) if row else float("inf"), key)

    def _follow(self, key: str) -> str:
        for _ in range(32):  # redirects form a forest; the bound only guards bad state
            row = self._table.get(f"g:{key}")
            if row is None or not row.get("into"):
                return key
            key = row["into"]
        return key

    def _compatible(self, keys: Iterable[str], own_cf: set[str]) -> tuple[list[str], set[str]]:
        """The groups that may be joined, oldest first, and the tax codes they bring."""
        chosen: list[str] = []
        cf = set(own_cf)
        for key in keys:
            group_cf = set(self._table.get(f"g:{key}", {}).get("cf", ()))
            if cf and group_cf and group_cf != cf:
                continue
            chosen.append(key)
            cf |= group_cf
        return chosen, cf

    def _fresh_key(self, identities: tuple[Identity, ...], submission_id: str, at: float) -> str:
        """A key named after the strongest identifier, so that the same person gets the same
        key again after their links expired; another if that name is someone else's now."""
        key = "cit:" + identities[0].digest
        if self._alive(f"g:{key}", at, self._config.identity_horizon.total_seconds()) is None:
            self._table[f"g:{key}"] = {"f": at, "t": at, "cf": [], "into": None}
            return key
        key = self._follow(key)
        own_cf = {i.digest for i in identities if i.kind is IdentityKind.TAX_CODE}
        taken_cf = set(self._group(key, at)["cf"])
        if own_cf and taken_cf and taken_cf != own_cf:
            key = f"cit:{identities[0].digest}-{submission_id}"
            self._table[f"g:{key}"] = {"f": at, "t": at, "cf": [], "into": None}
        return key


def _rank(kind: IdentityKind) -> int:
    return list(IdentityKind).index(kind)
