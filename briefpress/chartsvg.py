"""A chart drawn as SVG in the house style, written out directly (no plotting library).

This module owns the look (colours, type sizes, spacing) and the layout: value axes with
nice tick steps (1, 2, 2.5 or 5 × 10ⁿ), value labels on bars, category labels wrapped or
turned to fit, and a legend for several series.  Text is placed by its width in Noto
Sans (``fontmetrics.py``), so no label overlaps another or leaves the picture.  Text stays
``<text>`` in the house face; the ``<title>`` and ``<desc>`` (the alt text) label the image.

The SVG is a function of the chart and the font's widths alone (coordinates rounded to
hundredths, nothing from the clock or the machine), so two builds write the same bytes.
"""

from __future__ import annotations

import math
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from .fontmetrics import text_width, wrap

if TYPE_CHECKING:
    from .charts import Chart

STYLE_VERSION = "2"  # bump when the drawing changes, so cached charts are redrawn
NAVY, TEAL = "#1f3a5f", "#4a8f8a"
SERIES = [NAVY, TEAL, "#8a949e", "#c0c7cf"]
INK, MUTED, RULE, GRID = "#1b1b1b", "#5a6470", "#b9c2cc", "#e3e7ec"
FONT = "'Noto Sans', 'Noto Sans CJK SC', sans-serif"
WIDTH = 432.0  # points (6 in); the print edition scales it to the column, the EPUB to the screen
PAD = 4.0  # around the picture
TITLE, LABEL, TICK, VALUE, LEGEND = 9.5, 8.5, 8.5, 8.0, 8.0  # type sizes
ASCENT, DESCENT, LINE = 0.78, 0.24, 1.25  # of the type size: ink above and below the baseline; leading
MIDDLE = 0.36  # baseline below the middle of a line of figures and capitals (half the cap height)
PLOT_HEIGHT = 150.0  # of a vertical chart's value axis band
BAR, SERIES_BAR = 16.0, 11.0  # thickness of a horizontal bar: alone, and one of several in a group
BAR_GAP, GROUP_GAP = 1.5, 10.0  # between the bars of a group, between groups


# --- value axes ------------------------------------------------------------------------------

def tick_candidates(lo: float, hi: float):
    """Ticks covering [lo, hi] at nice steps, finest first: (values, labels) pairs."""
    low, high = Decimal(str(lo)), Decimal(str(hi))
    exponent = math.floor(math.log10(hi - lo)) - 2
    while True:
        # 2.5 × 10ⁿ only where it needs no decimal (25, 250, …): 0, 2.5, 5.0, 7.5 reads worse than 0, 2, 4, 6
        for mantissa in ("1", "2", "2.5", "5") if exponent > 0 else ("1", "2", "5"):
            step = Decimal(mantissa).scaleb(exponent)
            values = [step * k for k in range(math.floor(low / step), math.ceil(high / step) + 1)]
            decimals = max(0, -exponent)
            grouping = "," if max(abs(values[0]), abs(values[-1])) >= 10000 else ""
            labels = [format(v, f"{grouping}.{decimals}f").replace("-", "\u2212") for v in values]
            yield [float(v) for v in values], labels
        exponent += 1


def fit(lo: float, hi: float, start: float, end: float, overhangs: list[tuple[float, float]]) -> tuple[float, float]:
    """Where the axis [lo, hi] goes between ``start`` and ``end``: (position of lo, length per unit).

    The largest scale at which every overhang, a label or mark reaching ``extent`` beyond the
    position of ``value`` (forwards if positive, backwards if negative), stays between the ends."""
    def placed(scale: float) -> float | None:
        first = start + max([0.0] + [-extent - (v - lo) * scale for v, extent in overhangs if extent < 0])
        last = end - max([(hi - lo) * scale] + [(v - lo) * scale + extent for v, extent in overhangs if extent > 0])
        return first if first <= last + 1e-9 else None

    low, high = 0.0, (end - start) / (hi - lo)
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (middle, high) if placed(middle) is not None else (low, middle)
    return placed(low) if placed(low) is not None else start, low


