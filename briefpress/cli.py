"""The command line.

``briefpress [build] [PROJECT] [--to pdf,epub] [--out DIR] [--strict] [--no-cache]``,
``check``, ``diff``, ``watch``, ``clean`` and ``new DIR``.

Exit codes: 0 success, 1 content errors (printed as ``path:line: error: message``),
2 usage errors.  An unexpected exception is an internal error: its traceback is printed
with a request to report it.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import BriefError

SAMPLE = Path(__file__).resolve().parent.parent
COMMANDS = ("build", "check", "diff", "watch", "clean", "new")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="briefpress", description="Publish Markdown chapters and a BibTeX bibliography "
                                               "as a PDF brief and an EPUB 3.")
    p.add_argument("--version", action="version", version=f"briefpress {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    def project_arg(cmd):
        cmd.add_argument("project", nargs="?", default=None,
                         help="project folder (default: the current folder if it is a project, else the sample)")

    b = sub.add_parser("build", help="build the PDF and the EPUB (the default command)")
    project_arg(b)
    b.add_argument("--to", default="pdf,epub", help="formats to build, comma-separated: pdf, epub")
    b.add_argument("--out", default=None, help="output folder (default: PROJECT/build)")
    b.add_argument("--strict", action="store_true", help="treat warnings as errors")
    b.add_argument("--no-cache", action="store_true", help="ignore and do not write the build cache")
    c = sub.add_parser("check", help="report every problem a build would refuse or warn about; write nothing")
    project_arg(c)
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    d = sub.add_parser("diff", help="what changed since the previous edition's manifest")
    project_arg(d)
    d.add_argument("--out", default=None, help="output folder holding the manifests (default: PROJECT/build)")
    w = sub.add_parser("watch", help="rebuild on every save")
    project_arg(w)
    w.add_argument("--to", default="pdf,epub")
    w.add_argument("--out", default=None)
    cl = sub.add_parser("clean", help="remove the build cache (outputs stay)")
    project_arg(cl)
    cl.add_argument("--out", default=None)
    n = sub.add_parser("new", help="scaffold a new brief that builds at once")
    n.add_argument("folder", help="the new project folder (must not exist or be empty)")
    n.add_argument("--title", default="Untitled brief")
    return p


def default_project() -> Path:
    here = Path.cwd()
    if (here / "manuscript" / "publication.yaml").is_file():
        return here
    return SAMPLE


def run(argv: list[str] | None = None) -> NoReturn:
    """The command as a program (``briefpress``, ``publish.py``): :func:`main`, then the
    process ends without the interpreter's teardown.  Everything is written, closed and
    waited for when ``main`` returns (a thread still at work is waited for, as at any
    exit; WeasyPrint's temporary font folder is removed by the PDF's writer); unloading
    several hundred modules and collecting their objects only delays the exit, by
    25–100 ms, which a reader waits for like the build itself."""
    import threading

    code = main(argv)
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: started with that descriptor closed
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``): nothing more can be said
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help", "--version"):
        argv = ["build", *argv]
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return COMMAND_FUNCTIONS[args.command](args)
    except BriefError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("briefpress: interrupted; earlier outputs are unchanged", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - a bug in briefpress, not in the manuscript
        traceback.print_exc()
        print("briefpress: internal error; please report it with the traceback above", file=sys.stderr)
        return 70


def _project(args):
    from .project import Project

    return Project.find(Path(args.project) if args.project else default_project())


def _formats(text: str) -> list[str]:
    formats = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in ("pdf", "epub")]
    if unknown or not formats:
        raise _Usage(f"unknown format '{','.join(unknown) or text}' (use pdf, epub)")
    return formats


class _Usage(Exception):
    pass


def cmd_build(args) -> int:
    from . import pdfworker

    try:
        formats = _formats(args.to)
    except _Usage as exc:
        print(f"briefpress: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else None
    # A first build into its folder starts the PDF worker before anything else, even before
    # the rest of the command is imported, so that its import of WeasyPrint overlaps the
    # whole reading.  A rebuild starts it after the check for changes (see pipeline.build),
    # so that a rebuild with nothing to do starts no process.  A build that fails (not a
    # project, a bad manuscript) ends the worker unused.
    folder = Path(args.project) if args.project else default_project()
    first = not ((out or folder.resolve() / "build") / ".cache" / "state.json").is_file()
    worker = pdfworker.Worker() if "pdf" in formats and first and pdfworker.wanted() else None
    try:
        from .errors import Report
        from .output import BuildLocked
        from .pipeline import build
        from .progress import Progress

        project = _project(args)
        report = Report(root=project.root)
        with Progress() as progress:
            try:
                result = build(project, formats=formats, out=out, report=report,
                               strict=args.strict, use_cache=not args.no_cache, progress=progress.stage,
                               pdf_worker=worker)
            except BuildLocked as exc:
                print(f"briefpress: error: another build is writing to {exc} right now; try again when it ends",
                      file=sys.stderr)
                return 1
            except BriefError as exc:  # a writer's error: the warnings of the reading come with it
                raise BriefError([*(w for w in report.warnings if w not in exc.diagnostics),
                                  *exc.diagnostics]) from None
    finally:
        if worker is not None:
            worker.close(kill=True)  # at once if unused; a worker that answered has ended already
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    summary(result)
    return 0


def summary(result) -> None:
    if result.up_to_date:
        print(f"up to date: nothing changed since the last build ({result.seconds['check']:.2f} s)")
    for path in result.outputs:
        size = path.stat().st_size
        extra = f", {result.pages} pages" if path.suffix == ".pdf" and result.pages else ""
        print(f"{'kept' if result.up_to_date else 'wrote'} {_shown(path)} ({size / 1024:.0f} KiB{extra})")
    if not result.up_to_date:
        times = ", ".join(f"{stage} {sec:.2f} s" for stage, sec in result.seconds.items())
        print(f"{len(result.warnings)} warning(s); {times}")
        if result.changes is not None and not result.changes.empty:
            print(f"changes since the edition of {result.changes.since}:")
            for line in result.changes.lines():
                print(f"  {line}")


def cmd_check(args) -> int:
    from .errors import Report
    from .pipeline import read

    project = _project(args)
    report = Report(root=project.root)
    read(project, report)
    report.raise_if_errors(strict=args.strict)
    for warning in report.warnings:
        print(warning, file=sys.stderr)
    print(f"{project.root.name}: no errors, {len(report.warnings)} warning(s)")
    return 0


def cmd_diff(args) -> int:
    from . import editions
    from .errors import Report
    from .pipeline import read

    project = _project(args)
    publication = read(project, Report(root=project.root))
    meta = publication.metadata
    out = Path(args.out).resolve() if args.out else project.root / "build"
    before = editions.previous_manifest(out, meta.slug, meta.edition.date)
    current = editions.manifest(publication)
    if before is None:
        same = out / (editions.stem(meta.slug, meta.edition.date) + editions.MANIFEST_SUFFIX)
        if not same.is_file():
            print(f"no earlier edition of '{meta.slug}' in {_shown(out)}")
            return 0
        import json

        before = json.loads(same.read_text(encoding="utf-8"))
    changes = editions.diff(before, current)
    print(f"since the edition of {changes.since}:")
    for line in changes.lines() or ["no changes"]:
        print(f"  {line}")
    return 0


def cmd_clean(args) -> int:
    import shutil

    project = _project(args)
    out = Path(args.out).resolve() if args.out else project.root / "build"
    cache = out / ".cache"
    if cache.is_dir():
        shutil.rmtree(cache)
        print(f"removed {_shown(cache)}")
    else:
        print("nothing to clean")
    return 0


def cmd_watch(args) -> int:
    from .watch import watch

    project = _project(args)
    return watch(project, _formats(args.to), Path(args.out) if args.out else None)


def cmd_new(args) -> int:
    from .scaffold import scaffold

    folder = scaffold(Path(args.folder), args.title)
    print(f"created {_shown(folder)}: build it with 'briefpress build {_shown(folder)}'")
    return 0


COMMAND_FUNCTIONS = {"build": cmd_build, "check": cmd_check, "diff": cmd_diff, "watch": cmd_watch,
                     "clean": cmd_clean, "new": cmd_new}


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
