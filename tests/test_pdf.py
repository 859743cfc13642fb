"""The sample's PDF, read back with poppler and qpdf: its text against the sources, its
fonts, its document information, its structure, and reproducibility."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections import Counter

import pytest
from support import (
    ROOT,
    chapter_sources,
    chapter_titles,
    cited_keys,
    expected_bracketed_citations,
    figure_captions,
    han_terms,
    load_yaml,
    pdfinfo,
    pdftotext,
    read_bib,
    squash,
)

# Given in the client's brief; each must also be in the manuscript (checked below).
CHINESE_TERMS = ["西域", "伊塔事件", "铁列克提事件", "五通", "永久全面战略伙伴关系",
                 "新时代全面战略协作伙伴关系", "全天候战略合作伙伴关系"]


@pytest.fixture(scope="module")
def text(sample_build) -> str:
    return pdftotext(sample_build.pdf)


@pytest.fixture(scope="module")
def body(sample_build) -> str:
    """The text of all pages without their running heads, page numbers and footnotes
    (which sit at the foot of the page, between the two halves of a sentence), squashed."""
    heads = {load_yaml()["title"], *chapter_titles(), "References", "About the author", "Colophon"}
    notes = [squash(n) for _name, source in chapter_sources()
             for n in re.findall(r"^\[\^[^\]]+\]:\s*(.+)$", source, re.MULTILINE)]
    assert notes, "the sample has a footnote"
    count = int(pdfinfo(sample_build.pdf)["Pages"])
    text = []
    for n in range(1, count + 1):
        for line in pdftotext(sample_build.pdf, n, n).splitlines():
            if line.strip() in heads or re.fullmatch(r"\s*\d+\s*/\s*\d+\s*", line):
                continue
            text.append(line)
    squashed = squash("\n".join(text))
    for note in notes:
        at = squashed.find(note)
        assert at >= 0, "the footnote is in the PDF text"
        squashed = squashed[: at - 2] + squashed[at + len(note):]  # the note and its "1."
    return squashed


@pytest.fixture(scope="module")
def pages(sample_build) -> list[str]:
    count = int(pdfinfo(sample_build.pdf)["Pages"])
    return [squash(pdftotext(sample_build.pdf, n, n)) for n in range(1, count + 1)]


def test_every_chapter_title_is_in_the_text(body):
    titles = chapter_titles()
    assert titles == ["Historical Background", "BRI Status", "Current Economic Relations",
                      "Key Controversies in Bilateral Relations"]
    for title in titles:
        assert squash(title) in body, title


def test_lead_paragraph_is_in_the_text(body):
    lead = load_yaml()["lead"]
    assert lead.startswith("Since its independence")
    assert squash(lead) in body


def test_every_sentence_of_the_manuscript_is_in_the_text(body):
    """Every sentence of the author's text survives; citations, cross-references and note
    calls cut a sentence into pieces that are checked one by one.  Figures, tables and
    their captions are the editors' (checked in test_figures.py)."""
    missing = []
    for name, source in chapter_sources():
        for block in re.split(r"\n\s*\n", source):
            block = block.strip()
            if not block or block.startswith(("#", "!", "[^", "|", "Table:")):
                continue
            prose = re.sub(r"\s*\[[^\[\]]*@[^\[\]]*\]|\[\^[^\]]+\]|@(?:fig|tbl|sec):[\w:-]+", "\0", block)
            for piece in re.split(r"\0|(?<=[.!?’])\s+(?=[A-Z])", prose):
                if len(squash(piece)) >= 8 and squash(piece) not in body:
                    missing.append(f"{name}: {piece[:80]}")
    assert missing == []


def test_every_chinese_term_is_extractable_text(body):
    sources = "".join(source for _name, source in chapter_sources())
    for term in CHINESE_TERMS:
        assert term in sources, f"{term} is not in the manuscript"
    for term in han_terms():
        assert term in body, term


