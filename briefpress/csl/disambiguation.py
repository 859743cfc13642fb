"""Disambiguation (spec: "Disambiguation"), in the spec's order of methods.

Cites are ambiguous when two items render to the same text in the citation layout.  For
each ambiguous set the processor tries, while some remain ambiguous: more names before
"et al." (``disambiguate-add-names``), fuller given names (``disambiguate-add-givenname``:
initials, then full names), the ``disambiguate="true"`` condition, and finally year suffixes
("a", "b", … in bibliography order, ``disambiguate-add-year-suffix``).  The outcome is a small
state per item (``state_for``) that citation rendering applies.
"""

from __future__ import annotations

import re

from .ir import clone
from .names import split_particles
from .output import to_plain

MAX_NAMES = 50


def year_suffix(n: int) -> str:
    """0 → "a", 25 → "z", 26 → "aa"."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(97 + r) + out
    return out


def _render(proc, item_id: str, state: dict, cite: dict) -> str:
    # Each pass re-checks every item, but only the ambiguous ones have a new state.
    key = rendering_key(item_id, state, cite)
    found = proc.disambiguation_renders.get(key)
    if found is None:
        node = proc.render_item(item_id, "citation", cite, suppressed=set(IGNORED), **state)
        found = proc.disambiguation_renders[key] = (to_plain(clone(node)), node)
    return found[0]


# Variables that never tell two works apart: the same work accessed twice is still one
# ("n.d.-a [Accessed: June 1, 1965]", "n.d.-b [Accessed: June 1, 2065]", as citeproc-js).
IGNORED = frozenset(("accessed",))


def compared_cite(proc) -> dict:
    """The cite disambiguation renders: a first cite, or a subsequent one when the style
    shortens subsequent cites' names (et-al-subsequent-*): a key must tell works apart in
    its short form too, even if it occurs only once."""
    options = proc.style.name_options("citation")
    if "et-al-subsequent-min" in options or "et-al-subsequent-use-first" in options:
        return {"position": "subsequent"}
    return {}


def compared_cites(proc) -> list[dict]:
    """Every form of cite disambiguation compares: the compared cite, and a subsequent one
    too when the style tests positions.  A note style's short note ("Kullback, <i>Information
    Theory</i>, 5.") must tell works apart as well as its full note (as citeproc-js and
    Pandoc, which compare the cites as they occur)."""
    first = compared_cite(proc)
    if first or not proc.style.tests_position:
        return [first]
    return [first, {"position": "subsequent"}]


def rendering_key(item_id: str, state: dict, cite: dict) -> tuple:
    return (item_id, repr(sorted(state.items())), cite.get("position", "first"))


def _ambiguous(proc, ids: list[str], states: dict) -> list[list[str]]:
    """The sets of items whose cites read the same in some compared form; a set holds
    every item that reads like another member in one form or another."""
    owner = {i: i for i in ids}

    def root(i):
        while owner[i] != i:
            owner[i] = i = owner[owner[i]]
        return i

    for cite in compared_cites(proc):
        seen: dict[str, str] = {}
        for item_id in ids:
            text = _render(proc, item_id, states[item_id], cite)
            if text in seen:
                owner[root(item_id)] = root(seen[text])
            else:
                seen[text] = item_id
    groups: dict[str, list[str]] = {}
    for item_id in ids:
        groups.setdefault(root(item_id), []).append(item_id)
    return [g for g in groups.values() if len(g) > 1]


NAME_VARIABLES = ("author", "editor", "translator", "composer", "director", "container-author",
                  "collection-editor", "interviewer", "illustrator")


def _primary_names(item: dict) -> list[dict]:
    for var in NAME_VARIABLES:
        if isinstance(item.get(var), list) and item[var]:
            return item[var]
    return []


def _family(name: dict) -> str:
    name = split_particles(name)
    return name.get("literal") or " ".join(p for p in (name.get("non-dropping-particle"), name.get("family")) if p)


def _given(name: dict) -> str:
    """Given names compared as a reader sees them: "J. J." and "J.J." are one person."""
    return re.sub(r"[\s.]", "", name.get("given", ""))


def _key(name: dict, with_given: bool):
    return (_family(name), _given(name)) if with_given else (_family(name),)


def disambiguate(proc, ordered: list[str]) -> None:
    """Work out every item's disambiguation state; sets ``proc.disambiguation``."""
    citation = proc.style.citation
    states: dict[str, dict] = {i: {} for i in ordered}
    proc.disambiguation = states
    proc.disambiguation_renders = {}  # rendering_key → (plain text, rendered cite)
    for item_id in ordered:
        proc.items[item_id].pop("year-suffix", None)
    if citation is None:
        return
    opt = citation.get
    add_given = opt("disambiguate-add-givenname") == "true"
    rule = opt("givenname-disambiguation-rule", "by-cite")
    if add_given and rule != "by-cite":
        _global_givennames(proc, ordered, states, rule)
    groups = original = _ambiguous(proc, ordered, states)
    if groups and opt("disambiguate-add-names") == "true":
        for group in groups:
            _add_names(proc, group, states, add_given)
        groups = _ambiguous(proc, ordered, states)
    if groups and add_given and rule in ("by-cite", "all-names", "primary-name"):
        # Given names are compared across the whole set that was ambiguous before names
        # were added: a name that clashed there is expanded in every cite that shows it.
        still = {i for group in groups for i in group}
        for group in original:
            if still.intersection(group):
                _add_givenname(proc, group, states, rule)
        groups = _ambiguous(proc, ordered, states)
    # disambiguate="true" conditions are turned on one at a time, in rendering order, for
    # the cites still ambiguous ("Book One" for one work, "Complete Works, ed. 5" for two).
    conditions = _conditions(proc)
    for level in range(1, conditions + 1):
        if not groups:
            break
        for group in groups:
            for item_id in group:
                states[item_id]["disambiguate"] = level if level < conditions else True
        groups = [g for group in groups for g in _ambiguous(proc, group, states)]
    if groups and opt("disambiguate-add-year-suffix") == "true":
        for group in groups:
            for n, item_id in enumerate(sorted(group, key=ordered.index)):
                proc.items[item_id]["year-suffix"] = year_suffix(n)


