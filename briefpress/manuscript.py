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
from markdown.treeprocessors import Treeprocessor

from . import charts, limits
from .anchors import anchor
from .citations import CitationExtension, is_label, key_lines
from .errors import Report
from .figures import CaptionTreeprocessor, FigureTreeprocessor
from .model import Chapter, Citation, Figure, Heading, Note, Table
from .sanitize import SanitizeExtension
from .tables import CaptionPreprocessor, TableTreeprocessor

HAN = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")


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


class ChapterContext:
    """What the extensions may know of the chapter being converted: its source (to give
    lines to diagnostics), the report, and the resources (CSV tables are read at once)."""

    def __init__(self, path: Path | None = None, source: str = "", report: Report | None = None,
                 resources=None):
        self.path, self.source, self.resources = path, source, resources
        self.report = report if report is not None else Report()
        self._seen: dict[str, int] = {}

    def line(self, needle: str) -> int | None:
        """The line of ``needle``; asked again for the same text, the next occurrence."""
        at, n = -1, self._seen.get(needle, 0)
        for _ in range(n + 1):
            found = self.source.find(needle, at + 1)
            if found < 0:
                break
            at = found
        self._seen[needle] = n + 1
        return self.source.count("\n", 0, at) + 1 if at >= 0 else None

    def warn(self, message: str, needle: str) -> None:
        self.report.warning(message, self.path, _line_of_text(self.source, needle))

    def error(self, message: str, needle: str) -> None:
        self.report.error(message, self.path, _line_of_text(self.source, needle))


class BriefExtension(Extension):
    def __init__(self, lang, **kwargs):
        self.lang = lang
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        self.figures: list = []
        self.tables: list = []
        self.captions: dict = {}
        md.figures, md.tables, md.captions = self.figures, self.tables, self.captions
        md.chapter = ChapterContext()
        # After fenced_code (25) has set code blocks aside, so no caption is found in code.
        md.preprocessors.register(CaptionPreprocessor(md), "brief_table_captions", 15)
        # Before 'inline' (20): captions are still Markdown; see the processors' docstrings.
        md.treeprocessors.register(TableTreeprocessor(md, self.tables), "brief_tables", 31)
        md.treeprocessors.register(FigureTreeprocessor(md, self.figures), "brief_figure", 30)
        md.treeprocessors.register(NoteTreeprocessor(md), "brief_notes", 14)
        md.treeprocessors.register(LanguageTreeprocessor(md, self.lang), "brief_lang", 7)
        md.treeprocessors.register(IdTreeprocessor(md), "brief_ids", 6)
        # Last, after 'unescape' (0): the captions as they will be printed.
        md.treeprocessors.register(CaptionTreeprocessor(md, self.captions), "brief_captions", -1)
        md.registerExtension(self)

    def reset(self):
        self.figures.clear()
        self.tables.clear()
        self.captions.clear()


def markdown_converter(cjk_language: str, source_word: str = "Source", words: dict | None = None) -> markdown.Markdown:
    # Extensions as instances, not names: naming them makes Markdown search the installed
    # packages' entry points, which costs more than the whole conversion of a brief.
    from markdown.extensions.attr_list import AttrListExtension

    _fenced_code_without_pygments()
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension
    from markdown.extensions.toc import TocExtension

    from .crossrefs import WORDS

    md = markdown.Markdown(
        extensions=[AttrListExtension(), FootnoteExtension(), TableExtension(), FencedCodeExtension(),
                    SaneListExtension(), TocExtension(permalink=False),
                    CitationExtension(), BriefExtension(cjk_language), SanitizeExtension()],
        output_format="xhtml",
    )
    md.source_word = source_word
    md.words = words or WORDS["en"]
    return md


def _fenced_code_without_pygments() -> None:
    """Imports Markdown's fenced-code extension without Pygments: it imports the
    code-highlighting extension, which imports Pygments when it is installed (a tenth of
    the reading's imports), though only a registered code-highlighting extension uses it,
    and the build registers none.  Pygments stays importable for everything else."""
    import sys

    if "markdown.extensions.codehilite" in sys.modules:
        return
    blocked = "pygments" not in sys.modules
    if blocked:
        sys.modules["pygments"] = None  # an import of it raises ImportError
    try:
        import markdown.extensions.codehilite  # noqa: F401 - with pygments = False
    finally:
        if blocked and sys.modules.get("pygments", 0) is None:
            del sys.modules["pygments"]


NOTE = re.compile(r'<aside class="note" data-note="([^"]*)">(.*?)</aside>', re.DOTALL)


def read_chapter(path: Path, md: markdown.Markdown, report: Report, index: int, resources=None) -> Chapter | None:
    if not limits.check_file_size(path, limits.CHAPTER_BYTES, "chapter", report):
        return None
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        report.error("not valid UTF-8; save the chapter as UTF-8", path, line)
        return None
    source = source.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not limits.check_chapter_source(source, path, report):
        return None  # before Python-Markdown sees it: limits and control characters
    md.reset()
    md.chapter = ChapterContext(path, source, report, resources)
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
    figures = []
    for found in md.figures:
        attrs = found["attrs"]
        caption_html = md.captions.get(f"fig-{found['slot']}", "")
        fig = Figure(label=found["label"], src=found["src"], caption_html=caption_html,
                     alt=attrs.get("alt", "").strip(), source_html=html.escape(attrs.get("source", "")),
                     path=path, line=found["line"], chapter_id=chapter_id, slot=found["slot"],
                     credit=attrs.get("credit", ""), licence=attrs.get("licence") or attrs.get("license", ""),
                     style=found["style"])
        if not fig.alt and not charts.is_chart(fig.src):
            report.warning(f"figure '{fig.label or fig.src}' has no alt text; its caption stands in", path,
                           fig.line, hint='describe what the image shows in alt="…"')
            fig.alt = " ".join(html.unescape(re.sub(r"<[^>]+>", "", caption_html)).split())
        figures.append(fig)
    tables = [Table(label=found["label"], caption_html=md.captions.get(f"tbl-{found['slot']}", ""),
                    source_html=html.escape(found["attrs"].get("source", "")), path=path, line=found["line"],
                    csv=found["attrs"].get("src") or found["attrs"].get("file", ""), chapter_id=chapter_id,
                    slot=found["slot"])
              for found in md.tables]
    crossrefs = [(slot, items, line_of(items[0].key))
                 for slot in sorted(range(1, len(md.citations) + 1), key=position)
                 for items, _narrative in [md.citations[slot - 1]] if all(is_label(i.key) for i in items)]
    return Chapter(path=path, id=chapter_id, title=title, title_html=title_html, html=body,
                   headings=headings, citations=citations, figures=figures, tables=tables, notes=notes,
                   crossrefs=crossrefs, source=source)


def _safe(text: str) -> str:
    return re.sub(r"[^\w-]", "-", text)


def _line_of_text(source: str, needle: str) -> int | None:
    at = source.find(needle)
    return source.count("\n", 0, at) + 1 if at >= 0 else None


def _flatten(tokens):
    for t in tokens:
        yield t
        yield from _flatten(t.get("children", []))


def read_chapters(project, metadata, report: Report, resources=None) -> list[Chapter]:
    from .crossrefs import words

    found = words(metadata.language, metadata.crossref_words)
    md = markdown_converter(metadata.cjk_language, found["source"], found)
    chapters = []
    for index, name in enumerate(metadata.chapters, start=1):
        chapter = read_chapter(project.manuscript / name, md, report, index, resources)
        if chapter is not None:
            chapters.append(chapter)
    return chapters
