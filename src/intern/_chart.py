"""The bench report as a picture: an SVG drawn by hand, with the standard library only.

Three charts, one above the other, each drawn only if its cases were run: the
hit path as tables grow (a line per contender, live entries on a log scale), the
hit path on strings and records (grouped bars), and churn (bars). A contender has
one colour throughout. Every figure is nanoseconds per operation, and lower is
better; the heading says where it was measured.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from intern._report import BenchReport, CaseReport

SVG_NAMESPACE = "http://www.w3.org/2000/svg"

SCALING_PREFIX = "scale-"
HIT_GROUPS = {
    "hit-strings": "strings, equal copies",
    "hit-strings-same": "strings, same objects",
    "hit-records": "records, equal copies",
}
"""The hit-path cases drawn as bars, and what each group of bars is called."""
CHURN = "churn"

# Okabe and Ito's palette, which colour-blind readers can tell apart; grey and
# black first, as the first contenders to appear are sys.intern and the dict pool.
PALETTE = ("#7f7f7f", "#000000", "#56b4e9", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00")

WIDTH = 960
PLOT_LEFT = 90
PLOT_RIGHT = 680
LEGEND_LEFT = 710
HEADING_HEIGHT = 80
FOOTER_HEIGHT = 30
PANEL_TOP = 40
"""Room above a plot for the panel's title."""
PANEL_BOTTOM = 70
"""Room below a plot for tick labels and the axis label."""
MAX_BAR_WIDTH = 60

Attribute = str | float


def render_svg(report: BenchReport) -> str:
    """Return the picture of ``report`` as an SVG document."""
    cases = {case.name: case for case in report.cases}
    scaling = sorted(
        (case for case in report.cases if case.name.startswith(SCALING_PREFIX)), key=_size
    )
    hits = [cases[name] for name in HIT_GROUPS if name in cases]
    churn = [cases[CHURN]] if CHURN in cases else []
    colours = _colours([*hits, *churn, *scaling])

    panels: list[tuple[int, ET.Element]] = []
    if scaling:
        panels.append((260, _scaling_panel(scaling, 260, colours)))
    if hits:
        panels.append((260, _bar_panel("hits", hits, HIT_GROUPS, _HIT_TEXT, 260, colours)))
    if churn:
        groups = {CHURN: "new strings, each dropped at once"}
        panels.append((180, _bar_panel("churn", churn, groups, _CHURN_TEXT, 180, colours)))
    height = HEADING_HEIGHT + sum(PANEL_TOP + plot + PANEL_BOTTOM for plot, _ in panels)
    height += FOOTER_HEIGHT

    title = "intern.make against the alternatives: nanoseconds per operation"
    root = ET.Element(
        "svg",
        _attributes(
            xmlns=SVG_NAMESPACE,
            width=WIDTH,
            height=height,
            viewBox=f"0 0 {WIDTH} {height}",
            font_family="DejaVu Sans, Helvetica, Arial, sans-serif",
            font_size=12,
        ),
    )
    _add(root, "title", title)
    _add(root, "rect", width=WIDTH, height=height, fill="white")
    _add(root, "text", title, x=20, y=32, font_size=20, font_weight="bold")
    quick = " (--quick)" if report.quick else ""
    _add(
        root,
        "text",
        f"{report.python} on {report.machine} ({report.cpu}); implementations of"
        f" intern.make: {', '.join(report.implementations)}",
        x=20,
        y=54,
        fill="#333333",
    )
    _add(
        root,
        "text",
        f"best of {report.rounds} interleaved rounds{quick}; lower is better",
        x=20,
        y=70,
        fill="#333333",
    )
    top = HEADING_HEIGHT
    for plot, panel in panels:
        panel.set("transform", f"translate(0 {top})")
        root.append(panel)
        top += PANEL_TOP + plot + PANEL_BOTTOM
    _add(
        root,
        "text",
        f"made by: python -m intern bench{' --quick' if report.quick else ''} --svg FILE",
        x=20,
        y=height - 12,
        fill="#666666",
        font_size=11,
    )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


