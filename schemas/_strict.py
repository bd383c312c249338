"""The one model configuration every event schema shares."""

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Frozen, closed to unknown fields, and validated on assignment of defaults too.

    Events are facts: once built they do not change, and a field the schema does not know is
    an error at the edge rather than data silently dropped.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_default=True,
        str_strip_whitespace=False,
        ser_json_timedelta="iso8601",
    )
