"""HTML output of the intermediate representation, in citeproc-js's conventions.

The tree is first flattened to a stream of tokens (text, open/close of formatting, quotes
and display blocks).  The punctuation rules work on that stream, where "the text right after
this closing quote" is a simple look-ahead whatever the nesting: punctuation-in-quote moves
a following period or comma inside the quotes, and doubled punctuation at the seams between
elements ("Ed." + ". ") is dropped.  Quotes flip between the outer and inner quote terms by
depth; italics inside italics become upright.
"""

from __future__ import annotations

import unicodedata

from .ir import Output, Text
from .textcase import apply_text_case, strip_periods

_TAGS = {
    ("font-style", "italic"): ("<i>", "</i>"),
    ("font-style", "oblique"): ('<span style="font-style:oblique;">', "</span>"),
    ("font-style", "normal"): ('<span style="font-style:normal;">', "</span>"),
    ("font-weight", "bold"): ("<b>", "</b>"),
    ("font-weight", "light"): ('<span style="font-weight:light;">', "</span>"),
    ("font-weight", "normal"): ('<span style="font-weight:normal;">', "</span>"),
    ("font-variant", "small-caps"): ('<span style="font-variant:small-caps;">', "</span>"),
    ("font-variant", "normal"): ('<span style="font-variant:normal;">', "</span>"),
    ("text-decoration", "underline"): ('<span style="text-decoration:underline;">', "</span>"),
    ("text-decoration", "none"): ('<span style="text-decoration:none;">', "</span>"),
    ("vertical-align", "sup"): ("<sup>", "</sup>"),
    ("vertical-align", "sub"): ("<sub>", "</sub>"),
    ("vertical-align", "baseline"): ('<span style="baseline">', "</span>"),
}


# The line breaks citeproc-js puts around display blocks, which the test suite's
# expected bibliographies keep.
_DISPLAY = {"block": ("\n\n    ", "\n"), "left-margin": ("\n    ", ""), "right-inline": ("", "\n  "),
            "indent": ("", "\n  ")}


class Quotes:
    """The four quote terms of a locale."""

    def __init__(self, outer=("\u201c", "\u201d"), inner=("\u2018", "\u2019"), inside=False):
        self.outer, self.inner, self.punctuation_inside = outer, inner, inside


def prepare(node) -> None:
    """Apply text-case and strip-periods, which act on a node's whole text."""
    if isinstance(node, Text):
        return
    for child in node.children:
        prepare(child)
    if node.strip_periods:
        strip_periods(node)
    if node.text_case:
        apply_text_case(node, node.text_case)


# The opening marks markup.rich keeps as the tag of a quotation typed in a field.
_FIELD_QUOTES = frozenset(('"', "'", "\u201c", "\u2018"))


def tokens(node, out: list) -> bool:
    """Append the node's tokens to ``out``; returns whether it printed any text (a node
    without text prints nothing, not even its affixes)."""
    if node.__class__ is Text:
        if node.text:
            out.append(("text", node.text))
            return True
        return False
    start = len(out)
    delimiter = node.delimiter
    printed = False
    for child in node.children:
        if printed and delimiter:
            out.append(("text", delimiter))
            if not tokens(child, out):
                out.pop()
        elif tokens(child, out):
            printed = True
    if not printed:
        return False
    # The openings go in front of the children's tokens now that the node is known to print.
    opening = []
    # A display block holds the element's affixes too ("[1]" in the left margin).
    if node.display:
        opening.append(("open", "display", node.display))
    if node.prefix:
        opening.append(("text", node.prefix))
    opened = []
    # One element's formatting nests as in citeproc-js: the font style innermost
    # (<b><i>…</i></b>), vertical alignment outermost.
    for name, value in reversed(node.formatting.items()):
        opening.append(("open", name, value))
        opened.append((name, value))
    if node.quotes:
        # Quotes typed by the author in a cite's prefix or suffix stay as typed.
        fixed = "fixed" + node.tag[len("fixed-quote"):] if node.tag.startswith("fixed-quote") else ""
        if node.tag in _FIELD_QUOTES:  # a quotation typed in the field's text (markup.rich)
            fixed = "field"
        opening.append(("open", "quote", fixed))
        opened.append(("quote", fixed))
    if opening:
        out[start:start] = opening
    for name, value in reversed(opened):
        out.append(("close", name, value))
    if node.suffix:
        out.append(("text", node.suffix))
    if node.display:
        out.append(("close", "display", node.display))
    return True


# What happens where two punctuation marks meet at a seam between elements (the previous
# text ends with the first, the next begins with the second), as citeproc-js does it:
# "next" drops the second mark, "prev" drops the first, anything else keeps both.
_MERGE = {
    (":", ":"): "next", (";", ":"): "next", ("!", ":"): "next", ("?", ":"): "next",
    (":", "."): "next", (".", "."): "next", (";", "."): "next", ("!", "."): "next", ("?", "."): "next",
    (";", ";"): "next", ("!", "!"): "next", ("?", "?"): "next", (",", ","): "next",
    (":", "!"): "prev", (";", "!"): "prev", (":", "?"): "prev", (";", "?"): "prev",
}


