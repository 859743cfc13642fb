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
from .trigraph import citation_label

NUMBER_VARIABLES = frozenset((
    "chapter-number", "citation-number", "collection-number", "edition", "first-reference-note-number",
    "issue", "locator", "number", "number-of-pages", "number-of-volumes", "page", "page-first",
    "part-number", "printing-number", "section", "supplement-number", "version", "volume",
))
DATE_VARIABLES = frozenset(("accessed", "available-date", "event-date", "issued", "original-date",
                            "submitted"))
JSON_ALIASES = {"title-short": ("shortTitle",), "container-title-short": ("journalAbbreviation",)}


# Variables that are not simply the item's field of that name.
_SPECIAL = frozenset(("locator", "first-reference-note-number", "near-note", "year-suffix", "citation-label",
                      "page-first", *JSON_ALIASES))


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
    # disambiguate="true" holds: True everywhere, or an int n for the first n tests met in
    # rendering order (disambiguation turns them on one at a time)
    disambiguate: bool | int = False
    disambiguate_seen: int = 0
    # Under a choose whose tests asked disambiguate, nested tests get the same answer: the
    # branch was reached by that answer ("if disambiguate match=none / else-if type=book /
    # if disambiguate: publisher").  None outside such a choose.
    disambiguate_scope: bool | None = None
    disambiguate_tested: bool | None = None  # the answer the last disambiguate test gave
    implicit_year_suffix: bool = False  # append the year-suffix to the first year rendered
    suppress_author: bool = False  # drop the first names the cite renders (Pandoc's [-@key])
    names_seen: bool = False
    names_depth: int = 0
    substituting: int = 0  # inside cs:substitute: rendered variables are used up at once
    substitute_names: dict | None = None  # the parts of the names a substitute stands in for
    substitute_numbers: set = field(default_factory=set)  # numbers the substitute rendered

    def value(self, name: str):
        """A variable's value for this cite (or None), substituted variables excluded."""
        if name in self.suppressed:
            return None
        return self.field(name)

    def field(self, name: str):
        """A variable's value even when a substitute has used it up: conditions test the
        item, not what is left to print (citeproc-js, Pandoc)."""
        if name not in _SPECIAL:  # the common case: the item's own field
            value = self.item.get(name)
            return None if value is None or value == "" or value == [] else value
        if name == "locator":
            return str(self.cite.get("locator") or "").strip() or None
        if name in ("first-reference-note-number", "near-note"):
            return self.cite.get(name)
        if name == "year-suffix":
            return self.item.get("year-suffix") or None
        if name == "citation-label" and not self.item.get(name):
            return citation_label(self.item)
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


def _handler(el):
    try:
        return el.csl_handler
    except AttributeError:
        handler = _HANDLERS.get(local(el))
        try:
            el.csl_handler = handler
        except AttributeError:  # an element of a tree not parsed by ``Style``
            pass
        return handler


def render(el, ctx: Context):
    """Render one element to an ``Output`` node, or None when it renders nothing."""
    handler = _handler(el)
    return handler(el, ctx) if handler else None


def render_children(el, ctx: Context, delimiter: str = "") -> Output:
    out = Output(delimiter=delimiter)
    kids = out.children
    for child in children(el):
        handler = _handler(child)
        node = handler(child, ctx) if handler else None
        if node is None:
            continue
        # cs:choose is transparent: the chosen branch's elements are the group's own, so
        # the group's delimiter goes between them.  What render_children makes holds no
        # empty node, so a choose or a group that renders is not empty.
        if handler is _choose:
            kids.extend(node.children)
        elif handler is _group or not node.empty():
            kids.append(node)
    return out


def _text(el, ctx: Context):
    if el.get("variable"):
        name = el.get("variable")
        # An empty year-suffix does not suppress its group: it is filled in only later, by
        # disambiguation ("n.d." + year-suffix renders "n.d." alone, as citeproc-js does).
        ctx.called += name != "year-suffix"
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
        elif name in NUMBER_VARIABLES and "-" in value:
            from .numbers import number_range

            value = number_range(value, name)
        if name in ("URL", "DOI"):
            node = Output([Text(value)])
        else:
            node = rich(value)
        if name == "citation-number":
            node.tag = "citation-number"
        if name == "year-suffix":
            node.tag = "year-suffix"
        if name == "citation-label" and ctx.implicit_year_suffix and ctx.item.get("year-suffix"):
            # The label takes the year suffix, as a date would ("Asth00a").
            ctx.implicit_year_suffix = False
            node = Output([node, Output([Text(ctx.item["year-suffix"])], tag="year-suffix")])
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
        # A macro that prints something ("n.d." from a choose) counts as a rendered
        # variable for the group or macro around it (citeproc-js).
        shown = not suppressed and bool(node.children)  # (its children are not empty)
        ctx.called, ctx.rendered = outer_called + ctx.called, outer_rendered + max(ctx.rendered, shown)
        node.tag = "macro"
        return decorate(Output([node]), el) if node.children and not suppressed else None
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
    # A nested group that prints counts as a rendered variable for the one around it.
    shown = not suppressed and bool(node.children)  # (its children are not empty)
    ctx.called, ctx.rendered = outer_called + ctx.called, outer_rendered + max(ctx.rendered, shown)
    if suppressed or not node.children:
        return None
    return decorate(node, el)


