"""Bytes of a text-based OCR file to str, the way mailroom software writes them."""

import codecs


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM, or UTF-16 with BOM); otherwise Windows-1252.

    Mailroom OCR software on Windows still writes cp1252 now and then; reading it as
    cp1252 keeps "è" and "à" instead of failing the whole letter. Bytes cp1252 leaves
    undefined become U+FFFD rather than an error.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
