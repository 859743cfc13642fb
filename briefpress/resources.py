"""The only door to files and URLs referenced by a manuscript: the resource sandbox.

Both writers load images and styles through :class:`Resources` (WeasyPrint through
:meth:`Resources.weasyprint_fetcher`, the EPUB packer through :meth:`Resources.read`).
Served are files inside the project folder (after resolving symlinks), the house
templates, the build cache and ``data:`` URLs.  Remote ``http(s)`` URLs are refused
unless ``publication.yaml`` says ``allow_remote: true``, and even then never when the
host resolves to a loopback, link-local, private or otherwise reserved address.
Everything else is refused with an error that, where the reference can be found, names
the chapter file and line that made it.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import BriefError, Diagnostic

# Media types by extension, fixed rather than read from the system's mime.types: the same
# on every machine (and its parsing cost a build 10 ms).
MEDIA_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp", ".css": "text/css", ".csv": "text/csv",
               ".yaml": "application/yaml", ".yml": "application/yaml", ".json": "application/json",
               ".txt": "text/plain", ".html": "text/html", ".xhtml": "application/xhtml+xml",
               ".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}

REMOTE_TIMEOUT = 10  # seconds per remote resource
REMOTE_MAX_BYTES = 20 * 1024 * 1024  # a remote image or style larger than this is refused


class Resources:
    def __init__(self, root: Path, extra_roots: tuple[Path, ...] = (), allow_remote: bool = False):
        self.root = root.resolve()
        self.roots = (self.root, *(r.resolve() for r in extra_roots))
        self.allow_remote = allow_remote

    def settings(self) -> dict:
        """What makes this sandbox, as plain data (for the PDF worker)."""
        return {"roots": [str(r) for r in self.roots], "allow_remote": self.allow_remote}

    @classmethod
    def from_settings(cls, settings: dict) -> Resources:
        root, *extra = (Path(r) for r in settings["roots"])
        return cls(root, tuple(extra), settings["allow_remote"])

    def path_for(self, reference: str, base: Path | None = None) -> Path:
        """The project file a relative reference (or ``file:`` URL) names, if it is allowed."""
        parts = urlsplit(reference)
        if parts.scheme and parts.scheme.lower() != "file":
            raise BriefError(f"refused to load '{reference}': only files inside the project are allowed")
        if parts.scheme and parts.netloc not in ("", "localhost"):
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
        """The bytes and media type of ``reference``, if the sandbox allows it."""
        scheme = urlsplit(reference).scheme.lower()
        if scheme in ("http", "https"):
            return self._remote(reference)
        path = self.path_for(reference, base)
        return path.read_bytes(), MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")

    def _remote(self, url: str) -> tuple[bytes, str]:
        if not self.allow_remote:
            raise BriefError(f"refused to load '{url}': remote resources are not allowed",
                             hint="save the file in the project folder, or set 'allow_remote: true' "
                                  "in publication.yaml")
        check_public_host(url)
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            # A redirect could lead to an address check_public_host would refuse.
            def redirect_request(self, req, fp, code, msg, headers, newurl):
                raise BriefError(f"refused to load '{url}': it redirects to '{newurl}'",
                                 hint="refer to the final address directly")

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(urllib.request.Request(url, headers={"User-Agent": "briefpress"}),
                             timeout=REMOTE_TIMEOUT) as response:
                data = response.read(REMOTE_MAX_BYTES + 1)
                mime = response.headers.get_content_type()
        except BriefError:
            raise
        except (OSError, ValueError) as exc:
            raise BriefError(f"cannot load '{url}': {exc}") from None
        if len(data) > REMOTE_MAX_BYTES:
            raise BriefError(f"refused to load '{url}': larger than {REMOTE_MAX_BYTES // 2**20} MB")
        return data, mime

    def judge(self, reference: str) -> None:
        """Raise the error :meth:`read` would raise for ``reference``, without loading it."""
        if urlsplit(reference).scheme.lower() in ("http", "https"):
            if not self.allow_remote:
                self._remote(reference)  # raises: remote resources are not allowed
            check_public_host(reference)
        else:
            self.path_for(reference)

    def weasyprint_fetcher(self):
        """A WeasyPrint URL fetcher that serves only what :meth:`read` allows."""
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        resources = self

        class SandboxFetcher(URLFetcher):
            """Refusals are recorded, since WeasyPrint turns fetch errors into mere log lines."""

            def __init__(self):
                super().__init__(allow_redirects=False)
                self.refused: list[str] = []
                self.refused_urls: list[str] = []
                self.hints: dict[str, str | None] = {}

            def fetch(self, url, headers=None):
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                try:
                    data, mime = resources.read(url)
                except BriefError as exc:
                    self.refused.append(str(exc.diagnostics[0].message))
                    self.refused_urls.append(url)
                    self.hints[url] = exc.diagnostics[0].hint
                    raise
                return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

            def refusals(self) -> dict[str, tuple[str, str | None]]:
                """Each refused URL with the message and hint of its refusal."""
                return {url: (message, self.hints.get(url)) for url, message in zip(self.refused_urls, self.refused)}

        return SandboxFetcher()

    def refusal_error(self, refused: dict[str, tuple[str, str | None]], publication=None) -> BriefError:
        """One error per refused resource, at the chapter line that names it."""
        diagnostics = []
        for url, (message, hint) in refused.items():
            path, line = self.locate(url, publication)
            diagnostics.append(Diagnostic("error", message, path, line, hint=hint))
        return BriefError(sorted(set(diagnostics), key=lambda d: (d.path or "", d.line or 0, d.message)))

    def locate(self, url: str, publication=None) -> tuple[str | None, int | None]:
        """The chapter (or project template) and line that refer to ``url``, searched in the sources.

        WeasyPrint hands the fetcher absolute URLs; the source holds what the author wrote,
        so the URL is searched for as written, as a path relative to the project, and by
        its file name."""
        import os

        parts = urlsplit(url)
        candidates = [url, unquote(url)]
        if parts.scheme == "file":
            path = unquote(parts.path)
            candidates += [os.path.relpath(path, self.root), path]
        name = unquote(parts.path).rstrip("/").rsplit("/", 1)[-1]
        if name:
            candidates.append(name)
        sources: list[tuple[Path, str]] = []
        if publication is not None:
            sources += [(ch.path, ch.source) for ch in publication.chapters]
        templates = self.root / "templates"
        if templates.is_dir():
            for file in sorted(templates.rglob("*")):
                if file.is_file():
                    sources.append((file, file.read_text(encoding="utf-8", errors="replace")))
        for candidate in candidates:
            for path, text in sources:
                at = text.find(candidate)
                if at >= 0:
                    try:
                        shown = Path(path).resolve().relative_to(self.root).as_posix()
                    except ValueError:
                        shown = str(path)
                    return shown, text.count("\n", 0, at) + 1
        return None, None


def strip_attachments(document) -> None:
    """Drop the files a laid-out WeasyPrint document would attach because its HTML asks
    (``<link rel=attachment>``, ``<a rel=attachment>``): attachments come only from the
    metadata (``pdf: {attach_bibliography: true}``)."""
    document.metadata.attachments = []
    for page in document.pages:
        page.links[:] = [link for link in page.links if link[0] != "attachment"]


def check_public_host(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, a non-public address (SSRF guard)."""
    import ipaddress
    import socket

    host = urlsplit(url).hostname
    if not host:
        raise BriefError(f"refused to load '{url}': no host")
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError) as exc:
        raise BriefError(f"cannot load '{url}': the host '{host}' is not found ({exc})") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise BriefError(f"refused to load '{url}': '{host}' is a local or private address ({address})")


