"""The small pieces the dashboard is drawn with: bilingual labels, numbers and SVG charts.

Pure functions returning HTML or SVG text, every value escaped. Charts are plain SVG drawn
here (no charting library, nothing to fetch at run time); they are decoration for sighted
readers (`aria-hidden`) beside the figures written out in the page's tables, except the
column chart, which is an image with a text alternative and its values printed on it.

Every figure is written as `<data value="<exact value>" data-figure="<name>">` (`data-value`
on SVG elements): the value a program reads back, the text people read beside it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

Label = tuple[str, str]
"""A label in Italian and in English."""

NARROW_NBSP = "\u202f"


def label(text: Label) -> str:
    """Italian first, English after it in its own language span (the same word once)."""
    it, en = text
    if it == en:
        return escape(it)
    return f'<span lang="it">{escape(it)}</span> <span class="en" lang="en">{escape(en)}</span>'


def plain(text: Label) -> str:
    """The label as one line of text, for attributes and text alternatives."""
    it, en = text
    return it if it == en else f"{it} / {en}"


def count_text(n: int) -> str:
    """12345 as `12 345`: grouped the same way in both languages."""
    return f"{n:,}".replace(",", NARROW_NBSP)


def decimal_text(x: float) -> str:
    """One decimal, two below 1 (a fraction of a day), with the decimal comma."""
    return (f"{x:.1f}" if x >= 1 else f"{x:.2f}").replace(".", ",")


def share_text(x: float) -> str:
    return f"{x * 100:.1f}".replace(".", ",") + "\u00a0%"


def raw(value: float | int | None) -> str:
    """The exact value for `<data value>`: `repr` round-trips a float; empty for none."""
    return "" if value is None else repr(value)


def figure(name: str, value: int | float | None, *, kind: str = "count") -> str:
    """One figure: `<data>` with its exact value and the text people read."""
    if value is None:
        text = "—"
    elif kind == "share":
        text = share_text(float(value))
    elif kind == "days":
        text = decimal_text(float(value))
    else:
        text = count_text(int(value))
    return f'<data value="{raw(value)}" data-figure="{escape(name)}">{text}</data>'


def bar(value: float, most: float) -> str:
    """A horizontal bar, `value` against the column's largest `most`."""
    width = 0.0 if most <= 0 else max(0.0, min(100.0, 100.0 * value / most))
    return (
        '<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true"'
        f' focusable="false"><rect class="bar-bg" width="100" height="8"></rect>'
        f'<rect class="bar-fg" width="{width:.2f}" height="8"></rect></svg>'
    )


@dataclass(frozen=True)
class Column:
    name: str
    """The figure's name, as in `data-figure`."""
    label: str
    """Under the column, e.g. `07/12`."""
    long_label: str
    """In the text alternative, e.g. `gio 07/12/2028`."""
    value: int


def column_chart(title_id: str, columns: Sequence[Column], alt: Label) -> str:
    """Vertical bars with their values written on them: an `img` whose text alternative
    lists every value, labelled by the element `title_id`."""
    width, height, top, bottom = 100 * len(columns), 220, 24, 28
    most = max((c.value for c in columns), default=0)
    usable = height - top - bottom
    parts = []
    for i, c in enumerate(columns):
        h = 0.0 if most == 0 else usable * c.value / most
        x = i * 100 + 20
        y = top + usable - h
        parts.append(
            f'<g data-figure="{escape(c.name)}" data-value="{c.value}">'
            f"<title>{escape(c.long_label)}: {c.value}</title>"
            f'<rect class="col" x="{x}" y="{y:.1f}" width="60" height="{h:.1f}"></rect>'
            f'<text class="col-value" x="{x + 30}" y="{y - 6:.1f}">{count_text(c.value)}</text>'
            f'<text class="col-label" x="{x + 30}" y="{height - 8}">{escape(c.label)}</text>'
            "</g>"
        )
    described = "; ".join(f"{c.long_label}: {c.value}" for c in columns)
    return (
        f'<svg class="columns" viewBox="0 0 {width} {height}" role="img"'
        f' aria-labelledby="{escape(title_id)}" aria-describedby="{escape(title_id)}-alt">'
        f'<desc id="{escape(title_id)}-alt">{escape(plain(alt))}: {escape(described)}</desc>'
        f'<line class="axis" x1="0" x2="{width}" y1="{height - bottom}" y2="{height - bottom}">'
        f"</line>{''.join(parts)}</svg>"
    )
