"""The processor: registers items and citations, numbers, sorts and disambiguates them,
and renders citations and the bibliography through the style's layouts.

Data in is CSL-JSON (dicts); a citation is a list of cite dicts (``id``, ``locator``,
``label``, ``prefix``, ``suffix``, ``suppress-author``, ``author-only``).  Output is HTML.
"""

from __future__ import annotations

from .collapse import collapse
from .disambiguation import disambiguate, state_for
from .ir import Output, Text, all_tagged, decorate, first_tagged
from .markup import rich
from .output import to_html, to_plain
from .render import Context, render, render_children
from .sorting import key_value, sort_items
from .style import Style, children

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

    # -- registration ---------------------------------------------------------------------
    def add_items(self, items: list[dict]) -> None:
        for item in items:
            self.items[str(item["id"])] = dict(item, id=str(item["id"]))

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
        return ordered

    def _sorts_by_number(self, mode: str) -> bool:
        return any(k.get("variable") == "citation-number" for k in self.style.sort_keys(mode))

    def _sorted(self, ids: list[str], mode: str, cites: dict | None = None) -> list[str]:
        keys = self.style.sort_keys(mode)
        if not keys:
            return ids
        directions = [k.get("sort") == "descending" for k in keys]

        def keys_for(i):
            ctx = self.context(self.items[i], mode, (cites or {}).get(i))
            return [key_value(k, ctx) for k in keys]

        return sort_items(ids, keys_for, directions)

    # -- rendering --------------------------------------------------------------------------
    def render_item(self, item_id: str, mode: str, cite: dict | None = None, **state) -> Output:
        ctx = self.context(self.items[item_id], mode, cite)
        for k, v in state.items():
            setattr(ctx, k, v)
        layout = self.style.layout(mode)
        node = render_children(layout, ctx)
        if not self._english(ctx.item):
            _no_title_case(node)
        return node

    def _english(self, item: dict) -> bool:
        lang = item.get("language") or ""
        if lang:
            return lang.lower().startswith("en")
        return self.locale.lang.lower().startswith("en")

    def citation(self, cites: list[dict], layout_affixes: bool = True) -> str:
        layout = self.style.layout("citation")
        cites = [c for c in cites if str(c["id"]) in self.items]
        if self.style.sort_keys("citation"):
            by_id = {str(c["id"]): c for c in cites}
            order = self._sorted(list(by_id), "citation", by_id)
            cites = [by_id[i] for i in order]
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
        state = state_for(self, item_id)
        if cite.get("suppress-author"):
            state["suppress_author"] = True
        node = self.render_item(item_id, "citation", cite, **state)
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
                substitute(node)
                decorate(node, {k: v for k, v in layout.attrib.items() if k != "delimiter"})
                if node.empty():  # an entry that prints nothing is left out
                    continue
                html = to_html(node, self.quotes)
            entries.append((item_id, html))
        return entries

    def plain(self, node: Output) -> str:
        return to_plain(node)


def _affix(text: str) -> Output:
    """A cite's prefix or suffix as the author typed it: its quotes keep their punctuation."""
    node = rich(text)
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Output):
            if current.quotes:
                current.tag = "fixed-quote"
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
        current = (to_plain(Output(node.children, delimiter=node.delimiter)), [to_plain(n) for n in names])
        previous, self.previous = self.previous, current
        if previous is None:
            return
        if self.rule == "complete-all":
            if current[0] == previous[0]:
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
    """Title case is for English only (spec: "Title case conversion")."""
    if isinstance(node, Output):
        if node.text_case == "title":
            node.text_case = ""
        for child in node.children:
            _no_title_case(child)


def assign_positions(citations, style) -> list[list[dict]]:
    """Positions (spec: "Position"): first, subsequent, ibid, ibid-with-locator, near-note."""
    distance = int(style.section_option("citation", "near-note-distance", "5") or 5)
    first_note: dict[str, int] = {}
    last_note: dict[str, int] = {}
    previous: list[dict] = []  # the cites of the previous note (or in-text citation)
    current: list[dict] = []
    current_note = None
    last_citation: list[dict] = []
    out = []
    for cites, note in citations:
        # Ibid looks back at the citation before in the same note, or else at the whole
        # previous note: several citations there make the reference ambiguous.
        if note and note == current_note:
            previous = last_citation
        else:
            previous, current = current, []
        current_note = note
        done = []
        for n, cite in enumerate(cites):
            cite = dict(cite)
            item = str(cite["id"])
            before = done[-1] if n else (previous[0] if len(previous) == 1 else None)
            if item not in first_note:
                cite["position"] = "first"
            elif before is not None and str(before["id"]) == item:
                loc, prev_loc = cite.get("locator"), before.get("locator")
                if not loc and not prev_loc:
                    cite["position"] = "ibid"
                elif loc and (loc != prev_loc or cite.get("label", "page") != before.get("label", "page")):
                    cite["position"] = "ibid-with-locator"
                elif loc:
                    cite["position"] = "ibid"
                else:
                    cite["position"] = "subsequent"
            else:
                cite["position"] = "subsequent"
            if item in first_note:
                cite["first-reference-note-number"] = first_note[item]
                cite["near-note"] = bool(note) and note - last_note.get(item, -999) <= distance
            else:
                first_note[item] = note
            last_note[item] = note
            done.append(cite)
        current += done
        last_citation = done
        out.append(done)
    return out


def bibliography_html(entries: list[tuple[str, str]]) -> str:
    body = "\n".join(f'  <div class="csl-entry">{html}</div>' for _, html in entries)
    return f'<div class="csl-bib-body">\n{body}\n</div>'


__all__ = ["Processor", "bibliography_html"]
