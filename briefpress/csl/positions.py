"""Cite positions (spec: "Position"): first, subsequent, ibid, ibid-with-locator, near-note,
and the first-reference-note-number of every cite, over a document's citations in order.

Citations in the text (note number 0) and citations in notes are two sequences for ibid:
a note between two in-text citations of a work does not stop the second being "ibid", as in
citeproc-js.
"""

from __future__ import annotations

# citeproc-js's numbers for positions given with a cite.
NUMBERED = ("first", "subsequent", "ibid", "ibid-with-locator")


class _Sequence:
    """Where ibid looks back to, in one sequence (in-text or notes)."""

    def __init__(self):
        self.note = None  # the note of the last citation
        self.current: list[dict] = []  # the cites of that note so far
        self.before: list[dict] = []  # the cites of the note before it
        self.last_citation: list[dict] = []


def _position(cite: dict, before: dict | None, seen: bool) -> str:
    if not seen:
        return "first"
    if before is None or str(before["id"]) != str(cite["id"]):
        return "subsequent"
    loc, prev_loc = cite.get("locator"), before.get("locator")
    if not loc and not prev_loc:
        return "ibid"
    if loc and (loc != prev_loc or cite.get("label", "page") != before.get("label", "page")):
        return "ibid-with-locator"
    return "ibid" if loc else "subsequent"


def assign_positions(citations, style) -> list[list[dict]]:
    """Each citation's cites, copied, with ``position``, ``first-reference-note-number`` and
    ``near-note`` set; citations are given as (cites, note number)."""
    distance = int(style.section_option("citation", "near-note-distance", "5") or 5)
    first_note: dict[str, int] = {}
    last_note: dict[str, int] = {}
    sequences = {True: _Sequence(), False: _Sequence()}
    out = []
    for cites, note in citations:
        seq = sequences[bool(note)]
        # Ibid looks back at the citation before in the same note, or else at the whole
        # previous note: several citations there make the reference ambiguous.
        if note and note == seq.note:
            previous = seq.last_citation
        else:
            seq.before, seq.current = seq.current, []
            previous = seq.before
        seq.note = note
        done: list[dict] = []
        for n, cite in enumerate(cites):
            cite = dict(cite)
            item = str(cite["id"])
            before = done[-1] if n else (previous[0] if len(previous) == 1 else None)
            preset = cite.get("position")
            if preset.__class__ is int and 0 <= preset < len(NUMBERED):
                cite["position"] = NUMBERED[preset]  # given with the cite (citeproc-js's numbers)
            else:
                cite["position"] = _position(cite, before, item in first_note)
            if item in first_note:
                cite["first-reference-note-number"] = first_note[item]
                cite["near-note"] = bool(note) and note - last_note.get(item, -999) <= distance
            else:
                first_note[item] = note
            last_note[item] = note
            done.append(cite)
        seq.current += done
        seq.last_citation = done
        out.append(done)
    return out
