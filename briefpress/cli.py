"""The command line: ``briefpress [build] [PROJECT] [--to pdf,epub] [--out DIR]``.

Exit codes: 0 success, 1 content errors (printed as ``path:line: error: message``),
2 usage errors.  An unexpected exception is an internal error: its traceback is printed
with a request to report it.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from . import __version__
from .errors import BriefError

SAMPLE = Path(__file__).resolve().parent.parent


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
    b = sub.add_parser("build", help="build the PDF and the EPUB (the default command)")
    b.add_argument("project", nargs="?", default=None,
                   help="project folder (default: the current folder if it is a project, else the sample)")
    b.add_argument("--to", default="pdf,epub", help="formats to build, comma-separated: pdf, epub")
    b.add_argument("--out", default=None, help="output folder (default: PROJECT/build)")
    b.add_argument("--strict", action="store_true", help="treat warnings as errors")
    return p


def default_project() -> Path:
    here = Path.cwd()
    if (here / "manuscript" / "publication.yaml").is_file():
        return here
    return SAMPLE


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("build", "-h", "--help", "--version"):
        argv = ["build", *argv]
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    formats = [f.strip() for f in args.to.split(",") if f.strip()]
    unknown = [f for f in formats if f not in ("pdf", "epub")]
    if unknown or not formats:
        print(f"briefpress: error: unknown format '{','.join(unknown) or args.to}' (use pdf, epub)", file=sys.stderr)
        return 2
    try:
        from .errors import Report
        from .pipeline import build
        from .project import Project

        project = Project.find(Path(args.project) if args.project else default_project())
        report = Report(root=project.root)
        result = build(project, formats=formats, out=Path(args.out) if args.out else None,
                       report=report, strict=args.strict)
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
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    for path in result.outputs:
        size = path.stat().st_size
        print(f"wrote {_shown(path)} ({size / 1024:.0f} KiB)")
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