def _choose(el, ctx: Context):
    # disambiguate="true" turned on test by test: a branch reached by a disambiguate test's
    # answer passes that answer on to the tests under it.
    scoped = ctx.disambiguate.__class__ is not bool
    if scoped:
        outer, ctx.disambiguate_tested = ctx.disambiguate_scope, None
    try:
        for branch in children(el):
            if local(branch) == "else" or _test(branch, ctx):
                if scoped and ctx.disambiguate_tested is not None:
                    ctx.disambiguate_scope = ctx.disambiguate_tested
                node = render_children(branch, ctx)
                node.tag = "choose"
                return node
        return None
    finally:
        if scoped:
            ctx.disambiguate_scope = outer


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


_CONDITIONS = frozenset(("type", "variable", "is-numeric", "is-uncertain-date", "locator", "position",
                         "disambiguate"))


def _conditions(el) -> tuple:
    """A branch's tests, (attribute, values, raw value), and its match; parsed once."""
    try:
        return el.csl_conditions
    except AttributeError:
        pass
    match = el.get("match", "all")
    found = ([(attr, values.split(), values, frozenset(values.split())) for attr, values in el.attrib.items()
              if attr in _CONDITIONS], match if match in ("any", "none") else "all")
    try:
        el.csl_conditions = found
    except AttributeError:  # an element of a tree not parsed by ``Style``
        pass
    return found


def _holds(attr: str, v: str, ctx: Context) -> bool:
    if attr == "variable":
        return ctx.field(v) is not None
    if attr == "type":
        return ctx.item.get("type") == v
    if attr == "is-numeric":
        return is_numeric(ctx.field(v))
    if attr == "is-uncertain-date":
        return _uncertain(ctx.field(v))
    if attr == "locator":
        label = ctx.cite.get("label", "page") if ctx.cite.get("locator") else None
        return label == v or (v == "sub-verbo" and label == "sub verbo")
    return _position_holds(v, ctx)


def _disambiguating(ctx: Context) -> bool:
    level = ctx.disambiguate
    if level.__class__ is bool:
        return level
    if ctx.disambiguate_scope is None:
        ctx.disambiguate_seen += 1
        ctx.disambiguate_tested = ctx.disambiguate_seen <= level
    else:
        ctx.disambiguate_tested = ctx.disambiguate_scope
    return ctx.disambiguate_tested


def _test(el, ctx: Context) -> bool:
    conditions, match = _conditions(el)
    # The first test that decides the match ends it: False for "all", True otherwise.
    deciding = match != "all"
    for attr, names, values, name_set in conditions:
        if attr == "type":  # the commonest test, often with a long list of types
            kind = ctx.item.get("type")
            if (kind in name_set if deciding else (kind not in name_set or len(name_set) > 1)):
                return match == "any"
            continue
        if attr == "disambiguate":
            if (_disambiguating(ctx) == (values == "true")) == deciding:
                return match == "any"
            continue
        for v in names:
            if _holds(attr, v, ctx) == deciding:
                return match == "any"
    return match != "any"


def _has_variable(name: str, ctx: Context) -> bool:
    return ctx.value(name) is not None


def _uncertain(value) -> bool:
    return isinstance(value, dict) and bool(value.get("circa"))


def _names(el, ctx):
    from .names import render_names

    return render_names(el, ctx)


def _date(el, ctx):
    from .dates import render_date

    node = render_date(el, ctx)
    if ctx.substituting and node is not None and not node.empty():
        # A substituted date is used up at once, as text and names are (citeproc-js; Pandoc
        # prints it again).
        ctx.suppressed.add(el.get("variable"))
    return node


def _number(el, ctx):
    from .numbers import render_number

    node = render_number(el, ctx)
    if ctx.substituting and node is not None and not node.empty():
        # A number is used up once its substitute has rendered: the label after it in the
        # substitute still needs it ("15th ed."), as in Pandoc.
        ctx.substitute_numbers.add(el.get("variable"))
    return node


def _label(el, ctx):
    from .numbers import render_label

    return render_label(el, ctx)


_HANDLERS = {
    "text": _text, "group": _group, "choose": _choose, "names": _names, "date": _date,
    "number": _number, "label": _label,
}
