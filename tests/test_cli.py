"""The command line: exit codes, formats, output folders, and what a failed build leaves
behind."""

from __future__ import annotations

import hashlib
import re
import textwrap
import zipfile

from conftest import run_main
from support import NS, Epub


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder) -> dict[str, str]:
    """Every file below ``folder`` with its hash, except the build cache and the lock file
    (temporary output files are hidden too, and they do count)."""
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.relative_to(folder).parts and p.name != ".lock"}


def test_successful_build_exits_0_and_says_what_it_wrote(make_project, tmp_path):
    project = make_project()
    out = tmp_path / "out"
    code, stdout, err = run_main(["build", str(project), "--to", "pdf,epub", "--out", str(out)])
    assert code == 0, err
    # the edition's files, named by slug and edition date, their stable aliases, the manifest
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "minimal-2020-03-04.epub", "minimal-2020-03-04.manifest.json", "minimal-2020-03-04.pdf",
        "minimal.epub", "minimal.pdf"]
    assert (out / "minimal.pdf").read_bytes() == (out / "minimal-2020-03-04.pdf").read_bytes()
    assert "minimal.pdf" in stdout and "minimal.epub" in stdout
    assert (out / "minimal.pdf").read_bytes().startswith(b"%PDF-")
    assert zipfile.is_zipfile(out / "minimal.epub")


def test_content_error_exits_1_without_a_traceback(make_project, tmp_path):
    project = make_project(chapters={"01-first.md": "# One\n\nBroken [@nobody1999].\n"})
    code, _out, err = run_main(["build", str(project), "--out", str(tmp_path / "out")])
    assert code == 1
    assert "error: unknown citation key 'nobody1999'" in err
    assert "Traceback" not in err


def test_the_program_ends_without_teardown_but_says_everything(make_project, tmp_path):
    """``briefpress`` and ``publish.py`` run :func:`briefpress.cli.run`: the command, its
    buffered output flushed into a pipe, its exit code, and no interpreter teardown (an
    exit handler registered before it never runs); a thread still at work is waited for,
    as at any exit."""
    import os
    import subprocess
    import sys

    project = make_project(chapters={"01-intro.md": "# Intro\n\nAs [@nobody2000] shows.\n"})
    late = tmp_path / "late"
    script = ("import atexit, pathlib, sys, threading, time; "
              "atexit.register(lambda: print('TEARDOWN', file=sys.stderr)); "
              f"threading.Thread(target=lambda: (time.sleep(0.5), pathlib.Path({str(late)!r}).write_text('done'))).start(); "
              "from briefpress.cli import run; run(sys.argv[1:])")
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output waits for a flush
    for argv, code in ((["--version"], 0), (["build", str(project), "--out", str(tmp_path / "out")], 1)):
        late.unlink(missing_ok=True)
        done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True,
                              timeout=120, check=False, env=buffered)
        assert done.returncode == code, done.stderr
        assert "TEARDOWN" not in done.stderr
        assert late.read_text() == "done"
        if code == 0:
            assert re.fullmatch(r"briefpress \S+\n", done.stdout), done.stdout
        else:
            assert re.search(r"01-intro\.md:3: error: unknown citation key 'nobody2000'", done.stderr), done.stderr
    done = subprocess.run([sys.executable, "-c", script.replace("run(sys.argv[1:])", "sys.exit(0)")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert "TEARDOWN" in done.stderr  # what run() skips
    closed = subprocess.run(f"{sys.executable} -c \"{script}\" --version >&-", shell=True, capture_output=True,
                            text=True, timeout=60, check=False)
    assert closed.returncode == 0 and "Traceback" not in closed.stderr, closed.stderr


def test_a_templates_own_font_leaves_no_temporary_folder(make_project, tmp_path):
    """WeasyPrint copies the fonts of a template's @font-face rules into a temporary folder
    that only its finalizer removes; the PDF's writer removes it, in the PDF worker and in
    the build's own process, which both end without the interpreter's teardown."""
    import os
    import shutil
    import subprocess
    import sys

    css = "@font-face { font-family: Own; src: url(own.ttf); }\nbody { font-family: Own, sans-serif; }\n"
    project = make_project(chapters={"01-own.md": "# Own\n\nՀայերեն text in the template's own face.\n"},
                           files={"templates/pdf/brief.css": css})
    shutil.copy("/usr/share/fonts/truetype/noto/NotoSansArmenian-Regular.ttf", project / "own.ttf")
    for worker in ("0", "1"):
        temporary = tmp_path / f"tmp-{worker}"
        temporary.mkdir()
        env = {**os.environ, "TMPDIR": str(temporary), "BRIEFPRESS_PDF_WORKER": worker}
        out = tmp_path / f"out-{worker}"
        done = subprocess.run([sys.executable, "-c", "import sys; from briefpress.cli import run; run(sys.argv[1:])",
                               "build", str(project), "--to", "pdf", "--out", str(out)],
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        fonts = subprocess.run(["pdffonts", str(out / "minimal.pdf")], capture_output=True, text=True,
                               check=True).stdout
        assert "+Own " in fonts, fonts  # the @font-face rule's face (its copy) was used
        assert sorted(p.name for p in temporary.iterdir()) == []


def test_unknown_format_is_a_usage_error(make_project, tmp_path):
    project = make_project()
    out = tmp_path / "out"
    code, _out, err = run_main(["build", str(project), "--to", "docx", "--out", str(out)])
    assert code == 2
    assert "docx" in err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_unknown_option_is_a_usage_error(make_project):
    code, _out, err = run_main(["build", str(make_project()), "--colour", "blue"])
    assert code == 2
    assert "Traceback" not in err


def test_to_epub_builds_only_the_epub(make_project, tmp_path):
    project = make_project()
    out = tmp_path / "out"
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(out)])
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "minimal-2020-03-04.epub", "minimal-2020-03-04.manifest.json", "minimal.epub"]


