"""The lists of figures and of tables (``lists: [figures, tables]`` in publication.yaml):
their entries, as both writers print them, in the front matter.

An entry is the number ("Figure 2.1") and the caption, linked to the figure.  Captions
lose what cannot sit inside a link or does not belong in a list: citations, note calls
and links; emphasis and language spans stay.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

from markupsafe import Markup

from .anchors import anchor
from .crossrefs import words
from .model import Publication

EPUB_TYPES = {"figures": "loi", "tables": "lot"}  # EPUB structural semantics
KEEP = {"em", "strong", "i", "b", "sub", "sup", "code", "span"}
DROP_CLASSES = {"citation", "noteref-pending", "footnote", "noteref"}


def entries(publication: Publication) -> list[dict]:
    """One dict per list asked for (and not empty): id, title, epub_type, entries."""
    meta = publication.metadata
    w = words(meta.language, meta.crossref_words)
    found = []
    for name in meta.lists:
        kind = "fig" if name == "figures" else "tbl"
        items = [item for chapter in publication.chapters
                 for item in (chapter.figures if kind == "fig" else chapter.tables) if item.label]
        if not items:
            continue
        found.append({
            "id": f"list-of-{name}", "name": name, "title": w[name], "epub_type": EPUB_TYPES[name],
            "entries": [{"href": "#" + anchor(item.label), "number": f"{w[kind][0]}\u00a0{item.display}",
                         "caption": Markup(caption_for_list(item.caption_html))} for item in items],
        })
    return found


def caption_for_list(caption_html: str) -> str:
    parser = _ListCaption()
    parser.feed(caption_html)
    parser.close()
    return " ".join("".join(parser.out).split())


class _ListCaption(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, kept, dropped)

    @property
    def dropping(self) -> bool:
        return any(dropped for _tag, _kept, dropped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        drop = bool(set((attrs.get("class") or "").split()) & DROP_CLASSES)
        keep = tag in KEEP and not drop and not self.dropping and (tag != "span" or "lang" in attrs)
        if keep:
            lang = f' lang="{html.escape(attrs["lang"])}"' if attrs.get("lang") else ""
            self.out.append(f"<{tag}{lang}>")
        if tag not in ("br", "img", "wbr"):
            self.stack.append((tag, keep, drop))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, kept, _dropped = self.stack.pop()
            if kept:
                self.out.append(f"</{open_tag}>")
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))
