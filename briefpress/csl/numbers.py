"""Numbers, labels and page ranges (spec: "Number", "Label", "Page Ranges").

Number variables may hold several numbers ("2-4", "2, 5 & 7"); each number is formatted on
its own (numeric, ordinal, long-ordinal, roman) and the separators kept, hyphens in ranges
becoming en dashes.  A label is plural when its variable holds more than one number.
"""

from __future__ import annotations

import re

from .ir import Output, Text, decorate
from .markup import decode_entities

_PARTS = re.compile(r"(\s*(?:[-\u2013,&]|\band\b)\s*)")
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
          (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def roman(n: int) -> str:
    out = []
    for value, letters in _ROMAN:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def ordinal(n: int, locale, gender: str = "") -> str:
    """The ordinal suffix term for n (CSL 1.0.1 ordinal matching rules)."""
    candidates = []
    if n < 100:
        candidates.append((f"ordinal-{n:02d}", "whole-number"))
    candidates.append((f"ordinal-{n % 100:02d}", "last-two-digits"))
    candidates.append((f"ordinal-{n % 10:02d}", "last-digit"))
    for name, _ in candidates:
        for g in ((gender, "") if gender else ("",)):
            t = locale.terms.get((name, "long", g))
            if t is None:
                continue
            # Without a match attribute, ordinal-00…09 match the last digit, 10…99 the last two.
            match = t.match or ("last-two-digits" if name[-2] != "0" else "last-digit")
            if match == "whole-number" and int(name[-2:]) != n:
                continue
            if match == "last-two-digits" and int(name[-2:]) != n % 100:
                continue
            if match == "last-digit" and int(name[-2:]) != n % 10:
                continue
            return t.single
    return locale.term("ordinal") or ""


def format_number(n: int, form: str, locale, gender: str = "") -> str:
    if form == "ordinal":
        return f"{n}{ordinal(n, locale, gender)}"
    if form == "long-ordinal":
        if 1 <= n <= 10:
            t = locale.find(f"long-ordinal-{n:02d}", "long", gender)
            if t is not None:
                return t.single
        return f"{n}{ordinal(n, locale, gender)}"
    if form == "roman":
        return roman(n) if 0 < n < 4000 else str(n)
    return str(n)


def _gender(variable: str, ctx) -> str:
    term = {"edition": "edition", "issue": "issue", "volume": "volume", "page": "page",
            "chapter-number": "chapter", "number": "number"}.get(variable, variable)
    t = ctx.locale.find(term)
    return t.gender if t is not None else ""


def render_number(el, ctx):
    variable = el.get("variable")
    ctx.called += 1
    value = ctx.value(variable)
    if value is None:
        return None
    ctx.rendered += 1
    text = decode_entities(str(value))  # printed as text, not read as rich text
    form = el.get("form", "numeric")
    pieces = _PARTS.split(text)
    if all(re.fullmatch(r"\d+", p) for p in pieces[::2]):
        gender = _gender(variable, ctx)
        out = []
        for i, p in enumerate(pieces):
            if i % 2 == 0:
                out.append(format_number(int(p), form, ctx.locale, gender))
            else:
                sep = p.strip()
                out.append("\u2013" if sep in ("-", "\u2013") else (sep + " " if sep == "," else f" {sep} "))
        text = "".join(out)
    node = Output([Text(text)])
    return decorate(node, el)


def is_plural(value, locale=None) -> bool:
    if isinstance(value, int):
        return False
    words = [r"[-\u2013,&]"]
    and_term = locale.term("and") if locale is not None else None
    if and_term:
        words.append(r"\s" + re.escape(and_term) + r"\s")
    words.append(r"\sand\s")
    text = decode_entities(str(value)).replace("\\-", "")
    pieces = [p for p in re.split("|".join(f"(?<!\\\\){w}" for w in words), text) if p.strip()]
    # Several pieces of which one at least is a number: "EU-29702195U" and "3, Spring" are
    # plural (as in pandoc's citeproc), "Michaelson-Morely" is not (CSL suite).
    return len(pieces) > 1 and any(re.search(r"\d", p) or re.fullmatch(r"\s*[ivxlcdm]+\s*", p, re.IGNORECASE)
                                   for p in pieces)


def render_label(el, ctx, variable: str | None = None):
    variable = variable or el.get("variable")
    if variable == "locator":
        if not ctx.cite.get("locator"):
            return None
        # CSL 1.0.1's "sub verbo" is the term "sub-verbo" in today's locales.
        term_name = ctx.cite.get("label", "page").replace("sub verbo", "sub-verbo")
        value = ctx.cite.get("locator")
    else:
        value = ctx.value(variable)
        if value is None:
            return None
        term_name = variable
    plural = el.get("plural", "contextual")
    if plural == "contextual":
        if variable in ("number-of-pages", "number-of-volumes"):
            try:
                many = int(str(value).strip()) > 1
            except ValueError:
                many = is_plural(value, ctx.locale)
        else:
            many = is_plural(value, ctx.locale)
    else:
        many = plural == "always"
    text = ctx.locale.term(term_name, el.get("form", "long"), many)
    if not text:
        return None
    return decorate(Output([Text(text)], tag="label"), el)


def number_range(value: str, variable: str = "") -> str:
    """A plain range of numbers in a number variable ("3-4" as an issue) takes an en dash.
    A ``number`` is an identifier (report "99-02", patent "EU-29702195U") and keeps its
    hyphen, as in pandoc's citeproc."""
    if variable == "number":
        return value
    return re.sub(r"^(\d+)\s*-\s*(\d+)$", "\\1\u2013\\2", value.strip()) if "-" in value else value


# A range of two page numbers, each with an optional prefix that ends in a letter ("N110",
# "8n11564", "123N110").
_RANGE = re.compile(r"(?<![\\\w])((?:\w*[A-Za-z])?)(\d+)\s*(?<!\\)[-\u2013]\s*((?:\w*[A-Za-z])?)(\d+)(?!\w)")
_ROMAN_RANGE = re.compile(r"\b([ivxlcdm]+)\s*-\s*([ivxlcdm]+)\b", re.IGNORECASE)


def page_range(value: str, fmt: str, locale) -> str:
    """Apply page-range-format to every range in a page value; hyphens become en dashes.
    Ranges whose two ends carry different letter prefixes are left as written, and an
    escaped hyphen (``\\-``) is kept as a hyphen and is no range."""
    delim = locale.term("page-range-delimiter") or "\u2013"

    def fix(m):
        p1, first, p2, last = m.group(1), m.group(2), m.group(3), m.group(4)
        if p1 != p2:  # prefixes that differ make no range: left as written, unspaced
            return f"{p1}{first}-{p2}{last}"
        if not fmt:
            return f"{p1}{first}{delim}{p2}{last}"
        if fmt != "expanded":
            p2 = ""
        if len(last) < len(first):
            last = first[: len(first) - len(last)] + last
        if int(last) < int(first):
            return m.group(0)
        return f"{p1}{first}{delim}{p2}{_collapse(first, last, fmt)}"

    value = _RANGE.sub(fix, value)
    value = _ROMAN_RANGE.sub(lambda m: f"{m.group(1)}{delim}{m.group(2)}", value)
    # "213 & 235": the ampersand between numbers is the locale's "and" symbol.
    symbol = locale.terms.get(("and", "symbol", ""))
    if symbol is not None and symbol.single != "&":
        value = re.sub(r"(?<=\d)\s*&(?:amp;)?\s*(?=\d)", f" {symbol.single} ", value)
    return value.replace("\\-", "-")


def _collapse(first: str, last: str, fmt: str) -> str:
    if len(first) != len(last) or fmt == "expanded":
        return last
    if fmt == "minimal":
        i = 0
        while i < len(first) - 1 and first[i] == last[i]:
            i += 1
        return last[i:]
    if fmt == "minimal-two":
        i = 0
        while i < len(first) - 2 and first[i] == last[i]:
            i += 1
        return last[i:]
    if fmt in ("chicago", "chicago-15", "chicago-16"):
        n = int(first)
        if n < 100 or n % 100 == 0:
            return last
        if n % 100 < 10:
            return _collapse(first, last, "minimal")
        short = _collapse(first, last, "minimal-two")
        if fmt != "chicago-16" and len(first) == 4 and len(short) >= 3:
            return last
        return short
    return last
