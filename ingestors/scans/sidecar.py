"""The operator's sidecar: what the citizen told the front office, beside the scan.

For a scan `form.pdf` the operator's desk application may write `form.pdf.json`::

    {"operator_id": "op-117", "desk": "Municipio 3, sportello 2",
     "citizen": {"name": "Maria Rossi", "phone": "+39 051 234 5678"},
     "district": "Municipio 3", "address": "Via Garibaldi 14", "language": "it"}

Only `operator_id` is required. Unknown fields are an error, not silently dropped: the
scan then goes to failed/ for the desk to correct, rather than in with half its facts.
"""

from typing import Annotated

from pydantic import Field, ValidationError

from runtime.errors import SportelloError
from schemas._strict import StrictModel
from schemas.submission import Citizen

MAX_SIDECAR_BYTES = 64 * 1024
SIDECAR_SUFFIX = ".json"


class SidecarError(SportelloError):
    """The sidecar is not valid JSON of the documented shape; `str(error)` says why."""


class ScanSidecar(StrictModel):
    operator_id: Annotated[str, Field(min_length=1, max_length=100)]
    desk: Annotated[str | None, Field(max_length=100)] = None
    citizen: Citizen | None = None
    district: Annotated[str | None, Field(max_length=100)] = None
    address: Annotated[str | None, Field(max_length=500)] = None
    language: Annotated[str | None, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = None
    category_hint: Annotated[str | None, Field(max_length=200)] = None
    note: Annotated[str | None, Field(max_length=2000, description="the operator's note")] = None


def sidecar_name(document: str) -> str:
    """The sidecar's file name for a scan's file name."""
    return document + SIDECAR_SUFFIX


def parse_sidecar(data: bytes) -> ScanSidecar:
    """Validate a sidecar's bytes. Raises `SidecarError`, and nothing else, if invalid."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise SidecarError(f"larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        return ScanSidecar.model_validate_json(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(document)'}: {err['msg']}"
            for err in exc.errors(include_url=False)[:5]
        )
        raise SidecarError(problems) from None
