"""Rendering elements (spec: "Rendering Elements", "Choose", "Group"): element → IR node.

``Context`` carries what one cite is rendered with: the item, the cite (locator,
position), the mode, the name options inherited so far, the variables a ``cs:substitute``
has used up, and the counters the group-suppression rule needs.  ``render`` dispatches on
the element's name; names, dates, numbers and labels live in their own modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .ir import Output, Text, decorate
from .markup import rich
from .style import children, local

NUMBER_VARIABLES = frozenset((
    "chapter-number", "citation-number", "collection-number", "edition", "first-reference-note-number",
    "issue", "locator", "number", "number-of-pages", "number-of-volumes", "page", "page-first",
    "part-number", "printing-number", "section", "supplement-number", "version", "volume",
))
DATE_VARIABLES = frozenset(("accessed", "available-date", "event-date", "issued", "original-date",
                            "submitted"))
JSON_ALIASES = {"title-short": ("shortTitle",), "container-title-short": ("journalAbbreviation",)}


@dataclass
class Context:
    """The state of rendering one item, once, in one mode."""

    style: object
    locale: object
    item: dict
    mode: str = "citation"
    cite: dict = field(default_factory=dict)
    name_options: dict = field(default_factory=dict)
    suppressed: set = field(default_factory=set)
    sorting: bool = False
    sort_names: dict = field(default_factory=dict)  # names-min/use-first of a sort key
    # group suppression: variables called / rendered non-empty in the current group
    called: int = 0
    rendered: int = 0
    # disambiguation state
    add_names: int = 0
    add_givenname: int = 0
    givenname: dict = field(default_factory=dict)  # name index → 1 (initials) or 2 (full)
    disambiguate: bool = False
    implicit_year_suffix: bool = False  # append the year-suffix to the first year rendered
    suppress_author: bool = False  # drop the first names the cite renders (Pandoc's [-@key])
    names_seen: bool = False
    names_depth: int = 0
    substituting: int = 0  # inside cs:substitute: rendered variables are used up at once

    def value(self, name: str):
        """A variable's value for this cite (or None), substituted variables excluded."""
        if name in self.suppressed:
            return None
        if name == "locator":
            return self.cite.get("locator") or None
        if name in ("first-reference-note-number", "near-note"):
            return self.cite.get(name)
        if name == "year-suffix":
            return self.item.get("year-suffix") or None
        if name == "page-first" and not self.item.get("page-first") and self.item.get("page"):
            m = re.match(r"\s*([A-Za-z]*\d+|[ivxlcdm]+)", str(self.item["page"]), re.IGNORECASE)
            return m.group(1) if m else None
        value = self.item.get(name)
        if value in (None, "", []) and name in JSON_ALIASES:
            for alias in JSON_ALIASES[name]:
                value = self.item.get(alias)
                if value not in (None, "", []):
                    break
        if value in (None, "", []):
            return None
        return value

    def string(self, name: str, form: str = "long"):
        if form == "short":
            short = self.value(name + "-short") or self.value(
                {"title": "title-short", "container-title": "container-title-short"}.get(name, ""))
            if short:
                return str(short)
        value = self.value(name)
        return None if value is None else str(value)


def render(el, ctx: Context):
    """Render one element to an ``Output`` node, or None when it renders nothing."""
    handler = _HANDLERS.get(local(el))
    return handler(el, ctx) if handler else None


def render_children(el, ctx: Context, delimiter: str = "") -> Output:
    out = Output(delimiter=delimiter)
    for child in children(el):
        node = render(child, ctx)
        if node is None or node.empty():
            continue
        # cs:choose is transparent: the chosen branch's elements are the group's own, so
        # the group's delimiter goes between them.
        if node.tag == "choose":
            out.children.extend(node.live())
        else:
            out.children.append(node)
    return out


