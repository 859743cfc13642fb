"""The print edition's hyphenation patterns, parsed once and handed to the PDF worker.

WeasyPrint hyphenates with pyphen, whose first use in a process parses the language's
pattern file (about 0.15 s for en_GB) in the middle of the layout.  With a PDF worker,
the build process, which would otherwise only wait for the worker to import WeasyPrint,
parses the patterns of the publication's language (or takes them from the build cache)
and sends them with the job.  The worker puts them in pyphen's own cache, where
WeasyPrint's ``pyphen.Pyphen(lang=...)`` finds them: the hyphenation is exactly the one
WeasyPrint would have made, the PDF the same bytes.
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


def install(found: dict) -> None:
    """Puts patterns made by :func:`patterns` (in another process) in pyphen's cache."""
    import pyphen

    if found and isinstance(getattr(pyphen, "hdcache", None), dict):
        for path, parsed in found.items():
            pyphen.hdcache.setdefault(path, parsed)
