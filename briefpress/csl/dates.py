"""Dates (spec: "Date", "Date-part", "Localized Date Formats", "Date Ranges").

CSL-JSON dates (``date-parts``, ``season``, ``circa``, ``literal``, ``raw``) are read into
``DateValue``; a ``cs:date`` renders it either from the locale's date format (``form``),
with the style's ``cs:date-part`` overrides, or from its own date-parts.  A range prints
the parts that differ, joined by the range delimiter of the largest differing part.
"""

from __future__ import annotations

import re

from .ir import Output, Text, decorate
from .numbers import format_number
from .style import children, local

PARTS = ("year", "month", "day")


class DateValue:
    def __init__(self, start: dict, end: dict | None = None, literal: str = "", circa: bool = False,
                 season=None):
        self.start, self.end, self.literal, self.circa, self.season = start, end, literal, circa, season

    def sort_key(self) -> str:
        if self.literal and not self.start:
            return ""
        s = self.start
        key = f"{s.get('year', 0) + 500000:06d}{s.get('month', 0):02d}{s.get('day', 0):02d}"
        if self.end:
            e = self.end
            key += f"-{e.get('year', 0) + 500000:06d}{e.get('month', 0):02d}{e.get('day', 0):02d}"
        return key


def _int(v):
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def parse_date(value) -> DateValue | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"raw": value}
    if not isinstance(value, dict):
        return None
    circa = bool(value.get("circa"))
    season = value.get("season")
    parts = value.get("date-parts")
    if not parts and value.get("raw"):
        parts = _parse_raw(value["raw"])
        if not parts:
            return DateValue({}, literal=value["raw"])
    if not parts or not parts[0] or parts[0][0] in (None, ""):
        if value.get("literal"):
            return DateValue({}, literal=value["literal"], circa=circa)
        return None

    def one(p):
        d = {}
        for name, v in zip(PARTS, p):
            n = _int(v)
            if n is not None and (n or name == "year"):
                d[name] = n
        # Months 13-24 stand for the seasons (spring to winter, twice); any other month
        # outside 1-12 is no month at all.
        if 13 <= d.get("month", 0) <= 24:
            d["season"] = (d.pop("month") - 13) % 4 + 1
            d.pop("day", None)
        elif not 1 <= d.get("month", 1) <= 12:
            d.pop("month")
            d.pop("day", None)
        return d

    start = one(parts[0])
    end = one(parts[1]) if len(parts) > 1 and parts[1] and _int(parts[1][0]) is not None else None
    open_range = end is not None and not end.get("year")
    if end == start:
        end = None
    if season and "month" not in start:
        start["season"] = _int(season) or season
    date = DateValue(start, None if open_range else end, value.get("literal", ""), circa)
    date.open_range = open_range
    return date


def _parse_raw(raw: str):
    m = re.fullmatch(r"\s*(-?\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*", raw)
    if m:
        return [[int(g) for g in m.groups() if g]]
    m = re.fullmatch(r"\s*(\d{4})\s*[-/]\s*(\d{4})\s*", raw)
    if m:
        return [[int(m.group(1))], [int(m.group(2))]]
    return None


def render_date(el, ctx):
    variable = el.get("variable")
    ctx.called += 1
    date = parse_date(ctx.value(variable))
    if date is None:
        return None
    if ctx.sorting:
        ctx.rendered += 1
        if el.get("form"):
            wanted = el.get("date-parts", "year-month-day").split("-")
        else:
            wanted = [p.get("name") for p in children(el) if local(p) == "date-part"] or list(PARTS)
        limited = DateValue({k: v for k, v in date.start.items() if k in wanted},
                            {k: v for k, v in date.end.items() if k in wanted} if date.end else None,
                            date.literal)
        return Output([Text(limited.sort_key())])
    node = _render_date(el, date, ctx)
    if node is not None and not node.empty():
        ctx.rendered += 1
        return node
    return None


def _render_date(el, date, ctx):
    if date.literal and not date.start:
        return decorate(Output([Text(date.literal)]), el)
    form = el.get("form")
    if form:
        loc = ctx.locale.dates.get(form)
        wanted = el.get("date-parts", "year-month-day")
        keep = {"year-month-day": PARTS, "year-month": ("year", "month"), "year": ("year",)}[wanted]
        overrides = {p.get("name"): p for p in children(el) if local(p) == "date-part"}
        parts = []
        for p in (children(loc) if loc is not None else []):
            if local(p) != "date-part" or p.get("name") not in keep:
                continue
            attrs = dict(p.attrib)
            if p.get("name") in overrides:
                attrs.update({k: v for k, v in overrides[p.get("name")].attrib.items()
                              if k not in ("prefix", "suffix")})
            parts.append(attrs)
        delimiter = loc.get("delimiter", "") if loc is not None else ""
        node = _render_parts(parts, date, ctx, delimiter)
        el_attrs = {k: v for k, v in el.attrib.items() if k not in ("delimiter",)}
        if node is None:
            return None
        return decorate(node, el_attrs)
    parts = [dict(p.attrib) for p in children(el) if local(p) == "date-part"]
    node = _render_parts(parts, date, ctx, el.get("delimiter", ""))
    return decorate(node, el) if node is not None else None


