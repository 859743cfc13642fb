"""Citations on small projects: Pandoc's syntax forms rendered as Chicago author-date,
the reference list, what is not a citation, and the diagnostics for unknown keys.

Most checks read the model with ``briefpress.pipeline.read`` (no writer runs); the ones
about output escaping and the command line build the EPUB only, which is quick.
"""

from __future__ import annotations

import re
import textwrap

import pytest
from conftest import run_main
from lxml import etree
from support import NS, Epub, plain, text_of


def chapter_text(read_model, project, index=0) -> str:
    return plain(read_model(project).chapters[index].html)


def citation_texts(read_model, project, index=0) -> list[str]:
    """The rendered citations of a chapter, in reading order, as plain text."""
    body = read_model(project).chapters[index].html
    return [plain(m) for m in re.findall(r'<span class="citation"[^>]*>(.*?)</span>', body, re.DOTALL)]


def one_chapter(text: str) -> dict[str, str]:
    return {"01-first.md": "# First Chapter\n\n" + textwrap.dedent(text)}


# --- the syntax forms --------------------------------------------------------------------


def test_bracketed_citation_shows_family_name_and_year(make_project, read_model):
    project = make_project(chapters=one_chapter("A claim [@smith2019].\n"), nocite=["doe2018"])
    assert citation_texts(read_model, project) == ["(Smith 2019)"]
    assert "A claim (Smith 2019)." in chapter_text(read_model, project)


def test_page_locator_follows_the_year_without_its_label(make_project, read_model):
    project = make_project(chapters=one_chapter("Here [@smith2019, p. 12] and there [@doe2018, pp. 33-35].\n"))
    assert citation_texts(read_model, project) == ["(Smith 2019, 12)", "(Doe 2018, 33–35)"]


def test_several_works_with_a_prefix_are_joined_by_semicolons(make_project, read_model):
    project = make_project(chapters=one_chapter("As argued [see @smith2019; @doe2018].\n"))
    assert citation_texts(read_model, project) == ["(see Smith 2019; Doe 2018)"]


def test_narrative_citation_puts_only_the_year_in_parentheses(make_project, read_model):
    project = make_project(chapters=one_chapter("As @smith2019 argues, trade grew.\n"), nocite=["doe2018"])
    assert "As Smith (2019) argues, trade grew." in chapter_text(read_model, project)


def test_narrative_citation_with_a_locator(make_project, read_model):
    project = make_project(chapters=one_chapter("As @smith2019 [p. 3] argues.\n"), nocite=["doe2018"])
    assert "As Smith (2019, 3) argues." in chapter_text(read_model, project)


def test_suppress_author_citation_shows_only_the_year(make_project, read_model):
    project = make_project(chapters=one_chapter("Smith says so [-@smith2019].\n"), nocite=["doe2018"])
    assert citation_texts(read_model, project) == ["(2019)"]


def test_every_citation_links_each_work_to_its_reference_entry(make_project, read_model):
    project = make_project(chapters=one_chapter("A [@smith2019]. B [see @smith2019; @doe2018, p. 5]. C @doe2018.\n"))
    body = read_model(project).chapters[0].html
    spans = re.findall(r'<span class="citation" data-cites="([^"]*)">(.*?)</span>', body, re.DOTALL)
    assert [keys for keys, _ in spans] == ["smith2019", "smith2019 doe2018", "doe2018"]
    for keys, inner in spans:
        targets = re.findall(r'<a href="#([^"]+)"', inner)
        assert targets, inner
        assert set(targets) == {f"ref-{k}" for k in keys.split()}


def test_chapter_locator_keeps_its_label(make_project, read_model):
    """Chicago author-date labels every locator but a page: '(Smith 2019, chap. 3)' in US
    English, the locale pandoc also gives (British English abbreviates it 'ch.')."""
    project = make_project(chapters=one_chapter("See [@smith2019, chap. 3].\n"), nocite=["doe2018"],
                           language="en-US")
    assert citation_texts(read_model, project) == ["(Smith 2019, chap. 3)"]


