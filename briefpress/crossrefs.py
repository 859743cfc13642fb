"""Numbering and cross-references: figures, tables, sections and notes are numbered once
for the whole publication, and ``@fig:…``/``@tbl:…``/``@sec:…`` references become links
that carry their words and numbers ("Figure 1", "Tables 2 and 3").

Labelled figures and tables are numbered through the publication, or per chapter
("Figure 2.1") with ``numbering: chapter``.  The words come from the publication's
language and may be overridden with ``crossref_words``.  Links are written as ``#id``; the
EPUB writer maps each id to the file that holds it.
"""

from __future__ import annotations

import difflib
import html
import re

from .anchors import anchor
from .errors import Report
from .model import Publication

WORDS = {
    "en": {"fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"), "sec": ("Section", "Sections"),
           "eq": ("Equation", "Equations"), "and": "and", "source": "Source", "credit": "Credit",
           "licence": "Licence", "figures": "List of figures", "tables": "List of tables"},
    "de": {"fig": ("Abbildung", "Abbildungen"), "tbl": ("Tabelle", "Tabellen"), "sec": ("Abschnitt", "Abschnitte"),
           "eq": ("Gleichung", "Gleichungen"), "and": "und", "source": "Quelle", "credit": "Bild",
           "licence": "Lizenz", "figures": "Abbildungsverzeichnis", "tables": "Tabellenverzeichnis"},
    "fr": {"fig": ("figure", "figures"), "tbl": ("tableau", "tableaux"), "sec": ("section", "sections"),
           "eq": ("équation", "équations"), "and": "et", "source": "Source", "credit": "Crédit",
           "licence": "Licence", "figures": "Liste des figures", "tables": "Liste des tableaux"},
    "es": {"fig": ("figura", "figuras"), "tbl": ("tabla", "tablas"), "sec": ("sección", "secciones"),
           "eq": ("ecuación", "ecuaciones"), "and": "y", "source": "Fuente", "credit": "Crédito",
           "licence": "Licencia", "figures": "Índice de figuras", "tables": "Índice de tablas"},
    "ru": {"fig": ("рисунок", "рисунки"), "tbl": ("таблица", "таблицы"), "sec": ("раздел", "разделы"),
           "eq": ("уравнение", "уравнения"), "and": "и", "source": "Источник", "credit": "Автор",
           "licence": "Лицензия", "figures": "Список рисунков", "tables": "Список таблиц"},
}
KINDS = ("fig", "tbl", "sec", "eq")  # words that come as (singular, plural)
NBSP = "\u00a0"
LISTS = ("figures", "tables")

CROSSREF = re.compile(r'<span class="crossref" data-pending="(\d+)" data-refs="([^"]*)"></span>')
FIGURE_LABEL = re.compile(r'<span class="figure-label" data-figure="(\d+)"></span>')
TABLE_LABEL = re.compile(r'<span class="table-label" data-table="(\d+)"></span>')


def words(language: str, overrides: dict | None = None) -> dict:
    """The words of the publication's language, with ``crossref_words`` applied."""
    found = dict(WORDS.get(language.split("-")[0].lower(), WORDS["en"]))
    for key, value in (overrides or {}).items():
        if key in KINDS:
            value = (value, value) if isinstance(value, str) else tuple(value)
        found[key] = value
    return found


def check_setting(key: str, value, bad) -> None:
    """Validate ``numbering``, ``lists`` and ``crossref_words`` of ``publication.yaml``."""
    if key == "numbering" and value not in ("publication", "chapter"):
        bad(key, "expected 'publication' (Figure 3) or 'chapter' (Figure 2.1)")
    elif key == "lists" and not (isinstance(value, list) and all(v in LISTS for v in value)):
        bad(key, "expected a list of: figures, tables")
    elif key == "crossref_words":
        if not isinstance(value, dict):
            bad(key, "expected a mapping such as {fig: [Figure, Figures], tbl: [Table, Tables]}")
            return
        for word, text in value.items():
            if word not in WORDS["en"]:
                bad(f"{key}.{word}", f"unknown word '{word}' (known: {', '.join(WORDS['en'])})")
            elif word in KINDS and not (isinstance(text, str) or (
                    isinstance(text, list) and len(text) == 2 and all(isinstance(t, str) for t in text))):
                bad(f"{key}.{word}", "expected [singular, plural], such as [Figure, Figures]")
            elif word not in KINDS and not isinstance(text, str):
                bad(f"{key}.{word}", "expected text")


