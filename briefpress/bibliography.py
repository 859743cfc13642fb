"""The bibliography: a BibTeX/BibLaTeX file read with bibtexparser 2 and converted to CSL data.

This is the one place where BibTeX becomes CSL.  Types and fields follow the mapping
Pandoc uses for ``-f biblatex -t csljson``.  Problems that bibtexparser only records
(failed blocks, duplicate keys, duplicate fields) become errors with the line of the .bib
file, so nothing is silently dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

import bibtexparser
from bibtexparser import model as bibmodel
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from pylatexenc.latex2text import LatexNodes2Text

from . import limits
from .errors import Report
from .model import Reference

TYPES = {
    "article": "article-journal",
    "book": "book",
    "mvbook": "book",
    "collection": "book",
    "mvcollection": "book",
    "proceedings": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "bookinbook": "chapter",
    "suppbook": "chapter",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "report": "report",
    "techreport": "report",
    "online": "webpage",
    "www": "webpage",
    "electronic": "webpage",
    "thesis": "thesis",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "unpublished": "manuscript",
    "manual": "report",
    "booklet": "pamphlet",
    "misc": "document",
    "dataset": "dataset",
    "software": "software",
    "patent": "patent",
    "periodical": "periodical",
    "legislation": "legislation",
}

NAME_FIELDS = {"author": "author", "editor": "editor", "translator": "translator", "bookauthor": "container-author"}

# BibTeX field -> CSL variable, for fields copied as text.
TEXT_FIELDS = {
    "title": "title",
    "subtitle": None,  # joined onto the title below
    "shorttitle": "title-short",
    "volume": "volume",
    "edition": "edition",
    "isbn": "ISBN",
    "issn": "ISSN",
    "doi": "DOI",
    "url": "URL",
    "note": "note",
    "abstract": "abstract",
    "series": "collection-title",
    "type": "genre",
    "version": "version",
    "eventtitle": "event-title",
    "venue": "event-place",
}

MONTHS = {name: i for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}

# Fields a type needs before a style can render it sensibly (a warning, not an error).
REQUIRED = {
    "article-journal": ("author", "title", "container-title", "issued"),
    "book": ("title", "issued"),
    "chapter": ("author", "title", "container-title", "issued"),
    "report": ("title", "issued"),
    "webpage": ("title",),
}

# Links a reference list may carry: web addresses and DOIs, never javascript:, file: or data:.
SAFE_URL = re.compile(r"(?i)^(?:(?:https?|ftp)://[^\s<>\"]+|doi:10\.\d{4,9}/\S+)$")
DOI = re.compile(r"(?i)^(?:(?:https?://(?:dx\.)?doi\.org/)|doi:)?10\.\d{4,9}/\S+$")

_latex = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)


def decode(value: str) -> str:
    """LaTeX markup to Unicode text: accents, ``--``, ``\\&``, braces."""
    if "\\" not in value and "{" not in value and "-" not in value and "~" not in value:
        return value
    # A bare & or % is text to a BibTeX author but markup to LaTeX: keep it as text.
    value = re.sub(r"(?<!\\)([&%])", r"\\\1", value)
    text = _latex.latex_to_text(value)
    return re.sub(r"\s+", " ", text).strip()


def read_bibliography(path: Path, report: Report) -> dict[str, Reference]:
    """Read ``path`` into references keyed by citation key; problems go to ``report``."""
    if not limits.check_file_size(path, limits.BIBLIOGRAPHY_BYTES, "bibliography", report):
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        report.error("not valid UTF-8; save the bibliography as UTF-8", path, line)
        return {}
    library = bibtexparser.parse_string(text)
    for block in library.failed_blocks:
        _report_failed(block, path, report)
    _check_structure(text, library, path, report)
    _check_strings(text, path, report)
    references: dict[str, Reference] = {}
    for entry in library.entries:
        deep = [f.key for f in entry.fields
                if isinstance(f.value, str) and limits.brace_depth(f.value) > limits.BIBTEX_BRACE_DEPTH]
        if deep:
            report.error(f"field '{deep[0]}' of '{entry.key}' nests braces more than "
                         f"{limits.BIBTEX_BRACE_DEPTH} deep", path, entry.start_line + 1)
            continue
        references[entry.key] = Reference(
            key=entry.key, csl=to_csl(entry, path, report), path=path, line=entry.start_line + 1
        )
    return references


def _report_failed(block, path: Path, report: Report) -> None:
    line = (block.start_line or 0) + 1
    if isinstance(block, bibmodel.DuplicateBlockKeyBlock):
        first = block.previous_block.start_line + 1 if getattr(block, "previous_block", None) else None
        report.error(
            f"duplicate key '{block.key}'" + (f" (first defined at line {first})" if first else ""), path, line
        )
    elif isinstance(block, bibmodel.DuplicateFieldKeyBlock):
        fields = ", ".join(sorted(block.duplicate_keys))
        report.error(f"entry has the field {fields} more than once", path, line)
    else:
        raw = getattr(block, "raw", "") or ""
        opened, closed = raw.count("{"), raw.count("}")
        if opened != closed:
            report.error(f"malformed entry: {opened} '{{' but {closed} '}}'; a brace is not closed", path, line,
                         hint="the entries after it may be swallowed too; check the braces of each field")
            return
        reason = str(getattr(block, "error", "")) or "cannot parse this block"
        report.error(f"malformed entry: {reason}", path, line)


def _check_structure(text: str, library, path: Path, report: Report) -> None:
    """Catch what bibtexparser accepts silently: a stray '}' and a missing comma.

    A missing comma between fields makes the next field part of the previous value
    (``title = {A} year = 2020``); a closing brace outside any entry is left as a comment.
    """
    for block in library.comments:
        raw = getattr(block, "raw", None) or ""
        if "}" in raw and "@" not in raw:
            offset = raw.index("}")
            report.error("unbalanced '}' outside an entry", path, (block.start_line or 0) + 1 + raw[:offset].count("\n"))
    for entry in library.entries:
        for fld in entry.fields:
            value = fld.value if isinstance(fld.value, str) else ""
            m = re.search(r"[}\"]\s*\n?\s*([A-Za-z][\w-]*)\s*=\s*[{\"\d]", value)
            if m:
                report.error(
                    f"field '{fld.key}' swallows '{m.group(1)} = …': a comma is missing before it",
                    path,
                    (fld.start_line or entry.start_line) + 1 + value[: m.start()].count("\n"),
                )


def _check_strings(text: str, path: Path, report: Report) -> None:
    """A bare word in a field is an @string macro: bibtexparser keeps an undefined one as
    text (``publisher = express`` prints "express"), so it is an error here."""
    raw = bibtexparser.parse_string(text, parse_stack=[])
    defined = {s.key.lower() for s in raw.strings} | set(MONTHS)
    for entry in raw.entries:
        for fld in entry.fields:
            value = fld.value if isinstance(fld.value, str) else ""
            pieces = [p.strip() for p in _split_concatenation(value)]
            for piece in pieces:
                if re.fullmatch(r"[A-Za-z_][\w:.+/-]*", piece) and piece.lower() not in defined:
                    report.error(f"field '{fld.key}' uses the undefined @string '{piece}'", path,
                                 (fld.start_line or entry.start_line) + 1,
                                 hint=f"define it with @string{{{piece} = {{…}}}}, or put the text in braces")
            if len(pieces) > 1:
                report.error(f"field '{fld.key}' joins strings with '#', which is not supported; "
                             "write the text out", path, (fld.start_line or entry.start_line) + 1)


def _split_concatenation(value: str) -> list[str]:
    """The parts of ``a # {b} # "c"`` outside braces and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(value):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            parts.append(value[start:i])
            start = i + 1
    return [*parts, value[start:]]


