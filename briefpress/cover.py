"""The EPUB's cover image: the print edition's typographic cover, drawn with Pillow.

The cover is drawn from the publication's metadata in the house design of the print
cover (``templates/pdf/brief.css``, ``.cover``): the same page proportions, colours,
faces, sizes and spacing, in millimetres converted to pixels.  Pillow draws it directly
with FreeType (and HarfBuzz through libraqm where the text needs shaping), in a few
hundredths of a second: laying out the print HTML for one page would first import
WeasyPrint, which costs an EPUB-only build about a second.  Characters the Latin faces
lack (a Chinese title) are drawn in the CJK face, as in the PDF.

The result is deterministic and cached by everything it is drawn from.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from .cache import digest
from .model import Metadata

HEIGHT = 1800  # pixels; stores and reading systems ask for at least 1600
STYLE_VERSION = "5"  # bump when the drawing below changes, so cached covers are redrawn
_MEMO: dict[str, bytes] = {}  # covers drawn in this process (the watcher, the tests)

# The print cover's design (brief.css, .cover), in millimetres and points.
PAGE_MM = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
PADDING_MM = (62.0, 24.0, 28.0, 30.0)  # top, right, bottom, left
PADDING_TOP_WITH_IMAGE_MM = 24.0
ACCENT, RULE = "#1f3a5f", "#7fb2a8"
WHITE, PALE, PALER = "#ffffff", "#dbe5f0", "#c9d6e6"
PT_MM = 25.4 / 72


@dataclass(frozen=True)
class Text:
    """One paragraph of the cover, as the print CSS sets it."""
    text: str
    family: str  # "Noto Serif" or "Noto Sans"
    bold: bool
    size_pt: float
    line_height: float
    color: str
    after_mm: float  # space below the paragraph
    width_mm: float | None = None  # a narrower measure than the page's (max-width)
    tracking_em: float = 0.0  # letter-spacing


def blocks(meta: Metadata) -> list[Text | tuple]:
    """The cover's paragraphs, top to bottom, with ``("rule",)`` for the accent rule."""
    date = meta.edition.date
    out: list = []
    if meta.series:
        out.append(Text(meta.series.upper(), "Noto Sans", False, 9, 1.45, PALER, 14, tracking_em=0.18))
    out.append(Text(meta.title, "Noto Serif", True, 34, 1.1, WHITE, 6))
    if meta.subtitle:
        out.append(Text(meta.subtitle, "Noto Sans", False, 13, 1.35, PALE, 0, width_mm=130))
    out.append(("rule",))
    out.append(Text(", ".join(a.name for a in meta.authors), "Noto Sans", True, 12, 1.45, WHITE, 1.5))
    out.append(Text(f"Updated on {date.day} {date.strftime('%B')} {date.year}", "Noto Sans", False, 10, 1.45,
                    PALE, 1.5))
    if meta.publisher:
        out.append(Text(meta.publisher, "Noto Sans", False, 10, 1.45, PALE, 1.5))
    return out


def cover_file_name(meta) -> str:
    """The cover's file name: a JPEG when it holds a photograph, a PNG otherwise."""
    return "cover.jpg" if meta.cover_image else "cover.png"


