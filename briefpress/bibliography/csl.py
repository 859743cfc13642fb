"""One BibTeX entry as CSL data, field for field as Pandoc's ``-f biblatex -t csljson``.

Types, titles (with sentence case for English entries), names, dates, numbers, publishers
and places, identifiers and notes follow Pandoc's biblatex reader; what a reference list
must not carry (a ``javascript:`` URL, a DOI that is none) is reported and left out.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import Report
from . import latex, textcase
from .latex import Node
from .localisation import BIBSTRINGS, ENGLISH_VARIANTS, LANGUAGES, MONTHS
from .names import literal_list, names

# biblatex entry type -> CSL type, as Pandoc maps them ("" where Pandoc has no CSL type).
TYPES = {
    "article": "article-journal", "book": "book", "booklet": "pamphlet", "bookinbook": "chapter",
    "collection": "book", "dataset": "dataset", "electronic": "webpage", "inbook": "chapter",
    "incollection": "chapter", "inreference": "entry-encyclopedia", "inproceedings": "paper-conference",
    "conference": "paper-conference", "manual": "book", "mastersthesis": "thesis", "misc": "",
    "mvbook": "book", "mvcollection": "book", "mvproceedings": "book", "mvreference": "book",
    "online": "webpage", "patent": "patent", "periodical": "article-journal", "phdthesis": "thesis",
    "proceedings": "book", "reference": "book", "report": "report", "software": "software",
    "suppbook": "chapter", "suppcollection": "chapter", "suppperiodical": "article-journal",
    "techreport": "report", "thesis": "thesis", "unpublished": "manuscript", "www": "webpage",
    "artwork": "graphic", "audio": "song", "commentary": "book", "image": "graphic",
    "jurisdiction": "legal_case", "legislation": "legislation", "legal": "treaty",
    "letter": "personal_communication", "movie": "motion_picture", "music": "song",
    "performance": "speech", "review": "review", "standard": "legislation", "video": "motion_picture",
    "data": "dataset", "letters": "personal_communication", "newsarticle": "article-newspaper",
}
ARTICLES = ("article", "periodical", "suppperiodical", "review")
CHAPTERS = ("inbook", "incollection", "inproceedings", "inreference", "bookinbook")
# Types whose number is the number in a series.
SERIES_NUMBERED = ("book", "collection", "proceedings", "reference", "mvbook", "mvcollection",
                   "mvproceedings", "mvreference", "bookinbook", "inbook", "incollection",
                   "inproceedings", "inreference", "suppbook", "suppcollection")

# Fields a type needs before a style can render it sensibly (a warning, not an error).
REQUIRED = {
    "article-journal": ("author", "title", "container-title", "issued"),
    "book": ("title", "issued"),
    "chapter": ("author", "title", "container-title", "issued"),
    "report": ("title", "issued"),
    "webpage": ("title",),
}
# The BibTeX fields an author writes for a CSL variable, for the warning.
FIELD_NAMES = {
    "author": "author (or editor)", "title": "title", "issued": "date (or year)",
    "container-title": {"article-journal": "journaltitle (or journal)", "chapter": "booktitle"},
}

# Links a reference list may carry: web addresses and DOIs, never javascript:, file: or data:.
SAFE_URL = re.compile(r"(?i)^(?:(?:https?|ftp)://[^\s<>\"]+|doi:10\.\d{4,9}/\S+)$")
DOI = re.compile(r"(?i)^(?:(?:https?://(?:dx\.)?doi\.org/)|doi:)?10\.\d{4,9}/\S+$")


def _date(value: str) -> dict | None:
    """A biblatex (EDTF) date: ``2019``, ``2019-12``, ``2019-12-10``, ranges with ``/``,
    ``~`` or ``?`` for an approximate date."""
    value = value.strip().replace("\u00a0", "~")
    circa = value.endswith(("~", "?", "%"))
    value = value.rstrip("~?%")
    parts = []
    for piece in value.split("/"):
        if piece in ("", ".."):
            parts.append([])
            continue
        m = re.fullmatch(r"(-?\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", piece.strip())
        if not m:
            return None
        parts.append([int(x) for x in m.groups() if x])
    while parts and not parts[-1] and len(parts) > 1:
        parts.pop()
    date: dict = {"date-parts": parts}
    if circa:
        date["circa"] = True
    return date


def _old_date(fields: dict, prefix: str) -> dict | None:
    """A date from ``year``/``month``/``day`` (and ``endyear``…), or the year as a literal."""
    def number(name, month=False):
        raw = fields.get(prefix + name)
        if raw is None:
            return None
        text = raw if month else latex.to_plain(_text(raw))
        text = re.sub(r"^[–—](?=\d)", "-", text.strip())
        if month and text.lower() in MONTHS:
            return MONTHS[text.lower()]
        return int(text) if re.fullmatch(r"-?\d+", text) else None

    parts = []
    for y, m, d in (("year", "month", "day"), ("endyear", "endmonth", "endday")):
        year = number(y)
        if year is None:
            continue
        month = number(m, month=True)
        day = number(d) if month is not None else None
        parts.append([x for x in (year, month, day) if x is not None])
    if parts:
        return {"date-parts": parts}
    if prefix + "year" in fields:
        return {"literal": fields[prefix + "year"]}
    return None


def _text(value: str) -> list[Node]:
    return latex.parse(value, _bibstring)


def _bibstring(key: str) -> str:
    """A biblatex localisation key in English; a capitalised key gives a capitalised string."""
    text = BIBSTRINGS.get(key.lower(), key)
    return text[:1].upper() + text[1:] if key[:1].isupper() else text


def _resolve_keys(nodes: list[Node]) -> list[Node]:
    return [Node("str", _bibstring(n.text)) if n.kind == "str" else n for n in nodes]


def _join(sep: str, parts: list[list[Node]]) -> list[Node]:
    """Pandoc's concatWith: parts joined by ``sep`` and a space, unless one already ends in punctuation."""
    out: list[Node] = []
    for part in parts:
        if not part:
            continue
        if out:
            last = out[-1]
            if not (last.kind == "str" and last.text and last.text[-1] in "!?.,:;"):
                out.append(Node("str", sep))
            out.append(Node("space"))
        out.extend(part)
    return out


