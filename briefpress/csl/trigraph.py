"""The ``citation-label`` variable when the data has none: a trigraph ("Asth00", "BrCh98",
"DEFG26") made from the first names and the year, as citeproc-js makes it.

The pattern is citeproc-js's default, one template per number of names
(``Aaaa00:AaAa00:AaAA00:AAAA00``): each "A" starts a name and takes its first letter,
each "a" one more letter of that name, each "0" one digit of the year (from the right).
Works with no names fall back to the title's first letters.
"""

from __future__ import annotations

import re

TRIGRAPH = "Aaaa00:AaAa00:AaAA00:AAAA00"
# The name variables looked at, in citeproc-js's order.
CREATORS = ("author", "editor", "contributor", "translator", "recipient", "interviewer", "publisher",
            "composer", "original-publisher", "original-author", "container-author", "collection-editor")
_PARTICLE = re.compile(r"^[ '\u2019a-z]+\s+")
_ARTICLE = re.compile(r"^(a|an|the)\s+", re.IGNORECASE)
_NOT_LETTER = re.compile(r"[\W\d_]+")


def _templates() -> list[tuple[list[int], int]]:
    """(letters per name, digits of year) for one, two, … names."""
    out = []
    for template in TRIGRAPH.split(":"):
        letters: list[int] = []
        for c in template:
            if c == "A":
                letters.append(1)
            elif c == "a":
                letters[-1] += 1
        out.append((letters, template.count("0")))
    return out


def _word(text: str, length: int) -> str:
    text = text[:length]
    return text[:1].upper() + text[1:].lower()


_TEMPLATES = _templates()


def citation_label(item: dict) -> str:
    templates = _TEMPLATES
    letters, digits = templates[0]
    label = ""
    for variable in CREATORS:
        names = item.get(variable)
        if not isinstance(names, list) or not names:
            continue
        letters, digits = templates[min(len(names), len(templates)) - 1]
        for name, length in zip(names, letters):
            if name.get("family"):
                text = _PARTICLE.sub("", name["family"])
            else:
                text = name.get("literal") or ""
            text = _NOT_LETTER.sub("", _ARTICLE.sub("", text))
            if not text:
                break
            label += _word(text, length)
        break
    if not label and item.get("title"):
        label = _word(re.sub(r"\s+", "", str(item["title"])), templates[0][0][0])
    year = "0000"
    issued = item.get("issued")
    if isinstance(issued, dict):
        parts = issued.get("date-parts") or [[]]
        if parts and parts[0] and str(parts[0][0]).lstrip("-").isdigit():
            year = str(parts[0][0])
    return label + year[-digits:]
