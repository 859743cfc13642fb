"""Names (spec: "Names", "Name", "Name-part Order", "Et-al", "Substitute", "Label").

``render_names`` handles the ``cs:names`` element: its variables (editor and translator
merged when equal), the label, et-al truncation and ``cs:substitute``.  ``NameFormat`` turns
one CSL-JSON name into its parts in the order the options ask for: long or short, inverted
for ``name-as-sort-order``, initialized, with particles and suffixes where they belong.
"""

from __future__ import annotations

import re

from .ir import Output, Text, decorate
from .markup import rich
from .style import children, local

_CJK = re.compile(r"[\u0590-\u05ff\u0600-\u06ff\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _opts(ctx, name_el) -> dict:
    opts = dict(ctx.name_options)
    if "name-form" in opts:
        opts.setdefault("form", opts["name-form"])
    if "name-delimiter" in opts:
        opts.setdefault("delimiter", opts["name-delimiter"])
    if name_el is not None:
        opts.update(name_el.attrib)
    return opts


def _parts(el):
    found = {"name": None, "et-al": None, "label": None, "substitute": None, "label_after": True}
    for child in children(el):
        tag = local(child)
        if tag == "label" and found["name"] is None:
            found["label_after"] = False
        if tag in found:
            found[tag] = child
    return found


def render_names(el, ctx):
    ctx.names_depth += 1
    try:
        node = _render_names(el, ctx)
    finally:
        ctx.names_depth -= 1
    # suppress-author drops what the first (outermost) names element renders, substitutes
    # included.
    if node is not None and ctx.suppress_author and not ctx.names_seen and not ctx.sorting \
            and ctx.names_depth == 0:
        ctx.names_seen = True
        return None
    return node


def _render_names(el, ctx):
    parts = _parts(el)
    inherited = ctx.substitute_names
    if inherited:
        # A names element under cs:substitute (through choose and macros too) takes the
        # name, et-al and label it does not set from the names it stands in for.
        if parts["name"] is None or parts["label"] is None:
            parts["label_after"] = inherited["label_after"]
        for k in ("name", "et-al", "label"):
            if parts[k] is None:
                parts[k] = inherited[k]
    ctx.called += 1
    variables = [v for v in el.get("variable", "").split() if ctx.value(v)]
    names_delim = el.get("delimiter", ctx.name_options.get("names-delimiter", ""))
    groups = []
    label = parts["label"]
    combined = label is None or ctx.locale.term("editortranslator", label.get("form", "long"))
    if "editor" in variables and "translator" in variables and ctx.value("editor") == ctx.value("translator") \
            and combined:
        variables = [("editortranslator" if v == "editor" else v) for v in variables if v != "translator"]
    opts = _opts(ctx, parts["name"])
    count = 0
    for variable in variables:
        source = "editor" if variable == "editortranslator" else variable
        names = ctx.value(source)
        if not isinstance(names, list):
            continue
        rendered, n = name_list(names, opts, parts, ctx)
        count += n
        if rendered is None:
            continue
        label = parts["label"]
        if label is not None and opts.get("form") != "count" and not ctx.sorting:
            plural = label.get("plural", "contextual")
            many = len(names) > 1 if plural == "contextual" else plural == "always"
            term = ctx.locale.term(variable, label.get("form", "long"), many)
            if term:
                lab = decorate(Output([Text(term)], tag="name-label"), label)
                rendered = Output([rendered, lab] if parts["label_after"] else [lab, rendered])
        groups.append(rendered)
    if opts.get("form") == "count":
        if count:
            ctx.rendered += 1
            return decorate(Output([Text(str(count))]), el)
    elif groups:
        ctx.rendered += 1
        if ctx.substituting:  # a substituted variable is used up at once
            ctx.suppressed.update("editor" if v == "editortranslator" else v for v in variables)
            ctx.suppressed.update(["translator"] if "editortranslator" in variables else [])
        return decorate(Output(groups, delimiter=names_delim, tag="names"), el)
    substitute = parts["substitute"]
    if substitute is not None:
        for child in children(substitute):
            mark = (ctx.called, ctx.rendered)
            ctx.substituting += 1
            ctx.substitute_numbers = set()
            outer, ctx.substitute_names = ctx.substitute_names, parts
            try:
                if local(child) == "names":
                    node = render_names(child, ctx)
                else:
                    from .render import render

                    node = render(child, ctx)
            finally:
                ctx.substituting -= 1
                ctx.substitute_names = outer
            if node is not None and not node.empty():
                ctx.suppressed.update(ctx.substitute_numbers)
                ctx.called, ctx.rendered = mark[0], mark[1] + 1
                if local(child) == "names":
                    node.prefix = node.prefix or el.get("prefix", "")
                    node.suffix = node.suffix or el.get("suffix", "")
                    for k in ("font-style", "font-weight", "font-variant", "text-decoration"):
                        if el.get(k) and k not in node.formatting:
                            node.formatting[k] = el.get(k)
                    return node
                return decorate(Output([node], tag="names"), el)
            ctx.called, ctx.rendered = mark
            if local(child) == "text" and child.get("term") and \
                    ctx.locale.find(child.get("term"), child.get("form", "long")) is not None:
                return None  # a term, even an empty one, is a substitute: the only one
    return None


def name_list(names: list, opts: dict, parts: dict, ctx):
    """The names of one variable, truncated by et-al; returns (node or None, count)."""
    subsequent = ctx.mode == "citation" and ctx.cite.get("position", "first") != "first"
    et_al_min = int(opts.get("et-al-subsequent-min" if subsequent and "et-al-subsequent-min" in opts
                             else "et-al-min", 0) or 0)
    use_first = int(opts.get("et-al-subsequent-use-first" if subsequent and "et-al-subsequent-use-first" in opts
                             else "et-al-use-first", 0) or 0)
    if ctx.sorting and ctx.sort_names:
        et_al_min = int(ctx.sort_names.get("names-min", et_al_min) or 0)
        use_first = int(ctx.sort_names.get("names-use-first", use_first) or 0)
    # Without et-al-use-first anywhere, et-al-min alone truncates nothing.
    given_first = any(k in opts for k in ("et-al-use-first", "et-al-subsequent-use-first")) or \
        (ctx.sorting and "names-use-first" in ctx.sort_names)
    # BibTeX's "and others" (a last literal name "others") counts as a name for et-al-min
    # and prints as "et al." whatever the count, as in pandoc's citeproc.
    listed = len(names)
    others = bool(names) and _is_others(names[-1])
    if others:
        names = names[:-1]
    truncated = bool(et_al_min) and given_first and listed >= et_al_min and use_first < listed
    shown = names[: use_first + ctx.add_names] if truncated else names
    if truncated and len(shown) >= len(names):
        truncated, shown = False, names
    truncated = truncated or (others and bool(names))
    if opts.get("form") == "count":
        return None, len(shown)
    if not shown:
        return None, 0
    fmt = NameFormat(opts, parts["name"], ctx)
    rendered = [fmt.render(n, i) for i, n in enumerate(shown)]
    use_last = opts.get("et-al-use-last") == "true"
    if ctx.sorting and "names-use-last" in ctx.sort_names:
        use_last = ctx.sort_names["names-use-last"] == "true"
    use_last = use_last and truncated and len(names) - len(shown) >= 2
    if ctx.sorting:  # sort keys compare name by name: no "and", no "et al."
        if use_last:
            rendered.append(fmt.render(names[-1], len(names) - 1))
        return Output(rendered, delimiter=" ", tag="name-list"), len(shown)
    delimiter = opts.get("delimiter", ", ")
    out = Output(tag="name-list")
    and_term = {"text": ctx.locale.term("and") or "and", "symbol": "&"}.get(opts.get("and", ""))
    if use_last:
        for i, r in enumerate(rendered):
            if i:
                out.children.append(Text(delimiter))
            out.children.append(r)
        out.children.append(Text(delimiter + "\u2026 "))
        out.children.append(fmt.render(names[-1], len(names) - 1))
        return out, len(shown)
    for i, r in enumerate(rendered):
        if i:
            last = i == len(rendered) - 1 and not truncated
            if last and and_term:
                dpl = opts.get("delimiter-precedes-last", "contextual")
                use = {"always": True, "never": False,
                       "contextual": len(rendered) > 2,
                       "after-inverted-name": fmt.inverted(i - 1, shown[i - 1])}.get(dpl, len(rendered) > 2)
                space = " " if _romanesque(and_term) else ""
                out.children.append(Text(delimiter if use else space))
                out.children.append(Text(and_term + space))
            else:
                out.children.append(Text(delimiter))
        out.children.append(r)
    if truncated:
        et_al = parts["et-al"]
        term = ctx.locale.term(et_al.get("term", "et-al") if et_al is not None else "et-al")
        if term:
            dpe = opts.get("delimiter-precedes-et-al", "contextual")
            use = {"always": True, "never": False, "contextual": len(rendered) > 1,
                   "after-inverted-name": fmt.inverted(len(rendered) - 1, shown[-1])}.get(dpe, len(rendered) > 1)
            out.children.append(Text(delimiter if use else (" " if _romanesque(term) else "")))
            node = Output([Text(term)])
            if et_al is not None:
                decorate(node, et_al)
            out.children.append(node)
    if parts["name"] is not None:
        name_el = parts["name"]
        out.prefix, out.suffix = name_el.get("prefix", ""), name_el.get("suffix", "")
        for k in ("font-style", "font-weight", "font-variant", "text-decoration", "vertical-align"):
            if name_el.get(k):
                out.formatting[k] = name_el.get(k)
    return out, len(shown)


def _is_others(name) -> bool:
    return isinstance(name, dict) and set(name) == {"literal"} and name["literal"].strip().lower() == "others"


# Scripts written with spaces between words (citeproc-js's "romanesque"); the Hebrew
# conjunction vav (U+05D5) is left out on purpose, as it is written joined to the next word.
_ROMANESQUE = re.compile("[-&0-9a-zA-Z\u0590-\u05d4\u05d6-\u05ff\u0080-\u017f\u0400-\u052f"
                         "\u0370-\u03ff\u1f00-\u1fff\u0600-\u06ff\u200c-\u200e\u0218-\u021b\u202a-\u202e]")


def _romanesque(term: str) -> bool:
    """Whether a term ("and", "et al.") is set off from names by spaces; "等" and "ו" are not."""
    return bool(_ROMANESQUE.search(term))


def split_particles(name: dict) -> dict:
    """Split lowercase particles out of family and given names (citeproc-js's parse-names)."""
    name = dict(name)
    if name.get("parse-names") in (False, "false"):
        return name
    family = name.get("family", "")
    if len(family) > 1 and family[0] == family[-1] == '"':
        name["family"] = family[1:-1]
        return name
    if family and "non-dropping-particle" not in name and (family[:1].islower() or family[:1] in "'\u2019"):
        m = re.match(r"^((?:['\u2019]?[a-z\u00e0-\u00ff][\w.\u2019']*\s+|d['\u2019]|[a-z]+-)+)(.+)$", family)
        if m and not m.group(2)[:1].islower():
            particle = m.group(1).strip()
            # "de' Frinkle": an apostrophe written before a space keeps the space.
            name["non-dropping-particle"] = particle + (" " if particle.endswith(("'", "\u2019")) and
                                                        m.group(1)[-1].isspace() else "")
            name["family"] = m.group(2)
    given = name.get("given", "")
    if ",!" in given and "suffix" not in name:  # "John,! Jr.": a suffix that keeps its comma
        given, _, suffix = given.partition(",!")
        name["given"], name["suffix"], name["comma-suffix"] = given.strip(), suffix.strip(), True
        given = name["given"]
    elif ", " in given and "suffix" not in name:
        given, _, rest = given.partition(", ")
        if rest[:1].islower() and "dropping-particle" not in name:
            # "Hédelin, abbé d'": a particle after a comma, printed after one
            name["dropping-particle"], name["comma-dropping-particle"] = rest.strip(), True
        else:
            name["suffix"] = rest.strip()
        name["given"] = given = given.strip()
    if given and "dropping-particle" not in name:
        m = re.match(r"^(.+?)\s+((?:[a-z][\w']*\s*)+)$", given)
        if m:
            name["given"], name["dropping-particle"] = m.group(1), m.group(2).strip()
    return name


_TAGGED = re.compile(r"^((?:<[^<>]+>)*)(.*?)((?:<[^<>]+>)*)$")


def _initial(word: str) -> str:
    """A word's initial: its first letter, and any capitals right after it ("TSerendorjiin"
    gives "Ts"), as citeproc-js does for transliterated names."""
    run = re.match(r"[^\W\d_]*", word[1:]).group()
    caps = len(run) - len(run.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return word[0] + (run[:caps].lower() if caps < len(run) else "")


def initialize(given: str, with_: str, full: bool, hyphen: bool = True) -> str:
    """Initials for a given name (spec: "initialize-with", "initialize").

    Tokens written with a period ("Ph.", "Me.", "ME.") are abbreviations already and keep
    their letters; a single capital is an initial; a whole word becomes its initial only when
    ``full`` (initialize="true"); lowercase words ("de") are kept as they are.  A hyphen
    before a lowercase letter ("Guo-ping") joins one word, and markup around a word
    ("<b>John</b>") stays around its initial.
    """
    if not hyphen:
        given = given.replace("-", " ")
    given = re.sub(r"\s*-\s*", "-", given)
    given = re.sub(r"-(?=[a-z])", "\u2060", given)  # a word joiner: no split here
    out, prev = "", ""
    for word in given.split():
        for h, chunk in enumerate(word.split("-")):
            lead, chunk, trail = _TAGGED.match(chunk).groups()
            pieces = re.findall(r"[^.]+\.?", chunk)
            for i, piece in enumerate(pieces):
                bare = piece.rstrip(".").strip()
                if not bare:
                    continue
                if piece.endswith(".") or (len(bare) == 1 and bare.isupper()):
                    text, kind = bare + with_, "initial"
                elif full and bare[0].isupper():
                    text, kind = _initial(bare.split("\u2060")[0]) + with_, "initial"
                else:
                    text, kind = bare, "word"
                if out:
                    if h and not i:
                        out = out.rstrip() + ("-" if hyphen else "")
                    elif (prev == "word" or kind == "word") and not out.endswith(" "):
                        out += " "
                if i == 0:
                    text = lead + text
                if i == len(pieces) - 1 and trail:
                    stripped = text.rstrip()
                    text = stripped + trail + text[len(stripped):]
                out += text
                prev = kind
    return out.strip().replace("\u2060", "-")


class NameFormat:
    def __init__(self, opts: dict, name_el, ctx):
        self.opts, self.ctx = opts, ctx
        self.form = opts.get("form", "long")
        self.primary = True  # disambiguation expands the names of the primary list
        self.sort_order = "all" if ctx.sorting else opts.get("name-as-sort-order", "")
        self.sort_sep = opts.get("sort-separator", ", ")
        self.init_with = opts.get("initialize-with")
        self.initialize = opts.get("initialize", "true") != "false"
        self.parts = {}
        if name_el is not None:
            for np in children(name_el):
                if local(np) == "name-part":
                    self.parts[np.get("name")] = np

    def inverted(self, index: int, name: dict | None = None) -> bool:
        if name is not None and (name.get("literal") or not name.get("given") or not name.get("family")):
            return False
        return self.form != "short" and (self.sort_order == "all" or (self.sort_order == "first" and index == 0))

    def _part(self, which: str, texts: list):
        """One name-part of joined texts, with all of its name-part's attributes."""
        texts = [t for t in texts if t]
        if not texts:
            return None
        node = rich(_join(texts))
        np = self.parts.get(which)
        if np is not None:
            decorate(node, np)
        return node

    def _piece(self, fmt: str, text: str):
        """One piece of a name (a particle, the family name) in the formatting and text-case
        of the name-part ``fmt``; the affixes belong to the whole name-part."""
        if not text:
            return None
        node = rich(text)
        np = self.parts.get(fmt)
        if np is not None:
            decorate(node, {k: v for k, v in np.attrib.items() if k not in ("prefix", "suffix")})
        return node

    def _group(self, which: str, pieces: list):
        """Pieces ``(text, fmt[, separator])`` joined by spaces (none after an apostrophe
        or a hyphen), inside the affixes of the name-part ``which`` (citeproc-js formats the
        particles apart from the names they go with)."""
        out, prev = Output(), ""
        for text, fmt, *sep in pieces:
            node = self._piece(fmt, text.rstrip()) if fmt else (Output([Text(text)]) if text else None)
            if node is None:
                continue
            if out.children:
                out.children.append(Text(sep[0] if sep else
                                         ("" if prev.endswith(("'", "\u2019", "-")) else " ")))
            out.children.append(node)
            prev = text
        if not out.children:
            return None
        np = self.parts.get(which)
        if np is not None:
            out.prefix, out.suffix = np.get("prefix", ""), np.get("suffix", "")
        return out

    def render(self, name: dict, index: int) -> Output:
        node = self._render(name, index)
        node.children = [c for c in node.children if c is not None]
        return node

    def _render(self, name: dict, index: int) -> Output:
        if name.get("literal") or not name.get("family"):
            # A name with a given name alone ("Banksy") prints it whole, like a literal.
            text = name.get("literal") or name.get("given") or ""
            node = Output([Text(text)])
            np = self.parts.get("family")
            if np is not None:
                decorate(node, np)
            return Output([node], tag="name")
        name = split_particles(name)
        family, given = name.get("family", ""), name.get("given", "")
        dp, ndp, suffix = (name.get("dropping-particle", ""), name.get("non-dropping-particle", ""),
                           name.get("suffix", ""))
        level = max(self.ctx.add_givenname, self.ctx.givenname.get(index, 0)) if self.primary else 0
        self.level = level
        init_with = self.init_with
        if given and init_with is not None and not self._expand_given():
            given = initialize(given, init_with, self.initialize, self.ctx.style.initialize_with_hyphen)
        if self.ctx.sorting:
            demote = self.ctx.style.demote_particle != "never"
            key = [family, dp, ndp, given, suffix] if demote else [ndp, family, dp, given, suffix]
            if self.form == "short":  # a short name sorts by what it shows
                key = [family, ndp] if demote else [ndp, family]
            return Output([Text(" ".join(k for k in key if k))], tag="name")
        cjk = bool(_CJK.search(family + given))
        form = self.form
        if form == "short" and level:
            form = "long"
        if cjk:
            if form == "short":
                return Output([self._part("family", [family])], tag="name")
            return Output([p for p in (self._part("family", [family]), self._part("given", [given]))
                           if p is not None], tag="name")
        if form == "short":
            return Output([self._group("family", [(ndp, "family"), (family, "family")])], tag="name")
        demote = self.ctx.style.demote_particle
        # "abbé d'" after a comma in the given name keeps its comma ("Hédelin, abbé d'").
        dp_sep = ", " if name.get("comma-dropping-particle") else " "
        if self.inverted(index):
            if demote == "display-and-sort":
                first = self._group("family", [(family, "family")])
                rest = self._group("given", [(given, "given"), (dp, "given", dp_sep), (ndp, "family")])
            else:
                first = self._group("family", [(ndp, "family"), (family, "family")])
                rest = self._group("given", [(given, "given"), (dp, "given", dp_sep)])
            node = Output([first] if first is not None else [], tag="name")
            if rest is not None:
                node.children += [Text(self.sort_sep), rest]
            if suffix:
                node.children += [Text(self.sort_sep), Text(suffix)]
            return node
        # Long form: the family name-part's affixes hold the particles and the suffix; the
        # dropping particle is formatted like the given name, the suffix not at all.
        given_part = self._group("given", [(given, "given")])
        comma = name.get("comma-suffix") in (True, "true")
        fam = self._group("family", [(dp, "given"), (ndp, "family"), (family, "family"),
                                     (suffix, "", ", " if comma else " ")])
        node = Output(tag="name")
        if given_part is not None:
            # A given name-part whose suffix ends in a space (even a no-break one) needs no other.
            spaced = given_part.suffix[-1:].isspace()
            node.children += [given_part] if spaced else [given_part, Text(" ")]
        if fam is not None:
            node.children.append(fam)
        return node

    def _expand_given(self) -> bool:
        """add-givenname at level 2 prints full given names."""
        level = getattr(self, "level", 0)
        return level >= 2 or (level == 1 and self.init_with is None)


def _join(texts: list) -> str:
    out = ""
    for t in texts:
        if not t:
            continue
        if out and not out.endswith(("'", "\u2019", "-")):
            out += " "
        out += t
    return out
