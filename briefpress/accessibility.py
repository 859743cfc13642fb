"""The EPUB's accessibility metadata, derived from what the documents contain.

Nothing is claimed blindly: ``alternativeText`` only when every image has a text
alternative, ``pageNavigation`` only when a page list was built, and conformance to EPUB
Accessibility 1.1 (WCAG 2.1 AA) only when those checks and the language checks pass.
The summary sentence is written from the same findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"


@dataclass
class Findings:
    images: int = 0
    images_without_alt: list[str] = field(default_factory=list)  # "file: src"
    documents_without_lang: list[str] = field(default_factory=list)
    tables: int = 0
    other_language_runs: int = 0
    page_list: bool = False
    has_toc: bool = True

    @property
    def all_images_described(self) -> bool:
        return not self.images_without_alt

    @property
    def conforms(self) -> bool:
        return self.all_images_described and not self.documents_without_lang and self.has_toc


def examine(documents: list[tuple[str, object]], language: str, page_list: bool) -> Findings:
    """``documents``: (file name, XHTML text or its parsed root element) of every content
    document, the nav included."""
    found = Findings(page_list=page_list)
    base = language.split("-")[0]
    for name, document in documents:
        root = etree.fromstring(document.encode("utf-8")) if isinstance(document, str) else document
        if not (root.get("lang") and root.get(XML_LANG)):
            found.documents_without_lang.append(name)
        for img in root.iter(XHTML + "img"):
            found.images += 1
            alt = img.get("alt")
            decorative = alt == "" and img.get("role") in ("presentation", "none")
            if alt is None or (not alt.strip() and not decorative):
                found.images_without_alt.append(f"{name}: {img.get('src')}")
        found.tables += sum(1 for _table in root.iter(XHTML + "table"))
        for el in root.xpath("//*[@lang or @xml:lang]"):
            lang = el.get("lang") or el.get(XML_LANG)
            if lang and el is not root and not lang.startswith(base):
                found.other_language_runs += 1
    return found


def metadata(found: Findings) -> list[tuple[str, str]]:
    """``(property, value)`` pairs for the package's ``<meta>`` elements."""
    pairs = [("schema:accessMode", "textual")]
    if found.images:
        pairs.append(("schema:accessMode", "visual"))
    if found.all_images_described:
        pairs.append(("schema:accessModeSufficient", "textual"))
    if found.images:
        pairs.append(("schema:accessModeSufficient", "textual,visual"))
    features = ["tableOfContents", "readingOrder", "structuralNavigation", "displayTransformability", "ARIA"]
    if found.images and found.all_images_described:
        features.append("alternativeText")
    if found.page_list:
        features += ["pageBreakMarkers", "pageNavigation"]
    pairs += [("schema:accessibilityFeature", f) for f in features]
    pairs.append(("schema:accessibilityHazard", "none"))
    pairs.append(("schema:accessibilitySummary", summary(found)))
    if found.conforms:
        pairs.append(("dcterms:conformsTo", CONFORMANCE))
    return pairs


def summary(found: Findings) -> str:
    parts = []
    if found.conforms:
        parts.append("This publication meets EPUB Accessibility 1.1 at WCAG 2.1 Level AA, as checked when it was "
                     "built.")
    parts.append("It has a table of contents, headings in a logical order, a reading order that follows the "
                 "text, and ARIA roles for chapters, notes and the reference list; the text reflows and takes "
                 "the reader's font size and colours.")
    if found.images:
        if found.all_images_described:
            parts.append(f"All {found.images} images have text alternatives.")
        else:
            parts.append(f"{len(found.images_without_alt)} of {found.images} images have no text alternative.")
    if found.page_list:
        parts.append("Page-break markers and a page list give the page numbers of the PDF edition.")
    if found.other_language_runs:
        parts.append("Passages in other languages, such as Chinese terms, are marked with their language and "
                     "come with embedded fonts.")
    parts.append("There are no known hazards.")
    return " ".join(parts)
