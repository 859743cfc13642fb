"""Widths of text in the house sans (Noto Sans), for laying out the labels of drawn charts.

The widths are the font's own advance widths, read with HarfBuzz (``uharfbuzz``, as the
EPUB's font subsetting) from the face fontconfig finds, character by character as they
are asked for (microseconds each).  Kerning is left out: it moves a label's end by a fraction of a point.
A character the face lacks is counted as 1 em if East Asian wide (the CJK face that the
SVG falls back to draws those on a square), else as a wide Latin letter; without the face
at all every character is counted so.
"""

from __future__ import annotations

import functools
import unicodedata

FALLBACK_EM = 0.62  # a character the face lacks, unless East Asian wide


class _Advances:
    """Advance widths in em by code point, looked up in the face on first use."""

    def __init__(self, location):
        self.widths: dict[int, float | None] = {}
        self.font = None
        if location is not None:
            import uharfbuzz as hb

            from . import fonts

            face = fonts.hb_face(location)
            self.font, self.em = hb.Font(face), face.upem

    def get(self, code: int) -> float | None:
        if code not in self.widths:
            glyph = self.font.get_nominal_glyph(code) if self.font is not None else None
            self.widths[code] = self.font.get_glyph_h_advance(glyph) / self.em if glyph else None
        return self.widths[code]


@functools.cache
def _advances(bold: bool) -> _Advances:
    """The advances of Noto Sans regular or bold (none known if it is not installed)."""
    return _Advances(_font(bold))


def _font(bold: bool):
    from . import fonts

    return fonts.find(next(f for f in fonts.FACES if f.family == "Noto Sans" and f.weight == (700 if bold else 400)
                           and f.style == "normal"))


def font_key() -> str:
    """The font files the layout is measured with, for the cache key."""
    parts = []
    for bold in (False, True):
        location = _font(bold)
        parts.append("none" if location is None else f"{location[0]}:{location[1]}:{_size(location[0])}")
    return "|".join(parts)


def _size(path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The advance width of ``text`` set in ``size`` (in the same unit as ``size``)."""
    advances = _advances(bold)
    em = 0.0
    for char in text:
        width = advances.get(ord(char))
        if width is None:
            width = 1.0 if unicodedata.east_asian_width(char) in "WF" else FALLBACK_EM
        em += width
    return em * size


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Lines of at most ``width`` broken between words (a single longer word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(lines[-1] + " " + word, size, bold) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]
