"""The print edition's page numbers in the EPUB: a ``page-list`` for citing "p. 7".

The PDF writer lays the brief out once; :func:`locate` then walks each laid-out page and
lists the block elements that *start* on it, each named by a locator that survives the
trip from the print HTML to the EPUB's XHTML files: the element's own id, or the nearest
ancestor with an id plus the element's tag and ordinal below that ancestor (both writers
print the same chapter bodies, so the ordinals agree), or, as a last resort, the class of
the enclosing section.  A page that opens inside a paragraph begun on the page before is
named by that paragraph and the number of its characters already printed.  :func:`insert`
finds the first locator of each page in the EPUB documents and puts a ``pagebreak`` marker
before that element, or between the words of the paragraph where the page begins.

The map is kept in the build cache, keyed by the print HTML, so an EPUB-only build after a
PDF build still gets the page list without laying the PDF out again; an EPUB built without
any earlier PDF build of the same content has no page list (and claims none in its metadata).
"""

from __future__ import annotations

from lxml import etree

from .cache import digest

# The elements a page break is placed before (or, for list items and cells, inside).
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figure", "table", "blockquote", "pre",
          "div", "dt", "dd", "tr", "aside"}
INSIDE = {"li", "dt", "dd", "tr"}  # a span may not stand between these and their parent
WITHIN = {"p", "li", "dd", "dt"}  # a page may open inside these: the marker goes between words
CANDIDATES_PER_PAGE = 40
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_NS = "http://www.idpf.org/2007/ops"

PageMap = list[list[tuple]]  # per page, in page order: its locators, best first


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _locators(root) -> dict:
    """Every block element of a tree (ElementTree or lxml) → its locator."""
    found = {}
    counters: dict[tuple, int] = {}

    def walk(el, anchor, section):
        tag = _local(el.tag)
        ident = el.get("id")
        if tag in BLOCKS or tag == "section":
            if ident:
                found[el] = ("#", ident)
            elif anchor is not None and tag in BLOCKS:
                n = counters.get((anchor, tag), 0)
                counters[(anchor, tag)] = n + 1
                found[el] = (anchor, tag, n)
            if tag == "section" and el.get("class"):
                found.setdefault(el, ("section", el.get("class")))
        if tag == "section" and el.get("class"):
            section = el.get("class")
        for child in el:
            if isinstance(child.tag, str):
                walk(child, ident or anchor, section)

    walk(root, None, None)
    return found


def locate(document) -> PageMap:
    """Per page of a laid-out WeasyPrint document, the locators of the blocks starting on it."""
    pages = document.pages
    root = None
    for box in pages[0]._page_box.descendants():
        if box.element is not None:
            root = box.element
            break
    if root is None:
        return []
    locators = _locators(root)
    sections = {}  # element → class of the nearest enclosing section

    def mark(el, section):
        if _local(el.tag) == "section" and el.get("class"):
            section = el.get("class")
        sections[el] = section
        for child in el:
            if isinstance(child.tag, str):
                mark(child, section)

    mark(root, None)
    seen: set = set()
    chars: dict = {}  # block element → non-space characters of it laid out so far
    result: PageMap = []
    for page in pages:
        starting, first_section = [], None
        earlier = set(seen)
        for box in page._page_box.descendants():
            el = box.element
            if el is None:
                continue
            if type(box).__name__ == "LineBox" and _local(el.tag) in WITHIN and el in locators:
                if el in earlier and not starting and first_section is None:
                    # the page opens inside a paragraph that began on an earlier page
                    starting.append(("in", locators[el], chars.get(el, 0)))
                chars[el] = chars.get(el, 0) + sum(len("".join(b.text.split())) for b in box.descendants()
                                                   if type(b).__name__ == "TextBox")
            if el in seen:
                continue
            seen.add(el)
            if first_section is None and box.element_tag in BLOCKS | {"section"}:
                first_section = sections.get(el)
            loc = locators.get(el)
            if loc is not None and loc[0] != "section" and len(starting) < CANDIDATES_PER_PAGE:
                starting.append(loc)
        if first_section:
            starting += [("section", cls) for cls in first_section.split()]
        result.append(starting)
    return result


def key(print_html: str) -> str:
    return digest("page-map", print_html)


