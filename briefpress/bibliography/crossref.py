"""``crossref`` and ``xdata``: an entry takes the fields it lacks from its parents.

Fields are renamed by biblatex's inheritance rules (manual, appendix B), as Pandoc renames
them: a book's title is an in-book entry's ``booktitle``, a multi-volume work's title a
volume's ``maintitle``, a periodical's title an article's ``journaltitle``.
"""

from __future__ import annotations

import dataclasses
import re


def inherit(items: list) -> list:
    """``crossref`` and ``xdata``: a child takes the fields it lacks from its parents, renamed
    by biblatex's inheritance rules (a book's title is an in-book entry's booktitle)."""
    by_key = {item.key: item for item in items}
    out = []
    for item in items:
        fields = dict(item.fields)
        for link in ("xdata", "crossref"):  # Pandoc: xdata fields win over crossref ones
            if link in item.fields:
                for name, value in _parent_fields(item, item.fields[link], by_key, set()).items():
                    fields.setdefault(name, value)
        out.append(dataclasses.replace(item, fields=fields))
    return out


def _parent_fields(child, keys: str, by_key: dict, seen: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key in (k for k in re.split(r"[ ,]+", keys) if k):
        parent = by_key.get(key)
        if parent is None or key in seen:
            continue
        for name, value in sorted(parent.fields.items()):
            if name in ("crossref", "xdata"):
                inherited = _parent_fields(child, value, by_key, seen | {key})
                found.update((k, v) for k, v in inherited.items() if k not in parent.fields)
                continue
            for target in _inherited_names(parent.type, child.type, name):
                if target not in child.fields:
                    found[target] = value
    return found


_NOT_INHERITED = {"ids", "crossref", "xref", "entryset", "entrysubtype", "execute", "label", "options",
                  "presort", "related", "relatedoptions", "relatedstring", "relatedtype", "shorthand",
                  "shorthandintro", "sortkey"}
_TITLES = ("title", "subtitle", "titleaddon")
_NO_TITLES = ("shorttitle", "sorttitle", "indextitle", "indexsorttitle")


def _inherited_names(parent: str, child: str, name: str) -> list[str]:
    """The names a parent's field takes in a child (biblatex manual, appendix B)."""
    if name in _NOT_INHERITED:
        return []
    if name == "author" and ((parent in ("mvbook", "book") and child in ("inbook", "bookinbook", "suppbook"))
                             or (parent == "mvbook" and child == "book")):
        return ["bookauthor", "author"]
    main = ((parent == "mvbook" and child in ("book", "inbook", "bookinbook", "suppbook"))
            or (parent in ("mvcollection", "mvreference")
                and child in ("collection", "reference", "incollection", "inreference", "suppcollection"))
            or (parent == "mvproceedings" and child in ("proceedings", "inproceedings")))
    book = ((parent == "book" and child in ("inbook", "bookinbook", "suppbook"))
            or (parent in ("collection", "reference") and child in ("incollection", "inreference", "suppcollection"))
            or (parent == "proceedings" and child == "inproceedings"))
    if main or book:
        if name in _NO_TITLES:
            return []
        if name in _TITLES:
            return [("main" if main else "book") + name]
    if parent == "periodical" and child in ("article", "suppperiodical"):
        if name in _NO_TITLES:
            return []
        if name in ("title", "subtitle"):
            return ["journal" + name]
    return [name]