def _text(el, ctx: Context):
    if el.get("variable"):
        name = el.get("variable")
        ctx.called += 1
        value = ctx.string(name, el.get("form", "long"))
        if value is None:
            return None
        ctx.rendered += 1
        if ctx.substituting:
            ctx.suppressed.add(name)
        if name in ("page", "locator"):
            from .numbers import page_range

            paged = name == "page" or ctx.cite.get("label", "page") == "page"
            value = page_range(value, ctx.style.page_range_format if paged else "", ctx.locale)
        if name in ("URL", "DOI"):
            node = Output([Text(value)])
        else:
            node = rich(value)
        if name == "citation-number":
            node.tag = "citation-number"
        if name == "year-suffix":
            node.tag = "year-suffix"
        return decorate(node, el)
    if el.get("macro"):
        macro = ctx.style.macros.get(el.get("macro"))
        if macro is None:
            raise KeyError(f"undefined macro '{el.get('macro')}'")
        # A macro is suppressed like a group: when it calls variables and all are empty,
        # its terms and values go too (citeproc-js).
        outer_called, outer_rendered = ctx.called, ctx.rendered
        ctx.called = ctx.rendered = 0
        node = render_children(macro, ctx)
        suppressed = ctx.called > 0 and ctx.rendered == 0
        ctx.called, ctx.rendered = outer_called + ctx.called, outer_rendered + ctx.rendered
        node.tag = "macro"
        return decorate(Output([node]), el) if not node.empty() and not suppressed else None
    if el.get("term"):
        text = ctx.locale.term(el.get("term"), el.get("form", "long"), el.get("plural") == "true")
        if not text:
            return None
        node = rich(text)
        node.tag = "term"
        return decorate(node, el)
    if el.get("value") is not None:
        return decorate(rich(el.get("value")), el)
    return None


def _group(el, ctx: Context):
    outer_called, outer_rendered = ctx.called, ctx.rendered
    ctx.called = ctx.rendered = 0
    node = render_children(el, ctx, el.get("delimiter", ""))
    suppressed = ctx.called > 0 and ctx.rendered == 0
    ctx.called, ctx.rendered = outer_called + ctx.called, outer_rendered + ctx.rendered
    if suppressed or node.empty():
        return None
    return decorate(node, el)


def _choose(el, ctx: Context):
    for branch in children(el):
        if local(branch) == "else" or _test(branch, ctx):
            node = render_children(branch, ctx)
            node.tag = "choose"
            return node
    return None


_NUMERIC = re.compile(r"^\s*[a-zA-Z]*\d+[a-zA-Z]*(\s*([-,&\u2013]|and)\s*[a-zA-Z]*\d+[a-zA-Z]*)*\s*$")


def is_numeric(value) -> bool:
    if isinstance(value, (int, float)):
        return True
    return bool(value) and bool(_NUMERIC.match(str(value)))


def _position_holds(position: str, ctx: Context) -> bool:
    actual = ctx.cite.get("position", "first")
    if ctx.mode == "bibliography":
        return False
    if position == "first":
        return actual == "first"
    if position == "subsequent":
        return actual != "first"
    if position == "ibid":
        return actual in ("ibid", "ibid-with-locator")
    if position == "ibid-with-locator":
        return actual == "ibid-with-locator"
    if position == "near-note":
        return actual != "first" and bool(ctx.cite.get("near-note"))
    return False


def _test(el, ctx: Context) -> bool:
    results = []
    for attr, values in el.attrib.items():
        names = values.split()
        if attr == "type":
            results += [ctx.item.get("type") == v for v in names]
        elif attr == "variable":
            results += [_has_variable(v, ctx) for v in names]
        elif attr == "is-numeric":
            results += [is_numeric(ctx.value(v)) for v in names]
        elif attr == "is-uncertain-date":
            results += [_uncertain(ctx.value(v)) for v in names]
        elif attr == "locator":
            label = ctx.cite.get("label", "page") if ctx.cite.get("locator") else None
            results += [label == v or (v == "sub-verbo" and label == "sub verbo") for v in names]
        elif attr == "position":
            results += [_position_holds(v, ctx) for v in names]
        elif attr == "disambiguate":
            results.append(ctx.disambiguate == (values == "true"))
    match = el.get("match", "all")
    if match == "any":
        return any(results)
    if match == "none":
        return not any(results)
    return all(results)


def _has_variable(name: str, ctx: Context) -> bool:
    return ctx.value(name) is not None


def _uncertain(value) -> bool:
    return isinstance(value, dict) and bool(value.get("circa"))


def _names(el, ctx):
    from .names import render_names

    return render_names(el, ctx)


def _date(el, ctx):
    from .dates import render_date

    return render_date(el, ctx)


def _number(el, ctx):
    from .numbers import render_number

    return render_number(el, ctx)


def _label(el, ctx):
    from .numbers import render_label

    return render_label(el, ctx)


_HANDLERS = {
    "text": _text, "group": _group, "choose": _choose, "names": _names, "date": _date,
    "number": _number, "label": _label,
}