_HIT_TEXT = (
    "Hit path: each table already holds the values and is given them again",
    "ns per hit",
)
_CHURN_TEXT = (
    "Miss and reclaim: make the handle of a new string and drop it at once",
    "ns per make and drop",
)


def _size(case: CaseReport) -> int:
    return int(case.name.removeprefix(SCALING_PREFIX))


def _colours(cases: Sequence[CaseReport]) -> dict[str, str]:
    """Give each contender a colour, in the order they first appear."""
    colours: dict[str, str] = {}
    for case in cases:
        for result in case.results:
            if result.contender not in colours:
                colours[result.contender] = PALETTE[len(colours) % len(PALETTE)]
    return colours


def _scaling_panel(
    cases: list[CaseReport], plot_height: int, colours: dict[str, str]
) -> ET.Element:
    """Draw ns per hit against live entries, a line per contender, x on a log scale."""
    sizes = [_size(case) for case in cases]
    low = math.floor(math.log10(sizes[0])) - 0.15
    high = math.ceil(math.log10(sizes[-1])) + 0.15
    contenders = list(dict.fromkeys(r.contender for case in cases for r in case.results))
    top, step = _axis_top(max(r.ns_per_op for case in cases for r in case.results))

    def x_of(size: int) -> float:
        return PLOT_LEFT + (math.log10(size) - low) / (high - low) * (PLOT_RIGHT - PLOT_LEFT)

    panel = ET.Element("g", _attributes(class_="panel scaling"))
    _add(
        panel,
        "text",
        f"Hit path as the table grows: {sizes[0]:,} to {sizes[-1]:,} live entries",
        x=20,
        y=24,
        font_size=15,
        font_weight="bold",
    )
    _y_axis(panel, top, step, plot_height, "ns per hit")
    for power in range(math.ceil(low), math.floor(high) + 1):
        x = x_of(10**power)
        _add(panel, "line", x1=x, x2=x, y1=PANEL_TOP, y2=PANEL_TOP + plot_height, stroke="#e5e5e5")
        _add(
            panel,
            "text",
            f"{10**power:,}",
            x=x,
            y=PANEL_TOP + plot_height + 18,
            text_anchor="middle",
        )
    _x_label(panel, plot_height, "live entries in the table (log scale)")
    for contender in contenders:
        points = [
            (x_of(_size(case)), _y_of(result.ns_per_op, top, plot_height), case, result.ns_per_op)
            for case in cases
            for result in case.results
            if result.contender == contender
        ]
        series = _add(panel, "g", class_="series", fill=colours[contender])
        _add(series, "title", contender)
        _add(
            series,
            "polyline",
            points=" ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points),
            fill="none",
            stroke=colours[contender],
            stroke_width=2.5,
        )
        for x, y, case, ns in points:
            marker = _add(series, "circle", cx=x, cy=y, r=4)
            _add(marker, "title", f"{contender}: {ns:,.1f} ns among {_size(case):,} entries")
    _frame(panel, plot_height)
    _legend(panel, contenders, colours)
    return panel


