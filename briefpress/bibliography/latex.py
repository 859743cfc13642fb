"""LaTeX in a BibTeX field: read into inline nodes, written out as CSL rich text.

Pandoc reads every field with its LaTeX reader and writes the result as CSL-JSON markup
(``<i>``, ``<b>``, ``<sup>``, ``<sub>``, small-caps spans, curly quotes); this module does the
same for what a bibliography holds: accents and special letters, ``--``/``---``, ``\\&``,
``\\emph``/``\\textbf``/``\\textsc``…, ``\\enquote`` and TeX quotes, math kept as ``$…$``.
A braced group is a *group* node: it protects case when a title is put in sentence case
(``textcase``), and a name that is one group is a corporate name (``names``).  Commands it
does not know are dropped with their arguments, as Pandoc drops raw LaTeX.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331", "t": "\u0361",
}
# Commands that stand for a character or a word.
SYMBOLS = {
    "i": "ı", "j": "ȷ", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "ss": "ß", "SS": "SS",
    "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "LaTeX": "LaTeX", "TeX": "TeX", "ldots": "…", "dots": "…", "S": "§", "P": "¶",
    "copyright": "©", "textcopyright": "©", "pounds": "£", "textsterling": "£",
    "textbackslash": "\\", "textasciitilde": "~", "textregistered": "®", "texttrademark": "™",
    "slash": "/", "hyphen": "-", "textellipsis": "…", "textdegree": "°", "euro": "€", "textless": "<", "textgreater": ">",
}
CONTROL_SYMBOLS = {"&": "&", "%": "%", "$": "$", "#": "\\#", "_": "_", "{": "{", "}": "}",
                   " ": "\u00a0", ",": "\u2006", "-": "\u00ad", "/": "", "@": ""}
# One-argument commands -> the node that holds their argument.
WRAPPERS = {
    "emph": "emph", "textit": "emph", "textsl": "emph", "textbf": "strong", "textsc": "sc",
    "textsuperscript": "sup", "textsubscript": "sub", "underline": "underline", "uline": "underline",
    "enquote": "quoted", "textrm": "plain", "textup": "plain", "textnormal": "plain", "textsf": "plain",
    "textmd": "plain", "mbox": "plain", "texttt": "code", "nolinkurl": "code", "url": "url",
}
# biblatex's wrappers: Pandoc reads them as the LaTeX command inside a group.
BIBLATEX_WRAPPERS = {"mkbibemph": "emph", "mkbibitalic": "emph", "mkbibbold": "strong", "mkbibquote": "quoted"}
# Declarations ({\em …}): the rest of the group takes the form; \sc is ignored.
SWITCHES = {"em": "emph", "it": "emph", "sl": "emph", "itshape": "emph", "bf": "strong",
            "bfseries": "strong", "sc": "plain", "scshape": "plain", "rm": "plain", "normalfont": "plain"}


@dataclass
class Node:
    """An inline: ``str``, ``space``, ``raw`` (dropped markup), ``code``, ``math`` or a container
    (``group``, ``nocase``, ``plain``, ``emph``, ``strong``, ``sc``, ``sup``, ``sub``,
    ``underline``, ``quoted``, ``link``)."""

    kind: str
    text: str = ""
    children: list[Node] = field(default_factory=list)


def parse(value: str, bibstring=lambda key: key) -> list[Node]:
    """A field value (LaTeX) as inline nodes; ``bibstring`` resolves ``\\bibstring{key}``."""
    try:
        nodes, _ = _Parser(value.strip(), bibstring).inlines(0, None)
    except _TooDeep:  # hostile nesting (\em \em \em …): the text as it stands
        return [Node("str", value.strip())]
    return trim(nodes)


class _TooDeep(Exception):
    pass


class _Parser:
    def __init__(self, text: str, bibstring):
        self.s, self.bibstring = text, bibstring
        # Where the last closing quotes are: a TeX quote opens only if it can close (found in O(1)).
        self.last_double, self.last_single = text.rfind("''"), text.rfind("'")
        self.quotes = 0  # quotes open; a few levels at most
        self.depth = 0  # groups, arguments and declarations open

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > 100:
            raise _TooDeep

    def inlines(self, i: int, stop: str | None) -> tuple[list[Node], int]:
        out: list[Node] = []
        outer, self.stop = getattr(self, "stop", None), stop
        self._enter()
        try:
            return self._inlines(i, stop, out)
        finally:
            self.stop = outer
            self.depth -= 1

    def _inlines(self, i: int, stop: str | None, out: list[Node]) -> tuple[list[Node], int]:
        s = self.s
        self.closed = False
        while i < len(s):
            if self.closed:  # a declaration ({\em …}) read the rest of this group
                self.closed = False
                return out, i
            ch = s[i]
            if stop and s.startswith(stop, i) and not (stop == "'" and i + 1 < len(s) and s[i + 1].isalpha()):
                return out, i + len(stop)
            if ch.isspace():
                j = i
                while j < len(s) and s[j].isspace():
                    j += 1
                _add(out, Node("space"))
                i = j
            elif ch == "{":
                children, i = self.inlines(i + 1, "}")
                if children:
                    out.append(Node("group", children=children))
            elif ch == "}":
                i += 1
            elif ch == "\\":
                i = self.command(i, out)
            elif ch == "$":
                end = s.find("$", i + 1)
                end = len(s) if end < 0 else end
                out.append(Node("math", s[i + 1:end]))
                i = end + 1
            elif ch == "~":
                _add(out, Node("str", "\u00a0"))
                i += 1
            elif ch == "-":
                n = 3 if s.startswith("---", i) else 2 if s.startswith("--", i) else 1
                _add(out, Node("str", {3: "—", 2: "–", 1: "-"}[n]))
                i += n
            elif ch == "`" and self.quotes < 4 and (
                    (s.startswith("``", i) and self.last_double > i) or self.last_single > i):
                double = s.startswith("``", i) and self.last_double > i
                self.quotes += 1
                children, i = self.inlines(i + (2 if double else 1), "''" if double else "'")
                self.quotes -= 1
                out.append(Node("quoted", children=children))
            elif ch == "'":
                _add(out, Node("str", "’"))
                i += 1
            else:
                _add(out, Node("str", ch))
                i += 1
        return out, i

    def argument(self, i: int) -> tuple[list[Node], int]:
        s = self.s
        while i < len(s) and s[i].isspace():
            i += 1
        if i < len(s) and s[i] == "{":
            return self.inlines(i + 1, "}")
        if i < len(s) and s[i] == "\\":
            out: list[Node] = []
            return out, self.command(i, out)
        return ([Node("str", s[i])] if i < len(s) else []), i + 1

    def raw_argument(self, i: int) -> tuple[str, int]:
        s, depth, start = self.s, 0, i
        while i < len(s) and s[i].isspace():
            i += 1
        if i >= len(s) or s[i] != "{":
            return "", start
        start = i + 1
        while i < len(s):
            depth += s[i] == "{"
            depth -= s[i] == "}"
            i += 1
            if depth == 0:
                return s[start:i - 1], i
        return s[start:], i

    def command(self, i: int, out: list[Node]) -> int:
        self._enter()
        try:
            return self._command(i, out)
        finally:
            self.depth -= 1

    def _command(self, i: int, out: list[Node]) -> int:
        s = self.s
        j = i + 1
        if j < len(s) and not s[j].isalpha():
            sym = s[j]
            if sym in ACCENTS:
                arg, k = self.argument(j + 1)
                _add(out, _accent(arg, ACCENTS[sym]))
                return k
            if sym == "\\":
                _add(out, Node("space"))
            elif sym in CONTROL_SYMBOLS:
                text = CONTROL_SYMBOLS[sym]
                _add(out, Node("str", text))
            return j + 1
        while j < len(s) and s[j].isalpha():
            j += 1
        name = s[i + 1:j]
        if j < len(s) and s[j] == "*":  # \enquote*{…}: the starred form reads the same here
            j += 1
        if name in ACCENTS:
            arg, k = self.argument(j)
            _add(out, _accent(arg, ACCENTS[name]))
            return k
        k = j
        while k < len(s) and s[k].isspace():  # a control word swallows the spaces after it
            k += 1
        if name in SYMBOLS:
            if s.startswith("{}", k):
                k += 2
            _add(out, Node("str", SYMBOLS[name]))
            return k
        if name in SWITCHES:
            rest, k = self.inlines(k, self.stop)
            self.closed = True
            if SWITCHES[name] == "plain":
                for node in rest:
                    _add(out, node)
            else:
                out.append(Node(SWITCHES[name], children=rest))
            return k
        if name in BIBLATEX_WRAPPERS:
            arg, k = self.argument(k)
            out.append(Node("group", children=[Node(BIBLATEX_WRAPPERS[name], children=arg)]))
            return k
        if name in WRAPPERS:
            kind = WRAPPERS[name]
            if kind == "url":
                text, k = self.raw_argument(k)
                out.append(Node("link", children=[Node("str", text)]))
                return k
            if kind == "code":
                arg, k = self.argument(k)
                out.append(Node("code", to_plain(arg)))
                return k
            arg, k = self.argument(k)
            if kind == "plain":
                for node in arg:
                    _add(out, node)
            else:
                out.append(Node(kind, children=arg))
            return k
        if name == "href":
            _, k = self.raw_argument(k)
            arg, k = self.argument(k)
            out.append(Node("link", children=arg))
            return k
        if name == "bibstring":
            key, k = self.raw_argument(k)
            _add(out, Node("str", self.bibstring(key)))
            return k
        if name == "relax":
            return k
        # Unknown: dropped with its arguments, as Pandoc drops raw LaTeX.
        while True:
            _, after = self.raw_argument(k)
            if after == k:
                break
            k = after
        out.append(Node("raw"))
        return k


def _accent(arg: list[Node], mark: str) -> Node:
    text = to_plain(arg) or " "
    return Node("str", unicodedata.normalize("NFC", text[0] + mark + text[1:]))


def _add(out: list[Node], node: Node) -> None:
    """Append, merging adjacent text and adjacent spaces as Pandoc's builder does."""
    if out and node.kind == "str" and out[-1].kind == "str":
        out[-1] = Node("str", out[-1].text + node.text)
    elif out and node.kind == "space" and out[-1].kind == "space":
        return
    else:
        out.append(node)


