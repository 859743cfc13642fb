"""``briefpress watch``: rebuild on every save, one line per build; a failed build prints
its diagnostics and leaves the last good outputs in place."""

from __future__ import annotations

import time
from pathlib import Path

from .errors import BriefError, Report
from .output import BuildLocked
from .pipeline import build, project_style
from .project import Project


def build_once(project: Project, formats, out: Path | None) -> str:
    """One build, summed up in one line (diagnostics above it when there are any)."""
    start = time.perf_counter()
    report = Report(root=project.root)
    try:
        # In-process: WeasyPrint, imported by the first build, serves every later one.
        result = build(project, formats=formats, out=out, report=report, pdf_worker=False)
    except BriefError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, flush=True)
        errors = sum(d.severity == "error" for d in exc.diagnostics)
        return f"build failed: {errors} error(s); the last good outputs are unchanged"
    except BuildLocked:
        return "another build is running; skipped"
    for warning in result.warnings:
        print(warning, flush=True)
    if result.up_to_date:
        return "up to date"
    names = ", ".join(p.name for p in result.outputs if not p.name.endswith(".json"))
    return f"built {names} in {time.perf_counter() - start:.2f} s, {len(result.warnings)} warning(s)"


def watch(project: Project, formats, out: Path | None, stop=None) -> int:
    from watchfiles import watch as watch_files

    out_dir = (out or project.root / "build").resolve()
    print(build_once(project, formats, out), flush=True)
    folders = [p for p in (project.manuscript, project.figures, project.templates, project.root / "data")
               if p.is_dir()]
    style = project_style(project)  # the style named when the watch starts
    paths = [*folders, *([project.bibliography] if project.bibliography.is_file() else []),
             *([style] if style is not None else [])]

    def relevant(_change, path: str) -> bool:
        return out_dir not in Path(path).resolve().parents and not Path(path).name.startswith(".")

    print(f"watching {project.root.name} for changes (Ctrl-C to stop)", flush=True)
    try:
        for _changes in watch_files(*paths, watch_filter=relevant, stop_event=stop, debounce=300):
            print(build_once(project, formats, out), flush=True)
    except KeyboardInterrupt:
        pass
    return 0