def value_range(chart: Chart) -> tuple[float, float]:
    values = [chart.value(row, y) for row in chart.rows for y in chart.ys]
    lo, hi = min(values), max(values)
    if chart.kind != "line" or lo == hi:
        lo, hi = min(lo, 0.0), max(hi, 0.0)  # bars start at zero
    return (lo, hi) if lo < hi else (0.0, 1.0)


def choose_axis(chart: Chart, length: float, start: float, end: float, overhangs, horizontal: bool):
    """Ticks at the finest nice step whose labels have room, and the fitted axis for them."""
    lo, hi = value_range(chart)
    for values, labels in tick_candidates(lo, hi):
        if len(values) - 1 > max(3, length // (32 if horizontal else 28)):
            continue
        if horizontal:  # the first label may reach into the gap under the category names
            ends = [(values[0], -max(0.0, text_width(labels[0], TICK) / 2 - (start - PAD))),
                    (values[-1], text_width(labels[-1], TICK) / 2)]
        else:
            ends = [(values[0], -(MIDDLE + DESCENT) * TICK), (values[-1], (ASCENT - MIDDLE) * TICK)]
        origin, scale = fit(values[0], values[-1], start, end, overhangs + ends)
        room = max(text_width(label, TICK) for label in labels) + 8 if horizontal else TICK * LINE
        if (values[1] - values[0]) * scale >= room or len(values) <= 3:  # no coarser step has fewer ticks
            return values, labels, origin, scale


# --- the picture -----------------------------------------------------------------------------

def _n(x: float) -> str:
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class Canvas:
    """The picture's elements as SVG text, in drawing order; groups carry the shared attributes."""

    def __init__(self):
        self.parts: list[str] = []

    def open(self, cls: str, **attrs) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{_n(v) if isinstance(v, float) else escape(v)}"'
                        for k, v in attrs.items())
        self.parts.append(f'<g class="{cls}"{extra}>')

    def close(self) -> None:
        self.parts.append("</g>")

    def text(self, x: float, y: float, text: str, anchor: str = "start", turn: bool = False) -> None:
        anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
        turned = f' transform="rotate(-90 {_n(x)} {_n(y)})"' if turn else ""
        self.parts.append(f'<text x="{_n(x)}" y="{_n(y)}"{anchor_attr}{turned}>{escape(text, quote=False)}</text>')

    def rect(self, x: float, y: float, width: float, height: float, fill: str = "") -> None:
        fill_attr = f' fill="{fill}"' if fill else ""
        self.parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}"{fill_attr}/>')

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.parts.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"/>')

    def svg(self, height: float, title: str, desc: str) -> bytes:
        head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
                f'width="{_n(WIDTH)}pt" height="{_n(height)}pt" viewBox="0 0 {_n(WIDTH)} {_n(height)}" '
                f'role="img" aria-labelledby="chart-title chart-desc" font-family="{FONT}">\n'
                f'<title id="chart-title">{escape(title, quote=False)}</title>\n'
                f'<desc id="chart-desc">{escape(desc, quote=False)}</desc>\n'
                f'<rect width="{_n(WIDTH)}" height="{_n(height)}" fill="#ffffff"/>\n')
        return (head + "\n".join(self.parts) + "\n</svg>\n").encode("utf-8")


def draw(chart: Chart) -> bytes:
    """The chart as an SVG document: title, legend, then the plot."""
    from .charts import KINDS

    canvas = Canvas()
    top = PAD
    if chart.title:
        canvas.open("title", font_size=TITLE, font_weight="bold", fill=NAVY)
        for line in wrap(chart.title, TITLE, WIDTH - 2 * PAD, bold=True):
            canvas.text(PAD, top + ASCENT * TITLE, line)
            top += LINE * TITLE
        canvas.close()
        top += 4
    if len(chart.ys) > 1:
        top = legend(canvas, chart, top) + 4
    bottom = horizontal_bars(canvas, chart, top) if is_horizontal(chart) else vertical(canvas, chart, top)
    return canvas.svg(bottom + PAD, chart.title or KINDS[chart.kind], chart.alt_text())


def is_horizontal(chart: Chart) -> bool:
    return chart.orientation == "horizontal" and chart.kind != "line"


