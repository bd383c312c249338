"""Which files in the scan inbox make one submission: each scan, with its sidecar if any."""

from collections.abc import Collection

from ingestors.inbox.units import Plan, Unit
from ingestors.scans.sidecar import SIDECAR_SUFFIX, sidecar_name


class ScanPlanner:
    """Every file is a scan except `*.json`; `<scan>.json` travels with `<scan>`.

    A file's type is told by its content when it is read, not by its name, so a scan
    saved without an extension is still read; one that is no PDF, TIFF, PNG or JPEG is
    refused then. A `.json` whose scan is not (yet) there is left unclaimed.
    """

    def plan(self, names: Collection[str]) -> Plan:
        present = set(names)
        units = []
        claimed: set[str] = set()
        for name in sorted(present):
            if name.lower().endswith(SIDECAR_SUFFIX):
                continue
            sidecar = sidecar_name(name)
            companions = (sidecar,) if sidecar in present else ()
            claimed.update(companions)
            units.append(Unit(key=name, main=name, companions=companions))
        unclaimed = tuple(
            n for n in sorted(present) if n.lower().endswith(SIDECAR_SUFFIX) and n not in claimed
        )
        return Plan(tuple(units), unclaimed)
