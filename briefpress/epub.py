"""The EPUB writer: one XHTML file per part of the publication, packed by ebooklib.

As in Pandoc's EPUB writer, the documents are rendered first, then every ``#id`` link is
rewritten to ``file.xhtml#id`` through a map of which file holds which id.  The package
is then re-zipped with fixed timestamps, so the same sources give the same bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
import zipfile
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from . import images as figure_images
from . import notes
from .errors import BriefError
from .model import Publication
from .render import context, render
from .resources import Resources

ID = re.compile(r'\sid="([^"]+)"')
HREF = re.compile(r'href="#([^"]+)"')
SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]+)(")')
STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")  # compressed already: zipped as they are


@dataclass
class Document:
    name: str  # file name inside text/
    title: str
    xhtml: str
    kind: str = ""  # epub:type of the landmark, if any
    sections: list = field(default_factory=list)  # (id, title) of its sub-sections, for the nav


def documents(publication: Publication, env, cover_alt: str | None = None,
              cover_file: str = "cover.png") -> list[Document]:
    """The content documents in reading order; ``cover_alt`` set means a cover image
    (``images/<cover_file>``) exists."""
    ctx = context(publication)
    meta = publication.metadata
    docs = [
        Document("cover.xhtml", "Cover", render(env, "epub/cover.xhtml.j2", cover_alt=cover_alt,
                                                    cover_file=cover_file, **ctx), "cover"),
        Document("title.xhtml", meta.title, render(env, "epub/titlepage.xhtml.j2", **ctx), "titlepage"),
    ]
    for found in ctx["figure_lists"]:  # list of figures, list of tables: front matter, in the nav
        docs.append(Document(f"{found['name']}.xhtml", found["title"],
                             render(env, "epub/lists.xhtml.j2", list=found, **ctx), found["epub_type"]))
    for index, chapter in enumerate(publication.chapters, start=1):
        body, chapter_notes = notes.for_epub(chapter)
        docs.append(Document(
            f"chapter-{index:02d}.xhtml", chapter.title,
            render(env, "epub/chapter.xhtml.j2", chapter=chapter, body=Markup(body),
                   notes=[{**n, "html": Markup(n["html"])} for n in chapter_notes], **ctx),
            "bodymatter" if index == 1 else "",
            [(h.id, h.text) for h in chapter.headings if h.level == 2],
        ))
    if publication.cited:
        docs.append(Document("references.xhtml", publication.refs_heading,
                             render(env, "epub/references.xhtml.j2", **ctx), "bibliography"))
    if any(a.bio for a in meta.authors):
        docs.append(Document("about.xhtml", "About the author", render(env, "epub/about.xhtml.j2", **ctx)))
    docs.append(Document("colophon.xhtml", "Colophon", render(env, "epub/colophon.xhtml.j2", **ctx), "colophon"))
    return docs


def link_across_files(docs: list[Document]) -> None:
    """Rewrite ``#id`` links to the file that holds the id (chapter splitting)."""
    where: dict[str, str] = {}
    for doc in docs:
        for ident in ID.findall(doc.xhtml):
            where.setdefault(ident, doc.name)
    for doc in docs:
        def sub(m, doc=doc):
            target = where.get(m.group(1))
            if target is None:
                raise BriefError(f"internal link to '#{m.group(1)}' has no target in the EPUB")
            return f'href="#{m.group(1)}"' if target == doc.name else f'href="{target}#{m.group(1)}"'

        doc.xhtml = HREF.sub(sub, doc.xhtml)


def render_epub(publication: Publication, env, resources: Resources, page_map: list | None = None,
                cache=None, cover: Future | None = None) -> bytes:
    """The EPUB's bytes.  ``page_map`` is where the PDF's pages start (from the PDF writer);
    without it, the map of the last PDF build of the same content is taken from the cache.
    ``cover``: the cover being drawn (``cover.draw_cover``), if the build started it already."""
    from . import pagemap
    from .cover import cover_file_name, draw_cover

    meta = publication.metadata
    if cover is None:
        cover = draw_cover(meta, publication.root, resources, cache)
    if page_map is None and cache is not None and cache.holds("page-maps"):
        # The page map of an earlier PDF of the same print HTML (an EPUB-only rebuild).
        from .pdf import html_document

        page_map = pagemap.recall(cache, html_document(publication, env))
    cover_file = cover_file_name(meta)
    docs = documents(publication, env, cover_alt=cover_alt(publication), cover_file=cover_file)
    page_list = pagemap.insert(docs, page_map) if page_map else []
    link_across_files(docs)
    return _package(publication, env, resources, cache, docs, page_list, cover, cover_file)