def trim(nodes: list[Node]) -> list[Node]:
    while nodes and nodes[0].kind == "space":
        nodes = nodes[1:]
    while nodes and nodes[-1].kind == "space":
        nodes = nodes[:-1]
    return nodes


def to_plain(nodes: list[Node]) -> str:
    """Pandoc's ``stringify``: the text without markup (quotes become curly quotes)."""
    out = []
    for node in nodes:
        if node.kind == "str" or node.kind in ("code", "math"):
            out.append(node.text)
        elif node.kind == "space":
            out.append(" ")
        elif node.kind == "quoted":
            out.append("“" + to_plain(node.children) + "”")
        else:
            out.append(to_plain(node.children))
    return "".join(out)


_TAGS = {"emph": ("<i>", "</i>"), "strong": ("<b>", "</b>"), "sup": ("<sup>", "</sup>"),
         "sub": ("<sub>", "</sub>"), "sc": ('<span style="font-variant:small-caps;">', "</span>"),
         "underline": ("<u>", "</u>")}


def escape(text: str) -> str:
    """Text as CSL rich text: ``&``, ``<`` and ``>`` as entities, so that the only tags in
    the rich text are the markup this module writes (a title's literal "<b>" stays text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_csl(nodes: list[Node], depth: int = 0) -> str:
    """CSL-JSON rich text, as Pandoc's csljson writer prints it (nocase spans are not kept),
    except that ``&``, ``<`` and ``>`` in the text are written as entities (``escape``)."""
    out = []
    for node in nodes:
        if node.kind == "str" or node.kind == "code":
            out.append(escape(node.text))
        elif node.kind == "space":
            out.append(" ")
        elif node.kind == "math":
            out.append(f"${escape(node.text)}$")
        elif node.kind == "quoted":
            open_, close = ("“", "”") if depth % 2 == 0 else ("‘", "’")
            out.append(open_ + to_csl(node.children, depth + 1) + close)
        elif node.kind in _TAGS:
            start, end = _TAGS[node.kind]
            out.append(start + to_csl(node.children, depth) + end)
        else:
            out.append(to_csl(node.children, depth))
    return "".join(out)


def split_when(text: str, apart) -> list[str]:
    """Pandoc's ``splitStrWhen``: every character for which ``apart`` holds becomes a piece of its own."""
    pieces, word = [], ""
    for ch in text:
        if apart(ch):
            if word:
                pieces.append(word)
            pieces.append(ch)
            word = ""
        else:
            word += ch
    return [*pieces, word] if word else pieces
