"""briefpress.csl, piece by piece: the behaviours the reference list is judged by."""

from __future__ import annotations

from pathlib import Path

from briefpress.citeformat import style_path
from briefpress.csl import Processor, Style
from briefpress.csl.names import initialize
from briefpress.csl.numbers import page_range
from briefpress.model import Citation, CiteItem, Reference

STYLE = """<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0"
  page-range-format="chicago-16">
  <locale><style-options punctuation-in-quote="true"/></locale>
  <macro name="author"><names variable="author"><name form="short" and="text"/>
    <substitute><text variable="title"/></substitute></names></macro>
  <citation disambiguate-add-year-suffix="true" collapse="year-suffix"
    year-suffix-delimiter=", ">
    <layout prefix="(" suffix=")" delimiter="; ">
      <group delimiter=" "><text macro="author"/><date variable="issued"><date-part name="year"/></date></group>
      <group delimiter=" " prefix=", "><label variable="locator" form="short"/><text variable="locator"/></group>
    </layout>
  </citation>
  <bibliography>
    <sort><key macro="author"/><key variable="issued"/></sort>
    <layout suffix=".">
      <group delimiter=". ">
        <names variable="author"><name name-as-sort-order="first" and="text" initialize="false"
          initialize-with=". "/></names>
        <text variable="title" quotes="true" text-case="title"/>
        <group delimiter=" "><text term="in" text-case="capitalize-first"/><text variable="container-title" font-style="italic"/></group>
        <text variable="page"/>
      </group>
    </layout>
  </bibliography>
</style>"""

DOE_A = {"id": "doeA", "type": "article-journal", "title": "a tale of <tags> & more",
         "author": [{"family": "Doe", "given": "Jane"}], "issued": {"date-parts": [[2000]]},
         "page": "321-28"}
DOE_B = {"id": "doeB", "type": "book", "title": "another tale", "author": [{"family": "Doe", "given": "Jane"}],
         "issued": {"date-parts": [[2000]]}}
ROE = {"id": "roe", "type": "chapter", "title": "the chapter", "container-title": "The Book",
       "author": [{"family": "Roe", "given": "Oyuna"}], "issued": {"date-parts": [[1999]]}}


def processor(*items) -> Processor:
    proc = Processor(Style.from_string(STYLE))
    proc.add_items(list(items))
    proc.register(i["id"] for i in items)
    proc.finalize()
    return proc


def test_a_title_with_markup_characters_is_escaped_not_lost():
    entries = dict(processor(DOE_A).bibliography())
    assert "&#60;Tags&#62; &#38; More" in entries["doeA"]


def test_a_period_after_a_quoted_title_moves_inside_the_quotes():
    entries = dict(processor(DOE_A).bibliography())
    assert entries["doeA"].startswith("Doe, Jane. \u201cA Tale of &#60;Tags&#62; &#38; More.\u201d 321\u201328")


def test_initialize_false_keeps_the_full_given_name():
    entries = dict(processor(ROE).bibliography())
    assert entries["roe"].startswith("Roe, Oyuna.")


def test_an_empty_group_is_suppressed_with_its_term():
    entries = dict(processor(DOE_B).bibliography())
    assert entries["doeB"] == "Doe, Jane. \u201cAnother Tale.\u201d"


def test_same_author_same_year_gets_year_suffixes_and_collapses():
    proc = processor(DOE_A, DOE_B, ROE)
    assert proc.cite_all([([{"id": "doeA"}, {"id": "doeB"}], 0)]) == ["(Doe 2000a, b)"]
    order = [key for key, _ in proc.bibliography()]
    assert order == ["doeA", "doeB", "roe"]


def test_a_locator_is_labelled_and_range_formatted():
    proc = processor(ROE)
    assert proc.cite_all([([{"id": "roe", "locator": "101-108", "label": "page"}], 0)]) == \
        ["(Roe 1999, pp. 101\u20138)"]


def test_initials_follow_the_spec():
    assert initialize("Jean-Paul", ". ", True) == "J.-P."
    assert initialize("John M.E.", ".", False) == "John M.E."
    assert initialize("Ph. M.E.", ". ", True) == "Ph. M. E."


def test_page_ranges_follow_the_style_format():
    locale = Style.from_string(STYLE).locale()
    assert page_range("321-28", "expanded", locale) == "321\u2013328"
    assert page_range("1496-1504", "chicago", locale) == "1496\u20131504"
    assert page_range("42-45", "minimal", locale) == "42\u20135"


def test_the_formatter_answers_like_citeproc(tmp_path: Path):
    from briefpress.csl.formatter import CslFormatter

    refs = [Reference("doeA", {k: v for k, v in DOE_A.items() if k != "id"}, tmp_path / "b.bib", 1)]
    cite = Citation(1, [CiteItem("doeA", locator="3")], False, tmp_path / "c.md", 1)
    narrative = Citation(2, [CiteItem("doeA")], True, tmp_path / "c.md", 2)
    out = CslFormatter("chicago-author-date").format([cite, narrative], refs)
    assert out.citations[0] == '(<a href="#ref-doeA">Doe 2000, 3</a>)'
    assert out.citations[1] == '<a href="#ref-doeA">Doe</a> (<a href="#ref-doeA">2000</a>)'
    assert [key for key, _ in out.entries] == ["doeA"]
    assert "&lt;Tags&gt; &amp; More" in out.entries[0][1]  # text, escaped with named entities