def test_an_epub_only_build_never_imports_weasyprint_or_the_pdf_stack(make_project, tmp_path):
    """The stages pay only for what they use: an EPUB-only build (a fresh process, so no
    earlier test has imported anything) loads neither WeasyPrint nor its PDF machinery,
    nor Pygments (which Markdown's fenced code would import, for highlighting the build
    does not ask for)."""
    import subprocess
    import sys

    project = make_project()
    script = ("import sys; from briefpress.cli import main; "
              f"code = main(['build', {str(project)!r}, '--to', 'epub', '--out', {str(tmp_path / 'out')!r}]); "
              "print(code, sorted(m for m in ('weasyprint', 'pydyf', 'pypdfium2', 'matplotlib', 'pygments') "
              "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.split("\n")[-2] == "0 []", done.stdout + done.stderr


def test_no_pdf_worker_process_is_left_behind(make_project, tmp_path):
    """A first build starts the PDF worker before it reads anything, a rebuild only once it
    has found changes; whatever the build's end (written, up to date, failed), no worker
    process is left behind."""
    import os
    import subprocess
    import sys

    project = make_project()
    out = str(tmp_path / "out")
    script = textwrap.dedent(f"""
        import os
        from briefpress.cli import main
        codes = [main(['build', {str(project)!r}, '--out', {out!r}]) for _ in range(2)]
        codes.append(main(['build', {str(tmp_path / 'missing')!r}, '--out', {out!r}]))
        kids = 0
        for pid in filter(str.isdigit, os.listdir('/proc')):
            try:
                stat = open(f'/proc/{{pid}}/stat').read()
            except OSError:
                continue
            kids += stat.rsplit(')', 1)[1].split()[1] == str(os.getpid())
        print(codes, kids)
        """)
    env = {**os.environ, "BRIEFPRESS_PDF_WORKER": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.stdout.split("\n")[-2] == "[0, 0, 1] 0", done.stdout + done.stderr
    assert "up to date" in done.stdout


def test_a_pdf_worker_that_dies_leaves_the_pdf_to_the_build_itself(make_project, tmp_path, monkeypatch):
    """The worker is a speed-up, never a point of failure: if its process ends without an
    answer, the PDF is laid out in the build's own process, byte-identical."""
    import sys

    project = make_project()
    code, _out, err = run_main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "plain")])
    assert code == 0, err
    monkeypatch.setenv("BRIEFPRESS_PDF_WORKER", "1")
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the worker's interpreter: exits at once
    code, _out, err = run_main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "fallback")])
    assert code == 0, err
    assert (tmp_path / "fallback" / "minimal.pdf").read_bytes() == (tmp_path / "plain" / "minimal.pdf").read_bytes()