def test_two_works_by_one_author_in_one_year_are_told_apart(make_project, read_model):
    """Author-date citations must be unambiguous: 'Smith 2019a' and 'Smith 2019b'."""
    bib = """\
    @book{smith2019a, author = {Smith, John}, title = {Alpha Book}, publisher = {P}, year = {2019}}
    @book{smith2019b, author = {Smith, John}, title = {Beta Book}, publisher = {P}, year = {2019}}
    """
    project = make_project(chapters=one_chapter("One [@smith2019a]. Two [@smith2019b].\n"), bib=bib)
    first, second = citation_texts(read_model, project)
    assert first != second, f"both works are cited as {first!r}"
    assert (first, second) == ("(Smith 2019a)", "(Smith 2019b)")


def test_works_by_one_author_collapse_to_one_name(make_project, read_model):
    """The style asks for collapse="year": '(Smith 2019, 2020)'."""
    bib = """\
    @book{smith2019, author = {Smith, John}, title = {Alpha Book}, publisher = {P}, year = {2019}}
    @book{smith2020, author = {Smith, John}, title = {Beta Book}, publisher = {P}, year = {2020}}
    """
    project = make_project(chapters=one_chapter("Both [@smith2019; @smith2020].\n"), bib=bib)
    assert citation_texts(read_model, project) == ["(Smith 2019, 2020)"]


def test_numeric_style_numbers_works_in_reading_order(make_project, read_model):
    """With a numeric style the first work cited in the text is [1], whatever the syntax."""
    project = make_project(chapters=one_chapter("As @doe2018 showed, and others agree [@smith2019].\n"),
                           citation_style="ieee")
    publication = read_model(project)
    assert re.findall(r"\[(\d+)\]", plain(publication.chapters[0].html)) == ["1", "2"]
    assert [r.key for r in publication.cited] == ["doe2018", "smith2019"]


# --- the reference list ------------------------------------------------------------------

THREE_ENTRIES = """\
@book{smith2019, author = {Smith, John}, title = {A Book of Things}, publisher = {P}, year = {2019}}
@article{doe2018, author = {Doe, Jane}, title = {An Article}, journaltitle = {J}, year = {2018}}
@book{unused2000, author = {Aardvark, Al}, title = {Never Cited}, publisher = {P}, year = {2000}}
"""


def test_reference_list_holds_cited_and_nocite_entries_only(make_project, read_model):
    project = make_project(chapters=one_chapter("Cited [@smith2019].\n"), bib=THREE_ENTRIES, nocite=["doe2018"])
    publication = read_model(project)
    assert sorted(r.key for r in publication.cited) == ["doe2018", "smith2019"]
    assert [r.key for r in publication.cited] == ["doe2018", "smith2019"], "sorted by author"
    assert "Never Cited" not in " ".join(r.html for r in publication.cited)


def test_reference_entries_carry_ref_key_ids_in_the_epub(make_project, tmp_path):
    project = make_project(chapters=one_chapter("Cited [@smith2019].\n"), bib=THREE_ENTRIES, nocite=["doe2018"])
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 0, err
    book = Epub(tmp_path / "out" / "minimal.epub")
    try:
        refs_file = next(n for n in book.xhtml_names() if book.tree(n).find(".//x:div[@id='refs']", NS) is not None)
        entries = book.tree(refs_file).findall(".//x:div[@id='refs']//x:div[@class='csl-entry']", NS)
        assert [e.get("id") for e in entries] == ["ref-doe2018", "ref-smith2019"]
        assert text_of(entries[1]).startswith("Smith, John. 2019.")
    finally:
        book.close()


# --- what is not a citation --------------------------------------------------------------


def test_email_address_is_not_a_citation(make_project, read_model):
    project = make_project(chapters=one_chapter("Write to x@y.com or <info@example.org> [@smith2019].\n"),
                           nocite=["doe2018"])
    publication = read_model(project)  # 'y.com' is no key: taking it for one would be an error
    html = publication.chapters[0].html
    assert "x@y.com" in plain(html)
    assert "info@example.org" in plain(html)
    assert [c.keys for c in publication.chapters[0].citations] == [["smith2019"]]


def test_at_sign_in_a_url_is_not_a_citation(make_project, read_model):
    project = make_project(chapters=one_chapter(
        "See https://example.org/@smith2019/page and <https://mastodon.social/@doe2018> [@smith2019].\n"),
        nocite=["doe2018"])
    publication = read_model(project)
    assert [c.keys for c in publication.chapters[0].citations] == [["smith2019"]]
    assert "example.org/@smith2019/page" in plain(publication.chapters[0].html)