def test_bibtex_and_others_prints_et_al():
    others = {"id": "many", "type": "book", "title": "many hands", "issued": {"date-parts": [[2001]]},
              "author": [{"family": "Doe", "given": "Jane"}, {"family": "Roe", "given": "Ann"}, {"literal": "others"}]}
    proc = processor(others)
    assert dict(proc.bibliography())["many"].startswith("Doe, Jane, Ann Roe, et al. ")
    assert proc.cite_all([([{"id": "many"}], 0)]) == ["(Doe, Roe, et al. 2001)"]


def test_a_quotation_that_ends_an_italic_title_keeps_the_period_out():
    chapter = dict(ROE, page="5-9")
    chapter["container-title"] = "Aristotle\u2019s \u201cDe Motu\u201d"
    entry = dict(processor(chapter).bibliography())["roe"]
    assert "<i>Aristotle\u2019s \u201cDe Motu\u201d</i>. 5\u20139" in entry


def test_entities_in_a_field_are_text_never_markup():
    item = dict(DOE_B, title="markup &lt;b&gt; &amp; more")
    entry = dict(processor(item).bibliography())["doeB"]
    assert "Markup &#60;b&#62; &#38; More" in entry and "<b>" not in entry


def test_a_note_citation_starts_with_a_capital(tmp_path: Path):
    from briefpress.csl.formatter import CslFormatter

    item = {"type": "book", "title": "Rites de passage", "issued": {"date-parts": [[1909]]},
            "author": [{"family": "Gennep", "given": "Arnold", "non-dropping-particle": "van"}]}
    refs = [Reference("vangennep", item, tmp_path / "b.bib", 1)]
    cites = [Citation(n, [CiteItem("vangennep", locator="5")], False, tmp_path / "c.md", n) for n in (1, 2)]
    out = CslFormatter("chicago-notes-bibliography").format(cites, refs)
    assert out.citations[1].startswith('<a href="#ref-vangennep">Van Gennep, <i>Rites de Passage</i>, 5</a>')


def test_sort_keys_follow_the_language_s_alphabet():
    """Locale-aware collation: each language's own letters in their places, accents and then
    case deciding only ties (the Unicode Collation Algorithm's three levels)."""
    from briefpress.csl.sorting import collate

    def ordered(words, lang):
        return sorted(words, key=lambda w: collate(w, lang))

    # Swedish: å, ä, ö are letters after z; English sorts them with a and o.
    assert ordered(["Ödman", "Zetterberg", "Åberg", "Andersson"], "sv-SE") == [
        "Andersson", "Zetterberg", "Åberg", "Ödman"]
    assert ordered(["Ödman", "Zetterberg", "Åberg", "Andersson"], "en-US") == [
        "Åberg", "Andersson", "Ödman", "Zetterberg"]
    # Spanish ñ after n; Czech ch after h and č after c; Turkish dotless ı before i.
    assert ordered(["oso", "ñandú", "nube"], "es") == ["nube", "ñandú", "oso"]
    assert ordered(["ihned", "chata", "hrad", "čas", "cesta"], "cs") == ["cesta", "čas", "hrad", "chata", "ihned"]
    assert ordered(["ilk", "ılık", "hız"], "tr-TR") == ["hız", "ılık", "ilk"]
    # Ties: no accent before acute before grave; lower case before upper case.
    assert ordered(["rèsumé", "résumé", "Resume", "resume"], "en") == ["resume", "Resume", "résumé", "rèsumé"]
    # Case breaks ties for a language's own letters and digraphs too.
    assert ordered(["Å", "å"], "sv") == ["å", "Å"] and ordered(["Chata", "chata"], "cs") == ["chata", "Chata"]
    # Punctuation is ignored: "O'Brien" sorts as "obrien".
    assert ordered(["Oakes", "O'Brien", "Ochs"], "en") == ["Oakes", "O'Brien", "Ochs"]


def test_a_swedish_reference_list_puts_a_ring_after_z():
    style = Style.from_path(style_path("chicago-author-date"))
    proc = Processor(style, "sv-SE")
    proc.add_items([
        {"id": "a", "type": "book", "author": [{"family": "Åberg", "given": "Anna"}], "title": "A",
         "issued": {"date-parts": [[2001]]}},
        {"id": "z", "type": "book", "author": [{"family": "Zorn", "given": "Zack"}], "title": "Z",
         "issued": {"date-parts": [[2002]]}},
    ])
    proc.register(["a", "z"])
    proc.finalize()
    assert [key for key, _html in proc.bibliography()] == ["z", "a"]
