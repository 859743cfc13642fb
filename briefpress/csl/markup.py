"""Rich text inside field values: the HTML-like markup CSL-JSON allows (``<i>``, ``<b>``,
``<sup>``, ``<sub>``, ``<sc>``, ``<span class="nocase">``, small-caps spans) and quoted
passages (straight or curly, double or single), read into IR nodes so that output can flip
and escape them like any other node.  An apostrophe inside a word is not a quote.
"""

from __future__ import annotations

import re

from .ir import Output, Text

_TOKEN = re.compile(
    r'(<i>|</i>|<b>|</b>|<sup>|</sup>|<sub>|</sub>|<sc>|</sc>|<span class="nocase">'
    r'|<span style="font-variant:\s*small-caps;?">|<span class="nodecor">|</span>'
    r"|\"|\u201c|\u201d|'|\u2018|\u2019)")

_OPEN = {
    "<i>": {"font-style": "italic"}, "<b>": {"font-weight": "bold"},
    "<sup>": {"vertical-align": "sup"}, "<sub>": {"vertical-align": "sub"},
    "<sc>": {"font-variant": "small-caps"},
}
_CLOSE = {"</i>": "<i>", "</b>": "<b>", "</sup>": "<sup>", "</sub>": "<sub>", "</sc>": "<sc>"}


_NOCASE = ("nocase", "<sc>", "<sup>", "<sub>", "span")


def _opens(value: str, start: int, end: int) -> bool:
    before = value[start - 1] if start else " "
    after = value[end] if end < len(value) else " "
    return not (before.isalnum()) and not after.isspace()


def _closes(value: str, start: int, end: int) -> bool:
    before = value[start - 1] if start else " "
    after = value[end] if end < len(value) else " "
    return not before.isspace() and not after.isalnum()


# The entities rich text may hold for characters that would otherwise read as markup
# (bibliography.latex writes "&", "<" and ">" so), and numeric character references.
_ENTITY = re.compile(r"&(?:(amp|lt|gt)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">"}


def _entity(m) -> str:
    if m.group(1):
        return _NAMED[m.group(1)]
    code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group(0)


def decode_entities(text: str) -> str:
    """``&amp;``, ``&lt;``, ``&gt;`` and ``&#NN;``/``&#xHH;`` as the characters they stand for."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


def rich(value: str) -> Output:
    """A field value as an IR node; plain values become a single text run.  Entities become
    text (a title's "&lt;b&gt;" is the text "<b>", never markup); output escapes it again."""
    if "\u00ab" in value or "\u00bb" in value:
        # French guillemets typed with plain spaces get narrow no-break ones (citeproc-js).
        value = re.sub("\u00ab[ \u00a0]", "\u00ab\u202f", re.sub("[ \u00a0]\u00bb", "\u202f\u00bb", value))
    if not _TOKEN.search(value):
        return Output([Text(decode_entities(value))])
    root = Output()
    stack = [("root", root)]
    pos = 0

    def text(t):
        # Text in small caps, superscript or subscript keeps its case, as if marked nocase.
        if t:
            stack[-1][1].children.append(Text(decode_entities(t), nocase=any(k in _NOCASE for k, _ in stack)))

    for m in _TOKEN.finditer(value):
        text(value[pos:m.start()])
        pos = m.end()
        part = m.group()
        top_kind, top = stack[-1]
        if part in _OPEN or part.startswith("<span"):
            if part in _OPEN:
                node, kind = Output(formatting=dict(_OPEN[part])), part
            elif "nocase" in part:
                node, kind = Output(tag="nocase"), "nocase"
            elif "nodecor" in part:
                node, kind = Output(formatting={"font-style": "normal", "font-weight": "normal",
                                                "font-variant": "normal"}, tag="nodecor"), "span"
            else:
                node, kind = Output(formatting={"font-variant": "small-caps"}), "span"
            top.children.append(node)
            stack.append((kind, node))
        elif part in _CLOSE or part == "</span>":
            want = _CLOSE.get(part)
            if (want and top_kind == want) or (part == "</span>" and top_kind in ("nocase", "span")):
                stack.pop()
            else:
                text(part)
        else:
            double = part in ('"', "\u201c", "\u201d")
            kind = "dquote" if double else "squote"
            can_close = part in ('"', "'", "\u201d", "\u2019") and _closes(value, m.start(), m.end())
            can_open = part in ('"', "'", "\u201c", "\u2018") and _opens(value, m.start(), m.end())
            open_kinds = [k for k, _ in stack]
            if can_close and kind in open_kinds:
                while stack[-1][0] != kind:
                    _unwind(stack)
                _, closed = stack.pop()
                if not closed.children:  # nothing quoted: these were apostrophes (l’’’)
                    closed.quotes = False
                    closed.children = [Text("\u2019\u2019" if kind == "squote" else closed.tag + part)]
            elif can_open:
                node = Output(quotes=True, tag=part)
                top.children.append(node)
                stack.append((kind, node))
            else:
                text("\u2019" if part in ("'", "\u2019") else part)
    text(value[pos:])
    while len(stack) > 1:
        _unwind(stack)
    return root


def _unwind(stack) -> None:
    """Close the innermost open element; an unclosed quote was not a quotation."""
    kind, node = stack.pop()
    if kind in ("dquote", "squote"):
        node.quotes = False
        # An unclosed straight single quote was an apostrophe ("ETFA '09").
        node.children.insert(0, Text("\u2019" if node.tag == "'" else node.tag))
