"""The PDF writer: the model rendered through the print templates into one HTML document,
laid out by WeasyPrint."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .pdfworker import WorkerFailed
from .resources import Resources, strip_attachments

if TYPE_CHECKING:
    from .model import Publication


def html_document(publication: Publication, env) -> str:
    # Imported here: the PDF worker, which only lays out, never loads Jinja2.
    from markupsafe import Markup

    from . import notes
    from .render import context, render

    ctx = context(publication)
    ctx["bodies"] = {ch.id: Markup(notes.for_print(ch)) for ch in publication.chapters}
    return render(env, "pdf/brief.html.j2", **ctx)


def job(publication: Publication, env, resources: Resources, want_map: bool) -> dict:
    """Everything the layout needs, as plain data: it may travel to the PDF worker."""
    meta = publication.metadata
    attachments = []
    if meta.attach_bibliography and publication.bibliography_path is not None:
        # PDF/A-3 allows the source data to travel with the brief; only on request.
        data, _mime = resources.read(str(publication.bibliography_path))
        attachments.append({"data": data, "name": publication.bibliography_path.name,
                            "date": meta.edition.date})
    return {
        "html": html_document(publication, env),
        "base_url": publication.root.as_uri() + "/",
        "sandbox": resources.settings(),
        "variant": meta.pdf_variant,
        "identifier": meta.identifier,
        "attachments": attachments,
        "want_map": want_map,
    }


def lay_out(job: dict, on_page_map, answer) -> None:
    """Lays out ``job`` with WeasyPrint: calls ``on_page_map(map)`` as soon as the pages are
    known (when the job wants the map), then ``answer(("pdf", bytes, pages, refused))``,
    ``refused`` being what the sandbox refused to load (url → (message, hint))."""
    import logging

    from .weasyload import import_weasyprint

    weasyprint = import_weasyprint()

    # WeasyPrint reports problems through logging; ours come through the fetcher instead.
    # (Font subsetting is fast only with HarfBuzz-Subset: Debian's libharfbuzz-subset0.)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = Resources.from_settings(job["sandbox"]).weasyprint_fetcher()
    # Parsed into WeasyPrint's tree, the HTML string is no longer needed (memory: a long book).
    document = weasyprint.HTML(string=job.pop("html"), base_url=job["base_url"], url_fetcher=fetcher)
    attachments = []
    for spec in job["attachments"]:
        stamp = dt.datetime.combine(spec["date"], dt.time(0, 0), tzinfo=dt.UTC)
        attachments.append(weasyprint.Attachment(
            string=spec["data"], name=spec["name"], description="Bibliography (BibTeX)",
            created=stamp, modified=stamp, relationship="Source", url_fetcher=fetcher,
        ))
    options = {
        "pdf_variant": job["variant"],
        "pdf_tags": True,  # tagged under every variant: screen readers need the structure
        "pdf_identifier": job["identifier"].encode("utf-8"),
        "attachments": attachments,
    }
    # The fonts of a template's @font-face rules are copied into a temporary folder that only
    # the font configuration's finalizer removes, which a process that ends with os._exit
    # (the PDF worker, the command) never runs: the folder goes once the PDF is written.
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    try:
        laid_out = document.render(font_config=font_config, **options)
        if job["want_map"]:
            from . import pagemap

            on_page_map(pagemap.locate(laid_out))
        strip_attachments(laid_out)  # attachments only from the metadata, never from the HTML
        pdf = laid_out.write_pdf(**options)
    finally:
        folder = getattr(font_config, "_folder", None)
        if folder:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    answer(("pdf", pdf, len(laid_out.pages), fetcher.refusals()))


class PdfRender:
    """A PDF being laid out, here or in the worker: the page map first, then the PDF."""

    def __init__(self, publication: Publication, env, resources: Resources, cache=None, worker=None):
        from . import pagemap

        self.publication, self.env, self.resources, self.cache, self.worker = publication, env, resources, cache, worker
        self.job = job(publication, env, resources, want_map=True)
        self._map_key = pagemap.key(self.job["html"])
        self._map = None
        self._answer = None
        if worker is not None:
            from . import hyphenation

            # The patterns follow the job: parsed here while the worker parses the HTML
            # and computes its styles, instead of there in the middle of the layout.
            self.job["patterns_follow"] = True
            try:
                worker.send(self.job)
                # Memory: the worker has it all; a layout here (the fallback) makes the job again.
                self.job = None
                worker.send(hyphenation.patterns(publication.metadata.language, cache))
            except WorkerFailed:
                self.worker = None
        if self.worker is None:
            self._lay_out_here()

    def _lay_out_here(self) -> None:
        if self.job is None or "html" not in self.job or self.job.get("patterns_follow"):
            self.job = job(self.publication, self.env, self.resources, want_map=True)
        lay_out(self.job, self._keep_map, self._keep_answer)

    def _keep_map(self, found) -> None:
        self._map = found

    def _keep_answer(self, answer) -> None:
        self._answer = answer

    def page_map(self) -> list:
        """Where each page starts (blocks until the layout is done); kept in the build cache
        for a later EPUB-only build."""
        if self._map is None and self.worker is not None:
            try:
                _kind, self._map = self.worker.receive()
            except WorkerFailed:  # the worker died (killed, out of memory): lay out here instead
                self.worker = None
                self._lay_out_here()
        if self.cache is not None:
            self.cache.put("page-maps", self._map_key, self._map)
        return self._map

    def result(self) -> tuple[bytes, int]:
        """The PDF's bytes and its page count."""
        if self._map is None:
            self.page_map()
        if self._answer is None and self.worker is not None:
            try:
                self._answer = self.worker.receive()
            except WorkerFailed:  # the worker died while writing: lay out here instead
                self.worker = None
        if self._answer is None:
            self._lay_out_here()
        _kind, pdf, pages, refused = self._answer
        if refused:
            raise self.resources.refusal_error(refused, self.publication)
        return pdf, pages
