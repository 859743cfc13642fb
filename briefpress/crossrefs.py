"""Numbering and cross-references: figures, sections and notes are numbered once for the
whole publication, and ``@fig:…``/``@sec:…`` references become links with their numbers.

Links are written as ``#id``; the EPUB writer maps each id to the file that holds it.
"""

from __future__ import annotations

import html
import re

from .anchors import anchor
from .citations import fill
from .errors import Report
from .model import Publication

WORDS = {
    "en": {"fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"), "sec": ("Section", "Sections"),
           "eq": ("Equation", "Equations"), "and": "and", "source": "Source"},
}

CROSSREF = re.compile(r'<span class="crossref" data-pending="(\d+)" data-refs="([^"]*)"></span>')
FIGURE_LABEL = re.compile(r'<span class="figure-label" data-figure="([^"]*)"></span>')


def words(language: str) -> dict:
    return WORDS.get(language.split("-")[0].lower(), WORDS["en"])


def number(publication: Publication, report: Report) -> None:
    """Number figures, sections and notes; resolve every cross-reference; fill citations."""
    targets: dict[str, tuple[str, str]] = {}  # label -> (kind, number)
    where: dict[str, str] = {}
    figure_number = 0
    note_number = 0
    for c_index, chapter in enumerate(publication.chapters, start=1):
        _add(targets, where, chapter.id, ("sec", str(c_index)), chapter, report)
        _unique_heading_ids(chapter, c_index, targets)
        sub = 0
        for heading in chapter.headings:
            if heading.level == 2:
                sub += 1
                _add(targets, where, heading.id, ("sec", f"{c_index}.{sub}"), chapter, report)
        for fig in chapter.figures:
            figure_number += 1
            fig.number = figure_number
            if fig.label:
                _add(targets, where, anchor(fig.label), ("fig", str(figure_number)), chapter, report, fig.line)
        for note in sorted(chapter.notes, key=lambda n: _call_position(chapter.html, n.id)):
            if _call_position(chapter.html, note.id) == len(chapter.html):
                report.warning(f"footnote '{note.key}' is defined but never called", chapter.path)
                continue
            note_number += 1
            note.number = note_number

    w = words(publication.metadata.language)
    for chapter in publication.chapters:
        def figure_label(m, chapter=chapter):
            fig = next((f for f in chapter.figures if (f.label or "") == m.group(1)), None)
            n = fig.number if fig else 0
            return f'<span class="figure-label">{w["fig"][0]} {n}.</span>'

        refs = dict(chapter.crossrefs)

        def crossref(m, chapter=chapter, refs=refs):
            items = refs[int(m.group(1))]
            found = []
            for item in items:
                label = item.key
                key = anchor(label[0].lower() + label[1:])
                if key not in targets:
                    report.error(f"unknown cross-reference label '{label}'", chapter.path,
                                 _line(chapter.source, "@" + label))
                    continue
                found.append((key, targets[key], label[0].isupper()))
            if not found:
                return ""
            kind = found[0][1][0]
            noun = w.get(kind, (kind, kind))[1 if len(found) > 1 else 0]
            if found[0][2]:
                noun = noun[0].upper() + noun[1:]
            links = [f'<a class="crossref" href="#{html.escape(k)}">{num}</a>' for k, (_kind, num), _cap in found]
            if len(links) > 2:
                joined = ", ".join(links[:-1]) + f", {w['and']} " + links[-1]
            else:
                joined = f" {w['and']} ".join(links)
            return f"{noun}\u00a0{joined}" if len(found) == 1 else f"{noun} {joined}"

        def resolve_text(text, figure_label=figure_label, crossref=crossref, chapter=chapter):
            text = FIGURE_LABEL.sub(figure_label, text)
            text = CROSSREF.sub(crossref, text)
            return fill(text, chapter.citations)

        chapter.html = resolve_text(chapter.html)
        for note in chapter.notes:  # notes may cite and cross-refer too
            note.html = resolve_text(note.html)
    for n, citation in enumerate((c for ch in publication.chapters for c in ch.citations), start=1):
        citation.number = n


def _unique_heading_ids(chapter, c_index: int, targets) -> None:
    """Ids made from heading text ("overview") may repeat across chapters: number them.
    Ids the author wrote (``{#sec:overview}``) are labels and must stay unique instead."""
    written = {anchor(m) for m in re.findall(r"\{#([^\s}]+)", chapter.source)}
    for heading in chapter.headings:
        if heading.id in targets and heading.id not in written:
            new = f"{heading.id}-{c_index}"
            chapter.html = chapter.html.replace(f'id="{heading.id}"', f'id="{new}"', 1)
            heading.id = new


def _add(targets, where, label, value, chapter, report, line=None):
    if not label:
        return
    if label in targets:
        report.error(f"duplicate label '{label}' (also in {where[label]})", chapter.path, line)
        return
    targets[label] = value
    where[label] = chapter.path.name


def _call_position(body: str, note_id: str) -> int:
    at = body.find(f'data-note="{note_id}"')
    return at if at >= 0 else len(body)


def _line(source: str, needle: str) -> int | None:
    at = source.find(needle)
    return source.count("\n", 0, at) + 1 if at >= 0 else None
