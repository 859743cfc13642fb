"""The processor: registers items and citations, numbers, sorts and disambiguates them,
and renders citations and the bibliography through the style's layouts.

Data in is CSL-JSON (dicts); a citation is a list of cite dicts (``id``, ``locator``,
``label``, ``prefix``, ``suffix``, ``suppress-author``, ``author-only``).  Output is HTML.
"""

from __future__ import annotations

from .collapse import collapse
from .dates import parse_date
from .disambiguation import IGNORED, compared_cite, disambiguate, rendering_key, state_for
from .extra import with_note_variables
from .ir import Output, Text, all_tagged, clone, decorate, first_tagged
from .markup import rich
from .output import to_html, to_plain
from .positions import assign_positions
from .render import DATE_VARIABLES, Context, render, render_children
from .sorting import key_value, sort_items
from .style import Style, children
from .textcase import for_language

NO_PRINTED_FORM = "[CSL STYLE ERROR: reference with no printed form.]"


class Processor:
    """One style and locale, the items of one document, its citations in order.

    Use: ``add_items``, ``register`` the cited ids in order of first citation, ``finalize``
    (sorting, numbers, disambiguation), then ``cite_all`` and ``bibliography``.
    """

    def __init__(self, style: Style | str, lang: str = ""):
        self.style = style if isinstance(style, Style) else Style.from_string(style)
        self.locale = self.style.locale(lang)
        self.quotes = self.locale.quote_terms()
        self.items: dict[str, dict] = {}
        self.order: list[str] = []  # registration order: first citation first
        self.explicit_year_suffix = any(el.get("variable") == "year-suffix" for el in self.style.root.iter())
        # After ``finalize`` a cite's rendering depends only on the item and the few cite
        # fields in ``_cite_key``: each is rendered once, and each distinct citation too.
        self._rendered: dict = {}
        self._citations: dict = {}

    # -- registration ---------------------------------------------------------------------
    def add_items(self, items: list[dict]) -> None:
        for item in items:
            item = dict(with_note_variables(item), id=str(item["id"]))
            # A date with nothing in it ({"date-parts": []}) is no date: "n.d." stands in.
            for name in DATE_VARIABLES.intersection(item):
                if isinstance(item[name], dict) and parse_date(item[name]) is None:
                    del item[name]
            self.items[item["id"]] = item

    def register(self, ids) -> None:
        for i in ids:
            i = str(i)
            if i in self.items and i not in self.order:
                self.order.append(i)

    def context(self, item: dict, mode: str, cite: dict | None = None) -> Context:
        ctx = Context(self.style, self.locale, item, mode, cite or {}, self.style.name_options(mode))
        ctx.implicit_year_suffix = not self.explicit_year_suffix
        return ctx

    # -- bibliography order, numbers, disambiguation --------------------------------------
    def finalize(self) -> list[str]:
        """Sort the registered items for the bibliography, assign citation numbers and year
        suffixes; returns the bibliography order."""
        for n, i in enumerate(self.order, 1):
            self.items[i]["citation-number"] = n
        ordered = list(self.order)
        if self.style.bibliography is not None:
            ordered = self._sorted(ordered, "bibliography")
            if not self._sorts_by_number("bibliography"):
                for n, i in enumerate(ordered, 1):
                    self.items[i]["citation-number"] = n
        disambiguate(self, ordered)
        self.bib_order = ordered
        self._rendered, self._citations = {}, {}
        # A plain first cite renders as disambiguation last rendered the item, unless a
        # year suffix was added after or the item has a variable disambiguation ignores.
        compared = compared_cite(self)
        layout = self.style.layout("citation")
        ignored = IGNORED.intersection(self.style.variables(layout)) if layout is not None else ()
        for item_id in ordered:
            item = self.items[item_id]
            found = self.disambiguation_renders.get(rendering_key(item_id, state_for(self, item_id), compared))
            if found is not None and not item.get("year-suffix") and not any(item.get(v) for v in ignored):
                self._rendered[_cite_key(item_id, compared)] = found[1]
        return ordered

    def _sorts_by_number(self, mode: str) -> bool:
        return any(k.get("variable") == "citation-number" for k in self.style.sort_keys(mode))

    def _sorted(self, ids: list[str], mode: str) -> list[str]:
        """Items in the section's sort order (a citation's cites: ``_sorted_cites``)."""
        return [c["id"] for c in self._sorted_cites([{"id": i} for i in ids], mode)]

    def _sorted_cites(self, cites: list[dict], mode: str) -> list[dict]:
        keys = self.style.sort_keys(mode)
        if not keys:
            return cites
        directions = [k.get("sort") == "descending" for k in keys]

        def keys_for(cite):
            item_id = str(cite["id"])
            return _LazyKeys(keys, self.context(self.items[item_id], mode, cite if mode == "citation" else None))

        return sort_items(cites, keys_for, directions)

    # -- rendering --------------------------------------------------------------------------
    def render_item(self, item_id: str, mode: str, cite: dict | None = None, **state) -> Output:
        ctx = self.context(self.items[item_id], mode, cite)
        for k, v in state.items():
            setattr(ctx, k, v)
        layout = self.style.layout(mode)
        node = render_children(layout, ctx)
        if not self._english(ctx.item):
            _no_title_case(node)
            for_language(node, ctx.item.get("language") or "")
        return node

    def _english(self, item: dict) -> bool:
        lang = item.get("language") or ""
        if lang:
            return lang.lower().startswith("en")
        return self.locale.lang.lower().startswith("en")

    def citation(self, cites: list[dict], layout_affixes: bool = True) -> str:
        try:
            key = (tuple(tuple(sorted(c.items())) for c in cites), layout_affixes)
            html = self._citations.get(key)
        except TypeError:  # a cite field that cannot be a key: render it every time
            key, html = None, None
        if html is None:
            html = self._citation(cites, layout_affixes)
            if key is not None:
                self._citations[key] = html
        return html

    def _citation(self, cites: list[dict], layout_affixes: bool) -> str:
        layout = self.style.layout("citation")
        cites = [c for c in cites if str(c["id"]) in self.items]
        # A work cited twice in one citation stays twice (citeproc-js prints "1, 2, 2–4").
        cites = self._sorted_cites(cites, "citation")
        delimiter = layout.get("delimiter", "")
        rendered = []
        for cite in cites:
            node = self.render_cite(cite, first=not rendered)
            if node is None or node.empty():
                # As citeproc-js: a cite that prints nothing says so instead of vanishing.
                node = Output([Text(NO_PRINTED_FORM)])
            rendered.append((cite, node))
        parts = collapse(self, rendered, delimiter)
        if parts is not None:
            return to_html(_layout(Output(parts), layout, layout_affixes), self.quotes)
        parts = []
        previous = None
        for cite, node in rendered:
            if parts and delimiter:
                parts.append(Text(_delimiter(delimiter, previous, cite)))
            parts.append(node)
            previous = cite
        return to_html(_layout(Output(parts), layout, layout_affixes), self.quotes)

    def render_cite(self, cite: dict, first: bool = False):
        item_id = str(cite["id"])
        key = _cite_key(item_id, cite)
        node = self._rendered.get(key)
        if node is None:
            state = state_for(self, item_id)
            if cite.get("suppress-author"):
                state["suppress_author"] = True
            node = self._rendered[key] = self.render_item(item_id, "citation", cite, **state)
        node = clone(node)
        if cite.get("author-only"):
            node = first_tagged(node, "names") or Output()
        link = cite.get("link")
        if link:
            node = Output([node], formatting={"link": link})
        prefix = (cite.get("prefix") or "").rstrip()
        # "Cf." alone is an abbreviation, not the end of a sentence.
        bare = prefix.rstrip("\u201d\u2019\"' ")
        sentence = bare[-1:] in (".", "!", "?") and " " in bare
        if self.style.cls == "note" and ((first and not prefix) or sentence):
            _capitalize_leading_term(node)
        if cite.get("prefix"):
            node = Output([_affix(cite["prefix"]), node])
        if cite.get("suffix"):
            node = Output([node, _affix(cite["suffix"])])
        return node

    def cite_all(self, citations: list[tuple[list[dict], int]]) -> list[str]:
        """Render a document's citations in order, each given with its note number (0 for
        in-text), after assigning cite positions; returns one HTML string per citation."""
        positioned = assign_positions(citations, self.style)
        return [self.citation(cites) for cites in positioned]

    def bibliography(self) -> list[tuple[str, str]]:
        layout = self.style.layout("bibliography")
        if layout is None:
            return []
        second_field = self.style.section_option("bibliography", "second-field-align")
        entries = []
        substitute = SubsequentAuthor(self.style)
        for item_id in self.bib_order:
            ctx = self.context(self.items[item_id], "bibliography")
            ctx.disambiguate = bool(getattr(self, "disambiguation", {}).get(item_id, {}).get("disambiguate"))
            if second_field:
                # second-field-align: the first element in the margin, the rest beside it.
                kids = children(layout)
                first = render(kids[0], ctx) if kids else None
                rest = Output([n for n in (render(k, ctx) for k in kids[1:]) if n is not None],
                              display="right-inline")
                decorate(rest, {k: v for k, v in layout.attrib.items() if k not in ("prefix", "delimiter")})
                margin = Output([first] if first is not None else [], display="left-margin")
                html = to_html(Output([margin, rest]), self.quotes)
            else:
                node = render_children(layout, ctx)
                if not self._english(ctx.item):
                    _no_title_case(node)
                    for_language(node, ctx.item.get("language") or "")
                substitute(node)
                decorate(node, {k: v for k, v in layout.attrib.items() if k != "delimiter"})
                if node.empty():  # an entry that prints nothing is left out
                    continue
                html = to_html(node, self.quotes)
            entries.append((item_id, html))
        return entries

    def plain(self, node: Output) -> str:
        return to_plain(node)


