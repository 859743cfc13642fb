"""Sorting (spec: "Sorting"): sort keys from variables and macros, compared per key.

A variable key on a name variable sorts by every name in sort order; a date variable by a
zero-padded year-month-day string; a number variable numerically.  Macro keys render the
macro as plain text in sort mode (names inverted, dates as sortable strings).  Empty
variable keys sort last whichever the direction; a macro key that renders nothing is an
empty string.  Collation folds case and accents.
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


def collate(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s]", "", text)
    return re.sub(r"\s+", " ", text).casefold().strip()


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
            return collate(text) or ""
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
            return collate(to_plain(node)) if node is not None else None
        if var in NUMBER_VARIABLES:
            m = re.match(r"\s*(\d+)", str(value))
            return int(m.group(1)) if m else collate(str(value))
        from .markup import rich

        return collate(to_plain(rich(str(value))))
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
