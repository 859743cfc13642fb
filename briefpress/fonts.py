"""The EPUB's embedded fonts: the print edition's faces, subset to the book's characters.

Many reading systems have no CJK font at all, and those that do pick their own; embedding
the house faces makes every character render, in the same faces as the PDF.  Each face
is found with ``fc-match`` and subset with HarfBuzz (``uharfbuzz``; milliseconds, where
fontTools takes most of a second per CJK face) to the characters the book uses (the CJK
faces only to the characters the Latin faces lack), with every layout feature kept and
hinting dropped.  The subsets are stored as plain OpenType (TTF, or OTF for the CFF-based
CJK faces): WOFF2 would save a few kilobytes after the zip's own compression but costs
a third of a second per face to compress.  Subsets are kept in the build cache keyed by
the font file and the characters.
"""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from .cache import digest

ALWAYS = {chr(c) for c in range(0x20, 0x7F)} | set("\u00a0\u2002\u2013\u2014\u2018\u2019\u201c\u201d\u2026")


@dataclass(frozen=True)
class Face:
    family: str
    weight: int
    style: str
    pattern: str  # for fc-match
    cjk: bool = False

    @property
    def stem(self) -> str:
        style = {400: "Regular", 700: "Bold"}[self.weight] + ("Italic" if self.style == "italic" else "")
        return self.family.replace(" ", "") + "-" + style.replace("RegularItalic", "Italic")


FACES = [
    Face("Noto Serif", 400, "normal", "Noto Serif:regular"),
    Face("Noto Serif", 700, "normal", "Noto Serif:bold"),
    Face("Noto Serif", 400, "italic", "Noto Serif:italic"),
    Face("Noto Serif", 700, "italic", "Noto Serif:bold:italic"),
    Face("Noto Sans", 400, "normal", "Noto Sans:regular"),
    Face("Noto Sans", 700, "normal", "Noto Sans:bold"),
    # CJK runs are rare and short in a brief: regular weights only (bold is synthesised).
    Face("Noto Serif CJK SC", 400, "normal", "Noto Serif CJK SC:regular", cjk=True),
    Face("Noto Sans CJK SC", 400, "normal", "Noto Sans CJK SC:regular", cjk=True),
]


@dataclass
class EmbeddedFont:
    face: Face
    file_name: str  # inside fonts/
    data: bytes
    media_type: str
    format: str  # for the CSS src: "truetype" or "opentype"


_FOUND: dict[Face, tuple[Path, int] | None] = {}
_ASKED: list[tuple[list[Face], subprocess.Popen | None]] = []  # fc-match runs started, not yet read
_LOCK = threading.Lock()
# One process asks fontconfig for several faces in turn, one answer line each: one process
# to start instead of one per face (starting eight took the build 40 ms before it read).
_ASK = 'for pattern do fc-match -f "%{file}|%{index}|%{family}\\n" "$pattern" || echo; done'


def prefetch() -> None:
    """Starts asking fontconfig for every house face, so that the answers are ready when
    the build first needs one: the build calls this before it reads the manuscript, and
    the questions are answered while it reads."""
    with _LOCK:
        _ask_all()


def settle() -> None:
    """Reads the answers still pending (a build that failed before it needed them), so
    that no ``fc-match`` process is left unreaped."""
    with _LOCK:
        _collect()


def _pending() -> set[Face]:
    return {face for faces, _process in _ASKED for face in faces}


def _ask_all() -> None:
    faces = [face for face in FACES if face not in _FOUND and face not in _pending()]
    if faces:
        _ASKED.append((faces, _start(faces)))


def _collect() -> None:
    for faces, process in _ASKED:
        _FOUND.update(zip(faces, _answers(faces, process)))
    _ASKED.clear()


def find(face: Face) -> tuple[Path, int] | None:
    """The font file and collection index fontconfig gives for a face, if it is that family.

    fontconfig is asked once per process, for every house face at once: its answer does
    not change during a build."""
    with _LOCK:  # the EPUB's cover is drawn on a second thread
        return _find(face)


def _find(face: Face) -> tuple[Path, int] | None:
    if face not in _FOUND:
        _ask_all()
        if face not in _pending():  # not a house face
            _ASKED.append(([face], _start([face])))
        _collect()
    return _FOUND[face]


