"""The content-addressed blob store: attachments and raw inputs, kept once by SHA-256."""

import hashlib
import os
import tempfile
from pathlib import Path

from schemas.blob import BlobRef


class BlobStore:
    """Files under `root/sha256/ab/abcdef…`. Writing the same bytes twice is a no-op.

    Writes are atomic (a temporary file renamed into place, then fsynced), so a crash never
    leaves a half-written blob under a valid name.
    """

    def __init__(self, root: Path) -> None:
        self._root = root

    def path(self, sha256: str) -> Path:
        return self._root / "sha256" / sha256[:2] / sha256

    def put(self, content: bytes, media_type: str, filename: str | None = None) -> BlobRef:
        sha256 = hashlib.sha256(content).hexdigest()
        target = self.path(sha256)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(content)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return BlobRef(sha256=sha256, media_type=media_type, size=len(content), filename=filename)

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()
