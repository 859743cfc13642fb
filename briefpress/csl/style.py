"""Style loading (spec: "Style Structure"): the parsed style and its inheritable options.

A ``Style`` holds the lxml tree and the pieces rendering looks up often: macros by name,
the citation and bibliography elements, their layouts and sort keys, and the inheritable
name options of the style, citation and bibliography elements.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from .locale import NS, Locale

# Name options that ``cs:style``, ``cs:citation`` and ``cs:bibliography`` may set for every
# ``cs:name`` and ``cs:names`` below them (spec: "Inheritable Name Options").
NAME_OPTIONS = (
    "and", "delimiter-precedes-et-al", "delimiter-precedes-last", "et-al-min", "et-al-use-first",
    "et-al-use-last", "et-al-subsequent-min", "et-al-subsequent-use-first", "initialize",
    "initialize-with", "name-as-sort-order", "sort-separator", "name-form", "name-delimiter",
    "names-delimiter",
)


class StyleError(ValueError):
    pass


class CslElement(etree.ElementBase):
    """An element of a parsed style.  A ``Style`` keeps every one of its elements alive, so
    what is worked out once per element (its name, its children, see ``Style.__init__``)
    stays on it; rendering asks for both all the time."""


def local(el) -> str:
    """An element's name without the CSL namespace ("" for comments and the like)."""
    try:
        return el.csl_name
    except AttributeError:
        tag = el.tag
        return tag[tag.rfind("}") + 1:] if isinstance(tag, str) else ""


def children(el):
    try:
        return el.csl_children
    except AttributeError:
        return [c for c in el if isinstance(c.tag, str)]


class Style:
    def __init__(self, root):
        if local(root) != "style":
            raise StyleError("not a CSL style: the root element is not <style>")
        self.root = root
        # Keep every element's proxy alive, with its name and children worked out once.
        self.elements = list(root.iter())
        for el in self.elements:
            if isinstance(el, CslElement):
                el.csl_name = local(el)
                el.csl_children = [c for c in el if isinstance(c.tag, str)]
        self.cls = root.get("class", "in-text")
        self.default_locale = root.get("default-locale", "")
        self.demote_particle = root.get("demote-non-dropping-particle", "display-and-sort")
        self.initialize_with_hyphen = root.get("initialize-with-hyphen", "true") == "true"
        self.page_range_format = root.get("page-range-format", "")
        self.macros = {m.get("name"): m for m in root.iter(NS + "macro")}
        undefined = [f"line {el.sourceline}: undefined macro '{el.get('macro')}'" for el in self.elements
                     if isinstance(el.tag, str) and el.get("macro") is not None and local(el) != "macro"
                     and el.get("macro") not in self.macros]
        if undefined:
            error = StyleError("; ".join(undefined))
            error.line = int(undefined[0].split()[1].rstrip(":"))
            raise error
        self.locales = [el for el in children(root) if local(el) == "locale"]
        self.citation = root.find(NS + "citation")
        self.bibliography = root.find(NS + "bibliography")
        self.options = _name_options(root)
        # Whether cites render differently by position (first, subsequent, ibid).
        self.tests_position = any(isinstance(el.tag, str) and el.get("position") for el in self.elements)
        self._layouts: dict = {}

    @classmethod
    def from_string(cls, text: str) -> Style:
        parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)
        parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=CslElement))
        return cls(etree.fromstring(text.encode("utf-8"), parser))

    @classmethod
    def from_path(cls, path: str | Path) -> Style:
        return cls.from_string(Path(path).read_text(encoding="utf-8"))

    def locale(self, lang: str = "") -> Locale:
        return Locale(lang or self.default_locale or "en-US", self.locales)

    def section(self, mode: str):
        return self.citation if mode == "citation" else self.bibliography

    def layout(self, mode: str):
        try:
            return self._layouts[mode]
        except KeyError:
            sec = self.section(mode)
            found = self._layouts[mode] = sec.find(NS + "layout") if sec is not None else None
            return found

    def sort_keys(self, mode: str) -> list:
        sec = self.section(mode)
        sort = sec.find(NS + "sort") if sec is not None else None
        return [] if sort is None else children(sort)

    def name_options(self, mode: str) -> dict:
        """Inherited name options in force in a section: the style's, overridden by the
        section's own."""
        opts = dict(self.options)
        sec = self.section(mode)
        if sec is not None:
            opts.update(_name_options(sec))
        return opts

    def variables(self, el) -> frozenset:
        """Every variable an element may render, through the macros it calls."""
        try:
            return el.csl_variables
        except AttributeError:
            pass
        found = self._variables(el, 0, {})
        if isinstance(el, CslElement):
            el.csl_variables = found
        return found

    def _variables(self, el, depth: int, macros: dict) -> frozenset:
        found: set = set()
        if depth > 20:  # a macro that calls itself
            return frozenset()
        for node in el.iter():
            if not isinstance(node.tag, str):
                continue
            found.update(node.get("variable", "").split())
            macro = node.get("macro")
            if macro and macro in self.macros:
                if macro not in macros:
                    macros[macro] = self._variables(self.macros[macro], depth + 1, macros)
                found |= macros[macro]
        return frozenset(found)

    def section_option(self, mode: str, name: str, default=None):
        sec = self.section(mode)
        return sec.get(name, default) if sec is not None else default


def _name_options(el) -> dict:
    return {k: el.get(k) for k in NAME_OPTIONS if el.get(k) is not None}
