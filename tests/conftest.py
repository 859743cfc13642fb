"""Fixtures: the sample brief built once per session (a PDF build takes many seconds), a
second independent build of it for the reproducibility checks, and a factory for small
projects in ``tmp_path``."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the engine is used from the source tree, not installed
    sys.path.insert(0, str(ROOT))

from support import load_yaml

# Builds in the test process lay out their PDF in it: WeasyPrint is imported once for the
# whole session.  The second sample build runs as a user's does, with the PDF worker.
os.environ.setdefault("BRIEFPRESS_PDF_WORKER", "0")
# EPUB-only builds write their EPUB in the test process too; tests/test_epubworker.py
# builds with the worker and compares.
os.environ.setdefault("BRIEFPRESS_EPUB_WORKER", "0")

from briefpress.cli import main


@dataclass
class Build:
    out: Path
    pdf: Path
    epub: Path
    code: int
    stdout: str
    stderr: str


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` in this process, with its stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Build:
    """The repository's sample built once, to PDF and EPUB, into a temporary folder."""
    out = tmp_path_factory.mktemp("sample")
    code, stdout, stderr = run_main(["build", str(ROOT), "--to", "pdf,epub", "--out", str(out)])
    slug = load_yaml()["slug"]
    build = Build(out, out / f"{slug}.pdf", out / f"{slug}.epub", code, stdout, stderr)
    assert code == 0, f"building the sample failed (exit {code}):\n{stderr}"
    return build


@pytest.fixture(scope="session")
def second_sample_build(tmp_path_factory, sample_build) -> Build:
    """The sample built again, as a user would: in a fresh process with another hash seed,
    its PDF laid out by the PDF worker (the first build lays it out in the test process)."""
    out = tmp_path_factory.mktemp("sample-again")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT), "BRIEFPRESS_PDF_WORKER": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from briefpress.cli import main; sys.exit(main(sys.argv[1:]))",
         "build", str(ROOT), "--to", "pdf,epub", "--out", str(out)],
        cwd=out, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return Build(out, out / sample_build.pdf.name, out / sample_build.epub.name, proc.returncode,
                 proc.stdout, proc.stderr)


DEFAULT_BIB = """\
@book{smith2019,
  author    = {Smith, John},
  title     = {A Book of Things},
  publisher = {Example Press},
  year      = {2019},
}

@article{doe2018,
  author       = {Doe, Jane},
  title        = {An Article on Trade},
  journaltitle = {Journal of Examples},
  volume       = {3},
  pages        = {10--20},
  year         = {2018},
}
"""

DEFAULT_CHAPTER = """\
# First Chapter

A claim [@smith2019]. Another view [see @smith2019; @doe2018, p. 5].
"""


def write_project(root: Path, chapters: dict[str, str] | None = None, bib: str | None = DEFAULT_BIB,
                  files: dict[str, str] | None = None, **metadata) -> Path:
    """A minimal project: ``publication.yaml``, the chapters (name -> Markdown, dedented),
    ``bibliography.bib`` and any extra files (relative path -> text)."""
    chapters = {"01-first.md": DEFAULT_CHAPTER} if chapters is None else chapters
    manuscript = root / "manuscript"
    manuscript.mkdir(parents=True)
    data = {
        "title": "A Minimal Brief",
        "slug": "minimal",
        "identifier": "urn:uuid:6f0c1f0e-0000-4000-8000-000000000001",
        "language": "en-GB",
        "edition": {"date": "2020-03-04"},
        "authors": [{"name": "Ann Author"}],
        "chapters": list(chapters),
    }
    data.update(metadata)
    (manuscript / "publication.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                 encoding="utf-8")
    for name, text in chapters.items():
        (manuscript / name).write_text(textwrap.dedent(text), encoding="utf-8")
    if bib is not None:
        (root / "bibliography.bib").write_text(textwrap.dedent(bib), encoding="utf-8")
    for rel, text in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path):
    """Factory: ``make_project(chapters=…, bib=…, files=…, **metadata)`` -> project folder."""
    count = 0

    def make(**kwargs) -> Path:
        nonlocal count
        count += 1
        return write_project(tmp_path / f"project-{count}", **kwargs)

    return make


@pytest.fixture
def read_model():
    """``read_model(project)`` -> the Publication after the transforms (no writer runs)."""
    from briefpress.errors import Report
    from briefpress.pipeline import read
    from briefpress.project import Project

    def read_model(folder: Path):
        project = Project.find(folder)
        return read(project, Report(root=project.root))

    return read_model
