"""Image files of figures: what may be embedded, checked before any writer runs, and the
smaller copies e-readers get.

SVG is parsed with defusedxml and refused when it declares a DTD or entities, runs
scripts or handlers, or refers to anything but its own ``#ids`` and ``data:`` URLs: an
SVG in an EPUB is live code in the reader, and WeasyPrint would fetch what it names.
PNG and JPEG must decode completely, so a truncated file fails the build instead of
printing half a picture.  The PDF keeps each original; the EPUB gets rasters no larger
than :data:`EPUB_LONG_SIDE` pixels on the long side.
"""

from __future__ import annotations

import io
import re

from .errors import BriefError

SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
EPUB_LONG_SIDE = 1600  # px: more than a tablet's column needs, a fraction of a photo's size
# The formats both writers and every EPUB reader take (EPUB 3 core media types).
FORMATS = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_PIL_FORMATS = {"image/png": ("PNG",), "image/jpeg": ("JPEG", "MPO")}
# url(...) in CSS that names anything other than a fragment or a data: URL.
_CSS_URL = re.compile(r"""url\(\s*(?!['"]?\s*(?:#|data:))""", re.IGNORECASE)


def media_type(name: str) -> str | None:
    """The media type of a figure's file by its extension, or None when not supported."""
    for ext, mime in FORMATS.items():
        if name.lower().endswith(ext):
            return mime
    return None


def check(data: bytes, name: str) -> None:
    """Raise :class:`BriefError` when the image ``name`` (its bytes) cannot be embedded safely."""
    mime = media_type(name)
    if mime is None:
        raise BriefError(f"'{name}' is not an SVG, PNG or JPEG file")
    if mime == "image/svg+xml":
        check_svg(data, name)
    else:
        check_raster(data, name, mime)


def check_svg(data: bytes, name: str) -> None:
    from xml.etree.ElementTree import ParseError

    import defusedxml
    import defusedxml.ElementTree as safe_etree

    text = data.decode("utf-8", errors="replace")
    try:
        root = safe_etree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise BriefError(f"'{name}' line {_line(text, '<!DOCTYPE')}: SVG with a DTD (<!DOCTYPE …>) is not "
                         "allowed; delete the DOCTYPE line") from None
    except defusedxml.EntitiesForbidden:
        raise BriefError(f"'{name}' line {_line(text, '<!ENTITY')}: SVG with entity declarations is not "
                         "allowed") from None
    except defusedxml.ExternalReferenceForbidden:
        raise BriefError(f"'{name}': SVG with external entities is not allowed") from None
    except ParseError as exc:
        raise BriefError(f"'{name}' line {exc.position[0]}: not well-formed XML ({str(exc).split(':')[0]})") from None
    if root.tag != SVG_NS + "svg":
        raise BriefError(f"'{name}': the root element is not <svg> in the SVG namespace")
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if tag in ("script", "foreignObject", "iframe", "embed", "object"):
            raise BriefError(f"'{name}' line {_line(text, '<' + tag, '<svg:' + tag)}: <{tag}> is not allowed in a "
                             "figure (an SVG is drawn, never run)")
        for attr, value in el.attrib.items():
            local = attr.rsplit("}", 1)[-1]
            if local.lower().startswith("on"):
                raise BriefError(f"'{name}' line {_line(text, local + '=')}: event handler '{local}' is not allowed")
            if local in ("href", "src") and not value.strip().startswith(("#", "data:")):
                raise BriefError(f"'{name}' line {_line(text, value)}: external reference '{value}' is not "
                                 "allowed; only '#id' and 'data:' references are")
            if local == "style" and _CSS_URL.search(value):
                raise BriefError(f"'{name}' line {_line(text, value[:40])}: url(…) to an outside resource "
                                 "in a style attribute is not allowed")
        if tag == "style" and (_CSS_URL.search(el.text or "") or "@import" in (el.text or "")):
            raise BriefError(f"'{name}' line {_line(text, '<style')}: url(…) or @import of an outside "
                             "resource in <style> is not allowed")


def check_raster(data: bytes, name: str, mime: str) -> None:
    from PIL import Image

    from .limits import check_image_header

    try:
        with Image.open(io.BytesIO(data)) as img:
            found = img.format
            too_large = check_image_header(img, name)  # from the header, before any pixel is decoded
            if too_large:
                raise BriefError(too_large)
            img.verify()  # checksums (PNG CRCs)
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # every pixel: a truncated file fails here
    except BriefError:
        raise
    except Image.DecompressionBombError:
        from .limits import IMAGE_PIXELS

        raise BriefError(f"'{name}': the image has far more than {IMAGE_PIXELS // 1_000_000} megapixels, "
                         "the limit; scale it down") from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, ValueError, …
        what = str(exc) or type(exc).__name__
        raise BriefError(f"'{name}': the image does not decode completely ({what}); the file is damaged "
                         "or truncated") from None
    if found not in _PIL_FORMATS[mime]:
        raise BriefError(f"'{name}' holds a {found} image, not what its extension says; "
                         "convert it or rename it")


def for_epub(data: bytes, mime: str) -> bytes:
    """A raster image scaled down to :data:`EPUB_LONG_SIDE` on its long side (else unchanged)."""
    if mime not in _PIL_FORMATS:
        return data
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        if max(img.size) <= EPUB_LONG_SIDE:
            return data
        if img.mode == "P":
            img = img.convert("RGBA")
        elif mime == "image/jpeg" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        scale = EPUB_LONG_SIDE / max(img.size)
        small = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                           Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if mime == "image/png":
            small.save(out, "PNG", optimize=True)
        else:
            small.save(out, "JPEG", quality=85, optimize=True, progressive=True)
        return out.getvalue()


def _line(text: str, *needles: str) -> int:
    for needle in needles:
        at = text.find(needle)
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return 1
