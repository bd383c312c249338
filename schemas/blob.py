"""References to bytes kept in the content-addressed blob store."""

from typing import Annotated

from pydantic import Field

from schemas._strict import StrictModel

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the content, hex")]


class BlobRef(StrictModel):
    """Bytes stored once in the blob store, named by their SHA-256.

    The same content always has the same reference, so storing it twice is harmless.
    """

    sha256: Sha256
    media_type: Annotated[str, Field(max_length=255, examples=["application/pdf"])]
    size: Annotated[int, Field(ge=0, description="bytes")]
    filename: Annotated[
        str | None, Field(default=None, max_length=255, description="the sender's name for it")
    ] = None