def test_a_pdf_worker_that_dies_while_writing_leaves_the_pdf_to_the_build(make_project, tmp_path, monkeypatch):
    """The worker answers with the page map, then dies (killed while writing the PDF):
    the PDF is laid out in the build's own process, byte-identical."""
    from briefpress import pdfworker

    project = make_project()
    code, _out, err = run_main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "plain")])
    assert code == 0, err
    receive = pdfworker.Worker.receive

    def dies_after_the_map(self):
        answer = receive(self)
        if answer[0] == "pdf":
            self.process.kill()
            raise pdfworker.WorkerFailed("killed")
        return answer

    monkeypatch.setenv("BRIEFPRESS_PDF_WORKER", "1")
    monkeypatch.setattr(pdfworker.Worker, "receive", dies_after_the_map)
    code, _out, err = run_main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "after")])
    assert code == 0, err
    assert (tmp_path / "after" / "minimal.pdf").read_bytes() == (tmp_path / "plain" / "minimal.pdf").read_bytes()


def test_the_pdf_worker_ignores_the_current_folder_and_stray_output(make_project, tmp_path):
    """A ``weasyprint.py`` in the folder the build runs from is not imported by the worker,
    and what a C library writes to standard output (fontconfig's debug lines) does not
    disturb its answers: the PDF is the one laid out in-process."""
    import os
    import subprocess
    import sys

    project = make_project()
    code, _out, err = run_main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "plain")])
    assert code == 0, err
    (tmp_path / "weasyprint.py").write_text("print('not WeasyPrint')\nraise SystemExit(3)\n")
    script = ("import sys; from briefpress.cli import main; "
              f"code = main(['build', {str(project)!r}, '--to', 'pdf', '--out', {str(tmp_path / 'worker')!r}]); "
              "print('laid out here' if 'weasyprint' in sys.modules else 'laid out by the worker'); sys.exit(code)")
    env = {**os.environ, "BRIEFPRESS_PDF_WORKER": "1", "FC_DEBUG": "1"}
    done = subprocess.run([sys.executable, "-P", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "laid out by the worker"  # not the fallback
    assert (tmp_path / "worker" / "minimal.pdf").read_bytes() == (tmp_path / "plain" / "minimal.pdf").read_bytes()


def test_out_puts_the_outputs_there_and_nowhere_else(make_project, tmp_path):
    project = make_project()
    before = listing(project)
    out = tmp_path / "elsewhere" / "nested"
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(out)])
    assert code == 0, err
    assert (out / "minimal.epub").is_file()
    assert listing(project) == before, "the project folder was written to"


def test_without_out_the_outputs_go_to_the_project_build_folder(make_project):
    project = make_project()
    code, _out, err = run_main(["build", str(project), "--to", "epub"])
    assert code == 0, err
    assert (project / "build" / "minimal.epub").is_file()


def test_a_second_project_builds_after_the_first(make_project, tmp_path):
    first = make_project(title="The First Brief", slug="first")
    second = make_project(
        title="The Second Brief", slug="second",
        chapters={"01-other.md": "# Another Chapter\n\nOnly Doe here [@doe2018].\n"},
        nocite=["smith2019"],
    )
    for project, slug, title in ((first, "first", "The First Brief"), (second, "second", "The Second Brief")):
        code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / slug)])
        assert code == 0, err
        book = Epub(tmp_path / slug / f"{slug}.epub")
        try:
            assert book.opf.findtext(".//dc:title", namespaces=NS) == title
            chapter_text = b"".join(book.zip.read(n) for n in book.xhtml_names()).decode("utf-8")
        finally:
            book.close()
        if slug == "second":
            assert "Another Chapter" in chapter_text and "First Chapter" not in chapter_text


def test_failing_build_leaves_the_earlier_outputs_byte_identical(make_project, tmp_path):
    project = make_project()
    out = tmp_path / "out"
    code, _out, err = run_main(["build", str(project), "--to", "pdf,epub", "--out", str(out)])
    assert code == 0, err
    before = listing(out)
    assert {"minimal.epub", "minimal.pdf"} <= set(before)

    chapter = project / "manuscript" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nNow broken [@smith2091].\n", encoding="utf-8")
    code, _out, err = run_main(["build", str(project), "--to", "pdf,epub", "--out", str(out)])
    assert code == 1
    assert listing(out) == before, "outputs changed, or temporary files were left behind"


