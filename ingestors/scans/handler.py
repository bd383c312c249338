"""Reading one scan unit: sidecar, blob store, OCR; the decisions are in submission.py."""

import asyncio

from ingestors.inbox.names import display_name
from ingestors.inbox.units import Accept, Job, Outcome, Reject, Rejection
from ingestors.ocr.model import UnreadableDocument
from ingestors.ocr.pages import sniff_kind
from ingestors.ocr.reader import DocumentReader
from ingestors.scans.sidecar import ScanSidecar, SidecarError, parse_sidecar
from ingestors.scans.submission import ScanPolicy, build_scan_submission
from runtime.blobstore import BlobStore


class ScanHandler:
    """The scan channel's `UnitHandler`.

    The original is stored in the blob store first and read from there: the stored copy
    is immutable and named by its hash, so what is read is exactly what was hashed.
    """

    def __init__(self, reader: DocumentReader, blobs: BlobStore, policy: ScanPolicy) -> None:
        self._reader = reader
        self._blobs = blobs
        self._policy = policy

    async def handle(self, job: Job) -> Outcome:
        unit = job.unit
        members = unit.names
        name = display_name(unit.main)
        kind = sniff_kind(job.content[:1024])
        media_type = kind.media_type if kind else "application/octet-stream"
        raw = await asyncio.to_thread(self._blobs.put, job.content, media_type, name[:255])
        sidecar: ScanSidecar | None = None
        if unit.companions:
            try:
                data = await asyncio.to_thread(job.path(unit.companions[0]).read_bytes)
                sidecar = parse_sidecar(data)
            except SidecarError as exc:
                return Reject("invalid_sidecar", f"{unit.companions[0]}: {exc}", members, raw)
        if not job.content:
            return Reject("empty_file", "the file has no content", members, raw)
        if kind is None:
            return Reject(
                "unsupported_format",
                f"not a PDF, TIFF, PNG or JPEG (starts with {job.content[:8]!r})",
                members,
                raw,
            )
        try:
            document = await self._reader.read(self._blobs.path(raw.sha256))
        except UnreadableDocument as exc:
            return Reject(exc.reason, exc.detail, members, raw)
        result = build_scan_submission(
            sha256=job.sha256,
            document=document,
            sidecar=sidecar,
            file_name=name,
            raw=raw,
            received_at=job.received_at,
            policy=self._policy,
        )
        if isinstance(result, Rejection):
            return Reject(result.reason, result.detail, members, raw)
        return Accept(result, members)