def _merge(stream: list) -> None:
    last = None
    for i, tok in enumerate(stream):
        if tok[0] != "text" or not tok[1]:
            continue
        text = tok[1]
        if last is not None:
            prev = stream[last][1]
            end, start = prev[-1], text[0]
            rule = _MERGE.get((end, start))
            if rule == "next" or (start == " " and end == " "):
                text = text[1:]
            elif rule == "prev":
                prev = prev[:-1]
            elif start == "," and prev[-2:] in (". ", "! ", "? "):
                # An element's ". " suffix before a ", " delimiter loses its space ("no. 2.,
                # Stuttgart"), as in pandoc's citeproc.
                prev = prev[:-1]
            stream[last] = ("text", prev)
            stream[i] = ("text", text)
        if text:
            last = i


def _into_quotes(stream: list) -> None:
    """punctuation-in-quote: periods, commas, ! and ? right after a closing quote go inside.
    A style's quotes take the mark across the end of formatting around them (<i>“Book.”</i>,
    as in the CSL suite); quotes typed in a field take it only across other quotes, so an
    italic title that ends in a quotation keeps the mark out (<i>… “De Motu”</i>.), as in
    pandoc's citeproc."""
    i = 0
    while i < len(stream):
        tok = stream[i]
        if tok[0] == "close" and tok[1] == "quote" and not tok[2].startswith("fixed"):
            skip = ("quote",) if tok[2] == "field" else None
            while True:
                j = i + 1
                while j < len(stream) and (stream[j] == ("text", "") or stream[j][0] == "close"
                                           and (skip is None or stream[j][1] in skip)):
                    j += 1
                if j < len(stream) and stream[j][0] == "text" and stream[j][1][0] in ".,!?":
                    mark = stream[j][1][0]
                    stream[j] = ("text", stream[j][1][1:])
                    stream.insert(i, ("text", mark))
                    i += 1
                else:
                    break
        i += 1


def _punctuation(stream: list, quotes: Quotes) -> list:
    _merge(stream)
    if quotes.punctuation_inside:
        _into_quotes(stream)
        _merge(stream)
    return stream


# Superscript characters print as <sup> of their base letter, as citeproc-js does, so that
# ordinal suffixes such as "1ʳᵉ" look the same in every font.
_SUPER_EXTRA = {"\u02c0": "\u0294", "\u02c1": "\u0295", "\u06e5": "\u0648", "\u06e6": "\u064a"}


def _superscript(c: str) -> str | None:
    if c in _SUPER_EXTRA:
        return _SUPER_EXTRA[c]
    if c.isascii():
        return None
    d = unicodedata.decomposition(c)
    if d.startswith("<super>"):
        return "".join(chr(int(h, 16)) for h in d.split()[1:])
    return None


def escape(text: str) -> str:
    text = (text.replace("&", "&#38;").replace("<", "&#60;").replace(">", "&#62;")
            )
    if text.isascii():
        return text
    out = []
    for c in text:
        base = _superscript(c)
        out.append(f"<sup>{base}</sup>" if base else c)
    return "".join(out)


_TYPED_QUOTES = {"fixed\u2018": ("\u2018", "\u2019"), "fixed\u201c": ("\u201c", "\u201d")}


def _suffix_into_display(node) -> None:
    """An entry whose last part is a display block ends inside it: the layout's suffix
    goes into the block ("<div class="csl-right-inline">… Here.</div>"), as in citeproc-js."""
    if isinstance(node, Output) and node.suffix and not node.display:
        live = node.live()
        if live and isinstance(live[-1], Output) and live[-1].display:
            live[-1].suffix += node.suffix
            node.suffix = ""


def to_html(node, quotes: Quotes) -> str:
    prepare(node)
    _suffix_into_display(node)
    stream: list = []
    tokens(node, stream)
    stream = _punctuation(stream, quotes)
    out = []
    state: dict[str, list] = {}
    quote_depth = 0
    closers = []
    for tok in stream:
        if tok[0] == "text":
            out.append(escape(tok[1]))
        elif tok[0] == "open":
            kind, value = tok[1], tok[2]
            if kind == "quote":
                pair = quotes.outer if quote_depth % 2 == 0 else quotes.inner
                if value in _TYPED_QUOTES:  # a curly quote typed in a cite's affix stays
                    pair = _TYPED_QUOTES[value]
                quote_depth += 1
                out.append(pair[0])
                closers.append(pair[1])
            elif kind == "display":
                before, after = _DISPLAY.get(value, ("", ""))
                out.append(f'{before}<div class="csl-{value}">')
                closers.append("</div>" + after)
            elif kind == "link":
                out.append(f'<a href="{escape(value)}">'.replace("&#38;", "&amp;"))
                closers.append("</a>")
            else:
                stack = state.setdefault(kind, [])
                current = stack[-1] if stack else "normal"
                if kind == "font-style" and value in ("italic", "oblique") and current in ("italic", "oblique") or kind in ("font-weight", "font-variant") and value == current and value != "normal":
                    value = "normal"
                elif value == current or (value == "normal" and not stack) or (
                        kind == "text-decoration" and value == "none" and not stack):
                    stack.append(value)
                    closers.append("")
                    continue
                stack.append(value)
                pair = _TAGS.get((kind, value), ("", ""))
                out.append(pair[0])
                closers.append(pair[1])
        else:
            kind = tok[1]
            if kind == "quote":
                quote_depth -= 1
            elif kind not in ("display", "link"):
                state[kind].pop()
            out.append(closers.pop())
    return "".join(out)


def to_plain(node) -> str:
    prepare(node)
    stream: list = []
    tokens(node, stream)
    return "".join(t[1] for t in _punctuation(stream, Quotes()) if t[0] == "text")


__all__ = ["Output", "Quotes", "Text", "to_html", "to_plain"]
