"""Export the JSON Schema of every event into `schemas/json/`, for departmental developers.

`sportello schemas` writes the files; a test fails when the committed files are stale.
"""

import json
from pathlib import Path
from typing import Any

from schemas.events import EVENT_CLASSES, Event

JSON_DIR = Path(__file__).with_name("json")


def schema_file_name(cls: type[Event[Any]]) -> str:
    return f"{cls.TYPE}.v{cls.VERSION}.schema.json"


def rendered_schemas() -> dict[str, str]:
    """File name → JSON text, exactly as it should be on disk."""
    out: dict[str, str] = {}
    for cls in EVENT_CLASSES:
        schema = cls.model_json_schema(mode="serialization")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://sportello.example/schemas/{schema_file_name(cls)}",
            **schema,
        }
        out[schema_file_name(cls)] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def write_schemas(directory: Path = JSON_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