def _cite_key(item_id: str, cite: dict) -> tuple:
    """What a cite's rendering depends on, besides the item: the cite fields that
    ``Context.value``, conditions, labels and et-al read."""
    return (item_id, bool(cite.get("suppress-author")), cite.get("locator"), cite.get("label"),
            cite.get("position", "first"), cite.get("near-note"), cite.get("first-reference-note-number"))


class _LazyKeys:
    """An item's sort keys, each worked out the first time a comparison reaches it: most
    comparisons are decided by the first key or two.  Keys are worked out in order, with
    one context, as a list of them would be."""

    def __init__(self, keys: list, ctx: Context):
        self.keys, self.ctx, self.values = keys, ctx, []

    def __iter__(self):
        values = self.values
        for n, key in enumerate(self.keys):
            if n == len(values):
                values.append(key_value(key, self.ctx))
            yield values[n]


def _affix(text: str) -> Output:
    """A cite's prefix or suffix as the author typed it: its quotes keep their punctuation."""
    node = rich(text)
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Output):
            if current.quotes:
                current.tag = "fixed-quote" + current.tag  # the quote mark typed
            stack.extend(current.children)
    return node


def _delimiter(delimiter: str, previous: dict, cite: dict) -> str:
    """The layout delimiter between two cites; a cite's own affix punctuation wins over it
    ("Book A, cited in Book B", not "Book A; , cited in Book B")."""
    if (cite.get("prefix") or "")[:1] in (",", ";", ".", ":"):
        return ""
    if (previous.get("suffix") or "").rstrip()[-1:] in (",", ";", ".", ":", "!", "?"):
        return delimiter.lstrip(",;.: ") or " "
    return delimiter