def draw_cover(meta: Metadata, root: Path, resources, cache=None):
    """The cover's bytes, drawn on a second thread so that the drawing overlaps the rest of
    the build (the reading of the manuscript, the PDF's layout, the EPUB's documents):
    Pillow lets go of the interpreter lock while it rasterises, reduces the colours and
    compresses.  The cover needs only the metadata."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="cover")
    drawn = pool.submit(render_cover, meta, root, resources, cache)
    pool.shutdown(wait=False)  # the thread ends after its one drawing
    return drawn


def render_cover(meta: Metadata, root: Path, resources, cache=None) -> bytes:
    """The cover of the publication in ``root`` described by ``meta`` (the cover needs
    nothing else, so it can be drawn while the manuscript is read), :data:`HEIGHT` pixels
    high: PNG bytes, or JPEG bytes when it holds a photograph."""
    wanted = Wanted(meta, root, resources)
    data = wanted.kept(cache)
    if data is None:
        data = wanted.draw()
        wanted.keep(data, cache)
    return data


class Wanted:
    """A cover to be drawn: its key, the cover kept under it (this process's, the build
    cache's), its drawing, and the keeping of what was drawn."""

    def __init__(self, meta: Metadata, root: Path, resources):
        self.meta = meta
        self.image_bytes = b""
        if meta.cover_image:
            self.image_bytes, _mime = resources.read(meta.cover_image, root)
        self.key = digest("cover", STYLE_VERSION, HEIGHT, meta.page_size, repr(blocks(meta)), meta.cover_credit,
                          digest("image", self.image_bytes.hex()) if self.image_bytes else "", _font_key())

    def kept(self, cache=None) -> bytes | None:
        if self.key in _MEMO:
            return _MEMO[self.key]
        return cache.get("covers", self.key) if cache is not None else None

    def draw(self) -> bytes:
        return _draw(self.meta, self.image_bytes)

    def keep(self, data: bytes, cache=None) -> None:
        keep(self.key, data, cache)


def keep(key: str, data: bytes, cache=None) -> None:
    """Keeps a drawn cover under its key, in this process and the build cache."""
    _MEMO[key] = data
    if cache is not None:
        cache.put("covers", key, data)


def _draw(meta: Metadata, image_bytes: bytes) -> bytes:
    width_mm, height_mm = PAGE_MM.get(meta.page_size, PAGE_MM["a4"])
    scale = HEIGHT / height_mm  # pixels per millimetre
    size = (round(width_mm * scale), HEIGHT)
    photograph = cover_file_name(meta).endswith(".jpg")
    canvas = _Photograph(size) if photograph else _Inks(size)
    top, right, _bottom, left = PADDING_MM
    measure = width_mm - left - right
    y = (PADDING_TOP_WITH_IMAGE_MM if image_bytes else top) * scale
    if image_bytes:
        y = _cover_image(canvas, image_bytes, meta.cover_credit, left * scale, y, measure * scale, scale)
    for block in blocks(meta):
        if isinstance(block, tuple):  # the rule: 28 mm long, 2 pt thick, 12 mm above, 8 mm below
            y += 12 * scale
            draw, fill = canvas.ink(RULE)
            draw.rectangle([left * scale, y, (left + 28) * scale, y + 2 * PT_MM * scale], fill=fill)
            y += (2 * PT_MM + 8) * scale
            continue
        y = _paragraph(canvas, block, left * scale, y, (block.width_mm or measure) * scale, scale)
    if not photograph:  # a flat typographic cover: a palette PNG is smaller than a JPEG and has no artefacts
        return _png(canvas.picture())
    out = io.BytesIO()  # JPEG, as a palette would posterise a photograph
    canvas.picture().save(out, "JPEG", quality=88, optimize=True, progressive=False)
    return out.getvalue()


def _png(image) -> bytes:
    """``image`` as PNG, from Pillow's PNG chunks: the bytes ``Image.save`` writes, without
    the import of its other formats' plugins that ``save`` starts with (25 ms)."""
    from PIL.PngImagePlugin import getchunks

    chunks = getchunks(image, compress_level=6)
    return b"\x89PNG\r\n\x1a\n" + b"".join(len(data).to_bytes(4, "big") + kind + data + crc
                                          for kind, data, crc in chunks)


class _Photograph:
    """A cover with a photograph: drawn in RGB, for a JPEG."""

    def __init__(self, size):
        from PIL import Image, ImageDraw

        self.rgb = Image.new("RGB", size, ACCENT)
        self.draw = ImageDraw.Draw(self.rgb)

    def ink(self, color: str):
        """What to draw with in ``color``: (the ImageDraw, the fill)."""
        return self.draw, color

    def picture(self):
        return self.rgb


class _Inks:
    """A flat cover drawn as one coverage layer per colour (mode L, 255 where the colour is
    solid), then made a palette image directly: each colour gets an equal share of the 256
    entries, as even steps from the navy ground to it, so anti-aliased edges keep their
    shading without a quantizing pass over the whole page."""

    def __init__(self, size):
        self.size = size
        self.layers: dict[str, tuple] = {}  # colour: (layer, its ImageDraw), in drawing order

    def ink(self, color: str):
        """What to draw with in ``color``: (the ImageDraw of its layer, the fill)."""
        from PIL import Image, ImageDraw

        if color not in self.layers:
            layer = Image.new("L", self.size, 0)
            self.layers[color] = (layer, ImageDraw.Draw(layer))
        return self.layers[color][1], 255

    def picture(self):
        """The palette image: the ground, then each layer's shades where it has ink."""
        from PIL import Image, ImageColor

        steps = 256 // max(1, len(self.layers))
        ground = ImageColor.getrgb(ACCENT)
        palette: list[int] = []
        for color in self.layers:
            ink = ImageColor.getrgb(color)
            for step in range(steps):
                palette += [round(g + (i - g) * step / (steps - 1)) for g, i in zip(ground, ink)]
        image = Image.new("P", self.size, 0)  # entry 0: the ground (step 0 of the first colour)
        image.putpalette(palette or list(ground))
        for n, (layer, _draw) in enumerate(self.layers.values()):
            box = layer.getbbox()
            if box is None:
                continue
            coverage = layer.crop(box)
            shades = coverage.point([n * steps + round(v * (steps - 1) / 255) for v in range(256)])
            image.paste(shades, box, coverage.point([255 if v else 0 for v in range(256)]))
        return image


def _cover_image(canvas, data: bytes, credit: str, x: float, y: float, width: float, scale: float) -> float:
    """The cover image across the measure, at most 90 mm high, cropped to fill (object-fit: cover)."""
    from PIL import Image, ImageOps

    picture = Image.open(io.BytesIO(data))
    picture = ImageOps.exif_transpose(picture).convert("RGB")
    box_height = min(90 * scale, width * picture.height / picture.width)
    fitted = ImageOps.fit(picture, (round(width), round(box_height)), Image.LANCZOS)
    canvas.rgb.paste(fitted, (round(x), round(y)))
    y += box_height
    if credit:
        y += 1.5 * scale
        y = _paragraph(canvas, Text(credit, "Noto Sans", False, 7, 1.45, PALER, 0), x, y, width, scale)
    return y + 10 * scale


def _paragraph(canvas, block: Text, x: float, y: float, width: float, scale: float) -> float:
    """Draws ``block`` wrapped to ``width`` from the top ``y``; the y below it."""
    draw, fill = canvas.ink(block.color)
    size = block.size_pt * PT_MM * scale
    fonts = _fonts(block.family, block.bold, round(size))
    synthetic = [font for font, _covers, is_cjk in fonts if is_cjk]
    tracking = block.tracking_em * size
    line_box = size * block.line_height
    for line in _wrap(block.text, fonts, width, tracking):
        baseline = y + (line_box - size * 1.362) / 2 + size * 1.069  # Noto: ascender 1.069, descender 0.293
        pen = x
        for run, font in _runs(line, fonts):
            # A regular CJK face in a bold line is emboldened, as the print edition synthesises it.
            stroke = max(1, round(size / 40)) if block.bold and font in synthetic else 0
            for piece in (run if tracking else [run]):
                draw.text((pen, baseline), piece, font=font, fill=fill, anchor="ls",
                          stroke_width=stroke, stroke_fill=fill)
                pen += font.getlength(piece) + tracking
        y += line_box
    return y + block.after_mm * scale


def _wrap(text: str, fonts, width: float, tracking: float) -> list[str]:
    """Greedy line breaking at spaces (and between CJK characters), as a browser does; a
    word wider than the measure is broken where it reaches the edge (overflow-wrap)."""
    words = []
    for word in text.split(" "):
        if any(_is_cjk(c) for c in word):
            words.extend(_cjk_pieces(word))
        else:
            words.extend(_fitting(word + " ", fonts, width, tracking))
    lines, current = [], ""
    for word in words:
        trial = current + word
        if current and _width(trial.rstrip(" "), fonts, tracking) > width:
            lines.append(current.rstrip(" "))
            current = word
        else:
            current = trial
    if current.strip():
        lines.append(current.rstrip(" "))
    return lines


def _fitting(word: str, fonts, width: float, tracking: float) -> list[str]:
    """``word`` in pieces no wider than ``width`` (itself when it fits)."""
    pieces = []
    while _width(word.rstrip(" "), fonts, tracking) > width and len(word.rstrip(" ")) > 1:
        cut = len(word.rstrip(" ")) - 1
        while cut > 1 and _width(word[:cut], fonts, tracking) > width:
            cut -= 1
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]


