"""Checks on the whole publication, run after the transforms by every build and by
``publish.py check``: internal links, footnotes, figure files, and characters that no
house font covers.  Each problem names the chapter file and line."""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

from .errors import BriefError, Report
from .model import Publication


def _line(source: str, needle: str) -> int | None:
    at = source.find(needle)
    return source.count("\n", 0, at) + 1 if at >= 0 else None


def check_links(publication: Publication, report: Report) -> None:
    ids = {"refs"}
    for chapter in publication.chapters:
        ids.add(chapter.id)
        ids.update(re.findall(r'\sid="([^"]+)"', chapter.html))
        for note in chapter.notes:
            ids.add(note.id)
    ids.update(f"ref-{k}" for k in publication.references)
    for chapter in publication.chapters:
        for target in re.findall(r'href="#([^"]+)"', chapter.html):
            if target not in ids and not target.startswith("ref-"):
                report.error(f"link to '#{target}', which is nowhere in the publication", chapter.path,
                             _line(chapter.source, "#" + target))
    from .sanitize import check_links as check_link_targets

    check_link_targets(publication, report)  # schemes and links to files


def check_footnotes(publication: Publication, report: Report) -> None:
    for chapter in publication.chapters:
        for key in re.findall(r"\[\^([^\]\s]+)\]", re.sub(r"<[^>]+>", "", chapter.html)):
            report.error(f"footnote '[^{key}]' is called but never defined", chapter.path,
                         _line(chapter.source, f"[^{key}]"))


def check_figures(publication: Publication, resources, report: Report) -> None:
    from .resources import check_images

    check_images(publication, report)  # inline and raw-HTML images, through the sandbox
    for chapter in publication.chapters:
        for fig in chapter.figures:
            if fig.src.lower().startswith(("http://", "https://")):
                continue  # remote: the sandbox has judged it when the figure was prepared
            try:
                resources.path_for(fig.src)
            except BriefError as exc:
                report.error(exc.diagnostics[0].message, chapter.path, fig.line or _line(chapter.source, fig.src))


def _font_files() -> list[tuple[Path, int]]:
    """The regular face of each house family that is installed."""
    from . import fonts

    regular = [face for face in fonts.FACES if face.weight == 400 and face.style == "normal"]
    return [location for face in regular if (location := fonts.find(face)) is not None]


def covered_characters(chars: set[str]) -> set[str]:
    """The subset of ``chars`` that some house font has a glyph for."""
    from . import fonts

    covered: set[str] = set()
    for location in _font_files():
        covered |= fonts.covered(location, chars - covered)
    return covered


def check_characters(publication: Publication, report: Report) -> None:
    """Warn about characters that no house font covers: they would print as boxes."""
    texts = {ch.path: ch.source for ch in publication.chapters}
    used: dict[str, tuple] = {}
    for path, source in texts.items():
        for char in set(source):
            if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
                continue
            used.setdefault(char, (path, _line(source, char)))
    meta = publication.metadata
    for text in (meta.title, meta.subtitle, meta.lead, *(a.bio for a in meta.authors)):
        for char in set(text or ""):
            if not char.isspace():
                used.setdefault(char, (meta.source, None))
    if not used:
        return
    covered = covered_characters(set(used))
    if not _font_files():
        report.warning("the house fonts (Noto Serif, Noto Sans, Noto Serif/Sans CJK SC) are not installed; "
                       "the system's fonts will be used", hint="apt-get install fonts-noto-core fonts-noto-cjk")
        return
    for char in sorted(set(used) - covered):
        path, line = used[char]
        name = unicodedata.name(char, "unnamed character")
        report.warning(f"no house font covers {html.escape(char)!r} (U+{ord(char):04X} {name})", path, line)