def _names(value: str, path: Path, line: int, report: Report) -> list[dict]:
    names = []
    for raw in split_multiple_persons_names(value):
        raw = raw.strip()
        if raw.lower() == "others":
            continue  # "and others": the style's et-al rules decide
        if raw.startswith("{") and raw.endswith("}") and _balanced(raw[1:-1]):
            names.append({"literal": decode(raw[1:-1])})
            continue
        try:
            parts = parse_single_name_into_parts(raw)
        except ValueError as exc:  # bibtexparser's InvalidNameError is a ValueError
            report.error(f"cannot read the name '{raw}': {exc}", path, line)
            continue
        name: dict = {"family": decode(" ".join(parts.last))}
        if parts.first:
            name["given"] = decode(" ".join(parts.first))
        if parts.von:
            name["non-dropping-particle"] = decode(" ".join(parts.von))
        if parts.jr:
            name["suffix"] = decode(" ".join(parts.jr))
        names.append(name)
    return names


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            return False
    return depth == 0


def _date(value: str) -> dict | None:
    """A biblatex date (``2019``, ``2019-12``, ``2019-12-10``, ranges with ``/``) as CSL date-parts."""
    parts = []
    for piece in value.split("/"):
        m = re.fullmatch(r"\s*(-?\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*", piece)
        if not m:
            return None
        parts.append([int(x) for x in m.groups() if x])
    return {"date-parts": parts} if parts else None