def _is_cjk(char: str) -> bool:
    return 0x2E80 <= ord(char) <= 0x9FFF or 0xF900 <= ord(char) <= 0xFAFF or 0x20000 <= ord(char) <= 0x3FFFF


def _cjk_pieces(word: str) -> list[str]:
    """A word with CJK characters, as pieces a line may break between."""
    pieces, latin = [], ""
    for char in word:
        if _is_cjk(char):
            if latin:
                pieces.append(latin)
                latin = ""
            pieces.append(char)
        else:
            latin += char
    pieces.append(latin + " ")
    return [p for p in pieces if p]


def _width(text: str, fonts, tracking: float) -> float:
    return sum(font.getlength(run) for run, font in _runs(text, fonts)) + tracking * len(text)


def _runs(text: str, fonts) -> list[tuple[str, object]]:
    """``text`` split into runs of the first font that has a glyph for each character."""
    runs: list[tuple[str, object]] = []
    for char in text:
        font = next((f for f, covers, _cjk in fonts if char == " " or covers(char)), fonts[0][0])
        if runs and runs[-1][1] is font:
            runs[-1] = (runs[-1][0] + char, font)
        else:
            runs.append((char, font))
    return runs


_FONT_CACHE: dict = {}


def _fonts(family: str, bold: bool, size: int) -> list:
    """(font, covers(char), is CJK) for the Latin face and its CJK fallback at ``size`` pixels;
    Pillow's own font if neither is installed."""
    from PIL import ImageFont

    from . import fonts

    wanted = (family, bold, size)
    if wanted in _FONT_CACHE:
        return _FONT_CACHE[wanted]
    chain = []
    for face in fonts.FACES:  # the CJK faces have a regular weight only: bold is synthesised, as in print
        if face.style != "normal" or face.family not in (family, family + " CJK SC"):
            continue
        if face.cjk or face.weight == (700 if bold else 400):
            location = fonts.find(face)
            if location is not None:
                path, index = location
                font = ImageFont.truetype(str(path), size, index=index)
                chain.append((font, fonts.has_glyph(location), face.cjk))
    if not chain:
        chain = [(ImageFont.load_default(size), lambda char: True, False)]
    _FONT_CACHE[wanted] = chain
    return chain


def _font_key() -> str:
    """Which font files draw the cover: a change of installed fonts redraws it."""
    from . import fonts

    found = [fonts.find(face) for face in fonts.FACES if face.style == "normal"]
    return digest("cover-fonts", [(str(p), i, p.stat().st_size) for p, i in filter(None, found)])
