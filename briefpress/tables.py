"""Tables in the manuscript: Markdown pipe tables and tables from CSV files, with Pandoc's
caption syntax, as one kind of element for the writers.

A caption is a paragraph ``Table: Caption {#tbl:label source="…"}`` (or ``: Caption``)
directly before or after a pipe table, as in Pandoc.  A caption paragraph with
``src="data/file.csv"`` (and, by convention, the class ``.csv``) stands for a table read
from that CSV file.  Every table gets ``scope="col"`` header cells and the class ``num``
on columns that hold only numbers; a captioned table gets its number placeholder, its
source line and a wrapper that keeps the two together.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from .errors import BriefError

CAPTION = re.compile(r"^(?:[Tt]able)?:\s+(?P<caption>.*?)\s*(?:\{(?P<attrs>(?:[^{}\"']|\"[^\"]*\"|'[^']*')*)\})?\s*$",
                     re.DOTALL)
CAPTION_LINE = re.compile(r"^(?:[Tt]able)?:\s+\S")
TABLE_ATTRS = {"id", "source", "src", "file"}
# A number as tables print them: 1,234.5  −3  (12)  45%  $1.2  1 234; dashes mark no value.
NUMERIC = re.compile(r"^[≈~]?\s?[(\-−+]?[$€£¥]?\s?\d[\d,.\u00a0\u202f ]*(?:%|‰|bn|m)?\)?$")
BLANK = {"", "-", "–", "—", "…", "..", "n/a", "na", "n.a."}


class CaptionPreprocessor(Preprocessor):
    """A caption line written right against the table (no blank line between, as Pandoc
    allows) is split off, so that the table extension does not read it as a row."""

    def run(self, lines):
        out: list[str] = []
        for i, line in enumerate(lines):
            if CAPTION_LINE.match(line):
                if out and "|" in out[-1] and out[-1].strip():
                    out.append("")
                out.append(line)
                if i + 1 < len(lines) and "|" in lines[i + 1]:
                    out.append("")
                continue
            out.append(line)
        return out


def parse_caption(text: str) -> tuple[str, dict, list[str]] | None:
    """(caption, attributes, classes) of a ``Table: …`` paragraph, or None."""
    from markdown.extensions.attr_list import get_attrs_and_remainder

    m = CAPTION.match(text.strip())
    if not m:
        return None
    attrs, classes = {}, []
    if m.group("attrs") is not None:
        pairs, _rest = get_attrs_and_remainder(m.group("attrs"))
        for key, value in pairs:
            if key == ".":
                classes.append(value)
            else:
                attrs["id" if key == "#" else key] = value
    return m.group("caption"), attrs, classes


class TableTreeprocessor(Treeprocessor):
    """Attaches captions to tables and builds CSV tables.  Runs before 'inline' (20), so
    captions and cells are still Markdown text that the inline patterns then process
    (citations and cross-references in captions work); CSV cells are kept as written."""

    def __init__(self, md, state: list):
        super().__init__(md)
        self.state = state

    def run(self, root):
        parents = [p for p in root.iter() if any(c.tag in ("p", "table") for c in p)]
        for parent in parents:
            self._captions(parent)
        for table in list(root.iter("table")):
            _header_and_numbers(table)

    def _captions(self, parent):
        children = list(parent)
        used: set[int] = set()
        for i, child in enumerate(children):
            if child.tag != "table" or child.get("data-captioned"):
                continue
            for j in (i - 1, i + 1):
                if 0 <= j < len(children) and j not in used and _caption_of(children[j]) is not None:
                    caption, attrs, _classes = _caption_of(children[j])
                    if "src" in attrs or "file" in attrs:
                        continue  # a CSV table of its own
                    used.add(j)
                    self._caption(parent, child, children[j], caption, attrs)
                    break
        for j, child in enumerate(children):
            if j in used or _caption_of(child) is None:
                continue
            caption, attrs, _classes = _caption_of(child)
            src = attrs.get("src") or attrs.get("file")
            if src:
                table = self._csv_table(src, child.text or "")
                if table is not None:
                    parent.insert(list(parent).index(child), table)
                    self._caption(parent, table, child, caption, attrs)
                    continue
                parent.remove(child)
            elif CAPTION_LINE.match(child.text or "") and (child.text or "").startswith(("Table", "table")):
                self.md.chapter.warn("a 'Table:' caption needs a table right before or after it, or "
                                     "src=\"….csv\"", (child.text or "").splitlines()[0])

    def _caption(self, parent, table, paragraph, caption: str, attrs: dict) -> None:
        slot = len(self.state) + 1
        needle = (paragraph.text or "").strip().splitlines()[0]
        for key in attrs:
            if key not in TABLE_ATTRS:
                self.md.chapter.warn(f"unknown table attribute '{key}' is ignored", needle)
        label = attrs.get("id", "")
        element = etree.Element("caption")
        if label:
            table.set("id", label)
            number = etree.SubElement(element, "span", {"class": "table-label", "data-table": str(slot)})
            number.tail = " "
        text = etree.SubElement(element, "span", {"class": "caption-text", "data-caption": f"tbl-{slot}"})
        text.text = caption
        table.insert(0, element)
        table.set("data-captioned", "1")
        wrap = etree.Element("div", {"class": "table-wrap"})
        parent.insert(list(parent).index(table), wrap)
        parent.remove(table)
        wrap.append(table)
        if attrs.get("source"):
            source = etree.SubElement(wrap, "p", {"class": "table-source"})
            source.text = f"{self.md.source_word}: {attrs['source']}"
        parent.remove(paragraph)
        self.state.append({"slot": slot, "label": label, "caption": caption, "attrs": attrs,
                           "line": self.md.chapter.line(needle)})

    def _csv_table(self, src: str, caption_text: str) -> etree.Element | None:
        from .charts import read_csv

        chapter = self.md.chapter
        needle = caption_text.strip().splitlines()[0]
        try:
            data, _mime = chapter.resources.read(src)
            path = chapter.resources.path_for(src)
        except BriefError as exc:
            chapter.error(f"table from CSV: {exc.diagnostics[0].message}", needle)
            return None
        from .limits import TABLE_ROWS

        if data.count(b"\n") > TABLE_ROWS + 1:  # counted before parsing (a row per line at least)
            chapter.error(f"'{src}' has more than {TABLE_ROWS:,} rows; split it or shorten it", needle)
            return None
        rows = read_csv(data, path, chapter.report)
        if rows is None:
            return None
        header = list(rows[0]) if rows else []
        if not header:
            chapter.error(f"'{src}' has a header row but no data rows", needle)
            return None
        table = etree.Element("table")
        tr = etree.SubElement(etree.SubElement(table, "thead"), "tr")
        for name in header:
            etree.SubElement(tr, "th").text = AtomicString(name)
        body = etree.SubElement(table, "tbody")
        for row in rows:
            tr = etree.SubElement(body, "tr")
            for name in header:
                etree.SubElement(tr, "td").text = AtomicString(row[name].strip())
        return table


def _caption_of(element):
    if element.tag != "p" or len(element) or not element.text:
        return None
    return parse_caption(element.text)


def _header_and_numbers(table) -> None:
    """``scope="col"`` on header cells; class ``num`` on columns of numbers (right-aligned,
    tabular figures); the cells of a row are matched by position."""
    table.attrib.pop("data-captioned", None)
    for th in table.iterfind("thead/tr/th"):
        th.set("scope", "col")
    rows = [list(tr) for tr in table.iterfind("tbody/tr")]
    width = max((len(r) for r in rows), default=0)
    for col in range(width):
        cells = [r[col] for r in rows if col < len(r)]
        values = [re.sub(r"[*_`\\]", "", "".join(c.itertext())).strip() for c in cells]
        filled = [v for v in values if v.lower() not in BLANK]
        if filled and all(NUMERIC.match(v) for v in filled):
            for cell in cells + [r[col] for r in table.iterfind("thead/tr") if col < len(r)]:
                cell.set("class", (cell.get("class", "") + " num").strip())
