"""Property-based tests: the citation scanner, the BibTeX reader and the Markdown reader
never crash or hang on any text, and what they read comes back as it was written.

Examples are few and deadlines off, so the suite stays fast on CI; a failure prints the
smallest input hypothesis found.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefpress.bibliography import read_bibliography
from briefpress.citations import KEY, parse_bracketed, parse_suffix
from briefpress.errors import Report
from briefpress.manuscript import ChapterContext, markdown_converter

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Text an author might type, with the characters the syntax gives meaning to made likely.
SYNTAX = st.text(alphabet=st.sampled_from(list("@[]{};:,.-_#!*`>|()\\\"'<>/&=^~ \n\tpaxz0129") + ["é", "中", "\r"]),
                 max_size=200)
ANY_TEXT = st.one_of(SYNTAX, st.text(max_size=200))
KEYS = st.from_regex(re.compile(r"[a-z][a-z0-9]{0,8}(?:[:.\-_][a-z0-9]{1,6}){0,2}"), fullmatch=True)
WORDS = st.text(alphabet=st.sampled_from(list("abcdefghij ABC<>&") + ["é", "ł"]), min_size=1, max_size=40)


@FAST
@given(ANY_TEXT)
def test_the_citation_scanner_takes_any_text(text):
    parse_suffix(text)
    items = parse_bracketed(text)
    assert items is None or all(re.fullmatch(KEY, item.key) for item in items)


@FAST
@given(KEYS, st.integers(min_value=1, max_value=9999))
def test_a_key_and_locator_come_back_as_written(key, page):
    items = parse_bracketed(f"see @{key}, p. {page}")
    assert items is not None and [i.key for i in items] == [key]
    assert items[0].locator == str(page) and items[0].prefix == "see"


@FAST
@given(KEYS)
def test_a_bracketed_key_in_markdown_is_found(key):
    md = markdown_converter("zh-Hans")
    md.reset()
    md.convert(f"A claim [@{key}].\n")
    assert [[i.key for i in items] for items, _narrative in md.citations] == [[key]]


@FAST
@given(ANY_TEXT)
def test_the_markdown_reader_takes_any_text(text):
    md = markdown_converter("zh-Hans")
    md.reset()
    report = Report()
    md.chapter = ChapterContext(Path("chapter.md"), text, report)
    started = time.perf_counter()
    md.convert(text)
    assert time.perf_counter() - started < 5  # no pattern backtracks for long


@FAST
@given(ANY_TEXT)
def test_the_bibtex_reader_takes_any_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("bib") / "bibliography.bib"
    path.write_text(f"@book{{k,\n  title = {{{text}}},\n  year = 2020,\n}}\n{text}", encoding="utf-8")
    read_bibliography(path, Report())


@FAST
@given(KEYS, WORDS)
def test_a_title_comes_back_escaped_in_the_formatted_entry(tmp_path_factory, key, title):
    from briefpress.model import Citation, CiteItem

    title = ("T " + " ".join(title.split())).strip()
    path = tmp_path_factory.mktemp("bib") / "bibliography.bib"
    path.write_text(f"@book{{{key},\n  author = {{Smith, Ann}},\n  title = {{{title}}},\n  year = 2020,\n}}\n",
                    encoding="utf-8")
    report = Report()
    references = read_bibliography(path, report)
    assert not report.errors
    # An English title is stored in sentence case, as Pandoc stores it; only its case changes
    # ("&", "<" and ">" are stored as entities, so that the rich text holds no stray tags).
    stored = references[key].csl["title"]
    assert "<" not in stored
    assert html.unescape(stored).lower() == title.lower()
    citation = Citation(number=1, items=[CiteItem(key=key)], narrative=False, path=Path("c.md"), line=1)
    formatted = _formatter().format([citation], list(references.values()))
    entry = dict(formatted.entries)[key]
    # The style may change the case of a title (title case), never its text; a "<" or "&" of the
    # title comes back escaped (as &lt; or &#60;, which read the same).
    text = re.sub(r"</?[ib]>", "", entry)
    assert "<" not in text
    assert title.lower() in html.unescape(text).lower()


_FORMATTER = []


def _formatter():
    from briefpress.csl.formatter import CslFormatter

    if not _FORMATTER:  # loading a CSL style takes a while: once for all examples
        _FORMATTER.append(CslFormatter("chicago-author-date", locale="en-US"))
    return _FORMATTER[0]
