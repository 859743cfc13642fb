"""``briefpress new DIR``: a new brief with metadata, two chapter stubs, an empty
bibliography and a figures folder, which builds at once."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

from .errors import BriefError

PUBLICATION = """\
title: {title}
subtitle: A subtitle that says what the brief is about
series: Briefs
slug: {slug}
identifier: urn:uuid:{uuid}
language: en-GB
edition:
  date: {date}
authors:
  - name: Author Name
    bio: >-
      One or two sentences about the author.
lead: >-
  The summary of the brief in two or three sentences: it goes into the box on the title
  page and into the description of the EPUB.
citation_style: chicago-author-date
chapters:
  - 01-introduction.md
  - 02-findings.md
"""

CHAPTERS = {
    "01-introduction.md": "# Introduction {{#sec:introduction}}\n\nWhat this brief is about, and why it matters now.\n",
    "02-findings.md": "# Findings {{#sec:findings}}\n\nThe findings, with citations such as `[@key]` once "
                      "`bibliography.bib` has entries (see @sec:introduction).\n",
}


def scaffold(folder: Path, title: str) -> Path:
    if folder.exists() and any(folder.iterdir()):
        raise BriefError(f"'{folder}' exists and is not empty; choose a new folder")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "brief"
    date = dt.date.today().isoformat()  # a new brief's first edition date, to be edited
    (folder / "manuscript").mkdir(parents=True)
    (folder / "figures").mkdir()
    (folder / "manuscript" / "publication.yaml").write_text(
        PUBLICATION.format(title=title.replace(":", " -"), slug=slug, date=date,
                           uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"briefpress:{slug}:{date}")),
        encoding="utf-8")
    for name, text in CHAPTERS.items():
        (folder / "manuscript" / name).write_text(text.format(), encoding="utf-8")
    (folder / "bibliography.bib").write_text("% BibTeX or BibLaTeX entries of the brief's sources.\n",
                                              encoding="utf-8")
    return folder
