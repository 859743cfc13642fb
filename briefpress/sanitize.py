"""Raw HTML written by authors: an allow-list sanitizer (nh3) hooked into Python-Markdown.

Authors may write HTML in a chapter (a ``<span lang>``, a ``<sup>``, a table Markdown
cannot draw), but a chapter is untrusted text: it must not run scripts in an e-reader,
fetch resources, attach files to the PDF or post forms.  Python-Markdown keeps every
piece of raw HTML in ``md.htmlStash`` until its ``raw_html`` postprocessor (priority 30)
puts it back; :class:`SanitizePostprocessor` runs just before that and cleans each piece
of author HTML, with one warning at ``file:line:col`` for each thing it removes.
HTML the engine writes itself never passes here.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor

ALLOWED_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt",
    "ruby", "s", "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
}
GENERIC_ATTRIBUTES = {"id", "class", "lang", "title", "dir", "role", "style", "aria-label",
                      "aria-describedby", "aria-hidden"}
TAG_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "del": {"datetime"},
    "ins": {"datetime"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Elements whose content goes with them (nh3 keeps the text of other removed elements).
CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea",
                "select", "title", "svg", "math"}
VOID = ("area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr", "base")
CSS_URL = re.compile(r"url\s*\(|@import|expression\s*\(", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "cite"}
SINGLE_TAG = re.compile(r"\s*</?[A-Za-z][^<>]*>\s*")


def _url_allowed(value: str) -> bool:
    scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", value)
    return scheme is None or scheme.group(1).lower() in URL_SCHEMES


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if attribute == "style" and CSS_URL.search(value):
        return None
    return value


def _removals(fragment: str) -> list[tuple[int, str]]:
    """(offset in ``fragment``, what is removed) for everything the allow-list drops."""
    found: list[tuple[int, str]] = []

    class Scan(HTMLParser):
        def handle_starttag(self, tag, attrs):
            offset = _offset(fragment, self.getpos())
            if tag not in ALLOWED_TAGS:
                rel = dict(attrs).get("rel")
                what = f"<{tag} rel={rel}>" if tag == "link" and rel else f"<{tag}>"
                found.append((offset, f"removed {what} from raw HTML"))
                return
            for name, value in attrs:
                value = value or ""
                if name.startswith("on"):
                    found.append((offset, f"removed the event handler '{name}' from <{tag}>"))
                elif name not in GENERIC_ATTRIBUTES and name not in TAG_ATTRIBUTES.get(tag, ()):
                    found.append((offset, f"removed the attribute '{name}' from <{tag}>"))
                elif name == "style" and CSS_URL.search(value):
                    found.append((offset, f"removed a style attribute with url(…) or @import from <{tag}>"))
                elif name in URL_ATTRIBUTES and not _url_allowed(value):
                    found.append((offset, (f"removed the link '{value[:60]}' from <{tag}>: only http(s), "
                                           "mailto and relative links are allowed")))

        handle_startendtag = handle_starttag

    scan = Scan(convert_charrefs=True)
    scan.feed(fragment)
    scan.close()
    return found


def _offset(text: str, pos: tuple[int, int]) -> int:
    line, col = pos
    at = 0
    for _ in range(line - 1):
        at = text.index("\n", at) + 1
    return at + col


def clean(fragment: str) -> str:
    """``fragment`` with everything outside the allow-list removed (XHTML-compatible)."""
    if SINGLE_TAG.fullmatch(fragment):
        return _clean_tag(fragment)
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=CONTENT_TAGS,
        attributes={"*": GENERIC_ATTRIBUTES, **TAG_ATTRIBUTES},
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    # The chapter is XHTML (the EPUB needs it): void elements are closed.
    return re.sub(rf"<({'|'.join(VOID)})\b([^>]*?)\s*/?>", r"<\1\2/>", cleaned)


def _clean_tag(tag_text: str) -> str:
    """One opening or closing tag alone (inline HTML is stashed tag by tag)."""
    m = re.match(r"\s*<(/?)([A-Za-z][\w-]*)", tag_text)
    closing, tag = m.group(1), m.group(2).lower()
    if tag not in ALLOWED_TAGS:
        return ""
    if closing:
        return f"</{tag}>"
    kept = []

    class Attrs(HTMLParser):
        def handle_starttag(self, _tag, attrs):
            for name, value in attrs:
                value = value or ""
                if name.startswith("on") or (name not in GENERIC_ATTRIBUTES and name not in TAG_ATTRIBUTES.get(tag, ())):
                    continue
                if _attribute_filter(tag, name, value) is None:
                    continue
                if name in URL_ATTRIBUTES and not _url_allowed(value):
                    continue
                kept.append(f' {name}="{html.escape(value)}"')

        handle_startendtag = handle_starttag

    parser = Attrs(convert_charrefs=True)
    parser.feed(tag_text.strip())
    parser.close()
    end = "/>" if tag in VOID or tag_text.rstrip().endswith("/>") else ">"
    return f"<{tag}{''.join(kept)}{end}"


class SanitizePostprocessor(Postprocessor):
    """Cleans the raw HTML pieces in ``md.htmlStash`` before 'raw_html' (30) restores them."""

    def __init__(self, md, extension):
        super().__init__(md)
        self.extension = extension

    def run(self, text):
        stash = self.md.htmlStash
        chapter = getattr(self.md, "chapter", None)
        # Also called for captions before the whole chapter: each piece is cleaned once.
        for i in range(self.extension.done, stash.html_counter):
            piece = stash.rawHtmlBlocks[i]
            if not isinstance(piece, str) or "<" not in piece:
                continue  # an entity such as &copy;
            removals = _removals(piece)
            if not removals:
                continue
            stash.rawHtmlBlocks[i] = clean(piece)
            if chapter is not None:
                for offset, message in removals:
                    line, column = _locate(chapter.source, piece, offset)
                    chapter.report.warning(message, chapter.path, line, column)
        self.extension.done = stash.html_counter
        return text


def _locate(source: str, piece: str, offset: int) -> tuple[int | None, int | None]:
    """Line and column in the chapter of ``piece[offset]`` (Python-Markdown keeps no positions)."""
    start = source.find(piece.strip()[:80])
    if start >= 0:
        at = start + offset - (len(piece) - len(piece.lstrip()))
    else:
        tag = re.match(r"<[^\s>]*", piece[offset:])
        at = source.find(tag.group(0)) if tag else -1
        if at < 0:
            return None, None
    line = source.count("\n", 0, at) + 1
    return line, at - (source.rfind("\n", 0, at) + 1) + 1


class SanitizeExtension(Extension):
    def extendMarkdown(self, md):
        self.done = 0
        # Just before 'raw_html' (30), which puts the stashed raw HTML back into the text.
        md.postprocessors.register(SanitizePostprocessor(md, self), "brief_sanitize", 35)
        md.registerExtension(self)

    def reset(self):
        self.done = 0


def check_links(publication, report) -> None:
    """Links written in Markdown (``[text](target)``) are engine output, so they do not pass
    the sanitizer: their targets are checked here.  Only http(s), mailto and ``#id`` links
    may leave a chapter; a link to a file (another chapter, ``notes.md``) is not portable."""
    for chapter in publication.chapters:
        for target in re.findall(r'<a\b[^>]*\shref="([^"]*)"', chapter.html):
            target = html.unescape(target)
            if target.startswith("#"):
                continue  # checks.check_links: the id must exist
            if not _url_allowed(target):
                report.error(f"link to '{target}': only http(s), mailto and '#id' links are allowed",
                             chapter.path, _line(chapter.source, target))
            elif not re.match(r"(?i)(https?|mailto):", target):
                report.error(f"link to '{target}', a file: link to a chapter or section by its id instead",
                             chapter.path, _line(chapter.source, target),
                             hint="give the heading an id, '# Title {#sec:name}', and link to '#sec:name'")


def _line(source: str, needle: str) -> int | None:
    at = source.find(needle)
    return source.count("\n", 0, at) + 1 if at >= 0 else None
