"""``build(project)``: read everything, transform once, then write each format.

The command line, the tests (and later the watcher) all call :func:`build`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Report
from .model import Publication
from .project import Project, load_metadata

FORMATS = ("pdf", "epub")


@dataclass
class BuildResult:
    outputs: list[Path]
    warnings: list
    seconds: dict[str, float] = field(default_factory=dict)
    pages: int | None = None
    up_to_date: bool = False
    changes: object = None  # editions.Changes since the previous edition, if there is one


def read(project: Project, report: Report, cache=None, on_metadata=None, worker=None) -> Publication:
    """Read metadata, chapters and bibliography into the model, then run the transforms;
    ``on_metadata(metadata, resources)`` is called as soon as the metadata is read without
    errors, with the sandbox the manuscript is read through.  With an EPUB ``worker``
    (``epubworker.Worker``), the citations are formatted there while this process draws
    the charts."""
    from . import citations, crossrefs, figures, fonts, notes
    from .bibliography import read_bibliography
    from .manuscript import read_chapters
    from .project import house_templates
    from .resources import Resources

    fonts.prefetch()  # fontconfig answers while the manuscript is read (charts, checks and EPUB ask)
    metadata = load_metadata(project, report)
    resources = Resources(project.root, extra_roots=(house_templates(),), allow_remote=metadata.allow_remote)
    if on_metadata is not None and not report.errors:
        on_metadata(metadata, resources)
    chapters = read_chapters(project, metadata, report, resources)
    references = {}
    if project.bibliography.is_file():
        references = read_bibliography(project.bibliography, report)
    if not metadata.chapters or len(chapters) != len(metadata.chapters):
        report.raise_if_errors()
    publication = Publication(root=project.root, metadata=metadata, chapters=chapters,
                              references=references,
                              bibliography_path=project.bibliography if project.bibliography.is_file() else None)
    def local_formatter():
        from .csl.formatter import CslFormatter

        return CslFormatter(metadata.citation_style, locale=metadata.language)

    def formatter():
        return worker.formatter(local_formatter) if worker is not None else local_formatter()

    if citations.is_note_style(metadata.citation_style):
        citations.into_notes(publication)
    notes.number(publication, report)
    citations.number_notes_of_citations(publication)
    fill_citations = citations.resolve_later(publication, formatter, report, cache)
    # The charts are drawn while the citations are formatted (in the EPUB worker, if there
    # is one); their diagnostics follow the cross-references', in the order of the passes.
    # Charts are drawn into the build's cache folder (OUT/.cache/charts/), which the
    # writers' resources serve; without a cache they travel as data: URLs.
    figure_report = Report(root=report.root)
    figures.prepare(publication, resources, figure_report,
                    cache.folder if cache is not None and cache.enabled else None)
    fill_citations()
    crossrefs.number(publication, report)  # it fills the citations into the text
    report.extend(figure_report.diagnostics)
    _check(project, publication, resources, report)
    report.raise_if_errors()
    return publication


def _check(project: Project, publication: Publication, resources, report: Report) -> None:
    """Checks on the whole publication, through the same sandbox the chapters were read with."""
    from . import checks
    from .resources import check_templates

    check_templates(project.root, publication.metadata.allow_remote, report)  # the sandbox, for overrides
    checks.check_links(publication, report)
    checks.check_footnotes(publication, report)
    checks.check_figures(publication, resources, report)
    checks.check_characters(publication, report)


def fingerprint(project: Project, formats, strict: bool) -> str:
    """Everything a build's outputs depend on: the sources, the templates, the engine."""
    from .cache import digest
    from .project import house_templates

    files = []
    roots = [project.manuscript, project.figures, project.templates, project.root / "data",
             house_templates(), Path(__file__).resolve().parent]
    for root in roots:
        if root.is_dir():
            files += sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    if project.bibliography.is_file():
        files.append(project.bibliography)
    style = project_style(project)
    if style is not None:
        files.append(style)
    # Names and contents as parts of their own: bytes are hashed as they are (as a JSON
    # value, each file's bytes would first be written out as text).
    return digest(sorted(formats), strict, *[part for p in files for part in (str(p), p.read_bytes())])


