"""Citations in the manuscript: Pandoc's syntax, read by a Python-Markdown extension, and
the transform that resolves them against the bibliography once for the whole publication.

Syntax (as in Pandoc): ``[@key]``, ``[@key, p. 12]``, ``[see @a; @b, chap. 3]``,
narrative ``@key`` and ``@key [p. 3]``, suppress-author ``[-@key]``.  Keys may contain
internal ``:./-_`` and the like.  Keys with the prefixes in ``LABEL_PREFIXES`` are
cross-reference labels, handled by :mod:`briefpress.crossrefs`.
"""

from __future__ import annotations

import difflib
import html
import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from .errors import BriefError, Report
from .model import Citation, CiteItem, Publication

LABEL_PREFIXES = ("fig:", "tbl:", "sec:", "eq:")

KEY = r"[\w](?:[\w]|[:.#$%&\-+?<>~/](?=[\w]))*"
# A bracketed citation: no nested brackets, at least one @key, not followed by a link target.
BRACKETED = r"\[(?P<body>[^\[\]]*?(?<=[\s;\[(])-?@" + KEY + r"[^\[\]]*)\](?![(\[:])"
# A narrative citation: @key not preceded by a word character or an address-like character,
# optionally followed by a bracketed locator.
NARRATIVE = r"(?<![\w@/.:+\-])@(?P<key>" + KEY + r")(?:\s?\[(?P<suffix>[^\[\]@]*)\](?![(\[:]))?"

# CSL locator terms and the abbreviations Pandoc accepts for them.
LOCATOR_TERMS = {
    "book": ["bk.", "bks.", "book", "books"],
    "chapter": ["chap.", "chaps.", "ch.", "chapter", "chapters"],
    "column": ["col.", "cols.", "column", "columns"],
    "figure": ["fig.", "figs.", "figure", "figures"],
    "folio": ["fol.", "fols.", "folio", "folios"],
    "line": ["l.", "ll.", "line", "lines"],
    "note": ["n.", "nn.", "note", "notes"],
    "number": ["no.", "nos.", "number", "numbers"],
    "opus": ["op.", "opp.", "opus", "opera"],
    "page": ["p.", "pp.", "page", "pages"],
    "paragraph": ["para.", "paras.", "¶", "¶¶", "paragraph", "paragraphs"],
    "part": ["pt.", "pts.", "part", "parts"],
    "section": ["sec.", "secs.", "§", "§§", "section", "sections"],
    "sub verbo": ["s.v.", "s.vv.", "sub verbo"],
    "verse": ["v.", "vv.", "verse", "verses"],
    "volume": ["vol.", "vols.", "volume", "volumes"],
}
_TERM_TO_LABEL = {term: label for label, terms in LOCATOR_TERMS.items() for term in terms}
_LOCATOR = re.compile(
    r"^\s*(?P<term>" + "|".join(re.escape(t) for t in sorted(_TERM_TO_LABEL, key=len, reverse=True))
    + r")?\s*(?P<value>[\divxlcdmIVXLCDM][\w–—\-,]*(?:\s*(?:[-–—,&]|and)\s*[\w]+)*)(?P<rest>.*)$"
)


def is_label(key: str) -> bool:
    return key.lower().startswith(LABEL_PREFIXES)


def parse_suffix(text: str) -> tuple[str, str, str]:
    """Split the text after a key into (label, locator, suffix), as Pandoc does."""
    text = text.strip()
    body = text.removeprefix(",")
    m = _LOCATOR.match(body)
    if m and (m.group("term") or body.strip()[:1].isdigit()):
        return _TERM_TO_LABEL.get(m.group("term") or "p.", "page"), m.group("value").strip(), m.group("rest").strip()
    return "page", "", text


def parse_bracketed(body: str) -> list[CiteItem] | None:
    """The items of ``[prefix @key, locator suffix; …]``, or None when it is not a citation."""
    items = []
    for part in body.split(";"):
        m = re.search(r"(?:^|(?<=[\s(\[]))(?P<minus>-?)@(?P<key>" + KEY + ")", part)
        if not m:
            return None
        label, locator, suffix = parse_suffix(part[m.end():])
        items.append(CiteItem(
            key=m.group("key"), prefix=part[: m.start()].strip(), suffix=suffix,
            locator=locator, label=label, suppress_author=bool(m.group("minus")),
        ))
    return items