def number(publication: Publication, report: Report) -> None:
    """Number sections, figures, tables and notes; resolve every cross-reference; fill
    citations; warn about labelled figures and tables that nothing refers to."""
    meta = publication.metadata
    w = words(meta.language, meta.crossref_words)
    targets: dict[str, tuple[str, str]] = {}  # anchor -> (kind, number as printed)
    where: dict[str, str] = {}
    counts = {"fig": 0, "tbl": 0}
    for c_index, chapter in enumerate(publication.chapters, start=1):
        _add(targets, where, chapter.id, ("sec", str(c_index)), chapter, report,
             _line(chapter.source, "{#" + _written_label(chapter.source, chapter.id)))
        _unique_heading_ids(chapter, c_index, targets)
        levels = [0] * 7
        for heading in chapter.headings:
            levels[heading.level] += 1
            levels[heading.level + 1:] = [0] * (6 - heading.level)
            number_text = ".".join([str(c_index)] + [str(n) for n in levels[2:heading.level + 1]])
            _add(targets, where, heading.id, ("sec", number_text), chapter, report,
                 _line(chapter.source, "{#" + _written_label(chapter.source, heading.id)))
        if meta.numbering == "chapter":
            counts = {"fig": 0, "tbl": 0}
        for kind, items in (("fig", chapter.figures), ("tbl", chapter.tables)):
            for item in items:
                if not item.label:
                    continue  # unlabelled: captioned but not numbered, as in pandoc-crossref
                counts[kind] += 1
                item.number = counts[kind]
                item.display = f"{c_index}.{counts[kind]}" if meta.numbering == "chapter" else str(counts[kind])
                _add(targets, where, anchor(item.label), (kind, item.display), chapter, report, item.line)

    referenced: set[str] = set()
    for chapter in publication.chapters:
        resolve_text = _resolver(chapter, targets, w, referenced, report)
        chapter.html = resolve_text(chapter.html)
        # A title may cite too; the contents list it without the citation (no link in a link).
        chapter.toc_html = resolve_text(re.sub(r'\s*<span class="citation" [^>]*data-pending="\d+"></span>', "",
                                               chapter.title_html))
        chapter.title_html = resolve_text(chapter.title_html)
        for note in chapter.notes:  # notes may cite and cross-refer too
            note.html = resolve_text(note.html)
        for item in (*chapter.figures, *chapter.tables):  # captions, for the lists
            item.caption_html = resolve_text(item.caption_html)
    for chapter in publication.chapters:
        for kind, items in (("figure", chapter.figures), ("table", chapter.tables)):
            for item in items:
                if item.label and anchor(item.label) not in referenced:
                    report.warning(f"{kind} '{item.label}' is never referred to",
                                   chapter.path, item.line, hint=f"write @{item.label} where the text discusses it")
    for n, citation in enumerate((c for ch in publication.chapters for c in ch.citations), start=1):
        citation.number = n


