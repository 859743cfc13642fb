"""Variables written into an item's note (citeproc-js's "cheater syntax", Zotero's Extra).

Lines ``name: value`` in ``note`` give the item CSL variables its data has no field for:
``reviewed-title: …``, ``event-date: 2004-10-01/2004-10-14``, ``reviewed-author: Hall || W.C.``.
A variable the item already has keeps its value; names are ``Family || Given`` and add up
line by line; dates are ISO (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, a range joined by ``/``).
"""

from __future__ import annotations

import re

from .render import DATE_VARIABLES

NAME_VARIABLES = frozenset((
    "author", "chair", "collection-editor", "compiler", "composer", "container-author", "contributor",
    "curator", "director", "editor", "editorial-director", "executive-producer", "guest", "host",
    "illustrator", "interviewer", "narrator", "organizer", "original-author", "performer", "producer",
    "recipient", "reviewed-author", "script-writer", "series-creator", "translator",
))
# The standard variables a note may set besides names and dates (CSL 1.0.2, appendix IV).
TEXT_VARIABLES = frozenset((
    "abstract", "annote", "archive", "archive_collection", "archive_location", "archive-place",
    "authority", "call-number", "chapter-number", "citation-key", "citation-label",
    "collection-number", "collection-title", "collection-title-short", "container-title",
    "container-title-short", "dimensions", "division", "DOI", "edition", "event", "event-place",
    "event-title", "genre", "ISBN", "ISSN", "issue", "jurisdiction", "keyword", "language",
    "license", "medium", "number", "number-of-pages", "number-of-volumes", "original-publisher",
    "original-publisher-place", "original-title", "page", "part-number", "part-title", "PMCID",
    "PMID", "printing-number", "publisher", "publisher-place", "references", "reviewed-genre",
    "reviewed-title", "scale", "section", "source", "status", "supplement-number", "title",
    "title-short", "URL", "version", "volume", "volume-title", "year-suffix",
))
_LINE = re.compile(r"^\s*([A-Za-z][\w-]*\w)\s*:\s*(\S.*?)\s*$", re.MULTILINE)
_ISO = re.compile(r"(-?\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def with_note_variables(item: dict) -> dict:
    """The item with the variables its note declares added (a new dict when there are any)."""
    note = item.get("note")
    if not isinstance(note, str) or ":" not in note:
        return item
    found: dict = {}
    for m in _LINE.finditer(note):
        name, value = m.group(1), m.group(2)
        if item.get(name) not in (None, "", []):
            continue
        if name in NAME_VARIABLES:
            family, _, given = value.partition("||")
            person = {"family": family.strip(), "given": given.strip()} if given else {"literal": value}
            found.setdefault(name, []).append(person)
        elif name in DATE_VARIABLES:
            found[name] = _date(value)
        elif name in TEXT_VARIABLES and name not in found:
            found[name] = value
    return dict(item, **found) if found else item


def _date(value: str) -> dict:
    parts = []
    for side in value.split("/"):
        m = _ISO.fullmatch(side.strip())
        if m is None:
            return {"raw": value}
        parts.append([int(g) for g in m.groups() if g])
    return {"date-parts": parts}
