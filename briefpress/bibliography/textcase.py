"""Sentence case for BibTeX titles, as Pandoc applies it to English entries.

Pandoc's biblatex reader puts every title of an English entry in sentence case (its
``unTitlecase``: citeproc's ``withSentenceCase`` with braced groups protected), so that a style
can title-case it again.  A group without a lowercase word loses its protection afterwards,
as in Pandoc's ``protectCase``.
"""

from __future__ import annotations

import unicodedata

from .latex import Node, split_when

_SENTENCE_END = ".?!:"
_WORD_BREAK = "-/\u2013\u2014"


def sentence_case(nodes: list[Node]) -> list[Node]:
    """A title in sentence case; braced groups keep their case (a group without a lowercase
    word loses its protection afterwards, as in Pandoc's ``protectCase``)."""
    nodes = _protect(nodes)
    state = ["start"]
    last = nodes[-1] if len(nodes) > 1 and nodes[-1].kind == "str" else None
    if last is not None and any(c in _WORD_BREAK or c.isspace() for c in last.text):
        last = None
    body = [_case(node, state) for node in (nodes[:-1] if last is not None else nodes)]
    if last is not None:
        # citeproc marks the last word (title case treats it apart); it is no longer a sentence start.
        if state[0] in ("word-end", "start-sentence", "start"):
            state[0] = "before-last"
        body.append(_case(last, state))
    return _unprotect(body)


def _protect(nodes: list[Node]) -> list[Node]:
    out = []
    for node in nodes:
        children = _protect(node.children) if node.children else node.children
        out.append(Node("nocase" if node.kind == "group" else node.kind, node.text, children))
    return out


def _unprotect(nodes: list[Node]) -> list[Node]:
    out = []
    for node in nodes:
        children = _unprotect(node.children) if node.children else node.children
        kind = node.kind
        if kind == "nocase" and not _has_lowercase_word(node.children):
            kind = "group"
        out.append(Node(kind, node.text, children))
    return out


def _has_lowercase_word(nodes: list[Node]) -> bool:
    for node in nodes:
        if node.kind == "str":
            for piece in split_when(node.text, lambda ch: unicodedata.category(ch).startswith("P")):
                if piece[:1].islower():
                    return True
    return False


def _case(node: Node, state: list[str]) -> Node:
    if node.kind == "str":
        return Node("str", "".join(_case_chunk(chunk, state) for chunk in _chunks(node.text)))
    if node.kind == "space":
        _case_chunk(" ", state)
        return node
    if node.kind in ("nocase", "sc", "sup", "sub"):
        if node.kind == "nocase" and state[0] == "word-char":
            node = Node("group", children=node.children)
        _case_chunk(_strs(node), state)  # only to move the state along
        return node
    if node.children:
        return Node(node.kind, node.text, [_case(child, state) for child in node.children])
    return node


def _strs(node: Node) -> str:
    return "".join(n.text if n.kind == "str" else _strs(n) for n in node.children)


def _case_chunk(chunk: str, state: list[str]) -> str:
    before = state[0]
    if chunk:
        last = chunk[-1]
        if last in _SENTENCE_END:
            state[0] = "after-end"
        elif last.isalnum():
            state[0] = "word-char"
        elif last.isspace() and before == "after-end":
            state[0] = "start-sentence"
        elif last.isspace() or last in _WORD_BREAK:
            state[0] = "word-end"
        else:
            state[0] = "punct"
    if not chunk or not all(c.isalnum() for c in chunk):
        return chunk
    starting = before in ("start", "start-sentence")
    capitalized = chunk[0].isupper() and all(c.islower() for c in chunk[1:])
    if capitalized and not starting:
        return chunk.lower()
    if starting and (capitalized or all(c.islower() for c in chunk)):
        low = chunk.lower()
        return low[0].upper() + low[1:]
    return chunk


def _chunks(text: str) -> list[str]:
    """citeproc's ``splitUp``: runs of ASCII alphanumerics, of other alphanumerics, of spaces;
    every other character alone."""
    chunks: list[str] = []
    for ch in text:
        if chunks and _same(chunks[-1][-1], ch):
            chunks[-1] += ch
        else:
            chunks.append(ch)
    return chunks


def _same(c: str, d: str) -> bool:
    if c.isalnum() and d.isalnum():
        return c.isascii() == d.isascii()
    return c.isspace() and d.isspace()
