"""Names in a BibTeX field, read as biblatex reads them, into CSL names.

First von Last, von Last, First and von Last, Jr, First; the extended ``family=…, given=…``
form; a name that is one braced group is kept whole (a corporate author); a particle is a
dropping particle unless ``useprefix`` is set, as in Pandoc.
"""

from __future__ import annotations

from .latex import Node, split_when, to_plain, trim


def names(nodes: list[Node], useprefix: bool = False, juniorcomma: bool = False) -> list[dict]:
    """A name list (``A and B and others``) as CSL names, with biblatex's reading of
    First von Last / von Last, First / von Last, Jr, First and the extended
    ``family=…, given=…`` form.  A name that is one braced group is kept whole."""
    out = []
    for name in _split_and(nodes):
        parsed = _name(_space_after_initials(name), useprefix, juniorcomma)
        if parsed:
            out.append(parsed)
    return out


def literal_list(nodes: list[Node]) -> list[list[Node]]:
    """A biblatex literal list (publishers, places): parts separated by a top-level ``and``."""
    return _split_and(nodes)


def _split_and(nodes: list[Node]) -> list[list[Node]]:
    parts: list[list[Node]] = [[]]
    i = 0
    while i < len(nodes):
        if (nodes[i].kind == "space" and i + 2 < len(nodes) and nodes[i + 1].kind == "str"
                and nodes[i + 1].text == "and" and nodes[i + 2].kind == "space"):
            parts.append([])
            i += 3
            continue
        parts[-1].append(nodes[i])
        i += 1
    return parts


def _space_after_initials(nodes: list[Node]) -> list[Node]:
    """"J.G. Smith" reads like "J. G. Smith" (Pandoc's addSpaceAfterPeriod)."""
    out: list[Node] = []
    for node in nodes:
        if node.kind != "str":
            out.append(node)
            continue
        pieces = split_when(node.text, lambda ch: ch == ".")
        i = 0
        while i < len(pieces):
            out.append(Node("str", pieces[i]))
            if (i + 2 < len(pieces) and pieces[i + 1] == "." and len(pieces[i]) == 1 and len(pieces[i + 2]) >= 1
                    and pieces[i][0].isupper() and pieces[i + 2][0].isupper() and pieces[i + 2][0].isalpha()
                    and pieces[i][0].isalpha()):
                out.append(Node("str", "."))
                out.append(Node("space"))
                i += 2
                continue
            i += 1
    return out


def _name(nodes: list[Node], useprefix: bool, juniorcomma: bool) -> dict | None:
    nodes = trim(nodes)
    if not nodes:
        return None
    if len(nodes) == 1 and nodes[0].kind == "str" and nodes[0].text == "others":
        return {"literal": "others"}
    if len(nodes) == 1 and nodes[0].kind == "group":
        return {"literal": to_plain(nodes[0].children)}
    tokens: list[Node] = []
    for node in nodes:
        if node.kind == "str":
            tokens.extend(Node("str", p) for p in split_when(node.text, lambda ch: ch in ",\u00a0"))
        else:
            tokens.append(node)
    if tokens[0].kind == "str" and "=" in nodes[0].text:
        return _extended_name(tokens)
    comma_parts: list[list[list[Node]]] = [[]]
    word: list[Node] = []
    for tok in [*tokens, Node("str", ",")]:
        if tok.kind == "str" and tok.text == ",":
            if word:
                comma_parts[-1].append(word)
            word = []
            comma_parts.append([])
        elif tok.kind == "space" or (tok.kind == "str" and tok.text == "\u00a0"):
            if word:
                comma_parts[-1].append(word)
            word = []
        else:
            word.append(tok)
    comma_parts = comma_parts[:-1]
    jr: list[list[Node]] = []
    if len(comma_parts) == 1:
        words = comma_parts[0]
        k = 0
        while k < len(words) and _capitalized(words[k]):
            k += 1
        caps, rest = words[:k], words[k:]
        first, vonlast = (caps[:-1], [caps[-1]]) if not rest and caps else (caps, rest)
    elif len(comma_parts) == 2:
        vonlast, first = comma_parts
    else:
        vonlast, jr, first = comma_parts[0], comma_parts[1], comma_parts[2]
    k = 0
    while k < len(vonlast) and not _capitalized(vonlast[k]):
        k += 1
    von, last = (vonlast[:-1], vonlast[-1:]) if vonlast and k == len(vonlast) else (vonlast[:k], vonlast[k:])

    def join(words):
        return " ".join(to_plain(w) for w in words)

    name: dict = {}
    if join(last):
        name["family"] = join(last)
    if join(first):
        name["given"] = join(first)
    if join(von):
        name["non-dropping-particle" if useprefix else "dropping-particle"] = join(von)
    if join(jr):
        name["suffix"] = join(jr)
    if juniorcomma:
        name["comma-suffix"] = True
    return name


def _capitalized(word: list[Node]) -> bool:
    """Pandoc's isCapitalized: the first letter of the word's text (groups skipped) is upper case."""
    for node in word:
        if node.kind != "str":
            continue
        for ch in node.text:
            if ch.isdigit():
                continue
            return ch.isupper()
    return True


def _extended_name(tokens: list[Node]) -> dict:
    parts: list[list[Node]] = [[]]
    for tok in tokens:
        if tok.kind == "str" and tok.text == ",":
            parts.append([])
        elif tok.kind == "str":
            for piece in split_when(tok.text, lambda ch: ch in "=\u00a0"):
                parts[-1].append(Node("str", piece))
        else:
            parts[-1].append(tok)
    name: dict = {}
    prefix = None
    for part in parts:
        while part and part[0].kind == "space":
            part = part[1:]
        if len(part) < 2 or part[0].kind != "str" or part[1].text != "=":
            continue
        key, value = part[0].text, to_plain(part[2:])
        if key == "given":
            name["given"] = f"{name['given']} {value}" if "given" in name else value
        elif key == "family":
            name["family"] = value
        elif key == "prefix":
            name["dropping-particle"] = value
            prefix = value
        elif key == "useprefix" and value.startswith("true"):
            name.pop("dropping-particle", None)
            if prefix is not None:
                name["non-dropping-particle"] = prefix
        elif key == "suffix":
            name["suffix"] = value
    return name
