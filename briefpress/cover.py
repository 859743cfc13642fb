"""The EPUB's cover image: the PDF's typographic cover, rasterised.

Only the cover section of the print HTML is laid out (one page, a fraction of a second),
written as a one-page PDF and rendered to PNG with pdfium (the ``pypdfium2`` wheel; no
network, no external tool).  The result is cached by the cover's HTML, since the cover
changes far less often than the text.
"""

from __future__ import annotations

import io
import re

from .cache import digest

HEIGHT = 1800  # pixels; stores and reading systems ask for at least 1600
_MEMO: dict[str, bytes] = {}  # covers drawn in this process (the watcher, the tests)
COVER = re.compile(r'<section class="cover[ "].*?</section>', re.DOTALL)


def cover_html(print_html: str) -> str | None:
    """The print HTML with the cover section only (``None`` if a template has no cover)."""
    found = COVER.search(print_html)
    body = print_html.find("<body")
    if found is None or body < 0:
        return None
    head = print_html[:print_html.index(">", body) + 1]
    return head + "\n" + found.group(0) + "\n</body>\n</html>\n"


def render_cover(print_html: str, base_url: str, make_fetcher, cache=None) -> bytes | None:
    """PNG bytes of the cover page, :data:`HEIGHT` pixels high.

    ``make_fetcher`` is called only on a cache miss: creating a WeasyPrint fetcher
    imports WeasyPrint, which costs about a second that a cached cover should not pay."""
    html = cover_html(print_html)
    if html is None:
        return None
    key = digest("cover", html, HEIGHT)
    if key in _MEMO:
        return _MEMO[key]
    if cache is not None and (hit := cache.get("covers", key)) is not None:
        return hit
    import logging

    import pypdfium2
    import weasyprint
    from PIL import Image

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    laid_out = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=make_fetcher()).render()
    one_page = laid_out.copy(laid_out.pages[:1]).write_pdf()
    pdf = pypdfium2.PdfDocument(one_page)
    try:
        page = pdf[0]
        scale = HEIGHT / page.get_height()
        image = page.render(scale=scale).to_pil().convert("RGB")
    finally:
        pdf.close()
    # The print cover may sit inside a white page edge (the body's margin): trim it.
    from PIL import ImageChops

    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box and box != (0, 0, *image.size):
        image = image.crop(box)
    if image.height != HEIGHT:  # rounding and trimming: exactly the promised height
        image = image.resize((round(image.width * HEIGHT / image.height), HEIGHT), Image.LANCZOS)
    out = io.BytesIO()
    # A flat typographic cover: a palette PNG is smaller than a JPEG and has no artefacts.
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, "PNG", optimize=True)
    data = out.getvalue()
    _MEMO[key] = data
    if cache is not None:
        cache.put("covers", key, data)
    return data