def to_csl(item, path: Path, report: Report) -> dict:
    """One entry as CSL data, field for field as Pandoc's ``-f biblatex -t csljson``."""
    entry = _Fields(item)
    csl: dict = {"id": item.key, "type": TYPES.get(item.type, "")}
    if item.type not in TYPES:
        report.warning(f"entry type @{item.type} is not known; rendered without a CSL type", path, item.line)
    subtype = entry.f.get("entrysubtype")
    if item.type in ("article", "periodical", "suppperiodical") and subtype in ("magazine", "newspaper"):
        csl["type"] = "article-" + subtype
    if item.type == "unpublished" and ({"eventdate", "eventtitle", "venue"} & entry.f.keys()):
        csl["type"] = "speech"
    if entry.language:
        csl["language"] = entry.language
    _add_names(csl, entry)
    _add_dates(csl, entry, path, item.line, report)
    _add_numbers(csl, entry)
    _add_titles(csl, entry)
    _add_publication(csl, entry)
    _add_notes(csl, entry)
    _check(csl, path, item.line, report)
    return csl


class _Fields:
    """An entry's fields as inline text; titles in sentence case unless the entry is not English."""

    def __init__(self, item):
        self.f, self.type = item.fields, item.type
        self.options = {k.strip().lower(): v.strip().lower() for k, _, v in
                        (o.partition("=") for o in self.f.get("options", "").split(",")) if k.strip()}
        language = None
        if "langid" in self.f:
            language = self.f["langid"].strip().lower()
            variant = self.f.get("langidopts", "").strip().lower().removeprefix("variant=")
            if language == "english" and variant in ENGLISH_VARIANTS:
                language = ENGLISH_VARIANTS[variant]
        elif "hyphenation" in self.f:
            language = self.f["hyphenation"].strip().lower()
        self.language = LANGUAGES.get(language, language) if language else None
        self.english = self.language is None or self.language.startswith("en-")

    def text(self, name: str) -> list[Node]:
        return _text(self.f[name]) if name in self.f else []

    def title(self, name: str) -> list[Node]:
        nodes = self.text(name)
        return textcase.sentence_case(nodes) if self.english and nodes else nodes

    def first(self, *fields: str | None, titled: bool = True) -> list[Node]:
        """The first of ``fields`` the entry has (``None`` stands for a field that does not apply)."""
        for name in fields:
            if name and name in self.f:
                return self.title(name) if titled else self.text(name)
        return []

    def option(self, name: str) -> bool:
        return self.options.get(name) in ("true", "")


def _put(csl: dict, var: str, nodes: list[Node]) -> None:
    if nodes:
        csl[var] = latex.to_csl(nodes)


