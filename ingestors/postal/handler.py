"""Reading one letter: its OCR outputs, manifest and page images; decisions in submission.py."""

import asyncio
import os
import stat as stat_module
from collections.abc import Callable
from datetime import datetime

from ingestors.inbox.names import check_reference, display_name
from ingestors.inbox.stability import FileStat, settled
from ingestors.inbox.units import Accept, Job, Outcome, Reject, Rejection, Wait
from ingestors.ocr.formats import OcrFormat, format_for_name, read_ocr
from ingestors.ocr.model import OcrDocument, OcrFormatError
from ingestors.ocr.pages import sniff_kind
from ingestors.postal.manifest import (
    ManifestError,
    PostalManifest,
    manifest_name,
    parse_manifest,
)
from ingestors.postal.plan import stem_of
from ingestors.postal.submission import PostalPolicy, build_postal_submission
from runtime.blobstore import BlobStore
from schemas.blob import BlobRef

MEDIA_TYPES = {
    OcrFormat.ALTO: "application/xml",
    OcrFormat.HOCR: "text/html",
    OcrFormat.TSV: "text/tab-separated-values",
    OcrFormat.TEXT: "text/plain",
}


class PostalHandler:
    """The postal channel's `UnitHandler`.

    Page images named in the manifest must be complete in the inbox; the letter waits for
    a missing one up to `companion_wait_s`, then is refused (`missing_page_image`) rather
    than published without a page.
    """

    def __init__(
        self,
        blobs: BlobStore,
        policy: PostalPolicy,
        *,
        stable_s: float,
        companion_wait_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._blobs = blobs
        self._policy = policy
        self._stable_s = stable_s
        self._companion_wait_s = companion_wait_s
        self._clock = clock

    async def handle(self, job: Job) -> Outcome:
        return await asyncio.to_thread(self._handle, job)

    def _handle(self, job: Job) -> Outcome:
        unit = job.unit
        members = unit.names
        read = self._read_ocr(job)
        if isinstance(read, Rejection):
            return Reject(read.reason, read.detail, members, self._store_raw(job))
        document, fmt = read
        raw = self._blobs.put(job.content, MEDIA_TYPES[fmt], display_name(unit.main)[:255])
        manifest: PostalManifest | None = None
        manifest_file = manifest_name(stem_of(unit.main))
        if manifest_file in unit.companions:
            try:
                manifest = parse_manifest(job.path(manifest_file).read_bytes())
            except ManifestError as exc:
                return Reject("invalid_manifest", f"{manifest_file}: {exc}", members, raw)
        pages: tuple[str, ...] = manifest.pages if manifest else ()
        for page in pages:
            problem = check_reference(page)
            if problem:
                detail = f"page {display_name(page)!r} in {manifest_file}: {problem}"
                return Reject("unsafe_page_reference", detail, members, raw)
        not_regular = [p for p in pages if _is_special(job, p)]
        if not_regular:
            detail = f"page images that are not regular files: {', '.join(not_regular)}"
            return Reject("unsafe_page_reference", detail, members, raw)
        waiting = self._missing_pages(job, pages)
        if waiting:
            if job.waited_s < self._companion_wait_s:
                return Wait(f"page images not complete yet: {', '.join(waiting)}", 5.0)
            detail = f"page images never arrived: {', '.join(waiting)}"
            return Reject("missing_page_image", detail, members, raw)
        attachments = tuple(self._store_page(job, page) for page in pages)
        result = build_postal_submission(
            sha256=job.sha256,
            document=document,
            ocr_format=fmt,
            manifest=manifest,
            raw=raw,
            attachments=attachments,
            file_name=display_name(unit.main),
            received_at=job.received_at,
            policy=self._policy,
        )
        if isinstance(result, Rejection):
            return Reject(result.reason, result.detail, members, raw)
        return Accept(result, (*members, *(p for p in pages if p not in members)))

    def _read_ocr(self, job: Job) -> tuple[OcrDocument, OcrFormat] | Rejection:
        """The best OCR output that reads; the others are kept as they are."""
        problems = []
        candidates = [job.unit.main] + [
            n for n in job.unit.companions if format_for_name(n) is not None
        ]
        for name in candidates:
            fmt = format_for_name(name)
            if fmt is None:
                continue
            data = job.content if name == job.unit.main else job.path(name).read_bytes()
            try:
                return read_ocr(fmt, data), fmt
            except OcrFormatError as exc:
                problems.append(f"{name}: {exc}")
        return Rejection("unreadable_ocr", "; ".join(problems) or "no OCR output")

    def _missing_pages(self, job: Job, pages: tuple[str, ...]) -> list[str]:
        now = self._clock().timestamp()
        missing = []
        for page in pages:
            try:
                st = os.stat(job.path(page), follow_symlinks=False)
            except FileNotFoundError:
                missing.append(page)
                continue
            if not settled(FileStat(st.st_size, st.st_mtime_ns), now=now, stable_s=self._stable_s):
                missing.append(page)
        return missing

    def _store_page(self, job: Job, page: str) -> BlobRef:
        # Opened without following a symbolic link that may have replaced it meanwhile.
        fd = os.open(job.path(page), os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as file:
            content = file.read()
        kind = sniff_kind(content[:1024])
        media_type = kind.media_type if kind else "application/octet-stream"
        return self._blobs.put(content, media_type, page)

    def _store_raw(self, job: Job) -> BlobRef:
        fmt = format_for_name(job.unit.main)
        media_type = MEDIA_TYPES[fmt] if fmt else "application/octet-stream"
        return self._blobs.put(job.content, media_type, display_name(job.unit.main)[:255])


def _is_special(job: Job, page: str) -> bool:
    """A symbolic link, FIFO or device named as a page: never opened."""
    try:
        st = os.stat(job.path(page), follow_symlinks=False)
    except FileNotFoundError:
        return False
    return not stat_module.S_ISREG(st.st_mode)