def _package(publication: Publication, env, resources: Resources, cache, docs: list[Document],
             page_list: list, cover: Future, cover_file: str) -> bytes:
    """The documents, the cover (still being drawn), the fonts and the metadata, zipped."""
    from ebooklib import epub

    from . import accessibility, fonts
    from .editions import stem

    meta = publication.metadata

    book = epub.EpubBook()
    book.set_identifier(identifier(meta))
    book.title = meta.title
    book.add_metadata("DC", "title", meta.title, {"id": "title"})
    book.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
    if meta.subtitle:
        book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    book.set_language(meta.language)
    for i, author in enumerate(meta.authors):
        uid = f"author-{i + 1}"
        book.add_metadata("DC", "creator", author.name, {"id": uid})
        book.add_metadata(None, "meta", "aut", {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"})
        book.add_metadata(None, "meta", _file_as(author.name), {"refines": f"#{uid}", "property": "file-as"})
    if meta.publisher:
        book.add_metadata("DC", "publisher", meta.publisher)
    if meta.rights:
        book.add_metadata("DC", "rights", meta.rights)
    book.add_metadata("DC", "date", meta.edition.date.isoformat())
    if meta.lead:
        book.add_metadata("DC", "description", meta.lead)
    for keyword in meta.keywords:
        book.add_metadata("DC", "subject", keyword)
    if page_list:
        # The page numbers are those of the PDF edition built from the same sources.
        book.add_metadata("DC", "source", stem(meta.slug, meta.edition.date) + ".pdf", {"id": "print-source"})
        book.add_metadata(None, "meta", "pagination", {"refines": "#print-source", "property": "source-of"})

    images: dict[str, str] = {}
    for doc in docs:
        if doc.kind != "cover":
            doc.xhtml = SRC.sub(lambda m: m.group(1) + _image(book, resources, m.group(2), images) + m.group(3),
                                doc.xhtml)

    image = epub.EpubItem(uid="cover-image", file_name="images/" + cover_file,
                          media_type="image/jpeg" if cover_file.endswith(".jpg") else "image/png")
    image.properties = ["cover-image"]
    book.add_item(image)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 readers

    toc = [{"href": d.name, "title": d.title,
            "children": [{"href": f"{d.name}#{i}", "title": t} for i, t in d.sections]}
           for d in docs if d.kind != "cover"]
    nav_xhtml = render(env, "epub/nav.xhtml.j2", docs=docs, toc=toc, page_list=page_list, **context(publication))

    parsed = [(d.name, _parse(d.xhtml)) for d in docs] + [("nav.xhtml", _parse(nav_xhtml))]
    findings = accessibility.examine(parsed, meta.language, bool(page_list))
    for prop, value in accessibility.metadata(findings):
        book.add_metadata(None, "meta", value, {"property": prop})

    text = "".join("".join(root.itertext()) for _name, root in parsed)
    embedded = fonts.embed(text, cache)
    for n, font in enumerate(embedded):
        book.add_item(epub.EpubItem(uid=f"font-{n}", file_name=f"fonts/{font.file_name}",
                                    media_type=font.media_type, content=font.data))
    css = fonts.css(embedded) + render(env, "epub/epub.css")
    book.add_item(epub.EpubItem(uid="css", file_name="styles/epub.css", media_type="text/css",
                                content=css.encode("utf-8")))
    items = []
    for n, doc in enumerate(docs):
        item = epub.EpubItem(uid=f"doc-{n:02d}", file_name=f"text/{doc.name}",
                             media_type="application/xhtml+xml", content=doc.xhtml.encode("utf-8"))
        book.add_item(item)
        items.append(item)

    nav = epub.EpubItem(uid="nav", file_name="text/nav.xhtml", media_type="application/xhtml+xml",
                        content=nav_xhtml.encode("utf-8"))
    nav.properties = ["nav"]
    book.add_item(nav)
    book.toc = [epub.Link(f"text/{d.name}", d.title, f"toc-{i}") for i, d in enumerate(docs) if d.kind != "cover"]
    book.add_item(epub.EpubNcx())
    book.spine = [items[0], nav, *items[1:]]

    image.content = cover.result()  # the drawing, waited for as late as possible
    modified = dt.datetime.combine(meta.edition.date, dt.time(0, 0))
    raw = io.BytesIO()
    # Stored without compression: the package is compressed once, when it is re-zipped below.
    epub.write_epub(raw, book, {"mtime": modified, "raise_exceptions": True, "compresslevel": 0})
    # ebooklib has no way to set the package's language, which reading systems and Ace need.
    package_lang = f' xml:lang="{meta.language}"'.encode()
    return _reproducible_zip(raw.getvalue(), modified, {
        "EPUB/content.opf": lambda data: data.replace(b'<package xmlns=', b"<package" + package_lang + b" xmlns=", 1),
    })


def identifier(meta) -> str:
    """The edition's identifier: an ISBN or DOI as a URN, anything else as given."""
    value = meta.identifier.strip()
    isbn = re.fullmatch(r"(?:urn:isbn:|isbn:?\s*)?([\d\s-]{9,16}[\dXx])", value, flags=re.IGNORECASE)
    if isbn and len(digits := re.sub(r"[\s-]", "", isbn.group(1))) in (10, 13):
        return f"urn:isbn:{digits.upper()}"
    doi = re.sub(r"^(urn:doi:|doi:|https?://(dx\.)?doi\.org/)", "", value, flags=re.IGNORECASE)
    if re.fullmatch(r"10\.\d{4,9}/\S+", doi):
        return f"urn:doi:{doi}"
    return value


def cover_alt(publication: Publication) -> str:
    meta = publication.metadata
    parts = [f"Cover of {meta.series}: " if meta.series else "Cover: ", meta.title]
    if meta.subtitle:
        parts.append(f". {meta.subtitle}")
    parts.append(f". By {', '.join(a.name for a in meta.authors)}.")
    d = meta.edition.date
    parts.append(f" Updated on {d.day} {d.strftime('%B')} {d.year}.")
    if meta.publisher:
        parts.append(f" {meta.publisher}.")
    return "".join(parts)


def _file_as(name: str) -> str:
    first, _, last = name.rpartition(" ")
    return f"{last}, {first}" if first else name


def _parse(xhtml: str):
    from lxml import etree

    return etree.fromstring(xhtml.encode("utf-8"))


def _image(book, resources: Resources, src: str, images: dict[str, str]) -> str:
    from ebooklib import epub

    if src.startswith("data:") and not re.match(r"data:image/(svg\+xml|png|jpeg);base64,", src):
        return src
    if src not in images:
        if src.startswith("data:"):  # a chart drawn without a cache folder
            mime = src[5:src.index(";")]
            data = base64.b64decode(src.split(",", 1)[1])
            src_name = f"figure-{len(images) + 1}.{mime.split('/')[1].split('+')[0]}"
        else:
            data, mime = resources.read(src)
            src_name = Path(src).name
        data = figure_images.for_epub(data, mime)  # e-readers need no more than ~1600 px
        name = f"images/{src_name}"
        if name in images.values():
            name = f"images/{len(images)}-{src_name}"
        book.add_item(epub.EpubItem(uid=f"img-{len(images)}", file_name=name, media_type=mime, content=data))
        images[src] = name
    return "../" + images[src]


def _reproducible_zip(data: bytes, when: dt.datetime, edits: dict | None = None) -> bytes:
    """Re-pack ebooklib's zip: mimetype first and stored, fixed timestamps and order.

    Entries are dated with the edition, or with ``SOURCE_DATE_EPOCH`` when it is set (the
    reproducible-builds convention)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        when = dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second // 2 * 2)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        ordered = ["mimetype"] + [n for n in names if n != "mimetype"]
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=stamp)
            # Stored: the mimetype (as OCF requires) and images, which are compressed already.
            stored = name == "mimetype" or name.lower().endswith(STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            content = src.read(name)
            if edits and name in edits:
                content = edits[name](content)
            # zlib's default level: level 9 took 40% longer for 0.2% less.
            dst.writestr(info, content, compresslevel=None if stored else 6)
    return out.getvalue()
