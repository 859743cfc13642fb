"""The intermediate representation: what rendering produces and output formats print.

Rendering never builds strings with markup.  Every element yields an ``Output`` node that
keeps its affixes, formatting, quotes, text-case and display apart from its content, so that
punctuation-in-quote, nested-quote flipping, duplicate-punctuation removal, text-case and
escaping are decided once, at output, with the whole citation in view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Formatting attributes of CSL that change how text looks (spec: "Formatting").
FORMATTING = ("font-style", "font-variant", "font-weight", "text-decoration", "vertical-align")


@dataclass
class Text:
    """A run of plain (unescaped) text; ``nocase`` shields it from text-case."""

    text: str
    nocase: bool = False

    def plain(self) -> str:
        return self.text

    def empty(self) -> bool:
        return not self.text


@dataclass
class Output:
    """A rendered element: children joined by ``delimiter``, inside formatting and quotes,
    inside the affixes."""

    children: list = field(default_factory=list)
    prefix: str = ""
    suffix: str = ""
    delimiter: str = ""
    formatting: dict = field(default_factory=dict)
    quotes: bool = False
    display: str = ""
    strip_periods: bool = False
    text_case: str = ""
    tag: str = ""  # what produced it ("date", "names", "year-suffix", ...), for later passes

    def live(self) -> list:
        return [c for c in self.children if not c.empty()]

    def empty(self) -> bool:
        # The hottest question of rendering: asked of every node, at every level.
        for c in self.children:
            if c.__class__ is Text:
                if c.text:
                    return False
            elif not c.empty():
                return False
        return True

    def plain(self) -> str:
        """The text without markup: for sort keys, comparisons and disambiguation."""
        inner = self.delimiter.join(c.plain() for c in self.live())
        if not inner:
            return ""
        if self.quotes:
            inner = "\u201c" + inner + "\u201d"
        return self.prefix + inner + self.suffix


def clone(node):
    """A deep copy of a rendered tree, for passes that change it in place (collapsing,
    text-case at output) to work on while the original stays cached."""
    new = node.__class__.__new__(node.__class__)
    new.__dict__.update(node.__dict__)
    if node.__class__ is not Text:
        new.children = [clone(c) for c in node.children]
        new.formatting = dict(node.formatting)
    return new


def leaves(node) -> list[Text]:
    """The text runs under a node, in order (affixes excluded)."""
    if isinstance(node, Text):
        return [node]
    out = []
    for child in node.children:
        out.extend(leaves(child))
    return out


def first_tagged(node, tag: str):
    """The first node (depth first) produced by ``tag``, or None."""
    if isinstance(node, Output):
        if node.tag == tag:
            return node
        for child in node.children:
            found = first_tagged(child, tag)
            if found is not None:
                return found
    return None


def all_tagged(node, tag: str) -> list:
    """The outermost nodes produced by ``tag``, in order."""
    if not isinstance(node, Output):
        return []
    if node.tag == tag:
        return [node]
    return [n for child in node.children for n in all_tagged(child, tag)]


def decorate(node: Output, element) -> Output:
    """Copy affixes, formatting, quotes, display, strip-periods and text-case of a CSL
    element (an lxml element or a dict of attributes) onto a rendered node."""
    get = element.get
    node.prefix = get("prefix", "") or node.prefix
    node.suffix = get("suffix", "") or node.suffix
    for name in FORMATTING:
        value = get(name)
        if value:
            node.formatting[name] = value
    if get("quotes") == "true":
        node.quotes = True
    if get("display"):
        node.display = get("display")
    if get("strip-periods") == "true":
        node.strip_periods = True
    if get("text-case"):
        node.text_case = get("text-case")
    return node