def _add_names(csl: dict, entry: _Fields) -> None:
    for bib, var in (("author", "author"), ("bookauthor", "container-author"), ("translator", "translator"),
                     ("editor", "editor"), ("director", "director")):
        if bib in entry.f:
            found = names(_text(entry.f[bib]), entry.option("useprefix"), entry.option("juniorcomma"))
            if found:
                csl[var] = found
    if entry.f.get("editortype") == "director" and "editor" in csl:
        csl["director"] = csl.pop("editor")


def _add_dates(csl: dict, entry: _Fields, path: Path, line: int, report: Report) -> None:
    for var, bib, old in (("issued", "date", ""), ("event-date", "eventdate", "event"),
                          ("original-date", "origdate", "orig"), ("accessed", "urldate", "url")):
        date = _date(entry.f[bib]) if bib in entry.f else None
        if bib in entry.f and date is None:
            report.error(f"{bib} '{entry.f[bib]}' is not of the form YYYY, YYYY-MM or YYYY-MM-DD", path, line)
        date = date or _old_date(entry.f, old)
        if date:
            csl[var] = date


def _add_numbers(csl: dict, entry: _Fields) -> None:
    if "pages" in entry.f:
        csl["page"] = latex.to_csl(entry.text("pages")).replace("–", "-")
    _put(csl, "number-of-pages", entry.text("pagetotal"))
    volume, part = entry.text("volume"), entry.text("part")
    _put(csl, "volume", [*volume, Node("str", "."), *part] if volume and part else volume or part)
    for bib, var in (("volumes", "number-of-volumes"), ("chapter", "chapter-number"), ("edition", "edition"),
                     ("version", "version")):
        _put(csl, var, entry.text(bib))
    if "number" in entry.f:
        if entry.type in SERIES_NUMBERED:
            _put(csl, "collection-number", entry.text("number"))
        elif entry.type in ARTICLES:
            _put(csl, "issue", _join(",", [entry.text("number"), entry.text("issue")]))
        else:
            _put(csl, "number", entry.text("number"))


def _add_titles(csl: dict, entry: _Fields) -> None:
    f, first = entry.f, entry.first
    main, periodical, chapter = "maintitle" in f, entry.type == "periodical", entry.type in CHAPTERS
    own_main = main and not chapter  # a volume of a multi-volume work: the main title is its title

    def full(title, subtitle, addon):
        return _join(".", [_join(":", [title, subtitle]), addon]) if title else []

    _put(csl, "title", full(first("issuetitle" if periodical else None, "maintitle" if own_main else None, "title"),
                            first("issuesubtitle" if periodical else None, "mainsubtitle" if own_main else None,
                                  "subtitle"),
                            first("maintitleaddon" if own_main else None, "titleaddon")))
    if main:
        _put(csl, "volume-title", full(first("booktitle" if chapter else "title"),
                                       first("booksubtitle" if chapter else "subtitle"),
                                       first("booktitleaddon" if chapter else "titleaddon")))
    if periodical and "title" in f:
        container = [first("title", titled=False), first("subtitle", titled=False), first("titleaddon", titled=False)]
    elif chapter and ({"maintitle", "booktitle"} & f.keys()):
        container = [first("maintitle", "booktitle"), first("mainsubtitle", "booksubtitle"),
                     first("maintitleaddon", "booktitleaddon")]
    else:
        container = [first("journaltitle", "journal", titled=False), first("journalsubtitle", titled=False), []]
    _put(csl, "container-title", full(*container))
    _put(csl, "container-title-short",
         first("shorttitle" if periodical and not main else None, "shortjournal", titled=False))
    if "series" in f:
        series = _resolve_keys(entry.title("series"))
        if len(series) == 1 and series[0].kind == "str" and re.fullmatch(r"-?\d+", series[0].text):
            series = [Node("str", _ordinal(series[0].text)), Node("space"), Node("str", "series")]
        _put(csl, "collection-title", series)
    if "shorttitle" in f and (not main or chapter):
        _put(csl, "title-short", entry.title("shorttitle"))
    elif "title" in f:
        # Without a short title, the title up to its colon (or all of it, when a subtitle is apart).
        whole = ("subtitle" in f or "titleaddon" in f) and not main
        nodes = _split_colon(entry.title("title"))
        if whole or any(n.kind == "str" and n.text == ":" for n in nodes):
            _put(csl, "title-short", latex.trim(_before_colon(nodes)))
    _put(csl, "event", entry.title("eventtitle"))  # Pandoc writes CSL 1.0.1's name for event-title
    _put(csl, "original-title", entry.title("origtitle"))


