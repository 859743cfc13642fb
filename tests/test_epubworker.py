"""The EPUB-only build's worker (``briefpress.epubworker``): the same EPUB as a build that
writes it in its own process, first build and rebuild; a dead worker replaced by the
build itself; no process left behind by a failed build.  (The bad-input suite runs its
EPUB cases with the worker too: the same messages.)"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

# The command as a user runs it, in a fresh process; it says afterwards whether this
# process imported the EPUB writer (it does not when the worker wrote the EPUB).
SCRIPT = ("import sys; from briefpress.cli import main; code = main(sys.argv[1:]); "
          "print('written here' if 'briefpress.epub' in sys.modules else 'written by the worker'); sys.exit(code)")


def build(project: Path, out: Path, worker: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BRIEFPRESS_EPUB_WORKER": worker, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-P", "-c", SCRIPT, "build", str(project), "--to", "epub", "--out",
                           str(out)], env=env, capture_output=True, text=True, timeout=120, check=False)


def copy_sample(target: Path) -> Path:
    for part in ("manuscript", "figures", "templates", "data", "bibliography.bib"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        elif source.is_file():
            shutil.copy2(source, target / part)
    return target


def test_the_worker_writes_the_epub_the_build_writes_itself(tmp_path):
    project = copy_sample(tmp_path / "sample")
    epubs = {}
    for worker, said in (("1", "written by the worker"), ("0", "written here")):
        out = tmp_path / f"out-{worker}"
        done = build(project, out, worker)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.splitlines()[-1] == said
        epubs[worker] = out / "kazakhstan-china.epub"
    first = epubs["1"].read_bytes()
    assert first == epubs["0"].read_bytes()
    cache = tmp_path / "out-1" / ".cache"
    assert list((cache / "templates").iterdir()), "the helper compiled no template into the build cache"
    assert list((cache / "covers").iterdir()), "the cover the helper drew was not kept"

    # A rebuild after an edit: the worker takes the cover and templates from the cache.
    chapter = project / "manuscript" / "02-bri-status.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA sentence added for the new edition.\n",
                       encoding="utf-8")
    for worker in ("1", "0"):
        done = build(project, tmp_path / f"out-{worker}", worker)
        assert done.returncode == 0, done.stderr[-2000:]
    assert epubs["1"].read_bytes() != first, "the edit did not reach the EPUB"
    assert epubs["1"].read_bytes() == epubs["0"].read_bytes()


def test_without_templates_of_its_own_the_worker_writes_from_the_shipped_code(tmp_path):
    """A project without a templates folder: the house templates' shipped code writes the
    EPUB, in the worker as in the build itself, and nothing is compiled into the cache."""
    project = copy_sample(tmp_path / "sample")
    shutil.rmtree(project / "templates")
    epubs = []
    for worker in ("1", "0"):
        out = tmp_path / f"out-{worker}"
        done = build(project, out, worker)
        assert done.returncode == 0, done.stderr[-2000:]
        epubs.append((out / "kazakhstan-china.epub").read_bytes())
        assert not list((out / ".cache").glob("templates/*")), "a house template was compiled"
    assert epubs[0] == epubs[1]


@pytest.mark.parametrize("sent", ["the same", "another title"])
def test_the_cover_helper_answers_with_the_cover_of_the_metadata_the_build_sends(make_project, tmp_path, sent):
    """The helper draws the cover of the metadata the worker read before the build's
    arrives; when the build read other metadata (the file changed in between), it draws
    that one's instead."""
    import dataclasses

    from briefpress import epubworker, frames
    from briefpress.cover import render_cover
    from briefpress.errors import Report
    from briefpress.project import Project, house_templates, load_metadata
    from briefpress.resources import Resources

    project = Project.find(make_project(title="The title on file"))
    meta = load_metadata(project, Report(root=project.root))
    if sent != "the same":
        meta = dataclasses.replace(meta, title="Another title, read by the build")
    requests_read, requests_write = os.pipe()
    answers_read, answers_write = os.pipe()
    with os.fdopen(requests_write, "wb") as requests:
        frames.write(requests, ("draw", meta, project.root))
    with os.fdopen(requests_read, "rb") as requests, os.fdopen(answers_write, "wb") as answers:
        assert epubworker._draw(requests, answers, project.root, epubworker._metadata(project.root), None) == 0
    with os.fdopen(answers_read, "rb") as answers:
        kind, data, _key = frames.read(answers)
    assert kind == "cover"
    expected = render_cover(meta, project.root, Resources(project.root, extra_roots=(house_templates(),)))
    assert data == expected