def to_csl(entry, path: Path, report: Report) -> dict:
    line = entry.start_line + 1
    fields = {f.key.lower(): f.value for f in entry.fields}
    entry_type = entry.entry_type.lower()
    csl: dict = {"id": entry.key, "type": TYPES.get(entry_type, "document")}
    if entry_type not in TYPES:
        report.warning(f"entry type @{entry.entry_type} is not known; rendered as a document", path, line)
    for bib, var in NAME_FIELDS.items():
        if bib in fields:
            csl[var] = _names(fields[bib], path, line, report)
    for bib, var in TEXT_FIELDS.items():
        if var and bib in fields:
            csl[var] = decode(fields[bib])
    if "subtitle" in fields and "title" in csl:
        csl["title"] = f"{csl['title']}: {decode(fields['subtitle'])}"
    container = fields.get("journaltitle") or fields.get("journal") or fields.get("booktitle")
    if container:
        csl["container-title"] = decode(container)
    if "maintitle" in fields and "container-title" not in csl:
        csl["container-title"] = decode(fields["maintitle"])
    if "number" in fields:
        csl["issue" if csl["type"] in ("article-journal", "article-magazine", "article-newspaper") else "number"] = decode(fields["number"])
    if "issue" in fields:
        csl["issue"] = decode(fields["issue"])
    if "pages" in fields:
        csl["page"] = decode(fields["pages"]).replace("-", "–").replace("––", "–")
    publisher = fields.get("publisher") or fields.get("institution") or fields.get("organization") or fields.get("school")
    if publisher:
        csl["publisher"] = decode(publisher)
    place = fields.get("location") or fields.get("address")
    if place:
        csl["publisher-place"] = decode(place)
    if "howpublished" in fields and "publisher" not in csl:
        csl["publisher"] = decode(fields["howpublished"])
    if "date" in fields:
        issued = _date(fields["date"])
        if issued is None:
            report.error(f"date '{fields['date']}' is not of the form YYYY, YYYY-MM or YYYY-MM-DD", path, line)
        else:
            csl["issued"] = issued
    elif "year" in fields:
        year = decode(fields["year"])
        if re.fullmatch(r"\d{1,4}", year):
            parts = [int(year)]
            month = fields.get("month", "").strip().lower()[:3]
            if month in MONTHS:
                parts.append(MONTHS[month])
            elif month.isdigit():
                parts.append(int(month))
            csl["issued"] = {"date-parts": [parts]}
        else:
            csl["issued"] = {"literal": year}
    if "urldate" in fields:
        accessed = _date(fields["urldate"])
        if accessed:
            csl["accessed"] = accessed
    if "URL" in csl and not SAFE_URL.match(csl["URL"]):
        report.error(f"url '{csl['URL']}' is not an http(s), ftp or doi: address", path, line)
        del csl["URL"]
    if "DOI" in csl and not DOI.match(csl["DOI"]):
        report.error(f"doi '{csl['DOI']}' is not a DOI (10.NNNN/…)", path, line)
        del csl["DOI"]
    missing = [f for f in REQUIRED.get(csl["type"], ()) if f not in csl and not (f == "author" and "editor" in csl)]
    if missing:
        report.warning(f"entry '{entry.key}' ({csl['type']}) has no {', '.join(missing)}", path, line)
    return csl
