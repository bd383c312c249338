"""Which files in the postal inbox make one letter: its OCR outputs, by stem, and manifest."""

from collections import defaultdict
from collections.abc import Collection

from ingestors.inbox.units import Plan, Unit
from ingestors.ocr.formats import RANK, format_for_name
from ingestors.postal.manifest import manifest_name


def stem_of(name: str) -> str:
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


class PostalPlanner:
    """`L0042.xml`, `L0042.hocr`, `L0042.txt`... are one letter (OCR software often writes
    several formats at once); the best format is the main file, whose hash identifies the
    letter, and `L0042.json` is its manifest. Page images are named by the manifest and
    claimed when the letter is read; until then they are unclaimed."""

    def plan(self, names: Collection[str]) -> Plan:
        present = set(names)
        letters: dict[str, list[str]] = defaultdict(list)
        for name in present:
            if format_for_name(name) is not None:
                letters[stem_of(name)].append(name)
        units = []
        claimed: set[str] = set()
        for stem in sorted(letters):
            outputs = sorted(letters[stem], key=_rank)
            manifest = manifest_name(stem)
            companions = tuple(outputs[1:]) + ((manifest,) if manifest in present else ())
            claimed.update(outputs)
            claimed.update(companions)
            units.append(Unit(key=stem, main=outputs[0], companions=companions))
        return Plan(tuple(units), tuple(sorted(present - claimed)))


def _rank(name: str) -> tuple[int, str]:
    fmt = format_for_name(name)
    return (RANK[fmt] if fmt else len(RANK), name)
