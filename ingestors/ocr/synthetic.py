"""Synthetic scans for tests and benchmarks: pages drawn with Pillow, skewed and noised.

Real OCR is tested on pages made at test time rather than on text someone typed in, so
what is checked is what Tesseract reads. The font is Pillow's own bundled one, so no system
font is needed.
"""

import io
import random
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFilter, ImageFont


def render_page(
    lines: Sequence[str],
    *,
    width: int = 1000,
    font_px: int = 28,
    margin: int = 40,
    skew_deg: float = 0.0,
    noise: float = 0.0,
    blur: float = 0.0,
    seed: int = 0,
) -> Image.Image:
    """A grey page with `lines` of text, rotated by `skew_deg`, with `noise` (the share of
    pixels turned into specks) and a Gaussian `blur` radius, as a cheap scanner makes."""
    font = ImageFont.load_default(size=font_px)
    line_height = int(font_px * 1.5)
    height = max(2 * margin + line_height * len(lines), 2 * margin + line_height)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for index, line in enumerate(lines):
        draw.text((margin, margin + index * line_height), line, font=font, fill=0)
    if skew_deg:
        page = page.rotate(skew_deg, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = random.Random(seed)
        specks = ImageDraw.Draw(page)
        w, h = page.size
        for _ in range(int(noise * w * h)):
            specks.point((rng.randrange(w), rng.randrange(h)), fill=rng.choice((0, 90, 200)))
    return page


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def tiff_pages(images: Sequence[Image.Image], *, compression: str = "group4") -> bytes:
    """A multi-page TIFF; `group3`/`group4` make fax-style bilevel CCITT pages."""
    if compression in ("group3", "group4"):
        frames = [im.convert("1") for im in images]
    else:
        frames = list(images)
    out = io.BytesIO()
    frames[0].save(
        out,
        format="TIFF",
        compression=compression,
        save_all=True,
        append_images=frames[1:],
        dpi=(200, 200),
    )
    return out.getvalue()


def image_pdf(images: Sequence[Image.Image], *, dpi: float = 150) -> bytes:
    """A PDF of page images and no text layer, as a plain scanner writes it."""
    out = io.BytesIO()
    first, *rest = [im.convert("L") for im in images]
    first.save(out, format="PDF", resolution=dpi, save_all=True, append_images=rest)
    return out.getvalue()


def text_pdf(pages: Sequence[Sequence[str]]) -> bytes:
    """A minimal PDF whose pages carry the given lines as real text (Helvetica, WinAnsi);
    an empty page list makes a PDF with no pages, which is valid syntax but no document."""
    objects: dict[int, bytes] = {
        1: b"<</Type/Catalog/Pages 2 0 R>>",
        3: b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
    }
    kids = []
    number = 4
    for lines in pages:
        parts = [b"BT /F1 12 Tf 72 770 Td 16 TL"]
        for line in lines:
            escaped = (
                line.encode("cp1252", errors="replace")
                .replace(b"\\", b"\\\\")
                .replace(b"(", b"\\(")
                .replace(b")", b"\\)")
            )
            parts.append(b"(" + escaped + b") Tj T*")
        parts.append(b"ET")
        stream = b"\n".join(parts)
        objects[number] = b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream)
        objects[number + 1] = (
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]"
            b"/Resources<</Font<</F1 3 0 R>>>>/Contents %d 0 R>>" % number
        )
        kids.append(number + 1)
        number += 2
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    objects[2] = b"<</Type/Pages/Kids[%s]/Count %d>>" % (refs, len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for key in sorted(objects):
        offsets[key] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (key, objects[key])
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for key in range(1, size):
        out += b"%010d 00000 n \n" % offsets[key]
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)