def _base_names(proc) -> tuple[int, int]:
    """et-al-min and et-al-use-first of the cites disambiguation compares."""
    opts = proc.style.name_options("citation")
    prefix = "et-al-subsequent-" if compared_cite(proc) else "et-al-"
    min_key = prefix + "min" if prefix + "min" in opts else "et-al-min"
    first_key = prefix + "use-first" if prefix + "use-first" in opts else "et-al-use-first"
    return int(opts.get(min_key, 0) or 0), int(opts.get(first_key, 0) or 0)


def _add_names(proc, group: list[str], states: dict, with_given: bool) -> None:
    """Show as many names as tell the most other works of the set apart, no more."""
    et_al_min, use_first = _base_names(proc)
    names = {i: [_key(n, with_given) for n in _primary_names(proc.items[i])] for i in group}
    for item_id in group:
        mine = names[item_id]
        if not et_al_min or len(mine) < et_al_min or use_first >= len(mine):
            continue
        others = [names[o] for o in group if o != item_id]

        def shown(names, n):
            """The names printed with ``n`` names before "et al.", and whether "et al." is."""
            if len(names) < et_al_min or n >= len(names):
                return tuple(names), False
            return tuple(names[:n]), True

        def told_apart(n, mine=mine, others=others):
            return sum(1 for o in others if shown(o, n) != shown(mine, n))

        best_n, best = use_first, told_apart(use_first)
        for n in range(use_first + 1, len(mine) + 1):
            score = told_apart(n)
            if score > best:
                best_n, best = n, score
        if best_n > use_first:
            states[item_id]["add_names"] = best_n - use_first


def _level(mine: dict, other: dict) -> int:
    """1: initials tell the names apart; 2: only full given names do."""
    a, b = _given(mine), _given(other)
    return 1 if a[:1] != b[:1] else 2


def _add_givenname(proc, group: list[str], states: dict, rule: str) -> None:
    """by-cite: expand the given names of the names a cite shares, by family, with
    another cite of its ambiguous set."""
    et_al_min, use_first = _base_names(proc)
    for item_id in group:
        mine = _primary_names(proc.items[item_id])
        shown = len(mine)
        if et_al_min and len(mine) >= et_al_min:
            shown = use_first + states[item_id].get("add_names", 0)
        levels = states[item_id].setdefault("givenname", {})
        for i, name in enumerate(mine[:shown]):
            if rule == "primary-name" and i:
                break
            for other_id in group:
                if other_id == item_id:
                    continue
                theirs = _primary_names(proc.items[other_id])
                if i < len(theirs) and _key(theirs[i], False) == _key(name, False) and \
                        _given(theirs[i]) != _given(name):
                    levels[i] = max(levels.get(i, 0), _level(name, theirs[i]))


def _global_givennames(proc, ordered: list[str], states: dict, rule: str) -> None:
    """all-names / primary-name rules: any two cited people who share a family name get
    given names (or initials) wherever they appear."""
    cap = 1 if rule.endswith("with-initials") else 2
    people: dict[str, list[dict]] = {}
    for item_id in ordered:
        names = _primary_names(proc.items[item_id])
        for name in names[:1] if rule.startswith("primary") else names:
            people.setdefault(_family(name), []).append(name)
    for item_id in ordered:
        names = _primary_names(proc.items[item_id])
        levels = states[item_id].setdefault("givenname", {})
        for i, name in enumerate(names):
            if rule.startswith("primary") and i:
                break
            rivals = [n for n in people.get(_family(name), []) if _given(n) != _given(name)]
            if cap == 1:  # initials only: expand where the initials tell people apart
                rivals = [n for n in rivals if _level(name, n) == 1]
            if rivals:
                levels[i] = min(cap, max(_level(name, r) for r in rivals))


def _conditions(proc) -> int:
    return sum(el.get("disambiguate") == "true" for el in proc.style.root.iter())


def state_for(proc, item_id: str) -> dict:
    return dict(getattr(proc, "disambiguation", {}).get(item_id, {}))
