"""The PDF writer: the model rendered through the print templates into one HTML document,
laid out by WeasyPrint."""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup

from . import notes
from .model import Publication
from .render import context, render
from .resources import Resources, strip_attachments


def html_document(publication: Publication, env) -> str:
    ctx = context(publication)
    ctx["bodies"] = {ch.id: Markup(notes.for_print(ch)) for ch in publication.chapters}
    return render(env, "pdf/brief.html.j2", **ctx)


def render_pdf(publication: Publication, env, resources: Resources, page_map: list | None = None,
               cache=None) -> tuple[bytes, int]:
    """The PDF's bytes and its page count.

    ``page_map``, when given, receives where each page starts (for the EPUB's page-list);
    the map is also kept in the build cache for a later EPUB-only build."""
    import logging

    import weasyprint

    # WeasyPrint reports problems through logging; ours come through the fetcher instead.
    # (Font subsetting is fast only with HarfBuzz-Subset: Debian's libharfbuzz-subset0.)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = resources.weasyprint_fetcher()
    html = html_document(publication, env)
    document = weasyprint.HTML(
        string=html,
        base_url=publication.root.as_uri() + "/",
        url_fetcher=fetcher,
    )
    meta = publication.metadata
    attachments = []
    if meta.attach_bibliography and publication.bibliography_path is not None:
        # PDF/A-3 allows the source data to travel with the brief; only on request.
        stamp = dt.datetime.combine(meta.edition.date, dt.time(0, 0), tzinfo=dt.UTC)
        data, _mime = resources.read(str(publication.bibliography_path))
        attachments.append(weasyprint.Attachment(
            string=data, name=publication.bibliography_path.name, description="Bibliography (BibTeX)",
            created=stamp, modified=stamp, relationship="Source", url_fetcher=fetcher,
        ))
    options = {
        "pdf_variant": meta.pdf_variant,
        "pdf_tags": True,  # tagged under every variant: screen readers need the structure
        "pdf_identifier": meta.identifier.encode("utf-8"),
        "attachments": attachments,
    }
    laid_out = document.render(**options)
    if page_map is not None or cache is not None:
        from . import pagemap

        found = pagemap.locate(laid_out)
        pagemap.remember(cache, html, found)
        if page_map is not None:
            page_map[:] = found
    strip_attachments(laid_out)  # attachments only from the metadata, never from the HTML
    pdf = laid_out.write_pdf(**options)
    if fetcher.refused:
        raise fetcher.error(publication)
    return pdf, len(laid_out.pages)