def _start(faces: list[Face]) -> subprocess.Popen | None:
    env = {k: v for k, v in os.environ.items() if k != "FC_DEBUG"}  # its debug lines go to stdout
    try:
        return subprocess.Popen(["sh", "-c", _ASK, "sh", *[face.pattern for face in faces]],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    except OSError:
        return None


def _answers(faces: list[Face], process: subprocess.Popen | None) -> list[tuple[Path, int] | None]:
    """One answer per face, in order: None for a face fontconfig has no file of its family for."""
    if process is None:
        return [None] * len(faces)
    try:
        out, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return [None] * len(faces)
    lines = out.split("\n")
    return [_answer(face, lines[i] if i < len(lines) else "") for i, face in enumerate(faces)]


def _answer(face: Face, line: str) -> tuple[Path, int] | None:
    path, _, rest = line.partition("|")
    index, _, families = rest.partition("|")
    if path and face.family in families.split(","):  # not a fallback to another family
        return Path(path), int(index or 0)
    return None


def embed(text: str, cache=None) -> list[EmbeddedFont]:
    """Subsets of the house faces covering ``text``; faces not installed are left out."""
    chars = set(text) - {"\n", "\r", "\t"}
    found = {face: find(face) for face in FACES}
    latin = next((f for f in FACES if not f.cjk and found[f]), None)
    latin_chars = covered(found[latin], chars) if latin else set()
    result = []
    for face in FACES:
        location = found[face]
        if location is None:
            continue
        wanted = (chars - latin_chars) if face.cjk else (chars | ALWAYS)
        wanted = {c for c in wanted if not c.isspace() or c == " "}
        if face.cjk and not wanted:
            continue
        data = _subset(location, wanted, cache)
        if data:
            cff = data[:4] == b"OTTO"
            result.append(EmbeddedFont(face, face.stem + (".otf" if cff else ".ttf"), data,
                                       "font/otf" if cff else "font/ttf", "opentype" if cff else "truetype"))
    return result


def css(fonts: list[EmbeddedFont], folder: str = "../fonts") -> str:
    rules = []
    for font in fonts:
        rules.append(
            "@font-face {\n"
            f'  font-family: "{font.face.family}";\n'
            f"  font-weight: {font.face.weight};\n"
            f"  font-style: {font.face.style};\n"
            f'  src: url("{folder}/{font.file_name}") format("{font.format}");\n'
            "}\n")
    return "".join(rules)


def hb_face(location: tuple[Path, int]):
    import uharfbuzz as hb

    path, index = location
    return hb.Face(hb.Blob.from_file_path(str(path)), index)


def has_glyph(location: tuple[Path, int]):
    """A test ``char -> bool``: whether the face has a glyph for it (HarfBuzz reads the cmap lazily)."""
    import uharfbuzz as hb

    font = hb.Font(hb_face(location))
    return lambda char: bool(font.get_nominal_glyph(ord(char)))


def covered(location: tuple[Path, int], chars: set[str]) -> set[str]:
    """The characters of ``chars`` the face has a glyph for."""
    test = has_glyph(location)
    return {c for c in chars if test(c)}


_MEMO: dict[str, bytes] = {}  # subsets made in this process (tests build many small books)


def _subset(location: tuple[Path, int], chars: set[str], cache) -> bytes | None:
    import uharfbuzz as hb

    path, index = location
    stat = path.stat()
    key = digest("font-subset", hb.__version__, str(path), index, stat.st_size, stat.st_mtime_ns,
                 "".join(sorted(chars)))
    if key in _MEMO:
        return _MEMO[key]
    if cache is not None and (hit := cache.get("fonts", key)) is not None:
        return hit
    face = hb_face(location)
    wanted = hb.SubsetInput()
    for c in chars:
        wanted.unicode_set.add(ord(c))
    for kind in (wanted.layout_feature_tag_set, wanted.sets(hb.SubsetInputSets.NAME_ID)):
        kind.clear()
        kind.invert()  # every layout feature; every name record (the SIL OFL notice included)
    wanted.flags = hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NOTDEF_OUTLINE
    subset = hb.subset(face, wanted)
    if subset is None or not set(subset.unicodes):
        return None
    data = bytes(subset.blob.data)
    _MEMO[key] = data
    if cache is not None:
        cache.put("fonts", key, data)
    return data