def check_images(publication, report) -> None:
    """Every ``<img>`` a chapter's HTML names (inline Markdown images, raw HTML) passes the
    sandbox before any writer runs, so a refusal names the chapter line in both formats.
    Figures are checked (or drawn) by figures.prepare."""
    import html

    resources = Resources(publication.root, allow_remote=publication.metadata.allow_remote)
    for chapter in publication.chapters:
        figures = {fig.image_src for fig in chapter.figures if getattr(fig, "image_src", None)}
        figures |= {fig.src for fig in chapter.figures}
        for src in re.findall(r'<img\b[^>]*?\ssrc="([^"]*)"', chapter.html):
            src = html.unescape(src)
            if src in figures or src.startswith("data:"):
                continue
            try:
                resources.judge(src)
            except BriefError as exc:
                d = exc.diagnostics[0]
                at = chapter.source.find(src)
                report.error(d.message, chapter.path, chapter.source.count("\n", 0, at) + 1 if at >= 0 else None,
                             hint=d.hint)


# What a style sheet loads: @import "x", @import url(x), url(x) (in src:, background:, …).
CSS_REFERENCE = re.compile(r"""(?:@import\s+(?:url\(\s*)?|url\(\s*)['"]?([^'")\s;]+)""", re.IGNORECASE)


def check_templates(root: Path, allow_remote: bool, report) -> None:
    """A project's own templates and styles may load only what the sandbox serves.

    The PDF's fetcher refuses anything else anyway; this check gives the template's line
    before any writer runs, and it covers the EPUB, whose style sheet an e-reader would
    otherwise load from wherever it points."""
    templates = root / "templates"
    if not templates.is_dir():
        return
    resources = Resources(root, allow_remote=allow_remote)
    for file in sorted(templates.rglob("*")):
        if not file.is_file() or file.suffix not in (".css", ".j2", ".html", ".xhtml"):
            continue
        text = file.read_text(encoding="utf-8", errors="replace")
        for m in CSS_REFERENCE.finditer(text):
            reference = m.group(1)
            if reference.startswith(("data:", "#", "{")):
                continue  # a data: URL, a fragment, or a template expression
            try:
                resources.judge(reference)
            except BriefError as exc:
                d = exc.diagnostics[0]
                report.error(d.message, file, text.count("\n", 0, m.start()) + 1, hint=d.hint)
