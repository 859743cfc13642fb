"""``build(project)``: read everything, transform once, then write each format.

The command line, the tests (and later the watcher) all call :func:`build`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Report
from .model import Publication
from .output import atomic_path
from .project import Project, load_metadata

FORMATS = ("pdf", "epub")


@dataclass
class BuildResult:
    outputs: list[Path]
    warnings: list
    seconds: dict[str, float] = field(default_factory=dict)


def read(project: Project, report: Report) -> Publication:
    """Read metadata, chapters and bibliography into the model, then run the transforms."""
    from . import citations, crossrefs
    from .bibliography import read_bibliography
    from .citeformat import CiteprocFormatter
    from .manuscript import read_chapters

    metadata = load_metadata(project, report)
    chapters = read_chapters(project, metadata, report)
    references = {}
    if project.bibliography.is_file():
        references = read_bibliography(project.bibliography, report)
    report.raise_if_errors()
    publication = Publication(root=project.root, metadata=metadata, chapters=chapters,
                              references=references,
                              bibliography_path=project.bibliography if project.bibliography.is_file() else None)
    formatter = CiteprocFormatter(metadata.citation_style, locale=metadata.language)
    citations.resolve(publication, formatter, report)
    crossrefs.number(publication, report)
    report.raise_if_errors()
    return publication


def build(project: Project, formats=FORMATS, out: Path | None = None, report: Report | None = None,
          strict: bool = False) -> BuildResult:
    from .render import environment
    from .resources import Resources

    report = report or Report(root=project.root)
    out = (out or project.root / "build").resolve()
    seconds = {}
    start = time.perf_counter()
    publication = read(project, report)
    report.raise_if_errors(strict=strict)
    seconds["read"] = time.perf_counter() - start
    env = environment(project.templates)
    from .render import house_templates

    resources = Resources(project.root, extra_roots=(house_templates(),))
    # Every format is rendered before any file is written: a failure in one leaves all
    # earlier outputs as they were.
    rendered: dict[Path, bytes] = {}
    slug = publication.metadata.slug
    if "pdf" in formats:
        from .pdf import render_pdf

        start = time.perf_counter()
        rendered[out / f"{slug}.pdf"] = render_pdf(publication, env, resources)
        seconds["pdf"] = time.perf_counter() - start
    if "epub" in formats:
        from .epub import render_epub

        start = time.perf_counter()
        rendered[out / f"{slug}.epub"] = render_epub(publication, env, resources)
        seconds["epub"] = time.perf_counter() - start
    for path, data in rendered.items():
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    return BuildResult(outputs=list(rendered), warnings=report.warnings, seconds=seconds)