def legend(canvas: Canvas, chart: Chart, top: float) -> float:
    """Swatches and series names in rows from the left; returns the bottom of the last row."""
    canvas.open("legend", font_size=LEGEND, fill=INK)
    x, baseline = PAD, top + ASCENT * LEGEND
    swatch = 14.0 if chart.kind == "line" else 8.0
    for i, y in enumerate(chart.ys):
        name = chart.label(y)
        width = swatch + 4 + text_width(name, LEGEND)
        if x > PAD and x + width > WIDTH - PAD:
            x, baseline = PAD, baseline + LINE * LEGEND
        middle, colour = baseline - MIDDLE * LEGEND, SERIES[i % len(SERIES)]
        if chart.kind == "line":
            canvas.parts.append(f'<g stroke="{colour}" stroke-width="1.8"><line x1="{_n(x)}" y1="{_n(middle)}" '
                                f'x2="{_n(x + swatch)}" y2="{_n(middle)}"/></g>')
            canvas.parts.append(f'<circle cx="{_n(x + swatch / 2)}" cy="{_n(middle)}" r="1.75" fill="{colour}"/>')
        else:
            canvas.rect(x, middle - swatch / 2, swatch, swatch, colour)
        canvas.text(x + swatch + 4, baseline, name)
        x += width + 12
    canvas.close()
    return baseline + DESCENT * LEGEND


def value_axis_name(chart: Chart) -> str:
    return chart.y_label or (chart.unit if chart.unit not in ("%", "‰") else "per cent")


def bar_label(chart: Chart, row: dict[str, str], y: str) -> str:
    text = row[y][:1].replace("-", "\u2212") + row[y][1:]  # a minus sign, as on the axis
    return text + (chart.unit if chart.unit in ("%", "‰") else "")


def category(text: str) -> str:
    return text[:1].upper() + text[1:]


def grid(canvas: Canvas, lines: list[tuple[float, float, float, float]], axis: tuple[float, float, float, float]):
    canvas.open("grid", stroke=GRID, stroke_width="0.6")
    for line in lines:
        canvas.line(*line)
    canvas.close()
    canvas.open("axis", stroke=RULE, stroke_width="0.6")
    canvas.line(*axis)
    canvas.close()


def horizontal_bars(canvas: Canvas, chart: Chart, top: float) -> float:
    """Bars along the x axis, the first row on top, categories to the left; returns the bottom."""
    names = [wrap(category(row[chart.x]), TICK, 0.4 * WIDTH) for row in chart.rows]
    column = max(text_width(line, TICK) for lines in names for line in lines)
    if chart.x_label:
        canvas.open("axis-label", font_size=LABEL, fill=MUTED)
        canvas.text(PAD, top + ASCENT * LABEL, chart.x_label)
        canvas.close()
        top += LINE * LABEL + 2
    series = len(chart.ys)
    thickness = BAR if series == 1 else SERIES_BAR
    group = series * thickness + (series - 1) * BAR_GAP
    pitches = [max(group + GROUP_GAP, len(lines) * LINE * TICK + 4) for lines in names]
    labels = {(i, y): bar_label(chart, row, y) for i, row in enumerate(chart.rows) for y in chart.ys}
    overhangs = []
    for (i, y), label in labels.items():
        v = chart.value(chart.rows[i], y)  # a label left of a bar keeps clear of the category names
        overhangs.append((v, 3 + text_width(label, VALUE) if v >= 0 else -(7 + text_width(label, VALUE))))
    start, end = PAD + column + 6, WIDTH - PAD
    values, ticks, origin, scale = choose_axis(chart, end - start - 30, start, end, overhangs, horizontal=True)

    def at(v: float) -> float:
        return origin + (v - values[0]) * scale

    bottom = top + sum(pitches)
    grid(canvas, [(at(v), top, at(v), bottom) for v in values], (at(0), top, at(0), bottom))
    canvas.open("categories", font_size=TICK, fill=INK)
    y0 = top
    for lines, pitch in zip(names, pitches):
        first = y0 + pitch / 2 - (len(lines) - 1) * LINE * TICK / 2 + MIDDLE * TICK
        for k, line in enumerate(lines):
            canvas.text(PAD + column, first + k * LINE * TICK, line, anchor="end")
        y0 += pitch
    canvas.close()
    bars, texts = [], []
    y0 = top
    for i, (row, pitch) in enumerate(zip(chart.rows, pitches)):
        for j, y in enumerate(chart.ys):
            v = chart.value(row, y)
            bar_top = y0 + (pitch - group) / 2 + j * (thickness + BAR_GAP)
            bars.append((j, (min(at(0), at(v)), bar_top, abs(at(v) - at(0)), thickness)))
            texts.append((at(v) + math.copysign(3, v if v else 1), bar_top + thickness / 2 + MIDDLE * VALUE,
                          labels[(i, y)], "start" if v >= 0 else "end"))
        y0 += pitch
    draw_bars(canvas, chart, bars, texts)
    canvas.open("ticks", font_size=TICK, fill=MUTED)
    for v, label in zip(values, ticks):
        canvas.text(at(v), bottom + 4 + ASCENT * TICK, label, anchor="middle")
    canvas.close()
    bottom += 4 + LINE * TICK
    name = value_axis_name(chart)
    if name:
        half = text_width(name, LABEL) / 2
        middle = min(max((at(values[0]) + at(values[-1])) / 2, PAD + half), WIDTH - PAD - half)
        canvas.open("axis-label", font_size=LABEL, fill=MUTED)
        canvas.text(middle, bottom + 3 + ASCENT * LABEL, name, anchor="middle")
        canvas.close()
        bottom += 3 + LINE * LABEL
    return bottom