def test_keys_with_pandoc_punctuation_are_cited(make_project, read_model):
    """Pandoc's keys may hold internal ``:./-_``; trailing punctuation is not part of the key."""
    bib = """\
    @book{Smith:2019.a-b_c/d, author = {Smith, John}, title = {Alpha Book}, publisher = {P}, year = {2019}}
    @book{doe2018, author = {Doe, Jane}, title = {Beta Book}, publisher = {P}, year = {2018}}
    """
    project = make_project(chapters=one_chapter("One [@Smith:2019.a-b_c/d]. As @doe2018.\n"), bib=bib)
    publication = read_model(project)
    assert [c.keys for c in publication.chapters[0].citations] == [["Smith:2019.a-b_c/d"], ["doe2018"]]


def test_nocite_star_lists_every_entry(make_project, read_model):
    project = make_project(chapters=one_chapter("Cited [@smith2019].\n"), bib=THREE_ENTRIES, nocite=["@*"])
    assert sorted(r.key for r in read_model(project).cited) == sorted(
        re.findall(r"@\w+\{(\w+),", THREE_ENTRIES))


def test_code_span_is_not_a_citation(make_project, read_model):
    project = make_project(chapters=one_chapter("Type `@smith2019` or `[@nokey]` to cite [@doe2018].\n"),
                           nocite=["smith2019"])
    publication = read_model(project)
    html = publication.chapters[0].html
    assert "<code>@smith2019</code>" in html
    assert "<code>[@nokey]</code>" in html
    assert [c.keys for c in publication.chapters[0].citations] == [["doe2018"]]


# --- unknown keys ------------------------------------------------------------------------


def test_unknown_key_names_file_and_line(make_project, tmp_path):
    chapters = {
        "01-first.md": "# First Chapter\n\nFine [@smith2019].\n",
        "02-second.md": "# Second Chapter\n\nStill fine [@doe2018].\n\nA near miss [@smith2091] here.\n",
    }
    project = make_project(chapters=chapters)
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 1
    assert "manuscript/02-second.md:5: error: unknown citation key 'smith2091'" in err.splitlines()
    assert "did you mean 'smith2019'?" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "minimal.epub").exists()


def test_narrative_unknown_key_names_its_line(make_project, tmp_path):
    project = make_project(chapters=one_chapter("Fine [@smith2019].\n\nAs @dough2018 says.\n"))
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 1
    assert "manuscript/01-first.md:5: error: unknown citation key 'dough2018'" in err.splitlines()
    assert "did you mean 'doe2018'?" in err
    assert "Traceback" not in err


def test_unknown_key_in_a_list_item_paragraph_names_its_line(make_project, tmp_path):
    """In Python-Markdown a list item's second paragraph is indented by four spaces: it is
    running text, not code, and an unknown key there still needs its line."""
    text = "Fine [@smith2019] and [@doe2018].\n\n- A point.\n\n    More on it [@nosuch2020].\n"
    project = make_project(chapters=one_chapter(text))
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 1
    assert "manuscript/01-first.md:7: error: unknown citation key 'nosuch2020'" in err.splitlines(), err


# --- escaping ----------------------------------------------------------------------------


def test_title_with_angle_brackets_and_ampersand_is_escaped_in_the_epub(make_project, tmp_path):
    bib = r"""
    @book{smith2019,
      author    = {Smith, John},
      title     = {Markup <b> Tags \& Other {R\&D} Stories},
      publisher = {Smith \& Sons},
      year      = {2019},
    }
    """
    project = make_project(chapters=one_chapter("See [@smith2019].\n"), bib=bib)
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 0, err
    book = Epub(tmp_path / "out" / "minimal.epub")
    try:
        for name in book.xhtml_names():
            book.tree(name)  # every file must still be well-formed XML
        refs_file = next(n for n in book.xhtml_names() if b'id="refs"' in book.zip.read(n))
        raw = book.zip.read(refs_file).decode("utf-8")
        assert "&lt;b&gt;" in raw and "<b>" not in raw
        entry = book.tree(refs_file).find(".//x:div[@id='ref-smith2019']", NS)
        assert "Markup <b> Tags & Other R&D Stories" in text_of(entry)
        assert "Smith & Sons" in text_of(entry)
    finally:
        book.close()