def _resolver(chapter, targets, w, referenced: set[str], report: Report):
    """A function that fills one chapter's placeholders in a piece of its HTML."""
    # Imported here: the lists import this module for its words, and an EPUB written in a
    # worker process would otherwise import the Markdown reader that citations extends.
    from .citations import fill

    figures = {str(f.slot): f for f in chapter.figures}
    tables = {str(t.slot): t for t in chapter.tables}
    refs = {str(slot): (items, line) for slot, items, line in chapter.crossrefs}
    reported: set[str] = set()  # a caption is resolved twice (in the body and for the lists)

    def figure_label(m):
        return f'<span class="figure-label">{w["fig"][0]}\u00a0{figures[m.group(1)].display}.</span>'

    def table_label(m):
        return f'<span class="table-label">{w["tbl"][0]}\u00a0{tables[m.group(1)].display}.</span>'

    def crossref(m):
        items, line = refs[m.group(1)]
        found = []
        for item in items:
            label = item.key
            key = anchor(label[0].lower() + label[1:])
            if key not in targets:
                if m.group(1) not in reported:
                    close = difflib.get_close_matches(key, [t for t in targets if t.startswith(key[:4])], n=1)
                    report.error(f"unknown cross-reference label '{label}'", chapter.path, line,
                                 hint=f"did you mean '@{_label_of(close[0], key)}'?" if close else None)
                continue
            referenced.add(key)
            found.append((key, targets[key], label[0].isupper()))
        reported.add(m.group(1))
        groups: list[list] = []  # consecutive references of one kind share their noun
        for entry in found:
            if groups and groups[-1][0][1][0] == entry[1][0]:
                groups[-1].append(entry)
            else:
                groups.append([entry])
        phrases = []
        for group in groups:
            kind = group[0][1][0]
            noun = w.get(kind, (kind, kind))[1 if len(group) > 1 else 0]
            if group[0][2]:  # @Fig:x
                noun = noun[:1].upper() + noun[1:]
            # The noun goes inside the first link: "Figures 1" and "2" are what a reader taps.
            links = [f'<a class="crossref" href="#{html.escape(k)}">{noun + NBSP if i == 0 else ""}{num}</a>'
                     for i, (k, (_kind, num), _cap) in enumerate(group)]
            phrases.append(_join(links, w["and"]))
        return _join(phrases, w["and"])

    def resolve_text(text: str) -> str:
        text = FIGURE_LABEL.sub(figure_label, text)
        text = TABLE_LABEL.sub(table_label, text)
        text = CROSSREF.sub(crossref, text)
        return fill(text, chapter.citations)

    return resolve_text


def _join(parts: list[str], and_word: str) -> str:
    if len(parts) <= 2:
        return f" {and_word} ".join(parts)
    return ", ".join(parts[:-1]) + f" {and_word} " + parts[-1]


def _label_of(target: str, typed: str) -> str:
    """``fig-trade`` back to ``fig:trade`` for a hint, keeping the prefix the author typed."""
    prefix = typed.split("-", 1)[0]
    return prefix + ":" + target[len(prefix) + 1:] if target.startswith(prefix + "-") else target


def _written_label(source: str, heading_id: str) -> str:
    """The label as written in the source for a heading id (``sec-trade`` -> ``sec:trade``)."""
    for m in re.finditer(r"\{#([^\s}]+)", source):
        if anchor(m.group(1)) == heading_id:
            return m.group(1)
    return heading_id


def _unique_heading_ids(chapter, c_index: int, targets) -> None:
    """Ids made from heading text ("overview") may repeat across chapters: number them.
    Ids the author wrote (``{#sec:overview}``) are labels and must stay unique instead."""
    written = {anchor(m) for m in re.findall(r"\{#([^\s}]+)", chapter.source)}
    for heading in chapter.headings:
        if heading.id in targets and heading.id not in written:
            new = f"{heading.id}-{c_index}"
            chapter.html = chapter.html.replace(f'id="{heading.id}"', f'id="{new}"', 1)
            heading.id = new


def _add(targets, where, label, value, chapter, report, line=None):
    if not label:
        return
    if label in targets:
        shown = _written_label(chapter.source, label)
        report.error(f"duplicate label '{shown}' (also in {where[label]})", chapter.path, line)
        return
    targets[label] = value
    where[label] = chapter.path.name


def _line(source: str, needle: str) -> int | None:
    at = source.find(needle)
    return source.count("\n", 0, at) + 1 if at >= 0 else None
