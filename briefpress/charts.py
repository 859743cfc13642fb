"""Charts drawn from data at build time: a small declarative spec names a CSV file and how
to draw it; the chart is drawn in the house style as SVG (``chartsvg.py``), and the alt text
is written from the same numbers, so chart, alt text and data cannot drift apart.

A spec (``figures/trade-2019.chart.yaml``, referenced like any image)::

    type: bar                # bar | grouped-bar | line
    data: trade-2019.csv     # relative to the spec
    x: flow                  # the column of categories (or years)
    y: value                 # one column, or a list of columns for grouped-bar and line
    unit: billion USD        # after each number in the alt text; the y axis label by default
    period: "2019"           # ends the alt text
    labels: {value: Trade}   # optional display names of columns (legend, alt text)
    orientation: horizontal  # bars along the x axis (default: vertical)
    title, x_label, y_label, source   # optional

This module owns the spec, its validation, the data and the alt text, and the cache: the
SVG keeps its text as text in Noto Sans and is byte-identical between builds, so it is
kept under the build's ``.cache/charts/`` by a hash of the spec, the CSV, the drawing's
style version and the font it was measured with.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import BriefError, Report

KINDS = {"bar": "Bar chart", "grouped-bar": "Grouped bar chart", "line": "Line chart"}
KEYS = {"type", "data", "x", "y", "unit", "period", "labels", "title", "x_label", "y_label", "source",
        "orientation"}
NUMBER = re.compile(r"^[-−]?\d{1,3}(?:,\d{3})*(?:\.\d+)?$|^[-−]?\d+(?:\.\d+)?$")
ALT_POINTS = 12  # a line chart with more points is summarised in its alt text


@dataclass
class Chart:
    kind: str
    x: str
    ys: list[str]
    rows: list[dict[str, str]]  # as written in the CSV: numbers keep their written form
    unit: str = ""
    period: str = ""
    title: str = ""
    x_label: str = ""
    y_label: str = ""
    source: str = ""
    orientation: str = "vertical"
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, column: str) -> str:
        return self.labels.get(column, column)

    def amount(self, row: dict[str, str], column: str) -> str:
        """A value as the text writes it: "7.82 billion USD", "60%"."""
        unit = self.unit
        return row[column] + ("" if not unit else unit if unit in ("%", "‰") else " " + unit)

    def item(self, row: dict[str, str], column: str) -> str:
        """One data point in words: "exports to China 7.82 billion USD", "60% in 2017"."""
        if NUMBER.match(row[self.x]):
            return f"{self.amount(row, column)} in {row[self.x]}"
        return f"{row[self.x]} {self.amount(row, column)}"

    def value(self, row: dict[str, str], column: str) -> float:
        return float(row[column].replace(",", "").replace("−", "-"))

    def alt_text(self) -> str:
        """What the chart shows, in words: every number when there are few, else a summary."""
        if self.kind == "bar":
            parts = [self.item(row, self.ys[0]) for row in self.rows]
        elif self.kind == "grouped-bar":
            parts = ["; ".join(f"{row[self.x]}: " + ", ".join(f"{self.label(y)} {self.amount(row, y)}"
                                                              for y in self.ys) for row in self.rows)]
        else:
            parts = []
            for y in self.ys:
                name = f"{self.label(y)}: " if len(self.ys) > 1 else ""
                if len(self.rows) <= ALT_POINTS:
                    parts.append(name + ", ".join(self.item(row, y) for row in self.rows))
                else:
                    low = min(self.rows, key=lambda r: self.value(r, y))
                    high = max(self.rows, key=lambda r: self.value(r, y))
                    first, last = self.rows[0], self.rows[-1]
                    parts.append(f"{name}from {self.amount(first, y)} in {first[self.x]} to "
                                 f"{self.amount(last, y)} in {last[self.x]}, lowest {self.amount(low, y)} in "
                                 f"{low[self.x]}, highest {self.amount(high, y)} in {high[self.x]}")
            parts = ["; ".join(parts)]
        if self.period:
            parts.append(self.period)
        return f"{KINDS[self.kind]}: " + ", ".join(parts) + "."


def is_chart(src: str) -> bool:
    return src.lower().endswith((".chart.yaml", ".chart.yml"))


def load(spec_ref: str, resources, report: Report) -> tuple[Chart, bytes] | None:
    """The chart a spec describes and the bytes it depends on (for the cache key), or None
    after reporting what is wrong (with the spec's or the CSV's own line)."""
    spec_path = resources.path_for(spec_ref)
    raw, _mime = resources.read(spec_ref)
    text = raw.decode("utf-8", errors="replace")
    from .yamltext import Document

    try:
        document = Document(text)
        node, spec = document.node, document.data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        report.error(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", spec_path, mark.line + 1 if mark else 1)
        return None
    lines = {k.value: k.start_mark.line + 1 for k, _v in node.value} if isinstance(node, yaml.MappingNode) else {}
    if not isinstance(spec, dict):
        report.error("a chart spec is a mapping: type, data, x, y, …", spec_path, 1)
        return None
    errors = len(report.errors)

    def bad(key: str, message: str) -> None:
        report.error(f"'{key}': {message}", spec_path, lines.get(key, 1))

    for key in spec:
        if key not in KEYS:
            report.warning(f"unknown chart key '{key}' is ignored", spec_path, lines.get(key))
    for key in ("type", "data", "x", "y"):
        if key not in spec:
            report.error(f"missing required key '{key}'", spec_path, 1)
    if "type" in spec and spec["type"] not in KINDS:
        bad("type", f"unknown chart type '{spec['type']}' (use {', '.join(KINDS)})")
    ys = spec.get("y")
    ys = [ys] if isinstance(ys, str) else ys
    if "y" in spec and not (isinstance(ys, list) and ys and all(isinstance(y, str) for y in ys)):
        bad("y", "expected a column name or a list of column names")
    elif spec.get("type") == "bar" and ys and len(ys) > 1:
        bad("y", "a bar chart shows one column; use grouped-bar for several")
    for key in ("data", "x", "unit", "title", "x_label", "y_label", "source", "period"):
        if key in spec and not isinstance(spec[key], (str, int, float)):
            bad(key, "expected text")
    if "labels" in spec and not isinstance(spec["labels"], dict):
        bad("labels", "expected a mapping of column name to label")
    if spec.get("orientation", "vertical") not in ("vertical", "horizontal"):
        bad("orientation", "expected vertical or horizontal")
    if len(report.errors) > errors:
        return None

    data_ref = str(spec["data"])
    try:
        csv_bytes, _mime = resources.read(data_ref, base=spec_path.parent)
    except BriefError as exc:
        bad("data", exc.diagnostics[0].message)
        return None
    csv_path = resources.path_for(data_ref, base=spec_path.parent)
    rows = read_csv(csv_bytes, csv_path, report)
    if rows is None:
        return None
    columns = list(rows[0]) if rows else []
    for key, names in (("x", [str(spec["x"])]), ("y", ys)):
        for name in names:
            if name not in columns:
                bad(key, f"no column '{name}' in {data_ref} (its columns: {', '.join(columns)})")
    if not rows:
        report.error("the CSV file has no data rows", csv_path, 1)
    if len(report.errors) > errors:
        return None
    for number, row in enumerate(rows, start=2):
        for y in ys:
            if not NUMBER.match(row[y].strip()):
                report.error(f"'{row[y]}' in column '{y}' is not a number", csv_path, number)
    if len(report.errors) > errors:
        return None
    chart = Chart(
        kind=spec["type"], x=str(spec["x"]), ys=ys, rows=[{k: v.strip() for k, v in r.items()} for r in rows],
        **{k: str(spec[k]) for k in ("unit", "period", "title", "x_label", "y_label", "source", "orientation")
           if k in spec},
        labels={str(k): str(v) for k, v in (spec.get("labels") or {}).items()},
    )
    return chart, raw + b"\0" + csv_bytes


def read_csv(data: bytes, path: Path, report: Report) -> list[dict[str, str]] | None:
    """The rows of a CSV file with a header row (UTF-8; comma, semicolon or tab)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.error("not valid UTF-8; save the CSV file as UTF-8", path, data[: exc.start].count(b"\n") + 1)
        return None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        report.error("the CSV file is empty; it needs a header row", path, 1)
        return None
    header = [h.strip() for h in rows[0]]
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            report.error(f"{len(row)} cells where the header has {len(header)}", path, number)
            return None
        out.append(dict(zip(header, row)))
    return out


def svg(chart: Chart, name: str, cache_folder: Path | None, depends: bytes) -> tuple[bytes, Path | None]:
    """The chart as SVG, from the cache when the spec, data, drawing and font are unchanged."""
    from . import chartsvg
    from .cache import digest
    from .fontmetrics import font_key

    key = digest("chart", chartsvg.STYLE_VERSION, depends, font_key())
    target = cache_folder / "charts" / key[:20] / name if cache_folder is not None else None
    if target is not None and target.is_file():
        return target.read_bytes(), target
    data = chartsvg.draw(chart)
    if target is not None:
        from .output import atomic_path

        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
    return data, target
