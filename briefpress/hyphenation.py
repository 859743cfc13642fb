"""The print edition's hyphenation patterns, parsed once and handed to the PDF worker.

WeasyPrint hyphenates with pyphen, whose first use in a process parses the language's
pattern file (about 0.15 s for en_GB) in the middle of the layout.  With a PDF worker,
the build process parses the patterns of the publication's language (or takes them from
the build cache) after it has sent the job, and sends them after it: the worker parses
the HTML and computes its styles meanwhile, and a thread of its own receives them.  They
go into pyphen's own cache, whose first lookup waits for them, and where WeasyPrint's
``pyphen.Pyphen(lang=...)`` finds them: the hyphenation is exactly the one WeasyPrint
would have made, the PDF the same bytes.
"""

from __future__ import annotations

from .cache import digest


def patterns(language: str, cache=None) -> dict:
    """``{pattern file: parsed patterns}`` for ``language``; empty when pyphen has no
    dictionary for it (or keeps its cache differently than this module expects)."""
    import pyphen

    name = pyphen.language_fallback(language)
    if name is None or not isinstance(getattr(pyphen, "hdcache", None), dict) or not hasattr(pyphen, "HyphDict"):
        return {}
    path = pyphen.LANGUAGES[name]
    try:
        key = digest(getattr(pyphen, "__version__", ""), str(path), path.read_bytes())
    except OSError:
        return {}
    found = cache.get("hyphenation", key) if cache is not None else None
    if found is None:
        found = pyphen.HyphDict(path)  # not in pyphen's cache: this process lays nothing out
        if cache is not None:
            cache.put("hyphenation", key, found)
    return {path: found}


def install_when_received(receive) -> None:
    """For the worker, whose patterns follow its job: ``receive()`` (which blocks until
    they come, and returns what :func:`patterns` made, or None) runs on a thread at once,
    so that the sender never waits; pyphen's first lookup waits for it."""
    import threading

    import pyphen

    box = {}

    def run() -> None:
        try:
            box["found"] = receive()
        except Exception:  # noqa: BLE001 - a frame that cannot be read: pyphen parses the file itself
            box["found"] = None

    thread = threading.Thread(target=run, name="hyphenation", daemon=True)
    thread.start()
    if isinstance(getattr(pyphen, "hdcache", None), dict):
        pyphen.hdcache = _Arriving(pyphen.hdcache, thread, box)


class _Arriving(dict):
    """pyphen's cache of parsed pattern files (``path in hdcache``, then
    ``hdcache[path]``), whose first lookup waits for the patterns being received."""

    def __init__(self, entries: dict, thread, box: dict):
        super().__init__(entries)
        self._thread, self._box = thread, box

    def __contains__(self, path) -> bool:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            for found_path, parsed in (self._box.get("found") or {}).items():
                self.setdefault(found_path, parsed)
        return super().__contains__(path)
