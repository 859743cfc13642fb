"""Locales (spec: "Locale"): terms, localized dates, style options.

Locale files come from citeproc-py's data folder; a style's own ``cs:locale`` elements
override them, in the spec's order of precedence (the style's locale for the exact
language, for its base language, the style's unlabelled locale, then the locale files for
the exact language, its primary dialect and finally en-US).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from lxml import etree

NS = "{http://purl.org/net/xbiblio/csl}"
LOCALES = Path(importlib.util.find_spec("citeproc").origin).parent / "data" / "locales"  # data only: not imported

PRIMARY_DIALECTS = {
    "af": "af-ZA", "ar": "ar", "bg": "bg-BG", "ca": "ca-AD", "cs": "cs-CZ", "cy": "cy-GB",
    "da": "da-DK", "de": "de-DE", "el": "el-GR", "en": "en-US", "es": "es-ES", "et": "et-EE",
    "eu": "eu", "fa": "fa-IR", "fi": "fi-FI", "fr": "fr-FR", "he": "he-IL", "hr": "hr-HR",
    "hu": "hu-HU", "id": "id-ID", "is": "is-IS", "it": "it-IT", "ja": "ja-JP", "km": "km-KH",
    "ko": "ko-KR", "la": "la", "lt": "lt-LT", "lv": "lv-LV", "mn": "mn-MN", "nb": "nb-NO",
    "nl": "nl-NL", "nn": "nn-NO", "pl": "pl-PL", "pt": "pt-PT", "ro": "ro-RO", "ru": "ru-RU",
    "sk": "sk-SK", "sl": "sl-SI", "sr": "sr-RS", "sv": "sv-SE", "th": "th-TH", "tr": "tr-TR",
    "uk": "uk-UA", "vi": "vi-VN", "zh": "zh-CN",
}

FORM_FALLBACK = {"verb-short": ("verb-short", "verb", "long"), "symbol": ("symbol", "short", "long"),
                 "short": ("short", "long"), "verb": ("verb", "long"), "long": ("long",)}


@cache
def _locale_file(lang: str):
    path = LOCALES / f"locales-{lang}.xml"
    return etree.parse(str(path)).getroot() if path.is_file() else None


@cache
def _file_layers(lang: str):
    merged = Locale.__new__(Locale)
    merged.terms, merged.dates, merged.options = {}, {}, {}
    base = lang.split("-")[0]
    layers = []
    for name in ("en-US", PRIMARY_DIALECTS.get(base, base), lang):
        root = _locale_file(name)
        if root is not None and root not in layers:
            layers.append(root)
    for layer in layers:
        merged._merge(layer)
    return merged.terms, merged.dates, merged.options


class Term:
    __slots__ = ("gender", "gender_form", "match", "multiple", "single")

    def __init__(self, single, multiple, gender="", gender_form="", match=""):
        self.single, self.multiple = single, multiple
        self.gender, self.gender_form, self.match = gender, gender_form, match


class Locale:
    """The merged terms, dates and options in force for one style and language."""

    def __init__(self, lang: str, style_locales: list):
        self.lang = lang
        base = lang.split("-")[0]
        # The locale files' merged terms are shared; the style's own locales go on top.
        terms, dates, options = _file_layers(lang)
        self.terms: dict[tuple[str, str, str], Term] = dict(terms)  # (name, form, gender-form)
        self.dates: dict[str, object] = dict(dates)
        self.options: dict[str, str] = dict(options)
        for wanted in ("", base, lang):
            for loc in style_locales:
                code = loc.get("{http://www.w3.org/XML/1998/namespace}lang", "")
                if code == wanted:
                    self._merge(loc)

    def _merge(self, root) -> None:
        ordinals_replaced = False
        for el in root:
            tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
            if tag == "style-options":
                self.options.update(el.attrib)
            elif tag == "date":
                self.dates[el.get("form")] = el
            elif tag == "terms":
                for term in el.iter(NS + "term"):
                    name = term.get("name")
                    # A style that defines any ordinal term replaces the whole ordinal set.
                    if name.startswith("ordinal") and not ordinals_replaced and root.tag == NS + "locale" \
                            and root.getparent() is not None:
                        for key in [k for k in self.terms if k[0].startswith("ordinal")]:
                            del self.terms[key]
                        ordinals_replaced = True
                    single = term.find(NS + "single")
                    multiple = term.find(NS + "multiple")
                    if single is not None or multiple is not None:
                        s = single.text or "" if single is not None else ""
                        m = multiple.text or "" if multiple is not None else s
                    else:
                        s = m = term.text or ""
                    # A term element holding nothing but a line break and indentation is empty.
                    s, m = ("" if "\n" in t and not t.strip() else t for t in (s, m))
                    self.terms[(name, term.get("form", "long"), term.get("gender-form", ""))] = Term(
                        s, m, term.get("gender", ""), term.get("gender-form", ""), term.get("match", ""))

    def term(self, name: str, form: str = "long", plural: bool = False, gender: str = ""):
        """The term's text, or None when the locale has no such term."""
        t = self.find(name, form, gender)
        if t is None:
            return None
        return t.multiple if plural else t.single

    def find(self, name: str, form: str = "long", gender: str = ""):
        for f in FORM_FALLBACK.get(form, (form, "long")):
            for g in ((gender, "") if gender else ("",)):
                t = self.terms.get((name, f, g))
                if t is not None:
                    return t
        return None

    def option(self, name: str, default: str = "") -> str:
        return self.options.get(name, default)

    def quote_terms(self):
        from .output import Quotes

        return Quotes((self.term("open-quote") or "\u201c", self.term("close-quote") or "\u201d"),
                      (self.term("open-inner-quote") or "\u2018", self.term("close-inner-quote") or "\u2019"),
                      self.option("punctuation-in-quote") == "true")
