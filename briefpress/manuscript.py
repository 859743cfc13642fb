"""The chapters: Markdown files read with Python-Markdown and our extensions into the model.

Each chapter becomes a :class:`~briefpress.model.Chapter` holding body HTML with
placeholders (citations, cross-references, note calls, figure numbers) that the transforms
fill once the whole publication has been read.  Nothing here knows about PDF or EPUB.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from pathlib import Path

import markdown
from markdown.extensions import Extension
from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.treeprocessors import Treeprocessor

from .anchors import anchor
from .citations import CitationExtension, is_label, key_lines
from .errors import Report
from .model import Chapter, Citation, Figure, Heading, Note

HAN = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")


class FigureTreeprocessor(Treeprocessor):
    """A paragraph holding only an image with ``{#fig:… alt="…" source="…"}`` becomes a figure.

    Runs before attr_list (8), which would otherwise overwrite the caption (the image's
    bracket text) with the ``alt`` attribute.
    """

    def __init__(self, md, state):
        super().__init__(md)
        self.state = state

    def run(self, root):
        for parent in root.iter():
            for index, p in enumerate(list(parent)):
                if p.tag != "p" or len(p) != 1 or (p.text or "").strip() or p[0].tag != "img":
                    continue
                img = p[0]
                attrs, rest = ({}, img.tail or "")
                m = re.match(r"\s*\{:?([^}]*)\}", rest)
                if m:
                    pairs, _ = get_attrs_and_remainder(m.group(1))
                    attrs = dict(pairs)
                    rest = rest[m.end():]
                if rest.strip():
                    continue  # an image inside running text stays an inline image
                label = attrs.pop("#", None) or attrs.pop("id", "")
                caption = img.get("alt", "")
                figure = etree.Element("figure", {"class": "figure"})
                if label:
                    figure.set("id", label)
                image = etree.SubElement(figure, "img", {"src": img.get("src", ""), "alt": attrs.get("alt", caption)})
                if "width" in attrs:
                    image.set("style", f"width: {attrs['width']}")
                figcaption = etree.SubElement(figure, "figcaption")
                number = etree.SubElement(figcaption, "span", {"class": "figure-label"})
                number.set("data-figure", label or f"unlabelled-{len(self.state)}")
                number.tail = " " + caption
                if attrs.get("source"):
                    source = etree.SubElement(figcaption, "span", {"class": "figure-source"})
                    source.text = f"{self.md.source_word}: {attrs['source']}"
                self.state.append((label, img.get("src", ""), caption, attrs))
                parent.remove(p)
                parent.insert(index, figure)


class NoteTreeprocessor(Treeprocessor):
    """Turns the footnotes extension's list into ``<aside class="note">`` items and note calls
    into placeholders, so that each writer can print notes its own way."""

    def run(self, root):
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "div" and child.get("class") == "footnote":
                    parent.remove(child)
                    container = etree.SubElement(parent, "div", {"class": "notes-pending"})
                    for li in child.iter("li"):
                        for a in list(li.iter("a")):
                            if a.get("class") == "footnote-backref":
                                _remove(li, a)
                        aside = etree.SubElement(container, "aside", {"class": "note", "data-note": li.get("id", "")[3:]})
                        aside.text, aside[:] = li.text, list(li)
        for sup in root.iter("sup"):
            a = sup.find("a")
            if a is not None and a.get("class") == "footnote-ref":
                note_id = a.get("href", "#fn:")[4:]
                sup.clear()
                sup.tag = "span"
                sup.set("class", "noteref-pending")
                sup.set("data-note", note_id)


def _remove(root, target):
    for parent in root.iter():
        if target in list(parent):
            if target.tail:
                prev = list(parent).index(target)
                if prev:
                    parent[prev - 1].tail = (parent[prev - 1].tail or "") + target.tail
                else:
                    parent.text = (parent.text or "") + target.tail
            parent.remove(target)
            return


class LanguageTreeprocessor(Treeprocessor):
    """Marks runs of Chinese characters with ``lang`` so the right glyphs are chosen and
    screen readers switch language."""

    def __init__(self, md, lang):
        super().__init__(md)
        self.lang = lang

    def run(self, root):
        for el in list(root.iter()):
            if el.get("lang"):
                continue
            if el.text and HAN.search(el.text):
                text, el.text = el.text, None
                self._split(el, text, at=0)
            for i, child in enumerate(list(el)):
                if child.tail and HAN.search(child.tail):
                    tail, child.tail = child.tail, None
                    self._split(el, tail, at=list(el).index(child) + 1, after=child)

    def _split(self, el, text, at, after=None):
        pieces = HAN.split(text)
        runs = HAN.findall(text)
        if after is None:
            el.text = pieces[0]
        else:
            after.tail = pieces[0]
        for run, following in zip(runs, pieces[1:]):
            span = etree.Element("span", {"lang": self.lang})
            span.text = run
            span.tail = following
            el.insert(at, span)
            at += 1


class IdTreeprocessor(Treeprocessor):
    """Ids become XML names (``sec:history`` -> ``sec-history``); runs after attr_list (8)
    and before toc (5), so the table of contents sees the final ids."""

    def run(self, root):
        for el in root.iter():
            if el.get("id"):
                el.set("id", anchor(el.get("id")))


class BriefExtension(Extension):
    def __init__(self, lang, **kwargs):
        self.lang = lang
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        self.figures: list = []
        md.figures = self.figures
        md.treeprocessors.register(FigureTreeprocessor(md, self.figures), "brief_figure", 9)
        md.treeprocessors.register(NoteTreeprocessor(md), "brief_notes", 14)
        md.treeprocessors.register(LanguageTreeprocessor(md, self.lang), "brief_lang", 7)
        md.treeprocessors.register(IdTreeprocessor(md), "brief_ids", 6)
        md.registerExtension(self)

    def reset(self):
        self.figures.clear()


def markdown_converter(cjk_language: str, source_word: str = "Source") -> markdown.Markdown:
    md = markdown.Markdown(
        extensions=["attr_list", "footnotes", "tables", "fenced_code", "sane_lists", "toc",
                    CitationExtension(), BriefExtension(cjk_language)],
        extension_configs={"toc": {"permalink": False}},
        output_format="xhtml",
    )
    md.source_word = source_word
    return md


NOTE = re.compile(r'<aside class="note" data-note="([^"]*)">(.*?)</aside>', re.DOTALL)


def read_chapter(path: Path, md: markdown.Markdown, report: Report, index: int) -> Chapter | None:
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        report.error("not valid UTF-8; save the chapter as UTF-8", path, line)
        return None
    source = source.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    md.reset()
    body = md.convert(source)
    lines = key_lines(source)
    used: dict[str, int] = {}

    def line_of(key: str) -> int | None:
        found = lines.get(key, [])
        n = used.get(key, 0)
        used[key] = n + 1
        return found[min(n, len(found) - 1)] if found else None

    # Patterns find bracketed citations before narrative ones; reading order is the order
    # of the placeholders in the output (it decides numbering in numeric styles).
    def position(slot: int) -> int:
        at = body.find(f'data-pending="{slot}"')
        return at if at >= 0 else len(body)

    citations = []
    for slot in sorted(range(1, len(md.citations) + 1), key=position):
        items, narrative = md.citations[slot - 1]
        if all(is_label(i.key) for i in items):
            continue
        citations.append(Citation(number=0, items=items, narrative=narrative, path=path,
                                  line=line_of(items[0].key), slot=slot))
    headings = [Heading(t["level"], t["id"], t["name"], t["html"]) for t in _flatten(md.toc_tokens)]
    chapter_id = f"ch{index:02d}"
    title, title_html = path.stem, html.escape(path.stem)
    m = re.match(r"\s*<h1([^>]*)>(.*?)</h1>\s*", body, re.DOTALL)
    if m:
        title_html = m.group(2)
        title = re.sub(r"<[^>]+>", "", title_html)
        id_match = re.search(r'id="([^"]+)"', m.group(1))
        if id_match:
            chapter_id = id_match.group(1)
        body = body[m.end():]
        headings = [h for h in headings if h.level > 1]
    else:
        report.warning("the chapter does not start with a '# Title' heading; its file name is used",
                       path, 1)
    notes = [Note(id=f"fn-{_safe(chapter_id)}-{_safe(nid)}", key=nid,
                  html=re.sub(r"(&#160;|\u00a0|\s)+(</p>)?\s*$", r"\2", content.strip()))
             for nid, content in NOTE.findall(body)]
    body = re.sub(r'<div class="notes-pending">.*?</div>\s*$', "", body, flags=re.DOTALL)
    for note in notes:
        body = body.replace(f'<span class="noteref-pending" data-note="{note.key}"></span>',
                            f'<span class="noteref-pending" data-note="{note.id}"></span>')
    figures = [
        Figure(label=label, src=src, caption_html=html.escape(caption), alt=attrs.get("alt", caption),
               source_html=html.escape(attrs.get("source", "")), path=path,
               line=_line_of_text(source, "{#" + label) if label else None, chapter_id=chapter_id)
        for label, src, caption, attrs in md.figures
    ]
    for fig in figures:
        if not fig.alt.strip():
            report.warning(f"figure '{fig.label or fig.src}' has no alt text", path, fig.line)
    return Chapter(path=path, id=chapter_id, title=title, title_html=title_html, html=body,
                   headings=headings, citations=citations, figures=figures, notes=notes,
                   crossrefs=[(slot, items) for slot, (items, _n) in enumerate(md.citations, start=1)
                              if all(is_label(i.key) for i in items)], source=source)


def _safe(text: str) -> str:
    return re.sub(r"[^\w-]", "-", text)


def _line_of_text(source: str, needle: str) -> int | None:
    at = source.find(needle)
    return source.count("\n", 0, at) + 1 if at >= 0 else None


def _flatten(tokens):
    for t in tokens:
        yield t
        yield from _flatten(t.get("children", []))


def read_chapters(project, metadata, report: Report) -> list[Chapter]:
    from .crossrefs import words

    md = markdown_converter(metadata.cjk_language, words(metadata.language)["source"])
    chapters = []
    for index, name in enumerate(metadata.chapters, start=1):
        chapter = read_chapter(project.manuscript / name, md, report, index)
        if chapter is not None:
            chapters.append(chapter)
    return chapters
