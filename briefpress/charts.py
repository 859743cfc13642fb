"""Charts drawn from data at build time: a small declarative spec names a CSV file and how
to draw it; matplotlib draws it in the house style as SVG, and the alt text is written
from the same numbers, so chart, alt text and data cannot drift apart.

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

The SVG keeps its text as text (``svg.fonttype: none``) in Noto Sans, and is
byte-identical between builds (fixed ``svg.hashsalt``, no date), so it is cached by a
hash of the spec, the CSV and the style under the build's ``.cache/charts/``.
matplotlib is imported only when a chart has to be drawn.
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
NAVY, TEAL = "#1f3a5f", "#4a8f8a"
SERIES = [NAVY, TEAL, "#8a949e", "#c0c7cf"]
INK, MUTED, RULE = "#1b1b1b", "#5a6470", "#b9c2cc"
STYLE_VERSION = "1"  # bump when the drawing below changes, so cached charts are redrawn
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
    try:
        node = yaml.compose(text)
        spec = yaml.safe_load(text)
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
    """The chart as SVG, from the cache when the spec, data and style are unchanged."""
    from .cache import digest

    key = digest("chart", STYLE_VERSION, depends, _matplotlib_version())
    target = cache_folder / "charts" / key[:20] / name if cache_folder is not None else None
    if target is not None and target.is_file():
        return target.read_bytes(), target
    data = draw(chart)
    if target is not None:
        from .output import atomic_path

        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
    return data, target


def _matplotlib_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matplotlib")
    except PackageNotFoundError:
        raise BriefError("drawing charts needs matplotlib, which is not installed",
                         hint="pip install matplotlib (publish.py installs it)") from None


def draw(chart: Chart) -> bytes:
    import logging

    import matplotlib

    matplotlib.use("Agg")  # no display; and nothing but SVG is ever written
    # A missing house face falls back to DejaVu Sans; checks.py already warns about fonts.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    from matplotlib.figure import Figure

    style = {
        "svg.fonttype": "none", "svg.hashsalt": "briefpress", "font.family": ["Noto Sans", "DejaVu Sans"],
        "font.size": 8.5, "text.color": INK, "axes.labelcolor": MUTED, "axes.edgecolor": RULE,
        "xtick.color": INK, "ytick.color": MUTED, "axes.linewidth": 0.6, "axes.titlesize": 9.5,
        "axes.titleweight": "bold", "axes.titlelocation": "left", "axes.titlecolor": NAVY,
        "legend.frameon": False, "legend.fontsize": 8,
    }
    horizontal = chart.orientation == "horizontal" and chart.kind != "line"
    bars_total = len(chart.rows) * (len(chart.ys) if chart.kind != "line" else 1)
    height = max(1.7, 0.55 + 0.36 * bars_total) if horizontal else 3.0
    with matplotlib.rc_context(style):
        fig = Figure(figsize=(6.0, height), facecolor="#ffffff")
        ax = fig.add_subplot()
        categories = [row[chart.x] for row in chart.rows]
        ticks = [c[:1].upper() + c[1:] for c in categories]
        if chart.kind == "line":
            for i, y in enumerate(chart.ys):
                ax.plot(categories, [chart.value(r, y) for r in chart.rows], color=SERIES[i % len(SERIES)],
                        linewidth=1.8, marker="o", markersize=3.5, label=chart.label(y))
        else:
            size = 0.7 / len(chart.ys)
            for i, y in enumerate(chart.ys):
                offset = (i - (len(chart.ys) - 1) / 2) * size
                positions = [n + offset for n in range(len(categories))]
                values = [chart.value(r, y) for r in chart.rows]
                draw_bars = ax.barh if horizontal else ax.bar
                bars = draw_bars(positions, values, size * 0.9, color=SERIES[i % len(SERIES)],
                                 label=chart.label(y), zorder=2)
                suffix = chart.unit if chart.unit in ("%", "‰") else ""
                ax.bar_label(bars, labels=[r[y] + suffix for r in chart.rows], padding=3, fontsize=8, color=INK)
            top = max(chart.value(r, y) for r in chart.rows for y in chart.ys) * 1.12
            if horizontal:
                ax.set_yticks(range(len(categories)), ticks)
                ax.invert_yaxis()  # the first row on top, as in the CSV
                ax.set_xlim(0, top)
            else:
                ax.set_xticks(range(len(categories)), ticks)
                ax.set_ylim(0, top)
        if len(chart.ys) > 1:
            ax.legend(loc="lower right" if horizontal else "upper left", ncols=len(chart.ys))
        ax.grid(axis="x" if horizontal else "y", color="#e3e7ec", linewidth=0.6, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right", "left") if not horizontal else ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(length=0)
        ax.tick_params(axis="y" if horizontal else "x", pad=5, labelcolor=INK)
        value_label = chart.y_label or (chart.unit if chart.unit not in ("%", "‰") else "per cent")
        if chart.title:
            ax.set_title(chart.title)
        if horizontal:
            ax.set_xlabel(value_label)
            if chart.x_label:
                ax.set_ylabel(chart.x_label)
        else:
            ax.set_ylabel(value_label)
            if chart.x_label:
                ax.set_xlabel(chart.x_label)
        fig.tight_layout(pad=0.4)
        out = io.BytesIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return _clean(out.getvalue(), chart)


def _clean(data: bytes, chart: Chart) -> bytes:
    """No DOCTYPE (figures may not have one) and no RDF block; a <title> and <desc> instead."""
    from html import escape

    text = data.decode("utf-8")
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text, count=1)
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.DOTALL)
    title = f"<title>{escape(chart.title)}</title>" if chart.title else ""
    text = re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + f"\n {title}<desc>{escape(chart.alt_text())}</desc>",
                  text, count=1)
    return text.encode("utf-8")
