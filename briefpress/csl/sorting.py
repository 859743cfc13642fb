"""Sorting (spec: "Sorting"): sort keys from variables and macros, compared per key.

A variable key on a name variable sorts by every name in sort order; a date variable by a
zero-padded year-month-day string; a number variable numerically.  Macro keys render the
macro as plain text in sort mode (names inverted, dates as sortable strings).  Empty
variable keys sort last whichever the direction; a macro key that renders nothing is an
empty string.  Collation is by the language: its own letters in their places (Swedish å
after z), then accents, then case, as the Unicode Collation Algorithm compares them.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .dates import parse_date
from .ir import Output
from .names import NameFormat, name_list
from .output import to_plain
from .render import DATE_VARIABLES, NUMBER_VARIABLES, Context, render_children

# Letters a language sorts apart from the Latin letter they carry an accent on, and where:
# just after the letter named (the "+" runs sort after that letter and before the next).
# Elsewhere an accented letter sorts with its base letter, the accent deciding only ties,
# as in the Unicode Collation Algorithm's default order.
_AFTER = "\U000f0000"  # sorts after every letter: "n" + _AFTER + "1" lies between "n" and "o"
TAILORINGS = {
    "sv": {"å": "z1", "ä": "z2", "æ": "z2", "ö": "z3", "ø": "z3"},
    "fi": {"å": "z1", "ä": "z2", "æ": "z2", "ö": "z3", "ø": "z3"},
    "da": {"æ": "z1", "ä": "z1", "ø": "z2", "ö": "z2", "å": "z3"},
    "nb": {"æ": "z1", "ø": "z2", "å": "z3"},
    "nn": {"æ": "z1", "ø": "z2", "å": "z3"},
    "no": {"æ": "z1", "ø": "z2", "å": "z3"},
    "es": {"ñ": "n1"},
    "tr": {"ç": "c1", "ğ": "g1", "ı": "h1", "ö": "o1", "ş": "s1", "ü": "u1"},
    "az": {"ç": "c1", "ğ": "g1", "ı": "h1", "ö": "o1", "ş": "s1", "ü": "u1"},
    "pl": {"ą": "a1", "ć": "c1", "ę": "e1", "ł": "l1", "ń": "n1", "ó": "o1", "ś": "s1", "ź": "z1", "ż": "z2"},
    "cs": {"č": "c1", "ř": "r1", "š": "s1", "ž": "z1", "ch": "h1"},
    "sk": {"ä": "a1", "č": "c1", "ô": "o1", "š": "s1", "ž": "z1", "ch": "h1"},
    "et": {"š": "s1", "ž": "s2", "õ": "w1", "ä": "w2", "ö": "w3", "ü": "w4"},
    "hu": {"ö": "o1", "ő": "o1", "ü": "u1", "ű": "u1"},
    "is": {"á": "a1", "ð": "d1", "é": "e1", "í": "i1", "ó": "o1", "ú": "u1", "ý": "y1", "þ": "z1", "æ": "z2",
           "ö": "z3"},
}
# Accents in the order the Unicode Collation Algorithm's default table ranks them (acute
# before grave before breve …); others by code point after these.
_ACCENTS = {mark: chr(0x21 + n) for n, mark in enumerate(
    "\u0301\u0300\u0306\u0302\u030c\u030a\u0308\u030b\u0303\u0307\u0328\u0327\u0304")}
_EXPANSIONS = {"æ": "ae", "œ": "oe", "ß": "ss", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"}


@functools.lru_cache(maxsize=4096)
def collate(text: str, lang: str = "") -> str:
    """A sort key for ``text`` in the language ``lang``: letters first (case, accents and
    punctuation ignored, the language's own letters in their places), then accents, then
    case (lower before upper) to break ties: three levels, as the Unicode Collation
    Algorithm compares them."""
    tailoring = TAILORINGS.get(lang.split("-")[0].lower(), {})
    text = re.sub(r"\s+", " ", text).strip()
    primary, secondary, tertiary = [], [], []
    i = 0
    while i < len(text):
        pair = text[i:i + 2]
        if len(pair) == 2 and pair.lower() in tailoring:  # a digraph that is one letter (Czech "ch")
            primary.append(tailoring[pair.lower()][0] + _AFTER + tailoring[pair.lower()][1:])
            secondary.append("\u0000")
            tertiary.append("1" if pair[0] != pair[0].lower() else "0")
            i += 2
            continue
        char = text[i]
        i += 1
        lower = char.lower()
        tertiary.append("1" if char != lower else "0")
        if lower in tailoring:
            primary.append(tailoring[lower][0] + _AFTER + tailoring[lower][1:])
            secondary.append("\u0000")
            continue
        decomposed = unicodedata.normalize("NFKD", lower)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        accents = "".join(_ACCENTS.get(c, c) for c in decomposed if unicodedata.combining(c))
        base = "".join(_EXPANSIONS.get(c, c) for c in base)
        if base and not (base.isalnum() or base == " "):
            continue  # punctuation is ignored
        primary.append(base)
        secondary.append(accents or "\u0000")
    return "".join(primary).strip() + "\x00" + "".join(secondary) + "\x00" + "".join(tertiary)


def key_value(key_el, ctx: Context):
    """One sort key of one item: a str, an int, or None when empty."""
    ctx.sorting = True
    # Each key starts afresh: a substitute used up by one key is not used up for the next.
    suppressed, ctx.suppressed = ctx.suppressed, set(ctx.suppressed)
    ctx.sort_names = {k: key_el.get(k) for k in ("names-min", "names-use-first", "names-use-last")
                      if key_el.get(k)}
    try:
        if key_el.get("macro"):
            macro = ctx.style.macros.get(key_el.get("macro"))
            if macro is None:
                return None
            node = render_children(macro, ctx)
            text = to_plain(node)
            if re.fullmatch(r"\d+", text.strip() or "x"):
                return int(text)
            # A macro that renders nothing is an empty string, not a missing key: it sorts
            # first, as in Pandoc ("(n.d.-b; Westfahl, 2000b)" in APA).
            return collate(text, ctx.locale.lang) if text.strip() else ""
        var = key_el.get("variable")
        value = ctx.value(var)
        if value is None:
            return None
        if var in DATE_VARIABLES:
            date = parse_date(value)
            return date.sort_key() if date is not None else None
        if isinstance(value, list):
            opts = dict(ctx.name_options)
            node, _ = name_list(value, opts, {"name": None, "et-al": None}, ctx)
            return collate(to_plain(node), ctx.locale.lang) if node is not None else None
        if var in NUMBER_VARIABLES:
            m = re.match(r"\s*(\d+)", str(value))
            return int(m.group(1)) if m else collate(str(value), ctx.locale.lang)
        from .markup import rich

        return collate(to_plain(rich(str(value))), ctx.locale.lang)
    finally:
        ctx.suppressed = suppressed
        ctx.sorting = False
        ctx.sort_names = {}


def compare(a: list, b: list, directions: list) -> int:
    for x, y, desc in zip(a, b, directions):
        if x == y:
            continue
        if x is None:
            return 1
        if y is None:
            return -1
        if type(x) is not type(y):
            x, y = str(x), str(y)
        result = -1 if x < y else 1
        return -result if desc else result
    return 0


def sort_items(entries: list, keys_for, directions: list) -> list:
    """Stable sort of entries by their key lists."""
    keyed = [(keys_for(e), e) for e in entries]
    keyed.sort(key=functools.cmp_to_key(lambda p, q: compare(p[0], q[0], directions)))
    return [e for _, e in keyed]


__all__ = ["NameFormat", "Output", "collate", "compare", "key_value", "sort_items"]
