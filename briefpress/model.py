"""The document model: what the readers build, the transforms complete and the writers print.

Writers never look at Markdown or BibTeX; everything they need is here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Author:
    name: str
    bio: str = ""


@dataclass
class Revision:
    date: dt.date
    summary: str


@dataclass
class Edition:
    """The edition being published: its date is the "Updated on" date."""

    date: dt.date
    label: str = ""  # "Second edition", "2.1", …
    first_published: dt.date | None = None
    revisions: list[Revision] = field(default_factory=list)
    whats_new: bool = False  # add a "What's new in this edition" note from the manifest diff


@dataclass
class Metadata:
    """``publication.yaml``, validated."""

    title: str
    language: str
    edition: Edition
    authors: list[Author]
    slug: str
    identifier: str
    chapters: list[str]
    subtitle: str = ""
    series: str = ""
    lead: str = ""
    publisher: str = ""
    rights: str = ""
    editors_note: str = ""
    citation_style: str = "chicago-author-date"
    nocite: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    cjk_language: str = "zh-Hans"
    page_size: str = "A4"
    numbering: str = "publication"  # figures and tables: "publication" (1, 2) or "chapter" (2.1)
    lists: list[str] = field(default_factory=list)  # "figures", "tables": lists in the front matter
    crossref_words: dict = field(default_factory=dict)  # overrides of crossrefs.WORDS
    cover_image: str = ""
    cover_credit: str = ""
    pdf_variant: str = "pdf/ua-1"
    attach_bibliography: bool = False
    allow_remote: bool = False  # remote images and styles (public addresses only)
    source: Path | None = None


@dataclass
class CiteItem:
    """One work inside a citation, in Pandoc's terms."""

    key: str
    prefix: str = ""
    suffix: str = ""
    locator: str = ""
    label: str = "page"
    suppress_author: bool = False


@dataclass
class Citation:
    """A citation as written in a chapter; ``html`` is filled in by the citation transform."""

    number: int  # document order, from 1
    items: list[CiteItem]
    narrative: bool
    path: Path
    line: int | None
    slot: int = 0  # its placeholder in the chapter's HTML
    html: str = ""
    note: int = 0  # the number of the footnote it stands in; 0 in running text
    author_only: bool = False  # a narrative citation whose rest went into a note (note styles)
    own_note: bool = False  # a note style's citation that is a footnote of its own

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]


@dataclass
class Reference:
    """A bibliography entry: CSL data from the .bib file, and its formatted entry."""

    key: str
    csl: dict
    path: Path
    line: int
    html: str = ""


@dataclass
class Figure:
    label: str  # e.g. "fig:trade"; empty for an unnumbered figure
    src: str  # as written: an image file or a chart spec (``*.chart.yaml``)
    caption_html: str
    alt: str
    source_html: str
    path: Path
    line: int | None
    number: int = 0
    chapter_id: str = ""
    slot: int = 0  # its placeholders in the chapter's HTML
    credit: str = ""
    licence: str = ""
    style: str = ""  # width/height as written, e.g. "width: 80%"
    display: str = ""  # its number as printed: "3", or "2.1" when numbered per chapter
    image_src: str = ""  # what the writers load: the file, or the drawn chart


@dataclass
class Table:
    """A captioned table (pipe table or CSV); only labelled tables are numbered."""

    label: str  # e.g. "tbl:invest"
    caption_html: str
    source_html: str
    path: Path
    line: int | None
    csv: str = ""  # the CSV file it was read from, if any
    number: int = 0
    chapter_id: str = ""
    slot: int = 0
    display: str = ""


@dataclass
class Heading:
    level: int
    id: str
    text: str
    html: str


@dataclass
class Note:
    """A footnote; ``id`` is unique in the publication, ``number`` counts per publication."""

    id: str
    key: str
    html: str
    number: int = 0


@dataclass
class Chapter:
    path: Path
    id: str
    title: str
    title_html: str
    html: str  # body after the first heading; placeholders until the transforms run
    headings: list[Heading] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    crossrefs: list = field(default_factory=list)  # (slot, [CiteItem], line) for @fig:/@tbl:/@sec: references
    source: str = ""
    toc_html: str = ""  # the title as the contents list it: without its citations, if it has any


@dataclass
class Publication:
    root: Path
    metadata: Metadata
    chapters: list[Chapter]
    references: dict[str, Reference]
    bibliography_path: Path | None
    cited: list[Reference] = field(default_factory=list)  # reference list, in style order
    refs_heading: str = "References"
    changes: object = None  # editions.Changes shown as "What's new", when the edition asks for it
