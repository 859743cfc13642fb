"""briefpress's citation interface on the project's own processor.

``CslFormatter.format(citations, references)`` is the interface of ``briefpress.citeformat``:
the HTML of every citation, in order, and the reference list in the
style's order.  Each cite links to its entry; a narrative citation ("Doe (2020)") is the
author alone followed by the suppress-author citation.
"""

from __future__ import annotations

import re

from lxml import etree

from ..anchors import reference_anchor
from ..citeformat import Formatted, style_path
from ..errors import BriefError
from ..model import Citation, CiteItem, Reference
from .processor import Processor
from .style import Style, StyleError


class CslFormatter:
    """Formats citations and the reference list with briefpress.csl."""

    def __init__(self, style: str, locale: str = "en-US"):
        self.path = style_path(style)
        try:
            self.style = Style.from_path(self.path)
        except (StyleError, ValueError, etree.LxmlError) as exc:
            line = getattr(exc, "line", None) or getattr(exc, "lineno", None)
            message = str(exc).split(": ", 1)[1] if isinstance(exc, StyleError) and line else str(exc)
            message = re.sub(r"\s*\(<string>, line \d+\)$", "", message)
            raise BriefError(f"citation style cannot be used: {message}", path=self.path, line=line) from None
        self.locale = locale

    def prepare(self) -> None:
        """Loads and merges the locale files ahead of the first :meth:`format` (they are
        kept for the process), for a caller that has time to spare before the citations."""
        self.style.locale(self.locale)

    def _cite(self, item: CiteItem, **extra) -> dict:
        cite = {"id": item.key, "prefix": item.prefix.strip() + " " if item.prefix.strip() else "", "suffix": _suffix(item.suffix),
                "link": "#" + reference_anchor(item.key)}
        if item.locator:
            cite["locator"], cite["label"] = item.locator, item.label or "page"
        if item.suppress_author:
            cite["suppress-author"] = True
        cite.update(extra)
        return cite

    def format(self, citations: list[Citation], references: list[Reference]) -> Formatted:
        proc = Processor(self.style, self.locale)
        proc.add_items([dict(ref.csl, id=ref.key) for ref in references])
        for citation in citations:
            proc.register(item.key for item in citation.items)
        proc.register(ref.key for ref in references)
        proc.finalize()
        # The citations in reading order through one call, so that positions (ibid,
        # subsequent, near-note) follow the document; narrative ones are composed.
        plain = [c for c in citations if not c.narrative]
        rendered = dict(zip(map(id, plain), proc.cite_all(
            [([self._cite(item) for item in c.items], c.note) for c in plain])))
        out = []
        for citation in citations:
            if citation.narrative:
                out.append(self._narrative(proc, citation, [self._cite(item) for item in citation.items]))
            elif self.style.cls == "note" and (citation.own_note or not citation.note):
                # A citation that is a footnote of its own (in running text, it becomes one)
                # starts a sentence: "Van Gennep, Rites, 5.", as pandoc prints it.
                out.append(capitalize_first(rendered[id(citation)]))
            else:
                out.append(rendered[id(citation)])
        # The test suite's layout whitespace (second-field-align) means nothing in a page.
        entries = [(key, _named(re.sub(r"[ \t\r\n]+", " ", html).strip())) for key, html in proc.bibliography()]
        return Formatted([_named(html) for html in out], entries)

    def _narrative(self, proc: Processor, citation: Citation, cites: list[dict]) -> str:
        parts = []
        for cite in cites:
            author = proc.citation([dict(cite, **{"author-only": True, "prefix": "", "suffix": ""})],
                                 layout_affixes=False)
            if citation.author_only:  # the rest is in a note (note styles)
                parts.append(author)
                continue
            rest = proc.citation([dict(cite, **{"suppress-author": True})])
            parts.append(f"{author} {rest}" if author else rest)
        return "; ".join(parts)


def _suffix(text: str) -> str:
    """A suffix keeps its own leading punctuation (", especially"); a word gets a space."""
    text = text.strip()
    if not text:
        return ""
    return text if text[0] in ",;.:" else " " + text


_FIRST_WORD = re.compile(r"^((?:<(?!sup|sub|span style=\"font-variant)[^>]*>)*)([^\W\d_]\w*)")


def capitalize_first(html: str) -> str:
    """Capitalize the first word of a citation's HTML when it is all lowercase ("van
    Gennep" → "Van Gennep"), as pandoc does for a note; a mixed-case word ("iPhone") and
    text in small caps, superscript or subscript keep their case."""
    m = _FIRST_WORD.match(html)
    if not m or not m.group(2).islower():
        return html
    word = m.group(2)
    return html[:m.start(2)] + word[0].upper() + word[1:] + html[m.end(2):]


_NAMED = {"&#38;": "&amp;", "&#60;": "&lt;", "&#62;": "&gt;"}


def _named(html: str) -> str:
    """The processor escapes as citeproc-js does ("&#60;", as the CSL test suite expects); a
    book's pages use the named entities ("&lt;b&gt;")."""
    return re.sub(r"&#(?:38|60|62);", lambda m: _NAMED[m.group()], html) if "&#" in html else html