def test_failure_in_one_format_leaves_both_earlier_outputs_unchanged(make_project, tmp_path):
    """An edition is the PDF and the EPUB together: when the EPUB fails (here through a
    broken project template), the PDF of the failed build must not replace the earlier one."""
    project = make_project()
    out = tmp_path / "out"
    code, _out, err = run_main(["build", str(project), "--to", "pdf,epub", "--out", str(out)])
    assert code == 0, err
    before = listing(out)

    chapter = project / "manuscript" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA new sentence.\n", encoding="utf-8")
    broken = project / "templates" / "epub" / "colophon.xhtml.j2"
    broken.parent.mkdir(parents=True)
    broken.write_text("<p>{{ no_such_variable }}</p>\n", encoding="utf-8")
    code, _out, err = run_main(["build", str(project), "--to", "pdf,epub", "--out", str(out)])
    assert code == 1, err
    assert listing(out) == before, "the failed build replaced part of the earlier edition"


def test_template_with_an_undefined_variable_names_file_and_line(make_project, tmp_path):
    project = make_project(files={
        "templates/epub/colophon.xhtml.j2": (
            '{% extends "epub/base.xhtml.j2" %}\n{% block content %}\n<p>{{ meta.title }}</p>\n'
            "<p>{{ no_such_variable }}</p>\n{% endblock %}\n"
        ),
    })
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")])
    assert code == 1
    assert "Traceback" not in err
    assert re.search(r"^(?:\S*/)?templates/epub/colophon\.xhtml\.j2:4: error: .*no_such_variable", err, re.MULTILINE), err


def test_warnings_are_printed_and_strict_makes_them_errors(make_project, tmp_path):
    bib_extra = "@book{extra2000, author = {Extra, Ed}, title = {Uncited}, publisher = {P}, year = {2000}}\n"
    from conftest import DEFAULT_BIB

    project = make_project(bib=DEFAULT_BIB + bib_extra)
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "a")])
    assert code == 0, err
    assert re.search(r"^bibliography\.bib:\d+: warning: .*extra2000", err, re.MULTILINE), err
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "b"), "--strict"])
    assert code == 1
    assert re.search(r"^bibliography\.bib:\d+: error: .*extra2000", err, re.MULTILINE), err
    assert not (tmp_path / "b" / "minimal.epub").exists()


def test_a_rebuild_reuses_compiled_templates_and_recompiles_an_edited_one(make_project, tmp_path, monkeypatch):
    """A project's own templates compiled by the first build are kept in its build cache: a
    rebuild after an edited chapter compiles none, and an edited template is compiled again
    and shows.  The house templates are never compiled: their code is shipped."""
    import zipfile

    import jinja2

    compiled = []
    real_compile = jinja2.Environment.compile

    def compile(self, source, name=None, filename=None, *args, **kwargs):
        compiled.append(name)
        return real_compile(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    colophon = ('{% extends "epub/base.xhtml.j2" %}\n{% block content %}\n<p>{{ meta.title }}: FIRST</p>\n'
                "{% endblock %}\n")
    project = make_project(files={"templates/epub/colophon.xhtml.j2": colophon})
    out = tmp_path / "out"
    assert run_main(["build", str(project), "--to", "epub", "--out", str(out)])[0] == 0
    assert compiled == ["epub/colophon.xhtml.j2"]  # the project's own: the house's chapter template is shipped

    def rebuild_after(path: str, old: str, new: str) -> str:
        compiled.clear()
        edited = project / path
        edited.write_text(edited.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(out)])
        assert code == 0, err
        with zipfile.ZipFile(out / "minimal.epub") as epub:
            return epub.read("EPUB/text/colophon.xhtml").decode()

    chapter = next((project / "manuscript").glob("01-*.md")).relative_to(project).as_posix()
    assert "FIRST" in rebuild_after(chapter, "\n", "\n\nAn added sentence.\n")
    assert compiled == []
    assert "SECOND" in rebuild_after("templates/epub/colophon.xhtml.j2", "FIRST", "SECOND")
    assert compiled == ["epub/colophon.xhtml.j2"]
