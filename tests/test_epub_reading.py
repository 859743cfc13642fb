"""The sample's EPUB as reading systems and their users meet it: a cover image, landmarks,
the print edition's page numbers, popup footnotes, embedded fonts that cover every
character, accessibility metadata that says only what is true, DAISY Ace, and Calibre's
conversion to text."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_main
from lxml import etree
from support import NS, ROOT, Epub, pdftotext, squash, text_of

OPF_META = ".//opf:metadata/opf:meta"
ACE = ROOT / ".tools" / "node_modules" / ".bin" / "ace-cli"


@pytest.fixture(scope="module")
def book(sample_build):
    epub = Epub(sample_build.epub)
    yield epub
    epub.close()


def meta_values(epub: Epub, prop: str) -> list[str]:
    return [m.text for m in epub.opf.iterfind(OPF_META, NS) if m.get("property") == prop]


def reading_order(epub: Epub) -> list[str]:
    ids = {item.get("id"): epub.resolve(item.get("href")) for item in epub.opf.iterfind(".//opf:manifest/opf:item", NS)}
    return [ids[ref.get("idref")] for ref in epub.opf.iterfind(".//opf:spine/opf:itemref", NS)]


# --- structure -----------------------------------------------------------------------------

def test_the_cover_is_a_raster_image_of_the_print_cover_shown_with_alt_text(book):
    from PIL import Image

    covers = [(name, media) for name, media, props in book.manifest() if "cover-image" in props.split()]
    assert len(covers) == 1
    name, media = covers[0]
    assert media in ("image/png", "image/jpeg")
    image = Image.open(io.BytesIO(book.zip.read(name)))
    assert image.height >= 1600 and image.width < image.height
    cover_page = reading_order(book)[0]
    imgs = book.tree(cover_page).findall(".//x:img", NS)
    assert [book.resolve(i.get("src"), base=cover_page) for i in imgs] == [name]
    alt = imgs[0].get("alt")
    assert "China–Kazakhstan relations" in alt and "Oyuna Baldakova" in alt


def test_landmarks_lead_to_cover_contents_body_and_references(book):
    nav = book.tree(book.nav_name())
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
    kinds = [a.get(f"{{{NS['epub']}}}type") for a in landmarks.iterfind(".//x:a", NS)]
    assert kinds == ["cover", "toc", "bodymatter", "bibliography"]


def test_footnotes_pop_up_noteref_and_aside_in_the_same_file(book):
    """Apple Books and Kobo pop a note up when the call is an <a epub:type="noteref"> and its
    target an <aside epub:type="footnote"> in the same document."""
    found = 0
    for name in book.xhtml_names():
        tree = book.tree(name)
        for ref in tree.iterfind(".//x:a[@epub:type='noteref']", NS):
            found += 1
            assert ref.get("role") == "doc-noteref"
            href = ref.get("href")
            assert href.startswith("#"), f"{name}: a noteref must point into its own file: {href}"
            aside = tree.find(f".//x:aside[@id='{href[1:]}']", NS)
            assert aside is not None, f"{name}: no aside for {href}"
            assert aside.get(f"{{{NS['epub']}}}type") == "footnote" and aside.get("role") == "doc-footnote"
            backlink = aside.find("x:p/x:a", NS)
            assert backlink is not None and backlink.get("href") == f"#{ref.get('id')}"
            assert backlink.get("role") == "doc-backlink"
            assert text_of(aside).startswith(text_of(ref) + "."), "the note's number comes first"
    assert found >= 1


# --- the print edition's pages -------------------------------------------------------------

def page_markers(epub: Epub) -> list[tuple[str, str, etree._Element]]:
    """(file, label, marker) of every page break, in reading order."""
    markers = []
    for name in reading_order(epub):
        for el in epub.tree(name).iter(f"{{{NS['x']}}}span"):
            if el.get(f"{{{NS['epub']}}}type") == "pagebreak":
                markers.append((name, el.get("aria-label"), el))
    return markers


def test_page_list_has_every_pdf_page_in_reading_order(book, sample_build):
    from pypdf import PdfReader

    pages = len(PdfReader(sample_build.pdf).pages)
    nav_name = book.nav_name()
    page_list = book.tree(nav_name).find(".//x:nav[@epub:type='page-list']", NS)
    assert page_list is not None
    entries = [(text_of(a), a.get("href")) for a in page_list.iterfind(".//x:a", NS)]
    assert [label for label, _ in entries] == [str(n) for n in range(1, pages + 1)]
    markers = page_markers(book)
    assert [label for _, label, _ in markers] == [str(n) for n in range(1, pages + 1)], "markers out of order"
    for (label, href), (name, _, marker) in zip(entries, markers, strict=True):
        path, _, fragment = href.partition("#")
        assert book.resolve(path, base=nav_name) == name and fragment == marker.get("id")
        assert marker.get("role") == "doc-pagebreak" and marker.get("aria-label") == label
    assert meta_values(book, "source-of") == ["pagination"]
    assert "pageNavigation" in meta_values(book, "schema:accessibilityFeature")


def test_each_page_marker_stands_before_text_printed_on_that_pdf_page(book, sample_build):
    """The words after a marker inside a paragraph, or the opening words of one of the first
    blocks after a marker between blocks, are on that page (the EPUB's title page repeats
    the title, which the PDF prints on the cover only)."""
    blocks = {f"{{{NS['x']}}}{tag}" for tag in ("p", "h1", "h2", "h3", "li", "figcaption", "div")}
    checked = 0
    for _name, label, marker in page_markers(book):
        if (marker.tail or "").strip():  # the page opens inside a paragraph: the words after the marker
            rest = marker.tail + "".join("".join(el.itertext()) + (el.tail or "") for el in marker.itersiblings())
            openings = [" ".join(rest.split()[:5])]
        else:
            following = marker.getnext() if marker.getnext() is not None else marker.getparent()
            openings = [" ".join(text_of(el).split()[:5]) for el in following.iter() if el.tag in blocks]
            openings = [o for o in openings if o][:3]
        if not openings:  # the cover image
            continue
        page_text = squash(pdftotext(sample_build.pdf, int(label), int(label)))
        assert any(squash(o) in page_text for o in openings), f"page {label} shows none of {openings}"
        checked += 1
    assert checked >= 12
    inside = [label for _, label, m in page_markers(book) if m.getparent().tag == f"{{{NS['x']}}}p"]
    assert inside, "no page of the sample opens mid-paragraph, or its marker was put before the next one"


def test_an_epub_only_build_takes_the_page_list_of_the_last_pdf_build(make_project, tmp_path):
    project = make_project()
    out = tmp_path / "out"
    for formats in ("pdf", "epub"):
        code, _out, err = run_main(["build", str(project), "--to", formats, "--out", str(out)])
        assert code == 0, err
    from pypdf import PdfReader

    pages = len(PdfReader(out / "minimal.pdf").pages)
    book = Epub(out / "minimal.epub")
    try:
        labels = [label for _, label, _ in page_markers(book)]
        assert labels == [str(n) for n in range(1, pages + 1)], "no page list from the PDF of the same content"
    finally:
        book.close()
    # a fresh output folder has no PDF to take pages from: no page list, and no claim of one
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "fresh")])
    assert code == 0, err
    book = Epub(tmp_path / "fresh" / "minimal.epub")
    try:
        assert page_markers(book) == []
        assert book.tree(book.nav_name()).find(".//x:nav[@epub:type='page-list']", NS) is None
        assert "pageNavigation" not in meta_values(book, "schema:accessibilityFeature")
        assert book.opf.find(".//dc:source", NS) is None
    finally:
        book.close()


# --- fonts and CSS -------------------------------------------------------------------------

def test_embedded_fonts_cover_every_character_of_the_book(book):
    from fontTools.ttLib import TTFont

    fonts = [(name, media) for name, media, _ in book.manifest() if media.startswith("font/")]
    assert {m for _, m in fonts} <= {"font/ttf", "font/otf", "font/woff2"}
    css_name = next(name for name, media, _ in book.manifest() if media == "text/css")
    css = book.zip.read(css_name).decode("utf-8")
    for src in re.findall(r'src: url\("([^"]+)"\)', css):
        assert book.resolve(src, base=css_name) in {n for n, _ in fonts}
    covered: dict[str, set[int]] = {}
    for name, _media in fonts:
        font = TTFont(io.BytesIO(book.zip.read(name)))
        covered[Path(name).stem] = set(font.getBestCmap())
    serif = covered["NotoSerif-Regular"]
    cjk = covered["NotoSerifCJKSC-Regular"]
    text = "".join("".join(book.tree(n).find(".//x:body", NS).itertext()) for n in book.xhtml_names())
    missing = {c for c in text if not c.isspace() and ord(c) not in serif | cjk}
    assert not missing, f"characters no embedded face has: {sorted(missing)}"
    han = {c for c in text if "\u4e00" <= c <= "\u9fff"}
    assert han and all(ord(c) in cjk for c in han)
    assert len(cjk) < 200, "the CJK face is not subset"


def test_the_sample_epub_stays_under_one_megabyte(sample_build):
    assert sample_build.epub.stat().st_size < 1_000_000


def test_css_leaves_size_and_colours_to_the_reader(book):
    css_name = next(name for name, media, _ in book.manifest() if media == "text/css")
    css = re.sub(r"/\*.*?\*/", "", book.zip.read(css_name).decode("utf-8"), flags=re.DOTALL)
    for rule in re.finditer(r"([^{}]+)\{([^}]*)\}", css):
        selector, body = rule.group(1).strip(), rule.group(2)
        size = re.search(r"font-size:\s*([^;]+)", body)
        assert size is None or re.fullmatch(r"[\d.]+(em|rem|%)", size.group(1).strip()), f"{selector}: {size}"
        assert not re.search(r"(^|[;\s])color:", body), f"{selector} fixes a text colour"


# --- metadata ------------------------------------------------------------------------------

def test_titles_authors_and_accessibility_metadata(book):
    titles = {t.get("id"): t.text for t in book.opf.iterfind(".//dc:title", NS)}
    refinements = {(m.get("refines"), m.get("property")): m.text for m in book.opf.iterfind(OPF_META, NS)
                   if m.get("refines")}
    assert refinements[("#" + next(k for k, v in titles.items() if v.startswith("History")), "title-type")] == "subtitle"
    creator = book.opf.find(".//dc:creator", NS)
    assert refinements[(f"#{creator.get('id')}", "role")] == "aut"
    assert book.opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    assert set(meta_values(book, "schema:accessMode")) == {"textual", "visual"}
    assert "textual" in meta_values(book, "schema:accessModeSufficient")
    features = set(meta_values(book, "schema:accessibilityFeature"))
    assert {"alternativeText", "tableOfContents", "readingOrder", "structuralNavigation"} <= features
    assert meta_values(book, "schema:accessibilityHazard") == ["none"]
    assert "page numbers of the PDF edition" in meta_values(book, "schema:accessibilitySummary")[0]
    assert meta_values(book, "dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]


def test_accessibility_is_not_claimed_when_an_image_lacks_alt_text():
    from briefpress import accessibility

    doc = ('<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en"><body>'
           '<img src="a.png"/><img src="b.png" alt="A chart."/></body></html>')
    found = accessibility.examine([("a.xhtml", doc)], "en", page_list=False)
    pairs = accessibility.metadata(found)
    features = {v for p, v in pairs if p == "schema:accessibilityFeature"}
    assert "alternativeText" not in features and "pageNavigation" not in features
    assert ("schema:accessModeSufficient", "textual") not in pairs
    assert not any(p == "dcterms:conformsTo" for p, _ in pairs)
    assert "1 of 2 images have no text alternative" in dict(pairs)["schema:accessibilitySummary"]


@pytest.mark.parametrize(("given", "expected"), [
    ("978-3-16-148410-0", "urn:isbn:9783161484100"),
    ("urn:isbn:9783161484100", "urn:isbn:9783161484100"),
    ("doi:10.1000/xyz123", "urn:doi:10.1000/xyz123"),
    ("https://doi.org/10.1000/xyz123", "urn:doi:10.1000/xyz123"),
    ("urn:uuid:1da1c551-0bf8-5654-81e1-65b15cc2568f", "urn:uuid:1da1c551-0bf8-5654-81e1-65b15cc2568f"),
])
def test_the_identifier_is_an_isbn_or_doi_urn_when_one_is_given(given, expected):
    from types import SimpleNamespace

    from briefpress.epub import identifier

    assert identifier(SimpleNamespace(identifier=given)) == expected


# --- reading systems and checkers ----------------------------------------------------------

def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(not ACE.exists(), reason="DAISY Ace is not installed in .tools/ (npm install @daisy/ace-cli)")
@pytest.mark.skipif(_chromium() is None, reason="Ace needs a Chromium: Debian package 'chromium'")
def test_daisy_ace_finds_no_violations(sample_build, tmp_path):
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": _chromium(), "PUPPETEER_SKIP_DOWNLOAD": "true",
           "PATH": f"{ACE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # a project-local Node first
    proc = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(tmp_path / "ace"), str(sample_build.epub)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    report_path = tmp_path / "ace" / "report.json"
    assert report_path.exists(), proc.stdout + proc.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    violations = [f"{a['earl:testSubject']['url']}: {t['earl:test']['earl:impact']} {t['earl:test']['dct:title']}"
                  for a in report["assertions"] for t in a["assertions"]]
    assert violations == []
    assert report["earl:result"]["earl:outcome"] == "pass"


@pytest.mark.skipif(shutil.which("ebook-convert") is None, reason="Calibre's ebook-convert is not installed")
def test_calibre_converts_the_epub_to_complete_text(book, sample_build, tmp_path):
    target = tmp_path / "brief.txt"
    subprocess.run(["ebook-convert", str(sample_build.epub), str(target)], capture_output=True, timeout=300,
                   check=True, env={**os.environ, "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"})
    converted = squash(target.read_text(encoding="utf-8"))
    for name in reading_order(book):
        for p in book.tree(name).iterfind(".//x:p", NS):
            text = text_of(p)
            if text:
                assert squash(text) in converted, f"{name}: missing from Calibre's text: {text[:80]!r}"
