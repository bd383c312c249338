"""Front-office scans: a folder watcher that OCRs scans into submissions (channel `scan`).

Run it with `python -m ingestors.scans`. Pure parts: `ScanPlanner` (which files make a
unit), `parse_sidecar` (the operator's JSON), `build_scan_submission` (what a read scan
becomes); `ScanHandler` does the reading.
"""

from ingestors.scans.handler import ScanHandler
from ingestors.scans.plan import ScanPlanner
from ingestors.scans.settings import ScanSettings
from ingestors.scans.sidecar import ScanSidecar, SidecarError, parse_sidecar, sidecar_name
from ingestors.scans.submission import ScanPolicy, build_scan_submission

__all__ = [
    "ScanHandler",
    "ScanPlanner",
    "ScanPolicy",
    "ScanSettings",
    "ScanSidecar",
    "SidecarError",
    "build_scan_submission",
    "parse_sidecar",
    "sidecar_name",
]
