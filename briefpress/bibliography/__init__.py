"""The bibliography: a BibTeX/BibLaTeX file read with bibtexparser 2 and converted to CSL data.

This package is the one place where BibTeX becomes CSL, and Pandoc (``-f biblatex -t
csljson``) is its reference: ``tests/parity.py`` compares the two entry by entry.  Here the
file is read: values are expanded as BibTeX does (@string macros, ``#``), ``crossref`` and
``xdata`` are resolved (``crossref``), and each entry is converted (``csl``, with ``latex``,
``textcase`` and ``names`` for the text of its fields).  Problems that bibtexparser only
records (failed blocks, duplicate keys, duplicate fields) become errors with the line of the
.bib file, so nothing is silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
from bibtexparser import model as bibmodel

from .. import limits
from ..errors import Report
from ..model import Reference
from .crossref import inherit
from .csl import to_csl
from .localisation import BIBSTRINGS, MONTHS


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
    # Values stay raw (braces, quotes, '#', macro names): they are expanded here as BibTeX does.
    library = bibtexparser.parse_string(text, parse_stack=[])
    for block in library.failed_blocks:
        _report_failed(block, path, report)
    _check_structure(text, library, path, report)
    strings = _strings(library, path, report)
    items = []
    for entry in library.entries:
        deep = [f.key for f in entry.fields
                if isinstance(f.value, str) and limits.brace_depth(f.value) > limits.BIBTEX_BRACE_DEPTH]
        if deep:
            report.error(f"field '{deep[0]}' of '{entry.key}' nests braces more than "
                         f"{limits.BIBTEX_BRACE_DEPTH} deep", path, entry.start_line + 1)
            continue
        fields = {}
        for fld in entry.fields:
            value = fld.value if isinstance(fld.value, str) else ""
            line = (fld.start_line or entry.start_line) + 1
            name = FIELD_ALIASES.get(fld.key.lower(), fld.key.lower())
            fields[name] = _expand(value, strings, f"field '{fld.key}'", path, line, report)
        items.append(Entry(entry.key, entry.entry_type.lower(), fields, entry.start_line + 1))
    references: dict[str, Reference] = {}
    for item in inherit(items):
        if item.type == "xdata":
            continue
        references[item.key] = Reference(key=item.key, csl=to_csl(item, path, report), path=path, line=item.line)
    return references


FIELD_ALIASES = {"archiveprefix": "eprinttype", "primaryclass": "eprintclass"}


@dataclass(frozen=True)
class Entry:
    """An entry with its fields expanded: lower-case names, @string macros and '#' resolved."""

    key: str
    type: str
    fields: dict[str, str]
    line: int


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


def _strings(library, path: Path, report: Report) -> dict[str, str]:
    """The @string macros, each expanded with the ones defined before it."""
    strings: dict[str, str] = {}
    for block in library.strings:
        value = block.value if isinstance(block.value, str) else ""
        strings[block.key.lower()] = _expand(value, strings, f"@string '{block.key}'", path,
                                             (block.start_line or 0) + 1, report)
    return strings


def _expand(value: str, strings: dict[str, str], where: str, path: Path, line: int, report: Report) -> str:
    """A raw value as BibTeX reads it: ``{…}`` and ``"…"`` parts, numbers and macros joined by '#'.

    A bare word is an @string macro; bibtexparser would keep an undefined one as text
    (``publisher = express`` prints "express"), so it is an error here, except biblatex's
    month and localisation keys, which Pandoc resolves too.
    """
    parts = []
    for piece in (p.strip() for p in _split_concatenation(value)):
        if len(piece) >= 2 and piece[0] + piece[-1] in ("{}", '""'):
            parts.append(piece[1:-1])
        elif piece.isdigit():
            parts.append(piece)
        elif piece.lower() in strings:
            parts.append(strings[piece.lower()])
        elif piece.lower() in MONTHS or piece.lower() in BIBSTRINGS:
            parts.append(BIBSTRINGS.get(piece.lower(), piece))
        elif piece:
            report.error(f"{where} uses the undefined @string '{piece}'", path, line,
                         hint=f"define it with @string{{{piece} = {{…}}}}, or put the text in braces")
            parts.append(piece)
    return "".join(parts)


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


