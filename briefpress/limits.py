"""Limits on input: what the build refuses before any expensive work, with a clear error.

Hostile or careless input must not run for minutes or exhaust memory: a chapter too large,
nesting too deep, a table too long, an image whose pixels would not fit in memory, a
bibliography or metadata file that is too large (or a YAML "billion laughs").  Each limit
is far above what a brief needs; the README lists them under "Limits".
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import Report

CHAPTER_BYTES = 2 * 1024 * 1024  # one chapter file (a long brief is ~100 KB)
NESTING_DEPTH = 50  # lists and block quotes inside each other
TABLE_ROWS = 5_000  # rows of one table (pipe table or CSV)
IMAGE_PIXELS = 50_000_000  # width × height of a raster figure, checked from its header
BIBLIOGRAPHY_BYTES = 5 * 1024 * 1024  # the .bib file
BIBTEX_BRACE_DEPTH = 64  # braces inside one BibTeX field
METADATA_BYTES = 256 * 1024  # publication.yaml
YAML_NODES = 100_000  # values in publication.yaml once its *aliases are expanded

MB = 1024 * 1024
# C0 controls other than tab and newline, and the non-characters XML refuses.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$|^\s*\|\s*:?-+:?\s*\|\s*$")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n // 1024} KB"


def check_file_size(path: Path, limit: int, what: str, report: Report) -> bool:
    """False (and an error) when ``path`` is larger than ``limit`` bytes; read nothing."""
    size = path.stat().st_size
    if size > limit:
        report.error(f"the {what} is {_size(size)}; the limit is {_size(limit)}", path,
                     hint=f"split the {what} into smaller files" if what == "chapter" else None)
        return False
    return True


def check_chapter_source(source: str, path: Path, report: Report) -> bool:
    """Control characters, nesting depth and table length, by one scan of the lines."""
    ok = True
    for m in CONTROL.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        column = m.start() - (source.rfind("\n", 0, m.start()) + 1) + 1
        report.error(f"control character U+{ord(m.group()):04X} in the text; delete it", path, line, column)
        ok = False
        break  # one is enough: a binary file would give thousands
    lines = source.split("\n")
    fence = None
    table_start, rows = None, 0
    for number, text in enumerate(lines, start=1):
        m = FENCE.match(text)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        depth = _depth(text)
        if depth > NESTING_DEPTH:
            report.error(f"lists or block quotes nested {depth} levels deep; the limit is {NESTING_DEPTH}",
                         path, number)
            return False
        if table_start is None:
            if DELIMITER_ROW.match(text) and "|" in text and number > 1 and "|" in lines[number - 2]:
                table_start, rows = number - 1, 0
        elif "|" in text and text.strip():
            rows += 1
            if rows > TABLE_ROWS:
                report.error(f"the table has more than {TABLE_ROWS:,} rows; split it or shorten it",
                             path, table_start)
                return False
        else:
            table_start = None
    return ok


def _depth(text: str) -> int:
    """Block quote markers plus list levels (four columns of indentation each) of a line."""
    quotes = 0
    i = 0
    while i < len(text) and text[i] in "> \t":
        quotes += text[i] == ">"
        i += 1
    indent = len(text[:i].replace(">", "").expandtabs(4))
    listed = bool(re.match(r"([-*+]|\d{1,9}[.)])\s", text[i:]))
    return quotes + indent // 4 + listed


def check_image_header(img, name: str) -> str | None:
    """The error for a raster image (opened, not decoded) with too many pixels, or None."""
    width, height = img.size
    if width * height > IMAGE_PIXELS:
        return (f"'{name}': the image is {width} × {height} pixels ({width * height / 1e6:.0f} megapixels); "
                f"the limit is {IMAGE_PIXELS // 1_000_000} megapixels")
    return None


def check_yaml_size(text: str, path: Path, report: Report) -> bool:
    """Refuse metadata larger than :data:`METADATA_BYTES` before it is parsed."""
    if len(text.encode("utf-8")) > METADATA_BYTES:
        report.error(f"the metadata file is larger than {_size(METADATA_BYTES)}", path)
        return False
    return True


def check_yaml_aliases(root, path: Path, report: Report) -> bool:
    """Refuse metadata whose aliases expand it beyond :data:`YAML_NODES` ("billion
    laughs": a few lines of ``*alias`` references that expand exponentially in whatever
    walks the data).  ``root`` is the composed node tree, where aliases are still shared."""
    import yaml

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node) -> int:
        if id(node) in open_nodes:
            raise RecursionError  # an alias inside its own anchor
        if id(node) in sizes:
            return sizes[id(node)]
        open_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(n) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            total = 1
        sizes[id(node)] = total
        open_nodes.discard(id(node))
        return total

    try:
        expanded = size(root) if root is not None else 0
    except RecursionError:
        report.error("a YAML alias (*name) refers to a value that contains it", path)
        return False
    if expanded > YAML_NODES:
        report.error(f"the metadata expands to more than {YAML_NODES:,} values through YAML aliases (*name); "
                     "write the values out", path)
        return False
    return True


def brace_depth(value: str) -> int:
    depth = deepest = 0
    for ch in value:
        if ch == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == "}":
            depth -= 1
    return deepest
