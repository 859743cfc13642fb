"""Helpers shared by the tests: facts read straight from the sample's sources (never from
briefpress), text normalisation for PDF extraction, and small readers for built outputs.

Everything the tests expect is derived here from ``manuscript/``, ``bibliography.bib`` and
``publication.yaml`` with code independent of the engine, so a test compares the engine's
output with what the sources say rather than with a copy of an earlier output.
"""

from __future__ import annotations

import html
import posixpath
import re
import subprocess
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
import yaml
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
XHTML_NS = "http://www.w3.org/1999/xhtml"
NS = {
    "x": XHTML_NS,
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
}


# --- text matching ---------------------------------------------------------------------

# Hyphens that a line break or the extraction may add or drop: WeasyPrint hyphenates with
# U+2010, soft hyphens may survive, and pdftotext joins "Post-\nCommunism" to "PostCommunism".
_HYPHENS = "\u00ad\u2010\u2011-"


def squash(text: str) -> str:
    """Text with all whitespace and hyphens removed, NFKC-normalised, for matching prose
    across line breaks and hyphenation."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s" + _HYPHENS + r"]+", "", text)


def plain(fragment: str) -> str:
    """An HTML fragment as the reader sees it: tags removed, entities decoded, spaces joined."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


# --- the sample's sources ----------------------------------------------------------------


def load_yaml(project: Path = ROOT) -> dict:
    return yaml.safe_load((project / "manuscript" / "publication.yaml").read_text(encoding="utf-8"))


def chapter_sources(project: Path = ROOT) -> list[tuple[str, str]]:
    """(file name, Markdown source) of each chapter, in reading order."""
    meta = load_yaml(project)
    return [(name, (project / "manuscript" / name).read_text(encoding="utf-8")) for name in meta["chapters"]]


def chapter_titles(project: Path = ROOT) -> list[str]:
    titles = []
    for _name, source in chapter_sources(project):
        m = re.search(r"^# (.+?)(?:\s*\{[^}]*\})?\s*$", source, re.MULTILINE)
        titles.append(m.group(1).strip())
    return titles


def han_terms(project: Path = ROOT) -> list[str]:
    """Every run of Chinese characters in the chapters, in order of first appearance."""
    seen: list[str] = []
    for _name, source in chapter_sources(project):
        for run in HAN.findall(source):
            if run not in seen:
                seen.append(run)
    return seen


def figure_captions(project: Path = ROOT) -> list[str]:
    """Captions of the block images (``![caption](src){…}`` alone on a line), in order."""
    captions = []
    for _name, source in chapter_sources(project):
        captions += re.findall(r"^!\[([^\]]+)\]\([^)]+\)", source, re.MULTILINE)
    return captions


@dataclass
class BibEntry:
    key: str
    names: list[tuple[str, bool]]  # (family name or literal, is_literal)
    year: str
    title: str

    @property
    def sort_name(self) -> str:
        return self.names[0][0].casefold()

    def author_label(self) -> str:
        """The author part of a Chicago author-date citation."""
        families = [n for n, _lit in self.names]
        if len(families) == 1:
            return families[0]
        if len(families) == 2:
            return f"{families[0]} and {families[1]}"
        return f"{families[0]} et al."


def _strip_braces(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("{", "").replace("}", "")).strip()