def _bar_panel(
    kind: str,
    cases: list[CaseReport],
    groups: dict[str, str],
    text: tuple[str, str],
    plot_height: int,
    colours: dict[str, str],
) -> ET.Element:
    """Draw a group of bars per case, a bar per contender, with its figure above it."""
    title, unit = text
    contenders = list(dict.fromkeys(r.contender for case in cases for r in case.results))
    top, step = _axis_top(max(r.ns_per_op for case in cases for r in case.results))
    group_width = (PLOT_RIGHT - PLOT_LEFT) / len(cases)

    panel = ET.Element("g", _attributes(class_=f"panel {kind}"))
    _add(panel, "text", title, x=20, y=24, font_size=15, font_weight="bold")
    _y_axis(panel, top, step, plot_height, unit)
    bottom = PANEL_TOP + plot_height
    for index, case in enumerate(cases):
        bar_width = min(group_width * 0.8 / len(case.results), MAX_BAR_WIDTH)
        left = PLOT_LEFT + (index + 0.5) * group_width - bar_width * len(case.results) / 2
        for position, result in enumerate(case.results):
            x = left + position * bar_width
            y = _y_of(result.ns_per_op, top, plot_height)
            bar = _add(
                panel,
                "rect",
                class_="bar",
                x=x + 1,
                y=y,
                width=bar_width - 2,
                height=bottom - y,
                fill=colours[result.contender],
            )
            _add(bar, "title", f"{result.contender}: {result.ns_per_op:,.1f} ns ({case.name})")
            figure = (
                f"{result.ns_per_op:,.0f}" if result.ns_per_op >= 10 else f"{result.ns_per_op:.1f}"
            )
            _add(
                panel,
                "text",
                figure,
                x=x + bar_width / 2,
                y=y - 4,
                text_anchor="middle",
                font_size=10,
            )
        middle = PLOT_LEFT + (index + 0.5) * group_width
        _add(panel, "text", groups[case.name], x=middle, y=bottom + 18, text_anchor="middle")
        _add(
            panel,
            "text",
            f"({case.name})",
            x=middle,
            y=bottom + 32,
            text_anchor="middle",
            fill="#666666",
            font_size=10,
        )
    _frame(panel, plot_height)
    _legend(panel, contenders, colours)
    return panel


def _axis_top(largest: float) -> tuple[float, float]:
    """Return the top of a y axis from 0 that holds ``largest``, and a round tick step."""
    raw = max(largest, 1e-9) * 1.1 / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return math.ceil(largest * 1.1 / step) * step, step


def _y_of(value: float, top: float, plot_height: int) -> float:
    return PANEL_TOP + plot_height * (1 - value / top)


def _y_axis(panel: ET.Element, top: float, step: float, plot_height: int, label: str) -> None:
    """Draw horizontal grid lines with their figures, and the y axis's label."""
    for index in range(round(top / step) + 1):
        value = index * step
        y = _y_of(value, top, plot_height)
        _add(panel, "line", x1=PLOT_LEFT, x2=PLOT_RIGHT, y1=y, y2=y, stroke="#e5e5e5")
        figure = f"{value:,.0f}" if step >= 1 else f"{value:g}"
        _add(panel, "text", figure, x=PLOT_LEFT - 8, y=y + 4, text_anchor="end")
    middle = PANEL_TOP + plot_height / 2
    _add(
        panel,
        "text",
        label,
        x=30,
        y=middle,
        text_anchor="middle",
        transform=f"rotate(-90 30 {middle:.1f})",
    )


def _x_label(panel: ET.Element, plot_height: int, label: str) -> None:
    middle = (PLOT_LEFT + PLOT_RIGHT) / 2
    _add(panel, "text", label, x=middle, y=PANEL_TOP + plot_height + 40, text_anchor="middle")


def _frame(panel: ET.Element, plot_height: int) -> None:
    _add(
        panel,
        "rect",
        x=PLOT_LEFT,
        y=PANEL_TOP,
        width=PLOT_RIGHT - PLOT_LEFT,
        height=plot_height,
        fill="none",
        stroke="#999999",
    )


def _legend(panel: ET.Element, contenders: list[str], colours: dict[str, str]) -> None:
    legend = _add(panel, "g", class_="legend")
    for index, contender in enumerate(contenders):
        y = PANEL_TOP + 10 + index * 22
        _add(legend, "rect", x=LEGEND_LEFT, y=y, width=16, height=12, fill=colours[contender])
        _add(legend, "text", contender, x=LEGEND_LEFT + 24, y=y + 11)


def _add(
    parent: ET.Element, tag: str, text: str | None = None, **attributes: Attribute
) -> ET.Element:
    """Add an element; ``font_size=`` is the attribute ``font-size``, ``class_=`` is ``class``."""
    element = ET.SubElement(parent, tag, _attributes(**attributes))
    element.text = text
    return element


def _attributes(**attributes: Attribute) -> dict[str, str]:
    return {
        name.rstrip("_").replace("_", "-"): f"{value:.1f}".removesuffix(".0")
        if isinstance(value, float)
        else str(value)
        for name, value in attributes.items()
    }
