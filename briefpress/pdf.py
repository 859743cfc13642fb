"""The PDF writer: the model rendered through the print templates into one HTML document,
laid out by WeasyPrint."""

from __future__ import annotations

from markupsafe import Markup

from . import notes
from .errors import BriefError
from .model import Publication
from .render import context, render
from .resources import Resources


def html_document(publication: Publication, env) -> str:
    ctx = context(publication)
    ctx["bodies"] = {ch.id: Markup(notes.for_print(ch)) for ch in publication.chapters}
    return render(env, "pdf/brief.html.j2", **ctx)


def render_pdf(publication: Publication, env, resources: Resources) -> bytes:
    import logging

    import weasyprint

    # WeasyPrint reports problems through logging; ours come through the fetcher instead.
    # (Font subsetting is fast only with HarfBuzz-Subset: Debian's libharfbuzz-subset0.)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = resources.weasyprint_fetcher()
    document = weasyprint.HTML(
        string=html_document(publication, env),
        base_url=publication.root.as_uri() + "/",
        url_fetcher=fetcher,
    )
    pdf = document.write_pdf(
        pdf_variant="pdf/ua-1",
        pdf_identifier=publication.metadata.identifier.encode("utf-8"),
    )
    if fetcher.refused:
        raise BriefError("; ".join(sorted(set(fetcher.refused))))
    return pdf