def _part_text(attrs: dict, d: dict, ctx) -> str | None:
    name = attrs.get("name")
    form = attrs.get("form")
    if name == "year":
        y = d.get("year")
        if y is None:
            return None
        if form == "short":
            return f"{abs(y) % 100:02d}"
        if y < 0:
            return f"{-y}{ctx.locale.term('bc') or 'BC'}"
        if 0 < y < 1000:
            return f"{y}{ctx.locale.term('ad') or 'AD'}"
        return str(y)
    if name == "month":
        if "month" not in d:
            if "season" in d:
                s = d["season"]
                if isinstance(s, int):
                    return ctx.locale.term(f"season-{s:02d}") or str(s)
                return str(s)
            return None
        m = d["month"]
        form = form or "long"
        if form == "numeric":
            return str(m)
        if form == "numeric-leading-zeros":
            return f"{m:02d}"
        text = ctx.locale.term(f"month-{m:02d}", "short" if form == "short" else "long") or str(m)
        if attrs.get("strip-periods") == "true":
            text = text.replace(".", "")
        return text
    if name == "day":
        if "day" not in d:
            return None
        n = d["day"]
        if form == "numeric-leading-zeros":
            return f"{n:02d}"
        if form == "ordinal":
            if ctx.locale.option("limit-day-ordinals-to-day-1") == "true" and n != 1:
                return str(n)
            return format_number(n, "ordinal", ctx.locale, _month_gender(d, ctx))
        return str(n)
    return None


def _month_gender(d, ctx) -> str:
    t = ctx.locale.find(f"month-{d.get('month', 0):02d}")
    return t.gender if t is not None else ""


def _one(parts, d, ctx, names=None) -> list:
    out = []
    for attrs in parts:
        if names is not None and attrs.get("name") not in names:
            continue
        text = _part_text(attrs, d, ctx)
        if text is None:
            continue
        node = Output([Text(text)])
        if attrs.get("name") == "year" and ctx.implicit_year_suffix and ctx.item.get("year-suffix"):
            ctx.implicit_year_suffix = False
            node.children.append(Output([Text(ctx.item["year-suffix"])], tag="year-suffix"))
        decorate(node, {k: v for k, v in attrs.items() if k != "strip-periods"})
        out.append((attrs.get("name"), node))
    return out


def _render_parts(parts: list, date: DateValue, ctx, delimiter: str):
    if not date.end:
        nodes = [n for _, n in _one(parts, date.start, ctx)]
        if nodes and getattr(date, "open_range", False):
            nodes[-1].suffix = ""
            nodes.append(Text("\u2013"))
        return Output(nodes, delimiter=delimiter, tag="date") if nodes else None
    s, e = date.start, date.end
    differing = [p for p in PARTS if s.get(p) != e.get(p) or (p == "month" and s.get("season") != e.get("season"))]
    largest = differing[0] if differing else "day"
    attrs_by = {a.get("name"): a for a in parts}
    range_delim = attrs_by.get(largest, {}).get("range-delimiter", "\u2013")
    order = [a.get("name") for a in parts]
    diff_names = [n for n in order if n in differing or (largest == "year" and n in PARTS)]
    # The parts that differ, as a contiguous run, are printed twice around the delimiter.
    idx = [i for i, n in enumerate(order) if n in diff_names]
    if not idx:
        return _render_parts(parts, DateValue(s), ctx, delimiter)
    lo, hi = idx[0], idx[-1]
    before = _one(parts[:lo], s, ctx)
    first = _one(parts[lo:hi + 1], s, ctx)
    second = _one(parts[lo:hi + 1], e, ctx)
    after = _one(parts[hi + 1:], s, ctx)
    if first:
        first[-1][1].suffix = ""
    if second:
        second[0][1].prefix = ""
    left = Output([n for _, n in before + first], delimiter=delimiter)
    right = Output([n for _, n in second + after], delimiter=delimiter)
    return Output([left, Text(range_delim), right], tag="date")
