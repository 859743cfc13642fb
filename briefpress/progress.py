"""Progress of a build: a live line per stage on a terminal (rich), nothing extra in a log."""

from __future__ import annotations

import sys

LABELS = {"read": "reading and resolving", "epub": "writing the EPUB", "pdf": "laying out the PDF",
          "write": "saving"}


class Progress:
    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.status = None

    def __enter__(self):
        return self

    def stage(self, name: str) -> None:
        # The live line (and its refresh thread) starts with the first stage: after the
        # check for changes, and after an EPUB-only build has forked its worker, which a
        # process forks safely only while it runs a single thread.
        if self.status is None and self.stream.isatty():
            from rich.console import Console

            self.status = Console(file=self.stream).status("starting")
            self.status.__enter__()
        if self.status is not None:
            self.status.update(LABELS.get(name, name) + " …")

    def __exit__(self, *exc):
        if self.status is not None:
            self.status.__exit__(*exc)
        return False
