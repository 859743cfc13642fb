"""Figures: Pandoc's figure syntax read into the chapter, and the transform that checks
every figure's file (or draws its chart) before any writer runs.

``![Caption](figures/x.svg){#fig:x alt="…" source="…" credit="…" licence="…" width=80%}``
alone in its paragraph is a figure; the caption, source and credit are Markdown (a
citation may sit in a source line).  Only labelled figures are numbered, as in
pandoc-crossref.  The ``<img>`` in the chapter is a placeholder until :func:`prepare`
writes the final one, since a chart's file and alt text exist only once it is drawn.
"""

from __future__ import annotations

import base64
import html
import re
import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

from . import charts, images
from .errors import BriefError, Report
from .model import Publication

FIGURE_ATTRS = {"id", "alt", "source", "credit", "licence", "license", "width", "height"}
LENGTH = re.compile(r"^\d+(?:\.\d+)?(?:%|px|cm|mm|in|pt|em|rem|vw)?$")
ATTRS = r"\{(?P<attrs>(?:[^{}\"']|\"[^\"]*\"|'[^']*')*)\}"
TARGET = re.compile(r"\(\s*(?P<src><[^>\n]*>|[^\s()]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
IMG_PENDING = re.compile(r'<img\b[^>]*\sdata-image="(\d+)"[^>]*/>')
SOURCE_PENDING = re.compile(r'<span class="figure-source-pending" data-figure="(\d+)"></span>')


def parse_figure(text: str) -> tuple[str, str, dict] | None:
    """(caption, src, attributes) of a paragraph that is only an image, or None."""
    from markdown.extensions.attr_list import get_attrs_and_remainder

    text = text.strip()
    if not text.startswith("!["):
        return None
    depth, end, i = 0, None, 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2  # an escaped bracket does not count
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                end = i
                break
        i += 1
    if end is None:
        return None
    target = TARGET.match(text, end + 1)
    if not target:
        return None
    rest = text[target.end():]
    m = re.fullmatch(r"\s*(?:" + ATTRS + r")?\s*", rest, re.DOTALL)
    if not m:
        return None  # an image followed by text is an inline image
    attrs: dict[str, str] = {}
    if m.group("attrs") is not None:
        pairs, _rest = get_attrs_and_remainder(m.group("attrs"))
        for key, value in pairs:
            if key != ".":
                attrs["id" if key == "#" else key] = value
    return text[2:end], target.group("src").strip("<>"), attrs


class FigureTreeprocessor(Treeprocessor):
    """Runs before 'inline' (20), while the paragraph is still Markdown text, so that the
    caption, source and credit go through the inline patterns (emphasis, citations,
    cross-references) like any other text, and before 'attr_list' (8) sees the braces."""

    def __init__(self, md, state: list):
        super().__init__(md)
        self.state = state

    def run(self, root):
        found = [(parent, p) for parent in root.iter() for p in parent
                 if p.tag == "p" and not len(p) and (p.text or "").lstrip().startswith("![")]
        for parent, p in found:
            parsed = parse_figure(p.text)
            if parsed is None or not (parsed[0].strip() or parsed[2].get("id")):
                continue  # an image without caption or label stays a plain image (as in Pandoc)
            parent.insert(list(parent).index(p), self._figure(*parsed, needle=p.text.strip().splitlines()[0]))
            parent.remove(p)

    def _figure(self, caption: str, src: str, attrs: dict, needle: str) -> etree.Element:
        chapter = self.md.chapter
        slot = len(self.state) + 1
        for key in attrs:
            if key not in FIGURE_ATTRS:
                chapter.warn(f"unknown figure attribute '{key}' is ignored", needle)
        label = attrs.get("id", "")
        figure = etree.Element("figure", {"class": "figure"})
        if label:
            figure.set("id", label)
        style = []
        for key in ("width", "height"):
            if key in attrs:
                if LENGTH.match(attrs[key]):
                    value = attrs[key] + ("px" if attrs[key][-1].isdigit() else "")
                    style.append(f"{key}: {value}")
                else:
                    chapter.error(f"figure {key} '{attrs[key]}' is not a length such as 80% or 120mm", needle)
        image = etree.SubElement(figure, "img", {"src": src, "alt": attrs.get("alt", ""), "data-image": str(slot)})
        if style:
            image.set("style", "; ".join(style))
        figcaption = etree.SubElement(figure, "figcaption")
        if label:
            number = etree.SubElement(figcaption, "span", {"class": "figure-label", "data-figure": str(slot)})
            number.tail = " "
        text = etree.SubElement(figcaption, "span", {"class": "caption-text", "data-caption": f"fig-{slot}"})
        text.text = caption
        # Spaces between the parts keep them apart for text extraction and unstyled readers.
        if attrs.get("source"):
            text.tail = " "
            source = etree.SubElement(figcaption, "span", {"class": "figure-source"})
            source.text = f"{self.md.source_word}: {attrs['source']}"
        elif charts.is_chart(src):
            etree.SubElement(figcaption, "span", {"class": "figure-source-pending", "data-figure": str(slot)})
        credit = _credit(attrs.get("credit", ""), attrs.get("licence") or attrs.get("license", ""), self.md.words)
        if credit:
            figcaption[-1].tail = " "
            etree.SubElement(figcaption, "span", {"class": "figure-credit"}).text = credit
        self.state.append({"slot": slot, "label": label, "src": src, "caption": caption, "attrs": attrs,
                           "line": chapter.line(needle), "style": "; ".join(style)})
        return figure


def _credit(credit: str, licence: str, words: dict) -> str:
    if credit and licence:
        return f"{words['credit']}: {credit} ({licence})"
    if credit:
        return f"{words['credit']}: {credit}"
    if licence:
        return f"{words['licence']}: {licence}"
    return ""


class CaptionTreeprocessor(Treeprocessor):
    """Publishes each caption's final HTML (for the lists of figures and tables) as
    ``md.captions``; runs last, after 'unescape' (0)."""

    def __init__(self, md, captions: dict):
        super().__init__(md)
        self.captions = captions

    def run(self, root):
        from markdown.serializers import to_xhtml_string

        for span in root.iter("span"):
            key = span.attrib.pop("data-caption", None)
            if key is None:
                continue
            text = re.sub(r"^<span[^>]*>|</span>$", "", to_xhtml_string(span).strip())
            for processor in self.md.postprocessors:
                text = processor.run(text)
            self.captions[key] = text


def prepare(publication: Publication, resources, report: Report, cache_folder=None) -> None:
    """Check each figure's file or draw its chart; write the final ``<img>`` of each figure."""
    from .crossrefs import words

    source_word = words(publication.metadata.language, publication.metadata.crossref_words)["source"]
    for chapter in publication.chapters:
        replacements: dict[str, str] = {}
        sources: dict[str, str] = {}
        for fig in chapter.figures:
            src = fig.src
            try:
                if charts.is_chart(fig.src):
                    loaded = charts.load(fig.src, resources, report)
                    if loaded is None:
                        continue
                    chart, depends = loaded
                    name = re.sub(r"\.chart\.ya?ml$", ".svg", fig.src.rsplit("/", 1)[-1], flags=re.IGNORECASE)
                    data, path = charts.svg(chart, name, cache_folder, depends)
                    images.check_svg(data, name)
                    src = path.as_uri() if path is not None else \
                        "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
                    if not fig.alt:
                        fig.alt = chart.alt_text()
                    if chart.source:
                        sources[str(fig.slot)] = (f' <span class="figure-source">{html.escape(source_word)}: '
                                                  f'{html.escape(chart.source)}</span>')
                else:
                    data, _mime = resources.read(fig.src)
                    images.check(data, fig.src)
            except BriefError as exc:
                report.error(exc.diagnostics[0].message, fig.path, fig.line)
                continue
            fig.image_src = src
            style = f' style="{html.escape(fig.style)}"' if fig.style else ""
            replacements[str(fig.slot)] = f'<img src="{html.escape(src)}" alt="{html.escape(fig.alt)}"{style}/>'
        chapter.html = IMG_PENDING.sub(lambda m, r=replacements: r.get(m.group(1), m.group(0)), chapter.html)
        chapter.html = SOURCE_PENDING.sub(lambda m, s=sources: s.get(m.group(1), ""), chapter.html)