def project_style(project: Project) -> Path | None:
    """The project's own ``.csl`` file, if ``publication.yaml`` names one (anywhere in the
    project, so not under the folders the fingerprint walks)."""
    import yaml

    try:
        data = yaml.load(project.metadata_path.read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        value = data.get("citation_style") if isinstance(data, dict) else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(value, str) or not value.endswith(".csl"):
        return None
    path = (project.root / value).resolve()
    return path if path.is_file() and path.is_relative_to(project.root.resolve()) else None


def build(project: Project, formats=FORMATS, out: Path | None = None, report: Report | None = None,
          strict: bool = False, use_cache: bool = True, progress=None, pdf_worker: bool | None = None,
          epub_worker=None) -> BuildResult:
    """Read, transform and write; a build whose inputs have not changed writes nothing.

    ``pdf_worker``: lay the PDF out in a worker process (None: when it pays off, see
    ``pdfworker.wanted``; a long-lived process such as the watcher says False, since its
    WeasyPrint stays imported from one build to the next), or in this ``pdfworker.Worker``,
    started by the caller, who ends it if the build does not use it.  ``epub_worker``:
    the same for an EPUB-only build's worker (``epubworker``)."""
    from .output import build_lock

    out = (out or project.root / "build").resolve()
    report = report or Report(root=project.root)
    with build_lock(out):
        return _build(project, list(formats), out, report, strict, use_cache, progress or (lambda *a: None),
                      pdf_worker, epub_worker)


def _build(project, formats, out, report, strict, use_cache, progress, pdf_worker, epub_worker) -> BuildResult:
    import json

    from . import editions
    from .cache import Cache
    from .errors import Diagnostic
    from .output import write_all

    start = time.perf_counter()
    state_path = out / ".cache" / "state.json"
    key = fingerprint(project, formats, strict)
    state = {}
    if use_cache and state_path.is_file():
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except ValueError:
            state = {}
    previous = state.get(",".join(sorted(formats)))
    if previous and previous["fingerprint"] == key and _intact(out, previous["outputs"]):
        return BuildResult(
            outputs=[out / name for name in previous["outputs"]],
            warnings=[Diagnostic(**w) for w in previous["warnings"]],
            seconds={"check": time.perf_counter() - start}, pages=previous.get("pages"), up_to_date=True,
        )

    seconds = {}
    cache = Cache(out / ".cache" if use_cache else None)
    from . import pdfworker

    # With a core to spare, WeasyPrint is imported in a worker while the manuscript is read.
    if not isinstance(pdf_worker, pdfworker.Worker):  # else started by the caller
        wanted = pdfworker.wanted() if pdf_worker is None else pdf_worker
        pdf_worker = pdfworker.Worker() if "pdf" in formats and wanted else None
    worker = pdf_worker if "pdf" in formats else None
    # An EPUB-only build formats, draws and writes in a second process while it reads.
    from . import epubworker

    if not isinstance(epub_worker, epubworker.Worker):  # else started by the caller
        wanted = epubworker.wanted() if epub_worker is None else epub_worker
        epub_worker = epubworker.Worker(project.root, project.templates, cache.folder) \
            if formats == ["epub"] and wanted else None
    cover = None

    def start_cover(meta, resources) -> None:  # an EPUB-only build draws its cover while it reads
        nonlocal cover
        if epub_worker is not None:
            epub_worker.begin(meta)
            return
        from .cover import draw_cover

        cover = draw_cover(meta, project.root, resources, cache)

    try:
        progress("read")
        # In a full build the cover waits until the PDF's job is sent: drawn while the
        # manuscript is read, it would hold back the job the PDF worker waits for.
        publication = read(project, report, cache, on_metadata=start_cover if formats == ["epub"] else None,
                           worker=epub_worker)
        report.raise_if_errors(strict=strict)
        meta = publication.metadata
        current = editions.manifest(publication)
        before = editions.previous_manifest(out, meta.slug, meta.edition.date)
        changes = editions.diff(before, current) if before else None
        publication.changes = changes if meta.edition.whats_new else None
        seconds["read"] = time.perf_counter() - start
        files, pages = _render(project, publication, formats, out, cache, worker, seconds, progress, cover,
                               epub_worker)
    except BaseException:
        if worker is not None:
            worker.close(kill=True)
        if epub_worker is not None:
            epub_worker.close(kill=True)
        if cover is not None:  # the drawing may write the build cache: it ends before the lock is released
            from concurrent.futures import wait

            cover.cancel()
            wait([cover])
        from . import fonts

        fonts.settle()
        raise
    if worker is not None:
        worker.close()
    if epub_worker is not None:
        epub_worker.close()
    files[out / (editions.stem(meta.slug, meta.edition.date) + editions.MANIFEST_SUFFIX)] = \
        editions.write_manifest(current)
    progress("write")
    write_all(files)
    import hashlib

    record = {
        "fingerprint": key,
        "outputs": {p.name: hashlib.sha256(d).hexdigest() for p, d in files.items()},
        "warnings": [w.__dict__ for w in report.warnings],
        "pages": pages,
    }
    if use_cache:
        state[",".join(sorted(formats))] = record
        write_all({state_path: json.dumps(state, indent=1, sort_keys=True).encode()})
    return BuildResult(outputs=list(files), warnings=report.warnings, seconds=seconds, pages=pages,
                       changes=changes)


def _render(project, publication, formats, out, cache, worker, seconds, progress, cover=None, epub_worker=None
            ) -> tuple[dict, int | None]:
    """Every format rendered, before any file is written: a failure in one leaves all
    earlier outputs as they were.  The PDF is laid out first (here or in the worker): the
    EPUB's page-list needs its page map, and the EPUB is made while the PDF is written.
    ``cover``: the EPUB's cover, if its drawing has started; ``epub_worker``: the process
    that writes the EPUB of an EPUB-only build (here if it cannot)."""
    from . import editions
    from .project import house_templates
    from .resources import Resources

    meta = publication.metadata
    resources = Resources(project.root, extra_roots=(house_templates(), out / ".cache"),
                          allow_remote=meta.allow_remote)
    files: dict[Path, bytes] = {}
    pages = None
    env = None

    def templates():  # not even imported when the EPUB worker writes the only format
        nonlocal env
        if env is None:
            from .render import environment

            env = environment(project.templates, cache)
        return env

    try:
        begin = time.perf_counter()
        if "pdf" in formats:
            from .pdf import PdfRender

            progress("pdf")
            pdf = PdfRender(publication, templates(), resources, cache, worker)
        if "epub" in formats and epub_worker is None and cover is None:  # drawn while the PDF is laid out
            from .cover import draw_cover

            cover = draw_cover(meta, project.root, resources, cache)
        page_map = pdf.page_map() if "pdf" in formats else None
        if "epub" in formats:
            progress("epub")
            epub_begin = time.perf_counter()
            data = None
            if epub_worker is not None:
                from .epubworker import WorkerFailed

                try:
                    data = epub_worker.epub(publication, resources)
                except WorkerFailed:  # it died (killed, out of memory): written here instead
                    from .cover import draw_cover

                    cover = draw_cover(meta, project.root, resources, cache)
            if data is None:
                from .epub import render_epub

                data = render_epub(publication, templates(), resources, page_map=page_map or None, cache=cache,
                                   cover=cover)
            files.update(dict.fromkeys(editions.output_paths(out, meta.slug, meta.edition.date, "epub"), data))
            seconds["epub"] = time.perf_counter() - epub_begin
            if "pdf" in formats and pdf.worker is not None:  # waits for the worker's PDF: peak memory
                from .memory import release

                release()
        if "pdf" in formats:
            data, pages = pdf.result()
            files.update(dict.fromkeys(editions.output_paths(out, meta.slug, meta.edition.date, "pdf"), data))
            seconds["pdf"] = time.perf_counter() - begin  # from the job to the bytes, EPUB included when parallel
    except BaseException:
        if cover is not None:  # the drawing may write the build cache: it ends before the lock is released
            from concurrent.futures import wait

            cover.cancel()
            wait([cover])
        raise
    return files, pages


def _intact(out: Path, outputs: dict[str, str]) -> bool:
    """The recorded outputs are still there, unchanged (sizes first, then hashes)."""
    import hashlib

    for name, sha in outputs.items():
        path = out / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            return False
    return True