@pytest.mark.parametrize("char", ["&", "%"])
def test_bare_latex_special_character_in_bib_title_is_kept_or_reported(make_project, tmp_path, char):
    """A bare '&' or '%' is a LaTeX special character; the engine may keep it or report the
    entry, but must not silently drop it (or, for '%', the rest of the title)."""
    bib = f"""\
    @book{{smith2019,
      author    = {{Smith, John}},
      title     = {{Trade {char} Growth in {{China}} and Beyond}},
      publisher = {{P}},
      year      = {{2019}},
    }}
    """
    project = make_project(chapters=one_chapter("See [@smith2019].\n"), bib=bib)
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    if code == 1:
        assert "bibliography.bib:1" in err, err
        return
    assert code == 0, err
    book = Epub(tmp_path / "out" / "minimal.epub")
    try:
        refs_file = next(n for n in book.xhtml_names() if b'id="refs"' in book.zip.read(n))
        entry = book.tree(refs_file).find(".//x:div[@id='ref-smith2019']", NS)
        assert f"Trade {char} Growth in China and Beyond" in text_of(entry)
    finally:
        book.close()


# --- citations outside running text ------------------------------------------------------


def test_citation_in_a_footnote_is_rendered(make_project, tmp_path):
    text = "Main text [@smith2019].[^n]\n\n[^n]: A note citing [@doe2018].\n"
    project = make_project(chapters=one_chapter(text))
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 0, err
    book = Epub(tmp_path / "out" / "minimal.epub")
    try:
        chapter = next(n for n in book.xhtml_names() if "Main text" in book.zip.read(n).decode("utf-8"))
        tree = book.tree(chapter)
        notes = [el for el in tree.iter(f"{{{NS['x']}}}aside")]
        assert len(notes) == 1
        assert "A note citing (Doe 2018)." in text_of(notes[0])
        assert not tree.xpath("//*[@data-pending]"), "unresolved placeholders remain"
    finally:
        book.close()


def test_citations_parse_independently_of_markdown():
    """The lower-level parsers agree with the forms above."""
    from briefpress.citations import parse_bracketed, parse_suffix

    items = parse_bracketed("see @a; -@b, p. 12")
    assert [(i.prefix, i.key, i.suppress_author, i.locator, i.label) for i in items] == [
        ("see", "a", False, "", "page"),
        ("", "b", True, "12", "page"),
    ]
    assert parse_suffix(", chap. 3")[:2] == ("chapter", "3")
    assert parse_bracketed("just text, no key") is None


def test_markdown_converter_publishes_the_citations_it_found():
    from briefpress.manuscript import markdown_converter

    md = markdown_converter("zh-Hans")
    md.convert("Mail x@y.com, code `@k`, and [see @a, p. 4; @b] then @c [p. 9].\n")
    found = [([i.key for i in items], narrative) for items, narrative in md.citations]
    assert sorted(found) == sorted([(["a", "b"], False), (["c"], True)])
    md.reset()
    md.convert("Nothing here.\n")
    assert md.citations == []


def test_reference_list_is_well_formed_xml_fragment(make_project, read_model):
    project = make_project()
    for reference in read_model(project).cited:
        etree.fromstring(f"<div>{reference.html}</div>")


# --- note styles -----------------------------------------------------------------------------

NOTE_CHAPTER = """\
    A claim [@smith2019, 5]. As @smith2019 says, more [@smith2019]. Also [@doe2018]. A note.[^n]

    [^n]: See [@doe2018, 12].
    """


def note_style_chapter(make_project, tmp_path, chapter: str):
    """The EPUB of a one-chapter project in chicago-notes-bibliography, and the chapter's
    file name (the caller closes the book)."""
    project = make_project(chapters=one_chapter(chapter), citation_style="chicago-notes-bibliography")
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 0, err
    book = Epub(tmp_path / "out" / "minimal.epub")
    return book, next(n for n in book.xhtml_names() if b"A claim" in book.zip.read(n))


