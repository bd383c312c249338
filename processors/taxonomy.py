"""The city's complaint taxonomy: categories, their default body and their public names."""

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import Field, TypeAdapter

from schemas._strict import StrictModel

DEFAULT_TAXONOMY_FILE = Path(__file__).with_name("taxonomy.toml")


class Category(StrictModel):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,60}$")]
    body: Annotated[str, Field(description="the body that owns it unless a rule says otherwise")]
    name_it: str
    name_en: str
    description: str = ""


_CATEGORIES = TypeAdapter(tuple[Category, ...])


def parse_taxonomy(text: str, body_ids: frozenset[str] | None = None) -> tuple[Category, ...]:
    """Parse a taxonomy file; codes must be unique and, when `body_ids` is given, every
    category's body must be one of them."""
    categories = _CATEGORIES.validate_python(tomllib.loads(text).get("category", []))
    codes = [c.code for c in categories]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        raise ValueError(f"category codes appear more than once: {', '.join(duplicated)}")
    if body_ids is not None:
        unknown = sorted({c.body for c in categories} - body_ids)
        if unknown:
            raise ValueError(f"categories name unknown bodies: {', '.join(unknown)}")
    return categories


def load_taxonomy(
    path: Path | None = None, body_ids: frozenset[str] | None = None
) -> tuple[Category, ...]:
    return parse_taxonomy((path or DEFAULT_TAXONOMY_FILE).read_text(encoding="utf-8"), body_ids)