def recall(cache, print_html: str) -> PageMap | None:
    return cache.get("page-maps", key(print_html)) if cache is not None else None


def insert(docs, page_map: PageMap) -> list[tuple[str, str, str]]:
    """Put a page-break marker into the documents for every page of the map.

    ``docs`` have ``name`` and ``xhtml``; the changed ones are re-serialised.  Returns
    ``(label, file name, id)`` per page, in page order, for the nav's page-list.
    """
    trees, index, sections = [], {}, {}
    for d, doc in enumerate(docs):
        root = etree.fromstring(doc.xhtml.encode("utf-8"))
        trees.append(root)
        order = {el: n for n, el in enumerate(root.iter())}
        for el, loc in _locators(root).items():
            pos = (d, order[el])
            if loc[0] == "section":
                for cls in loc[1].split():
                    sections.setdefault(cls, []).append((pos, el))
            else:
                index.setdefault(loc, (pos, el))
    targets: list[tuple] = []  # (position, element, characters into it or None) per page
    previous = None
    for candidates in page_map:
        chosen = None
        for loc in candidates:
            offset = None
            if loc[0] == "in":
                loc, offset = loc[1], loc[2]
            options = sections.get(loc[1], []) if loc[0] == "section" else [index[loc]] if loc in index else []
            for pos, el in options:
                if previous is None or pos >= previous[0]:
                    chosen = (pos, el, offset)
                    break
            if chosen:
                break
        if chosen is None and previous is None:  # the first page is nowhere: the first block
            body = trees[0].find(f"{XHTML}body")
            if body is None or not len(body):
                return []
            chosen = ((0, 0), body[0], None)
        elif chosen is None:  # nothing of this page reached the EPUB: right after the last marker
            chosen = (previous[0], previous[1], None)
        targets.append(chosen)
        previous = chosen
    taken = {el.get("id") for root in trees for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    pages, changed = [], set()
    placed: dict = {}  # element → markers already placed at it (to keep page order)
    for number, (pos, el, offset) in enumerate(targets, start=1):
        ident = f"page-{number}" if f"page-{number}" not in taken else f"print-page-{number}"
        marker = etree.Element(f"{XHTML}span", {f"{{{EPUB_NS}}}type": "pagebreak", "role": "doc-pagebreak",
                                                "id": ident, "aria-label": str(number)})
        before = placed.setdefault(el, [])
        if offset is None or before or not _place_within(el, marker, offset):
            _place(el, marker, before)
        else:
            before.append(marker)
        changed.add(pos[0])
        pages.append((str(number), docs[pos[0]].name, ident))
    for d in sorted(changed):
        docs[d].xhtml = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
                         + etree.tostring(trees[d], encoding="unicode") + "\n")
    return pages


def _place(el, marker, before: list) -> None:
    if before:  # after the markers already at this element
        last = before[-1]
        last.addnext(marker)
        marker.tail, last.tail = last.tail, None
    elif _local(el.tag) in INSIDE:
        host = el
        if _local(el.tag) == "tr":
            cells = [c for c in el if _local(c.tag) in ("td", "th")]
            host = cells[0] if cells else el
        marker.tail, host.text = host.text, None
        host.insert(0, marker)
    else:
        el.addprevious(marker)
        marker.tail = None
    before.append(marker)


def _place_within(el, marker, offset: int) -> bool:
    """Put ``marker`` at the start of the word after ``offset`` non-space characters of
    ``el``'s text; False when the text is shorter (the marker then goes before ``el``)."""
    slots = [(el, "text")]
    for node in el.iterdescendants():
        slots += [(node, "text"), (node, "tail")]
    count = 0
    for node, which in slots:
        text = getattr(node, which) or ""
        for i, ch in enumerate(text):
            if ch.isspace():
                if count >= offset and i + 1 < len(text) and not text[i + 1].isspace():
                    _split(node, which, i + 1, marker)
                    return True
                continue
            count += 1
    return False


def _split(node, which: str, at: int, marker) -> None:
    text = getattr(node, which)
    setattr(node, which, text[:at])
    marker.tail = text[at:]
    if which == "text":
        node.insert(0, marker)
    else:
        node.addnext(marker)
        node.tail = text[:at]