def _split_names(field: str) -> list[str]:
    """Split a BibTeX name list on ' and ' outside braces."""
    parts, depth, current, i = [], 0, "", 0
    while i < len(field):
        ch = field[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if depth == 0 and re.match(r"\s+and\s+", field[i:]) and current:
            m = re.match(r"\s+and\s+", field[i:])
            parts.append(current.strip())
            current = ""
            i += m.end()
            continue
        current += ch
        i += 1
    if current.strip():
        parts.append(current.strip())
    return parts


def read_bib(path: Path) -> dict[str, BibEntry]:
    """The entries of a .bib file with bibtexparser directly (not through briefpress)."""
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    entries = {}
    for entry in library.entries:
        fields = {f.key.lower(): f.value for f in entry.fields}
        names = []
        for raw in _split_names(fields.get("author") or fields.get("editor") or ""):
            if raw.startswith("{") and raw.endswith("}"):
                names.append((_strip_braces(raw), True))
            elif "," in raw:
                names.append((_strip_braces(raw.split(",")[0]), False))
            else:
                names.append((_strip_braces(raw.split()[-1]), False))
        year = fields.get("year") or fields.get("date", "")[:4]
        entries[entry.key] = BibEntry(entry.key, names, _strip_braces(year), _strip_braces(fields.get("title", "")))
    return entries


CITATION = re.compile(r"\[([^\[\]]*@[^\[\]]*)\](?![(\[:])")
CITE_ITEM = re.compile(r"^\s*(?P<prefix>.*?)\s*(?P<minus>-?)@(?P<key>[\w][\w:.#$%&+?<>~/-]*?)\s*(?:,\s*(?P<locator>.*?))?\s*$")


def expected_bracketed_citations(project: Path = ROOT) -> list[str]:
    """Every bracketed citation of the chapters as Chicago author-date prints it, computed
    from the Markdown and the .bib: ``[see @a; @b, p. 5]`` -> ``(see A 2018; B 2020, 5)``."""
    bib = read_bib(project / "bibliography.bib")
    out = []
    for _name, source in chapter_sources(project):
        for body in CITATION.findall(source):
            items = []
            for part in body.split(";"):
                m = CITE_ITEM.match(part)
                entry = bib[m.group("key")]
                text = "" if m.group("minus") else entry.author_label() + " "
                text += entry.year
                if m.group("locator"):
                    text += ", " + re.sub(r"^(?:p|pp)\.\s*", "", m.group("locator"))
                if m.group("prefix"):
                    text = m.group("prefix") + " " + text
                items.append(text)
            out.append("(" + "; ".join(items) + ")")
    return out


def cited_keys(project: Path = ROOT) -> set[str]:
    keys = set()
    for _name, source in chapter_sources(project):
        source = re.sub(r"`[^`]*`", "", source)
        keys.update(re.findall(r"(?<![\w.:/+-])-?@([\w][\w:.#$%&+?<>~/-]*[\w])", source))
    return {k for k in keys if not k.startswith(("fig:", "sec:", "tbl:", "eq:"))}


# --- built outputs -----------------------------------------------------------------------


def pdftotext(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    cmd = ["pdftotext", "-enc", "UTF-8"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    return subprocess.run([*cmd, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def pdfinfo(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-isodates", str(pdf)], check=True, capture_output=True, text=True).stdout
    info = {}
    for line in out.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    return info


class Epub:
    """An EPUB opened for inspection: its zip, its package document and its XHTML files."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.names = self.zip.namelist()
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.find(".//c:rootfile", NS).get("full-path")
        self.opf = etree.fromstring(self.zip.read(self.opf_path))

    def close(self):
        self.zip.close()

    def resolve(self, href: str, base: str | None = None) -> str:
        """A manifest or link href as a zip member name."""
        base_dir = posixpath.dirname(base if base is not None else self.opf_path)
        return posixpath.normpath(posixpath.join(base_dir, href))

    def manifest(self) -> list[tuple[str, str, str]]:
        """(zip name, media type, properties) of every manifest item."""
        return [(self.resolve(item.get("href")), item.get("media-type"), item.get("properties") or "")
                for item in self.opf.iterfind(".//opf:manifest/opf:item", NS)]

    def xhtml_names(self) -> list[str]:
        return [name for name, media, _props in self.manifest() if media == "application/xhtml+xml"]

    def nav_name(self) -> str:
        return next(name for name, _media, props in self.manifest() if "nav" in props.split())

    def tree(self, name: str):
        return etree.fromstring(self.zip.read(name))

    def ids(self, name: str) -> set[str]:
        return {el.get("id") for el in self.tree(name).iter() if isinstance(el.tag, str) and el.get("id")}


def text_of(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()
