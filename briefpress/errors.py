"""Diagnostics: the one error type, warnings, and the collector that gathers a pass's problems.

Every stage reports content problems as :class:`Diagnostic` objects carrying a source
location.  A stage collects all of its problems in a :class:`Report` and raises
:class:`BriefError` once at the end, so the author sees every problem of a pass at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the sources, printed as ``path:line[:col]: severity: message``."""

    severity: str  # "error" or "warning"
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        text = f"{where}{self.severity}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class BriefError(Exception):
    """A content or usage problem the author can fix; carries one or more diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str, *, path=None, line=None, hint=None):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic("error", diagnostics, _display(path), line, None, hint)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def __reduce__(self):  # travels whole from the PDF worker process
        return (BriefError, (self.diagnostics,))


def _display(path) -> str | None:
    if path is None:
        return None
    return str(path)


@dataclass
class Report:
    """Collects the diagnostics of one pass; ``raise_if_errors`` ends the pass."""

    root: Path | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def where(self, path) -> str | None:
        """Paths are shown relative to the project folder, as the author knows them."""
        if path is None:
            return None
        path = Path(path)
        if self.root is not None:
            try:
                return path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                pass
        return str(path)

    def error(self, message: str, path=None, line=None, column=None, hint=None) -> None:
        self._add(Diagnostic("error", message, self.where(path), line, column, hint))

    def warning(self, message: str, path=None, line=None, column=None, hint=None) -> None:
        self._add(Diagnostic("warning", message, self.where(path), line, column, hint))

    def extend(self, diagnostics: list[Diagnostic]) -> None:
        """Diagnostics found by another pass or process (paths already relative)."""
        for diagnostic in diagnostics:
            self._add(diagnostic)

    def _add(self, diagnostic: Diagnostic) -> None:
        # Two passes may find the same problem (a missing figure file): it is shown once.
        if diagnostic not in self.diagnostics:
            self.diagnostics.append(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def raise_if_errors(self, strict: bool = False) -> None:
        """End the pass when it found errors (or, when strict, warnings).

        The exception carries every diagnostic of the pass, warnings included, so the
        author sees them together; under ``strict`` the warnings are shown as errors.
        """
        if strict:
            self.diagnostics = [
                Diagnostic("error", d.message, d.path, d.line, d.column, d.hint) for d in self.diagnostics
            ]
        if self.errors:
            raise BriefError(list(self.diagnostics))
