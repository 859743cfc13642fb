"""The EPUB's embedded fonts: the print edition's faces, subset to the book's characters.

Many reading systems have no CJK font at all, and those that do pick their own; embedding
the house faces makes every character render, in the same faces as the PDF.  Each face
is found with fontconfig (its best match, as ``fc-match`` gives it) and subset with
HarfBuzz (``uharfbuzz``; milliseconds, where fontTools takes most of a second per CJK
face) to the characters the book uses (the CJK faces only to the characters the Latin
faces lack), with every layout feature kept and hinting dropped.  The subsets are stored
as plain OpenType (TTF, or OTF for the CFF-based CJK faces): WOFF2 would save a few
kilobytes after the zip's own compression but costs a third of a second per face to
compress.  Subsets are kept in the build cache keyed by the font file and the characters.
"""

from __future__ import annotations

import ctypes
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
_ASKING: threading.Thread | None = None  # the thread asking fontconfig for every house face
_LOCK = threading.Lock()


def prefetch() -> None:
    """Starts asking fontconfig for every house face, so that the answers are ready when
    the build first needs one: the build calls this before it reads the manuscript, and
    the questions are answered (on a thread: fontconfig lets go of the interpreter lock)
    while it reads."""
    global _ASKING
    with _LOCK:
        if _ASKING is None and any(face not in _FOUND for face in FACES):
            _ASKING = threading.Thread(target=_ask, args=(FACES,), name="fontconfig", daemon=True)
            _ASKING.start()


def settle() -> None:
    """Waits for the answers of :func:`prefetch`."""
    global _ASKING
    asking = _ASKING
    if asking is not None:
        asking.join()
        _ASKING = None


def find_all() -> None:
    """Asks fontconfig for every house face now, in this thread (for a process about to
    fork: its children inherit the answers)."""
    settle()
    missing = [face for face in FACES if face not in _FOUND]
    if missing:
        _ask(missing)


def find(face: Face) -> tuple[Path, int] | None:
    """The font file and collection index fontconfig gives for a face, if it is that family.

    fontconfig is asked once per process, for every house face at once: its answer does
    not change during a build."""
    settle()
    if face not in _FOUND:
        _ask([face])
    return _FOUND[face]


def _ask(faces: list[Face]) -> None:
    answers = _match([face.pattern for face in faces])
    with _LOCK:
        for face, (path, index, families) in zip(faces, answers):
            # Not a fallback to another family (fontconfig always answers with some font).
            _FOUND[face] = (Path(path), index) if path and face.family in families else None


def _match(patterns: list[str]) -> list[tuple[str, int, list[str]]]:
    """(file, index, families) of fontconfig's best match for each pattern, as ``fc-match``
    gives them: in this process through libfontconfig (13 ms for the house faces, where
    starting ``fc-match`` for each took 75 ms), else through ``fc-match``."""
    with _LOCK:  # one question at a time (the cover is drawn on a thread)
        library = _fontconfig()
        if library is None:
            return [_fc_match(pattern) for pattern in patterns]
        return [_fc_query(*library, pattern) for pattern in patterns]


def _fc_query(fc, config, pattern: str) -> tuple[str, int, list[str]]:
    query = fc.FcNameParse(pattern.encode("utf-8"))
    if not query:
        return ("", 0, [])
    fc.FcConfigSubstitute(config, query, 0)  # FcMatchPattern
    fc.FcDefaultSubstitute(query)
    result = ctypes.c_int()
    match = fc.FcFontMatch(config, query, ctypes.byref(result))
    fc.FcPatternDestroy(query)
    if not match:
        return ("", 0, [])
    text, number = ctypes.c_char_p(), ctypes.c_int()
    path = os.fsdecode(text.value) if fc.FcPatternGetString(match, b"file", 0, ctypes.byref(text)) == 0 else ""
    index = number.value if fc.FcPatternGetInteger(match, b"index", 0, ctypes.byref(number)) == 0 else 0
    families, n = [], 0
    while fc.FcPatternGetString(match, b"family", n, ctypes.byref(text)) == 0:
        families.append(text.value.decode("utf-8", "replace"))
        n += 1
    fc.FcPatternDestroy(match)
    return (path, index, families)


_LIBRARY: list = []  # [(library, config)] once loaded, [None] when it cannot be


def _fontconfig():
    if not _LIBRARY:
        try:
            fc = ctypes.CDLL("libfontconfig.so.1")
            pointer = ctypes.c_void_p
            fc.FcInitLoadConfigAndFonts.restype = pointer
            fc.FcNameParse.restype, fc.FcNameParse.argtypes = pointer, [ctypes.c_char_p]
            fc.FcConfigSubstitute.argtypes = [pointer, pointer, ctypes.c_int]
            fc.FcDefaultSubstitute.argtypes = [pointer]
            fc.FcFontMatch.restype = pointer
            fc.FcFontMatch.argtypes = [pointer, pointer, ctypes.POINTER(ctypes.c_int)]
            fc.FcPatternGetString.argtypes = [pointer, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
            fc.FcPatternGetInteger.argtypes = [pointer, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
            fc.FcPatternDestroy.argtypes = [pointer]
            config = fc.FcInitLoadConfigAndFonts()  # the process's own: WeasyPrint's is left alone
            _LIBRARY.append((fc, config) if config else None)
        except (OSError, AttributeError):
            _LIBRARY.append(None)
    return _LIBRARY[0]


def _fc_match(pattern: str) -> tuple[str, int, list[str]]:
    env = {k: v for k, v in os.environ.items() if k != "FC_DEBUG"}  # its debug lines go to stdout
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", pattern], capture_output=True,
                             text=True, env=env, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ("", 0, [])
    path, _, rest = out.partition("|")
    index, _, families = rest.partition("|")
    return (path, int(index or 0), families.split(","))


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