def _add_publication(csl: dict, entry: _Fields) -> None:
    f, text = entry.f, entry.text
    publishers = [text(name) if name == "howpublished" else _literal_list(text(name))
                  for name in ("school", "institution", "organization", "howpublished", "publisher")]
    _put(csl, "publisher", _join(";", publishers))
    _put(csl, "original-publisher", text("origpublisher"))
    _put(csl, "event-place", text("venue"))
    _put(csl, "publisher-place", _literal_list(text("address")) if "address" in f
         else _literal_list(text("location")) if entry.type != "patent" else [])
    _put(csl, "original-publisher-place", _literal_list(text("origlocation")))
    if entry.type == "patent" and "location" in f:
        _put(csl, "jurisdiction", _resolve_keys(_literal_list(text("location"))))
    if "url" in f and (entry.type == "online" or entry.options.get("url") != "false"):
        csl["URL"] = f["url"].strip()
    elif "eprint" in f and f.get("eprinttype", "").lower() in EPRINT_URLS:
        csl["URL"] = EPRINT_URLS[f["eprinttype"].lower()] + f["eprint"]
    if "doi" in f and entry.options.get("doi") != "false":
        csl["DOI"] = f["doi"]
    for bib, var in (("isbn", "ISBN"), ("issn", "ISSN"), ("pmid", "PMID"), ("pmcid", "PMCID"),
                     ("library", "call-number")):
        if bib in f:
            csl[var] = f[bib]


def _add_notes(csl: dict, entry: _Fields) -> None:
    text = entry.text
    _put(csl, "annote", text("annotation") or text("annote"))
    _put(csl, "abstract", text("abstract"))
    _put(csl, "keyword", text("keywords"))
    _put(csl, "note", _join(".", [text("note") if entry.type != "periodical" else [], text("addendum")]))
    if "pubstate" in entry.f:
        _put(csl, "status", _resolve_keys(text("pubstate")))
    elif csl.get("issued", {}).get("literal") == "forthcoming":
        csl["status"] = "forthcoming"
    genre = entry.f.get("type") or {"mastersthesis": "mathesis", "phdthesis": "phdthesis"}.get(entry.type)
    if genre:
        csl["genre"] = latex.to_plain(_text(BIBSTRINGS.get(genre.strip().lower(), genre)))


EPRINT_URLS = {"arxiv": "https://arxiv.org/abs/", "jstor": "https://www.jstor.org/stable/",
               "pubmed": "https://www.ncbi.nlm.nih.gov/pubmed/", "googlebooks": "https://books.google.com?id="}


def _ordinal(number: str) -> str:
    n = int(number)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{number}{suffix}"


def _literal_list(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for part in literal_list(nodes):
        if out:
            out += [Node("str", ";"), Node("space")]
        out += part
    return out


def _split_colon(nodes: list[Node]) -> list[Node]:
    out = []
    for node in nodes:
        if node.kind == "str" and ":" in node.text:
            out += [Node("str", p) for p in re.split(r"(:)", node.text) if p]
        else:
            out.append(node)
    return out


def _before_colon(nodes: list[Node]) -> list[Node]:
    out = []
    for node in nodes:
        if node.kind == "str" and node.text == ":":
            break
        out.append(node)
    return out


def _check(csl: dict, path: Path, line: int, report: Report) -> None:
    """What a reference list must not carry, and what a style needs to render an entry."""
    if "URL" in csl and not SAFE_URL.match(csl["URL"]):
        report.error(f"url '{csl['URL']}' is not an http(s), ftp or doi: address", path, line)
        del csl["URL"]
    if "DOI" in csl and not DOI.match(csl["DOI"]):
        report.error(f"doi '{csl['DOI']}' is not a DOI (10.NNNN/…)", path, line)
        del csl["DOI"]
    missing = [f for f in REQUIRED.get(csl["type"], ()) if f not in csl and not (f == "author" and "editor" in csl)]
    if missing:
        names = [FIELD_NAMES.get(f, f) for f in missing]
        names = [n.get(csl["type"], "container title") if isinstance(n, dict) else n for n in names]
        report.warning(f"entry '{csl['id']}' has no {', no '.join(names)}; its reference-list entry will lack it",
                       path, line)
