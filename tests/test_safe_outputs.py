"""Safe outputs: a full disk, a read-only output folder or a killed build leaves the
earlier edition byte-identical, with a clear message and no traceback."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_main

from briefpress import output

CHAPTER = "# First Chapter\n\nA claim [@smith2019]. Another view [see @smith2019; @doe2018, p. 5].\n"


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}


@pytest.fixture
def built(make_project, tmp_path):
    """A project with a first edition in ``out`` (EPUB only: fast), and its files' bytes."""
    project = make_project()
    out = tmp_path / "out"
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(out), "--no-cache"])
    assert code == 0, err
    # The next build has something new to write.
    (project / "manuscript" / "01-first.md").write_text(CHAPTER + "\nA new paragraph.\n", encoding="utf-8")
    return project, out, snapshot(out)


def test_a_full_disk_is_an_error_and_changes_nothing(built, monkeypatch):
    project, out, before = built
    real_fsync = os.fsync
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:  # the first output is complete, the second runs out of space
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(output.os, "fsync", fsync)
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(out), "--no-cache"])
    assert code == 1 and "Traceback" not in err
    assert f"error: cannot write '{out / 'minimal.epub'}': No space left on device" in err
    assert "hint: earlier outputs are unchanged" in err
    assert snapshot(out) == before
    assert not list(out.glob(".*.part"))


def test_a_read_only_output_folder_is_an_error_and_changes_nothing(built, monkeypatch):
    project, out, before = built
    if os.geteuid() == 0:  # root writes anywhere: simulate what the kernel says to others
        def mkstemp(*args, dir=None, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), dir)

        monkeypatch.setattr(output.tempfile, "mkstemp", mkstemp)
    else:
        out.chmod(0o555)
    try:
        code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(out), "--no-cache"])
    finally:
        out.chmod(0o755)
    assert code == 1 and "Traceback" not in err
    assert "error: cannot write" in err and "Permission denied" in err
    assert snapshot(out) == before


def test_a_build_killed_half_way_leaves_the_earlier_edition(make_project, tmp_path):
    project = make_project()
    out = tmp_path / "out"
    code, _out, err = run_main(["build", str(project), "--to", "pdf,epub", "--out", str(out), "--no-cache"])
    assert code == 0, err
    before = snapshot(out)
    # A long chapter, so that the PDF is still being laid out when the build is killed.
    paragraph = "Trade along the corridor grew, and with it the questions of debt and land. " * 12
    (project / "manuscript" / "01-first.md").write_text(
        CHAPTER + "".join(f"\n## Part {i}\n\n{paragraph}\n" for i in range(150)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from briefpress.cli import main; sys.exit(main(sys.argv[1:]))",
         "build", str(project), "--to", "pdf,epub", "--out", str(out), "--no-cache"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.0)
    assert proc.poll() is None, "the build ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert snapshot(out) == before
    # A temporary file a kill left in the middle of writing is harmless, and the next build removes it.
    stale = out / ".minimal.pdf.abc123.part"
    stale.write_bytes(b"half a PDF")
    code, _out, err = run_main(["build", str(project), "--to", "epub", "--out", str(out), "--no-cache"])
    assert code == 0, err
    assert not stale.exists()
    assert snapshot(out)["minimal.pdf"] == before["minimal.pdf"]