@pytest.mark.parametrize("after", [0.0, 0.5], ids=["at-once", "with-its-helper-started"])
def test_a_dead_worker_is_replaced_by_the_build(make_project, tmp_path, after):
    from briefpress import epubworker
    from briefpress.pipeline import build as build_in_process
    from briefpress.project import Project

    project = Project.find(make_project())
    expected = build_in_process(project, formats=["epub"], out=tmp_path / "here", epub_worker=False)
    worker = epubworker.Worker(project.root, project.templates, tmp_path / "dead" / ".cache")
    time.sleep(after)  # by then the worker has forked its helper, which must not keep its pipes open
    os.kill(worker.pid, signal.SIGKILL)
    result = build_in_process(project, formats=["epub"], out=tmp_path / "dead", epub_worker=worker)
    assert worker.pid is None  # reaped
    assert [p.name for p in result.outputs] == [p.name for p in expected.outputs]
    for mine, theirs in zip(result.outputs, expected.outputs):
        assert mine.read_bytes() == theirs.read_bytes()


def test_a_failed_build_leaves_no_worker_behind(make_project, tmp_path):
    project = make_project(chapters={"01-first.md": "# Title\n\nA claim [@nosuchkey2020].\n"})
    done = build(project, tmp_path / "out", "1")
    assert done.returncode == 1
    assert "unknown citation key 'nosuchkey2020'" in done.stderr
    time.sleep(0.2)
    left = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(project).encode() in (proc / "cmdline").read_bytes():
                left.append(proc.name)
        except OSError:
            continue
    assert not left, f"processes of the failed build still run: {left}"


def test_the_progress_line_starts_its_thread_with_the_first_stage():
    """On a terminal the progress line runs a refresh thread; it starts with the first
    stage, after an EPUB-only build has forked its worker (which needs a single thread)."""
    import io
    import threading

    from briefpress.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def started() -> set:  # threads this test started (others may end meanwhile)
        return {t for t in threading.enumerate() if t not in before and t.is_alive()}

    before = set(threading.enumerate())
    with Progress(Terminal()) as progress:
        assert not started()
        progress.stage("read")
        refresh = started()
        assert refresh, "no refresh thread on a terminal"
    for thread in refresh:
        thread.join(timeout=5)
    assert not started()


def test_metadata_edited_as_the_build_begins_is_the_one_written(make_project, tmp_path):
    """The worker reads the metadata as soon as it starts, for the cover and the citation
    style; when the build then reads different metadata (the file was saved in between),
    the build's is the one the EPUB is written from."""
    import yaml

    from briefpress import epubworker
    from briefpress.pipeline import build as build_in_process
    from briefpress.project import Project

    project = Project.find(make_project(citation_style="apa"))
    worker = epubworker.Worker(project.root, project.templates, tmp_path / "worker" / ".cache")
    time.sleep(1.0)  # it has read the metadata as it was
    data = yaml.safe_load(project.metadata_path.read_text(encoding="utf-8"))
    data.update(title="A Retitled Brief", citation_style="chicago-author-date")
    project.metadata_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = build_in_process(project, formats=["epub"], out=tmp_path / "worker", epub_worker=worker)
    expected = build_in_process(project, formats=["epub"], out=tmp_path / "here", epub_worker=False)
    for mine, theirs in zip(result.outputs, expected.outputs):
        assert mine.read_bytes() == theirs.read_bytes()
