"""Raw HTML in a chapter: what the allow-list keeps, what it removes, and that the result
is still XHTML (the EPUB needs it)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from briefpress.errors import Report
from briefpress.manuscript import ChapterContext, markdown_converter
from briefpress.sanitize import clean


def convert(source: str) -> tuple[str, Report]:
    md = markdown_converter("zh-Hans")
    md.reset()
    report = Report()
    md.chapter = ChapterContext(Path("chapter.md"), source, report)
    return md.convert(source), report


def test_harmless_author_html_is_kept_as_written():
    source = ('# T\n\nSay <span lang="fr" class="x">bonjour</span> H<sub>2</sub>O.\n\n'
              '<div id="box" class="aside" title="t">\n<p>One<br/>two</p>\n</div>\n')
    body, report = convert(source)
    assert report.diagnostics == []
    assert '<span lang="fr" class="x">bonjour</span>' in body
    assert '<div id="box" class="aside" title="t">\n<p>One<br/>two</p>\n</div>' in body


def test_what_is_removed_leaves_well_formed_xhtml():
    source = ('# T\n\n<div class="a">\n<script>alert(1)</script>\n<p style="background: url(x.png)" '
              'onmouseover="x()">t<br>u<img src="figures/a.png" alt="a"></p>\n<iframe src="x"></iframe>\n</div>\n')
    body, report = convert(source)
    ElementTree.fromstring(f"<root>{body}</root>")  # well-formed
    assert "script" not in body and "iframe" not in body and "onmouseover" not in body and "url(" not in body
    assert '<img src="figures/a.png" alt="a"/>' in body and "<br/>" in body
    assert [str(d) for d in report.diagnostics] == [
        "chapter.md:4:1: warning: removed <script> from raw HTML",
        "chapter.md:5:1: warning: removed a style attribute with url(…) or @import from <p>",
        "chapter.md:5:1: warning: removed the event handler 'onmouseover' from <p>",
        "chapter.md:6:1: warning: removed <iframe> from raw HTML",
    ]


def test_html_in_code_is_text_not_markup():
    body, report = convert("# T\n\n```\n<script>alert(1)</script>\n```\n\nAnd `<iframe>` inline.\n")
    assert report.diagnostics == []
    assert "&lt;script&gt;" in body and "&lt;iframe&gt;" in body


def test_a_lone_tag_keeps_its_allowed_attributes():
    assert clean('<span onclick="x" lang="zh">') == '<span lang="zh">'
    assert clean('<a href="javascript:alert(1)" title="t">') == '<a title="t">'
    assert clean("<script>") == ""


def test_strict_makes_a_removal_an_error(make_project):
    from conftest import run_main

    project = make_project(chapters={"01-first.md": "# T\n\nText.\n\n<script>alert(1)</script>\n"}, bib=None)
    code, _out, err = run_main(["check", str(project), "--strict"])
    assert code == 1
    assert "manuscript/01-first.md:5:1: error: removed <script> from raw HTML" in err.splitlines()