class _CitationCollector:
    """Owns the state of one chapter's conversion: the citations and labels it found."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.citations: list[tuple[list[CiteItem], bool]] = []

    def element(self, items: list[CiteItem], narrative: bool) -> etree.Element:
        self.citations.append((items, narrative))
        if all(is_label(i.key) for i in items):
            el = etree.Element("span", {"class": "crossref", "data-refs": " ".join(i.key for i in items),
                                        "data-pending": str(len(self.citations))})
        else:
            el = etree.Element("span", {"class": "citation", "data-cites": " ".join(i.key for i in items),
                                        "data-pending": str(len(self.citations))})
        return el


class BracketedCitation(InlineProcessor):
    def __init__(self, collector: _CitationCollector, md):
        super().__init__(BRACKETED, md)
        self.collector = collector

    def handleMatch(self, m, data):
        items = parse_bracketed(m.group("body"))
        if items is None:
            return None, None, None
        return self.collector.element(items, narrative=False), m.start(0), m.end(0)


class NarrativeCitation(InlineProcessor):
    def __init__(self, collector: _CitationCollector, md):
        super().__init__(NARRATIVE, md)
        self.collector = collector

    def handleMatch(self, m, data):
        label, locator, suffix = parse_suffix(m.group("suffix") or "")
        item = CiteItem(key=m.group("key"), locator=locator, label=label, suffix=suffix)
        return self.collector.element([item], narrative=True), m.start(0), m.end(0)


class CitationExtension(Extension):
    """Registers the two citation patterns; ``md.citations`` lists what a conversion found."""

    def extendMarkdown(self, md):
        self.md = md
        self.collector = _CitationCollector()
        md.citations = self.collector.citations
        # Above 'reference' (170) and 'link' (160) so that "[see @a]" is not taken for a
        # reference link; below 'backtick' (190) so code spans keep their @.
        md.inlinePatterns.register(BracketedCitation(self.collector, md), "citation", 172)
        # Below autolinks (120) and links so that addresses keep their @; above emphasis.
        md.inlinePatterns.register(NarrativeCitation(self.collector, md), "narrative_citation", 115)
        md.registerExtension(self)

    def reset(self):
        self.collector.reset()
        self.md.citations = self.collector.citations


def key_lines(source: str) -> dict[str, list[int]]:
    """Lines where each ``@key`` occurs in a chapter's source, outside code spans and blocks.

    Python-Markdown keeps no source positions, so diagnostics find their line here.
    """
    found: dict[str, list[int]] = {}
    fence = None
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.lstrip()
        marker = re.match(r"(`{3,}|~{3,})", stripped)
        if marker:
            if fence is None:
                fence = marker.group(1)[0]
            elif stripped.startswith(fence * 3):
                fence = None
            continue
        if fence:
            continue
        line = re.sub(r"`[^`]*`", "", line)
        for m in re.finditer(r"(?<![\w/.:+])-?@(" + KEY + ")", line):
            found.setdefault(m.group(1), []).append(number)
    return found


def resolve_later(publication: Publication, make_formatter, report: Report, cache=None):
    """Check every key and start formatting every citation and the reference list; the
    call it returns fills the placeholders.  A formatter with ``submit`` (the EPUB
    worker's) formats meanwhile; another formats when the call is made.

    Formatting is the slow part; its result is cached by the style, the entries and the
    citations, so editing prose without touching citations formats nothing again."""
    refs = publication.references
    cited_keys: list[str] = []
    citations = [c for ch in publication.chapters for c in ch.citations]
    for citation in citations:
        for item in citation.items:
            if item.key not in refs:
                close = difflib.get_close_matches(item.key, list(refs), n=1)
                report.error(
                    f"unknown citation key '{item.key}'", citation.path, citation.line,
                    hint=f"did you mean '{close[0]}'?" if close else "add the entry to bibliography.bib",
                )
            elif item.key not in cited_keys:
                cited_keys.append(item.key)
    nocite = publication.metadata.nocite
    if "@*" in nocite or "*" in nocite:
        extra = [k for k in refs if k not in cited_keys]
    else:
        extra = []
        for key in nocite:
            if key not in refs:
                close = difflib.get_close_matches(key, list(refs), n=1)
                report.error(f"unknown key '{key}' in nocite", publication.metadata.source, None,
                             hint=f"did you mean '{close[0]}'?" if close else None)
            elif key not in cited_keys and key not in extra:
                extra.append(key)
    for key, ref in refs.items():
        if key not in cited_keys and key not in extra:
            report.warning(f"entry '{key}' is neither cited nor listed in nocite", ref.path, ref.line)
    if report.errors:
        return _nothing  # the later passes still run, so that one run reports every problem
    if not citations and not extra:
        return _nothing
    entries = [refs[k] for k in cited_keys + extra]
    key = None
    if cache is not None and cache.enabled:
        from .cache import digest
        from .citeformat import style_path

        meta = publication.metadata
        key = digest(style_path(meta.citation_style).read_bytes(), meta.language,
                     [r.csl for r in entries],
                     [([vars(i) for i in c.items], c.narrative, c.note, c.author_only, c.own_note) for c in citations])
    result = cache.get("citations", key) if key else None
    formatted = None
    if result is None:
        try:
            formatter = make_formatter()
        except BriefError as exc:  # a style that cannot be used: its file and line, as the author knows them
            for d in exc.diagnostics:
                report.error(d.message, d.path, d.line, hint=d.hint)
            return _nothing
        submit = getattr(formatter, "submit", None)
        formatted = submit(citations, entries) if submit else (lambda: formatter.format(citations, entries))

    def fill() -> None:
        nonlocal result
        if result is None:
            try:
                result = formatted()
            except BriefError as exc:  # the EPUB worker's formatter tells of its style here
                for d in exc.diagnostics:
                    report.error(d.message, d.path, d.line, hint=d.hint)
                return
            if key:
                cache.put("citations", key, result)
        for citation, text in zip(citations, result.citations):
            citation.html = text
        publication.cited = []
        for ref_key, entry in result.entries:
            refs[ref_key].html = entry
            publication.cited.append(refs[ref_key])

    return fill


def _nothing() -> None:
    pass


def is_note_style(style: str) -> bool:
    """Whether a CSL style is a note style (its ``<style class="note">``)."""
    from .citeformat import style_path

    head = style_path(style).read_bytes()[:8192]  # the <style> element opens the file
    found = re.search(rb"<style\b[^>]*?\bclass=[\"']([a-z-]+)", head)
    return bool(found) and found.group(1) == b"note"


def into_notes(publication: Publication) -> None:
    """Citations for a note style, as Pandoc sets them: a citation in running text becomes a
    footnote of its own, called after the punctuation that follows it ("a claim.¹"); a
    narrative citation keeps the author's name in the text ("as Smith¹ argues"), the rest
    going into the note.  Citations already in a footnote stay where they are."""
    from dataclasses import replace

    from .model import Note

    for chapter in publication.chapters:
        by_slot = {str(c.slot): c for c in chapter.citations}
        free = 1 + max([c.slot for c in chapter.citations] + [s for s, _i, _l in chapter.crossrefs], default=0)
        added: list[tuple[Citation, Citation]] = []

        def to_note(m, chapter=chapter, by_slot=by_slot, added=added):
            nonlocal free
            citation = by_slot[m.group("slot")]
            # "." never occurs in the id of an author's footnote (manuscript._safe): no clash with [^cite-1].
            note_id = f"fn-{chapter.id}.cite-{citation.slot}"
            if citation.narrative:
                rest = Citation(number=0, items=[replace(i, suppress_author=True) for i in citation.items],
                                narrative=False, path=citation.path, line=citation.line, slot=free,
                                own_note=True)
                free += 1
                citation.author_only = True
                added.append((citation, rest))
                inner = (f'<span class="citation" data-cites="{m.group("cites")}" '
                         f'data-pending="{rest.slot}"></span>')
                chapter.notes.append(Note(id=note_id, key=f"cite-{citation.slot}", html=f"<p>{inner}</p>"))
                return f'{m.group("space")}{m.group("placeholder")}<span class="noteref-pending" ' \
                       f'data-note="{note_id}"></span>{m.group("punct")}'
            citation.own_note = True
            chapter.notes.append(Note(id=note_id, key=f"cite-{citation.slot}",
                                      html=f'<p>{m.group("placeholder")}</p>'))
            return f'{m.group("punct")}<span class="noteref-pending" data-note="{note_id}"></span>'

        chapter.html = IN_TEXT.sub(to_note, chapter.html)
        for citation, rest in added:
            chapter.citations.insert(chapter.citations.index(citation) + 1, rest)


def number_notes_of_citations(publication: Publication) -> None:
    """Each citation's note number (0 in running text), once the notes are numbered; the
    citations put in the order a reader meets them, notes included (for ibid and the like)."""
    from .notes import call_position

    for chapter in publication.chapters:
        order: dict[str, tuple[int, int]] = {}
        for m in PENDING.finditer(chapter.html):
            order[m.group(2)] = (m.start(), 0)
        notes = {}
        for note in chapter.notes:
            call = call_position(chapter.html, note.id)
            for m in PENDING.finditer(note.html):
                order[m.group(2)] = (call, 1 + m.start())
                notes[m.group(2)] = note
        for citation in chapter.citations:
            note = notes.get(str(citation.slot))
            citation.note = note.number if note is not None else 0
        chapter.citations.sort(key=lambda c: order.get(str(c.slot), (len(chapter.html), 0)))


IN_TEXT = re.compile(r'(?P<space>\s*)(?P<placeholder><span class="citation" data-cites="(?P<cites>[^"]*)" '
                     r'data-pending="(?P<slot>\d+)"></span>)(?P<punct>[.,;:!?]*)')

PENDING = re.compile(r'<span class="citation" data-cites="([^"]*)" data-pending="(\d+)"></span>')


def fill(chapter_html: str, citations: list[Citation]) -> str:
    """Replace a chapter's citation placeholders with the formatted citations.  A citation
    that ends a sentence itself (a note style's "…, 12.") absorbs the author's full stop
    after it, so that the text does not read "12.."."""
    by_number = {str(c.slot): c for c in citations}

    def sub(m):
        citation = by_number[m.group(2)]
        text = citation.html
        after = m.group(3) or ""
        if after and re.sub(r"<[^>]*>", "", text).rstrip().endswith((".", "?", "!")):
            after = ""
        return f'<span class="citation" data-cites="{html.escape(m.group(1))}">{text}</span>{after}'

    return FILL.sub(sub, chapter_html)


FILL = re.compile(PENDING.pattern + r"(\.)?")
