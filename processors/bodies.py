"""The bodies (departments and outside companies) complaints are routed to."""

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, TypeAdapter

from schemas._strict import StrictModel

DEFAULT_BODIES_FILE = Path(__file__).with_name("bodies.toml")


class BodyKind(StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"


class Body(StrictModel):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,48}$")]
    name: str
    kind: BodyKind
    covers: str = ""


_BODIES = TypeAdapter(tuple[Body, ...])


def parse_bodies(text: str) -> tuple[Body, ...]:
    """Parse a bodies file (TOML, `[[body]]` tables); ids must be unique."""
    bodies = _BODIES.validate_python(tomllib.loads(text).get("body", []))
    ids = [body.id for body in bodies]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"body ids appear more than once: {', '.join(duplicated)}")
    if not bodies:
        raise ValueError("the bodies file names no body")
    return bodies


def load_bodies(path: Path | None = None) -> tuple[Body, ...]:
    return parse_bodies((path or DEFAULT_BODIES_FILE).read_text(encoding="utf-8"))