def draw_bars(canvas: Canvas, chart: Chart, bars, texts) -> None:
    for j, _y in enumerate(chart.ys):
        canvas.open("bars", fill=SERIES[j % len(SERIES)])
        for series, box in bars:
            if series == j:
                canvas.rect(*box)
        canvas.close()
    if texts:
        canvas.open("values", font_size=VALUE, fill=INK)
        for x, y, text, anchor in texts:
            canvas.text(x, y, text, anchor)
        canvas.close()


def vertical(canvas: Canvas, chart: Chart, top: float) -> float:
    """Columns or lines over categories along the x axis; returns the bottom."""
    name = value_axis_name(chart)
    if name:
        canvas.open("axis-label", font_size=LABEL, fill=MUTED)
        for line in wrap(name, LABEL, WIDTH - 2 * PAD):
            canvas.text(PAD, top + ASCENT * LABEL, line)
            top += LINE * LABEL
        canvas.close()
        top += 2
    n, series, line_chart = len(chart.rows), len(chart.ys), chart.kind == "line"
    labels = [[bar_label(chart, row, y) for y in chart.ys] for row in chart.rows]
    widest_value = max(text_width(text, VALUE) for texts in labels for text in texts)
    show_values = not line_chart
    while True:
        overhangs = marks(chart, show_values)
        values, ticks, origin, scale = choose_axis(chart, PLOT_HEIGHT, 0, PLOT_HEIGHT, overhangs, horizontal=False)
        left, right = PAD + max(text_width(t, TICK) for t in ticks) + 5, WIDTH - PAD
        slot = (right - left) / n
        pitch = 0.7 * slot / series
        if not show_values or widest_value + 2 <= (pitch if series > 1 else slot):
            break
        show_values = False  # columns too narrow for their numbers: the axis and the alt text give them
    band = top + PLOT_HEIGHT

    def at(v: float) -> float:
        return band - origin - (v - values[0]) * scale

    grid(canvas, [(left, at(v), right, at(v)) for v in values],
         (left, at(values[0] if line_chart else 0), right, at(values[0] if line_chart else 0)))
    canvas.open("ticks", font_size=TICK, fill=MUTED)
    for v, label in zip(values, ticks):
        canvas.text(left - 5, at(v) + MIDDLE * TICK, label, anchor="end")
    canvas.close()
    names = [category(row[chart.x]) for row in chart.rows]
    if line_chart:
        centres, shown = line_positions(names, left, right)
        for j, y in enumerate(chart.ys):
            colour = SERIES[j % len(SERIES)]
            points = " ".join(f"{_n(x)},{_n(at(chart.value(row, y)))}" for x, row in zip(centres, chart.rows))
            canvas.open("line", fill=colour)
            canvas.parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.8" '
                                'stroke-linejoin="round" stroke-linecap="round"/>')
            for x, row in zip(centres, chart.rows):
                canvas.parts.append(f'<circle cx="{_n(x)}" cy="{_n(at(chart.value(row, y)))}" r="1.75"/>')
            canvas.close()
        bottom = category_labels(canvas, [[t] for t in names], centres, shown, band, turned=False)
    else:
        centres = [left + (i + 0.5) * slot for i in range(n)]
        bars, texts = [], []
        for i, row in enumerate(chart.rows):
            for j, y in enumerate(chart.ys):
                v = chart.value(row, y)
                x = centres[i] - 0.35 * slot + j * pitch
                width = pitch - (BAR_GAP if series > 1 else 0)
                bars.append((j, (x, min(at(0), at(v)), width, abs(at(v) - at(0)))))
                if show_values:
                    baseline = at(v) - 3 if v >= 0 else at(v) + 3 + ASCENT * VALUE
                    texts.append((x + width / 2, baseline, labels[i][j], "middle"))
        draw_bars(canvas, chart, bars, texts)
        wrapped = [wrap(t, TICK, slot - 4) for t in names]
        turned = len(max(wrapped, key=len)) > 3 or max(text_width(s, TICK) for w in wrapped for s in w) > slot - 4
        lines = [[t] for t in names] if turned else wrapped
        shown = range(0, n, max(1, math.ceil(LINE * TICK / slot))) if turned else range(n)
        bottom = category_labels(canvas, lines, centres, shown, band, turned)
    if chart.x_label:
        half = text_width(chart.x_label, LABEL) / 2
        middle = min(max((left + right) / 2, PAD + half), WIDTH - PAD - half)
        canvas.open("axis-label", font_size=LABEL, fill=MUTED)
        canvas.text(middle, bottom + 3 + ASCENT * LABEL, chart.x_label, anchor="middle")
        canvas.close()
        bottom += 3 + LINE * LABEL
    return bottom