def test_a_note_style_puts_citations_into_footnotes_in_the_epub(make_project, tmp_path):
    """Chicago notes: each citation in the text becomes a footnote called after the
    punctuation, the first note of a work is the full form, a later one the short form, a
    narrative citation keeps the name in the text, and a citation already in a note stays."""
    book, name = note_style_chapter(make_project, tmp_path, NOTE_CHAPTER)
    try:
        tree = book.tree(name)
        paragraph = text_of(tree.find(".//x:section[@class='chapter']/x:p", NS))
        assert re.fullmatch(r"A claim\.1 As (John )?Smith2 says, more\.3 Also\.4 A note\.5", paragraph), paragraph
        assert "(" not in paragraph  # no parenthetical citation is left in the text
        notes = tree.findall(".//x:aside[@epub:type='footnote']", NS)
        texts = [re.sub(r"^\d+\.\s*", "", text_of(n)).strip() for n in notes]
        assert texts[0] == "John Smith, A Book of Things (Example Press, 2019), 5."
        assert texts[1] == "A Book of Things."  # the name is in the text already
        assert texts[2] == "Smith, A Book of Things."  # the short form for a later note
        assert texts[3].startswith("Jane Doe, ‘An Article on Trade’, Journal of Examples 3 (2018): 10–20")
        assert texts[4] == "See Doe, ‘An Article on Trade’, 12."  # one full stop, not two
        for note in notes:  # every note's citation leads to its entry
            links = [a.get("href") for a in note.iter("{http://www.w3.org/1999/xhtml}a")]
            assert any(h.endswith(("#ref-smith2019", "#ref-doe2018")) for h in links), links
    finally:
        book.close()


def test_a_note_style_prints_citations_as_footnotes_in_the_pdf(make_project, tmp_path):
    import subprocess

    project = make_project(chapters=one_chapter(NOTE_CHAPTER), citation_style="chicago-notes-bibliography")
    code, _out, err = run_main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "out")])
    assert code == 0, err
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "out" / "minimal.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    page = next(p for p in text.split("\f") if "A claim" in p)
    assert re.search(r"A claim\.1 As (John )?Smith2 says, more\.3 Also\.4 A note\.5", page), page
    lines = [line.strip() for line in page.splitlines()]
    assert "1. John Smith, A Book of Things (Example Press, 2019), 5." in lines
    assert "3. Smith, A Book of Things." in lines
    assert "5. See Doe, ‘An Article on Trade’, 12." in lines


def test_a_note_style_keeps_an_author_footnote_whatever_its_name(make_project, tmp_path):
    """The notes made from citations never take the id of an author's footnote, even one
    the author named like them."""
    chapter = "A claim [@smith2019]. My own remark.[^cite-1] And [@doe2018].\n\n[^cite-1]: The author's note.\n"
    book, name = note_style_chapter(make_project, tmp_path, chapter)
    try:
        tree = book.tree(name)
        ids = [el.get("id") for el in tree.iter() if el.get("id")]
        assert len(ids) == len(set(ids)), ids
        notes = [re.sub(r"^\d+\.\s*", "", text_of(n)).strip()
                 for n in tree.findall(".//x:aside[@epub:type='footnote']", NS)]
        assert len(notes) == 3 and notes[1] == "The author's note.", notes
        calls = [text_of(a) for a in tree.iterfind(".//x:a[@class='noteref']", NS)]
        assert calls == ["1", "2", "3"]
    finally:
        book.close()


def test_a_citation_in_a_chapter_title_is_formatted_and_kept_out_of_the_contents(make_project, tmp_path):
    import subprocess

    project = make_project(chapters={"01-first.md": "# Trade after Smith [@smith2019]\n\nText [@doe2018].\n"})
    code, _out, err = run_main(["build", str(project), "--out", str(tmp_path / "out")])
    assert code == 0, err
    book = Epub(tmp_path / "out" / "minimal.epub")
    try:
        assert not any(b"data-pending" in book.zip.read(n) for n in book.xhtml_names())
        name = next(n for n in book.xhtml_names() if b"Trade after" in book.zip.read(n) and b"<h1" in book.zip.read(n)
                    and b"chapter-number" in book.zip.read(n))
        assert text_of(book.tree(name).find(".//x:h1", NS)) == "1 Trade after Smith (Smith 2019)"
    finally:
        book.close()
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "out" / "minimal.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    contents = next(line for line in text.splitlines() if "Trade after Smith" in line)
    assert re.fullmatch(r"\s*1\s+Trade after Smith[ .]+3", contents), contents  # no citation in the contents
    assert "1 Trade after Smith (Smith 2019)" in text