def test_reference_list_is_complete_and_sorted_by_author(body):
    bib = read_bib(ROOT / "bibliography.bib")
    keys = cited_keys() | set(load_yaml().get("nocite") or [])
    assert len(bib) == 10 and keys == set(bib)
    expected = sorted(keys, key=lambda k: bib[k].sort_name)
    assert expected[0] == "baldakova2019" and expected[-1] == "xiaocuo2019"

    # The reference list sits between the last sentence of the last chapter and the
    # author's bio ("About the author").
    last_sentence = squash(re.split(r"(?<=[.!?])\s+", chapter_sources()[-1][1].strip())[-1])
    bio_start = squash(" ".join(load_yaml()["authors"][0]["bio"].split()[:6]))
    start = body.rindex(last_sentence) + len(last_sentence)
    references = body[start:body.index(bio_start, start)]
    positions = []
    for key in expected:
        name, _literal = bib[key].names[0]
        m = re.search(re.escape(squash(name)) + r"[,.]", references)
        assert m, f"no entry for {key} ({name}) in the reference list"
        # The style sets the case of a title (title case, stop words), never its words.
        title_words = squash(" ".join(bib[key].title.split()[:4]))
        assert title_words.lower() in references.lower(), f"title of {key} missing"
        positions.append(m.start())
    assert positions == sorted(positions), [k for _p, k in sorted(zip(positions, expected))]


def test_figure_captions_are_numbered(body):
    captions = figure_captions()
    assert "China–Kazakhstan trade, 2019 (billion USD)" in captions
    assert any("customs" in c for c in captions)
    for number, caption in enumerate(captions, start=1):
        assert squash(f"Figure {number}. {caption}") in body, caption


def test_citations_appear_as_author_and_year(body):
    bib = read_bib(ROOT / "bibliography.bib")
    assert squash(f"({bib['xiaocuo2019'].names[0][0]} {bib['xiaocuo2019'].year})") == squash("(Xiaocuo 2019)")
    expected = expected_bracketed_citations()
    assert expected, "the sample has citations"
    wanted = Counter(squash(c) for c in expected)
    missing = {c: n for c, n in wanted.items() if body.count(c) < n}
    assert missing == {}


def test_footnote_is_printed_on_the_page_of_its_call(pages):
    """The sample's only note: its text and the words just before its call share a page."""
    for _name, source in chapter_sources():
        m = re.search(r"^\[\^([^\]]+)\]:\s*(.+)$", source, re.MULTILINE)
        if m:
            break
    label, note = m.group(1), m.group(2)
    before_call = source[: source.index(f"[^{label}]")]
    before_call = re.sub(r"\[[^\[\]]*@[^\[\]]*\]", "", before_call)
    lead_in = squash(" ".join(before_call.split()[-4:]).rstrip("."))
    note_start = squash(" ".join(note.split()[:6]))
    call_pages = [n for n, page in enumerate(pages, start=1) if lead_in in page]
    note_pages = [n for n, page in enumerate(pages, start=1) if note_start in page]
    assert len(call_pages) == 1 and len(note_pages) == 1, (call_pages, note_pages)
    assert note_pages == call_pages, f"note on page {note_pages[0]}, its call on page {call_pages[0]}"


def test_every_font_is_embedded(sample_build):
    out = subprocess.run(["pdffonts", str(sample_build.pdf)], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    columns = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[rule])]
    header = [lines[rule - 1][a:b + 1].strip() for a, b in columns]
    emb = header.index("emb")
    fonts = [line for line in lines[rule + 1:] if line.strip()]
    assert fonts, "no fonts listed"
    not_embedded = [f for f in fonts if f[columns[emb][0]:columns[emb][1] + 1].strip() != "yes"]
    assert not_embedded == []


def test_document_information_comes_from_publication_yaml(sample_build):
    meta = load_yaml()
    info = pdfinfo(sample_build.pdf)
    assert info["Title"] == meta["title"]
    assert info["Author"] == ", ".join(a["name"] for a in meta["authors"])
    assert info["Tagged"] == "yes"
    assert info["CreationDate"].startswith(str(meta["edition"]["date"])) and str(meta["edition"]["date"]) == "2021-05-24"


