"""The only door to files and URLs referenced by a manuscript: the resource sandbox.

Both writers load images and styles through :class:`Resources`.  Only files inside the
project folder (after resolving symlinks), the house templates and ``data:`` URLs are
served; everything else is refused with an error.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import BriefError

mimetypes.add_type("image/svg+xml", ".svg")


class Resources:
    def __init__(self, root: Path, extra_roots: tuple[Path, ...] = ()):
        self.root = root.resolve()
        self.roots = (self.root, *(r.resolve() for r in extra_roots))

    def path_for(self, reference: str, base: Path | None = None) -> Path:
        """The project file a relative reference (or ``file:`` URL) names, if it is allowed."""
        parts = urlsplit(reference)
        if parts.scheme and parts.scheme != "file":
            raise BriefError(f"refused to load '{reference}': only files inside the project are allowed")
        target = Path(unquote(parts.path))
        if not target.is_absolute():
            target = (base or self.root) / target
        resolved = target.resolve()
        if not any(resolved == r or r in resolved.parents for r in self.roots):
            raise BriefError(f"refused to load '{reference}': it is outside the project folder")
        if not resolved.is_file():
            raise BriefError(f"file not found: '{reference}'")
        return resolved

    def read(self, reference: str, base: Path | None = None) -> tuple[bytes, str]:
        path = self.path_for(reference, base)
        return path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream"

    def weasyprint_fetcher(self):
        """A WeasyPrint URL fetcher that serves only what :meth:`read` allows."""
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        resources = self

        class SandboxFetcher(URLFetcher):
            """Refusals are recorded, since WeasyPrint turns fetch errors into mere log lines."""

            def __init__(self):
                super().__init__()
                self.refused: list[str] = []

            def fetch(self, url, headers=None):
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                try:
                    data, mime = resources.read(url)
                except BriefError as exc:
                    self.refused.append(str(exc.diagnostics[0].message))
                    raise
                return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

        return SandboxFetcher()
