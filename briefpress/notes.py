"""Footnotes as each format prints them: floated to the foot of the page in the PDF,
``noteref``/``footnote`` pairs that pop up on e-readers in the EPUB."""

from __future__ import annotations

import re

from .errors import Report
from .model import Chapter, Publication

CALL = re.compile(r'<span class="noteref-pending" data-note="([^"]*)"></span>')


def number(publication: Publication, report: Report) -> None:
    """Numbers the footnotes through the publication in the order of their calls; a note
    that is never called is left unnumbered (and unprinted) with a warning."""
    count = 0
    for chapter in publication.chapters:
        calls = {n.id: call_position(chapter.html, n.id) for n in chapter.notes}
        for note in sorted(chapter.notes, key=lambda n: calls[n.id]):
            if calls[note.id] == len(chapter.html):
                report.warning(f"footnote '{note.key}' is defined but never called", chapter.path)
                continue
            count += 1
            note.number = count


def call_position(body: str, note_id: str) -> int:
    """Where a note is called in a chapter's HTML (its length when it is never called)."""
    at = body.find(f'data-note="{note_id}"')
    return at if at >= 0 else len(body)


def _inline(note_html: str) -> str:
    """A note's paragraphs as inline content, for a footnote floated out of running text."""
    return re.sub(r"\s*</p>\s*<p>\s*", " ", note_html).removeprefix("<p>").removesuffix("</p>").strip()


def for_print(chapter: Chapter) -> str:
    """Notes floated to the foot of the page.  The call and the note's number are real
    links to each other (WeasyPrint's generated ::footnote-call is not a link), so the
    generated call and marker are switched off in the CSS and printed here instead."""
    notes = {n.id: n for n in chapter.notes}

    def call(m):
        note = notes.get(m.group(1))
        if note is None or not note.number:
            return ""
        return (f'<a class="footnote-call" id="{note.id}-ref" href="#{note.id}">{note.number}</a>'
                f'<span class="footnote" id="{note.id}"><a class="footnote-number" href="#{note.id}-ref">'
                f'{note.number}.</a>\u2002{_inline(note.html)}</span>')

    return CALL.sub(call, chapter.html)


def for_epub(chapter: Chapter) -> tuple[str, list[dict]]:
    """The chapter body with note calls, and the notes to print after it."""
    notes = {n.id: n for n in chapter.notes}
    used = []

    def call(m):
        note = notes.get(m.group(1))
        if note is None or not note.number:
            return ""
        used.append(note)
        return (f'<a class="noteref" epub:type="noteref" role="doc-noteref" id="{note.id}-ref" '
                f'href="#{note.id}">{note.number}</a>')

    body = CALL.sub(call, chapter.html)
    return body, [{"id": n.id, "number": n.number, "html": n.html} for n in used]
