"""Text rules every reader of the API agrees on: whitespace, NUL, and regex patterns.

pydantic validates patterns with Rust's regex (`\\s` = Unicode White_Space); JSON Schema
readers such as Schemathesis use ECMAScript's `\\s` (another set: with U+FEFF, without
U+0085); Python's `str.strip()` strips yet more (U+001C to U+001F). The server strips and
matches with `WHITESPACE`, and the OpenAPI description spells `\\s` out as that very set, so a
value is valid for the description exactly when it is valid for the server.

NUL characters are refused everywhere: PostgreSQL cannot store them in text or jsonb, so one
would stop the sink that writes the case.
"""

from typing import Any

WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

WHITESPACE_CLASS = "".join(f"\\u{ord(c):04x}" for c in WHITESPACE)
"""WHITESPACE as the inside of a regex character class, in `\\uXXXX` escapes that Python,
Rust and ECMAScript regexes read alike."""

_NUL = "\\u0000"
NO_NUL = f"^[^{_NUL}]*$"
SOME_TEXT = f"^[^{_NUL}]*[^{WHITESPACE_CLASS}{_NUL}][^{_NUL}]*$"
"""Not blank, and no NUL: what `\\S` means for a field that is stripped before validation."""


def strip(value: str) -> str:
    return value.strip(WHITESPACE)


def nul_in(value: Any) -> bool:
    """Whether a NUL character is in any string of `value` (nested dicts and lists too)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(nul_in(k) or nul_in(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(nul_in(v) for v in value)
    return False


def explicit_pattern(pattern: str) -> str:
    """`pattern` as every regex dialect reads it: `\\s` spelt out as WHITESPACE, NUL excluded
    from negated classes, and the search pattern `\\S` as SOME_TEXT."""
    if pattern == "\\S":
        return SOME_TEXT
    out: list[str] = []
    negated = in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            pair = pattern[i : i + 2]
            if pair == "\\s":
                out.append(WHITESPACE_CLASS if in_class else f"[{WHITESPACE_CLASS}]")
            elif pair == "\\S" and not in_class:
                out.append(f"[^{WHITESPACE_CLASS}{_NUL}]")
            else:
                out.append(pair)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class, negated = True, pattern[i + 1 : i + 2] == "^"
            out.append("[^" if negated else "[")
            i += 2 if negated else 1
            continue
        if ch == "]" and in_class:
            if negated:
                out.append(_NUL)
            in_class = negated = False
        out.append(ch)
        i += 1
    return "".join(out)


def for_every_reader(node: Any) -> Any:
    """A JSON Schema with explicit patterns, and NUL refused in every free-text string."""
    if isinstance(node, list):
        return [for_every_reader(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: for_every_reader(v) for k, v in node.items()}
    if out.get("type") == "string" and not ({"enum", "const", "format"} & out.keys()):
        out["pattern"] = explicit_pattern(out["pattern"]) if "pattern" in out else NO_NUL
    return out