def test_qpdf_finds_no_structural_errors(sample_build):
    proc = subprocess.run(["qpdf", "--check", str(sample_build.pdf)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_two_builds_are_byte_identical(sample_build, second_sample_build):
    first = hashlib.sha256(sample_build.pdf.read_bytes()).hexdigest()
    second = hashlib.sha256(second_sample_build.pdf.read_bytes()).hexdigest()
    assert first == second


def test_hyphenation_patterns_parsed_once_travel_to_the_worker_unchanged(tmp_path, monkeypatch):
    """The build process parses the language's patterns (or takes them from the build
    cache) and the worker puts them in pyphen's cache, where WeasyPrint finds them: the
    hyphenation is the one pyphen makes from its own file."""
    import threading

    import pyphen

    from briefpress import hyphenation
    from briefpress.cache import Cache

    words = ["multidimensionality", "infrastructural", "notwithstanding", "Kazakhstan"]
    expected = [pyphen.Pyphen(lang="en_GB", cache=False).inserted(w) for w in words]
    assert any("-" in e for e in expected)
    found = hyphenation.patterns("en-GB", Cache(tmp_path))
    ((path, parsed),) = found.items()
    assert path == pyphen.LANGUAGES["en_GB"] and len(parsed.patterns) > 1000

    def parse(self, _path):
        raise AssertionError("parsed again")

    monkeypatch.setattr(pyphen.HyphDict, "__init__", parse)
    monkeypatch.setattr(pyphen, "hdcache", {})
    again = hyphenation.patterns("en-GB", Cache(tmp_path))  # from the build cache
    arrived = threading.Event()

    def receive():  # the frame that follows the job, as the worker's thread reads it
        arrived.wait(10)
        return again

    hyphenation.install_when_received(receive)
    threading.Timer(0.2, arrived.set).start()
    assert [pyphen.Pyphen(lang="en-GB").inserted(w) for w in words] == expected  # waited for them
    assert hyphenation.patterns("zh-Hans", Cache(tmp_path)) == {}


def test_weasyprint_is_imported_without_the_library_search_and_the_search_is_restored():
    """``weasyload.import_weasyprint`` skips ctypes' library search only while WeasyPrint opens
    its libraries (a fresh process: nothing imported before)."""
    import subprocess
    import sys

    script = ("import ctypes.util; calls = []; real = ctypes.util.find_library\n"
              "def search(name):\n    calls.append(name)\n    return real(name)\n"
              "ctypes.util.find_library = search\n"
              "from briefpress.weasyload import import_weasyprint; w = import_weasyprint()\n"
              "print(w.__name__, ctypes.util.find_library is search, len(calls), "
              "w.HTML(string='<p>x</p>').render().pages != [])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.split() == ["weasyprint", "True", "0", "True"], done.stdout + done.stderr


def test_weasyprint_gets_fonttools_subsetter_and_instancer_on_first_use_only():
    """fontTools' subsetter and instancer (WeasyPrint's fallbacks) are not imported with
    WeasyPrint, yet work when used, and any later import gets the real modules."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from briefpress.weasyload import import_weasyprint; w = import_weasyprint()\n"
        "import weasyprint.pdf.fonts as f\n"
        "before = [m in sys.modules for m in ('fontTools.subset', 'fontTools.varLib.instancer')]\n"
        "options = f.subset.Options(retain_gids=True)\n"  # the real class, through the stand-in
        "import fontTools.subset as real\n"
        "from fontTools.varLib.instancer import instantiateVariableFont as ivf\n"
        "import fontTools.ttLib\n"
        "try:\n    f.instantiateVariableFont(fontTools.ttLib.TTFont(), {})\n"
        "except ValueError as exc:\n    called = str(exc).replace(' ', '_')\n"
        "print(before, type(options) is real.Options, type(real).__name__, ivf.__module__, called)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    # The instancer was reached: its own error about a font that is not variable.
    assert done.stdout.split("] ", 1)[0] == "[False, False", done.stdout + done.stderr
    rest = done.stdout.split("] ", 1)[1].split()
    assert rest[:3] == ["True", "module", "fontTools.varLib.instancer"], done.stdout
    assert rest[3] == "Missing_required_table_fvar", done.stdout


def test_cffi_arrays_of_any_length_need_no_parse_and_are_the_same_c_type():
    """WeasyPrint's ``ffi.new(f"hb_codepoint_t[{n}]", ...)`` no longer parses a C
    declaration per length; the array is the type cffi's parse makes, with the same values."""
    import cffi

    from briefpress.weasyload import import_weasyprint

    weasyprint = import_weasyprint()
    ffi = weasyprint.text.ffi.ffi
    plain = cffi.FFI()
    plain.cdef("typedef uint32_t hb_codepoint_t;")
    parses = []
    real_parse = type(ffi._parser).parse_type

    def counted(self, cdecl):
        if self is ffi._parser:  # not the plain FFI's
            parses.append(cdecl)
        return real_parse(self, cdecl)

    type(ffi._parser).parse_type = counted
    try:
        for n in (3, 517, 60001):
            array = ffi.new(f"hb_codepoint_t[{n}]", list(range(n)))
            expected = plain.new(f"hb_codepoint_t[{n}]", list(range(n)))
            assert ffi.typeof(array).cname == plain.typeof(expected).cname == f"uint32_t[{n}]"
            assert ffi.sizeof(array) == plain.sizeof(expected) == 4 * n
            assert list(array) == list(expected)
    finally:
        type(ffi._parser).parse_type = real_parse
    assert [p for p in parses if "[" in p] == [], parses


def test_pdf_streams_are_compressed_at_zlibs_default_level():
    """pydyf asks for level 9; WeasyPrint loaded by the build compresses at zlib's default
    level (half the time for under 1% more bytes), and the stream still decodes."""
    import zlib

    import pydyf

    from briefpress.weasyload import import_weasyprint

    import_weasyprint()
    content = b"".join(b"BT /F1 10 Tf %d 700 Td (line %d of a page) Tj ET\n" % (n % 97, n) for n in range(5000))
    data = pydyf.Stream([content], compress=True).data
    compressed = data[data.index(b"stream\n") + 7:data.rindex(b"\nendstream")]
    assert zlib.decompress(compressed) == content
    assert compressed == zlib.compress(content, zlib.Z_DEFAULT_COMPRESSION) != zlib.compress(content, 9)


def test_pdf_objects_are_serialized_once_for_the_file_and_its_identifier(tmp_path, monkeypatch):
    """pydyf serializes (and compresses) every object for the file, then again for the hash
    of its identifier; loaded by the build, once: the same bytes, a valid file."""
    import io

    import pydyf

    from briefpress.weasyload import import_weasyprint

    import_weasyprint()
    made = Counter()
    stream_data = pydyf.Stream.data
    monkeypatch.setattr(pydyf.Stream, "data", property(lambda self: made.update([id(self)]) or stream_data.fget(self)))

    def written(write) -> tuple[bytes, list[int]]:
        pdf = pydyf.PDF()
        contents = []
        for n in range(3):
            content = pydyf.Stream([b"BT /F1 12 Tf 72 %d Td (page %d) Tj ET" % (700 - 20 * n, n)], compress=True)
            pdf.add_object(content)
            contents.append(content)
            pdf.add_page(pydyf.Dictionary({"Type": "/Page", "Parent": pdf.pages.reference,
                                           "MediaBox": pydyf.Array([0, 0, 595, 842]), "Contents": content.reference}))
        pdf.info["Title"] = pydyf.String("Serialized once")
        made.clear()
        output = io.BytesIO()
        write(pdf, output, identifier=b"brief", compress=True)
        return output.getvalue(), [made[id(content)] for content in contents]

    once, once_made = written(pydyf.PDF.write)
    twice, twice_made = written(pydyf.PDF.write.__wrapped__)  # pydyf's own
    assert once == twice and b"/ID [" in once
    assert once_made == [1, 1, 1] and twice_made == [2, 2, 2]
    (tmp_path / "once.pdf").write_bytes(once)
    check = subprocess.run(["qpdf", "--check", str(tmp_path / "once.pdf")], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_serialize_once_write_is_not_applied_to_a_pydyf_it_does_not_fit(monkeypatch):
    """Applied to a pydyf whose ``write`` breaks on the proxies, or writes other bytes
    through them, the serialize-once write stays out, and nothing is raised."""
    import pydyf

    from briefpress import weasyload

    own = pydyf.PDF.write.__wrapped__ if hasattr(pydyf.PDF.write, "__wrapped__") else pydyf.PDF.write

    def picky(self, output, version=b"1.7", identifier=False, compress=False):
        if not all(isinstance(o, pydyf.Object) for o in self.objects):
            raise TypeError("not a pydyf object")
        return own(self, output, version, identifier, compress)

    def counting(self, output, version=b"1.7", identifier=False, compress=False):
        own(self, output, version, identifier, compress)
        output.write(b"%% %d plain objects\n" % sum(type(o).__module__ == "pydyf" for o in self.objects))

    for other in (picky, counting):
        monkeypatch.setattr(pydyf.PDF, "write", other)
        weasyload._serialize_once()
        assert pydyf.PDF.write is other
    monkeypatch.setattr(pydyf.PDF, "write", own)
    weasyload._serialize_once()
    assert pydyf.PDF.write.__wrapped__ is own  # the pydyf it was made for


def test_a_faces_whole_file_is_copied_only_if_read(tmp_path, monkeypatch):
    """WeasyPrint copies each face's whole file (a CJK collection: 19–26 MB) when it meets
    the face, then embeds a subset; loaded by the build, it copies the file only if it is
    read.  Laying out Latin and Chinese text copies nothing but the subsets, whose text
    poppler reads back; a file read before subsetting is the face's whole file."""
    from briefpress import weasyload

    weasyprint = weasyload.import_weasyprint()
    copies = []
    real_read = weasyload._FaceFile.read

    def read(self):  # counts the copies made
        first = self.data is weasyload._FaceFile._UNREAD
        data = real_read(self)
        if first:
            copies.append(len(data))
        return data

    monkeypatch.setattr(weasyload._FaceFile, "read", read)
    html = ('<p style="font-family: \'Noto Sans CJK SC\'">西域 伊塔事件</p>'
            '<p style="font-family: \'Noto Serif\'">Latin text</p>')
    laid = weasyprint.HTML(string=html).render()
    (tmp_path / "t.pdf").write_bytes(laid.write_pdf())
    assert "西域 伊塔事件" in pdftotext(tmp_path / "t.pdf") and "Latin text" in pdftotext(tmp_path / "t.pdf")
    fonts = list(laid.fonts.values())
    cjk = [font for font in fonts if "CJK" in font.family]
    assert cjk and len(fonts) >= 2
    assert len(copies) == len(fonts), "one copy per font: its subset"
    whole = weasyprint.text.fonts.get_hb_object_data(cjk[0].hb_face)  # WeasyPrint's own copy
    assert len(whole) > 10_000_000 and max(copies) < len(whole) / 10
    assert all(len(font.file_content) in copies for font in fonts)
    cjk[0].file_content = weasyprint.pdf.fonts.get_hb_object_data(cjk[0].hb_face)
    assert isinstance(cjk[0].__dict__["_file_content"], weasyload._FaceFile)
    assert cjk[0].file_content == whole and cjk[0].type == ("otf" if whole[:4] == b"OTTO" else "ttf")


@pytest.mark.parametrize("cdecl", ["PangoFcFontMap *", "PangoRectangle *", "PangoLogAttr[]", "hb_tag_t *",
                                   "hb_codepoint_t *", "char *", "char[]", "unsigned int *", "void *"])
def test_cffi_pointers_and_arrays_of_declared_types_need_no_parse(cdecl):
    """The declarations WeasyPrint's layout and writing ask cffi for resolve without
    pycparser, to the very C type object cffi's own parse gives."""
    from briefpress.weasyload import import_weasyprint

    ffi = import_weasyprint().text.ffi.ffi
    parser = ffi._parser
    real_parse = type(parser).parse_type
    parses = []

    def counted(self, text):
        parses.append(text)
        return real_parse(self, text)

    ffi._parsed_types.pop(cdecl, None)
    type(parser).parse_type = counted
    try:
        fast = ffi.typeof(cdecl)
    finally:
        type(parser).parse_type = real_parse
    assert parses == []
    with ffi._lock:
        assert fast is ffi._get_cached_btype(real_parse(parser, cdecl))  # what cffi's parse makes


def test_the_build_process_hands_freed_memory_back_while_it_waits_for_the_pdf():
    """``memory.release`` returns freed heap to the system: a process that freed 150 MB of
    small blocks keeps most of it resident until then (a fresh process: nothing else)."""
    import subprocess
    import sys

    script = (
        "import os\n"
        "def rss():\n"
        "    with open('/proc/self/statm') as f:\n"
        "        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') // 2**20\n"
        "blocks = [bytes(1000 + i % 7) for i in range(150_000)]\n"
        "keep = bytes(1000)  # above the freed blocks: the heap cannot simply shrink from the top\n"
        "del blocks\n"
        "before = rss()\n"
        "from briefpress.memory import release\n"
        "release()\n"
        "print(before, rss())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    before, after = map(int, done.stdout.split())
    assert before > 100 and after < before - 100, done.stdout + done.stderr