def _layout(node: Output, layout, affixes: bool = True) -> Output:
    """The citation layout's decorations: unlike other elements', its affixes sit inside its
    formatting ("<b>([1]–[3])</b>")."""
    if affixes:
        node.prefix, node.suffix = layout.get("prefix", ""), layout.get("suffix", "")
    outer = Output([node])
    decorate(outer, {k: v for k, v in layout.attrib.items() if k not in ("delimiter", "prefix", "suffix")})
    return outer


class SubsequentAuthor:
    """subsequent-author-substitute (spec: "Reference Grouping"): the names that open an
    entry, when equal to the previous entry's, are replaced by the substitute string."""

    def __init__(self, style):
        bib = style.bibliography
        self.text = bib.get("subsequent-author-substitute") if bib is not None else None
        self.rule = bib.get("subsequent-author-substitute-rule", "complete-all") if bib is not None else ""
        self.previous = None  # (plain text, [names' plain texts])

    def __call__(self, entry) -> None:
        if self.text is None:
            return
        node = first_tagged(entry, "names")
        if node is None:
            self.previous = None
            return
        names = [n for n in all_tagged(node, "name")]
        # The names are compared without their label ("ed."), which stays when they go.
        lists = all_tagged(node, "name-list")
        whole = to_plain(Output(lists, delimiter="|")) if lists else \
            to_plain(Output(node.children, delimiter=node.delimiter))
        current = (whole, [to_plain(n) for n in names])
        previous, self.previous = self.previous, current
        if previous is None:
            return
        if self.rule == "complete-all" or not names:  # a substituted title goes whole
            if current[0] == previous[0]:
                if len(lists) == 1 and self.text:
                    lists[0].children, lists[0].delimiter = [Text(self.text)], ""
                    return
                node.children = [Text(self.text)] if self.text else []
                if not self.text:
                    node.prefix = node.suffix = ""
            return
        if self.rule == "complete-each" and current[0] != previous[0]:
            return
        for n, (name, text) in enumerate(zip(names, current[1])):
            if n >= len(previous[1]) or previous[1][n] != text:
                break
            name.children = [Text(self.text)]
            if self.rule == "partial-first":
                break


def _capitalize_leading_term(node) -> None:
    """A term that opens a note ("ibid.") starts a sentence: capitalize it."""
    in_term = False
    while isinstance(node, Output):
        if node.prefix:
            return
        in_term = in_term or node.tag == "term"
        live = node.live()
        if not live:
            return
        node = live[0]
    if in_term and isinstance(node, Text) and node.text[:1].islower():
        node.text = node.text[0].upper() + node.text[1:]


def _no_title_case(node) -> None:
    """Title case is for English only (spec: "Title case conversion"); a label's term is in
    the style's language, so it keeps it ("(Ed.)" in APA), as in pandoc's citeproc."""
    if isinstance(node, Output):
        if node.text_case == "title" and node.tag not in ("label", "name-label"):
            node.text_case = ""
        for child in node.children:
            _no_title_case(child)


def bibliography_html(entries: list[tuple[str, str]]) -> str:
    body = "\n".join(f'  <div class="csl-entry">{html}</div>' for _, html in entries)
    return f'<div class="csl-bib-body">\n{body}\n</div>'


__all__ = ["Processor", "bibliography_html"]