def marks(chart: Chart, show_values: bool) -> list[tuple[float, float]]:
    """What reaches beyond the data upwards and downwards: value labels, line markers."""
    out = []
    for row in chart.rows:
        for y in chart.ys:
            v = chart.value(row, y)
            if chart.kind == "line":
                out += [(v, 2.7), (v, -2.7)]  # marker radius and half the line
            elif show_values:
                out.append((v, 3 + ASCENT * VALUE if v >= 0 else -(3 + (ASCENT + DESCENT) * VALUE)))
    return out


def line_positions(names: list[str], left: float, right: float) -> tuple[list[float], range]:
    """Evenly spaced points, inset so the first and last label fit; every k-th point labelled."""
    widths = [text_width(t, TICK) for t in names]
    if len(names) == 1:
        return [(left + right) / 2], range(1)
    inset = max(8.0, widths[0] / 2, widths[-1] / 2)
    spacing = (right - left - 2 * inset) / (len(names) - 1)
    step = max(1, math.ceil((max(widths) + 6) / spacing))
    return [left + inset + i * spacing for i in range(len(names))], range(0, len(names), step)


def category_labels(canvas: Canvas, lines: list[list[str]], centres: list[float], shown, band: float,
                    turned: bool) -> float:
    """Category names under the plot, centred (or turned upright) on their columns; returns the bottom."""
    top = band + 4
    canvas.open("categories", font_size=TICK, fill=INK)
    for i in shown:
        if turned:
            canvas.text(centres[i] + (ASCENT - DESCENT) / 2 * TICK, top, lines[i][0], anchor="end", turn=True)
        else:
            for k, line in enumerate(lines[i]):
                canvas.text(centres[i], top + ASCENT * TICK + k * LINE * TICK, line, anchor="middle")
    canvas.close()
    if turned:
        return top + max(text_width(lines[i][0], TICK) for i in shown)
    return top + max(len(lines[i]) for i in shown) * LINE * TICK
